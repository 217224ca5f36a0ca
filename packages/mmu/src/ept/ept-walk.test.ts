import { describe, expect, it } from 'vitest';
import { guestPhysical as gpa } from '../addresses.ts';
import { PhysicalMemory } from '../memory/physical-memory.ts';
import {
  ACCESS_FETCH,
  ACCESS_USER,
  ACCESS_READ,
  ACCESS_WRITE,
  CR0_PE,
  CR0_PG,
  CR4_PAE,
  EFER_LMA,
  EFER_LME,
} from '../paging/control-bits.ts';
import { loadPaePdptes, pageWalk } from '../paging/page-walk.ts';
import { PageTableBuilder } from '../paging/page-table-builder.ts';
import { PagingState } from '../paging/paging-state.ts';
import { TraceKind, WalkResult, WalkStatus } from '../paging/walk-result.ts';
import { EPT_QUAL_LINEAR_VALID, EPT_QUAL_TRANSLATED, EptState } from './ept-state.ts';
import { eptWalk } from './ept-walk.ts';

const HOST_OFFSET = 0x100_0000; // guest-physical g lives at host-physical g + 16 MiB
const WB = 6 << 3;

function setup(levels: 4 | 5 = 4, accessedDirty = false, tableFlags = 0x7) {
  const mem = new PhysicalMemory();
  mem.addRam(gpa(0), 64 * 1024 * 1024);
  let next = 0x8_0000;
  const ept = new PageTableBuilder(
    mem,
    levels === 4 ? 'ept4' : 'ept5',
    () => {
      next += 0x1000;
      return next;
    },
    tableFlags,
  );
  // Map the first 8 MiB of guest-physical memory RWX write-back.
  for (let g = 0; g < 0x80_0000; g += 0x1000) ept.map(g, 0, g + HOST_OFFSET, 0x7 | WB);
  const eptState = new EptState();
  eptState.eptp = EptState.makeEptp(ept.root, levels, accessedDirty);
  const out = new WalkResult();
  return { mem, ept, eptState, out };
}

/** Guest 4-level tables living in guest-physical memory (written through the host offset). */
function guestTables(mem: PhysicalMemory) {
  let next = 0x10_0000;
  const hostView = {
    read32: (a: number) => mem.read32(gpa(a + HOST_OFFSET)),
    write32: (a: number, v: number) => mem.write32(gpa(a + HOST_OFFSET), v),
  };
  const tables = new PageTableBuilder(hostView, 'level4', () => {
    next += 0x1000;
    return next;
  });
  const state = new PagingState();
  state.cr0 = CR0_PE | CR0_PG;
  state.cr4 = CR4_PAE;
  state.efer = EFER_LME | EFER_LMA;
  state.cr3 = tables.root;
  return { tables, state };
}

