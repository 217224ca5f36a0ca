import { MmuError } from '../errors.ts';
import { checkAccess } from '../paging/access-rights.ts';
import {
  ACCESS_NO_AD_UPDATE,
  ACCESS_WRITE,
  CR0_PG,
  CR4_PAE,
  CR4_PCIDE,
  CR4_PGE,
  CR4_SMEP,
} from '../paging/control-bits.ts';
import { pageWalk } from '../paging/page-walk.ts';
import type { PagingMemory } from '../paging/paging-memory.ts';
import { PagingMode, type PagingState } from '../paging/paging-state.ts';
import type { WalkResult } from '../paging/walk-result.ts';

const VALID = 1 << 0;
// bits 1..4: RIGHT_WRITABLE, RIGHT_USER, RIGHT_NO_EXECUTE, RIGHT_SHADOW_STACK (the walk's positions)
const RIGHTS_MASK = 0b1_1110;
const DIRTY = 1 << 5;
const GLOBAL = 1 << 6;
const IA32E = 1 << 7;
const PKEY_SHIFT = 8;

/** INVPCID types (SDM 2 INVPCID). */
export const InvpcidType = {
  IndividualAddress: 0,
  SingleContext: 1,
  AllContextsWithGlobals: 2,
  AllContexts: 3,
} as const;
/** INVVPID types (SDM 3C 31.3 INVVPID). */
export const InvvpidType = {
  IndividualAddress: 0,
  SingleContext: 1,
  AllContexts: 2,
  SingleContextRetainingGlobals: 3,
} as const;
/** INVEPT types (SDM 3C 31.3 INVEPT). */
export const InveptType = { SingleContext: 1, AllContexts: 2 } as const;

/**
 * A translation lookaside buffer: direct-mapped, in flat typed arrays indexed by linear page
 * number, tagged by PCID, VPID and EPT root (EP4TA), with global entries shared by all PCIDs.
 * Large pages are cached as 4 KiB fragments (which SDM 3A 4.10.2.3 allows); invalidating any
 * part of a large page drops all its fragments.
 *
 * It behaves as the SDM lets hardware behave: a translation stays cached after the page tables
 * change until software invalidates it (INVLPG, INVPCID, MOV to CR3/CR4/CR0 as SDM 3A 4.10.4.1
 * lists, INVVPID, INVEPT), so a guest that forgets to invalidate sees the stale mapping. Rights are
 * checked on every hit against the current CR0.WP/CR4/PKRU; an access the cached rights deny, or a
 * write to a clean page, re-walks the tables (a fault always comes from a fresh walk).
 *
 * @example
 * ```ts
 * const tlb = new Tlb();
 * const out = new WalkResult();
 * if (tlb.translate(mem, state, lo, hi, ACCESS_READ, out)) use(out.physical);
 * tlb.invlpg(state, lo, hi);
 * ```
 */
export class Tlb {
  /** VPID of the running context (0 = the host / VPID disabled); set by the VMX model. */
  vpid = 0;
  /** Hits and misses since construction (for benches and tests). */
  hits = 0;
  misses = 0;

  private readonly mask: number;
  private readonly vpnLo: Int32Array;
  private readonly vpnHi: Int32Array;
  private readonly pcid: Uint16Array;
  private readonly vpids: Uint16Array;
  private readonly eptTag: Float64Array;
  private readonly page: Float64Array;
  private readonly info: Uint16Array;
  /** log2 of the page size in 4 KiB units (0, 9, 10, 18). */
  private readonly sizeShift: Uint8Array;
  private largeEntries = 0;

  /** `size` entries, a power of two (default 1024). */
  constructor(readonly size = 1024) {
    if (size < 1 || (size & (size - 1)) !== 0) throw new MmuError('BAD_ARGUMENT', 'TLB size must be a power of two');
    this.mask = size - 1;
    this.vpnLo = new Int32Array(size);
    this.vpnHi = new Int32Array(size);
    this.pcid = new Uint16Array(size);
    this.vpids = new Uint16Array(size);
    this.eptTag = new Float64Array(size);
    this.page = new Float64Array(size);
    this.info = new Uint16Array(size);
    this.sizeShift = new Uint8Array(size);
  }

