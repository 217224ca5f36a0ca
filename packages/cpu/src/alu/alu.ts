import { type CpuState, LazyOp, parityFlag } from '../state/cpu-state.ts';
import { FLAG_AF, FLAG_CF, FLAG_OF, FLAG_SF, FLAG_ZF } from '../state/flags.ts';

/**
 * Integer ALU semantics with exact flags, as functions over a {@link CpuState}.
 * Operands are lo/hi 32-bit halves (hi ignored and 0 below 64-bit size); `size` is the
 * operand size in bytes (1, 2, 4, 8). The result goes to `s.outLo/outHi` (and `s.out2Lo/Hi`
 * for a second result). Arithmetic flags become lazy (`s.lazyOp`) or are set eagerly.
 */

/** Mask of an operand size below 8 bytes. */
export function sizeMask(size: number): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
}

function signOf(size: number, lo: number, hi: number): number {
  if (size === 8) return hi >>> 31;
  return (lo >>> (size * 8 - 1)) & 1;
}

/** ADD / ADC (`carryIn` 0 or 1). */
export function aluAdd(
  s: CpuState,
  size: number,
  dLo: number,
  dHi: number,
  sLo: number,
  sHi: number,
  carryIn: number,
): void {
  let rLo: number;
  let rHi = 0;
  if (size === 8) {
    const lo = dLo + sLo + carryIn;
    rLo = lo >>> 0;
    rHi = (dHi + sHi + (lo > 0xffffffff ? 1 : 0)) >>> 0;
  } else {
    rLo = ((dLo + sLo + carryIn) & sizeMask(size)) >>> 0;
  }
  setLazy(s, LazyOp.Add, size, dLo, dHi, sLo, sHi, rLo, rHi, carryIn);
}

/** SUB / SBB / CMP (`borrowIn` 0 or 1). */
export function aluSub(
  s: CpuState,
  size: number,
  dLo: number,
  dHi: number,
  sLo: number,
  sHi: number,
  borrowIn: number,
): void {
  let rLo: number;
  let rHi = 0;
  if (size === 8) {
    const lo = dLo - sLo - borrowIn;
    rLo = lo >>> 0;
    rHi = (dHi - sHi - (lo < 0 ? 1 : 0)) >>> 0;
  } else {
    rLo = ((dLo - sLo - borrowIn) & sizeMask(size)) >>> 0;
  }
  setLazy(s, LazyOp.Sub, size, dLo, dHi, sLo, sHi, rLo, rHi, borrowIn);
}

/** AND, OR, XOR, TEST: `op` 0 = AND, 1 = OR, 2 = XOR. CF=OF=0, AF undefined (0 here, as Intel and AMD do). */
export function aluLogic(
  s: CpuState,
  size: number,
  op: number,
  dLo: number,
  dHi: number,
  sLo: number,
  sHi: number,
): void {
  let rLo: number;
  let rHi: number;
  if (op === 0) {
    rLo = (dLo & sLo) >>> 0;
    rHi = (dHi & sHi) >>> 0;
  } else if (op === 1) {
    rLo = (dLo | sLo) >>> 0;
    rHi = (dHi | sHi) >>> 0;
  } else {
    rLo = (dLo ^ sLo) >>> 0;
    rHi = (dHi ^ sHi) >>> 0;
  }
  if (size !== 8) rHi = 0;
  setLazy(s, LazyOp.Logic, size, dLo, dHi, sLo, sHi, rLo, rHi, 0);
}

/** INC (`delta` 1) / DEC (`delta` -1): CF is preserved. */
export function aluIncDec(s: CpuState, size: number, dLo: number, dHi: number, delta: 1 | -1): void {
  const cf = s.carry();
  let rLo: number;
  let rHi = 0;
  if (size === 8) {
    const lo = dLo + delta;
    rLo = lo >>> 0;
    rHi = (dHi + (lo > 0xffffffff ? 1 : lo < 0 ? -1 : 0)) >>> 0;
  } else {
    rLo = ((dLo + delta) & sizeMask(size)) >>> 0;
  }
  setLazy(s, delta === 1 ? LazyOp.Inc : LazyOp.Dec, size, dLo, dHi, 1, 0, rLo, rHi, cf);
}

