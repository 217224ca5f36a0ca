// MSR indices the VMX model owns or checks. SDM 4 (Model-Specific Registers) Table 2-2.

/** IA32_FEATURE_CONTROL: lock (bit 0), VMX inside SMX (1), VMX outside SMX (2). SDM 3C 24.7. */
export const IA32_FEATURE_CONTROL = 0x3a;
export const FEATURE_CONTROL_LOCK = 1 << 0;
export const FEATURE_CONTROL_VMX_INSIDE_SMX = 1 << 1;
export const FEATURE_CONTROL_VMX_OUTSIDE_SMX = 1 << 2;

/** VMX capability MSRs, SDM 3D Appendix A. */
export const IA32_VMX_BASIC = 0x480;
export const IA32_VMX_PINBASED_CTLS = 0x481;
export const IA32_VMX_PROCBASED_CTLS = 0x482;
export const IA32_VMX_EXIT_CTLS = 0x483;
export const IA32_VMX_ENTRY_CTLS = 0x484;
export const IA32_VMX_MISC = 0x485;
export const IA32_VMX_CR0_FIXED0 = 0x486;
export const IA32_VMX_CR0_FIXED1 = 0x487;
export const IA32_VMX_CR4_FIXED0 = 0x488;
export const IA32_VMX_CR4_FIXED1 = 0x489;
export const IA32_VMX_VMCS_ENUM = 0x48a;
export const IA32_VMX_PROCBASED_CTLS2 = 0x48b;
export const IA32_VMX_EPT_VPID_CAP = 0x48c;
export const IA32_VMX_TRUE_PINBASED_CTLS = 0x48d;
export const IA32_VMX_TRUE_PROCBASED_CTLS = 0x48e;
export const IA32_VMX_TRUE_EXIT_CTLS = 0x48f;
export const IA32_VMX_TRUE_ENTRY_CTLS = 0x490;
export const IA32_VMX_VMFUNC = 0x491;

/** MSRs named by VM-entry checks and the MSR-load area rules, SDM 3C 27.4. */
export const IA32_SYSENTER_CS = 0x174;
export const IA32_SYSENTER_ESP = 0x175;
export const IA32_SYSENTER_EIP = 0x176;
export const IA32_DEBUGCTL = 0x1d9;
export const IA32_PAT = 0x277;
export const IA32_PERF_GLOBAL_CTRL = 0x38f;
export const IA32_SMM_MONITOR_CTL = 0x9b;
export const IA32_SMBASE = 0x9e;
export const IA32_EFER = 0xc0000080;
export const IA32_FS_BASE = 0xc0000100;
export const IA32_GS_BASE = 0xc0000101;
export const IA32_BNDCFGS = 0xd90;
