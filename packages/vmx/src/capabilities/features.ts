/**
 * The VT-x features a modelled processor offers. The capability MSRs (SDM 3D Appendix A)
 * are generated from this, and everything else in the package (which VMCS fields exist,
 * which controls may be set, which INVEPT types work) reads the capabilities, never this.
 * Every flag defaults to what the model implements; turning one off removes the feature
 * exactly as a processor without it would.
 */
export interface VmxFeatures {
  /** VMCS revision identifier reported in IA32_VMX_BASIC[30:0]. */
  readonly revisionId: number;
  /** MAXPHYADDR: physical-address width, 36..52. */
  readonly physicalAddressWidth: number;
  /** Linear-address width for canonical checks: 48 (4-level) or 57 (5-level). */
  readonly linearAddressWidth: 48 | 57;
  /** IA32_VMX_BASIC[55]: the TRUE_ control MSRs exist and allow some default1 bits to be 0. */
  readonly trueControls: boolean;
  /** Secondary controls "enable EPT" with INVEPT, 4-level walks, WB and UC memory types, 2M/1G pages. */
  readonly ept: boolean;
  /** EPT accessed and dirty flags (EPTP bit 6). */
  readonly eptAccessedDirty: boolean;
  /** "Enable VPID" and INVVPID with all four types. */
  readonly vpid: boolean;
  /** "Unrestricted guest": real-mode and unpaged protected-mode guests. Needs `ept`. */
  readonly unrestrictedGuest: boolean;
  /** "Activate VMX-preemption timer" and "save VMX-preemption timer value". */
  readonly preemptionTimer: boolean;
  /** IA32_VMX_MISC[4:0]: the timer counts down by 1 every time TSC bit N changes. */
  readonly preemptionTimerRate: number;
  /** "Virtual NMIs" and "NMI-window exiting". */
  readonly virtualNmis: boolean;
  /** "Use TPR shadow" and CR8-load/store exiting. */
  readonly tprShadow: boolean;
  /** "Virtualize APIC accesses", "virtualize x2APIC mode", APIC-register virtualization, virtual-interrupt delivery, posted interrupts. */
  readonly apicVirtualization: boolean;
  /** "Enable VM functions" with EPTP switching (VM function 0). Needs `ept`. */
  readonly eptpSwitching: boolean;
  /** "Enable PML" (page-modification logging). Needs `ept`. */
  readonly pml: boolean;
  /** "Monitor trap flag". */
  readonly monitorTrapFlag: boolean;
  /** "Descriptor-table exiting", "WBINVD exiting", "RDRAND exiting", "RDSEED exiting", "PAUSE-loop exiting". */
  readonly secondaryExiting: boolean;
  /** "Enable RDTSCP", "enable INVPCID", "enable XSAVES/XRSTORS" (pass-through permissions). */
  readonly secondaryEnables: boolean;
  /** Load/save IA32_PAT and IA32_EFER, load IA32_PERF_GLOBAL_CTRL on entry and exit. */
  readonly msrControls: boolean;
  /** Activity states beyond "active" that VM entry accepts (IA32_VMX_MISC[8:6]). */
  readonly activityHlt: boolean;
  readonly activityShutdown: boolean;
  readonly activityWaitForSipi: boolean;
  /** Number of CR3-target values, IA32_VMX_MISC[24:16] (0..256; hardware reports 4). */
  readonly cr3TargetCount: number;
  /** IA32_VMX_MISC[29]: VMWRITE may write the VM-exit information fields. */
  readonly vmwriteExitInformation: boolean;
  /** IA32_VMX_MISC[30]: software interrupts/exceptions may be injected with instruction length 0. */
  readonly zeroLengthInjection: boolean;
  /** IA32_VMX_BASIC[56]: hardware exceptions may be injected with or without an error code, any vector. */
  readonly anyErrorCodeInjection: boolean;
  /** CR4 bits the processor lets software set (becomes IA32_VMX_CR4_FIXED1). */
  readonly cr4Supported: number;
}

// SDM 3A 2.5: VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT UMIP VMXE FSGSBASE PCIDE OSXSAVE SMEP SMAP.
const CR4_SUPPORTED_DEFAULT = 0x7ff | (1 << 11) | (1 << 13) | (1 << 16) | (1 << 17) | (1 << 18) | (1 << 20) | (1 << 21);

/**
 * Everything the model implements, on a 46-bit physical / 48-bit linear processor with
 * VMCS revision 1.
 *
 * @example
 * ```ts
 * import { DEFAULT_VMX_FEATURES, VmxCapabilities } from '@typevisor/vmx';
 * const noEpt = new VmxCapabilities({ ...DEFAULT_VMX_FEATURES, ept: false, unrestrictedGuest: false, eptpSwitching: false, pml: false });
 * ```
 */
export const DEFAULT_VMX_FEATURES: VmxFeatures = Object.freeze({
  revisionId: 1,
  physicalAddressWidth: 46,
  linearAddressWidth: 48,
  trueControls: true,
  ept: true,
  eptAccessedDirty: true,
  vpid: true,
  unrestrictedGuest: true,
  preemptionTimer: true,
  preemptionTimerRate: 5,
  virtualNmis: true,
  tprShadow: true,
  apicVirtualization: false,
  eptpSwitching: true,
  pml: false,
  monitorTrapFlag: true,
  secondaryExiting: true,
  secondaryEnables: true,
  msrControls: true,
  activityHlt: true,
  activityShutdown: true,
  activityWaitForSipi: true,
  cr3TargetCount: 4,
  vmwriteExitInformation: true,
  zeroLengthInjection: true,
  anyErrorCodeInjection: false,
  cr4Supported: CR4_SUPPORTED_DEFAULT,
});