/** NEG: 0 - operand (CF = operand != 0). */
export function aluNeg(s: CpuState, size: number, dLo: number, dHi: number): void {
  aluSub(s, size, 0, 0, dLo, dHi, 0);
}

function setLazy(
  s: CpuState,
  op: LazyOp,
  size: number,
  dLo: number,
  dHi: number,
  sLo: number,
  sHi: number,
  rLo: number,
  rHi: number,
  carry: number,
): void {
  // No materialisation needed: every lazy op recomputes all six arithmetic flags (INC/DEC took
  // their preserved CF as `carry`), and getFlags() masks the stale ones in flagsValue.
  s.lazyOp = op;
  s.lazySize = size;
  s.lazyDstLo = dLo;
  s.lazyDstHi = dHi;
  s.lazySrcLo = sLo;
  s.lazySrcHi = sHi;
  s.lazyResLo = rLo;
  s.lazyResHi = rHi;
  s.lazyCarry = carry;
  s.outLo = rLo;
  s.outHi = rHi;
}

/** SF, ZF, PF of a result. */
export function szp(size: number, lo: number, hi: number): number {
  let f = parityFlag(lo);
  if (size === 8 ? (lo | hi) === 0 : lo === 0) f |= FLAG_ZF;
  if (signOf(size, lo, hi)) f |= FLAG_SF;
  return f;
}

/** Shift/rotate operations for {@link aluShift}. */
export const enum ShiftOp {
  Rol = 0,
  Ror = 1,
  Rcl = 2,
  Rcr = 3,
  Shl = 4,
  Shr = 5,
  Sal = 6,
  Sar = 7,
}

/**
 * ROL/ROR/RCL/RCR/SHL/SHR/SAR by `count` (already the raw operand; masked here to 5 bits,
 * 6 for 64-bit, SDM 2 "SAL/SAR/SHL/SHR"). A masked count of 0 changes nothing, not even flags.
 * OF is defined for count 1 only; for larger counts we compute it as for count 1
 * (Intel's behaviour for SHL/SHR/SAR; AMD differs, so tests compare it for count 1 only).
 * AF for shifts is undefined; we clear it.
 */
