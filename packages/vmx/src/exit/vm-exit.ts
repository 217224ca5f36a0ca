import { IA32_FS_BASE, IA32_GS_BASE, IA32_SMBASE, IA32_SMM_MONITOR_CTL } from '../capabilities/msr-index.ts';
import type { PhysicalMemory } from '../memory/physical-memory.ts';
import type { VmxMsrPort } from '../processor/processor-state.ts';
import { INTR_INFO_VALID } from '../vmcs/controls.ts';
import { slotOf } from '../vmcs/field-encoding.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsCache } from '../vmcs/vmcs.ts';
import { EXIT_REASON_ENTRY_FAILURE_BIT } from './exit-reason.ts';

/** VMX-abort indicators written at offset 4 of the VMCS region, SDM 3C 28.7. */
export const VMX_ABORT_SAVING_GUEST_MSRS = 1;
export const VMX_ABORT_HOST_PDPTE = 2;
export const VMX_ABORT_VMCS_CORRUPTED = 3;
export const VMX_ABORT_LOADING_HOST_MSRS = 4;
export const VMX_ABORT_MACHINE_CHECK = 5;

/**
 * A VM exit as data: what the hypervisor reads from the exit-information fields
 * (SDM 3C 25.9, 28.2). One instance per {@link Vmx}, rewritten on every exit — read it
 * before the next VM entry or copy what you keep. Natural-width values are lo/hi halves;
 * `qualification` gives the qualification as a number (exact below 2^53).
 */
export class VmExit {
  /** Basic exit reason, bits 15:0 of the exit-reason field (Appendix C). */
  reason = 0;
  /** Bit 31 of the exit-reason field: this exit reports a failed VM entry. */
  entryFailure = false;
  qualificationLo = 0;
  qualificationHi = 0;
  guestLinearAddressLo = 0;
  guestLinearAddressHi = 0;
  guestPhysicalAddressLo = 0;
  guestPhysicalAddressHi = 0;
  instructionLength = 0;
  instructionInformation = 0;
  interruptionInformation = 0;
  interruptionErrorCode = 0;
  idtVectoringInformation = 0;
  idtVectoringErrorCode = 0;

  /** The exit qualification as a number. */
  get qualification(): number {
    return this.qualificationHi * 4294967296 + this.qualificationLo;
  }

  /** The full exit-reason field value (with bit 31 for entry failures). */
  get exitReasonField(): number {
    return ((this.reason & 0xffff) | (this.entryFailure ? EXIT_REASON_ENTRY_FAILURE_BIT : 0)) >>> 0;
  }

  /** Clears every field and sets the basic reason, ready to describe a new exit. */
  reset(reason: number, qualificationLo = 0, qualificationHi = 0): this {
    this.reason = reason;
    this.entryFailure = false;
    this.qualificationLo = qualificationLo >>> 0;
    this.qualificationHi = qualificationHi >>> 0;
    this.guestLinearAddressLo = 0;
    this.guestLinearAddressHi = 0;
    this.guestPhysicalAddressLo = 0;
    this.guestPhysicalAddressHi = 0;
    this.instructionLength = 0;
    this.instructionInformation = 0;
    this.interruptionInformation = 0;
    this.interruptionErrorCode = 0;
    this.idtVectoringInformation = 0;
    this.idtVectoringErrorCode = 0;
    return this;
  }
}

const S = slotOf;
const X = {
  REASON: S(F.EXIT_REASON),
  QUAL: S(F.EXIT_QUALIFICATION),
  GLA: S(F.GUEST_LINEAR_ADDRESS),
  GPA: S(F.GUEST_PHYSICAL_ADDRESS),
  LEN: S(F.VM_EXIT_INSTRUCTION_LENGTH),
  INFO: S(F.VM_EXIT_INSTRUCTION_INFORMATION),
  INTR: S(F.VM_EXIT_INTERRUPTION_INFORMATION),
  INTR_EC: S(F.VM_EXIT_INTERRUPTION_ERROR_CODE),
  IDT: S(F.IDT_VECTORING_INFORMATION),
  IDT_EC: S(F.IDT_VECTORING_ERROR_CODE),
  ENTRY_INTR: S(F.VM_ENTRY_INTERRUPTION_INFORMATION),
};