describe('eptWalk', () => {
  it.each([4, 5] as const)('translates guest-physical to host-physical with %i-level EPT', (levels) => {
    const { mem, eptState, out } = setup(levels);
    out.trace = true;
    expect(eptWalk(mem, eptState, 0x12_3456, 1, 0, out)).toBe(0x12_3456 + HOST_OFFSET);
    expect(out.entries().map((e) => e.level)).toEqual(levels === 4 ? [4, 3, 2, 1] : [5, 4, 3, 2, 1]);
    expect(out.eptMemoryType).toBe(6);
  });

  // Bits 2:0 of the leaf against each access; qualification bits 3..5 are the AND of R/W/X.
  it.each([
    [0b001, 1, true],
    [0b001, 2, false],
    [0b001, 4, false],
    [0b011, 2, true],
    [0b011, 4, false],
    [0b101, 4, true],
    [0b101, 2, false],
    [0b100, 4, true],
    [0b100, 1, false],
    [0b111, 7, true],
  ])('leaf permissions %i with access %i allowed=%s, else a violation naming the rights', (perm, access, allowed) => {
    const { mem, ept, eptState, out } = setup();
    ept.map(0x5000, 0, 0x5000 + HOST_OFFSET, perm | WB);
    const host = eptWalk(mem, eptState, 0x5010, access, 0, out);
    if (allowed) expect(host).toBe(0x5010 + HOST_OFFSET);
    else {
      expect(host).toBe(-1);
      expect(out.status).toBe(WalkStatus.EptViolation);
      expect(out.eptQualification).toBe(access | (perm << 3));
      expect(out.eptGuestPhysical).toBe(0x5010);
    }
  });

  it('reports a not-present entry as a violation with no rights', () => {
    const { mem, eptState, out } = setup();
    expect(eptWalk(mem, eptState, 0x4000_0000, 2, 0, out)).toBe(-1);
    expect(out.status).toBe(WalkStatus.EptViolation);
    expect(out.eptQualification).toBe(2);
  });

  it.each<[string, (lo: number) => number, number, boolean]>([
    ['write-only', () => 0b010 | WB, 0, false],
    ['write+execute without read', () => 0b110 | WB, 0, false],
    ['memory type 2', () => 0b111 | (2 << 3), 0, false],
    ['memory type 3', () => 0b111 | (3 << 3), 0, false],
    ['memory type 7', () => 0b111 | (7 << 3), 0, false],
    ['a bit above MAXPHYADDR', () => 0b111 | WB, 1 << 14, false],
    ['execute-only without the capability', () => 0b100 | WB, 0, true],
  ])('treats a %s leaf as a misconfiguration', (_name, makeLo, hi, noExecOnly) => {
    const { mem, ept, eptState, out } = setup();
    const leaf = ept.map(0x5000, 0, 0x5000 + HOST_OFFSET, 0x7 | WB);
    mem.write64(gpa(leaf), ((0x5000 + HOST_OFFSET) | makeLo(0)) >>> 0, hi);
    if (noExecOnly) eptState.executeOnly = false;
    expect(eptWalk(mem, eptState, 0x5000, 4, 0, out)).toBe(-1);
    expect(out.status).toBe(WalkStatus.EptMisconfig);
    expect(out.eptGuestPhysical).toBe(0x5000);
  });

  it.each([
    ['bit 3 of a PML4E', 0x8],
    ['bit 7 (page size) of a PML4E', 0x80],
  ])('treats reserved %s as a misconfiguration', (_name, bits) => {
    const { mem, ept, eptState, out } = setup();
    mem.write32(gpa(ept.root), mem.read32(gpa(ept.root)) | bits);
    expect(eptWalk(mem, eptState, 0x5000, 1, 0, out)).toBe(-1);
    expect(out.status).toBe(WalkStatus.EptMisconfig);
  });

  it('maps 2 MiB and 1 GiB EPT pages and checks their reserved low bits', () => {
    const { mem, ept, eptState, out } = setup();
    ept.map(0x4000_0000, 0, 0x20_0000, 0x7 | WB, 0, 0x20_0000);
    ept.map(0x8000_0000, 0x1, 0x4000_0000, 0x7 | WB, 0, 0x4000_0000);
    expect(eptWalk(mem, eptState, 0x4001_2345, 1, 0, out)).toBe(0x21_2345);
    expect(eptWalk(mem, eptState, 0x1_8123_4567, 1, 0, out)).toBe(0x4123_4567);
    out.trace = true;
    eptWalk(mem, eptState, 0x4001_2345, 1, 0, out);
    const pde = out.entries().at(-1)!.address;
    mem.write32(gpa(pde), mem.read32(gpa(pde)) | 0x1000);
    expect(eptWalk(mem, eptState, 0x4001_2345, 1, 0, out)).toBe(-1);
    expect(out.status).toBe(WalkStatus.EptMisconfig);
  });

  it('sets EPT accessed flags on each entry and dirty on the leaf for writes when EPTP bit 6 is set', () => {
    const { mem, eptState, out } = setup(4, true);
    out.trace = true;
    eptWalk(mem, eptState, 0x3000, 1, 0, out);
    const entries = out.entries();
    for (const e of entries) expect(mem.read32(gpa(e.address)) & 0x300).toBe(0x100);
    eptWalk(mem, eptState, 0x3000, 2, 0, out);
    expect(mem.read32(gpa(entries.at(-1)!.address)) & 0x300).toBe(0x300);
  });

  it('leaves EPT accessed and dirty flags alone when EPTP bit 6 is clear', () => {
    const { mem, eptState, out } = setup(4, false);
    out.trace = true;
    eptWalk(mem, eptState, 0x3000, 2, 0, out);
    for (const e of out.entries()) expect(mem.read32(gpa(e.address)) & 0x300).toBe(0);
  });
});