export function aluShift(s: CpuState, size: number, op: ShiftOp, dLo: number, dHi: number, count: number): void {
  const bits = size * 8;
  let n = count & (size === 8 ? 63 : 31);
  s.outLo = dLo;
  s.outHi = dHi;
  if (op === ShiftOp.Rcl || op === ShiftOp.Rcr) {
    // SDM: RCL/RCR count is masked then taken modulo size+1 for 8/16-bit operands.
    if (size === 1) n %= 9;
    else if (size === 2) n %= 17;
  }
  if (n === 0) return;
  const flags = s.getFlags();
  let cf = flags & FLAG_CF;
  let of = 0;
  let rLo = dLo;
  let rHi = dHi;
  if (size === 8) {
    // Generic bit-serial for rotates through carry; shifts via pair arithmetic.
    switch (op) {
      case ShiftOp.Shl:
      case ShiftOp.Sal:
        cf = bit64(dLo, dHi, 64 - n);
        [rLo, rHi] = shl64(dLo, dHi, n);
        of = (rHi >>> 31) ^ cf;
        break;
      case ShiftOp.Shr:
        cf = bit64(dLo, dHi, n - 1);
        [rLo, rHi] = shr64(dLo, dHi, n, false);
        of = dHi >>> 31;
        break;
      case ShiftOp.Sar:
        cf = bit64(dLo, dHi, n - 1);
        [rLo, rHi] = shr64(dLo, dHi, n, true);
        of = 0;
        break;
      case ShiftOp.Rol: {
        const [aLo, aHi] = shl64(dLo, dHi, n);
        const [bLo, bHi] = shr64(dLo, dHi, 64 - n, false);
        rLo = (aLo | bLo) >>> 0;
        rHi = (aHi | bHi) >>> 0;
        cf = rLo & 1;
        of = (rHi >>> 31) ^ cf;
        break;
      }
      case ShiftOp.Ror: {
        const [aLo, aHi] = shr64(dLo, dHi, n, false);
        const [bLo, bHi] = shl64(dLo, dHi, 64 - n);
        rLo = (aLo | bLo) >>> 0;
        rHi = (aHi | bHi) >>> 0;
        cf = rHi >>> 31;
        of = cf ^ ((rHi >>> 30) & 1);
        break;
      }
      case ShiftOp.Rcl:
        for (let i = 0; i < n; i++) {
          const out = rHi >>> 31;
          rHi = ((rHi << 1) | (rLo >>> 31)) >>> 0;
          rLo = ((rLo << 1) | cf) >>> 0;
          cf = out;
        }
        of = (rHi >>> 31) ^ cf;
        break;
      case ShiftOp.Rcr:
        of = (dHi >>> 31) ^ cf;
        for (let i = 0; i < n; i++) {
          const out = rLo & 1;
          rLo = ((rLo >>> 1) | ((rHi & 1) << 31)) >>> 0;
          rHi = ((rHi >>> 1) | (cf << 31)) >>> 0;
          cf = out;
        }
        break;
    }
  } else {
    const mask = sizeMask(size);
    const top = bits - 1;
    const d = dLo;
    switch (op) {
      case ShiftOp.Shl:
      case ShiftOp.Sal:
        cf = n <= bits ? (d >>> (bits - n)) & 1 : 0;
        rLo = n >= 32 ? 0 : ((d << n) & mask) >>> 0;
        of = ((rLo >>> top) & 1) ^ cf;
        break;
      case ShiftOp.Shr:
        cf = n <= bits ? (d >>> (n - 1)) & 1 : 0;
        rLo = n >= 32 ? 0 : d >>> n;
        of = (d >>> top) & 1;
        break;
      case ShiftOp.Sar: {
        const sd = (d << (32 - bits)) >> (32 - bits);
        cf = (sd >> Math.min(n - 1, 31)) & 1;
        rLo = ((sd >> Math.min(n, 31)) & mask) >>> 0;
        of = 0;
        break;
      }
      case ShiftOp.Rol: {
        const k = n % bits;
        rLo = k === 0 ? d : (((d << k) | (d >>> (bits - k))) & mask) >>> 0;
        cf = rLo & 1;
        of = ((rLo >>> top) & 1) ^ cf;
        break;
      }
      case ShiftOp.Ror: {
        const k = n % bits;
        rLo = k === 0 ? d : (((d >>> k) | (d << (bits - k))) & mask) >>> 0;
        cf = (rLo >>> top) & 1;
        of = cf ^ ((rLo >>> (top - 1)) & 1);
        break;
      }
      case ShiftOp.Rcl:
        for (let i = 0; i < n; i++) {
          const out = (rLo >>> top) & 1;
          rLo = (((rLo << 1) | cf) & mask) >>> 0;
          cf = out;
        }
        of = ((rLo >>> top) & 1) ^ cf;
        break;
      case ShiftOp.Rcr:
        of = ((d >>> top) & 1) ^ cf;
        for (let i = 0; i < n; i++) {
          const out = rLo & 1;
          rLo = ((rLo >>> 1) | (cf << top)) >>> 0;
          cf = out;
        }
        break;
    }
    rHi = 0;
  }
  s.outLo = rLo;
  s.outHi = rHi;
  let f = (flags & ~(FLAG_CF | FLAG_OF)) | cf | (of ? FLAG_OF : 0);
  if (op >= ShiftOp.Shl) f = (f & ~(FLAG_SF | FLAG_ZF | FLAG_AF | 4)) | szp(size, rLo, rHi);
  s.setFlags(f);
}

function bit64(lo: number, hi: number, n: number): number {
  return n >= 32 ? (hi >>> (n - 32)) & 1 : (lo >>> n) & 1;
}

