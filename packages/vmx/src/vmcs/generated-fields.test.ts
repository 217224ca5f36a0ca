import { describe, expect, it } from 'vitest';
import data from '../../data/vmcs-fields.txt?raw';
import { renderVmcsFields } from '../../scripts/render-vmcs-fields.ts';
import generated from '../generated/vmcs-fields.ts?raw';

describe('src/generated/vmcs-fields.ts', () => {
  it('is what the generator makes of data/vmcs-fields.txt (run `pnpm generate` after editing the data)', () => {
    expect(generated).toBe(renderVmcsFields(data));
  });

  it.each([
    ['a reserved encoding bit', 'VPID 0x1000'],
    ['a high-access encoding', 'VPID 0x2001'],
    ['an unknown feature', 'VPID 0x0000 warp'],
    ['a line that is not a field', 'VPID = 0'],
  ])('rejects %s', (_name, line) => {
    expect(() => renderVmcsFields(`[B.1.1] 16-bit control fields\n${line}\n`)).toThrow(/data\/vmcs-fields.txt:2/);
  });
});
