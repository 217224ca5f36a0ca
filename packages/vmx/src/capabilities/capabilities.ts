import {
  ENTRY_DEFAULT1,
  ENTRY_IA32E_MODE_GUEST,
  ENTRY_LOAD_EFER,
  ENTRY_LOAD_PAT,
  ENTRY_LOAD_PERF_GLOBAL_CTRL,
  ENTRY_TRUE_RELAXED,
  EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT,
  EXIT_DEFAULT1,
  EXIT_HOST_ADDRESS_SPACE_SIZE,
  EXIT_LOAD_EFER,
  EXIT_LOAD_PAT,
  EXIT_LOAD_PERF_GLOBAL_CTRL,
  EXIT_SAVE_EFER,
  EXIT_SAVE_PAT,
  EXIT_SAVE_PREEMPTION_TIMER,
  EXIT_TRUE_RELAXED,
  PIN_ACTIVATE_PREEMPTION_TIMER,
  PIN_DEFAULT1,
  PIN_EXTERNAL_INTERRUPT_EXITING,
  PIN_NMI_EXITING,
  PIN_PROCESS_POSTED_INTERRUPTS,
  PIN_VIRTUAL_NMIS,
  PROC_ACTIVATE_SECONDARY_CONTROLS,
  PROC_CR8_LOAD_EXITING,
  PROC_CR8_STORE_EXITING,
  PROC_DEFAULT1,
  PROC_HLT_EXITING,
  PROC_INTERRUPT_WINDOW_EXITING,
  PROC_INVLPG_EXITING,
  PROC_MONITOR_EXITING,
  PROC_MONITOR_TRAP_FLAG,
  PROC_MOV_DR_EXITING,
  PROC_MWAIT_EXITING,
  PROC_NMI_WINDOW_EXITING,
  PROC_PAUSE_EXITING,
  PROC_RDPMC_EXITING,
  PROC_RDTSC_EXITING,
  PROC_TRUE_RELAXED,
  PROC_UNCONDITIONAL_IO_EXITING,
  PROC_USE_IO_BITMAPS,
  PROC_USE_MSR_BITMAPS,
  PROC_USE_TPR_SHADOW,
  PROC_USE_TSC_OFFSETTING,
  PROC2_APIC_REGISTER_VIRTUALIZATION,
  PROC2_DESCRIPTOR_TABLE_EXITING,
  PROC2_ENABLE_EPT,
  PROC2_ENABLE_INVPCID,
  PROC2_ENABLE_PML,
  PROC2_ENABLE_RDTSCP,
  PROC2_ENABLE_VM_FUNCTIONS,
  PROC2_ENABLE_VPID,
  PROC2_ENABLE_XSAVES_XRSTORS,
  PROC2_PAUSE_LOOP_EXITING,
  PROC2_RDRAND_EXITING,
  PROC2_RDSEED_EXITING,
  PROC2_UNRESTRICTED_GUEST,
  PROC2_VIRTUAL_INTERRUPT_DELIVERY,
  PROC2_VIRTUALIZE_APIC_ACCESSES,
  PROC2_VIRTUALIZE_X2APIC_MODE,
  PROC2_WBINVD_EXITING,
  VMFUNC_EPTP_SWITCHING,
} from '../vmcs/controls.ts';
import { highestSupportedIndex } from '../vmcs/field-encoding.ts';
import type { VmxFeatures } from './features.ts';
import {
  FEATURE_CONTROL_LOCK,
  FEATURE_CONTROL_VMX_OUTSIDE_SMX,
  IA32_VMX_BASIC,
  IA32_VMX_CR0_FIXED0,
  IA32_VMX_CR0_FIXED1,
  IA32_VMX_CR4_FIXED0,
  IA32_VMX_CR4_FIXED1,
  IA32_VMX_ENTRY_CTLS,
  IA32_VMX_EPT_VPID_CAP,
  IA32_VMX_EXIT_CTLS,
  IA32_VMX_MISC,
  IA32_VMX_PINBASED_CTLS,
  IA32_VMX_PROCBASED_CTLS,
  IA32_VMX_PROCBASED_CTLS2,
  IA32_VMX_TRUE_ENTRY_CTLS,
  IA32_VMX_TRUE_EXIT_CTLS,
  IA32_VMX_TRUE_PINBASED_CTLS,
  IA32_VMX_TRUE_PROCBASED_CTLS,
  IA32_VMX_VMCS_ENUM,
  IA32_VMX_VMFUNC,
} from './msr-index.ts';