const pair: [number, number] = [0, 0];
function shl64(lo: number, hi: number, n: number): [number, number] {
  if (n === 0) {
    pair[0] = lo;
    pair[1] = hi;
  } else if (n < 32) {
    pair[1] = ((hi << n) | (lo >>> (32 - n))) >>> 0;
    pair[0] = (lo << n) >>> 0;
  } else if (n < 64) {
    pair[1] = (lo << (n - 32)) >>> 0;
    pair[0] = 0;
  } else {
    pair[0] = 0;
    pair[1] = 0;
  }
  return pair;
}

function shr64(lo: number, hi: number, n: number, arith: boolean): [number, number] {
  const fill = arith && hi >>> 31 ? 0xffffffff : 0;
  if (n === 0) {
    pair[0] = lo;
    pair[1] = hi;
  } else if (n < 32) {
    pair[0] = ((lo >>> n) | (hi << (32 - n))) >>> 0;
    pair[1] = arith ? (hi >> n) >>> 0 : hi >>> n;
  } else if (n < 64) {
    pair[0] = arith ? (hi >> (n - 32)) >>> 0 : hi >>> (n - 32);
    pair[1] = fill;
  } else {
    pair[0] = fill;
    pair[1] = fill;
  }
  return pair;
}

/**
 * SHLD (`left`) / SHRD: shift `d` by `count`, filling from `src`. Count masked to 5/6 bits;
 * 0 changes nothing. A 16-bit count above 16 is undefined (we shift through the 32-bit
 * concatenation as Intel does). OF defined for count 1; AF undefined (cleared).
 */
export function aluShiftDouble(
  s: CpuState,
  size: number,
  left: boolean,
  dLo: number,
  dHi: number,
  srcLo: number,
  srcHi: number,
  count: number,
): void {
  const n = count & (size === 8 ? 63 : 31);
  s.outLo = dLo;
  s.outHi = dHi;
  if (n === 0) return;
  const flags = s.getFlags();
  const bits = size * 8;
  let rLo: number;
  let rHi = 0;
  let cf: number;
  if (size === 8) {
    if (left) {
      cf = bit64(dLo, dHi, 64 - n);
      const [aLo, aHi] = shl64(dLo, dHi, n);
      const [bLo, bHi] = shr64(srcLo, srcHi, 64 - n, false);
      rLo = (aLo | bLo) >>> 0;
      rHi = (aHi | bHi) >>> 0;
    } else {
      cf = bit64(dLo, dHi, n - 1);
      const [aLo, aHi] = shr64(dLo, dHi, n, false);
      const [bLo, bHi] = shl64(srcLo, srcHi, 64 - n);
      rLo = (aLo | bLo) >>> 0;
      rHi = (aHi | bHi) >>> 0;
    }
  } else if (size === 4) {
    if (left) {
      cf = (dLo >>> (32 - n)) & 1;
      rLo = ((dLo << n) | (srcLo >>> (32 - n))) >>> 0;
    } else {
      cf = (dLo >>> (n - 1)) & 1;
      rLo = ((dLo >>> n) | (srcLo << (32 - n))) >>> 0;
    }
  } else {
    // 16-bit: operate on the 32-bit value dst:src (left) or src:dst (right).
    if (left) {
      const v = ((dLo << 16) | srcLo) >>> 0;
      const k = n;
      const full = k <= 16 ? v : ((v << 16) | (dLo & 0xffff)) >>> 0; // Intel: src:dst repeats
      cf = k <= 16 ? (dLo >>> (16 - k)) & 1 : (full >>> (32 - k + 16)) & 1;
      rLo = k <= 16 ? ((v << k) >>> 16) & 0xffff : ((full << (k - 16)) >>> 16) & 0xffff;
    } else {
      const v = ((srcLo << 16) | dLo) >>> 0;
      cf = (v >>> (n - 1)) & 1;
      rLo = n < 32 ? (v >>> n) & 0xffff : 0;
      if (n > 16) rLo = ((((dLo & 0xffff) << 16) | srcLo) >>> (n - 16)) & 0xffff;
    }
  }
  s.outLo = rLo;
  s.outHi = rHi;
  const of = signOf(size, rLo, rHi) ^ signOf(size, dLo, dHi);
  void bits;
  s.setFlags(
    (flags & ~(FLAG_CF | FLAG_OF | FLAG_SF | FLAG_ZF | FLAG_AF | 4)) | cf | (of ? FLAG_OF : 0) | szp(size, rLo, rHi),
  );
}

