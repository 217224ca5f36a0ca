// BMI1/BMI2 (SDM 2 "ANDN", "BEXTR", "BLSI", "BLSMSK", "BLSR", "BZHI", "MULX", "PDEP", "PEXT",
// "RORX", "SARX", "SHLX", "SHRX") on 32-bit values or 64-bit lo/hi pairs. Results go to
// `s.outLo/outHi` (MULX: high half in `out2Lo/out2Hi`), flags straight into the state.
// Undefined flags (AF and PF everywhere, SF for BEXTR) are cleared: what the host AMD
// processor reports too, and the differential masks them anyway.
import { mulU32, mulU64x64 } from '../../alu/alu.ts';
import type { CpuState } from '../../state/cpu-state.ts';
import { FLAG_AF, FLAG_CF, FLAG_OF, FLAG_PF, FLAG_SF, FLAG_ZF } from '../../state/flags.ts';

/** The BMI operations {@link bmiCompute} performs. */
export const enum BmiOp {
  Andn = 0,
  Bextr = 1,
  Blsi = 2,
  Blsmsk = 3,
  Blsr = 4,
  Bzhi = 5,
  Pdep = 6,
  Pext = 7,
  Rorx = 8,
  Sarx = 9,
  Shlx = 10,
  Shrx = 11,
  Mulx = 12,
}

const ARITH = FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF;

let rLo = 0;
let rHi = 0;

/** Logical shift right of a 64-bit pair by 0..63 into rLo/rHi. */
function shr64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    rLo = lo;
    rHi = hi;
  } else if (n < 32) {
    rLo = ((lo >>> n) | (hi << (32 - n))) >>> 0;
    rHi = hi >>> n;
  } else {
    rLo = hi >>> (n - 32);
    rHi = 0;
  }
}

function shl64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    rLo = lo;
    rHi = hi;
  } else if (n < 32) {
    rHi = ((hi << n) | (lo >>> (32 - n))) >>> 0;
    rLo = (lo << n) >>> 0;
  } else {
    rHi = (lo << (n - 32)) >>> 0;
    rLo = 0;
  }
}

function sar64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    rLo = lo;
    rHi = hi;
  } else if (n < 32) {
    rLo = ((lo >>> n) | (hi << (32 - n))) >>> 0;
    rHi = (hi >> n) >>> 0;
  } else {
    rLo = (hi >> (n - 32)) >>> 0;
    rHi = (hi >> 31) >>> 0;
  }
}

/** Keeps bits below `n` (0..64) of a pair into rLo/rHi. */
function lowBits(lo: number, hi: number, n: number): void {
  if (n >= 64) {
    rLo = lo;
    rHi = hi;
  } else if (n >= 32) {
    rLo = lo;
    rHi = n === 32 ? 0 : (hi & (0xffffffff >>> (64 - n))) >>> 0;
  } else {
    rLo = n === 0 ? 0 : (lo & (0xffffffff >>> (32 - n))) >>> 0;
    rHi = 0;
  }
}

function setFlags(s: CpuState, size: number, cf: boolean, lo: number, hi: number, withSf: boolean): void {
  const zero = size === 8 ? (lo | hi) === 0 : lo === 0;
  const sign = (size === 8 ? hi : lo) >>> 31;
  s.setFlags((s.getFlags() & ~ARITH) | (cf ? FLAG_CF : 0) | (zero ? FLAG_ZF : 0) | (withSf && sign ? FLAG_SF : 0));
}

const mulTmp = new Uint32Array(4);

/**
 * Executes a BMI operation of operand size 4 or 8 on `a` (the first source: r/m for the
 * one-source forms, the VEX.vvvv or ModRM.reg register otherwise, as named in the SDM) and
 * `b` (the second source: the index/count/mask register or r/m). For 32-bit operations the
 * high halves are ignored and the result's high half is 0.
 */
