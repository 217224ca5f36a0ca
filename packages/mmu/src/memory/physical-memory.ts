import type { GuestPhysicalAddress } from '../addresses.ts';
import { MmuError } from '../errors.ts';

/**
 * A memory-mapped device window (the devices package's MMIO bus or a single device).
 * Offsets are relative to the region start. 8-byte accesses arrive as two 4-byte
 * accesses, the low half (lower address) first.
 */
export interface MmioHandler {
  read(offset: number, size: 1 | 2 | 4): number;
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

/** What backs a guest-physical address: see {@link PhysicalMemory.kindAt}. */
export const RegionKind = {
  /** No region: reads return all ones, writes are dropped (like an open bus). */
  None: 0,
  Ram: 1,
  Rom: 2,
  Mmio: 3,
} as const;
/** One of the {@link RegionKind} values. */
export type RegionKind = (typeof RegionKind)[keyof typeof RegionKind];

/** Size of a lazily allocated RAM chunk: a 4 GiB guest costs only the chunks it touches. */
export const RAM_CHUNK_SIZE = 0x1_0000;
/** x86 base page size. */
export const PAGE_SIZE = 0x1000;
const CHUNK_MASK = RAM_CHUNK_SIZE - 1;
const PAGES_PER_CHUNK = RAM_CHUNK_SIZE / PAGE_SIZE;
/** Highest address + 1 a region may reach: 2^52 (architectural MAXPHYADDR limit). */
export const PHYSICAL_ADDRESS_LIMIT = 2 ** 52;

/** A region as reported by {@link PhysicalMemory.regions}. */
export interface RegionInfo {
  readonly kind: RegionKind;
  readonly base: GuestPhysicalAddress;
  readonly size: number;
  readonly name: string;
}

class Region {
  readonly end: number;
  /** RAM: lazily allocated chunks; ROM: one array holding the image. */
  readonly chunks: (Uint8Array | undefined)[];
  readonly views: (DataView | undefined)[];
  /** RAM only: one byte per 4 KiB page, non-zero while the cpu holds decoded code from it. */
  readonly codePages: Uint8Array;
  /** Page views handed out by pageView, cached per page so a TLB fill allocates nothing twice. */
  readonly pageViews = new Map<number, Uint8Array>();

  constructor(
    readonly kind: RegionKind,
    readonly base: number,
    readonly size: number,
    readonly name: string,
    readonly handler: MmioHandler | null,
    rom: Uint8Array | null,
  ) {
    this.end = base + size;
    if (kind === RegionKind.Ram) {
      const count = Math.ceil(size / RAM_CHUNK_SIZE);
      this.chunks = new Array<Uint8Array | undefined>(count).fill(undefined);
      this.views = new Array<DataView | undefined>(count).fill(undefined);
      this.codePages = new Uint8Array(Math.ceil(size / PAGE_SIZE));
    } else if (kind === RegionKind.Rom) {
      this.chunks = [rom!];
      this.views = [new DataView(rom!.buffer, rom!.byteOffset, rom!.byteLength)];
      this.codePages = new Uint8Array(0);
    } else {
      this.chunks = [];
      this.views = [];
      this.codePages = new Uint8Array(0);
    }
  }
}

function checkRange(base: number, size: number): void {
  if (!Number.isInteger(base) || !Number.isInteger(size) || base < 0 || size <= 0) {
    throw new MmuError('REGION_EMPTY', `region base ${base} size ${size} is not a non-empty integer range`);
  }
  if (base % PAGE_SIZE !== 0 || size % PAGE_SIZE !== 0) {
    throw new MmuError(
      'REGION_MISALIGNED',
      `region 0x${base.toString(16)}+0x${size.toString(16)} is not 4 KiB aligned`,
    );
  }
  if (base + size > PHYSICAL_ADDRESS_LIMIT) {
    throw new MmuError('ADDRESS_OUT_OF_RANGE', `region ends above 2^52`);
  }
}

/**
 * The guest-physical address space: RAM (allocated lazily in 64 KiB chunks), ROM and MMIO
 * regions. All accessors are little-endian. Reads of unbacked addresses return all ones and
 * writes to them (and to ROM) are dropped, like a real bus; {@link kindAt} and the
 * {@link onUnbacked} hook let a caller tell the cases apart.
 *
 * Fast path for an interpreter: {@link pageView} hands out a `Uint8Array` over one RAM page so
 * loads and stores need no dispatch, and the per-page "holds code" marks
 * ({@link markCode}) make every write that reaches a marked page call {@link onCodeWrite}.
 *
 * @example
 * ```ts
 * const mem = new PhysicalMemory();
 * mem.addRam(guestPhysical(0), 16 * 1024 * 1024);
 * mem.write32(guestPhysical(0x1000), 0xdeadbeef);
 * mem.read32(guestPhysical(0x1000)); // 0xdeadbeef
 * mem.read8(guestPhysical(0xfee0_0000)); // 0xff: nothing there
 * ```
 */
export class PhysicalMemory {
  private sorted: Region[] = [];
  private last: Region | null = null;

