// Bits of the VMX control words. SDM 3C 25.6 (VM-execution), 25.7 (VM-exit), 25.8 (VM-entry).

/** Pin-based VM-execution controls, SDM 3C 25.6.1 Table 25-5. */
export const PIN_EXTERNAL_INTERRUPT_EXITING = 1 << 0;
export const PIN_NMI_EXITING = 1 << 3;
export const PIN_VIRTUAL_NMIS = 1 << 5;
export const PIN_ACTIVATE_PREEMPTION_TIMER = 1 << 6;
export const PIN_PROCESS_POSTED_INTERRUPTS = 1 << 7;
/** Pin-based bits that are 1 by default ("default1" class), SDM 3D A.3.1. */
export const PIN_DEFAULT1 = 0x00000016;

/** Primary processor-based VM-execution controls, SDM 3C 25.6.2 Table 25-6. */
export const PROC_INTERRUPT_WINDOW_EXITING = 1 << 2;
export const PROC_USE_TSC_OFFSETTING = 1 << 3;
export const PROC_HLT_EXITING = 1 << 7;
export const PROC_INVLPG_EXITING = 1 << 9;
export const PROC_MWAIT_EXITING = 1 << 10;
export const PROC_RDPMC_EXITING = 1 << 11;
export const PROC_RDTSC_EXITING = 1 << 12;
export const PROC_CR3_LOAD_EXITING = 1 << 15;
export const PROC_CR3_STORE_EXITING = 1 << 16;
export const PROC_ACTIVATE_TERTIARY_CONTROLS = 1 << 17;
export const PROC_CR8_LOAD_EXITING = 1 << 19;
export const PROC_CR8_STORE_EXITING = 1 << 20;
export const PROC_USE_TPR_SHADOW = 1 << 21;
export const PROC_NMI_WINDOW_EXITING = 1 << 22;
export const PROC_MOV_DR_EXITING = 1 << 23;
export const PROC_UNCONDITIONAL_IO_EXITING = 1 << 24;
export const PROC_USE_IO_BITMAPS = 1 << 25;
export const PROC_MONITOR_TRAP_FLAG = 1 << 27;
export const PROC_USE_MSR_BITMAPS = 1 << 28;
export const PROC_MONITOR_EXITING = 1 << 29;
export const PROC_PAUSE_EXITING = 1 << 30;
export const PROC_ACTIVATE_SECONDARY_CONTROLS = 1 << 31;
/** Primary processor-based default1 bits (1, 4-6, 8, 13-16, 26), SDM 3D A.3.2. */
export const PROC_DEFAULT1 = 0x0401e172;
/** Default1 bits that IA32_VMX_TRUE_PROCBASED_CTLS lets be 0 (CR3-load/store exiting), SDM 3D A.3.2. */
export const PROC_TRUE_RELAXED = PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING;

/** Secondary processor-based VM-execution controls, SDM 3C 25.6.2 Table 25-7. */
export const PROC2_VIRTUALIZE_APIC_ACCESSES = 1 << 0;
export const PROC2_ENABLE_EPT = 1 << 1;
export const PROC2_DESCRIPTOR_TABLE_EXITING = 1 << 2;
export const PROC2_ENABLE_RDTSCP = 1 << 3;
export const PROC2_VIRTUALIZE_X2APIC_MODE = 1 << 4;
export const PROC2_ENABLE_VPID = 1 << 5;
export const PROC2_WBINVD_EXITING = 1 << 6;
export const PROC2_UNRESTRICTED_GUEST = 1 << 7;
export const PROC2_APIC_REGISTER_VIRTUALIZATION = 1 << 8;
export const PROC2_VIRTUAL_INTERRUPT_DELIVERY = 1 << 9;
export const PROC2_PAUSE_LOOP_EXITING = 1 << 10;
export const PROC2_RDRAND_EXITING = 1 << 11;
export const PROC2_ENABLE_INVPCID = 1 << 12;
export const PROC2_ENABLE_VM_FUNCTIONS = 1 << 13;
export const PROC2_VMCS_SHADOWING = 1 << 14;
export const PROC2_ENABLE_ENCLS_EXITING = 1 << 15;
export const PROC2_RDSEED_EXITING = 1 << 16;
export const PROC2_ENABLE_PML = 1 << 17;
export const PROC2_EPT_VIOLATION_VE = 1 << 18;
export const PROC2_CONCEAL_VMX_FROM_PT = 1 << 19;
export const PROC2_ENABLE_XSAVES_XRSTORS = 1 << 20;
export const PROC2_MODE_BASED_EXECUTE_CONTROL = 1 << 22;
export const PROC2_SUB_PAGE_WRITE_PERMISSIONS = 1 << 23;
export const PROC2_PT_USES_GUEST_PHYSICAL = 1 << 24;
export const PROC2_USE_TSC_SCALING = 1 << 25;
export const PROC2_ENABLE_USER_WAIT_PAUSE = 1 << 26;
export const PROC2_ENABLE_PCONFIG = 1 << 27;
export const PROC2_ENABLE_ENCLV_EXITING = 1 << 28;