/** Unsigned 32x32 -> 64 multiply into `out[0]` (lo) / `out[1]` (hi). */
export function mulU32(a: number, b: number, out: Uint32Array): void {
  const p1 = (a & 0xffff) * b;
  const p2 = (a >>> 16) * b;
  out[0] = Math.imul(a, b);
  out[1] = Math.floor((p2 + Math.floor(p1 / 65536)) / 65536);
}

const words = new Uint32Array(8);
const tmp2 = new Uint32Array(2);

/** Unsigned 64x64 -> 128 multiply into `words[0..3]` (least significant first). */
function mulU64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  mulU32(aLo, bLo, tmp2);
  const w0 = tmp2[0]!;
  let w1 = tmp2[1]!;
  mulU32(aHi, bLo, tmp2);
  let t = w1 + tmp2[0]!;
  w1 = t >>> 0;
  let w2 = tmp2[1]! + (t > 0xffffffff ? 1 : 0);
  mulU32(aLo, bHi, tmp2);
  t = w1 + tmp2[0]!;
  w1 = t >>> 0;
  t = w2 + tmp2[1]! + (t > 0xffffffff ? 1 : 0);
  w2 = t >>> 0;
  let w3 = t > 0xffffffff ? 1 : 0;
  mulU32(aHi, bHi, tmp2);
  t = w2 + tmp2[0]!;
  w2 = t >>> 0;
  w3 = (w3 + tmp2[1]! + (t > 0xffffffff ? 1 : 0)) >>> 0;
  words[0] = w0;
  words[1] = w1;
  words[2] = w2;
  words[3] = w3;
}

/** Unsigned 64x64 -> 128 multiply into `out[0..3]` (least significant 32-bit word first); used by MULX. */
export function mulU64x64(aLo: number, aHi: number, bLo: number, bHi: number, out: Uint32Array): void {
  mulU64(aLo, aHi, bLo, bHi);
  out[0] = words[0]!;
  out[1] = words[1]!;
  out[2] = words[2]!;
  out[3] = words[3]!;
}

/**
 * MUL / IMUL producing a double-width result: `out` = low half, `out2` = high half (as for
 * the one-operand forms: AX, DX:AX, EDX:EAX, RDX:RAX). CF=OF=1 when the high half is
 * significant; SF/ZF/AF/PF undefined — we set SF/ZF/PF from the low half and clear AF
 * (what Intel processors do for MUL/IMUL).
 */
export function aluMul(
  s: CpuState,
  size: number,
  signed: boolean,
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
): void {
  let loLo: number;
  let loHi = 0;
  let hiLo: number;
  let hiHi = 0;
  let significant: boolean;
  if (size === 8) {
    mulU64(aLo, aHi, bLo, bHi);
    let w2 = words[2]!;
    let w3 = words[3]!;
    if (signed) {
      if (aHi >>> 31) {
        const lo = w2 - bLo;
        w3 = (w3 - bHi - (lo < 0 ? 1 : 0)) >>> 0;
        w2 = lo >>> 0;
      }
      if (bHi >>> 31) {
        const lo = w2 - aLo;
        w3 = (w3 - aHi - (lo < 0 ? 1 : 0)) >>> 0;
        w2 = lo >>> 0;
      }
    }
    loLo = words[0]!;
    loHi = words[1]!;
    hiLo = w2;
    hiHi = w3;
    if (signed) {
      const ext = loHi >>> 31 ? 0xffffffff : 0;
      significant = hiLo !== ext || hiHi !== ext;
    } else significant = (hiLo | hiHi) !== 0;
  } else if (size === 4) {
    if (signed) {
      const a = aLo | 0;
      const b = bLo | 0;
      mulU32(aLo, bLo, tmp2);
      let hi = tmp2[1]!;
      if (a < 0) hi -= bLo;
      if (b < 0) hi -= aLo;
      loLo = tmp2[0]!;
      hiLo = hi >>> 0;
      significant = hiLo !== (loLo >>> 31 ? 0xffffffff : 0);
    } else {
      mulU32(aLo, bLo, tmp2);
      loLo = tmp2[0]!;
      hiLo = tmp2[1]!;
      significant = hiLo !== 0;
    }
  } else {
    const bits = size * 8;
    const mask = sizeMask(size);
    let p: number;
    if (signed) {
      const a = (aLo << (32 - bits)) >> (32 - bits);
      const b = (bLo << (32 - bits)) >> (32 - bits);
      p = a * b;
      significant = p !== (p << (32 - bits)) >> (32 - bits);
    } else {
      p = aLo * bLo;
      significant = p > mask;
    }
    loLo = (p & mask) >>> 0;
    hiLo = ((p >> bits) & mask) >>> 0;
  }
  s.outLo = loLo;
  s.outHi = loHi;
  s.out2Lo = hiLo;
  s.out2Hi = hiHi;
  const cfof = significant ? FLAG_CF | FLAG_OF : 0;
  s.setFlags((s.getFlags() & ~(FLAG_CF | FLAG_OF | FLAG_SF | FLAG_ZF | FLAG_AF | 4)) | cfof | szp(size, loLo, loHi));
}