  /**
   * Called when a write lands in a RAM page marked with {@link markCode}, with the page's
   * base address, before the write. The mark is cleared first, so the hook runs once per
   * page until the cpu marks it again.
   */
  onCodeWrite: ((pageAddress: number) => void) | null = null;

  /** Called on every access to an address that no region backs (for diagnostics or #MC policy). */
  onUnbacked: ((address: number, size: number, isWrite: boolean) => void) | null = null;

  /** Incremented by every {@link markCode}; a cpu caching writable page views compares it. */
  codeMarkEpoch = 0;

  /** Adds RAM at `[base, base+size)`; nothing is allocated until a chunk is written. */
  addRam(base: GuestPhysicalAddress, size: number, name = 'ram'): void {
    checkRange(base, size);
    this.insert(new Region(RegionKind.Ram, base, size, name, null, null));
  }

  /** Adds a ROM holding a copy of `image` (size rounded up to 4 KiB, padded with 0xff). */
  addRom(base: GuestPhysicalAddress, image: Uint8Array, name = 'rom'): void {
    const size = Math.ceil(image.length / PAGE_SIZE) * PAGE_SIZE;
    checkRange(base, size);
    const bytes = new Uint8Array(size).fill(0xff);
    bytes.set(image);
    this.insert(new Region(RegionKind.Rom, base, size, name, null, bytes));
  }

  /** Adds an MMIO window forwarding to `handler` with region-relative offsets. */
  addMmio(base: GuestPhysicalAddress, size: number, handler: MmioHandler, name = 'mmio'): void {
    checkRange(base, size);
    this.insert(new Region(RegionKind.Mmio, base, size, name, handler, null));
  }

  /** Removes the region that starts at `base` (e.g. a PCI BAR moving). Returns whether one existed. */
  removeRegion(base: GuestPhysicalAddress): boolean {
    const i = this.sorted.findIndex((r) => r.base === base);
    if (i < 0) return false;
    this.sorted.splice(i, 1);
    this.last = null;
    return true;
  }

  /** The regions, sorted by base. */
  regions(): RegionInfo[] {
    return this.sorted.map((r) => ({ kind: r.kind, base: r.base as GuestPhysicalAddress, size: r.size, name: r.name }));
  }

  /** Bytes of host memory actually allocated for RAM (a measure of laziness). */
  allocatedBytes(): number {
    let total = 0;
    for (const r of this.sorted) {
      if (r.kind === RegionKind.Ram) for (const c of r.chunks) if (c) total += c.length;
    }
    return total;
  }

  /** What backs `address`. */
  kindAt(address: GuestPhysicalAddress): RegionKind {
    const r = this.find(address);
    return r === null ? RegionKind.None : r.kind;
  }

