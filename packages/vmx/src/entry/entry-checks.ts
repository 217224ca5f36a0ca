import type { VmxCapabilities } from '../capabilities/capabilities.ts';
import {
  ENTRY_FAILURE_QUAL_DEFAULT,
  ENTRY_FAILURE_QUAL_NMI_INJECTION,
  ENTRY_FAILURE_QUAL_PDPTE,
  ENTRY_FAILURE_QUAL_VMCS_LINK_POINTER,
  EXIT_REASON_ENTRY_FAILURE_GUEST_STATE,
  EXIT_REASON_ENTRY_FAILURE_MSR_LOADING,
} from '../exit/exit-reason.ts';
import { msrLoadEntryProblem } from '../exit/vm-exit.ts';
import type { PhysicalMemory } from '../memory/physical-memory.ts';
import * as C from '../vmcs/controls.ts';
import { slotOf } from '../vmcs/field-encoding.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsCache } from '../vmcs/vmcs.ts';
import { canonical, eptPointerValid } from './address-checks.ts';

/** Which part of VM entry a check belongs to, and so how its failure is reported. */
export type EntryCheckArea = 'control' | 'host' | 'guest' | 'msr-load';

/**
 * One VM-entry check (SDM 3C 27.2-27.4): a stable identifier, the SDM section that states
 * it, and how its failure is reported — VMfailValid with `error` 7 or 8 for controls and
 * host state, or a VM-entry failure exit with `exitReason` 33/34 and `qualification`.
 */
export interface EntryCheck {
  readonly id: string;
  readonly section: string;
  readonly area: EntryCheckArea;
  readonly description: string;
  /** VM-instruction error (7 or 8), or 0 when the failure is an exit. */
  readonly error: number;
  /** Basic exit reason of the failure exit (33 or 34), or 0 when the failure is VMfailValid. */
  readonly exitReason: number;
  /** Exit qualification of the failure exit (for MSR loading: filled with the entry number). */
  readonly qualification: number;
  /** The fields the check reads, by name, to point a hypervisor author at them. */
  readonly fields: readonly string[];
}

/** Which check failed on a VM entry and what the processor reported. */
export interface EntryCheckFailure {
  readonly check: EntryCheck;
  readonly id: string;
  readonly section: string;
  readonly error: number;
  readonly exitReason: number;
  readonly qualification: number;
}

/** The VMCS values a check looks at, read once per VM entry. */
export class EntryState {
  vmcs!: VmcsCache;
  caps!: VmxCapabilities;
  memory!: PhysicalMemory;
  /** The processor executing VMLAUNCH/VMRESUME is in IA-32e mode (IA32_EFER.LMA). */
  hostIa32e = false;
  pin = 0;
  proc = 0;
  /** Secondary controls as in effect: 0 unless "activate secondary controls" is 1. */
  proc2 = 0;
  exit = 0;
  entry = 0;
  ug = false;
  ia32eGuest = false;
  hostSize64 = false;
  guestCr0 = 0;
  guestCr4 = 0;
  rflags = 0;
  v86 = false;
  intrInfo = 0;
  injecting = false;
  intrType = 0;
  intrVector = 0;
  interruptibility = 0;
  activity = 0;
  /** Index of the MSR-load entry being checked (from 1) when an msr-load check fails. */
  msrEntry = 0;

  lo(encoding: number): number {
    return this.vmcs.lo(slotOf(encoding));
  }

  hi(encoding: number): number {
    return this.vmcs.hi(slotOf(encoding));
  }

  reset(vmcs: VmcsCache, caps: VmxCapabilities, memory: PhysicalMemory, hostIa32e: boolean): void {
    this.vmcs = vmcs;
    this.caps = caps;
    this.memory = memory;
    this.hostIa32e = hostIa32e;
    this.pin = this.lo(F.PIN_BASED_CONTROLS);
    this.proc = this.lo(F.PRIMARY_PROCESSOR_BASED_CONTROLS);
    this.proc2 = this.proc & C.PROC_ACTIVATE_SECONDARY_CONTROLS ? this.lo(F.SECONDARY_PROCESSOR_BASED_CONTROLS) : 0;
    this.exit = this.lo(F.PRIMARY_VM_EXIT_CONTROLS);
    this.entry = this.lo(F.VM_ENTRY_CONTROLS);
    this.ug = (this.proc2 & C.PROC2_UNRESTRICTED_GUEST) !== 0;
    this.ia32eGuest = (this.entry & C.ENTRY_IA32E_MODE_GUEST) !== 0;
    this.hostSize64 = (this.exit & C.EXIT_HOST_ADDRESS_SPACE_SIZE) !== 0;
    this.guestCr0 = this.lo(F.GUEST_CR0);
    this.guestCr4 = this.lo(F.GUEST_CR4);
    this.rflags = this.lo(F.GUEST_RFLAGS);
    this.v86 = (this.rflags & RFLAGS_VM) !== 0;
    this.intrInfo = this.lo(F.VM_ENTRY_INTERRUPTION_INFORMATION);
    this.injecting = (this.intrInfo & C.INTR_INFO_VALID) !== 0;
    this.intrType = (this.intrInfo >> 8) & 7;
    this.intrVector = this.intrInfo & 0xff;
    this.interruptibility = this.lo(F.GUEST_INTERRUPTIBILITY_STATE);
    this.activity = this.lo(F.GUEST_ACTIVITY_STATE);
    this.msrEntry = 0;
  }
}

const RFLAGS_VM = 1 << 17;
const RFLAGS_IF = 1 << 9;
const RFLAGS_TF = 1 << 8;
const CR0_PE = 1 << 0;
const CR0_PG = 1 << 31;
const CR4_PAE = 1 << 5;
const CR4_PCIDE = 1 << 17;
const EFER_LME = 1 << 8;
const EFER_LMA = 1 << 10;
/** IA32_EFER bits software may set: SCE, LME, LMA, NXE. */
const EFER_VALID = 0x1 | EFER_LME | EFER_LMA | 0x800;
/** IA32_DEBUGCTL bits that exist: 0, 1 and 6-15. */
const DEBUGCTL_VALID = 0xffc3;
/** IA32_PERF_GLOBAL_CTRL: 4 general-purpose counters (bits 3:0), 3 fixed counters (bits 34:32). */
const PERF_GLOBAL_VALID_LO = 0xf;
const PERF_GLOBAL_VALID_HI = 0x7;

// -- helpers ---------------------------------------------------------------------------

function fits(s: EntryState, lo: number, hi: number, alignMask: number): boolean {
  return (lo & alignMask) === 0 && s.caps.physicalAddressValid(lo, hi);
}

function pageAddress(s: EntryState, encoding: number): boolean {
  return fits(s, s.lo(encoding), s.hi(encoding), 0xfff);
}

/** SDM 3C 27.2.1.2/3: a 16-byte-aligned MSR area whose last byte is within the physical-address width. */
function msrArea(s: EntryState, addressField: number, countField: number): boolean {
  const count = s.lo(countField) >>> 0;
  if (count === 0) return true;
  const lo = s.lo(addressField);
  const hi = s.hi(addressField);
  if (!fits(s, lo, hi, 0xf)) return false;
  const last = hi * 4294967296 + lo + count * 16 - 1;
  return last < 2 ** s.caps.features.physicalAddressWidth;
}

function allowed(value: number, kind: 'pin' | 'proc' | 'proc2' | 'exit' | 'entry', caps: VmxCapabilities): boolean {
  const a = caps.allowed(kind);
  return (value & a.mustBeOne) >>> 0 === a.mustBeOne >>> 0 && (value & ~a.mayBeOne) === 0;
}

function canon(s: EntryState, encoding: number): boolean {
  return canonical(s.lo(encoding), s.hi(encoding), s.caps.features.linearAddressWidth);
}

/** SDM 3C 27.2.2: every byte of PAT is 0 (UC), 1 (WC), 4 (WT), 5 (WP), 6 (WB) or 7 (UC-). */
function patValid(lo: number, hi: number): boolean {
  for (let i = 0; i < 4; i++) {
    const a = (lo >>> (8 * i)) & 0xff;
    const b = (hi >>> (8 * i)) & 0xff;
    if (a === 2 || a === 3 || a > 7 || b === 2 || b === 3 || b > 7) return false;
  }
  return true;
}

function fixedOk(value: number, fixed0: number, fixed1: number): boolean {
  return (value & fixed0) >>> 0 === fixed0 >>> 0 && (value & ~fixed1) === 0;
}

// -- the table -------------------------------------------------------------------------

interface CheckDef extends EntryCheck {
  readonly ok: (s: EntryState) => boolean;
}

const defs: CheckDef[] = [];

function control(id: string, section: string, fields: string[], description: string, ok: (s: EntryState) => boolean) {
  defs.push({ id, section, area: 'control', description, error: 7, exitReason: 0, qualification: 0, fields, ok });
}
function host(id: string, section: string, fields: string[], description: string, ok: (s: EntryState) => boolean) {
  defs.push({ id, section, area: 'host', description, error: 8, exitReason: 0, qualification: 0, fields, ok });
}
function guest(
  id: string,
  section: string,
  fields: string[],
  description: string,
  ok: (s: EntryState) => boolean,
  qualification = ENTRY_FAILURE_QUAL_DEFAULT,
) {
  defs.push({
    id,
    section,
    area: 'guest',
    description,
    error: 0,
    exitReason: EXIT_REASON_ENTRY_FAILURE_GUEST_STATE,
    qualification,
    fields,
    ok,
  });
}

