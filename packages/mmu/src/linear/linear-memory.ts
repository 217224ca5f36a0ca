import type { GuestPhysicalAddress } from '../addresses.ts';
import { MmuError } from '../errors.ts';
import type { PhysicalMemory } from '../memory/physical-memory.ts';
import { ACCESS_WRITE } from '../paging/control-bits.ts';
import { pageWalk } from '../paging/page-walk.ts';
import type { PagingState } from '../paging/paging-state.ts';
import { WalkResult } from '../paging/walk-result.ts';
import type { Tlb } from '../tlb/tlb.ts';

/**
 * Reads and writes guest memory by linear address: translation through the TLB (or a plain walk
 * without one), then physical memory. Accesses that cross a page boundary translate both pages
 * before touching memory, so a write never lands half-way when its second page faults.
 *
 * Faults are data: a read returns -1 (values are otherwise unsigned 32-bit) and a write returns
 * false, with {@link fault} holding the walk's outcome (#PF error code, EPT exit...) and
 * {@link faultLo}/{@link faultHi} the linear address to report in CR2 (the access's first byte,
 * or the first byte of the second page when that page faulted).
 *
 * For a cpu's inner loop, {@link PhysicalMemory.pageView} plus its own TLB is faster; this is the
 * convenient, always-correct path (string instructions, descriptor tables, introspection tools).
 *
 * @example
 * ```ts
 * const lin = new LinearMemory(mem, state, new Tlb());
 * const v = lin.read(0x7fff_f000, 0, 4, ACCESS_USER);
 * if (v < 0) deliverPageFault(lin.fault.errorCode, lin.faultLo, lin.faultHi);
 * ```
 */
export class LinearMemory {
  /** Outcome of the last failed access. */
  readonly fault = new WalkResult();
  /** Linear address (lo/hi) of the last fault, for CR2. */
  faultLo = 0;
  faultHi = 0;
  private readonly second = new WalkResult();

  constructor(
    readonly memory: PhysicalMemory,
    readonly state: PagingState,
    readonly tlb: Tlb | null = null,
  ) {}

  /** Translates one linear address into `out`; false (with CR2 noted) on a fault. */
  translate(lo: number, hi: number, access: number, out: WalkResult): boolean {
    const ok =
      this.tlb === null
        ? pageWalk(this.memory, this.state, lo, hi, access, out)
        : this.tlb.translate(this.memory, this.state, lo, hi, access, out);
    if (!ok) {
      if (out !== this.fault) copyFault(out, this.fault);
      this.faultLo = lo >>> 0;
      this.faultHi = hi >>> 0;
    }
    return ok;
  }

  /**
   * Physical addresses of the first byte and of the first byte on the next page (the latter only
   * when `size` crosses a page boundary, else -1). Returns false on a fault.
   */
  private translateSpan(lo: number, hi: number, size: number, access: number): boolean {
    if (!this.translate(lo, hi, access, this.fault)) return false;
    const firstPhysical = this.fault.physical;
    const inPage = 0x1000 - (lo & 0xfff);
    if (size <= inPage) {
      this.second.physical = -1;
      this.fault.physical = firstPhysical;
      return true;
    }
    const nextLo = ((lo & ~0xfff) + 0x1000) >>> 0;
    const nextHi = nextLo === 0 ? (hi + 1) >>> 0 : hi;
    if (!this.translate(nextLo, nextHi, access, this.second)) return false;
    this.fault.physical = firstPhysical;
    return true;
  }

  private physicalOf(lo: number, index: number): number {
    const inPage = 0x1000 - (lo & 0xfff);
    return index < inPage ? this.fault.physical + index : this.second.physical + (index - inPage);
  }

  /** Reads 1, 2 or 4 bytes (unsigned, little-endian); -1 on a fault. */
  read(lo: number, hi: number, size: 1 | 2 | 4, access: number): number {
    if (!this.translateSpan(lo, hi, size, access & ~ACCESS_WRITE)) return -1;
    const m = this.memory;
    if (this.second.physical < 0) {
      const p = this.fault.physical as GuestPhysicalAddress;
      return size === 1 ? m.read8(p) : size === 2 ? m.read16(p) : m.read32(p);
    }
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + m.read8(this.physicalOf(lo, i) as GuestPhysicalAddress);
    return value;
  }