export function bmiCompute(
  s: CpuState,
  op: BmiOp,
  size: number,
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
): void {
  const bits = size * 8;
  if (size !== 8) {
    aHi = 0;
    bHi = 0;
  }
  switch (op) {
    case BmiOp.Andn:
      rLo = (~aLo & bLo) >>> 0;
      rHi = (~aHi & bHi) >>> 0;
      setFlags(s, size, false, rLo, rHi, true);
      break;
    case BmiOp.Bextr: {
      const start = bLo & 0xff;
      const len = (bLo >>> 8) & 0xff;
      if (start >= bits) {
        rLo = 0;
        rHi = 0;
      } else {
        shr64(aLo, aHi, start);
        lowBits(rLo, rHi, len);
      }
      setFlags(s, size, false, rLo, rHi, false);
      break;
    }
    case BmiOp.Blsi:
    case BmiOp.Blsmsk:
    case BmiOp.Blsr: {
      // src - 1 as a pair.
      const mLo = (aLo - 1) >>> 0;
      const mHi = size === 8 ? (aHi - (aLo === 0 ? 1 : 0)) >>> 0 : 0;
      const srcZero = (aLo | aHi) === 0;
      if (op === BmiOp.Blsi) {
        const nLo = -aLo >>> 0;
        const nHi = (~aHi + (aLo === 0 ? 1 : 0)) >>> 0;
        rLo = (nLo & aLo) >>> 0;
        rHi = size === 8 ? (nHi & aHi) >>> 0 : 0;
        setFlags(s, size, !srcZero, rLo, rHi, true);
      } else if (op === BmiOp.Blsmsk) {
        rLo = (mLo ^ aLo) >>> 0;
        rHi = size === 8 ? (mHi ^ aHi) >>> 0 : 0;
        // ZF is always cleared (SDM "BLSMSK"), even for a zero source.
        const sign = (size === 8 ? rHi : rLo) >>> 31;
        s.setFlags((s.getFlags() & ~ARITH) | (srcZero ? FLAG_CF : 0) | (sign ? FLAG_SF : 0));
      } else {
        rLo = (mLo & aLo) >>> 0;
        rHi = size === 8 ? (mHi & aHi) >>> 0 : 0;
        setFlags(s, size, srcZero, rLo, rHi, true);
      }
      break;
    }
    case BmiOp.Bzhi: {
      const n = bLo & 0xff;
      lowBits(aLo, aHi, Math.min(n, bits));
      setFlags(s, size, n > bits - 1, rLo, rHi, true);
      break;
    }
    case BmiOp.Pdep: {
      // Deposit the low source bits at the mask's set bits, lowest first.
      let outLo = 0;
      let outHi = 0;
      let k = 0;
      for (let i = 0; i < bits; i++) {
        const m = i < 32 ? (bLo >>> i) & 1 : (bHi >>> (i - 32)) & 1;
        if (m === 0) continue;
        const bit = k < 32 ? (aLo >>> k) & 1 : (aHi >>> (k - 32)) & 1;
        k++;
        if (bit) {
          if (i < 32) outLo |= 1 << i;
          else outHi |= 1 << (i - 32);
        }
      }
      rLo = outLo >>> 0;
      rHi = outHi >>> 0;
      break;
    }
    case BmiOp.Pext: {
      let outLo = 0;
      let outHi = 0;
      let k = 0;
      for (let i = 0; i < bits; i++) {
        const m = i < 32 ? (bLo >>> i) & 1 : (bHi >>> (i - 32)) & 1;
        if (m === 0) continue;
        const bit = i < 32 ? (aLo >>> i) & 1 : (aHi >>> (i - 32)) & 1;
        if (bit) {
          if (k < 32) outLo |= 1 << k;
          else outHi |= 1 << (k - 32);
        }
        k++;
      }
      rLo = outLo >>> 0;
      rHi = outHi >>> 0;
      break;
    }
    case BmiOp.Rorx: {
      const n = bLo & (bits - 1);
      if (size === 8) {
        shr64(aLo, aHi, n);
        const lo = rLo;
        const hi = rHi;
        shl64(aLo, aHi, (64 - n) & 63);
        rLo = n === 0 ? aLo : (lo | rLo) >>> 0;
        rHi = n === 0 ? aHi : (hi | rHi) >>> 0;
      } else {
        rLo = n === 0 ? aLo : ((aLo >>> n) | (aLo << (32 - n))) >>> 0;
        rHi = 0;
      }
      break;
    }
    case BmiOp.Sarx:
    case BmiOp.Shlx:
    case BmiOp.Shrx: {
      const n = bLo & (bits - 1);
      if (size === 8) {
        if (op === BmiOp.Sarx) sar64(aLo, aHi, n);
        else if (op === BmiOp.Shlx) shl64(aLo, aHi, n);
        else shr64(aLo, aHi, n);
      } else {
        rLo = op === BmiOp.Sarx ? (aLo >> n) >>> 0 : op === BmiOp.Shlx ? (aLo << n) >>> 0 : aLo >>> n;
        rHi = 0;
      }
      break;
    }
    case BmiOp.Mulx:
      if (size === 8) {
        mulU64x64(aLo, aHi, bLo, bHi, mulTmp);
        s.outLo = mulTmp[0]!;
        s.outHi = mulTmp[1]!;
        s.out2Lo = mulTmp[2]!;
        s.out2Hi = mulTmp[3]!;
      } else {
        mulU32(aLo, bLo, mulTmp);
        s.outLo = mulTmp[0]!;
        s.outHi = 0;
        s.out2Lo = mulTmp[1]!;
        s.out2Hi = 0;
      }
      return;
  }
  s.outLo = rLo;
  s.outHi = rHi;
}
