import { describe, expect, it } from 'vitest';
import { CODE_COUNT, codeName, findCode, findMnemonic, mnemonicName } from './code-info.ts';
import { decodeTables } from './generated/tables.ts';

describe('code and mnemonic names', () => {
  it('names one code at a time exactly as the full CODE_NAMES list does, for every code', () => {
    // codeName first (it expands single names), then the whole list
    const one = Array.from({ length: CODE_COUNT }, (_, c) => codeName(c));
    expect(one).toEqual(decodeTables.CODE_NAMES);
    expect(new Set(one).size).toBe(CODE_COUNT);
    expect(one.slice(0, 3)).toEqual(['INVALID', 'Add_rm8_r8', 'Add_rm16_r16']);
  });

  it('calls anything that is not a code INVALID', () => {
    for (const bad of [-1, CODE_COUNT, 1.5, Number.NaN, 2 ** 32]) expect(codeName(bad)).toBe('INVALID');
  });

  it('finds codes and mnemonics by name', () => {
    expect(findCode('Add_rm16_r16')).toBe(2);
    expect(findCode('EVEX_Vaddps_zmm_k1z_zmm_zmmm512b32')).toBeGreaterThan(0);
    expect(findCode('Nope')).toBe(-1);
    expect(mnemonicName(findMnemonic('vaddps'))).toBe('VADDPS');
    expect(findMnemonic('nope')).toBe(-1);
  });
});
