// "Use TPR shadow" for CR8-based TPR accesses (SDM 3C 29.3) on a processor without
// virtual-interrupt delivery and APIC-access virtualization (neither is advertised): MOV CR8
// reads and writes VTPR on the virtual-APIC page, and a write runs TPR virtualization
// (29.1.2), whose only effect here is the TPR-below-threshold VM exit.
import * as C from '../vmcs/controls.ts';
import { slotOf } from '../vmcs/field-encoding.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsCache } from '../vmcs/vmcs.ts';
import type { PhysicalMemory } from '../memory/physical-memory.ts';

/** SDM 3C 29.1.1: VTPR, the 32-bit virtual task-priority register at offset 80H of the virtual-APIC page. */
export const VTPR_OFFSET = 0x80;

const S_PROC = slotOf(F.PRIMARY_PROCESSOR_BASED_CONTROLS);
const S_VIRTUAL_APIC = slotOf(F.VIRTUAL_APIC_ADDRESS);
const S_TPR_THRESHOLD = slotOf(F.TPR_THRESHOLD);

/** Whether the "use TPR shadow" VM-execution control is 1. */
export function usesTprShadow(vmcs: VmcsCache): boolean {
  return (vmcs.data[2 * S_PROC]! & C.PROC_USE_TPR_SHADOW) !== 0;
}

/**
 * The physical address of VTPR. SDM 3C 25.6.8: the virtual-APIC address is a physical address
 * (no EPT translation); VM entry checked it is 4K-aligned within MAXPHYADDR, so it is < 2^53.
 */
function vtprAddress(vmcs: VmcsCache): number {
  return vmcs.data[2 * S_VIRTUAL_APIC + 1]! * 0x100000000 + vmcs.data[2 * S_VIRTUAL_APIC]! + VTPR_OFFSET;
}

/** SDM 3C 29.3, MOV from CR8: the destination receives VTPR[7:4] in bits 3:0. */
export function readCr8Shadow(vmcs: VmcsCache, memory: PhysicalMemory): number {
  return (memory.read32(vtprAddress(vmcs)) >>> 4) & 0xf;
}

/**
 * SDM 3C 29.3, MOV to CR8: VTPR[7:4] = source[3:0], VTPR bits 3:0 and 31:8 cleared; then TPR
 * virtualization (29.1.2) with "virtual-interrupt delivery" 0. Returns true when VTPR[7:4] fell
 * below TPR threshold[3:0], i.e. a TPR-below-threshold VM exit is due after the instruction.
 */
export function writeCr8Shadow(vmcs: VmcsCache, memory: PhysicalMemory, value: number): boolean {
  const priority = value & 0xf;
  memory.write32(vtprAddress(vmcs), priority << 4);
  return priority < (vmcs.data[2 * S_TPR_THRESHOLD]! & 0xf);
}