// 27.2.1.1 Checks on VM-execution control fields
const S_EXEC = '27.2.1.1';
control(
  'ctl.pin.reserved',
  S_EXEC,
  ['PIN_BASED_CONTROLS'],
  'pin-based controls respect IA32_VMX_(TRUE_)PINBASED_CTLS',
  (s) => allowed(s.pin, 'pin', s.caps),
);
control(
  'ctl.proc.reserved',
  S_EXEC,
  ['PRIMARY_PROCESSOR_BASED_CONTROLS'],
  'primary processor-based controls respect IA32_VMX_(TRUE_)PROCBASED_CTLS',
  (s) => allowed(s.proc, 'proc', s.caps),
);
control(
  'ctl.proc2.reserved',
  S_EXEC,
  ['SECONDARY_PROCESSOR_BASED_CONTROLS'],
  'secondary controls (when activated) respect IA32_VMX_PROCBASED_CTLS2',
  (s) => allowed(s.proc2, 'proc2', s.caps),
);
control(
  'ctl.cr3-target-count',
  S_EXEC,
  ['CR3_TARGET_COUNT'],
  'CR3-target count is at most IA32_VMX_MISC[24:16]',
  (s) => s.lo(F.CR3_TARGET_COUNT) >>> 0 <= ((s.caps.misc.lo >>> 16) & 0x1ff),
);
control(
  'ctl.io-bitmap-a.address',
  S_EXEC,
  ['IO_BITMAP_A'],
  'with "use I/O bitmaps", I/O bitmap A is 4K-aligned within MAXPHYADDR',
  (s) => !(s.proc & C.PROC_USE_IO_BITMAPS) || pageAddress(s, F.IO_BITMAP_A),
);
control(
  'ctl.io-bitmap-b.address',
  S_EXEC,
  ['IO_BITMAP_B'],
  'with "use I/O bitmaps", I/O bitmap B is 4K-aligned within MAXPHYADDR',
  (s) => !(s.proc & C.PROC_USE_IO_BITMAPS) || pageAddress(s, F.IO_BITMAP_B),
);
control(
  'ctl.msr-bitmap.address',
  S_EXEC,
  ['MSR_BITMAPS'],
  'with "use MSR bitmaps", the MSR-bitmap address is 4K-aligned within MAXPHYADDR',
  (s) => !(s.proc & C.PROC_USE_MSR_BITMAPS) || pageAddress(s, F.MSR_BITMAPS),
);
control(
  'ctl.tpr-shadow.virtual-apic-address',
  S_EXEC,
  ['VIRTUAL_APIC_ADDRESS'],
  'with "use TPR shadow", the virtual-APIC address is 4K-aligned within MAXPHYADDR',
  (s) => !(s.proc & C.PROC_USE_TPR_SHADOW) || pageAddress(s, F.VIRTUAL_APIC_ADDRESS),
);
control(
  'ctl.tpr-shadow.tpr-threshold-reserved',
  S_EXEC,
  ['TPR_THRESHOLD'],
  'with "use TPR shadow" and no virtual-interrupt delivery, TPR threshold bits 31:4 are 0',
  (s) =>
    !(s.proc & C.PROC_USE_TPR_SHADOW) ||
    (s.proc2 & C.PROC2_VIRTUAL_INTERRUPT_DELIVERY) !== 0 ||
    (s.lo(F.TPR_THRESHOLD) & 0xfffffff0) === 0,
);
control(
  'ctl.tpr-shadow.tpr-threshold-vtpr',
  S_EXEC,
  ['TPR_THRESHOLD', 'VIRTUAL_APIC_ADDRESS'],
  'with "use TPR shadow" and neither virtual-interrupt delivery nor APIC-access virtualization, TPR threshold[3:0] <= VTPR[7:4]',
  (s) => {
    if (!(s.proc & C.PROC_USE_TPR_SHADOW)) return true;
    if (s.proc2 & (C.PROC2_VIRTUAL_INTERRUPT_DELIVERY | C.PROC2_VIRTUALIZE_APIC_ACCESSES)) return true;
    const vtpr = s.memory.read32(s.lo(F.VIRTUAL_APIC_ADDRESS) + 0x80) & 0xff;
    return (s.lo(F.TPR_THRESHOLD) & 0xf) <= vtpr >>> 4;
  },
);
control(
  'ctl.no-tpr-shadow.apic-virtualization',
  S_EXEC,
  ['SECONDARY_PROCESSOR_BASED_CONTROLS'],
  'without "use TPR shadow", x2APIC virtualization, APIC-register virtualization and virtual-interrupt delivery are 0',
  (s) =>
    (s.proc & C.PROC_USE_TPR_SHADOW) !== 0 ||
    (s.proc2 &
      (C.PROC2_VIRTUALIZE_X2APIC_MODE | C.PROC2_APIC_REGISTER_VIRTUALIZATION | C.PROC2_VIRTUAL_INTERRUPT_DELIVERY)) ===
      0,
);
control(
  'ctl.nmi-exiting.virtual-nmis',
  S_EXEC,
  ['PIN_BASED_CONTROLS'],
  '"virtual NMIs" requires "NMI exiting"',
  (s) => (s.pin & C.PIN_NMI_EXITING) !== 0 || (s.pin & C.PIN_VIRTUAL_NMIS) === 0,
);
control(
  'ctl.virtual-nmis.nmi-window',
  S_EXEC,
  ['PIN_BASED_CONTROLS', 'PRIMARY_PROCESSOR_BASED_CONTROLS'],
  '"NMI-window exiting" requires "virtual NMIs"',
  (s) => (s.pin & C.PIN_VIRTUAL_NMIS) !== 0 || (s.proc & C.PROC_NMI_WINDOW_EXITING) === 0,
);
control(
  'ctl.apic-access.address',
  S_EXEC,
  ['APIC_ACCESS_ADDRESS'],
  'with "virtualize APIC accesses", the APIC-access address is 4K-aligned within MAXPHYADDR',
  (s) => !(s.proc2 & C.PROC2_VIRTUALIZE_APIC_ACCESSES) || pageAddress(s, F.APIC_ACCESS_ADDRESS),
);
control(
  'ctl.x2apic.apic-accesses',
  S_EXEC,
  ['SECONDARY_PROCESSOR_BASED_CONTROLS'],
  '"virtualize x2APIC mode" excludes "virtualize APIC accesses"',
  (s) => !(s.proc2 & C.PROC2_VIRTUALIZE_X2APIC_MODE) || !(s.proc2 & C.PROC2_VIRTUALIZE_APIC_ACCESSES),
);
control(
  'ctl.vid.external-interrupt-exiting',
  S_EXEC,
  ['PIN_BASED_CONTROLS'],
  '"virtual-interrupt delivery" requires "external-interrupt exiting"',
  (s) => !(s.proc2 & C.PROC2_VIRTUAL_INTERRUPT_DELIVERY) || (s.pin & C.PIN_EXTERNAL_INTERRUPT_EXITING) !== 0,
);
control(
  'ctl.posted-interrupts.vid',
  S_EXEC,
  ['PIN_BASED_CONTROLS', 'SECONDARY_PROCESSOR_BASED_CONTROLS'],
  '"process posted interrupts" requires "virtual-interrupt delivery"',
  (s) => !(s.pin & C.PIN_PROCESS_POSTED_INTERRUPTS) || (s.proc2 & C.PROC2_VIRTUAL_INTERRUPT_DELIVERY) !== 0,
);
control(
  'ctl.posted-interrupts.ack-on-exit',
  S_EXEC,
  ['PRIMARY_VM_EXIT_CONTROLS'],
  '"process posted interrupts" requires "acknowledge interrupt on exit"',
  (s) => !(s.pin & C.PIN_PROCESS_POSTED_INTERRUPTS) || (s.exit & C.EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT) !== 0,
);
control(
  'ctl.posted-interrupts.vector',
  S_EXEC,
  ['POSTED_INTERRUPT_NOTIFICATION_VECTOR'],
  'with posted interrupts, notification vector bits 15:8 are 0',
  (s) => !(s.pin & C.PIN_PROCESS_POSTED_INTERRUPTS) || (s.lo(F.POSTED_INTERRUPT_NOTIFICATION_VECTOR) & 0xff00) === 0,
);
control(
  'ctl.posted-interrupts.descriptor',
  S_EXEC,
  ['POSTED_INTERRUPT_DESCRIPTOR_ADDRESS'],
  'with posted interrupts, the descriptor address is 64-byte aligned within MAXPHYADDR',
  (s) =>
    !(s.pin & C.PIN_PROCESS_POSTED_INTERRUPTS) ||
    fits(s, s.lo(F.POSTED_INTERRUPT_DESCRIPTOR_ADDRESS), s.hi(F.POSTED_INTERRUPT_DESCRIPTOR_ADDRESS), 0x3f),
);
control(
  'ctl.vpid.nonzero',
  S_EXEC,
  ['VPID'],
  'with "enable VPID", the VPID is not 0',
  (s) => !(s.proc2 & C.PROC2_ENABLE_VPID) || (s.lo(F.VPID) & 0xffff) !== 0,
);
control(
  'ctl.ept.pointer',
  S_EXEC,
  ['EPT_POINTER'],
  'with "enable EPT", the EPTP has a supported memory type and walk length, A/D only if supported, reserved bits 0',
  (s) => !(s.proc2 & C.PROC2_ENABLE_EPT) || eptPointerValid(s.lo(F.EPT_POINTER), s.hi(F.EPT_POINTER), s.caps),
);
control(
  'ctl.pml.ept',
  S_EXEC,
  ['SECONDARY_PROCESSOR_BASED_CONTROLS'],
  '"enable PML" requires "enable EPT"',
  (s) => !(s.proc2 & C.PROC2_ENABLE_PML) || (s.proc2 & C.PROC2_ENABLE_EPT) !== 0,
);
control(
  'ctl.pml.address',
  S_EXEC,
  ['PML_ADDRESS'],
  'with "enable PML", the PML address is 4K-aligned within MAXPHYADDR',
  (s) => !(s.proc2 & C.PROC2_ENABLE_PML) || pageAddress(s, F.PML_ADDRESS),
);
control(
  'ctl.unrestricted-guest.ept',
  S_EXEC,
  ['SECONDARY_PROCESSOR_BASED_CONTROLS'],
  '"unrestricted guest" requires "enable EPT"',
  (s) => !s.ug || (s.proc2 & C.PROC2_ENABLE_EPT) !== 0,
);
control(
  'ctl.vmfunc.reserved',
  S_EXEC,
  ['VM_FUNCTION_CONTROLS'],
  'with "enable VM functions", only VM functions IA32_VMX_VMFUNC allows are enabled',
  (s) =>
    !(s.proc2 & C.PROC2_ENABLE_VM_FUNCTIONS) ||
    ((s.lo(F.VM_FUNCTION_CONTROLS) & ~s.caps.vmfunc.lo) === 0 &&
      (s.hi(F.VM_FUNCTION_CONTROLS) & ~s.caps.vmfunc.hi) === 0),
);
control(
  'ctl.vmfunc.eptp-switching.ept',
  S_EXEC,
  ['VM_FUNCTION_CONTROLS'],
  'EPTP switching requires "enable EPT"',
  (s) =>
    !(s.proc2 & C.PROC2_ENABLE_VM_FUNCTIONS) ||
    !(s.lo(F.VM_FUNCTION_CONTROLS) & C.VMFUNC_EPTP_SWITCHING) ||
    (s.proc2 & C.PROC2_ENABLE_EPT) !== 0,
);
control(
  'ctl.vmfunc.eptp-list.address',
  S_EXEC,
  ['EPTP_LIST_ADDRESS'],
  'with EPTP switching, the EPTP-list address is 4K-aligned within MAXPHYADDR',
  (s) =>
    !(s.proc2 & C.PROC2_ENABLE_VM_FUNCTIONS) ||
    !(s.lo(F.VM_FUNCTION_CONTROLS) & C.VMFUNC_EPTP_SWITCHING) ||
    pageAddress(s, F.EPTP_LIST_ADDRESS),
);