  private insert(region: Region): void {
    for (const r of this.sorted) {
      if (region.base < r.end && r.base < region.end) {
        throw new MmuError(
          'REGION_OVERLAP',
          `region ${region.name} at 0x${region.base.toString(16)} overlaps ${r.name} at 0x${r.base.toString(16)}`,
        );
      }
    }
    this.sorted.push(region);
    this.sorted.sort((a, b) => a.base - b.base);
    this.last = null;
  }

  private find(address: number): Region | null {
    const last = this.last;
    if (last !== null && address >= last.base && address < last.end) return last;
    const list = this.sorted;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = list[mid]!;
      if (address < r.base) hi = mid - 1;
      else if (address >= r.end) lo = mid + 1;
      else {
        this.last = r;
        return r;
      }
    }
    return null;
  }

  /** The chunk's DataView for a RAM/ROM access, allocating RAM when `allocate`; null for an unwritten chunk. */
  private view(r: Region, offset: number, allocate: boolean): DataView | null {
    if (r.kind === RegionKind.Rom) return r.views[0]!;
    const index = Math.floor(offset / RAM_CHUNK_SIZE);
    const v = r.views[index];
    if (v !== undefined) return v;
    if (!allocate) return null;
    const bytes = new Uint8Array(Math.min(RAM_CHUNK_SIZE, r.size - index * RAM_CHUNK_SIZE));
    r.chunks[index] = bytes;
    const view = new DataView(bytes.buffer);
    r.views[index] = view;
    return view;
  }

  private noteWrite(r: Region, offset: number): void {
    const page = Math.floor(offset / PAGE_SIZE);
    if (r.codePages[page] !== 0) {
      r.codePages[page] = 0;
      this.onCodeWrite?.(r.base + page * PAGE_SIZE);
    }
  }

  private unbacked(address: number, size: number, isWrite: boolean): void {
    this.onUnbacked?.(address, size, isWrite);
  }

  /** True when `[offset, offset+size)` of region `r` sits inside one chunk (RAM) or the image (ROM). */
  private static fits(r: Region, offset: number, size: number): boolean {
    if (offset + size > r.size) return false;
    return r.kind === RegionKind.Rom || (offset & CHUNK_MASK) + size <= RAM_CHUNK_SIZE;
  }

  /** Reads one byte. */
  read8(address: GuestPhysicalAddress): number {
    const r = this.find(address);
    if (r === null) {
      this.unbacked(address, 1, false);
      return 0xff;
    }
    const offset = address - r.base;
    if (r.kind === RegionKind.Mmio) return r.handler!.read(offset, 1) & 0xff;
    const v = this.view(r, offset, false);
    return v === null ? 0 : v.getUint8(r.kind === RegionKind.Rom ? offset : offset & CHUNK_MASK);
  }

  /** Reads a little-endian 16-bit value. */
  read16(address: GuestPhysicalAddress): number {
    const r = this.find(address);
    if (r !== null && r.kind !== RegionKind.Mmio && PhysicalMemory.fits(r, address - r.base, 2)) {
      const offset = address - r.base;
      const v = this.view(r, offset, false);
      return v === null ? 0 : v.getUint16(r.kind === RegionKind.Rom ? offset : offset & CHUNK_MASK, true);
    }
    if (r !== null && r.kind === RegionKind.Mmio && address - r.base + 2 <= r.size) {
      return r.handler!.read(address - r.base, 2) & 0xffff;
    }
    return this.read8(address) | (this.read8((address + 1) as GuestPhysicalAddress) << 8);
  }

  /** Reads a little-endian 32-bit value (unsigned). */
  read32(address: GuestPhysicalAddress): number {
    const r = this.find(address);
    if (r !== null && r.kind !== RegionKind.Mmio && PhysicalMemory.fits(r, address - r.base, 4)) {
      const offset = address - r.base;
      const v = this.view(r, offset, false);
      return v === null ? 0 : v.getUint32(r.kind === RegionKind.Rom ? offset : offset & CHUNK_MASK, true);
    }
    if (r !== null && r.kind === RegionKind.Mmio && address - r.base + 4 <= r.size) {
      return r.handler!.read(address - r.base, 4) >>> 0;
    }
    return (this.read16(address) | (this.read16((address + 2) as GuestPhysicalAddress) << 16)) >>> 0;
  }

