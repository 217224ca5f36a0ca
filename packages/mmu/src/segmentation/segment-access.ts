// Checks on each memory access through a segment (SDM 3A 5.3, 5.4, 3.3.7.1) and the
// effective-to-linear address calculation.
import { TYPE_CODE, TYPE_EXPAND_DOWN_OR_CONFORMING, TYPE_WRITABLE_OR_READABLE } from './descriptor.ts';
import { type SegmentFault, type SegmentRegister, SegReg, VECTOR_GP_SEG, VECTOR_SS } from './segment-register.ts';
import { CpuMode } from './selector-load.ts';

/** Kinds of segment access. */
export const SegAccess = { Read: 0, Write: 1, Execute: 2 } as const;
/** One of the {@link SegAccess} values. */
export type SegAccess = (typeof SegAccess)[keyof typeof SegAccess];

/**
 * Checks an access of `size` bytes at 32-bit `offset` through `seg` (register `reg`): usability,
 * type (no writes to code or read-only data, no reads of execute-only code) and limit, including
 * expand-down segments whose valid offsets are (limit, 0xFFFF or 0xFFFFFFFF by D/B]. Real and
 * virtual-8086 modes check the limit only. In 64-bit mode nothing is checked here (use
 * {@link checkCanonical} on the linear address).
 *
 * Returns true, or false with #SS(0) for SS and #GP(0) for every other register.
 */
export function checkSegmentAccess(
  mode: CpuMode,
  reg: SegReg,
  seg: SegmentRegister,
  offset: number,
  size: number,
  kind: SegAccess,
  fault: SegmentFault,
): boolean {
  if (mode === CpuMode.Long64) return true;
  const vector = reg === SegReg.SS ? VECTOR_SS : VECTOR_GP_SEG;
  const ar = seg.accessRights;
  const type = ar & 0xf;
  const code = (type & TYPE_CODE) !== 0;
  const protectedMode = mode === CpuMode.Protected || mode === CpuMode.Compatibility;
  if (protectedMode) {
    if (seg.unusable) return fault.raise(vector, 0);
    if (code) {
      if (kind === SegAccess.Write) return fault.raise(vector, 0);
      if (kind === SegAccess.Read && (type & TYPE_WRITABLE_OR_READABLE) === 0) return fault.raise(vector, 0);
    } else {
      if (kind === SegAccess.Execute) return fault.raise(vector, 0);
      if (kind === SegAccess.Write && (type & TYPE_WRITABLE_OR_READABLE) === 0) return fault.raise(vector, 0);
    }
  }
  const start = offset >>> 0;
  const end = start + size - 1;
  if (!code && (type & TYPE_EXPAND_DOWN_OR_CONFORMING) !== 0 && (ar & (1 << 4)) !== 0) {
    const upper = seg.big ? 0xffffffff : 0xffff;
    if (start <= seg.limit || end > upper) return fault.raise(vector, 0);
    return true;
  }
  if (end > seg.limit) return fault.raise(vector, 0);
  return true;
}

/**
 * Canonical check of a 64-bit linear address (SDM 3A 3.3.7.1): bits 63:47 (63:56 with LA57) must
 * all equal bit 47 (56). Returns true, or false with #SS(0) for stack references, else #GP(0).
 */
export function checkCanonical(_lo: number, hi: number, la57: boolean, stack: boolean, fault: SegmentFault): boolean {
  const top = la57 ? hi >>> 24 : hi >>> 15;
  const ones = la57 ? 0xff : 0x1ffff;
  if (top === 0 || top === ones) return true;
  return fault.raise(stack ? VECTOR_SS : VECTOR_GP_SEG, 0);
}

/**
 * Effective address to linear address into `out[0]` (bits 31:0) and `out[1]` (bits 63:32). In
 * 64-bit mode only FS and GS add their base (SDM 3A 3.2.4); elsewhere base + offset wraps at 4 GiB.
 */
export function linearAddress(
  mode: CpuMode,
  reg: SegReg,
  seg: SegmentRegister,
  offsetLo: number,
  offsetHi: number,
  out: Uint32Array,
): void {
  if (mode !== CpuMode.Long64) {
    out[0] = (seg.baseLo + offsetLo) >>> 0;
    out[1] = 0;
    return;
  }
  if (reg !== SegReg.FS && reg !== SegReg.GS) {
    out[0] = offsetLo >>> 0;
    out[1] = offsetHi >>> 0;
    return;
  }
  const sum = (seg.baseLo >>> 0) + (offsetLo >>> 0);
  out[0] = sum >>> 0;
  out[1] = (seg.baseHi + offsetHi + (sum > 0xffffffff ? 1 : 0)) >>> 0;
}