// 27.2.1.2 Checks on VM-exit control fields
const S_EXIT = '27.2.1.2';
control(
  'ctl.exit.reserved',
  S_EXIT,
  ['PRIMARY_VM_EXIT_CONTROLS'],
  'VM-exit controls respect IA32_VMX_(TRUE_)EXIT_CTLS',
  (s) => allowed(s.exit, 'exit', s.caps),
);
control(
  'ctl.exit.preemption-timer-save',
  S_EXIT,
  ['PRIMARY_VM_EXIT_CONTROLS', 'PIN_BASED_CONTROLS'],
  '"save VMX-preemption timer value" requires "activate VMX-preemption timer"',
  (s) => (s.pin & C.PIN_ACTIVATE_PREEMPTION_TIMER) !== 0 || (s.exit & C.EXIT_SAVE_PREEMPTION_TIMER) === 0,
);
control(
  'ctl.exit.msr-store.address',
  S_EXIT,
  ['VM_EXIT_MSR_STORE_ADDRESS', 'VM_EXIT_MSR_STORE_COUNT'],
  'a non-empty VM-exit MSR-store area is 16-byte aligned and ends within MAXPHYADDR',
  (s) => msrArea(s, F.VM_EXIT_MSR_STORE_ADDRESS, F.VM_EXIT_MSR_STORE_COUNT),
);
control(
  'ctl.exit.msr-load.address',
  S_EXIT,
  ['VM_EXIT_MSR_LOAD_ADDRESS', 'VM_EXIT_MSR_LOAD_COUNT'],
  'a non-empty VM-exit MSR-load area is 16-byte aligned and ends within MAXPHYADDR',
  (s) => msrArea(s, F.VM_EXIT_MSR_LOAD_ADDRESS, F.VM_EXIT_MSR_LOAD_COUNT),
);

// 27.2.1.3 Checks on VM-entry control fields
const S_ENTRY = '27.2.1.3';
control(
  'ctl.entry.reserved',
  S_ENTRY,
  ['VM_ENTRY_CONTROLS'],
  'VM-entry controls respect IA32_VMX_(TRUE_)ENTRY_CTLS',
  (s) => allowed(s.entry, 'entry', s.caps),
);
control(
  'ctl.entry.event.type',
  S_ENTRY,
  ['VM_ENTRY_INTERRUPTION_INFORMATION'],
  'the injected event type is not reserved (1), and type 7 needs monitor-trap-flag support',
  (s) =>
    !s.injecting || (s.intrType !== 1 && (s.intrType !== 7 || (s.caps.procbased.hi & C.PROC_MONITOR_TRAP_FLAG) !== 0)),
);
control(
  'ctl.entry.event.nmi-vector',
  S_ENTRY,
  ['VM_ENTRY_INTERRUPTION_INFORMATION'],
  'an injected NMI has vector 2',
  (s) => !s.injecting || s.intrType !== C.INTR_TYPE_NMI || s.intrVector === 2,
);
control(
  'ctl.entry.event.exception-vector',
  S_ENTRY,
  ['VM_ENTRY_INTERRUPTION_INFORMATION'],
  'an injected hardware exception has a vector of at most 31',
  (s) => !s.injecting || s.intrType !== C.INTR_TYPE_HARDWARE_EXCEPTION || s.intrVector <= 31,
);
control(
  'ctl.entry.event.other-vector',
  S_ENTRY,
  ['VM_ENTRY_INTERRUPTION_INFORMATION'],
  'an injected "other event" (type 7) has vector 0 (pending MTF)',
  (s) => !s.injecting || s.intrType !== C.INTR_TYPE_OTHER_EVENT || s.intrVector === 0,
);
control(
  'ctl.entry.event.deliver-error-code',
  S_ENTRY,
  ['VM_ENTRY_INTERRUPTION_INFORMATION', 'GUEST_CR0'],
  'deliver-error-code is 1 exactly for hardware exceptions 8, 10-14, 17, 21 with guest CR0.PE=1',
  (s) => {
    if (!s.injecting) return true;
    const deliver = (s.intrInfo & C.INTR_INFO_DELIVER_ERROR_CODE) !== 0;
    const pe = (s.guestCr0 & CR0_PE) !== 0 || !s.ug;
    if (s.intrType !== C.INTR_TYPE_HARDWARE_EXCEPTION || !pe) return !deliver;
    if (s.caps.features.anyErrorCodeInjection) return true;
    const v = s.intrVector;
    const withCode = v === 8 || (v >= 10 && v <= 14) || v === 17 || v === 21;
    return deliver === withCode;
  },
);
control(
  'ctl.entry.event.reserved',
  S_ENTRY,
  ['VM_ENTRY_INTERRUPTION_INFORMATION'],
  'interruption-information bits 30:12 are 0',
  (s) => !s.injecting || (s.intrInfo & 0x7ffff000) === 0,
);
control(
  'ctl.entry.event.error-code',
  S_ENTRY,
  ['VM_ENTRY_EXCEPTION_ERROR_CODE'],
  'an error code delivered by injection has bits 31:16 clear',
  (s) =>
    !s.injecting ||
    !(s.intrInfo & C.INTR_INFO_DELIVER_ERROR_CODE) ||
    (s.lo(F.VM_ENTRY_EXCEPTION_ERROR_CODE) & 0xffff0000) === 0,
);
control(
  'ctl.entry.event.instruction-length',
  S_ENTRY,
  ['VM_ENTRY_INSTRUCTION_LENGTH'],
  'injected software interrupts/exceptions have an instruction length of 1-15 (0 if IA32_VMX_MISC[30])',
  (s) => {
    if (!s.injecting || s.intrType < 4 || s.intrType > 6) return true;
    const len = s.lo(F.VM_ENTRY_INSTRUCTION_LENGTH) >>> 0;
    return (len >= 1 || (len === 0 && s.caps.features.zeroLengthInjection)) && len <= 15;
  },
);
control(
  'ctl.entry.msr-load.address',
  S_ENTRY,
  ['VM_ENTRY_MSR_LOAD_ADDRESS', 'VM_ENTRY_MSR_LOAD_COUNT'],
  'a non-empty VM-entry MSR-load area is 16-byte aligned and ends within MAXPHYADDR',
  (s) => msrArea(s, F.VM_ENTRY_MSR_LOAD_ADDRESS, F.VM_ENTRY_MSR_LOAD_COUNT),
);
// "Entry to SMM" and "deactivate dual-monitor treatment" must be 0 outside SMM; this
// processor never allows them to be 1, so ctl.entry.reserved already enforces it.

