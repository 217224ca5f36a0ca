/** Outcome of a translation, in {@link WalkResult.status}. */
export const WalkStatus = {
  /** Translated: {@link WalkResult.physical} is valid. */
  Ok: 0,
  /** #PF (vector 14): {@link WalkResult.errorCode} and CR2 = the linear address. */
  PageFault: 1,
  /** EPT violation (VM exit 48): see {@link WalkResult.eptQualification}. */
  EptViolation: 2,
  /** EPT misconfiguration (VM exit 49): {@link WalkResult.eptGuestPhysical} names the address. */
  EptMisconfig: 3,
  /** #GP(0): a PAE PDPTE with a reserved bit set was loaded (SDM 3A 4.4.1). */
  GeneralProtection: 4,
} as const;
/** One of the {@link WalkStatus} values. */
export type WalkStatus = (typeof WalkStatus)[keyof typeof WalkStatus];

/** Largest number of entries one walk can read: a 5-level guest walk through 5-level EPT. */
export const MAX_TRACE_ENTRIES = 6 * 5 + 5;

/** Which structure a traced entry belongs to. */
export const TraceKind = { Guest: 0, Ept: 1, PaePdpte: 2 } as const;
/** One of the {@link TraceKind} values. */
export type TraceKind = (typeof TraceKind)[keyof typeof TraceKind];

/** One paging-structure entry read during a walk, as returned by {@link WalkResult.entries}. */
export interface TracedEntry {
  readonly kind: TraceKind;
  /** 5..1 for guest paging (1 = PTE), 5..1 for EPT; 3 for a PAE PDPTE register. */
  readonly level: number;
  /** Physical address the entry was read from (host-physical for EPT and, with EPT, for guest entries too). */
  readonly address: number;
  /** The entry's value as read (before any A/D update), lo and hi 32 bits. */
  readonly lo: number;
  readonly hi: number;
}

/**
 * Caller-owned result of {@link pageWalk} / {@link eptWalk}: filled in place, never allocated by
 * the walk, so a cpu reuses one object for every translation.
 */
export class WalkResult {
  /** What the last walk ended with. */
  status: WalkStatus = WalkStatus.Ok;
  /** Final physical address (host-physical when EPT is on). */
  physical = 0;
  /** The linear address walked (lo/hi): CR2 for a #PF, the guest-linear address of an EPT exit. */
  linearLo = 0;
  linearHi = 0;
  /** Guest-physical address of the access (equals {@link physical} without EPT). */
  guestPhysical = 0;
  /** Size of the guest page that mapped the address: 4 KiB, 2 MiB, 4 MiB or 1 GiB (2^32 without paging). */
  pageSize = 0x1000;
  /** Combined rights ({@link RIGHT_WRITABLE}, {@link RIGHT_USER}, {@link RIGHT_NO_EXECUTE}). */
  rights = 0;
  /** Protection key of the leaf entry (IA-32e paging), else 0. */
  pkey = 0;
  /** The leaf entry had G=1 and CR4.PGE=1. */
  global = false;
  /** The leaf entry's dirty flag after this access. */
  dirty = false;
  /** Exception vector when {@link status} is PageFault (14) or GeneralProtection (13). */
  vector = 0;
  /** #PF or #GP error code. */
  errorCode = 0;
  /** EPT: exit qualification of an EPT violation (SDM 3C 28.2.1, table 28-7). */
  eptQualification = 0;
  /** EPT: guest-physical address that caused the violation or misconfiguration. */
  eptGuestPhysical = 0;
  /** EPT: the AND of the R/W/X bits (2:0) of the EPT entries used by the last EPT translation. */
  eptRights = 0;
  /** EPT: memory type of the leaf EPT entry (bits 5:3) and its IPAT bit. */
  eptMemoryType = 0;
  /** EPT: the leaf's IPAT bit (ignore the guest PAT). */
  eptIgnorePat = false;
  /** Memory references made by the walk (entry reads; A/D writes not counted). */
  memoryReferences = 0;

  /** Set to record every entry read (see {@link entries}). Off by default: tracing costs time. */
  trace = false;
  /** Number of entries recorded. */
  traceCount = 0;
  /** Trace columns, one row per entry read (see {@link entries} for the object form). */
  readonly traceKind = new Uint8Array(MAX_TRACE_ENTRIES);
  readonly traceLevel = new Uint8Array(MAX_TRACE_ENTRIES);
  readonly traceAddress = new Float64Array(MAX_TRACE_ENTRIES);
  readonly traceLo = new Uint32Array(MAX_TRACE_ENTRIES);
  readonly traceHi = new Uint32Array(MAX_TRACE_ENTRIES);

  /** The recorded entries as objects, in the order read (allocates; for tools and tests). */
  entries(): TracedEntry[] {
    const list: TracedEntry[] = [];
    for (let i = 0; i < this.traceCount; i++) {
      list.push({
        kind: this.traceKind[i] as TraceKind,
        level: this.traceLevel[i]!,
        address: this.traceAddress[i]!,
        lo: this.traceLo[i]!,
        hi: this.traceHi[i]!,
      });
    }
    return list;
  }

  /** @internal Records one entry when tracing. */
  record(kind: TraceKind, level: number, address: number, lo: number, hi: number): void {
    if (!this.trace || this.traceCount >= MAX_TRACE_ENTRIES) return;
    const i = this.traceCount++;
    this.traceKind[i] = kind;
    this.traceLevel[i] = level;
    this.traceAddress[i] = address;
    this.traceLo[i] = lo;
    this.traceHi[i] = hi;
  }

  /** @internal Clears the per-walk fields. */
  reset(): void {
    this.status = WalkStatus.Ok;
    this.vector = 0;
    this.errorCode = 0;
    this.eptQualification = 0;
    this.eptGuestPhysical = 0;
    this.memoryReferences = 0;
    this.traceCount = 0;
    this.global = false;
    this.dirty = false;
    this.pkey = 0;
  }
}