  /** Writes 1, 2 or 4 bytes little-endian; false on a fault (then nothing was written). */
  write(lo: number, hi: number, size: 1 | 2 | 4, value: number, access: number): boolean {
    if (!this.translateSpan(lo, hi, size, access | ACCESS_WRITE)) return false;
    const m = this.memory;
    if (this.second.physical < 0) {
      const p = this.fault.physical as GuestPhysicalAddress;
      if (size === 1) m.write8(p, value);
      else if (size === 2) m.write16(p, value);
      else m.write32(p, value);
      return true;
    }
    for (let i = 0; i < size; i++) m.write8(this.physicalOf(lo, i) as GuestPhysicalAddress, value >>> (8 * i));
    return true;
  }

  /** Reads 8 bytes into `out[0]` (bits 31:0) and `out[1]` (bits 63:32); false on a fault. */
  read64(lo: number, hi: number, access: number, out: Uint32Array): boolean {
    if (!this.translateSpan(lo, hi, 8, access & ~ACCESS_WRITE)) return false;
    const m = this.memory;
    let a = 0;
    let b = 0;
    for (let i = 3; i >= 0; i--) a = a * 256 + m.read8(this.physicalOf(lo, i) as GuestPhysicalAddress);
    for (let i = 7; i >= 4; i--) b = b * 256 + m.read8(this.physicalOf(lo, i) as GuestPhysicalAddress);
    out[0] = a;
    out[1] = b;
    return true;
  }

  /** Writes 8 bytes given as lo/hi halves; false on a fault (then nothing was written). */
  write64(lo: number, hi: number, valueLo: number, valueHi: number, access: number): boolean {
    if (!this.translateSpan(lo, hi, 8, access | ACCESS_WRITE)) return false;
    for (let i = 0; i < 8; i++) {
      const byte = i < 4 ? valueLo >>> (8 * i) : valueHi >>> (8 * (i - 4));
      this.memory.write8(this.physicalOf(lo, i) as GuestPhysicalAddress, byte);
    }
    return true;
  }

  /**
   * Copies `dest.length` bytes from linear memory, page by page; false on a fault (the bytes of the
   * pages before the faulting one are already copied). For tools reading guest strings and structs.
   */
  readBytes(lo: number, hi: number, dest: Uint8Array, access: number): boolean {
    let done = 0;
    let curLo = lo >>> 0;
    let curHi = hi >>> 0;
    while (done < dest.length) {
      if (!this.translate(curLo, curHi, access & ~ACCESS_WRITE, this.fault)) return false;
      const n = Math.min(dest.length - done, 0x1000 - (curLo & 0xfff));
      this.memory.readBytes(this.fault.physical as GuestPhysicalAddress, dest.subarray(done, done + n));
      done += n;
      const next = curLo + n;
      curLo = next >>> 0;
      if (next > 0xffffffff) curHi = (curHi + 1) >>> 0;
    }
    return true;
  }

  /** Copies `src` into linear memory after translating every page it covers; false on a fault (nothing written). */
  writeBytes(lo: number, hi: number, src: Uint8Array, access: number): boolean {
    if (src.length > 0x10_0000) throw new MmuError('BAD_ARGUMENT', 'writeBytes copies at most 1 MiB at a time');
    const pages = Math.ceil(((lo & 0xfff) + src.length) / 0x1000);
    const physical = new Float64Array(pages);
    let curLo = lo >>> 0;
    let curHi = hi >>> 0;
    for (let p = 0; p < pages; p++) {
      if (!this.translate(curLo, curHi, access | ACCESS_WRITE, this.fault)) return false;
      physical[p] = this.fault.physical;
      const next = (curLo & ~0xfff) + 0x1000;
      curLo = next >>> 0;
      if (next > 0xffffffff) curHi = (curHi + 1) >>> 0;
    }
    let done = 0;
    for (let p = 0; p < pages; p++) {
      const n = Math.min(src.length - done, 0x1000 - (p === 0 ? lo & 0xfff : 0));
      this.memory.writeBytes(physical[p]! as GuestPhysicalAddress, src.subarray(done, done + n));
      done += n;
    }
    return true;
  }
}

function copyFault(from: WalkResult, to: WalkResult): void {
  to.status = from.status;
  to.vector = from.vector;
  to.errorCode = from.errorCode;
  to.eptQualification = from.eptQualification;
  to.eptGuestPhysical = from.eptGuestPhysical;
}
