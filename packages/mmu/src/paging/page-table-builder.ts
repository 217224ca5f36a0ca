import { MmuError } from '../errors.ts';
import type { PagingMemory } from './paging-memory.ts';
import { entryFrame, tableIndex } from './table-index.ts';

/** Page-table layouts {@link PageTableBuilder} can write. */
export type TableFormat = 'bits32' | 'pae' | 'level4' | 'level5' | 'ept4' | 'ept5';

const TOP_LEVEL: Record<TableFormat, number> = { bits32: 2, pae: 3, level4: 4, level5: 5, ept4: 4, ept5: 5 };

/**
 * Writes paging structures (or EPT tables) into guest memory: for tests, for a hypervisor building a
 * guest's identity map or EPT, for a visualiser's fixtures. Intermediate tables are taken from
 * `allocate` (which must return a zeroed, 4 KiB aligned physical page) and get `tableFlags`
 * (default P|R/W|U/S, which is also EPT's R|W|X; a PAE PDPTE gets P only, its other bits being reserved).
 *
 * @example
 * ```ts
 * let next = 0x10000;
 * const tables = new PageTableBuilder(mem, 'level4', () => (next += 0x1000));
 * tables.map(0x40_0000, 0, 0x20_0000, 0x7); // 4 KiB page, P|R/W|U/S
 * state.cr3 = tables.root;
 * ```
 */
export class PageTableBuilder {
  /** Physical address of the top-level table (CR3 or the EPTP root). */
  readonly root: number;
  private readonly top: number;
  private readonly wide: boolean;
  private readonly ept: boolean;

  constructor(
    private readonly memory: PagingMemory,
    private readonly format: TableFormat,
    private readonly allocate: () => number,
    private readonly tableFlags = 0x7,
  ) {
    this.root = allocate();
    this.top = TOP_LEVEL[format];
    this.wide = format !== 'bits32';
    this.ept = format === 'ept4' || format === 'ept5';
  }

  /**
   * Maps the page at linear (or guest-physical, for EPT) address `lo`/`hi` to `physical`.
   * `flagsLo`/`flagsHi` are the leaf's bits (P, R/W, U/S, A, D, G, PAT / EPT R, W, X, memory type;
   * XD and the protection key in `flagsHi`). `pageSize` 4 KiB, 2 MiB (4 MiB for bits32) or 1 GiB
   * sets PS on the leaf. Returns the physical address of the leaf entry.
   */
  map(lo: number, hi: number, physical: number, flagsLo: number, flagsHi = 0, pageSize = 0x1000): number {
    const leafLevel = pageSize === 0x1000 ? 1 : pageSize === 0x40000000 ? 3 : 2;
    if (leafLevel === 3 && this.top < 4) throw new MmuError('BAD_ARGUMENT', '1 GiB pages need 4- or 5-level tables');
    if (physical % pageSize !== 0) throw new MmuError('BAD_ARGUMENT', 'physical address not aligned to the page size');
    let table = this.root;
    for (let level = this.top; level > leafLevel; level--) {
      const address = table + this.index(lo, hi, level) * (this.wide ? 8 : 4);
      let eLo = this.memory.read32(address);
      let eHi = this.wide ? this.memory.read32(address + 4) : 0;
      if ((eLo & (this.ept ? 7 : 1)) === 0) {
        const page = this.allocate();
        const flags = this.format === 'pae' && level === 3 ? 1 : this.tableFlags;
        eLo = ((page >>> 0) & 0xfffff000) | flags;
        eHi = Math.floor(page / 0x1_0000_0000);
        this.memory.write32(address, eLo >>> 0);
        if (this.wide) this.memory.write32(address + 4, eHi);
      }
      table = entryFrame(eLo, eHi);
    }
    const address = table + this.index(lo, hi, leafLevel) * (this.wide ? 8 : 4);
    let leafLo = ((physical >>> 0) | flagsLo) >>> 0;
    let leafHi = (Math.floor(physical / 0x1_0000_0000) | flagsHi) >>> 0;
    if (leafLevel > 1) leafLo |= 0x80;
    if (!this.wide && leafLevel === 2) {
      // PSE-36: physical bits 39:32 go to PDE bits 20:13.
      leafLo |= (leafHi & 0xff) << 13;
      leafHi = 0;
    }
    this.memory.write32(address, leafLo >>> 0);
    if (this.wide) this.memory.write32(address + 4, leafHi);
    return address;
  }

  private index(lo: number, hi: number, level: number): number {
    if (this.wide) return tableIndex(lo, hi, level);
    return level === 2 ? lo >>> 22 : (lo >>> 12) & 0x3ff;
  }
}
