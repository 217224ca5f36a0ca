import { FLAG_AF, FLAG_CF, FLAG_FIXED1, FLAG_OF, FLAG_PF, FLAG_SF, FLAG_ZF, FLAGS_ARITH } from './flags.ts';

/** Segment register indexes, in VMCS order (SDM 3D Appendix B). */
export const SEG_ES = 0;
export const SEG_CS = 1;
export const SEG_SS = 2;
export const SEG_DS = 3;
export const SEG_FS = 4;
export const SEG_GS = 5;
export const SEG_LDTR = 6;
export const SEG_TR = 7;

/** Access-rights bits in the VMCS format (SDM 3C 25.4.1): type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15, unusable 16. */
export const AR_TYPE = 0xf;
export const AR_S = 1 << 4;
export const AR_DPL_SHIFT = 5;
export const AR_P = 1 << 7;
export const AR_L = 1 << 13;
export const AR_DB = 1 << 14;
export const AR_G = 1 << 15;
export const AR_UNUSABLE = 1 << 16;

/**
 * How the arithmetic flags are to be computed from the last result (lazy flags).
 * `None`: `flagsValue` holds them. Otherwise they follow from `lazyDst/lazySrc/lazyRes`
 * (lo/hi pairs), the operand size and the carry-in.
 */
export const enum LazyOp {
  None = 0,
  Add = 1,
  Sub = 2,
  Logic = 3,
  Inc = 4,
  Dec = 5,
}

const PARITY = /* @__PURE__ */ (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let b = i;
    b ^= b >> 4;
    b ^= b >> 2;
    b ^= b >> 1;
    t[i] = b & 1 ? 0 : FLAG_PF;
  }
  return t;
})();

/** PF for a result byte (SDM: set if the low byte has an even number of 1 bits). */
export function parityFlag(byte: number): number {
  return PARITY[byte & 0xff]!;
}

/**
 * The architectural state of one logical processor, in typed arrays.
 *
 * GPRs: 16 registers as lo/hi unsigned 32-bit pairs in `gpr32` (`gpr32[2n]` = bits 31:0 of
 * register n, `gpr32[2n+1]` = bits 63:32). `gpr16` and `gpr8` alias the same bytes, so
 * `gpr16[4n]` is AX/CX/.. and `gpr8[8n]` / `gpr8[8n+1]` are AL / AH (little-endian host, which
 * every JavaScript engine in use is). Lo/hi pairs were chosen over Float64 because 64-bit
 * logic and shifts need the halves anyway and a Float64 cannot hold every 64-bit value.
 */
export class CpuState {
  readonly buffer = new ArrayBuffer(16 * 8);
  readonly gpr32 = new Uint32Array(this.buffer);
  readonly gpr16 = new Uint16Array(this.buffer);
  readonly gpr8 = new Uint8Array(this.buffer);
  ripLo = 0;
  ripHi = 0;
  /** RFLAGS with the arithmetic flags valid only when `lazyOp === LazyOp.None`. */
  flagsValue = FLAG_FIXED1;
  lazyOp: LazyOp = LazyOp.None;
  /** Operand size in bytes of the lazy operation. */
  lazySize = 4;
  lazyDstLo = 0;
  lazyDstHi = 0;
  lazySrcLo = 0;
  lazySrcHi = 0;
  lazyResLo = 0;
  lazyResHi = 0;
  /** Carry-in of ADC/SBB; the preserved CF (as FLAG_CF or 0) of INC/DEC. */
  lazyCarry = 0;
  /** Output of the ALU functions (`src/alu`): result lo/hi, and a second result (high half of MUL, remainder of DIV). */
  outLo = 0;
  outHi = 0;
  out2Lo = 0;
  out2Hi = 0;
  /** Segment registers (index `SEG_*`): selector and hidden part; `segAttr` uses the VMCS access-rights layout. */
  readonly segSelector = new Uint16Array(8);
  readonly segBaseLo = new Uint32Array(8);
  readonly segBaseHi = new Uint32Array(8);
  readonly segLimit = new Uint32Array(8);
  readonly segAttr = new Uint32Array(8);
  /** CR0 (power-up value 60000010H, SDM 3A 10.1.1). */
  cr0 = 0x60000010;
  cr2Lo = 0;
  cr2Hi = 0;
  cr3Lo = 0;
  cr3Hi = 0;
  cr4 = 0;
  /** CR8 = TPR bits 7:4 (SDM 3A 2.5). */
  cr8 = 0;
  /** IA32_EFER low 32 bits (SCE 0, LME 8, LMA 10, NXE 11). */
  efer = 0;
  gdtrBaseLo = 0;
  gdtrBaseHi = 0;
  gdtrLimit = 0xffff;
  idtrBaseLo = 0;
  idtrBaseHi = 0;
  idtrLimit = 0xffff;
  /** DR0-DR7 as lo/hi pairs (DR4/DR5 alias DR6/DR7 when CR4.DE=0). */
  readonly dr = new Uint32Array(16);
  /** Time-stamp counter; a plain number (at 10^9 increments per second it stays exact for 104 days). */
  tsc = 0;
  /** XCR0 (XFEATURE_ENABLED_MASK) low 32 bits; the high half is always 0 (SDM 1 13.3). */
  xcr0 = 1;
  /** State of the deterministic generator behind RDRAND/RDSEED (xorshift32, never 0). */
  randomState = 0x2545f491;
  /** Other MSRs by index, value as lo/hi pair. */
  readonly msrs = new Map<number, Uint32Array>();