/** A 64-bit MSR value as two 32-bit halves. */
export interface MsrValue {
  readonly lo: number;
  readonly hi: number;
}

/** A control MSR's meaning: bits that must be 1 (low half) and bits that may be 1 (high half). SDM 3D A.3. */
export interface AllowedSettings {
  /** Bits set here must be 1 in the control ("allowed 0-settings" read as 0 means must be 1). */
  readonly mustBeOne: number;
  /** Bits clear here must be 0 in the control. */
  readonly mayBeOne: number;
}

/** EPT_VPID_CAP bits, SDM 3D A.10. */
export const EPT_CAP_EXECUTE_ONLY = 1 << 0;
export const EPT_CAP_WALK_LENGTH_4 = 1 << 6;
export const EPT_CAP_WALK_LENGTH_5 = 1 << 7;
export const EPT_CAP_MEMTYPE_UC = 1 << 8;
export const EPT_CAP_MEMTYPE_WB = 1 << 14;
export const EPT_CAP_2MB_PAGES = 1 << 16;
export const EPT_CAP_1GB_PAGES = 1 << 17;
export const EPT_CAP_INVEPT = 1 << 20;
export const EPT_CAP_ACCESSED_DIRTY = 1 << 21;
export const EPT_CAP_ADVANCED_EXIT_INFO = 1 << 22;
export const EPT_CAP_INVEPT_SINGLE_CONTEXT = 1 << 25;
export const EPT_CAP_INVEPT_ALL_CONTEXT = 1 << 26;
/** VPID capability bits, in the high half of EPT_VPID_CAP (bit 32 + n). SDM 3D A.10. */
export const VPID_CAP_INVVPID = 1 << 0;
export const VPID_CAP_INDIVIDUAL_ADDRESS = 1 << 8;
export const VPID_CAP_SINGLE_CONTEXT = 1 << 9;
export const VPID_CAP_ALL_CONTEXT = 1 << 10;
export const VPID_CAP_SINGLE_CONTEXT_RETAINING_GLOBALS = 1 << 11;

/** CR0 bits VMX operation requires: PE, NE, PG (IA32_VMX_CR0_FIXED0), SDM 3D A.7. */
export const CR0_FIXED0_DEFAULT = 0x80000021;
/** CR4.VMXE, the only CR4 bit VMX operation requires (IA32_VMX_CR4_FIXED0), SDM 3D A.8. */
export const CR4_FIXED0_DEFAULT = 0x00002000;

function word(mustBeOne: number, mayBeOne: number): MsrValue {
  return Object.freeze({ lo: mustBeOne >>> 0, hi: (mayBeOne | mustBeOne) >>> 0 });
}

/**
 * The VMX capability MSRs of one modelled processor, generated from a {@link VmxFeatures}
 * set (SDM 3D Appendix A), plus the decoded forms the rest of the model checks against.
 *
 * @example
 * ```ts
 * import { DEFAULT_VMX_FEATURES, IA32_VMX_BASIC, VmxCapabilities } from '@typevisor/vmx';
 * const caps = new VmxCapabilities(DEFAULT_VMX_FEATURES);
 * caps.readMsr(IA32_VMX_BASIC)?.lo; // the VMCS revision identifier
 * ```
 */