  /**
   * Reads a little-endian 64-bit value as a lo/hi pair into `out[0]` (bits 31:0) and `out[1]`
   * (bits 63:32), both unsigned. No allocation; pass a reused `Uint32Array(2)`.
   */
  read64(address: GuestPhysicalAddress, out: Uint32Array): void {
    out[0] = this.read32(address);
    out[1] = this.read32((address + 4) as GuestPhysicalAddress);
  }

  /** Writes one byte (the low 8 bits of `value`). */
  write8(address: GuestPhysicalAddress, value: number): void {
    const r = this.find(address);
    if (r === null) {
      this.unbacked(address, 1, true);
      return;
    }
    const offset = address - r.base;
    if (r.kind === RegionKind.Ram) {
      this.noteWrite(r, offset);
      this.view(r, offset, true)!.setUint8(offset & CHUNK_MASK, value);
    } else if (r.kind === RegionKind.Mmio) {
      r.handler!.write(offset, 1, value & 0xff);
    }
  }

  /** Writes a little-endian 16-bit value. */
  write16(address: GuestPhysicalAddress, value: number): void {
    const r = this.find(address);
    if (r !== null && r.kind === RegionKind.Ram && PhysicalMemory.fits(r, address - r.base, 2)) {
      const offset = address - r.base;
      this.noteWrite(r, offset);
      this.view(r, offset, true)!.setUint16(offset & CHUNK_MASK, value, true);
      return;
    }
    if (r !== null && r.kind === RegionKind.Mmio && address - r.base + 2 <= r.size) {
      r.handler!.write(address - r.base, 2, value & 0xffff);
      return;
    }
    if (r !== null && r.kind === RegionKind.Rom && address - r.base + 2 <= r.size) return;
    this.write8(address, value);
    this.write8((address + 1) as GuestPhysicalAddress, value >>> 8);
  }

  /** Writes a little-endian 32-bit value. */
  write32(address: GuestPhysicalAddress, value: number): void {
    const r = this.find(address);
    if (r !== null && r.kind === RegionKind.Ram && PhysicalMemory.fits(r, address - r.base, 4)) {
      const offset = address - r.base;
      this.noteWrite(r, offset);
      this.view(r, offset, true)!.setUint32(offset & CHUNK_MASK, value, true);
      return;
    }
    if (r !== null && r.kind === RegionKind.Mmio && address - r.base + 4 <= r.size) {
      r.handler!.write(address - r.base, 4, value >>> 0);
      return;
    }
    if (r !== null && r.kind === RegionKind.Rom && address - r.base + 4 <= r.size) return;
    this.write16(address, value);
    this.write16((address + 2) as GuestPhysicalAddress, value >>> 16);
  }

  /** Writes a 64-bit value given as lo/hi 32-bit halves (low half, lower address, first). */
  write64(address: GuestPhysicalAddress, lo: number, hi: number): void {
    this.write32(address, lo);
    this.write32((address + 4) as GuestPhysicalAddress, hi);
  }

  /** Copies `dest.length` bytes starting at `address` into `dest`. */
  readBytes(address: GuestPhysicalAddress, dest: Uint8Array): void {
    let done = 0;
    while (done < dest.length) {
      const a = address + done;
      const r = this.find(a);
      const offset = r === null ? 0 : a - r.base;
      if (r !== null && r.kind !== RegionKind.Mmio) {
        const inChunk = r.kind === RegionKind.Rom ? r.size - offset : RAM_CHUNK_SIZE - (offset & CHUNK_MASK);
        const n = Math.min(dest.length - done, inChunk, r.size - offset);
        if (r.kind === RegionKind.Rom) dest.set(r.chunks[0]!.subarray(offset, offset + n), done);
        else {
          const chunk = r.chunks[Math.floor(offset / RAM_CHUNK_SIZE)];
          const at = offset & CHUNK_MASK;
          if (chunk === undefined) dest.fill(0, done, done + n);
          else dest.set(chunk.subarray(at, at + n), done);
        }
        done += n;
      } else {
        dest[done] = this.read8(a as GuestPhysicalAddress);
        done++;
      }
    }
  }

