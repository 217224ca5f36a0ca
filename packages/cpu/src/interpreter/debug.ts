// Debug-register breakpoint matching (SDM 3B 17.2): which of DR0-DR3 an instruction fetch or a
// data access matches, from DR7's R/W and LEN fields. The CPU calls these only while DR7 has an
// enable bit set or RFLAGS.TF/RF is set, so code without debugging pays nothing.
//
// Register layout: `dr` is the CPU state's Uint32Array of lo/hi pairs, DRn at [2n] (low 32 bits)
// and [2n + 1] (high 32 bits); DR6 is at [12] and DR7 at [14].

/** DR6.B0-B3: breakpoint n's condition was met (SDM 3B 17.2.3). */
export const DR6_B_MASK = 0xf;
/** DR6.BS: the #DB is the single-step trap of RFLAGS.TF (SDM 3B 17.2.3). */
export const DR6_BS = 1 << 14;
/** CR4.DE: debugging extensions, which give DR7 R/W = 10 its I/O meaning (SDM 3A 2.5). */
export const CR4_DE = 1 << 3;
/** DR7 L0/G0-L3/G3: the local and global enable bits of the four breakpoints (SDM 3B 17.2.4). */
export const DR7_ENABLES = 0xff;

/** DR7 R/Wn values (SDM 3B 17.2.4). */
export const BreakpointKind = {
  /** Break on instruction execution only. */
  Execute: 0,
  /** Break on data writes only. */
  Write: 1,
  /** Break on I/O reads or writes (needs CR4.DE). */
  Io: 2,
  /** Break on data reads or writes, not instruction fetches. */
  ReadWrite: 3,
} as const;
/** One of the {@link BreakpointKind} values. */
export type BreakpointKind = (typeof BreakpointKind)[keyof typeof BreakpointKind];

/** Bits n (0-3) set for each breakpoint DR7 enables locally or globally. */
export function enabledBreakpoints(dr7: number): number {
  let m = 0;
  for (let n = 0; n < 4; n++) if ((dr7 >>> (2 * n)) & 3) m |= 1 << n;
  return m;
}

/** Bits n (0-3) set for each enabled breakpoint that watches data or I/O (R/W other than 00). */
export function enabledDataBreakpoints(dr7: number): number {
  let m = 0;
  for (let n = 0; n < 4; n++) if ((dr7 >>> (2 * n)) & 3 && (dr7 >>> (16 + 4 * n)) & 3) m |= 1 << n;
  return m;
}

/** Breakpoint n's R/W field: what kind of access it watches. */
export function breakpointKind(dr7: number, n: number): BreakpointKind {
  return ((dr7 >>> (16 + 4 * n)) & 3) as BreakpointKind;
}

/**
 * Breakpoint n's length in bytes from its LEN field: 00 = 1, 01 = 2, 11 = 4, 10 = 8 (SDM 3B
 * 17.2.5; 8 is defined for long mode and model-specific elsewhere — we treat it as 8 everywhere).
 */
export function breakpointLength(dr7: number, n: number): number {
  const len = (dr7 >>> (18 + 4 * n)) & 3;
  return len === 0 ? 1 : len === 1 ? 2 : len === 3 ? 4 : 8;
}

/**
 * DR6.B0-B3 bits of the instruction breakpoints (R/W = 00) at linear address lo/hi, enabled or
 * not. LEN is ignored (an instruction breakpoint should have LEN 00; the SDM leaves other lengths
 * undefined, we match the first byte).
 */
export function codeBreakpointHits(dr: Uint32Array, lo: number, hi: number): number {
  const dr7 = dr[14]!;
  let hits = 0;
  for (let n = 0; n < 4; n++) {
    if (breakpointKind(dr7, n) === BreakpointKind.Execute && dr[2 * n] === lo && dr[2 * n + 1] === hi) hits |= 1 << n;
  }
  return hits;
}

/**
 * DR6.B0-B3 bits of the data breakpoints that a `size`-byte access at linear lo/hi matches,
 * enabled or not: R/W = 01 for writes, R/W = 11 for reads and writes. The breakpoint covers LEN
 * bytes from its address with the low bits cleared (SDM 3B 17.2.5: a LEN-byte breakpoint is
 * aligned to LEN; the processor ignores the low address bits), and any overlap with the accessed
 * bytes matches. An access that wraps past a 4 GiB boundary is compared within its first half.
 */
export function dataBreakpointHits(dr: Uint32Array, lo: number, hi: number, size: number, write: boolean): number {
  const dr7 = dr[14]!;
  let hits = 0;
  for (let n = 0; n < 4; n++) {
    const kind = breakpointKind(dr7, n);
    if (kind !== BreakpointKind.ReadWrite && (kind !== BreakpointKind.Write || !write)) continue;
    if (dr[2 * n + 1] !== hi) continue;
    const len = breakpointLength(dr7, n);
    const base = (dr[2 * n]! & ~(len - 1)) >>> 0;
    if (lo < base + len && base < lo + size) hits |= 1 << n;
  }
  return hits;
}

/**
 * DR6.B0-B3 bits of the I/O breakpoints (R/W = 10, meaningful only with CR4.DE) that a `size`-byte
 * access to `port` matches, enabled or not (SDM 3B 17.2.4; same LEN and alignment rules as data).
 */
export function ioBreakpointHits(dr: Uint32Array, port: number, size: number): number {
  const dr7 = dr[14]!;
  let hits = 0;
  for (let n = 0; n < 4; n++) {
    if (breakpointKind(dr7, n) !== BreakpointKind.Io) continue;
    const len = breakpointLength(dr7, n);
    const base = (dr[2 * n]! & 0xffff & ~(len - 1)) >>> 0;
    if (port < base + len && base < port + size) hits |= 1 << n;
  }
  return hits;
}
