import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lines } from './readme-example.ts';

describe('README example', () => {
  it('prints what the README says it prints', () => {
    expect(lines).toEqual([
      '401000 Add_rm64_r64: add rax,rcx',
      '401003 Adc_rm64_imm8: adc rdx,0 (reads CF)',
      '401007 Je_rel8: je short 0000000000401007h',
      '401009 Mov_r32_rm32: mov eax,[40101Fh]',
    ]);
  });

  it('is the code shown in README.md', () => {
    const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');
    const source = readFileSync(join(import.meta.dirname, 'readme-example.ts'), 'utf8').replace(
      'export const lines',
      'const lines',
    );
    expect(readme).toContain(source.trim());
  });
});