  /** Number of valid entries (a linear scan; for tests and tools). */
  validEntries(): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if ((this.info[i]! & VALID) !== 0) n++;
    return n;
  }

  /**
   * Looks the address up. Returns the physical address on a hit whose cached rights allow the
   * access (checked against the current control registers), else -1 (a miss: walk the tables).
   */
  lookup(state: PagingState, linearLo: number, linearHi: number, access: number): number {
    const vLo = (linearLo >>> 12) | (linearHi << 20);
    const vHi = linearHi >>> 12;
    const pcid = currentPcid(state);
    // Non-global entries sit in the slot hashed with their PCID, global ones in the PCID-0 slot.
    let i = this.slot(vLo, pcid);
    let info = this.info[i]!;
    if (!this.hit(i, info, vLo, vHi, pcid, state)) {
      if (pcid === 0) return -1;
      i = vLo & this.mask;
      info = this.info[i]!;
      if ((info & GLOBAL) === 0 || !this.hit(i, info, vLo, vHi, pcid, state)) return -1;
    }
    if ((access & ACCESS_WRITE) !== 0 && (info & DIRTY) === 0) return -1; // the walk must set D
    const denied = checkAccess(
      state.cr0,
      state.cr4,
      state.efer,
      state.pkru,
      state.pkrs,
      (info & IA32E) !== 0,
      access,
      info & RIGHTS_MASK,
      (info >>> PKEY_SHIFT) & 0xf,
    );
    if (denied !== 0) {
      // SDM 3A 4.10.4.2: a fault invalidates the entries for the address; the walk decides.
      this.info[i] = 0;
      return -1;
    }
    return this.page[i]! + (linearLo & 0xfff);
  }

  private slot(vLo: number, pcid: number): number {
    return (vLo ^ Math.imul(pcid, 0x9e37)) & this.mask;
  }

  private hit(i: number, info: number, vLo: number, vHi: number, pcid: number, state: PagingState): boolean {
    return (
      (info & VALID) !== 0 &&
      this.vpnLo[i] === vLo &&
      this.vpnHi[i] === vHi &&
      this.vpids[i] === this.vpid &&
      this.eptTag[i] === eptTagOf(state) &&
      ((info & GLOBAL) !== 0 || this.pcid[i] === pcid)
    );
  }

  /** Caches the successful walk in `result` for the 4 KiB fragment containing the address. */
  fill(state: PagingState, linearLo: number, linearHi: number, result: WalkResult): void {
    const vLo = (linearLo >>> 12) | (linearHi << 20);
    const i = this.slot(vLo, result.global ? 0 : currentPcid(state));
    if ((this.info[i]! & VALID) !== 0 && this.sizeShift[i] !== 0) this.largeEntries--;
    this.vpnLo[i] = vLo;
    this.vpnHi[i] = linearHi >>> 12;
    this.pcid[i] = currentPcid(state);
    this.vpids[i] = this.vpid;
    this.eptTag[i] = eptTagOf(state);
    this.page[i] = result.physical - (linearLo & 0xfff);
    const mode = state.mode();
    this.info[i] =
      VALID |
      result.rights |
      (result.dirty ? DIRTY : 0) |
      (result.global ? GLOBAL : 0) |
      (mode === PagingMode.Level4 || mode === PagingMode.Level5 ? IA32E : 0) |
      (result.pkey << PKEY_SHIFT);
    const shift =
      result.pageSize >= 0x4000_0000 ? 18 : result.pageSize >= 0x40_0000 ? 10 : result.pageSize >= 0x20_0000 ? 9 : 0;
    this.sizeShift[i] = shift;
    if (shift !== 0) this.largeEntries++;
  }

  /**
   * Translates through the TLB, walking the tables (and filling the TLB) on a miss. Same contract
   * as {@link pageWalk}; on a hit only `out.physical` is updated.
   */
  translate(
    memory: PagingMemory,
    state: PagingState,
    linearLo: number,
    linearHi: number,
    access: number,
    out: WalkResult,
  ): boolean {
    const hit = this.lookup(state, linearLo, linearHi, access);
    if (hit >= 0) {
      this.hits++;
      out.status = 0;
      out.physical = hit;
      return true;
    }
    this.misses++;
    if (!pageWalk(memory, state, linearLo, linearHi, access, out)) return false;
    if ((access & ACCESS_NO_AD_UPDATE) === 0 && state.mode() !== PagingMode.None) {
      this.fill(state, linearLo, linearHi, out);
    }
    return true;
  }

  /** Drops every entry. */
  flushAll(): void {
    this.info.fill(0);
    this.largeEntries = 0;
  }

  /**
   * INVLPG: drops the entries for the page containing the address for the current PCID and VPID,
   * global ones included, and every fragment of a large page containing it (SDM 3A 4.10.4.1).
   */
  invlpg(state: PagingState, linearLo: number, linearHi: number): void {
    this.dropAddress(linearLo, linearHi, currentPcid(state), this.vpid, true);
  }

  /**
   * INVPCID of `type` for `pcid` (and the address for type 0). Returns false when the instruction
   * raises #GP(0) instead: an unknown type, or a non-zero PCID with CR4.PCIDE=0 for types 0 and 1.
   * (The canonical check on the type-0 address is the caller's, as it needs the linear form.)
   */
  invpcid(state: PagingState, type: number, pcid: number, linearLo = 0, linearHi = 0): boolean {
    if (type < 0 || type > 3 || pcid > 0xfff) return false;
    if (type <= 1 && pcid !== 0 && (state.cr4 & CR4_PCIDE) === 0) return false;
    if (type === InvpcidType.IndividualAddress) this.dropAddress(linearLo, linearHi, pcid, this.vpid, false);
    else if (type === InvpcidType.SingleContext) this.drop(this.vpid, pcid, false);
    else if (type === InvpcidType.AllContextsWithGlobals) this.drop(this.vpid, -1, true);
    else this.drop(this.vpid, -1, false);
    return true;
  }

  /**
   * MOV to CR3 (SDM 3A 4.10.4.1): stores `cr3` (bits 51:0, without bit 63) into the state and,
   * unless `noFlush` (CR3 bit 63 with CR4.PCIDE=1), drops the non-global entries of the new PCID.
   * With CR4.PCIDE=0 bit 63 is not a no-flush bit. PAE PDPTE reloading is the caller's
   * ({@link loadPaePdptes}).
   */
  movToCr3(state: PagingState, cr3: number, noFlush: boolean): void {
    state.cr3 = cr3;
    if (noFlush && (state.cr4 & CR4_PCIDE) !== 0) return;
    this.drop(this.vpid, currentPcid(state), false);
  }

  /** MOV to CR0: changing CR0.PG drops everything (SDM 3A 4.10.4.1). Stores the new value. */
  movToCr0(state: PagingState, cr0: number): void {
    const old = state.cr0;
    state.cr0 = cr0;
    if (((old ^ cr0) & CR0_PG) !== 0) this.drop(this.vpid, -1, true);
  }

  /**
   * MOV to CR4 (SDM 3A 4.10.4.1): changing PGE or clearing PCIDE drops all entries including global
   * ones; changing PAE or setting SMEP drops the current PCID's entries. Stores the new value.
   */
  movToCr4(state: PagingState, cr4: number): void {
    const old = state.cr4;
    const changed = old ^ cr4;
    const pcid = currentPcid(state);
    state.cr4 = cr4;
    if ((changed & CR4_PGE) !== 0 || ((old & CR4_PCIDE) !== 0 && (cr4 & CR4_PCIDE) === 0)) {
      this.drop(this.vpid, -1, true);
    } else if ((changed & CR4_PAE) !== 0 || ((changed & CR4_SMEP) !== 0 && (cr4 & CR4_SMEP) !== 0)) {
      this.drop(this.vpid, pcid, true);
    }
  }

  /** INVVPID of `type` for `vpid` (SDM 3C 31.3). VPID 0 is refused (false = VMfailValid) for types 0, 1, 3. */
  invvpid(type: number, vpid: number, linearLo = 0, linearHi = 0): boolean {
    if (type < 0 || type > 3) return false;
    if (type !== InvvpidType.AllContexts && vpid === 0) return false;
    if (type === InvvpidType.IndividualAddress) this.dropAddress(linearLo, linearHi, -1, vpid, true);
    else if (type === InvvpidType.SingleContext) this.drop(vpid, -1, true);
    else if (type === InvvpidType.AllContexts) this.dropWhere((i) => this.vpids[i] !== 0);
    else this.drop(vpid, -1, false);
    return true;
  }

  /** INVEPT: drops combined mappings for the EPT root of `eptp` (single context) or for every EPT root. */
  invept(type: number, eptp = 0): boolean {
    if (type === InveptType.SingleContext) {
      const root = eptp - (eptp & 0xfff);
      this.dropWhere((i) => this.eptTag[i] === root);
    } else if (type === InveptType.AllContexts) this.dropWhere((i) => this.eptTag[i] !== -1);
    else return false;
    return true;
  }

  /** Drops entries of `vpid` whose PCID is `pcid` (-1 = any), globals only if `globals`. */
  private drop(vpid: number, pcid: number, globals: boolean): void {
    const info = this.info;
    for (let i = 0; i < this.size; i++) {
      const e = info[i]!;
      if ((e & VALID) === 0 || this.vpids[i] !== vpid) continue;
      if ((e & GLOBAL) !== 0) {
        if (!globals) continue;
      } else if (pcid >= 0 && this.pcid[i] !== pcid) continue;
      this.invalidate(i);
    }
  }

  private dropWhere(predicate: (index: number) => boolean): void {
    for (let i = 0; i < this.size; i++) if ((this.info[i]! & VALID) !== 0 && predicate(i)) this.invalidate(i);
  }

  /** Drops the fragments covering an address: `pcid` -1 = any PCID, `vpid` -1 = any. */
  private dropAddress(linearLo: number, linearHi: number, pcid: number, vpid: number, globals: boolean): void {
    const vLo = (linearLo >>> 12) | (linearHi << 20);
    const vHi = linearHi >>> 12;
    if (this.largeEntries === 0 && pcid >= 0) {
      const i = this.slot(vLo, pcid);
      if (this.matches(i, vLo, vHi, 0, pcid, vpid, globals)) this.invalidate(i);
      const g = vLo & this.mask;
      if (this.matches(g, vLo, vHi, 0, pcid, vpid, globals)) this.invalidate(g);
      return;
    }
    for (let i = 0; i < this.size; i++) {
      if (this.matches(i, vLo, vHi, this.sizeShift[i]!, pcid, vpid, globals)) this.invalidate(i);
    }
  }

  private matches(
    i: number,
    vLo: number,
    vHi: number,
    shift: number,
    pcid: number,
    vpid: number,
    globals: boolean,
  ): boolean {
    const e = this.info[i]!;
    if ((e & VALID) === 0 || this.vpnHi[i] !== vHi) return false;
    if (shift === 0 ? this.vpnLo[i] !== vLo : this.vpnLo[i]! >>> shift !== vLo >>> shift) return false;
    if (vpid >= 0 && this.vpids[i] !== vpid) return false;
    if ((e & GLOBAL) !== 0) return globals;
    return pcid < 0 || this.pcid[i] === pcid;
  }

  private invalidate(i: number): void {
    if (this.sizeShift[i] !== 0) this.largeEntries--;
    this.info[i] = 0;
  }
}

/** The PCID tagging new entries: CR3[11:0] with CR4.PCIDE=1, else 0. */
function currentPcid(state: PagingState): number {
  return (state.cr4 & CR4_PCIDE) !== 0 ? state.cr3 & 0xfff : 0;
}

/** The EP4TA tag: the EPT root, or -1 without EPT. */
function eptTagOf(state: PagingState): number {
  const ept = state.ept;
  return ept === null ? -1 : ept.eptp - (ept.eptp & 0xfff);
}