export class VmxCapabilities {
  readonly features: VmxFeatures;
  readonly basic: MsrValue;
  readonly pinbased: MsrValue;
  readonly procbased: MsrValue;
  readonly procbased2: MsrValue;
  readonly exit: MsrValue;
  readonly entry: MsrValue;
  readonly truePinbased: MsrValue;
  readonly trueProcbased: MsrValue;
  readonly trueExit: MsrValue;
  readonly trueEntry: MsrValue;
  readonly misc: MsrValue;
  readonly cr0Fixed0: MsrValue;
  readonly cr0Fixed1: MsrValue;
  readonly cr4Fixed0: MsrValue;
  readonly cr4Fixed1: MsrValue;
  readonly vmcsEnum: MsrValue;
  readonly eptVpidCap: MsrValue;
  readonly vmfunc: MsrValue;
  /** Mask of physical-address bits at or above MAXPHYADDR within the high 32 bits. */
  readonly physicalHighMask: number;
  private readonly msrs: Map<number, MsrValue>;
  private readonly allowedByKind: Readonly<Record<'pin' | 'proc' | 'proc2' | 'exit' | 'entry', AllowedSettings>>;

  constructor(features: VmxFeatures) {
    this.features = features;
    const f = features;
    if (!Number.isInteger(f.physicalAddressWidth) || f.physicalAddressWidth < 36 || f.physicalAddressWidth > 52) {
      throw new RangeError(`physicalAddressWidth ${f.physicalAddressWidth} is outside 36..52`);
    }
    // SDM 3D A.1: revision (30:0), region size 4096 (44:32), WB memory type (53:50),
    // INS/OUTS information (54), TRUE controls (55), any-error-code injection (56).
    this.basic = Object.freeze({
      lo: f.revisionId & 0x7fffffff,
      hi:
        (4096 | (6 << 18) | (1 << 22) | (f.trueControls ? 1 << 23 : 0) | (f.anyErrorCodeInjection ? 1 << 24 : 0)) >>> 0,
    });

    let pin = PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING;
    if (f.virtualNmis) pin |= PIN_VIRTUAL_NMIS;
    if (f.preemptionTimer) pin |= PIN_ACTIVATE_PREEMPTION_TIMER;
    if (f.apicVirtualization) pin |= PIN_PROCESS_POSTED_INTERRUPTS;

    let proc =
      PROC_INTERRUPT_WINDOW_EXITING |
      PROC_USE_TSC_OFFSETTING |
      PROC_HLT_EXITING |
      PROC_INVLPG_EXITING |
      PROC_MWAIT_EXITING |
      PROC_RDPMC_EXITING |
      PROC_RDTSC_EXITING |
      PROC_MOV_DR_EXITING |
      PROC_UNCONDITIONAL_IO_EXITING |
      PROC_USE_IO_BITMAPS |
      PROC_USE_MSR_BITMAPS |
      PROC_MONITOR_EXITING |
      PROC_PAUSE_EXITING |
      PROC_ACTIVATE_SECONDARY_CONTROLS;
    if (f.tprShadow) proc |= PROC_USE_TPR_SHADOW | PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING;
    if (f.virtualNmis) proc |= PROC_NMI_WINDOW_EXITING;
    if (f.monitorTrapFlag) proc |= PROC_MONITOR_TRAP_FLAG;

    let proc2 = 0;
    if (f.ept) proc2 |= PROC2_ENABLE_EPT;
    if (f.vpid) proc2 |= PROC2_ENABLE_VPID;
    if (f.unrestrictedGuest && f.ept) proc2 |= PROC2_UNRESTRICTED_GUEST;
    if (f.eptpSwitching && f.ept) proc2 |= PROC2_ENABLE_VM_FUNCTIONS;
    if (f.pml && f.ept) proc2 |= PROC2_ENABLE_PML;
    if (f.secondaryExiting) {
      proc2 |=
        PROC2_DESCRIPTOR_TABLE_EXITING |
        PROC2_WBINVD_EXITING |
        PROC2_RDRAND_EXITING |
        PROC2_RDSEED_EXITING |
        PROC2_PAUSE_LOOP_EXITING;
    }
    if (f.secondaryEnables) proc2 |= PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID | PROC2_ENABLE_XSAVES_XRSTORS;
    if (f.apicVirtualization) {
      proc2 |=
        PROC2_VIRTUALIZE_APIC_ACCESSES |
        PROC2_VIRTUALIZE_X2APIC_MODE |
        PROC2_APIC_REGISTER_VIRTUALIZATION |
        PROC2_VIRTUAL_INTERRUPT_DELIVERY;
    }

    let exit = EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT;
    if (f.msrControls) {
      exit |= EXIT_LOAD_PERF_GLOBAL_CTRL | EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_EFER | EXIT_LOAD_EFER;
    }
    if (f.preemptionTimer) exit |= EXIT_SAVE_PREEMPTION_TIMER;

    let entry = ENTRY_IA32E_MODE_GUEST;
    if (f.msrControls) entry |= ENTRY_LOAD_PERF_GLOBAL_CTRL | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER;

    this.pinbased = word(PIN_DEFAULT1, pin);
    this.procbased = word(PROC_DEFAULT1, proc);
    this.procbased2 = word(0, proc2);
    this.exit = word(EXIT_DEFAULT1, exit);
    this.entry = word(ENTRY_DEFAULT1, entry);
    this.truePinbased = word(PIN_DEFAULT1, pin);
    this.trueProcbased = word(PROC_DEFAULT1 & ~PROC_TRUE_RELAXED, proc | PROC_DEFAULT1);
    this.trueExit = word(EXIT_DEFAULT1 & ~EXIT_TRUE_RELAXED, exit | EXIT_DEFAULT1);
    this.trueEntry = word(ENTRY_DEFAULT1 & ~ENTRY_TRUE_RELAXED, entry | ENTRY_DEFAULT1);

    // SDM 3D A.6: timer rate (4:0), LMA stored on exit (5), activity states (8:6),
    // CR3-target count (24:16), MSR-list size 512*(N+1) with N=0 (27:25), VMWRITE to
    // exit-information fields (29), zero-length injection (30).
    this.misc = Object.freeze({
      lo:
        ((f.preemptionTimerRate & 0x1f) |
          (1 << 5) |
          (f.activityHlt ? 1 << 6 : 0) |
          (f.activityShutdown ? 1 << 7 : 0) |
          (f.activityWaitForSipi ? 1 << 8 : 0) |
          ((f.cr3TargetCount & 0x1ff) << 16) |
          (f.vmwriteExitInformation ? 1 << 29 : 0) |
          (f.zeroLengthInjection ? 1 << 30 : 0)) >>>
        0,
      hi: 0,
    });
    this.cr0Fixed0 = Object.freeze({ lo: CR0_FIXED0_DEFAULT, hi: 0 });
    this.cr0Fixed1 = Object.freeze({ lo: 0xffffffff, hi: 0 });
    this.cr4Fixed0 = Object.freeze({ lo: CR4_FIXED0_DEFAULT, hi: 0 });
    this.cr4Fixed1 = Object.freeze({ lo: (f.cr4Supported | CR4_FIXED0_DEFAULT) >>> 0, hi: 0 });
    // SDM 3D A.9: bits 9:1 hold the highest field index.
    this.vmcsEnum = Object.freeze({ lo: highestSupportedIndex(f) << 1, hi: 0 });

    let ept = 0;
    let vpid = 0;
    if (f.ept) {
      ept =
        EPT_CAP_EXECUTE_ONLY |
        EPT_CAP_WALK_LENGTH_4 |
        EPT_CAP_MEMTYPE_UC |
        EPT_CAP_MEMTYPE_WB |
        EPT_CAP_2MB_PAGES |
        EPT_CAP_1GB_PAGES |
        EPT_CAP_INVEPT |
        EPT_CAP_ADVANCED_EXIT_INFO |
        EPT_CAP_INVEPT_SINGLE_CONTEXT |
        EPT_CAP_INVEPT_ALL_CONTEXT;
      if (f.eptAccessedDirty) ept |= EPT_CAP_ACCESSED_DIRTY;
    }
    if (f.vpid) {
      vpid =
        VPID_CAP_INVVPID |
        VPID_CAP_INDIVIDUAL_ADDRESS |
        VPID_CAP_SINGLE_CONTEXT |
        VPID_CAP_ALL_CONTEXT |
        VPID_CAP_SINGLE_CONTEXT_RETAINING_GLOBALS;
    }
    this.eptVpidCap = Object.freeze({ lo: ept >>> 0, hi: vpid >>> 0 });
    this.vmfunc = Object.freeze({ lo: f.eptpSwitching && f.ept ? VMFUNC_EPTP_SWITCHING : 0, hi: 0 });

    const w = f.physicalAddressWidth;
    this.physicalHighMask = w >= 64 ? 0 : w <= 32 ? 0xffffffff : (~((1 << (w - 32)) - 1) >>> 0) >>> 0;

    const t = f.trueControls;
    const settings = (v: MsrValue): AllowedSettings => Object.freeze({ mustBeOne: v.lo, mayBeOne: v.hi });
    this.allowedByKind = Object.freeze({
      pin: settings(t ? this.truePinbased : this.pinbased),
      proc: settings(t ? this.trueProcbased : this.procbased),
      proc2: settings(this.procbased2),
      exit: settings(t ? this.trueExit : this.exit),
      entry: settings(t ? this.trueEntry : this.entry),
    });
    this.msrs = new Map<number, MsrValue>([
      [IA32_VMX_BASIC, this.basic],
      [IA32_VMX_PINBASED_CTLS, this.pinbased],
      [IA32_VMX_PROCBASED_CTLS, this.procbased],
      [IA32_VMX_EXIT_CTLS, this.exit],
      [IA32_VMX_ENTRY_CTLS, this.entry],
      [IA32_VMX_MISC, this.misc],
      [IA32_VMX_CR0_FIXED0, this.cr0Fixed0],
      [IA32_VMX_CR0_FIXED1, this.cr0Fixed1],
      [IA32_VMX_CR4_FIXED0, this.cr4Fixed0],
      [IA32_VMX_CR4_FIXED1, this.cr4Fixed1],
      [IA32_VMX_VMCS_ENUM, this.vmcsEnum],
      [IA32_VMX_PROCBASED_CTLS2, this.procbased2],
      [IA32_VMX_EPT_VPID_CAP, this.eptVpidCap],
      [IA32_VMX_VMFUNC, this.vmfunc],
    ]);
    if (f.trueControls) {
      this.msrs.set(IA32_VMX_TRUE_PINBASED_CTLS, this.truePinbased);
      this.msrs.set(IA32_VMX_TRUE_PROCBASED_CTLS, this.trueProcbased);
      this.msrs.set(IA32_VMX_TRUE_EXIT_CTLS, this.trueExit);
      this.msrs.set(IA32_VMX_TRUE_ENTRY_CTLS, this.trueEntry);
    }
  }

  /** The value of a VMX capability MSR, or `undefined` when this processor has no such MSR (RDMSR would #GP). */
  readMsr(index: number): MsrValue | undefined {
    return this.msrs.get(index);
  }

  /** Whether `index` is one of the read-only VMX capability MSRs this processor has. */
  hasMsr(index: number): boolean {
    return this.msrs.has(index);
  }

  /** The settings VM entry enforces for a control word: the TRUE_ MSR when BASIC[55] is 1. SDM 3D A.2. */
  allowed(kind: 'pin' | 'proc' | 'proc2' | 'exit' | 'entry'): AllowedSettings {
    return this.allowedByKind[kind];
  }

  /** Whether a physical address is at most MAXPHYADDR bits wide. */
  physicalAddressValid(lo: number, hi: number): boolean {
    return (hi & this.physicalHighMask) === 0 && lo >= 0;
  }
}

/**
 * The value of IA32_FEATURE_CONTROL firmware leaves for a hypervisor: locked with VMX
 * outside SMX enabled (SDM 3C 24.7).
 */
export const FEATURE_CONTROL_VMX_READY = FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