/** Primary VM-exit controls, SDM 3C 25.7.1 Table 25-13. */
export const EXIT_SAVE_DEBUG_CONTROLS = 1 << 2;
export const EXIT_HOST_ADDRESS_SPACE_SIZE = 1 << 9;
export const EXIT_LOAD_PERF_GLOBAL_CTRL = 1 << 12;
export const EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT = 1 << 15;
export const EXIT_SAVE_PAT = 1 << 18;
export const EXIT_LOAD_PAT = 1 << 19;
export const EXIT_SAVE_EFER = 1 << 20;
export const EXIT_LOAD_EFER = 1 << 21;
export const EXIT_SAVE_PREEMPTION_TIMER = 1 << 22;
export const EXIT_CLEAR_BNDCFGS = 1 << 23;
export const EXIT_CONCEAL_VMX_FROM_PT = 1 << 24;
export const EXIT_CLEAR_RTIT_CTL = 1 << 25;
export const EXIT_CLEAR_LBR_CTL = 1 << 26;
export const EXIT_LOAD_CET_STATE = 1 << 28;
export const EXIT_LOAD_PKRS = 1 << 29;
export const EXIT_ACTIVATE_SECONDARY_CONTROLS = 1 << 31;
/** VM-exit default1 bits (0-8, 10, 11, 13, 14, 16, 17), SDM 3D A.4. */
export const EXIT_DEFAULT1 = 0x00036dff;
/** Default1 bit that IA32_VMX_TRUE_EXIT_CTLS lets be 0, SDM 3D A.4. */
export const EXIT_TRUE_RELAXED = EXIT_SAVE_DEBUG_CONTROLS;

/** VM-entry controls, SDM 3C 25.8.1 Table 25-15. */
export const ENTRY_LOAD_DEBUG_CONTROLS = 1 << 2;
export const ENTRY_IA32E_MODE_GUEST = 1 << 9;
export const ENTRY_TO_SMM = 1 << 10;
export const ENTRY_DEACTIVATE_DUAL_MONITOR = 1 << 11;
export const ENTRY_LOAD_PERF_GLOBAL_CTRL = 1 << 13;
export const ENTRY_LOAD_PAT = 1 << 14;
export const ENTRY_LOAD_EFER = 1 << 15;
export const ENTRY_LOAD_BNDCFGS = 1 << 16;
export const ENTRY_CONCEAL_VMX_FROM_PT = 1 << 17;
export const ENTRY_LOAD_RTIT_CTL = 1 << 18;
export const ENTRY_LOAD_CET_STATE = 1 << 20;
export const ENTRY_LOAD_LBR_CTL = 1 << 21;
export const ENTRY_LOAD_PKRS = 1 << 22;
/** VM-entry default1 bits (0-8, 12), SDM 3D A.5. */
export const ENTRY_DEFAULT1 = 0x000011ff;
/** Default1 bit that IA32_VMX_TRUE_ENTRY_CTLS lets be 0, SDM 3D A.5. */
export const ENTRY_TRUE_RELAXED = ENTRY_LOAD_DEBUG_CONTROLS;

/** VM-function controls, SDM 3C 25.6.14. */
export const VMFUNC_EPTP_SWITCHING = 1 << 0;

/** Interruption-information format (VM-entry, VM-exit, IDT-vectoring), SDM 3C 25.8.3 Table 25-17. */
export const INTR_INFO_VECTOR_MASK = 0xff;
export const INTR_INFO_TYPE_SHIFT = 8;
export const INTR_INFO_TYPE_MASK = 0x700;
export const INTR_INFO_DELIVER_ERROR_CODE = 1 << 11;
export const INTR_INFO_NMI_UNBLOCKING = 1 << 12;
export const INTR_INFO_VALID = 1 << 31;

/** Interruption types (bits 10:8), SDM 3C 25.8.3. */
export const INTR_TYPE_EXTERNAL_INTERRUPT = 0;
export const INTR_TYPE_NMI = 2;
export const INTR_TYPE_HARDWARE_EXCEPTION = 3;
export const INTR_TYPE_SOFTWARE_INTERRUPT = 4;
export const INTR_TYPE_PRIVILEGED_SOFTWARE_EXCEPTION = 5;
export const INTR_TYPE_SOFTWARE_EXCEPTION = 6;
export const INTR_TYPE_OTHER_EVENT = 7;

/** Guest interruptibility state, SDM 3C 25.4.2 Table 25-3. */
export const INTERRUPTIBILITY_STI = 1 << 0;
export const INTERRUPTIBILITY_MOV_SS = 1 << 1;
export const INTERRUPTIBILITY_SMI = 1 << 2;
export const INTERRUPTIBILITY_NMI = 1 << 3;
export const INTERRUPTIBILITY_ENCLAVE = 1 << 4;

/** Guest activity states, SDM 3C 25.4.2. */
export const ACTIVITY_ACTIVE = 0;
export const ACTIVITY_HLT = 1;
export const ACTIVITY_SHUTDOWN = 2;
export const ACTIVITY_WAIT_FOR_SIPI = 3;

/** Pending debug exceptions, SDM 3C 25.4.2 Table 25-4. */
export const PENDING_DEBUG_B0_B3 = 0xf;
export const PENDING_DEBUG_ENABLED_BREAKPOINT = 1 << 12;
export const PENDING_DEBUG_BS = 1 << 14;
export const PENDING_DEBUG_RTM = 1 << 16;

/** Segment access-rights format in the guest-state area, SDM 3C 25.4.1 Table 25-2. */
export const AR_TYPE_MASK = 0xf;
export const AR_S = 1 << 4;
export const AR_DPL_SHIFT = 5;
export const AR_P = 1 << 7;
export const AR_AVL = 1 << 12;
export const AR_L = 1 << 13;
export const AR_DB = 1 << 14;
export const AR_G = 1 << 15;
export const AR_UNUSABLE = 1 << 16;
/** Access-rights bits that must be 0: 11:8 and 31:17, SDM 3C 27.3.1.2. */
export const AR_RESERVED = 0xfffe0f00;
