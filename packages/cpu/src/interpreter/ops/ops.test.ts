import { describe, expect, it } from 'vitest';
import { CpuState } from '../../state/cpu-state.ts';
import { FLAG_AF, FLAG_CF, FLAG_SF, FLAG_ZF } from '../../state/flags.ts';
import { aaa, aad, aam, aas, daa, das, salc } from './bcd.ts';
import { BmiOp, bmiCompute } from './bmi.ts';
import { crc32c } from './crc32.ts';

function withAx(ax: number, flags = 0): CpuState {
  const s = new CpuState();
  s.gpr16[0] = ax;
  s.setFlags(flags);
  return s;
}

describe('decimal adjust', () => {
  it('DAA turns 79H + 35H = AEH into 14H with CF set (SDM 2 "DAA" example)', () => {
    const s = withAx(0xae);
    daa(s);
    expect(s.gpr8[0]).toBe(0x14);
    expect(s.getFlags() & FLAG_CF).toBe(FLAG_CF);
  });

  it('DAS turns 35H - 47H = EEH into 88H with CF set (SDM 2 "DAS" example)', () => {
    const s = withAx(0xee, FLAG_CF);
    das(s);
    expect(s.gpr8[0]).toBe(0x88);
    expect(s.getFlags() & FLAG_CF).toBe(FLAG_CF);
  });

  it('AAA carries a decimal digit into AH through AX + 106H', () => {
    const s = withAx(0x0008 + 0x0009, FLAG_AF); // 8 + 9 = 11H, with AF from the ADD
    aaa(s);
    expect(s.gpr16[0]).toBe(0x0107);
    expect(s.getFlags() & (FLAG_CF | FLAG_AF)).toBe(FLAG_CF | FLAG_AF);
  });

  it('AAS borrows from AH', () => {
    const s = withAx(0x01fe, FLAG_AF); // 0108H - 0AH left AL = FEH with AF
    aas(s);
    expect(s.gpr16[0]).toBe(0x0008);
    expect(s.getFlags() & FLAG_CF).toBe(FLAG_CF);
  });

  it('AAM splits AL into decimal digits and reports a zero base as a divide error', () => {
    const s = withAx(63);
    expect(aam(s, 10)).toBe(true);
    expect(s.gpr16[0]).toBe(0x0603);
    expect(aam(s, 0)).toBe(false);
  });

  it('AAD folds AH into AL and clears AH', () => {
    const s = withAx(0x0603);
    aad(s, 10);
    expect(s.gpr16[0]).toBe(63);
  });

  it('SALC sets AL from CF', () => {
    const s = withAx(0x1234, FLAG_CF);
    salc(s);
    expect(s.gpr16[0]).toBe(0x12ff);
  });
});

describe('bmiCompute', () => {
  const s = new CpuState();
  const run = (op: BmiOp, size: number, aLo: number, aHi: number, bLo = 0, bHi = 0): [number, number] => {
    bmiCompute(s, op, size, aLo, aHi, bLo, bHi);
    return [s.outLo, s.outHi];
  };

  it.each([
    ['ANDN', BmiOp.Andn, 4, 0xff00ff00, 0, 0x12345678, 0, 0x00340078, 0],
    ['BEXTR start 4 length 8', BmiOp.Bextr, 4, 0x12345678, 0, 0x0804, 0, 0x67, 0],
    ['BEXTR across the 64-bit halves', BmiOp.Bextr, 8, 0x80000000, 0x1, 0x081f, 0, 0x3, 0],
    ['BLSI', BmiOp.Blsi, 4, 0b101000, 0, 0, 0, 0b1000, 0],
    ['BLSMSK', BmiOp.Blsmsk, 4, 0b101000, 0, 0, 0, 0b1111, 0],
    ['BLSR 64-bit with a zero low half', BmiOp.Blsr, 8, 0, 0x3, 0, 0, 0, 0x2],
    ['BZHI 36 bits', BmiOp.Bzhi, 8, 0xffffffff, 0xffffffff, 36, 0, 0xffffffff, 0xf],
    ['PDEP (SDM example shape)', BmiOp.Pdep, 4, 0b1011, 0, 0xf0, 0, 0xb0, 0],
    ['PEXT', BmiOp.Pext, 8, 0, 0xab000000, 0, 0xff000000, 0xab, 0],
    ['RORX 64-bit by 4', BmiOp.Rorx, 8, 0x12345678, 0x9abcdef0, 4, 0, 0x01234567, 0x89abcdef],
    ['SARX 32-bit by 36 (count masked to 4)', BmiOp.Sarx, 4, 0x80000000, 0, 36, 0, 0xf8000000, 0],
    ['SHLX 64-bit by 40', BmiOp.Shlx, 8, 0x1, 0, 40, 0, 0, 0x100],
    ['SHRX 64-bit by 63', BmiOp.Shrx, 8, 0, 0x80000000, 63, 0, 1, 0],
  ])('%s', (_n, op, size, aLo, aHi, bLo, bHi, rLo, rHi) => {
    expect(run(op, size, aLo, aHi, bLo, bHi)).toEqual([rLo, rHi]);
  });

  it('MULX gives the full 128-bit product of two 64-bit values', () => {
    bmiCompute(s, BmiOp.Mulx, 8, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff);
    // (2^64-1)^2 = 2^128 - 2^65 + 1
    expect([s.outLo, s.outHi, s.out2Lo, s.out2Hi]).toEqual([1, 0, 0xfffffffe, 0xffffffff]);
  });

  it('BLSMSK clears ZF and sets CF for a zero source; BZHI sets CF for an index past the size', () => {
    bmiCompute(s, BmiOp.Blsmsk, 4, 0, 0, 0, 0);
    expect(s.getFlags() & (FLAG_ZF | FLAG_CF | FLAG_SF)).toBe(FLAG_CF | FLAG_SF);
    bmiCompute(s, BmiOp.Bzhi, 4, 5, 0, 40, 0);
    expect(s.getFlags() & FLAG_CF).toBe(FLAG_CF);
  });
});

describe('crc32c', () => {
  it('matches the CRC-32C check value of "123456789" with the usual pre- and post-inversion', () => {
    let c = 0xffffffff;
    for (const ch of '123456789') c = crc32c(c, 1, ch.charCodeAt(0), 0);
    expect((~c >>> 0).toString(16)).toBe('e3069283');
  });

  it('gives the same result for one 8-byte step as for eight 1-byte steps', () => {
    let bytewise = 0x1234;
    const bytes = [1, 2, 3, 4, 5, 6, 7, 8];
    for (const b of bytes) bytewise = crc32c(bytewise, 1, b, 0);
    expect(crc32c(0x1234, 8, 0x04030201, 0x08070605)).toBe(bytewise);
  });
});
