// pnpm bench: TLB-hit translations/s, 4-level walks/s and two-dimensional (EPT) walks/s, with
// the memory references each walk makes. No external anchor exists for these figures in this
// repository (none of the catalog's tools exposes a callable page walk), so lines carry none.
import { measureRate, printLine } from '@typevisor/bench';
import {
  ACCESS_READ,
  CR0_PE,
  CR0_PG,
  CR4_LA57,
  CR4_PAE,
  EFER_LMA,
  EFER_LME,
  EptState,
  guestPhysical,
  PageTableBuilder,
  PagingState,
  PhysicalMemory,
  pageWalk,
  Tlb,
  WalkResult,
} from '../src/index.ts';

const PAGES = 512; // linear pages touched, spread over several page tables
const STRIDE = 0x1_1000; // 68 KiB: a new PT every few pages
const EPT_OFFSET = 0x1000_0000;

function build(levels: 4 | 5, withEpt: boolean) {
  const mem = new PhysicalMemory();
  mem.addRam(guestPhysical(0), 0x2000_0000);
  let next = 0x100_0000;
  const alloc = () => (next += 0x1000);
  const state = new PagingState();
  state.cr0 = CR0_PE | CR0_PG;
  state.cr4 = CR4_PAE | (levels === 5 ? CR4_LA57 : 0);
  state.efer = EFER_LME | EFER_LMA;
  if (withEpt) {
    // Guest-physical g lives at host-physical g + 256 MiB; guest tables are written there.
    const ept = new PageTableBuilder(mem, 'ept4', alloc);
    let gNext = 0x10_0000;
    const gAlloc = () => {
      gNext += 0x1000;
      ept.map(gNext, 0, gNext + EPT_OFFSET, 0x37);
      return gNext;
    };
    const hostView = {
      read32: (a: number) => mem.read32(guestPhysical(a + EPT_OFFSET)),
      write32: (a: number, v: number) => mem.write32(guestPhysical(a + EPT_OFFSET), v),
    };
    const tables = new PageTableBuilder(hostView, levels === 5 ? 'level5' : 'level4', gAlloc);
    for (let i = 0; i < PAGES; i++) {
      tables.map(i * STRIDE, 0, 0x40_0000 + i * 0x1000, 0x67);
      ept.map(0x40_0000 + i * 0x1000, 0, 0x40_0000 + i * 0x1000 + EPT_OFFSET, 0x37);
    }
    state.cr3 = tables.root;
    const e = new EptState();
    e.eptp = EptState.makeEptp(ept.root, 4, false);
    state.ept = e;
  } else {
    const tables = new PageTableBuilder(mem, levels === 5 ? 'level5' : 'level4', alloc);
    for (let i = 0; i < PAGES; i++) tables.map(i * STRIDE, 0, 0x40_0000 + i * 0x1000, 0x67);
    state.cr3 = tables.root;
  }
  return { mem, state };
}

function walkRate(name: string, label: string, levels: 4 | 5, withEpt: boolean): void {
  const { mem, state } = build(levels, withEpt);
  const out = new WalkResult();
  let refs = 0;
  for (let i = 0; i < PAGES; i++) {
    if (!pageWalk(mem, state, i * STRIDE + 8, 0, ACCESS_READ, out)) throw new Error(`walk ${i} faulted`);
    refs += out.memoryReferences;
  }
  const rate = measureRate(() => {
    for (let i = 0; i < PAGES; i++) pageWalk(mem, state, i * STRIDE + 8, 0, ACCESS_READ, out);
    return PAGES;
  });
  printLine(name, { value: rate.perSecond, unit: 'walks/s' });
  printLine(`  ${label}: memory refs per walk`, { value: refs / PAGES, unit: 'refs' });
}

function tlbHitRate(): void {
  const { mem, state } = build(4, false);
  const tlb = new Tlb(1024);
  const out = new WalkResult();
  for (let i = 0; i < 256; i++) tlb.translate(mem, state, i * STRIDE, 0, ACCESS_READ, out);
  const before = tlb.misses;
  const rate = measureRate(() => {
    for (let i = 0; i < 256; i++) tlb.translate(mem, state, i * STRIDE + 16, 0, ACCESS_READ, out);
    return 256;
  });
  if (tlb.misses !== before) throw new Error('the TLB-hit bench missed');
  printLine('TLB hit translations (4-level, 256 pages)', { value: rate.perSecond, unit: 'transl/s' });
}

function memoryReadRate(): void {
  const mem = new PhysicalMemory();
  mem.addRam(guestPhysical(0), 0x100_0000);
  const rate = measureRate(() => {
    let sum = 0;
    for (let a = 0; a < 0x10000; a += 64) sum += mem.read32(guestPhysical(a));
    return sum >= 0 ? 1024 : 0;
  });
  printLine('PhysicalMemory.read32 (RAM)', { value: rate.perSecond, unit: 'reads/s' });
}

tlbHitRate();
walkRate('4-level page walks', '4-level', 4, false);
walkRate('5-level page walks', '5-level', 5, false);
walkRate('2-D walks (4-level guest on 4-level EPT)', '2-D', 4, true);
memoryReadRate();