describe('pageWalk with EPT (two-dimensional walk)', () => {
  it('translates each guest paging-structure address through EPT: 24 references for 4-level on 4-level', () => {
    const { mem, eptState, out } = setup();
    const { tables, state } = guestTables(mem);
    tables.map(0x7000_0000, 0x12, 0x20_3000, 0x7);
    state.ept = eptState;
    out.trace = true;
    expect(pageWalk(mem, state, 0x7000_0abc, 0x12, ACCESS_READ, out)).toBe(true);
    expect(out.guestPhysical).toBe(0x20_3abc);
    expect(out.physical).toBe(0x20_3abc + HOST_OFFSET);
    expect(out.memoryReferences).toBe(24);
    const kinds = out.entries().map((e) => (e.kind === TraceKind.Ept ? 'e' : 'g'));
    expect(kinds.join('')).toBe(`${'eeeeg'.repeat(4)}eeee`);
    // Guest entries were read at host-physical addresses.
    for (const e of out.entries().filter((x) => x.kind === TraceKind.Guest))
      expect(e.address).toBeGreaterThan(HOST_OFFSET);
  });

  it('reports an EPT violation on a guest paging-structure read with bit 7 set and bit 8 clear', () => {
    const { mem, ept, eptState, out } = setup();
    const { tables, state } = guestTables(mem);
    tables.map(0x1000, 0, 0x20_3000, 0x7);
    state.ept = eptState;
    ept.map(tables.root, 0, tables.root + HOST_OFFSET, 0x4 | WB); // the guest PML4 page is execute-only
    expect(pageWalk(mem, state, 0x1000, 0, ACCESS_READ, out)).toBe(false);
    expect(out.status).toBe(WalkStatus.EptViolation);
    expect(out.eptGuestPhysical).toBe(tables.root);
    expect(out.eptQualification).toBe(1 | (4 << 3) | EPT_QUAL_LINEAR_VALID);
  });

  it('reports an EPT violation on the final access with bits 7 and 8 set', () => {
    const { mem, ept, eptState, out } = setup();
    const { tables, state } = guestTables(mem);
    tables.map(0x1000, 0, 0x20_3000, 0x7);
    state.ept = eptState;
    ept.map(0x20_3000, 0, 0x20_3000 + HOST_OFFSET, 0x1 | WB); // read-only
    expect(pageWalk(mem, state, 0x1000, 0, ACCESS_READ, out)).toBe(true);
    expect(pageWalk(mem, state, 0x1008, 0, ACCESS_WRITE, out)).toBe(false);
    // Bits 9 and 10 (advanced information): the guest page is user-mode and writable.
    expect(out.eptQualification).toBe(2 | (1 << 3) | EPT_QUAL_LINEAR_VALID | EPT_QUAL_TRANSLATED | 0x600);
    expect(out.eptGuestPhysical).toBe(0x20_3008);
    expect([out.linearLo, out.linearHi]).toEqual([0x1008, 0]);
    expect(pageWalk(mem, state, 0x1008, 0, ACCESS_FETCH, out)).toBe(false);
    expect(out.eptQualification & 7).toBe(4);
  });

  it('reports XD of the guest translation in bit 11 and leaves bits 9-11 clear without advanced information', () => {
    const { mem, ept, eptState, out } = setup();
    const { tables, state } = guestTables(mem);
    state.efer |= 1 << 11; // NXE
    tables.map(0x1000, 0, 0x20_3000, 0x3, 0x8000_0000); // supervisor, writable, XD
    state.ept = eptState;
    ept.map(0x20_3000, 0, 0x20_3000 + HOST_OFFSET, 0x1 | WB);
    expect(pageWalk(mem, state, 0x1000, 0, ACCESS_WRITE, out)).toBe(false);
    expect(out.eptQualification & 0xe00).toBe(0xc00);
    eptState.advancedExitInfo = false;
    expect(pageWalk(mem, state, 0x1000, 0, ACCESS_WRITE, out)).toBe(false);
    expect(out.eptQualification & 0xe00).toBe(0);
  });

  it('treats guest paging-structure accesses as writes (bits 0 and 1) when EPT A/D is on', () => {
    const { mem, ept, eptState, out } = setup(4, true);
    const { tables, state } = guestTables(mem);
    tables.map(0x1000, 0, 0x20_3000, 0x7);
    state.ept = eptState;
    ept.map(tables.root, 0, tables.root + HOST_OFFSET, 0x1 | WB); // readable but not writable
    expect(pageWalk(mem, state, 0x1000, 0, ACCESS_READ, out)).toBe(false);
    expect(out.eptQualification).toBe(3 | (1 << 3) | EPT_QUAL_LINEAR_VALID);
  });

  it('needs EPT write access to set a guest accessed flag when EPT A/D is off', () => {
    const { mem, ept, eptState, out } = setup(4, false);
    const { tables, state } = guestTables(mem);
    tables.map(0x1000, 0, 0x20_3000, 0x7);
    state.ept = eptState;
    ept.map(tables.root, 0, tables.root + HOST_OFFSET, 0x1 | WB);
    expect(pageWalk(mem, state, 0x1000, 0, ACCESS_READ, out)).toBe(false);
    expect(out.eptQualification).toBe(2 | (1 << 3) | EPT_QUAL_LINEAR_VALID);
    // Once the guest's A flag is set, no write is needed and the walk completes.
    mem.write32(gpa(tables.root + HOST_OFFSET), mem.read32(gpa(tables.root + HOST_OFFSET)) | 0x20);
    expect(pageWalk(mem, state, 0x1000, 0, ACCESS_READ, out)).toBe(true);
  });

  // Mode-based execute control: bit 2 for supervisor-mode linear addresses, bit 10 for user-mode.
  it.each<[string, number, number, number | null]>([
    ['a user-mode fetch from an X (bit 2) page', 0x7, 0x7, 0x4 | (0x7 << 3) | 0x180 | 0x600],
    ['a user-mode fetch from an XU (bit 10) page', 0x7, 0x403, null],
    ['a supervisor-mode fetch from an XU-only page', 0x3, 0x403, 0x4 | (0x3 << 3) | 0x40 | 0x180 | 0x400],
    ['a supervisor-mode fetch from an X page', 0x3, 0x7, null],
  ])('mode-based execute: %s', (_name, guestFlags, eptLeaf, qualification) => {
    const { mem, ept, eptState, out } = setup(4, false, 0x407); // non-leaf entries allow both kinds of fetch
    eptState.modeBasedExecute = true;
    const { tables, state } = guestTables(mem);
    tables.map(0x1000, 0, 0x20_3000, guestFlags);
    state.ept = eptState;
    ept.map(0x20_3000, 0, 0x20_3000 + HOST_OFFSET, eptLeaf | WB);
    const ok = pageWalk(mem, state, 0x1000, 0, ACCESS_FETCH | ((guestFlags & 4) !== 0 ? ACCESS_USER : 0), out);
    expect(ok).toBe(qualification === null);
    if (qualification !== null) expect(out.eptQualification).toBe(qualification);
  });

  it('counts an entry with only bit 10 set as present only with mode-based execute', () => {
    const { mem, ept, eptState, out } = setup(4, false, 0x407);
    ept.map(0x5000, 0, 0x5000 + HOST_OFFSET, 0x400 | WB);
    expect(eptWalk(mem, eptState, 0x5000, 4, 0, out, true)).toBe(-1);
    expect(out.eptQualification).toBe(4);
    eptState.modeBasedExecute = true;
    expect(eptWalk(mem, eptState, 0x5000, 4, 0, out, true)).toBe(0x5000 + HOST_OFFSET);
    eptState.executeOnly = false;
    expect(eptWalk(mem, eptState, 0x5000, 4, 0, out, true)).toBe(-1);
    expect(out.status).toBe(WalkStatus.EptMisconfig);
  });

  it('loads PAE PDPTEs from guest-physical memory through EPT, and fails on an EPT violation there', () => {
    const { mem, ept, eptState, out } = setup();
    let next = 0x10_0000;
    const hostView = {
      read32: (a: number) => mem.read32(gpa(a + HOST_OFFSET)),
      write32: (a: number, v: number) => mem.write32(gpa(a + HOST_OFFSET), v),
    };
    const tables = new PageTableBuilder(hostView, 'pae', () => (next += 0x1000));
    tables.map(0x0040_1000, 0, 0x20_3000, 0x7);
    const state = new PagingState();
    state.cr0 = CR0_PE | CR0_PG;
    state.cr4 = CR4_PAE;
    state.cr3 = tables.root;
    state.ept = eptState;
    expect(pageWalk(mem, state, 0x0040_1234, 0, ACCESS_READ, out)).toBe(true);
    expect(out.physical).toBe(0x20_3234 + HOST_OFFSET);
    state.pdptesLoaded = false;
    ept.map(tables.root, 0, tables.root + HOST_OFFSET, 0x4 | WB); // PDPT page not readable
    expect(loadPaePdptes(mem, state, out)).toBe(false);
    expect(out.status).toBe(WalkStatus.EptViolation);
    expect(out.eptGuestPhysical).toBe(tables.root);
  });

  it('translates through EPT with paging off', () => {
    const { mem, eptState, out } = setup();
    const state = new PagingState();
    state.ept = eptState;
    expect(pageWalk(mem, state, 0x4321, 0, ACCESS_READ, out)).toBe(true);
    expect(out.physical).toBe(0x4321 + HOST_OFFSET);
    expect(out.memoryReferences).toBe(4);
  });
});