// 27.2.2 Checks on host control registers, MSRs, and SSP
const S_HOST_CR = '27.2.2';
host(
  'host.cr0.fixed',
  S_HOST_CR,
  ['HOST_CR0'],
  'host CR0 has the bits IA32_VMX_CR0_FIXED0/1 fix',
  (s) => fixedOk(s.lo(F.HOST_CR0), s.caps.cr0Fixed0.lo, s.caps.cr0Fixed1.lo) && s.hi(F.HOST_CR0) === 0,
);
host(
  'host.cr4.fixed',
  S_HOST_CR,
  ['HOST_CR4'],
  'host CR4 has the bits IA32_VMX_CR4_FIXED0/1 fix',
  (s) => fixedOk(s.lo(F.HOST_CR4), s.caps.cr4Fixed0.lo, s.caps.cr4Fixed1.lo) && s.hi(F.HOST_CR4) === 0,
);
host('host.cr3.width', S_HOST_CR, ['HOST_CR3'], 'host CR3 sets no bit beyond MAXPHYADDR', (s) =>
  s.caps.physicalAddressValid(s.lo(F.HOST_CR3), s.hi(F.HOST_CR3)),
);
host('host.sysenter-esp.canonical', S_HOST_CR, ['HOST_IA32_SYSENTER_ESP'], 'host IA32_SYSENTER_ESP is canonical', (s) =>
  canon(s, F.HOST_IA32_SYSENTER_ESP),
);
host('host.sysenter-eip.canonical', S_HOST_CR, ['HOST_IA32_SYSENTER_EIP'], 'host IA32_SYSENTER_EIP is canonical', (s) =>
  canon(s, F.HOST_IA32_SYSENTER_EIP),
);
host(
  'host.perf-global-ctrl.reserved',
  S_HOST_CR,
  ['HOST_IA32_PERF_GLOBAL_CTRL'],
  'with "load IA32_PERF_GLOBAL_CTRL", its reserved bits are 0',
  (s) =>
    !(s.exit & C.EXIT_LOAD_PERF_GLOBAL_CTRL) ||
    ((s.lo(F.HOST_IA32_PERF_GLOBAL_CTRL) & ~PERF_GLOBAL_VALID_LO) === 0 &&
      (s.hi(F.HOST_IA32_PERF_GLOBAL_CTRL) & ~PERF_GLOBAL_VALID_HI) === 0),
);
host(
  'host.pat.memory-types',
  S_HOST_CR,
  ['HOST_IA32_PAT'],
  'with "load IA32_PAT", every PAT entry is a valid memory type (0, 1, 4-7)',
  (s) => !(s.exit & C.EXIT_LOAD_PAT) || patValid(s.lo(F.HOST_IA32_PAT), s.hi(F.HOST_IA32_PAT)),
);
host(
  'host.efer.reserved',
  S_HOST_CR,
  ['HOST_IA32_EFER'],
  'with "load IA32_EFER", reserved EFER bits are 0',
  (s) => !(s.exit & C.EXIT_LOAD_EFER) || ((s.lo(F.HOST_IA32_EFER) & ~EFER_VALID) === 0 && s.hi(F.HOST_IA32_EFER) === 0),
);
host(
  'host.efer.lma',
  S_HOST_CR,
  ['HOST_IA32_EFER', 'PRIMARY_VM_EXIT_CONTROLS'],
  'with "load IA32_EFER", EFER.LMA equals "host address-space size"',
  (s) => !(s.exit & C.EXIT_LOAD_EFER) || ((s.lo(F.HOST_IA32_EFER) & EFER_LMA) !== 0) === s.hostSize64,
);
host(
  'host.efer.lme',
  S_HOST_CR,
  ['HOST_IA32_EFER', 'PRIMARY_VM_EXIT_CONTROLS'],
  'with "load IA32_EFER", EFER.LME equals "host address-space size"',
  (s) => !(s.exit & C.EXIT_LOAD_EFER) || ((s.lo(F.HOST_IA32_EFER) & EFER_LME) !== 0) === s.hostSize64,
);