  /** Copies `src` into guest memory starting at `address` (ROM and unbacked bytes are dropped). */
  writeBytes(address: GuestPhysicalAddress, src: Uint8Array): void {
    let done = 0;
    while (done < src.length) {
      const a = address + done;
      const r = this.find(a);
      if (r !== null && r.kind === RegionKind.Ram) {
        const offset = a - r.base;
        const n = Math.min(src.length - done, RAM_CHUNK_SIZE - (offset & CHUNK_MASK), r.size - offset);
        for (let p = Math.floor(offset / PAGE_SIZE); p <= Math.floor((offset + n - 1) / PAGE_SIZE); p++) {
          this.noteWrite(r, p * PAGE_SIZE);
        }
        this.view(r, offset, true);
        r.chunks[Math.floor(offset / RAM_CHUNK_SIZE)]!.set(src.subarray(done, done + n), offset & CHUNK_MASK);
        done += n;
      } else {
        this.write8(a as GuestPhysicalAddress, src[done]!);
        done++;
      }
    }
  }

  /**
   * A view of the 4 KiB RAM page containing `address` (index it with `address & 0xfff`), for an
   * interpreter's direct loads and stores. Returns null when the page is not RAM, and when
   * `forWrite` is set and the page is ROM or marked as code (stores there must go through
   * {@link write8} and friends so the code-write hook fires). Reading a view allocates the chunk.
   * ROM pages give read-only-by-contract views when `forWrite` is false.
   */
  pageView(address: GuestPhysicalAddress, forWrite: boolean): Uint8Array | null {
    const r = this.find(address);
    if (r === null || r.kind === RegionKind.Mmio) return null;
    const page = Math.floor((address - r.base) / PAGE_SIZE);
    if (forWrite && (r.kind === RegionKind.Rom || r.codePages[page] !== 0)) return null;
    const cached = r.pageViews.get(page);
    if (cached !== undefined) return cached;
    const pageOffset = page * PAGE_SIZE;
    let view: Uint8Array;
    if (r.kind === RegionKind.Rom) view = r.chunks[0]!.subarray(pageOffset, pageOffset + PAGE_SIZE);
    else {
      this.view(r, pageOffset, true);
      const at = pageOffset & CHUNK_MASK;
      view = r.chunks[Math.floor(pageOffset / RAM_CHUNK_SIZE)]!.subarray(at, at + PAGE_SIZE);
    }
    r.pageViews.set(page, view);
    return view;
  }

  /**
   * Marks the RAM page containing `address` as holding decoded code: the next write to it
   * (through any accessor) calls {@link onCodeWrite} once. Bumps {@link codeMarkEpoch} so a
   * cpu holding writable {@link pageView}s knows to drop them. No effect outside RAM.
   */
  markCode(address: GuestPhysicalAddress): void {
    const r = this.find(address);
    if (r === null || r.kind !== RegionKind.Ram) return;
    r.codePages[Math.floor((address - r.base) / PAGE_SIZE)] = 1;
    this.codeMarkEpoch++;
  }

  /** Clears the code mark of the page containing `address`. */
  clearCode(address: GuestPhysicalAddress): void {
    const r = this.find(address);
    if (r === null || r.kind !== RegionKind.Ram) return;
    r.codePages[Math.floor((address - r.base) / PAGE_SIZE)] = 0;
  }

  /** Whether the page containing `address` carries a code mark. */
  isCode(address: GuestPhysicalAddress): boolean {
    const r = this.find(address);
    return r !== null && r.kind === RegionKind.Ram && r.codePages[Math.floor((address - r.base) / PAGE_SIZE)] !== 0;
  }
}

/** Pages per RAM chunk (exported for tests and for cpu-side caches sized to chunks). */
export const PAGES_PER_RAM_CHUNK = PAGES_PER_CHUNK;
