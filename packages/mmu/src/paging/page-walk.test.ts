import { describe, expect, it } from 'vitest';
import { guestPhysical as gpa } from '../addresses.ts';
import { PhysicalMemory } from '../memory/physical-memory.ts';
import {
  ACCESS_FETCH,
  ACCESS_IMPLICIT_SUPERVISOR,
  ACCESS_AC,
  ACCESS_NO_AD_UPDATE,
  ACCESS_READ,
  ACCESS_SHADOW_STACK,
  ACCESS_USER,
  ACCESS_WRITE,
  CR0_PE,
  CR0_PG,
  CR0_WP,
  CR4_CET,
  CR4_LA57,
  CR4_PAE,
  CR4_PGE,
  CR4_PKE,
  CR4_PKS,
  CR4_PSE,
  CR4_SMAP,
  CR4_SMEP,
  EFER_LMA,
  EFER_LME,
  EFER_NXE,
} from './control-bits.ts';
import { loadPaePdptes, pageWalk } from './page-walk.ts';
import { PageTableBuilder, type TableFormat } from './page-table-builder.ts';
import { PagingMode, PagingState } from './paging-state.ts';
import { TraceKind, WalkResult, WalkStatus } from './walk-result.ts';

function setup(format: TableFormat) {
  const mem = new PhysicalMemory();
  mem.addRam(gpa(0), 64 * 1024 * 1024);
  let next = 0x10_0000;
  const tables = new PageTableBuilder(mem, format, () => {
    next += 0x1000;
    return next;
  });
  const state = new PagingState();
  state.cr0 = CR0_PE | CR0_PG;
  state.cr3 = tables.root;
  if (format === 'bits32') state.cr4 = CR4_PSE;
  if (format === 'pae') state.cr4 = CR4_PAE;
  if (format === 'level4' || format === 'level5') {
    state.cr4 = CR4_PAE | (format === 'level5' ? CR4_LA57 : 0);
    state.efer = EFER_LME | EFER_LMA | EFER_NXE;
  }
  const out = new WalkResult();
  return { mem, tables, state, out };
}