// 27.2.3 Checks on host segment and descriptor-table registers
const S_HOST_SEG = '27.2.3';
for (const seg of ['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'TR'] as const) {
  const field = F[`HOST_${seg}_SELECTOR`];
  host(
    `host.${seg.toLowerCase()}.selector-rpl-ti`,
    S_HOST_SEG,
    [`HOST_${seg}_SELECTOR`],
    `host ${seg} selector has RPL 0 and TI 0`,
    (s) => (s.lo(field) & 7) === 0,
  );
}
host(
  'host.cs.selector-nonnull',
  S_HOST_SEG,
  ['HOST_CS_SELECTOR'],
  'host CS selector is not 0000H',
  (s) => s.lo(F.HOST_CS_SELECTOR) !== 0,
);
host(
  'host.tr.selector-nonnull',
  S_HOST_SEG,
  ['HOST_TR_SELECTOR'],
  'host TR selector is not 0000H',
  (s) => s.lo(F.HOST_TR_SELECTOR) !== 0,
);
host(
  'host.ss.selector-nonnull',
  S_HOST_SEG,
  ['HOST_SS_SELECTOR'],
  'with "host address-space size" 0, host SS selector is not 0000H',
  (s) => s.hostSize64 || s.lo(F.HOST_SS_SELECTOR) !== 0,
);
for (const reg of ['FS', 'GS', 'TR', 'GDTR', 'IDTR'] as const) {
  const field = F[`HOST_${reg}_BASE`];
  host(
    `host.${reg.toLowerCase()}.base-canonical`,
    S_HOST_SEG,
    [`HOST_${reg}_BASE`],
    `host ${reg} base is canonical`,
    (s) => canon(s, field),
  );
}

// 27.2.4 Checks related to address-space size
const S_SIZE = '27.2.4';
host(
  'host.address-space.guest-outside-ia32e',
  S_SIZE,
  ['VM_ENTRY_CONTROLS'],
  'outside IA-32e mode, "IA-32e mode guest" is 0',
  (s) => s.hostIa32e || !s.ia32eGuest,
);
host(
  'host.address-space.size-outside-ia32e',
  S_SIZE,
  ['PRIMARY_VM_EXIT_CONTROLS'],
  'outside IA-32e mode, "host address-space size" is 0',
  (s) => s.hostIa32e || !s.hostSize64,
);
host(
  'host.address-space.size-in-ia32e',
  S_SIZE,
  ['PRIMARY_VM_EXIT_CONTROLS'],
  'in IA-32e mode, "host address-space size" is 1',
  (s) => !s.hostIa32e || s.hostSize64,
);
// "Host address-space size" 0 requires "IA-32e mode guest" 0: implied by the three checks
// above (IA-32e guest needs an IA-32e processor, which needs size 1), so not listed again.
host(
  'host.address-space.pcide',
  S_SIZE,
  ['HOST_CR4'],
  'with "host address-space size" 0, host CR4.PCIDE is 0',
  (s) => s.hostSize64 || (s.lo(F.HOST_CR4) & CR4_PCIDE) === 0,
);
host(
  'host.address-space.rip-upper',
  S_SIZE,
  ['HOST_RIP'],
  'with "host address-space size" 0, host RIP bits 63:32 are 0',
  (s) => s.hostSize64 || s.hi(F.HOST_RIP) === 0,
);
host(
  'host.address-space.pae',
  S_SIZE,
  ['HOST_CR4'],
  'with "host address-space size" 1, host CR4.PAE is 1',
  (s) => !s.hostSize64 || (s.lo(F.HOST_CR4) & CR4_PAE) !== 0,
);
host(
  'host.address-space.rip-canonical',
  S_SIZE,
  ['HOST_RIP'],
  'with "host address-space size" 1, host RIP is canonical',
  (s) => !s.hostSize64 || canon(s, F.HOST_RIP),
);

// 27.3.1.1 Checks on guest control registers, debug registers, and MSRs
const S_GCR = '27.3.1.1';
guest(
  'guest.cr0.fixed',
  S_GCR,
  ['GUEST_CR0'],
  'guest CR0 has the bits IA32_VMX_CR0_FIXED0/1 fix (PE and PG free with "unrestricted guest")',
  (s) => {
    const fixed0 = s.ug ? s.caps.cr0Fixed0.lo & ~(CR0_PE | CR0_PG) : s.caps.cr0Fixed0.lo;
    return fixedOk(s.guestCr0, fixed0, s.caps.cr0Fixed1.lo) && s.hi(F.GUEST_CR0) === 0;
  },
);
guest(
  'guest.cr0.pg-without-pe',
  S_GCR,
  ['GUEST_CR0'],
  'guest CR0.PG=1 requires CR0.PE=1',
  (s) => !(s.guestCr0 & CR0_PG) || (s.guestCr0 & CR0_PE) !== 0,
);
guest(
  'guest.cr4.fixed',
  S_GCR,
  ['GUEST_CR4'],
  'guest CR4 has the bits IA32_VMX_CR4_FIXED0/1 fix',
  (s) => fixedOk(s.guestCr4, s.caps.cr4Fixed0.lo, s.caps.cr4Fixed1.lo) && s.hi(F.GUEST_CR4) === 0,
);
guest(
  'guest.debugctl.reserved',
  S_GCR,
  ['GUEST_IA32_DEBUGCTL'],
  'with "load debug controls", reserved IA32_DEBUGCTL bits are 0',
  (s) =>
    !(s.entry & C.ENTRY_LOAD_DEBUG_CONTROLS) ||
    ((s.lo(F.GUEST_IA32_DEBUGCTL) & ~DEBUGCTL_VALID) === 0 && s.hi(F.GUEST_IA32_DEBUGCTL) === 0),
);
guest(
  'guest.ia32e.pg',
  S_GCR,
  ['GUEST_CR0', 'VM_ENTRY_CONTROLS'],
  'an IA-32e mode guest has CR0.PG=1',
  (s) => !s.ia32eGuest || (s.guestCr0 & CR0_PG) !== 0,
);
guest(
  'guest.ia32e.pae',
  S_GCR,
  ['GUEST_CR4', 'VM_ENTRY_CONTROLS'],
  'an IA-32e mode guest has CR4.PAE=1',
  (s) => !s.ia32eGuest || (s.guestCr4 & CR4_PAE) !== 0,
);
guest(
  'guest.not-ia32e.pcide',
  S_GCR,
  ['GUEST_CR4', 'VM_ENTRY_CONTROLS'],
  'a guest outside IA-32e mode has CR4.PCIDE=0',
  (s) => s.ia32eGuest || (s.guestCr4 & CR4_PCIDE) === 0,
);
guest('guest.cr3.width', S_GCR, ['GUEST_CR3'], 'guest CR3 sets no bit beyond MAXPHYADDR', (s) =>
  s.caps.physicalAddressValid(s.lo(F.GUEST_CR3), s.hi(F.GUEST_CR3)),
);
guest(
  'guest.dr7.upper',
  S_GCR,
  ['GUEST_DR7'],
  'with "load debug controls", DR7 bits 63:32 are 0',
  (s) => !(s.entry & C.ENTRY_LOAD_DEBUG_CONTROLS) || s.hi(F.GUEST_DR7) === 0,
);
guest('guest.sysenter-esp.canonical', S_GCR, ['GUEST_IA32_SYSENTER_ESP'], 'guest IA32_SYSENTER_ESP is canonical', (s) =>
  canon(s, F.GUEST_IA32_SYSENTER_ESP),
);
guest('guest.sysenter-eip.canonical', S_GCR, ['GUEST_IA32_SYSENTER_EIP'], 'guest IA32_SYSENTER_EIP is canonical', (s) =>
  canon(s, F.GUEST_IA32_SYSENTER_EIP),
);
guest(
  'guest.perf-global-ctrl.reserved',
  S_GCR,
  ['GUEST_IA32_PERF_GLOBAL_CTRL'],
  'with "load IA32_PERF_GLOBAL_CTRL", its reserved bits are 0',
  (s) =>
    !(s.entry & C.ENTRY_LOAD_PERF_GLOBAL_CTRL) ||
    ((s.lo(F.GUEST_IA32_PERF_GLOBAL_CTRL) & ~PERF_GLOBAL_VALID_LO) === 0 &&
      (s.hi(F.GUEST_IA32_PERF_GLOBAL_CTRL) & ~PERF_GLOBAL_VALID_HI) === 0),
);
guest(
  'guest.pat.memory-types',
  S_GCR,
  ['GUEST_IA32_PAT'],
  'with "load IA32_PAT", every PAT entry is a valid memory type',
  (s) => !(s.entry & C.ENTRY_LOAD_PAT) || patValid(s.lo(F.GUEST_IA32_PAT), s.hi(F.GUEST_IA32_PAT)),
);
guest(
  'guest.efer.reserved',
  S_GCR,
  ['GUEST_IA32_EFER'],
  'with "load IA32_EFER", reserved EFER bits are 0',
  (s) =>
    !(s.entry & C.ENTRY_LOAD_EFER) || ((s.lo(F.GUEST_IA32_EFER) & ~EFER_VALID) === 0 && s.hi(F.GUEST_IA32_EFER) === 0),
);
guest(
  'guest.efer.lma',
  S_GCR,
  ['GUEST_IA32_EFER', 'VM_ENTRY_CONTROLS'],
  'with "load IA32_EFER", EFER.LMA equals "IA-32e mode guest"',
  (s) => !(s.entry & C.ENTRY_LOAD_EFER) || ((s.lo(F.GUEST_IA32_EFER) & EFER_LMA) !== 0) === s.ia32eGuest,
);
guest(
  'guest.efer.lme',
  S_GCR,
  ['GUEST_IA32_EFER', 'GUEST_CR0'],
  'with "load IA32_EFER" and guest CR0.PG=1, EFER.LME equals EFER.LMA',
  (s) => {
    if (!(s.entry & C.ENTRY_LOAD_EFER) || !(s.guestCr0 & CR0_PG)) return true;
    const efer = s.lo(F.GUEST_IA32_EFER);
    return ((efer & EFER_LME) !== 0) === ((efer & EFER_LMA) !== 0);
  },
);

// 27.3.1.2 Checks on guest segment registers
const S_GSEG = '27.3.1.2';
const SEGS = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'] as const;
type Seg = (typeof SEGS)[number] | 'TR' | 'LDTR';
const ALL_SEGS = [...SEGS, 'TR', 'LDTR'] as const;
const SEL_SLOT = Object.fromEntries(ALL_SEGS.map((g) => [g, slotOf(F[`GUEST_${g}_SELECTOR`])])) as Record<Seg, number>;
const AR_SLOT = Object.fromEntries(ALL_SEGS.map((g) => [g, slotOf(F[`GUEST_${g}_ACCESS_RIGHTS`])])) as Record<
  Seg,
  number
>;
const LIMIT_SLOT = Object.fromEntries(ALL_SEGS.map((g) => [g, slotOf(F[`GUEST_${g}_LIMIT`])])) as Record<Seg, number>;
const sel = (s: EntryState, g: Seg) => s.vmcs.lo(SEL_SLOT[g]) & 0xffff;
const ar = (s: EntryState, g: Seg) => s.vmcs.lo(AR_SLOT[g]);
const limit = (s: EntryState, g: Seg) => s.vmcs.lo(LIMIT_SLOT[g]) >>> 0;
const usable = (s: EntryState, g: Seg) => (ar(s, g) & C.AR_UNUSABLE) === 0;
const type = (s: EntryState, g: Seg) => ar(s, g) & C.AR_TYPE_MASK;
const dpl = (s: EntryState, g: Seg) => (ar(s, g) >> C.AR_DPL_SHIFT) & 3;
/** Neither virtual-8086 nor unrestricted: the protected-mode rules apply in full. */
const strict = (s: EntryState) => !s.v86 && !s.ug;
function granularityOk(s: EntryState, g: Seg): boolean {
  const l = limit(s, g);
  const gbit = (ar(s, g) & C.AR_G) !== 0;
  // SDM 3C 27.3.1.2: limit[11:0] not all ones requires G=0; limit[31:20] not zero requires G=1.
  if ((l & 0xfff) !== 0xfff && gbit) return false;
  if ((l & 0xfff00000) !== 0 && !gbit) return false;
  return true;
}

guest(
  'guest.tr.selector-ti',
  S_GSEG,
  ['GUEST_TR_SELECTOR'],
  'guest TR selector has TI=0',
  (s) => (sel(s, 'TR') & 4) === 0,
);
guest(
  'guest.ldtr.selector-ti',
  S_GSEG,
  ['GUEST_LDTR_SELECTOR'],
  'a usable guest LDTR selector has TI=0',
  (s) => !usable(s, 'LDTR') || (sel(s, 'LDTR') & 4) === 0,
);
guest(
  'guest.ss.selector-rpl',
  S_GSEG,
  ['GUEST_SS_SELECTOR', 'GUEST_CS_SELECTOR'],
  'outside virtual-8086 mode and without "unrestricted guest", SS.RPL equals CS.RPL',
  (s) => !strict(s) || (sel(s, 'SS') & 3) === (sel(s, 'CS') & 3),
);
for (const g of SEGS) {
  const base = F[`GUEST_${g}_BASE`];
  const l = g.toLowerCase();
  guest(
    `guest.${l}.v8086-base`,
    S_GSEG,
    [`GUEST_${g}_BASE`, `GUEST_${g}_SELECTOR`],
    `in virtual-8086 mode, ${g} base is selector << 4`,
    (s) => !s.v86 || (s.lo(base) === sel(s, g) * 16 && s.hi(base) === 0),
  );
  guest(
    `guest.${l}.v8086-limit`,
    S_GSEG,
    [`GUEST_${g}_LIMIT`],
    `in virtual-8086 mode, ${g} limit is 0000FFFFH`,
    (s) => !s.v86 || limit(s, g) === 0xffff,
  );
  guest(
    `guest.${l}.v8086-access-rights`,
    S_GSEG,
    [`GUEST_${g}_ACCESS_RIGHTS`],
    `in virtual-8086 mode, ${g} access rights are 000000F3H`,
    (s) => !s.v86 || ar(s, g) === 0xf3,
  );
}
for (const g of ['TR', 'FS', 'GS'] as const) {
  const base = F[`GUEST_${g}_BASE`];
  guest(`guest.${g.toLowerCase()}.base-canonical`, S_GSEG, [`GUEST_${g}_BASE`], `guest ${g} base is canonical`, (s) =>
    canon(s, base),
  );
}
guest(
  'guest.ldtr.base-canonical',
  S_GSEG,
  ['GUEST_LDTR_BASE'],
  'a usable guest LDTR base is canonical',
  (s) => !usable(s, 'LDTR') || canon(s, F.GUEST_LDTR_BASE),
);
guest(
  'guest.cs.base-upper',
  S_GSEG,
  ['GUEST_CS_BASE'],
  'guest CS base bits 63:32 are 0',
  (s) => s.hi(F.GUEST_CS_BASE) === 0,
);
for (const g of ['SS', 'DS', 'ES'] as const) {
  const base = F[`GUEST_${g}_BASE`];
  guest(
    `guest.${g.toLowerCase()}.base-upper`,
    S_GSEG,
    [`GUEST_${g}_BASE`],
    `a usable guest ${g} base has bits 63:32 clear`,
    (s) => !usable(s, g) || s.hi(base) === 0,
  );
}
// CS (not virtual-8086)
guest(
  'guest.cs.type',
  S_GSEG,
  ['GUEST_CS_ACCESS_RIGHTS'],
  'guest CS type is 9, 11, 13 or 15 (accessed code), or 3 with "unrestricted guest"',
  (s) => {
    if (s.v86) return true;
    const t = type(s, 'CS');
    return t === 9 || t === 11 || t === 13 || t === 15 || (s.ug && t === 3);
  },
);
guest(
  'guest.cs.s',
  S_GSEG,
  ['GUEST_CS_ACCESS_RIGHTS'],
  'guest CS is a code or data segment (S=1)',
  (s) => s.v86 || (ar(s, 'CS') & C.AR_S) !== 0,
);
guest(
  'guest.cs.dpl',
  S_GSEG,
  ['GUEST_CS_ACCESS_RIGHTS', 'GUEST_SS_ACCESS_RIGHTS'],
  'guest CS.DPL: 0 for type 3, = SS.DPL for non-conforming, <= SS.DPL for conforming code',
  (s) => {
    if (s.v86) return true;
    const t = type(s, 'CS');
    const d = dpl(s, 'CS');
    if (t === 3) return d === 0;
    if (t === 9 || t === 11) return d === dpl(s, 'SS');
    if (t === 13 || t === 15) return d <= dpl(s, 'SS');
    return true;
  },
);
guest(
  'guest.cs.p',
  S_GSEG,
  ['GUEST_CS_ACCESS_RIGHTS'],
  'guest CS is present',
  (s) => s.v86 || (ar(s, 'CS') & C.AR_P) !== 0,
);
guest(
  'guest.cs.reserved',
  S_GSEG,
  ['GUEST_CS_ACCESS_RIGHTS'],
  'guest CS access-rights bits 11:8 and 31:17 are 0',
  (s) => s.v86 || (ar(s, 'CS') & C.AR_RESERVED) === 0,
);
guest(
  'guest.cs.l-and-d',
  S_GSEG,
  ['GUEST_CS_ACCESS_RIGHTS'],
  'for an IA-32e mode guest, CS.L=1 requires CS.D=0',
  (s) => s.v86 || !s.ia32eGuest || !(ar(s, 'CS') & C.AR_L) || (ar(s, 'CS') & C.AR_DB) === 0,
);
guest(
  'guest.cs.granularity',
  S_GSEG,
  ['GUEST_CS_ACCESS_RIGHTS', 'GUEST_CS_LIMIT'],
  'guest CS.G agrees with its limit',
  (s) => s.v86 || granularityOk(s, 'CS'),
);
// SS
guest(
  'guest.ss.type',
  S_GSEG,
  ['GUEST_SS_ACCESS_RIGHTS'],
  'a usable guest SS is read/write accessed data (type 3 or 7)',
  (s) => s.v86 || !usable(s, 'SS') || type(s, 'SS') === 3 || type(s, 'SS') === 7,
);
guest(
  'guest.ss.dpl-rpl',
  S_GSEG,
  ['GUEST_SS_ACCESS_RIGHTS', 'GUEST_SS_SELECTOR'],
  'without "unrestricted guest", SS.DPL equals SS.RPL',
  (s) => !strict(s) || dpl(s, 'SS') === (sel(s, 'SS') & 3),
);
guest(
  'guest.ss.dpl-real',
  S_GSEG,
  ['GUEST_SS_ACCESS_RIGHTS'],
  'with CS type 3 or CR0.PE=0, SS.DPL is 0',
  (s) => s.v86 || !(type(s, 'CS') === 3 || (s.guestCr0 & CR0_PE) === 0) || dpl(s, 'SS') === 0,
);
// DS, ES, FS, GS, SS (usable) — shared attribute checks
for (const g of ['SS', 'DS', 'ES', 'FS', 'GS'] as const) {
  const l = g.toLowerCase();
  if (g !== 'SS') {
    guest(
      `guest.${l}.type`,
      S_GSEG,
      [`GUEST_${g}_ACCESS_RIGHTS`],
      `a usable guest ${g} is accessed, and readable if code`,
      (s) => {
        if (s.v86 || !usable(s, g)) return true;
        const t = type(s, g);
        return (t & 1) !== 0 && (!(t & 8) || (t & 2) !== 0);
      },
    );
    guest(
      `guest.${l}.dpl`,
      S_GSEG,
      [`GUEST_${g}_ACCESS_RIGHTS`, `GUEST_${g}_SELECTOR`],
      `a usable non-conforming guest ${g} has DPL >= RPL (without "unrestricted guest")`,
      (s) => !strict(s) || !usable(s, g) || type(s, g) > 11 || dpl(s, g) >= (sel(s, g) & 3),
    );
  }
  guest(
    `guest.${l}.s`,
    S_GSEG,
    [`GUEST_${g}_ACCESS_RIGHTS`],
    `a usable guest ${g} is a code or data segment (S=1)`,
    (s) => s.v86 || !usable(s, g) || (ar(s, g) & C.AR_S) !== 0,
  );
  guest(
    `guest.${l}.p`,
    S_GSEG,
    [`GUEST_${g}_ACCESS_RIGHTS`],
    `a usable guest ${g} is present`,
    (s) => s.v86 || !usable(s, g) || (ar(s, g) & C.AR_P) !== 0,
  );
  guest(
    `guest.${l}.reserved`,
    S_GSEG,
    [`GUEST_${g}_ACCESS_RIGHTS`],
    `a usable guest ${g} has access-rights bits 11:8 and 31:17 clear`,
    (s) => s.v86 || !usable(s, g) || (ar(s, g) & C.AR_RESERVED) === 0,
  );
  guest(
    `guest.${l}.granularity`,
    S_GSEG,
    [`GUEST_${g}_ACCESS_RIGHTS`, `GUEST_${g}_LIMIT`],
    `a usable guest ${g}'s G bit agrees with its limit`,
    (s) => s.v86 || !usable(s, g) || granularityOk(s, g),
  );
}
// TR
guest(
  'guest.tr.type',
  S_GSEG,
  ['GUEST_TR_ACCESS_RIGHTS'],
  'guest TR is a busy TSS: type 11, or 3 (16-bit) outside IA-32e mode',
  (s) => {
    const t = type(s, 'TR');
    return t === 11 || (!s.ia32eGuest && t === 3);
  },
);
guest(
  'guest.tr.s',
  S_GSEG,
  ['GUEST_TR_ACCESS_RIGHTS'],
  'guest TR is a system segment (S=0)',
  (s) => (ar(s, 'TR') & C.AR_S) === 0,
);
guest('guest.tr.p', S_GSEG, ['GUEST_TR_ACCESS_RIGHTS'], 'guest TR is present', (s) => (ar(s, 'TR') & C.AR_P) !== 0);
guest(
  'guest.tr.reserved',
  S_GSEG,
  ['GUEST_TR_ACCESS_RIGHTS'],
  'guest TR access-rights bits 11:8 and 31:17 are 0',
  (s) => (ar(s, 'TR') & C.AR_RESERVED) === 0,
);
guest(
  'guest.tr.granularity',
  S_GSEG,
  ['GUEST_TR_ACCESS_RIGHTS', 'GUEST_TR_LIMIT'],
  "guest TR's G bit agrees with its limit",
  (s) => granularityOk(s, 'TR'),
);
guest('guest.tr.usable', S_GSEG, ['GUEST_TR_ACCESS_RIGHTS'], 'guest TR is usable', (s) => usable(s, 'TR'));
// LDTR
guest(
  'guest.ldtr.type',
  S_GSEG,
  ['GUEST_LDTR_ACCESS_RIGHTS'],
  'a usable guest LDTR has type 2 (LDT)',
  (s) => !usable(s, 'LDTR') || type(s, 'LDTR') === 2,
);
guest(
  'guest.ldtr.s',
  S_GSEG,
  ['GUEST_LDTR_ACCESS_RIGHTS'],
  'a usable guest LDTR is a system segment (S=0)',
  (s) => !usable(s, 'LDTR') || (ar(s, 'LDTR') & C.AR_S) === 0,
);
guest(
  'guest.ldtr.p',
  S_GSEG,
  ['GUEST_LDTR_ACCESS_RIGHTS'],
  'a usable guest LDTR is present',
  (s) => !usable(s, 'LDTR') || (ar(s, 'LDTR') & C.AR_P) !== 0,
);
guest(
  'guest.ldtr.reserved',
  S_GSEG,
  ['GUEST_LDTR_ACCESS_RIGHTS'],
  'a usable guest LDTR has access-rights bits 11:8 and 31:17 clear',
  (s) => !usable(s, 'LDTR') || (ar(s, 'LDTR') & C.AR_RESERVED) === 0,
);
guest(
  'guest.ldtr.granularity',
  S_GSEG,
  ['GUEST_LDTR_ACCESS_RIGHTS', 'GUEST_LDTR_LIMIT'],
  "a usable guest LDTR's G bit agrees with its limit",
  (s) => !usable(s, 'LDTR') || granularityOk(s, 'LDTR'),
);

// 27.3.1.3 Checks on guest descriptor-table registers
const S_GDT = '27.3.1.3';
guest('guest.gdtr.base-canonical', S_GDT, ['GUEST_GDTR_BASE'], 'guest GDTR base is canonical', (s) =>
  canon(s, F.GUEST_GDTR_BASE),
);
guest('guest.idtr.base-canonical', S_GDT, ['GUEST_IDTR_BASE'], 'guest IDTR base is canonical', (s) =>
  canon(s, F.GUEST_IDTR_BASE),
);
guest(
  'guest.gdtr.limit-upper',
  S_GDT,
  ['GUEST_GDTR_LIMIT'],
  'guest GDTR limit bits 31:16 are 0',
  (s) => (s.lo(F.GUEST_GDTR_LIMIT) & 0xffff0000) === 0,
);
guest(
  'guest.idtr.limit-upper',
  S_GDT,
  ['GUEST_IDTR_LIMIT'],
  'guest IDTR limit bits 31:16 are 0',
  (s) => (s.lo(F.GUEST_IDTR_LIMIT) & 0xffff0000) === 0,
);

// 27.3.1.4 Checks on guest RIP, RFLAGS, and SSP
const S_RIP = '27.3.1.4';
const csLong = (s: EntryState) => s.ia32eGuest && (ar(s, 'CS') & C.AR_L) !== 0;
guest(
  'guest.rip.upper',
  S_RIP,
  ['GUEST_RIP'],
  'outside 64-bit mode, guest RIP bits 63:32 are 0',
  (s) => csLong(s) || s.hi(F.GUEST_RIP) === 0,
);
guest(
  'guest.rip.canonical',
  S_RIP,
  ['GUEST_RIP'],
  'in 64-bit mode, guest RIP is canonical',
  (s) => !csLong(s) || canon(s, F.GUEST_RIP),
);
guest(
  'guest.rflags.reserved',
  S_RIP,
  ['GUEST_RFLAGS'],
  'guest RFLAGS bits 63:22, 15, 5, 3 are 0 and bit 1 is 1',
  (s) => s.hi(F.GUEST_RFLAGS) === 0 && (s.rflags & 0xffc08028) === 0 && (s.rflags & 2) !== 0,
);
guest(
  'guest.rflags.vm',
  S_RIP,
  ['GUEST_RFLAGS'],
  'RFLAGS.VM is 0 for an IA-32e mode guest or with CR0.PE=0',
  (s) => !(s.ia32eGuest || (s.guestCr0 & CR0_PE) === 0) || !s.v86,
);
guest(
  'guest.rflags.if-for-external-interrupt',
  S_RIP,
  ['GUEST_RFLAGS', 'VM_ENTRY_INTERRUPTION_INFORMATION'],
  'injecting an external interrupt requires RFLAGS.IF=1',
  (s) => !s.injecting || s.intrType !== C.INTR_TYPE_EXTERNAL_INTERRUPT || (s.rflags & RFLAGS_IF) !== 0,
);

// 27.3.1.5 Checks on guest non-register state
const S_NONREG = '27.3.1.5';
guest(
  'guest.activity.supported',
  S_NONREG,
  ['GUEST_ACTIVITY_STATE'],
  'the activity state is 0-3 and one IA32_VMX_MISC[8:6] supports',
  (s) => {
    const a = s.activity >>> 0;
    return a === 0 || (a <= 3 && (s.caps.misc.lo & (1 << (5 + a))) !== 0);
  },
);
guest(
  'guest.activity.hlt-ss-dpl',
  S_NONREG,
  ['GUEST_ACTIVITY_STATE', 'GUEST_SS_ACCESS_RIGHTS'],
  'the HLT activity state requires SS.DPL=0',
  (s) => s.activity !== C.ACTIVITY_HLT || dpl(s, 'SS') === 0,
);
guest(
  'guest.activity.blocking',
  S_NONREG,
  ['GUEST_ACTIVITY_STATE', 'GUEST_INTERRUPTIBILITY_STATE'],
  'blocking by STI or MOV SS requires the active state',
  (s) =>
    (s.interruptibility & (C.INTERRUPTIBILITY_STI | C.INTERRUPTIBILITY_MOV_SS)) === 0 ||
    s.activity === C.ACTIVITY_ACTIVE,
);
guest(
  'guest.activity.event-injection',
  S_NONREG,
  ['GUEST_ACTIVITY_STATE', 'VM_ENTRY_INTERRUPTION_INFORMATION'],
  'the injected event is one the activity state can take (HLT: interrupts, NMI, #DB, #MC, MTF; shutdown: NMI, #MC; wait-for-SIPI: none)',
  (s) => {
    if (!s.injecting) return true;
    const t = s.intrType;
    const v = s.intrVector;
    const isMc = t === C.INTR_TYPE_HARDWARE_EXCEPTION && v === 18;
    switch (s.activity) {
      case C.ACTIVITY_HLT:
        return t === 0 || t === 2 || isMc || (t === C.INTR_TYPE_HARDWARE_EXCEPTION && v === 1) || (t === 7 && v === 0);
      case C.ACTIVITY_SHUTDOWN:
        return t === 2 || isMc;
      case C.ACTIVITY_WAIT_FOR_SIPI:
        return false;
      default:
        return true;
    }
  },
);
guest(
  'guest.interruptibility.reserved',
  S_NONREG,
  ['GUEST_INTERRUPTIBILITY_STATE'],
  'interruptibility-state bits 31:5 are 0',
  (s) => (s.interruptibility & 0xffffffe0) === 0,
);
guest(
  'guest.interruptibility.sti-and-mov-ss',
  S_NONREG,
  ['GUEST_INTERRUPTIBILITY_STATE'],
  'blocking by STI and by MOV SS are not both set',
  (s) => (s.interruptibility & 3) !== 3,
);
guest(
  'guest.interruptibility.sti-without-if',
  S_NONREG,
  ['GUEST_INTERRUPTIBILITY_STATE', 'GUEST_RFLAGS'],
  'blocking by STI requires RFLAGS.IF=1',
  (s) => !(s.interruptibility & C.INTERRUPTIBILITY_STI) || (s.rflags & RFLAGS_IF) !== 0,
);
guest(
  'guest.interruptibility.external-interrupt-injection',
  S_NONREG,
  ['GUEST_INTERRUPTIBILITY_STATE', 'VM_ENTRY_INTERRUPTION_INFORMATION'],
  'injecting an external interrupt requires no blocking by STI or MOV SS',
  (s) => !s.injecting || s.intrType !== C.INTR_TYPE_EXTERNAL_INTERRUPT || (s.interruptibility & 3) === 0,
);
guest(
  'guest.interruptibility.nmi-injection-mov-ss',
  S_NONREG,
  ['GUEST_INTERRUPTIBILITY_STATE', 'VM_ENTRY_INTERRUPTION_INFORMATION'],
  'injecting an NMI requires no blocking by MOV SS',
  (s) => !s.injecting || s.intrType !== C.INTR_TYPE_NMI || (s.interruptibility & C.INTERRUPTIBILITY_MOV_SS) === 0,
);
guest(
  'guest.interruptibility.smi',
  S_NONREG,
  ['GUEST_INTERRUPTIBILITY_STATE'],
  'outside SMM, blocking by SMI is 0',
  (s) => (s.interruptibility & C.INTERRUPTIBILITY_SMI) === 0,
);
guest(
  'guest.interruptibility.virtual-nmi-injection',
  S_NONREG,
  ['GUEST_INTERRUPTIBILITY_STATE', 'PIN_BASED_CONTROLS'],
  'with "virtual NMIs", injecting an NMI requires no blocking by NMI',
  (s) =>
    !(s.pin & C.PIN_VIRTUAL_NMIS) ||
    !s.injecting ||
    s.intrType !== C.INTR_TYPE_NMI ||
    (s.interruptibility & C.INTERRUPTIBILITY_NMI) === 0,
);
guest(
  'guest.interruptibility.nmi-injection-sti',
  S_NONREG,
  ['GUEST_INTERRUPTIBILITY_STATE', 'VM_ENTRY_INTERRUPTION_INFORMATION'],
  'injecting an NMI while blocking by STI fails on this processor (exit qualification 3)',
  (s) => !s.injecting || s.intrType !== C.INTR_TYPE_NMI || (s.interruptibility & C.INTERRUPTIBILITY_STI) === 0,
  ENTRY_FAILURE_QUAL_NMI_INJECTION,
);
guest(
  'guest.pending-debug.reserved',
  S_NONREG,
  ['GUEST_PENDING_DEBUG_EXCEPTIONS'],
  'pending debug exceptions bits 63:15, 13 and 11:4 are 0 (RTM not offered)',
  (s) => s.hi(F.GUEST_PENDING_DEBUG_EXCEPTIONS) === 0 && (s.lo(F.GUEST_PENDING_DEBUG_EXCEPTIONS) & 0xffffaff0) === 0,
);
function bsConditions(s: EntryState): boolean {
  return (s.interruptibility & 3) !== 0 || s.activity === C.ACTIVITY_HLT;
}
guest(
  'guest.pending-debug.bs-set',
  S_NONREG,
  ['GUEST_PENDING_DEBUG_EXCEPTIONS', 'GUEST_RFLAGS', 'GUEST_IA32_DEBUGCTL'],
  'with STI/MOV SS blocking or HLT, RFLAGS.TF=1 and DEBUGCTL.BTF=0 require BS=1',
  (s) =>
    !bsConditions(s) ||
    !((s.rflags & RFLAGS_TF) !== 0 && (s.lo(F.GUEST_IA32_DEBUGCTL) & 2) === 0) ||
    (s.lo(F.GUEST_PENDING_DEBUG_EXCEPTIONS) & C.PENDING_DEBUG_BS) !== 0,
);
guest(
  'guest.pending-debug.bs-clear',
  S_NONREG,
  ['GUEST_PENDING_DEBUG_EXCEPTIONS', 'GUEST_RFLAGS', 'GUEST_IA32_DEBUGCTL'],
  'with STI/MOV SS blocking or HLT, RFLAGS.TF=0 or DEBUGCTL.BTF=1 require BS=0',
  (s) =>
    !bsConditions(s) ||
    !((s.rflags & RFLAGS_TF) === 0 || (s.lo(F.GUEST_IA32_DEBUGCTL) & 2) !== 0) ||
    (s.lo(F.GUEST_PENDING_DEBUG_EXCEPTIONS) & C.PENDING_DEBUG_BS) === 0,
);
const linkSet = (s: EntryState) => s.lo(F.VMCS_LINK_POINTER) !== 0xffffffff || s.hi(F.VMCS_LINK_POINTER) !== 0xffffffff;
guest(
  'guest.vmcs-link-pointer.address',
  S_NONREG,
  ['VMCS_LINK_POINTER'],
  'a VMCS link pointer other than all ones is 4K-aligned within MAXPHYADDR',
  (s) => !linkSet(s) || pageAddress(s, F.VMCS_LINK_POINTER),
  ENTRY_FAILURE_QUAL_VMCS_LINK_POINTER,
);
guest(
  'guest.vmcs-link-pointer.revision',
  S_NONREG,
  ['VMCS_LINK_POINTER'],
  'a VMCS link pointer other than all ones points at a VMCS with our revision and, without VMCS shadowing, shadow indicator 0',
  (s) => {
    if (!linkSet(s)) return true;
    const rev = s.memory.read32(s.lo(F.VMCS_LINK_POINTER));
    return (rev & 0x7fffffff) === s.caps.basic.lo && (rev >>> 31 === 1) === ((s.proc2 & C.PROC2_VMCS_SHADOWING) !== 0);
  },
  ENTRY_FAILURE_QUAL_VMCS_LINK_POINTER,
);

// 27.3.1.6 Checks on guest page-directory-pointer-table entries
const S_PDPTE = '27.3.1.6';
const paePaging = (s: EntryState) => (s.guestCr0 & CR0_PG) !== 0 && (s.guestCr4 & CR4_PAE) !== 0 && !s.ia32eGuest;
function pdpteValid(s: EntryState, lo: number, hi: number): boolean {
  // SDM 3A 4.4.1: a present PDPTE has bits 2:1, 8:5 and 63:MAXPHYADDR clear.
  return (lo & 1) === 0 || ((lo & 0x1e6) === 0 && s.caps.physicalAddressValid(lo, hi));
}
const PDPTE_FIELDS = [F.GUEST_PDPTE0, F.GUEST_PDPTE1, F.GUEST_PDPTE2, F.GUEST_PDPTE3];
guest(
  'guest.pdpte.fields',
  S_PDPTE,
  ['GUEST_PDPTE0', 'GUEST_PDPTE1', 'GUEST_PDPTE2', 'GUEST_PDPTE3'],
  'with PAE paging and EPT, the PDPTE fields have no reserved bit set',
  (s) => !paePaging(s) || !(s.proc2 & C.PROC2_ENABLE_EPT) || PDPTE_FIELDS.every((f) => pdpteValid(s, s.lo(f), s.hi(f))),
);
guest(
  'guest.pdpte.load',
  S_PDPTE,
  ['GUEST_CR3'],
  'with PAE paging and no EPT, the four PDPTEs CR3 points at have no reserved bit set (exit qualification 2)',
  (s) => {
    if (!paePaging(s) || s.proc2 & C.PROC2_ENABLE_EPT) return true;
    const base = s.lo(F.GUEST_CR3) & 0xffffffe0;
    for (let i = 0; i < 4; i++) {
      if (!pdpteValid(s, s.memory.read32(base + 8 * i), s.memory.read32(base + 8 * i + 4))) return false;
    }
    return true;
  },
  ENTRY_FAILURE_QUAL_PDPTE,
);

// 27.4 Loading MSRs: checked per entry of the VM-entry MSR-load area.
const S_MSR = '27.4';
function msrCheck(id: string, description: string) {
  const def: CheckDef = {
    id,
    section: S_MSR,
    area: 'msr-load',
    description,
    error: 0,
    exitReason: EXIT_REASON_ENTRY_FAILURE_MSR_LOADING,
    qualification: 0,
    fields: ['VM_ENTRY_MSR_LOAD_ADDRESS', 'VM_ENTRY_MSR_LOAD_COUNT'],
    ok: () => true,
  };
  defs.push(def);
  return def;
}
const MSR_RESERVED = msrCheck('msr-load.reserved', 'MSR-load entry bits 63:32 are 0');
const MSR_FS_GS = msrCheck('msr-load.fs-gs-base', 'the MSR-load area does not load IA32_FS_BASE or IA32_GS_BASE');
const MSR_X2APIC = msrCheck('msr-load.x2apic', 'the MSR-load area does not load an x2APIC MSR (index 800H-8FFH)');
const MSR_SMM = msrCheck('msr-load.smm', 'the MSR-load area does not load IA32_SMM_MONITOR_CTL or IA32_SMBASE');
/** The check for each `msrLoadEntryProblem` result (index 0: no problem). */
const MSR_CHECK_BY_PROBLEM = [undefined, MSR_RESERVED, MSR_FS_GS, MSR_X2APIC, MSR_SMM];

/** Every VM-entry check, in the order VM entry performs them. */
export const ENTRY_CHECKS: readonly EntryCheck[] = Object.freeze(
  defs.map(({ ok: _ok, ...rest }) => Object.freeze(rest)),
);

function failureOf(check: EntryCheck, qualification: number): EntryCheckFailure {
  return {
    check,
    id: check.id,
    section: check.section,
    error: check.error,
    exitReason: check.exitReason,
    qualification,
  };
}

const scratch = new EntryState();

/**
 * Runs every VM-entry check of SDM 3C 27.2-27.4 on a VMCS, in order, and returns the first
 * that fails (or `undefined`). Controls, then host state (VMfailValid 7/8), then guest
 * state (exit 33), then the MSR-load area entries (exit 34, qualification = entry number).
 *
 * @example
 * ```ts
 * import { ENTRY_CHECKS } from '@typevisor/vmx';
 * ENTRY_CHECKS.find((c) => c.id === 'guest.cr0.fixed')?.section; // '27.3.1.1'
 * ```
 */
export function runEntryChecks(
  vmcs: VmcsCache,
  caps: VmxCapabilities,
  memory: PhysicalMemory,
  hostIa32e: boolean,
): EntryCheckFailure | undefined {
  const s = scratch;
  s.reset(vmcs, caps, memory, hostIa32e);
  for (let i = 0; i < defs.length; i++) {
    const d = defs[i]!;
    if (d.area === 'msr-load') break;
    if (!d.ok(s)) return failureOf(ENTRY_CHECKS[i]!, d.qualification);
  }
  return checkMsrLoadArea(s);
}

function byId(def: CheckDef): EntryCheck {
  return ENTRY_CHECKS[defs.indexOf(def)]!;
}

/** SDM 3C 27.4: entries are checked in order; the qualification is the failing entry's number, from 1. */
function checkMsrLoadArea(s: EntryState): EntryCheckFailure | undefined {
  const count = s.lo(F.VM_ENTRY_MSR_LOAD_COUNT) >>> 0;
  const base = s.lo(F.VM_ENTRY_MSR_LOAD_ADDRESS) >>> 0;
  for (let i = 0; i < count; i++) {
    const index = s.memory.read32(base + 16 * i) >>> 0;
    const problem = msrLoadEntryProblem(index, s.memory.read32(base + 16 * i + 4));
    const def = MSR_CHECK_BY_PROBLEM[problem];
    if (def) return failureOf(byId(def), i + 1);
  }
  return undefined;
}
