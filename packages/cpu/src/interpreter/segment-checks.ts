// Segment-limit and type checks on memory accesses (SDM 3A 5.3 "Limit Checking", 5.4 "Type
// Checking", 5.4.1 null selectors) and the canonical-address rule of 64-bit mode (SDM 3A 3.3.7.1).
//
// The checks sit on the hot memory path, so they are split in two: `segmentFastBits` runs when a
// segment register (or the mode) changes and says which kinds of access can never fail through
// it; `segmentAccessVector` is the full check, run only when those bits say it is needed.
import { AR_DB, AR_S, AR_UNUSABLE, type CpuState, SEG_SS } from '../state/cpu-state.ts';

/** `Cpu.segOk` bit: reads through the segment need no check (expand-up, limit 4 GiB - 1, readable). */
export const SEG_OK_READ = 1;
/** `Cpu.segOk` bit: writes through the segment need no check (expand-up, limit 4 GiB - 1, writable data). */
export const SEG_OK_WRITE = 2;

/** How segmentation treats accesses in the current mode. */
export const SegMode = {
  /** Real and virtual-8086 mode: limits are checked, types and usability are not. */
  RealOrV86: 0,
  /** Protected mode and compatibility mode: limits, types and usability. */
  Protected: 1,
  /** 64-bit mode: no limit or type checks, only canonical addresses (SDM 3A 3.4.4, 5.3.1). */
  Long64: 2,
} as const;
/** One of the {@link SegMode} values. */
export type SegMode = (typeof SegMode)[keyof typeof SegMode];

/** #SS (SDM 3A 6.15, vector 12). */
const VECTOR_SS = 12;
/** #GP (SDM 3A 6.15, vector 13). */
const VECTOR_GP = 13;
/** Descriptor type bits (SDM 3A 3.4.5.1). */
const TYPE_WRITABLE_OR_READABLE = 1 << 1;
const TYPE_EXPAND_DOWN = 1 << 2;
const TYPE_CODE = 1 << 3;

function isExpandDownData(attr: number): boolean {
  return (attr & (AR_S | TYPE_CODE | TYPE_EXPAND_DOWN)) === (AR_S | TYPE_EXPAND_DOWN);
}

/**
 * The {@link SEG_OK_READ} / {@link SEG_OK_WRITE} bits of segment `seg`: set only when no access
 * of that kind, at any offset and size, can fail the limit or type check. A flat 4-GiB data
 * segment gets both, a flat code segment only the read bit, a real-mode 64-KiB segment none.
 */
export function segmentFastBits(state: CpuState, seg: number, mode: SegMode): number {
  if (mode === SegMode.Long64) return SEG_OK_READ | SEG_OK_WRITE;
  const attr = state.segAttr[seg]!;
  if (state.segLimit[seg] !== 0xffffffff || isExpandDownData(attr)) return 0;
  if (mode === SegMode.RealOrV86) return SEG_OK_READ | SEG_OK_WRITE;
  if (attr & AR_UNUSABLE) return 0;
  if (attr & TYPE_CODE) return attr & TYPE_WRITABLE_OR_READABLE ? SEG_OK_READ : 0;
  return attr & TYPE_WRITABLE_OR_READABLE ? SEG_OK_READ | SEG_OK_WRITE : SEG_OK_READ;
}

/**
 * The full check of an access of `size` bytes at `offset` (the effective address before the base
 * is added) through segment `seg`: 0 when it passes, else the vector to raise with error code 0 —
 * #SS for SS, #GP for the others (SDM 3A 6.15 "Interrupt 12", "Interrupt 13").
 *
 * Protected mode first checks usability (a null selector, SDM 3A 5.4.1) and type (no writes to
 * code or read-only data, no reads of execute-only code); every mode then checks the limit, with
 * expand-down data segments valid from limit + 1 up to FFFFH or FFFFFFFFH by their B bit.
 */
export function segmentAccessVector(
  state: CpuState,
  seg: number,
  offset: number,
  size: number,
  write: boolean,
  mode: SegMode,
): number {
  if (mode === SegMode.Long64) return 0;
  const vector = seg === SEG_SS ? VECTOR_SS : VECTOR_GP;
  const attr = state.segAttr[seg]!;
  if (mode === SegMode.Protected) {
    if (attr & AR_UNUSABLE) return vector;
    if (attr & TYPE_CODE) {
      if (write || (attr & TYPE_WRITABLE_OR_READABLE) === 0) return vector;
    } else if (write && (attr & TYPE_WRITABLE_OR_READABLE) === 0) return vector;
  }
  const start = offset >>> 0;
  const end = start + size - 1;
  const limit = state.segLimit[seg]!;
  if (isExpandDownData(attr)) {
    const upper = attr & AR_DB ? 0xffffffff : 0xffff;
    return start <= limit || end > upper ? vector : 0;
  }
  return end > limit ? vector : 0;
}

/**
 * True when bits 63:47 (63:56 when `shift` is 24, i.e. LA57) of a 64-bit linear address whose
 * high half is `hi` are all equal (SDM 3A 3.3.7.1). `shift` is 15 for 4-level paging.
 */
export function isCanonical(hi: number, shift: number): boolean {
  const top = (hi | 0) >> shift;
  return top === 0 || top === -1;
}
