// Test support: a guest GDT (null, 64-bit code 08H, data 10H) and an IDT whose 256 gates are
// 64-bit interrupt gates to one handler, written into guest memory and into the VMCS guest
// GDTR/IDTR, so guests can take exceptions and interrupts.
import { guestPhysical, type PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsAccess } from '../vmcs/vmcs.ts';

export const GUEST_GDT = 0x40000;
export const GUEST_IDT = 0x41000;
/** Where every gate points; the default handler records its RSP in R8 and halts. */
export const GUEST_HANDLER = 0x42000;

/** Writes the tables and the handler and points the VMCS guest GDTR/IDTR at them. */
export function writeGuestTables(memory: PhysicalMemory, v: VmcsAccess, handler = 'mov r8, rsp\nhlt'): void {
  memory.writeBytes(guestPhysical(GUEST_HANDLER), assemble(`bits 64\n${handler}`, { org: GUEST_HANDLER }).bytes);
  memory.write32(guestPhysical(GUEST_GDT + 8), 0x0000ffff);
  memory.write32(guestPhysical(GUEST_GDT + 12), 0x00af9a00);
  memory.write32(guestPhysical(GUEST_GDT + 16), 0x0000ffff);
  memory.write32(guestPhysical(GUEST_GDT + 20), 0x00cf9200);
  for (let vector = 0; vector < 256; vector++) setGate(memory, vector, true);
  v.write(F.GUEST_GDTR_BASE, GUEST_GDT);
  v.write(F.GUEST_GDTR_LIMIT, 0x17);
  v.write(F.GUEST_IDTR_BASE, GUEST_IDT);
  v.write(F.GUEST_IDTR_LIMIT, 0xfff);
}

/** Makes gate `vector` present (an interrupt gate to the handler) or not present. */
export function setGate(memory: PhysicalMemory, vector: number, present: boolean): void {
  memory.write32(guestPhysical(GUEST_IDT + vector * 16), (GUEST_HANDLER & 0xffff) | (0x08 << 16));
  const attributes = present ? 0x8e00 : 0x0e00;
  memory.write32(guestPhysical(GUEST_IDT + vector * 16 + 4), ((GUEST_HANDLER & 0xffff0000) | attributes) >>> 0);
}