/** Writes the exit-information fields, SDM 3C 28.2, and clears the valid bit of VM-entry interruption information. */
export function recordExitInformation(v: VmcsCache, e: VmExit): void {
  const d = v.data;
  d[2 * X.REASON] = e.exitReasonField;
  d[2 * X.QUAL] = e.qualificationLo;
  d[2 * X.QUAL + 1] = e.qualificationHi;
  d[2 * X.GLA] = e.guestLinearAddressLo;
  d[2 * X.GLA + 1] = e.guestLinearAddressHi;
  d[2 * X.GPA] = e.guestPhysicalAddressLo;
  d[2 * X.GPA + 1] = e.guestPhysicalAddressHi;
  d[2 * X.LEN] = e.instructionLength;
  d[2 * X.INFO] = e.instructionInformation;
  d[2 * X.INTR] = e.interruptionInformation;
  d[2 * X.INTR_EC] = e.interruptionErrorCode;
  d[2 * X.IDT] = e.idtVectoringInformation;
  d[2 * X.IDT_EC] = e.idtVectoringErrorCode;
  d[2 * X.ENTRY_INTR] = (d[2 * X.ENTRY_INTR]! & ~INTR_INFO_VALID) >>> 0;
}

const msrValue = new Uint32Array(2);

/**
 * Stores MSRs into the VM-exit MSR-store area, SDM 3C 28.4. Returns false (VMX abort 1)
 * when an entry is malformed (reserved bits, x2APIC range, IA32_SMBASE) or the MSR cannot
 * be read.
 */
export function storeMsrs(memory: PhysicalMemory, msrs: VmxMsrPort, address: number, count: number): boolean {
  for (let i = 0; i < count; i++) {
    const a = address + 16 * i;
    const index = memory.read32(a) >>> 0;
    if (memory.read32(a + 4) !== 0 || index >>> 8 === 0x8 || index === IA32_SMBASE) return false;
    if (!msrs.readMsr(index, msrValue)) return false;
    memory.write32(a + 8, msrValue[0]!);
    memory.write32(a + 12, msrValue[1]!);
  }
  return true;
}

/** What is wrong with an MSR-load entry before its WRMSR is tried (SDM 3C 27.4, 28.6). */
export const MSR_ENTRY_OK = 0;
export const MSR_ENTRY_RESERVED = 1;
export const MSR_ENTRY_FS_GS_BASE = 2;
export const MSR_ENTRY_X2APIC = 3;
export const MSR_ENTRY_SMM = 4;

/** Classifies one MSR-load entry by its index and the dword of reserved bits 63:32. */
export function msrLoadEntryProblem(index: number, reserved: number): number {
  if (reserved !== 0) return MSR_ENTRY_RESERVED;
  if (index === IA32_FS_BASE || index === IA32_GS_BASE) return MSR_ENTRY_FS_GS_BASE;
  if (index >>> 8 === 0x8) return MSR_ENTRY_X2APIC;
  if (index === IA32_SMM_MONITOR_CTL || index === IA32_SMBASE) return MSR_ENTRY_SMM;
  return MSR_ENTRY_OK;
}

/**
 * Loads MSRs from an MSR-load area (VM entry 27.4 or VM exit 28.6). Returns 0 on success
 * or the 1-based number of the entry that failed: a malformed entry
 * ({@link msrLoadEntryProblem}) or a WRMSR that would #GP.
 */
export function loadMsrs(memory: PhysicalMemory, msrs: VmxMsrPort, address: number, count: number): number {
  for (let i = 0; i < count; i++) {
    const a = address + 16 * i;
    const index = memory.read32(a) >>> 0;
    if (msrLoadEntryProblem(index, memory.read32(a + 4)) !== MSR_ENTRY_OK) return i + 1;
    if (!msrs.writeMsr(index, memory.read32(a + 8), memory.read32(a + 12))) return i + 1;
  }
  return 0;
}
