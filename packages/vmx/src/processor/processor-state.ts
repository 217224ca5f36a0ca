/** Segment registers in VMCS order (ES, CS, SS, DS, FS, GS, LDTR, TR), SDM 3D Appendix B. */
export const SEG_ES = 0;
export const SEG_CS = 1;
export const SEG_SS = 2;
export const SEG_DS = 3;
export const SEG_FS = 4;
export const SEG_GS = 5;
export const SEG_LDTR = 6;
export const SEG_TR = 7;

/** One segment register: selector and hidden part, access rights in the VMCS format (SDM 3C 25.4.1). */
export class SegmentState {
  selector = 0;
  baseLo = 0;
  baseHi = 0;
  limit = 0;
  /** Access rights in the VMCS layout: type, S, DPL, P, AVL, L, D/B, G, unusable (bit 16). */
  accessRights = 0x10000;
}

/**
 * The architectural state VM entry loads and VM exit saves and loads (SDM 3C 25.4, 25.5):
 * the processor's registers as the VMX model exchanges them with a CPU. 64-bit values are
 * lo/hi halves; CR0, CR4, RFLAGS, DR7 and EFER keep only their low 32 bits (the high ones
 * are reserved and zero). The CPU copies its registers into one of these before a VM exit
 * and from it after a VM entry or exit, or keeps its state here directly.
 */
export class VmxProcessorState {
  cr0 = 0x60000010;
  cr3Lo = 0;
  cr3Hi = 0;
  cr4 = 0;
  dr7 = 0x400;
  rspLo = 0;
  rspHi = 0;
  ripLo = 0;
  ripHi = 0;
  rflags = 2;
  readonly segments: readonly SegmentState[] = Array.from({ length: 8 }, () => new SegmentState());
  gdtrBaseLo = 0;
  gdtrBaseHi = 0;
  gdtrLimit = 0xffff;
  idtrBaseLo = 0;
  idtrBaseHi = 0;
  idtrLimit = 0xffff;
  debugctlLo = 0;
  debugctlHi = 0;
  sysenterCs = 0;
  sysenterEspLo = 0;
  sysenterEspHi = 0;
  sysenterEipLo = 0;
  sysenterEipHi = 0;
  perfGlobalCtrlLo = 0;
  perfGlobalCtrlHi = 0;
  /** IA32_PAT, power-up value 0007040600070406H. */
  patLo = 0x00070406;
  patHi = 0x00070406;
  efer = 0;
  /** Activity state (0 active, 1 HLT, 2 shutdown, 3 wait-for-SIPI), SDM 3C 25.4.2. */
  activity = 0;
  /** Interruptibility state bits (STI, MOV SS, SMI, NMI blocking), SDM 3C 25.4.2. */
  interruptibility = 0;
  /** Pending debug exceptions, low 32 bits (the high ones are reserved). */
  pendingDebug = 0;
  /** The four PDPTEs of PAE paging as lo/hi pairs. */
  readonly pdpte = new Uint32Array(8);
}

/**
 * How the VMX model reads and writes the processor's MSRs for the MSR-store and MSR-load
 * areas (SDM 3C 27.4, 28.4, 28.6). `false` means the access would #GP.
 */
export interface VmxMsrPort {
  /** RDMSR `index` into `out[0]` (lo) and `out[1]` (hi). */
  readMsr(index: number, out: Uint32Array): boolean;
  /** WRMSR `index` with `lo`/`hi`. */
  writeMsr(index: number, lo: number, hi: number): boolean;
}

/** The processor a {@link Vmx} runs VM entries and exits on. */
export interface VmxProcessorPort {
  readonly state: VmxProcessorState;
  readonly msrs: VmxMsrPort;
}