/**
 * DIV / IDIV of the double-width dividend `n` (`nHiHi:nHiLo:nLoHi:nLoLo`, the high part being
 * AH/DX/EDX/RDX) by `d`. Returns false for #DE (divide by zero or quotient overflow); on success
 * `out` = quotient, `out2` = remainder. Flags are undefined and left unchanged.
 */
export function aluDiv(
  s: CpuState,
  size: number,
  signed: boolean,
  nLoLo: number,
  nLoHi: number,
  nHiLo: number,
  nHiHi: number,
  dLo: number,
  dHi: number,
): boolean {
  if (size !== 8) {
    // Dividend fits in 2*size bytes; for size 4 it is EDX:EAX (64-bit), handled by long division below.
    if (size < 4) {
      const bits = size * 8;
      const mask = sizeMask(size);
      let n = nHiLo * (mask + 1) + nLoLo;
      let d = dLo;
      if (d === 0) return false;
      if (signed) {
        n = n >= 2 ** (2 * bits - 1) ? n - 2 ** (2 * bits) : n;
        d = (d << (32 - bits)) >> (32 - bits);
        const q = Math.trunc(n / d);
        const r = n - q * d;
        if (q > mask >>> 1 || q < -(mask >>> 1) - 1) return false;
        s.outLo = (q & mask) >>> 0;
        s.out2Lo = (r & mask) >>> 0;
      } else {
        const q = Math.floor(n / d);
        if (q > mask) return false;
        s.outLo = q;
        s.out2Lo = n - q * d;
      }
      s.outHi = 0;
      s.out2Hi = 0;
      return true;
    }
    // size 4: dividend EDX:EAX as a 64-bit value, divisor 32-bit.
    return divLong(s, 4, signed, nLoLo, nHiLo, 0, 0, dLo, 0);
  }
  return divLong(s, 8, signed, nLoLo, nLoHi, nHiLo, nHiHi, dLo, dHi);
}

/**
 * Long division of a (2*size)-byte dividend given as 32-bit words w0..w3 (w2/w3 zero for
 * size 4, where the dividend is w1:w0) by a size-byte divisor.
 */
