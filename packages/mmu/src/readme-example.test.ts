import { expect, it } from 'vitest';
import {
  ACCESS_USER,
  ACCESS_WRITE,
  CR0_PE,
  CR0_PG,
  CR4_PAE,
  EFER_LMA,
  EFER_LME,
  guestPhysical,
  PagingState,
  PhysicalMemory,
  pageWalk,
  WalkResult,
} from './index.ts';

it('runs the README example: a tiny 4-level page table walked by pageWalk', () => {
  const printed: string[] = [];
  const console = { log: (...args: unknown[]) => printed.push(args.join(' ')) };
  // --- README example start
  // import { ACCESS_WRITE, CR0_PE, CR0_PG, CR4_PAE, EFER_LMA, EFER_LME, PagingState,
  //   PhysicalMemory, WalkResult, guestPhysical, pageWalk } from '@typevisor/mmu';
  const mem = new PhysicalMemory();
  mem.addRam(guestPhysical(0), 16 * 1024 * 1024); // 16 MiB, allocated lazily

  // PML4 at 0x1000 -> PDPT at 0x2000 -> PD at 0x3000 -> PT at 0x4000, all P|R/W|U/S (0x7).
  mem.write64(guestPhysical(0x1000), 0x2000 | 0x7, 0);
  mem.write64(guestPhysical(0x2000), 0x3000 | 0x7, 0);
  mem.write64(guestPhysical(0x3000), 0x4000 | 0x7, 0);
  // PTE 5 maps linear 0x5000 to physical 0xabc000, present and writable, supervisor only.
  mem.write64(guestPhysical(0x4000 + 5 * 8), 0xabc000 | 0x3, 0);

  const state = new PagingState();
  state.cr0 = CR0_PG | CR0_PE;
  state.cr4 = CR4_PAE;
  state.efer = EFER_LME | EFER_LMA;
  state.cr3 = 0x1000;

  const out = new WalkResult();
  out.trace = true; // also list every entry read
  if (pageWalk(mem, state, 0x5123, 0, ACCESS_WRITE, out)) {
    console.log('physical', out.physical.toString(16)); // physical abc123
    console.log('entries read', out.entries().length); // entries read 4
    console.log('PTE now', mem.read32(guestPhysical(0x4028)).toString(16)); // PTE now abc063: A and D set
  }
  // A user-mode read of the same page faults: #PF with P=1, U/S=1.
  pageWalk(mem, state, 0x5123, 0, ACCESS_USER, out);
  console.log('fault', out.vector, 'error code', out.errorCode); // fault 14 error code 5
  // --- README example end
  expect(printed).toEqual(['physical abc123', 'entries read 4', 'PTE now abc063', 'fault 14 error code 5']);
});
