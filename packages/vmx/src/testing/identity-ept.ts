// Test support: EPT paging structures mapping the first 1 MiB of guest-physical memory to the
// same host-physical addresses with 4 KiB pages (read, write, execute, write-back), built at
// 1 MiB, and the VMCS controls that turn EPT on.
import { guestPhysical, PageTableBuilder, type PhysicalMemory } from '@typevisor/mmu';
import * as C from '../vmcs/controls.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsAccess } from '../vmcs/vmcs.ts';

const EPT_TABLES = 0x100000;
const GUEST_MEMORY = 0x100000;
/** EPT leaf: read, write, execute, write-back memory type (SDM 3C 29.3.7). */
export const EPT_RWX_WB = 0x7 | (6 << 3);
/** EPT leaf memory type write-back, no access. */
export const EPT_WB = 6 << 3;

/**
 * Builds the identity EPT map with its tables from `tables` (default 1 MiB); re-`map` a page on the
 * returned builder to change its rights or its host-physical page.
 */
export function buildIdentityEpt(memory: PhysicalMemory, tables = EPT_TABLES): PageTableBuilder {
  let next = tables;
  const ept = new PageTableBuilder(memory, 'ept4', () => {
    const page = next;
    next += 0x1000;
    for (let i = 0; i < 4096; i += 4) memory.write32(guestPhysical(page + i), 0);
    return page;
  });
  for (let gpa = 0; gpa < GUEST_MEMORY; gpa += 0x1000) ept.map(gpa, 0, gpa, EPT_RWX_WB);
  return ept;
}

/** Turns on "enable EPT" with a write-back, 4-level EPTP at `root` (bit 6: EPT A/D flags). */
export function enableEpt(v: VmcsAccess, root: number, accessedDirty = false): void {
  v.write(
    F.PRIMARY_PROCESSOR_BASED_CONTROLS,
    v.read(F.PRIMARY_PROCESSOR_BASED_CONTROLS) | C.PROC_ACTIVATE_SECONDARY_CONTROLS,
  );
  v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, v.read(F.SECONDARY_PROCESSOR_BASED_CONTROLS) | C.PROC2_ENABLE_EPT);
  v.write(F.EPT_POINTER, root | 6 | (3 << 3) | (accessedDirty ? 1 << 6 : 0));
}