function divLong(
  s: CpuState,
  size: number,
  signed: boolean,
  w0: number,
  w1: number,
  w2: number,
  w3: number,
  dLo: number,
  dHi: number,
): boolean {
  if ((dLo | dHi) === 0) return false;
  let negN = false;
  let negD = false;
  if (size === 4) {
    // Normalise to the 8-byte routine: dividend 64-bit in (w0,w1), divisor 32-bit.
    if (signed) {
      negN = w1 >>> 31 === 1;
      negD = dLo >>> 31 === 1;
      if (negN) [w0, w1] = neg64(w0, w1);
      if (negD) dLo = (-dLo >>> 0) >>> 0;
    }
    if (!udiv(0, 0, w1, w0, 0, dLo)) return false; // high 64 bits 0 -> quotient in 64 bits
    let qLo = words[4]!;
    const qHi = words[5]!;
    let r = words[6]!;
    if (signed) {
      if (qHi !== 0) return false;
      const neg = negN !== negD;
      if (neg ? qLo > 0x80000000 : qLo > 0x7fffffff) return false;
      if (neg) qLo = -qLo >>> 0;
      if (negN) r = -r >>> 0;
    } else if (qHi !== 0) return false;
    s.outLo = qLo;
    s.outHi = 0;
    s.out2Lo = r;
    s.out2Hi = 0;
    return true;
  }
  if (signed) {
    negN = w3 >>> 31 === 1;
    negD = dHi >>> 31 === 1;
    if (negN) {
      // negate 128-bit
      const a0 = ~w0 >>> 0;
      const a1 = ~w1 >>> 0;
      const a2 = ~w2 >>> 0;
      const a3 = ~w3 >>> 0;
      let t = a0 + 1;
      w0 = t >>> 0;
      t = a1 + (t > 0xffffffff ? 1 : 0);
      w1 = t >>> 0;
      t = a2 + (t > 0xffffffff ? 1 : 0);
      w2 = t >>> 0;
      w3 = (a3 + (t > 0xffffffff ? 1 : 0)) >>> 0;
    }
    if (negD) [dLo, dHi] = neg64(dLo, dHi);
  }
  if (!udiv(w3, w2, w1, w0, dHi, dLo)) return false;
  let qLo = words[4]!;
  let qHi = words[5]!;
  let rLo = words[6]!;
  let rHi = words[7]!;
  if (signed) {
    const neg = negN !== negD;
    const over = neg ? qHi > 0x80000000 || (qHi === 0x80000000 && qLo !== 0) : qHi > 0x7fffffff;
    if (over) return false;
    if (neg) [qLo, qHi] = neg64(qLo, qHi);
    if (negN) [rLo, rHi] = neg64(rLo, rHi);
  }
  s.outLo = qLo;
  s.outHi = qHi;
  s.out2Lo = rLo;
  s.out2Hi = rHi;
  return true;
}

function neg64(lo: number, hi: number): [number, number] {
  const nlo = (~lo + 1) >>> 0;
  pair[0] = nlo;
  pair[1] = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
  return pair;
}

/**
 * Unsigned 128/64 division, bit-serial. n = n3:n2:n1:n0, d = dHi:dLo. Requires n3:n2 < d
 * (else the quotient does not fit in 64 bits: returns false). Quotient -> words[4..5],
 * remainder -> words[6..7].
 */
function udiv(n3: number, n2: number, n1: number, n0: number, dHi: number, dLo: number): boolean {
  if (n3 > dHi || (n3 === dHi && n2 >= dLo)) return false;
  let rHi = n3;
  let rLo = n2;
  let qHi = n1;
  let qLo = n0;
  for (let i = 0; i < 64; i++) {
    const top = rHi >>> 31;
    rHi = ((rHi << 1) | (rLo >>> 31)) >>> 0;
    rLo = ((rLo << 1) | (qHi >>> 31)) >>> 0;
    qHi = ((qHi << 1) | (qLo >>> 31)) >>> 0;
    qLo = (qLo << 1) >>> 0;
    if (top === 1 || rHi > dHi || (rHi === dHi && rLo >= dLo)) {
      const lo = rLo - dLo;
      rHi = (rHi - dHi - (lo < 0 ? 1 : 0)) >>> 0;
      rLo = lo >>> 0;
      qLo = (qLo | 1) >>> 0;
    }
  }
  words[4] = qLo;
  words[5] = qHi;
  words[6] = rLo;
  words[7] = rHi;
  return true;
}

/** BSF/BSR result index, or -1 when the operand is zero. */
export function bitScan(size: number, lo: number, hi: number, reverse: boolean): number {
  if (size !== 8) hi = 0;
  if ((lo | hi) === 0) return -1;
  if (reverse) return hi !== 0 ? 63 - Math.clz32(hi) : 31 - Math.clz32(lo);
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  return 63 - Math.clz32(hi & -hi);
}

/** Population count of a 32-bit value. */
export function popcount32(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

export { FLAG_AF };