  constructor() {
    this.dr[12] = 0xffff0ff0; // DR6 power-up value
    this.dr[14] = 0x400; // DR7
  }

  /** The full RFLAGS (low 32 bits), materializing the lazy arithmetic flags. */
  getFlags(): number {
    if (this.lazyOp === LazyOp.None) return this.flagsValue;
    return (this.flagsValue & ~FLAGS_ARITH) | this.arithFlags();
  }

  /** Sets RFLAGS; bit 1 is forced to 1 and the lazy state is dropped. */
  setFlags(value: number): void {
    this.flagsValue = (value | FLAG_FIXED1) >>> 0;
    this.lazyOp = LazyOp.None;
  }

  /** CF as 0/1 without materializing the other flags. */
  carry(): number {
    if (this.lazyOp === LazyOp.None) return this.flagsValue & FLAG_CF;
    return this.arithFlags() & FLAG_CF;
  }

  /** Replaces the arithmetic flags (eager form): `value` holds CF/PF/AF/ZF/SF/OF at their bit positions. */
  setArith(value: number): void {
    this.flagsValue = (this.getFlags() & ~FLAGS_ARITH) | (value & FLAGS_ARITH);
    this.lazyOp = LazyOp.None;
  }

  private arithFlags(): number {
    const size = this.lazySize;
    const rLo = this.lazyResLo;
    const rHi = this.lazyResHi;
    const dLo = this.lazyDstLo;
    const sLo = this.lazySrcLo;
    let f = PARITY[rLo & 0xff]!;
    let signBit: number;
    let rTop: number;
    let dTop: number;
    let sTop: number;
    if (size === 8) {
      signBit = 0x80000000;
      rTop = rHi;
      dTop = this.lazyDstHi;
      sTop = this.lazySrcHi;
      if ((rLo | rHi) === 0) f |= FLAG_ZF;
    } else {
      signBit = size === 4 ? 0x80000000 : size === 2 ? 0x8000 : 0x80;
      rTop = rLo;
      dTop = dLo;
      sTop = sLo;
      if (rLo === 0) f |= FLAG_ZF;
    }
    if ((rTop & signBit) !== 0) f |= FLAG_SF;
    switch (this.lazyOp) {
      case LazyOp.Add: {
        f |= (dLo ^ sLo ^ rLo) & FLAG_AF;
        if (((dTop ^ rTop) & (sTop ^ rTop) & signBit) !== 0) f |= FLAG_OF;
        // Carry out of the top bit: compare the true sum with the truncated result.
        if (size === 8) {
          const lo = dLo + sLo + this.lazyCarry;
          const hi = this.lazyDstHi + this.lazySrcHi + (lo > 0xffffffff ? 1 : 0);
          if (hi > 0xffffffff) f |= FLAG_CF;
        } else if (dLo + sLo + this.lazyCarry > (size === 4 ? 0xffffffff : signBit * 2 - 1)) f |= FLAG_CF;
        break;
      }
      case LazyOp.Sub: {
        f |= (dLo ^ sLo ^ rLo) & FLAG_AF;
        if (((dTop ^ sTop) & (dTop ^ rTop) & signBit) !== 0) f |= FLAG_OF;
        if (size === 8) {
          const borrow = dLo < sLo + this.lazyCarry ? 1 : 0;
          if (this.lazyDstHi < this.lazySrcHi + borrow) f |= FLAG_CF;
        } else if (dLo < sLo + this.lazyCarry) f |= FLAG_CF;
        break;
      }
      case LazyOp.Logic:
        break;
      case LazyOp.Inc:
        f |= this.lazyCarry | ((dLo ^ rLo) & FLAG_AF);
        if ((rTop & ~dTop & signBit) !== 0) f |= FLAG_OF;
        break;
      case LazyOp.Dec:
        f |= this.lazyCarry | ((dLo ^ rLo) & FLAG_AF);
        if ((dTop & ~rTop & signBit) !== 0) f |= FLAG_OF;
        break;
    }
    return f;
  }
}