describe('pageWalk', () => {
  it('passes linear addresses through unchanged with CR0.PG=0', () => {
    const { mem, state, out } = setup('level4');
    state.cr0 = CR0_PE;
    expect(state.mode()).toBe(PagingMode.None);
    expect(pageWalk(mem, state, 0x1234_5678, 0, ACCESS_WRITE | ACCESS_USER, out)).toBe(true);
    expect(out.physical).toBe(0x1234_5678);
    expect(out.memoryReferences).toBe(0);
  });

  it.each<[TableFormat, number, number, number]>([
    ['bits32', 0x0040_3000, 0, 2],
    ['pae', 0x8040_3000, 0, 2],
    ['level4', 0x0040_3000, 0x7f_ff00, 4],
    ['level5', 0x0040_3000, 0x01ff_ff00, 5],
  ])('translates a 4 KiB page in %s paging reading one entry per level', (format, lo, hi, reads) => {
    const { mem, tables, state, out } = setup(format);
    tables.map(lo, hi, 0x0abc_d000, 0x7);
    if (format === 'pae') expect(loadPaePdptes(mem, state)).toBe(true);
    out.trace = true;
    expect(pageWalk(mem, state, lo + 0x123, hi, ACCESS_READ, out)).toBe(true);
    expect(out.physical).toBe(0x0abc_d123);
    expect(out.pageSize).toBe(0x1000);
    expect(out.memoryReferences).toBe(reads);
    expect(out.entries().filter((e) => e.kind === TraceKind.Guest)).toHaveLength(reads);
  });

  it('maps 4 MiB pages with CR4.PSE and physical bits 39:32 from PDE bits 20:13 (PSE-36)', () => {
    const { mem, tables, state, out } = setup('bits32');
    tables.map(0x0080_0000, 0, 0x12_0040_0000, 0x7, 0, 0x40_0000);
    expect(pageWalk(mem, state, 0x0089_abcd, 0, ACCESS_READ, out)).toBe(true);
    expect(out.physical).toBe(0x12_0049_abcd);
    expect(out.pageSize).toBe(0x40_0000);
  });

  it('treats PDE bits above MAXPHYADDR in a 4 MiB page, and bit 21, as reserved', () => {
    const { mem, tables, state, out } = setup('bits32');
    state.maxPhyAddr = 36;
    tables.map(0x0080_0000, 0, 0x10_0040_0000, 0x7, 0, 0x40_0000); // physical bit 36 set
    expect(pageWalk(mem, state, 0x0080_0000, 0, ACCESS_READ, out)).toBe(false);
    expect(out.errorCode).toBe(0x9);
    state.maxPhyAddr = 40;
    expect(pageWalk(mem, state, 0x0080_0000, 0, ACCESS_READ, out)).toBe(true);
    mem.write32(gpa(tables.root + 2 * 4), mem.read32(gpa(tables.root + 2 * 4)) | (1 << 21));
    expect(pageWalk(mem, state, 0x0080_0000, 0, ACCESS_READ, out)).toBe(false);
    expect(out.errorCode & 0x8).toBe(0x8);
  });

  it('ignores PDE.PS in 32-bit paging when CR4.PSE=0', () => {
    const { mem, tables, state, out } = setup('bits32');
    tables.map(0x0040_1000, 0, 0x0050_0000, 0x7);
    const pde = tables.root + 1 * 4;
    mem.write32(gpa(pde), mem.read32(gpa(pde)) | 0x80);
    state.cr4 = 0;
    expect(pageWalk(mem, state, 0x0040_1000, 0, ACCESS_READ, out)).toBe(true);
    expect(out.physical).toBe(0x0050_0000);
  });

  it('reports I/D in 32-bit paging only with SMEP (no XD bit exists there)', () => {
    const { mem, state, out } = setup('bits32');
    state.efer = EFER_NXE;
    expect(pageWalk(mem, state, 0x0040_1000, 0, ACCESS_FETCH, out)).toBe(false);
    expect(out.errorCode).toBe(0);
    state.cr4 |= CR4_SMEP;
    pageWalk(mem, state, 0x0040_1000, 0, ACCESS_FETCH, out);
    expect(out.errorCode).toBe(0x10);
  });

  it('honours XD in PAE paging with EFER.NXE and reports I/D', () => {
    const { mem, tables, state, out } = setup('pae');
    tables.map(0x0040_1000, 0, 0x0050_0000, 0x7, 0x8000_0000);
    state.efer = EFER_NXE;
    expect(pageWalk(mem, state, 0x0040_1000, 0, ACCESS_FETCH, out)).toBe(false);
    expect(out.errorCode).toBe(0x11);
    state.efer = 0;
    expect(pageWalk(mem, state, 0x0040_1000, 0, ACCESS_READ, out)).toBe(false);
    expect(out.errorCode).toBe(0x9); // XD is reserved without NXE
  });

  it('treats bits 62:52 as reserved in PAE entries but ignores them in 4-level entries', () => {
    const pae = setup('pae');
    pae.tables.map(0x0040_1000, 0, 0x0050_0000, 0x7, 1 << 24); // bit 56
    expect(pageWalk(pae.mem, pae.state, 0x0040_1000, 0, ACCESS_READ, pae.out)).toBe(false);
    expect(pae.out.errorCode).toBe(0x9);
    const l4 = setup('level4');
    l4.tables.map(0x0040_1000, 0, 0x0050_0000, 0x7, 1 << 24);
    expect(pageWalk(l4.mem, l4.state, 0x0040_1000, 0, ACCESS_READ, l4.out)).toBe(true);
  });

  it('uses the PDPTE registers, not memory, once loaded (PAE)', () => {
    const { mem, tables, state, out } = setup('pae');
    tables.map(0x0040_1000, 0, 0x0050_0000, 0x7);
    expect(loadPaePdptes(mem, state)).toBe(true);
    mem.write32(gpa(tables.root), 0);
    expect(pageWalk(mem, state, 0x0040_1000, 0, ACCESS_READ, out)).toBe(true);
    state.pdptesLoaded = false;
    expect(pageWalk(mem, state, 0x0040_1000, 0, ACCESS_READ, out)).toBe(false);
    expect(out.errorCode).toBe(0);
  });

  it.each([
    ['bit 1', 0x2, 0],
    ['bit 5', 0x20, 0],
    ['bit 8', 0x100, 0],
    ['bit 63', 0, 0x8000_0000],
    ['a bit above MAXPHYADDR', 0, 0x8000],
  ])('refuses to load a PAE PDPTE with reserved %s set (#GP)', (_name, lo, hi) => {
    const { mem, tables, state, out } = setup('pae');
    tables.map(0x0040_1000, 0, 0x0050_0000, 0x7);
    mem.write64(gpa(tables.root), (mem.read32(gpa(tables.root)) | lo) >>> 0, hi);
    expect(loadPaePdptes(mem, state)).toBe(false);
    expect(pageWalk(mem, state, 0x0040_1000, 0, ACCESS_READ, out)).toBe(false);
    expect(out.status).toBe(WalkStatus.GeneralProtection);
  });

  it('maps 2 MiB and 1 GiB pages in 4-level paging', () => {
    const { mem, tables, state, out } = setup('level4');
    tables.map(0x0020_0000, 0, 0x0060_0000, 0x7, 0, 0x20_0000);
    tables.map(0x4000_0000, 0x1, 0x8000_0000, 0x7, 0, 0x4000_0000);
    expect(pageWalk(mem, state, 0x0021_2345, 0, ACCESS_READ, out)).toBe(true);
    expect([out.physical, out.pageSize]).toEqual([0x0061_2345, 0x20_0000]);
    expect(pageWalk(mem, state, 0x4123_4567, 0x1, ACCESS_READ, out)).toBe(true);
    expect([out.physical, out.pageSize]).toEqual([0x8123_4567, 0x4000_0000]);
  });

  it('treats PDPTE.PS as reserved without 1 GiB page support, and bits 29:13 of a 1 GiB PDPTE', () => {
    const { mem, tables, state, out } = setup('level4');
    const entry = tables.map(0x4000_0000, 0, 0x4000_0000, 0x7, 0, 0x4000_0000);
    expect(pageWalk(mem, state, 0x4000_0000, 0, ACCESS_READ, out)).toBe(true);
    state.pages1G = false;
    expect(pageWalk(mem, state, 0x4000_0000, 0, ACCESS_READ, out)).toBe(false);
    expect(out.errorCode).toBe(0x9);
    state.pages1G = true;
    mem.write32(gpa(entry), mem.read32(gpa(entry)) | 0x2000);
    expect(pageWalk(mem, state, 0x4000_0000, 0, ACCESS_READ, out)).toBe(false);
    expect(out.errorCode).toBe(0x9);
  });

  it('treats PS in a PML4E as reserved', () => {
    const { mem, tables, state, out } = setup('level4');
    tables.map(0x1000, 0, 0x5000, 0x7);
    mem.write32(gpa(tables.root), mem.read32(gpa(tables.root)) | 0x80);
    expect(pageWalk(mem, state, 0x1000, 0, ACCESS_WRITE, out)).toBe(false);
    expect(out.errorCode).toBe(0xb);
  });

  it.each([36, 39, 46, 52])('checks reserved address bits against MAXPHYADDR %i', (maxPhy) => {
    const { mem, tables, state, out } = setup('level4');
    state.maxPhyAddr = maxPhy;
    tables.map(0x1000, 0, 0x5000, 0x7, maxPhy < 52 ? 1 << (maxPhy - 32) : 0);
    const ok = pageWalk(mem, state, 0x1000, 0, ACCESS_READ, out);
    expect(ok).toBe(maxPhy === 52);
    if (!ok) expect(out.errorCode).toBe(0x9);
  });

  it('sets the accessed bit on every entry it walks through and the dirty bit on the leaf for writes', () => {
    const { mem, tables, state, out } = setup('level4');
    const pte = tables.map(0x1000, 0, 0x5000, 0x7);
    out.trace = true;
    expect(pageWalk(mem, state, 0x1000, 0, ACCESS_WRITE, out)).toBe(true);
    for (const e of out.entries()) expect(mem.read32(gpa(e.address)) & 0x20).toBe(0x20);
    expect(mem.read32(gpa(pte)) & 0x60).toBe(0x60);
    expect(out.dirty).toBe(true);
  });

  it('leaves accessed and dirty flags alone for a probe (ACCESS_NO_AD_UPDATE)', () => {
    const { mem, tables, state, out } = setup('level4');
    const pte = tables.map(0x1000, 0, 0x5000, 0x7);
    expect(pageWalk(mem, state, 0x1000, 0, ACCESS_WRITE | ACCESS_NO_AD_UPDATE, out)).toBe(true);
    expect(mem.read32(gpa(pte)) & 0x60).toBe(0);
    expect(mem.read32(gpa(tables.root)) & 0x20).toBe(0);
  });

  it('reports a global translation only with CR4.PGE', () => {
    const { mem, tables, state, out } = setup('level4');
    tables.map(0x1000, 0, 0x5000, 0x107);
    pageWalk(mem, state, 0x1000, 0, ACCESS_READ, out);
    expect(out.global).toBe(false);
    state.cr4 |= CR4_PGE;
    pageWalk(mem, state, 0x1000, 0, ACCESS_READ, out);
    expect(out.global).toBe(true);
  });

  it('applies SMAP to implicit supervisor accesses even with EFLAGS.AC=1', () => {
    const { mem, tables, state, out } = setup('level4');
    tables.map(0x1000, 0, 0x5000, 0x7);
    state.cr4 |= CR4_SMAP;
    expect(pageWalk(mem, state, 0x1000, 0, ACCESS_READ | ACCESS_AC, out)).toBe(true);
    expect(pageWalk(mem, state, 0x1000, 0, ACCESS_READ | ACCESS_AC | ACCESS_IMPLICIT_SUPERVISOR, out)).toBe(false);
    expect(out.errorCode).toBe(0x1);
  });

  it('applies PKRS to supervisor pages with CR4.PKS', () => {
    const { mem, tables, state, out } = setup('level4');
    tables.map(0x1000, 0, 0x5000, 0x3, 3 << 27);
    state.cr4 |= CR4_PKS;
    state.pkrs = 1 << 6; // AD for key 3
    expect(pageWalk(mem, state, 0x1000, 0, ACCESS_READ, out)).toBe(false);
    expect(out.errorCode).toBe(0x21);
    state.pkrs = 0;
    expect(pageWalk(mem, state, 0x1000, 0, ACCESS_READ, out)).toBe(true);
  });

  // [name, leaf flags, non-leaf writable, access, CR4.CET, expected error code or null]
  it.each<[string, number, boolean, number, boolean, number | null]>([
    ['a supervisor shadow-stack read of a supervisor shadow-stack page', 0x41, true, ACCESS_SHADOW_STACK, true, null],
    ['a supervisor shadow-stack write', 0x41, true, ACCESS_SHADOW_STACK | ACCESS_WRITE, true, null],
    ['an ordinary read of a shadow-stack page', 0x41, true, ACCESS_READ, true, null],
    ['an ordinary write to a shadow-stack page', 0x41, true, ACCESS_WRITE, true, 0x3],
    [
      'a user shadow-stack access to a supervisor shadow-stack page',
      0x41,
      true,
      ACCESS_SHADOW_STACK | ACCESS_USER,
      true,
      0x45,
    ],
    ['a supervisor shadow-stack access to a user shadow-stack page', 0x45, true, ACCESS_SHADOW_STACK, true, 0x41],
    [
      'a user shadow-stack write to a user shadow-stack page',
      0x45,
      true,
      ACCESS_SHADOW_STACK | ACCESS_USER | ACCESS_WRITE,
      true,
      null,
    ],
    ['a shadow-stack access to a writable page', 0x43, true, ACCESS_SHADOW_STACK | ACCESS_WRITE, true, 0x43],
    ['a shadow-stack access to a read-only clean page', 0x01, true, ACCESS_SHADOW_STACK, true, 0x41],
    ['a shadow-stack access under a read-only non-leaf entry', 0x41, false, ACCESS_SHADOW_STACK, true, 0x41],
    ['a shadow-stack access with CR4.CET=0', 0x41, true, ACCESS_SHADOW_STACK, false, 0x41],
  ])('CET: %s', (_name, leaf, nonLeafWritable, access, cet, errorCode) => {
    const { mem, state, out } = setup('level4');
    let next = 0x20_0000;
    const tables = new PageTableBuilder(mem, 'level4', () => (next += 0x1000), nonLeafWritable ? 0x7 : 0x5);
    tables.map(0x1000, 0, 0x5000, leaf | 0x20);
    state.cr3 = tables.root;
    state.cr0 |= CR0_WP;
    if (cet) state.cr4 |= CR4_CET;
    const ok = pageWalk(mem, state, 0x1000, 0, access, out);
    expect(ok).toBe(errorCode === null);
    if (errorCode !== null) expect(out.errorCode).toBe(errorCode);
  });

  it('lets PKRU.WD pass shadow-stack writes but not AD', () => {
    const { mem, tables, state, out } = setup('level4');
    tables.map(0x1000, 0, 0x5000, 0x65, 1 << 27); // user shadow-stack page, key 1
    state.cr0 |= CR0_WP;
    state.cr4 |= CR4_CET | CR4_PKE;
    state.pkru = 0b1000; // WD1
    const ss = ACCESS_SHADOW_STACK | ACCESS_USER | ACCESS_WRITE;
    expect(pageWalk(mem, state, 0x1000, 0, ss, out)).toBe(true);
    state.pkru = 0b0100; // AD1
    expect(pageWalk(mem, state, 0x1000, 0, ss, out)).toBe(false);
    expect(out.errorCode).toBe(0x67);
  });

  it('reports the not-present level and P=0 for an unmapped address', () => {
    const { mem, state, out } = setup('level5');
    out.trace = true;
    expect(pageWalk(mem, state, 0x1000, 0x100, ACCESS_USER | ACCESS_WRITE, out)).toBe(false);
    expect(out.vector).toBe(14);
    expect(out.errorCode).toBe(0x6);
    expect(out.entries()).toHaveLength(1);
  });
});
