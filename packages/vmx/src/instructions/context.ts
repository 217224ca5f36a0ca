/**
 * The slice of the executing logical processor's state that VMX instructions consult
 * (SDM 3C 31.3 "Operation" sections): the CPU fills it, or implements it with getters, and
 * passes it in. Read-only for the model.
 */
export interface VmxInstructionContext {
  /** CR0, low 32 bits. */
  readonly cr0: number;
  /** CR4, low 32 bits. */
  readonly cr4: number;
  /** Current privilege level 0..3. */
  readonly cpl: number;
  /** RFLAGS.VM: virtual-8086 mode. */
  readonly v8086: boolean;
  /** IA32_EFER.LMA: IA-32e mode. */
  readonly ia32e: boolean;
  /** CS.L: in IA-32e mode, 64-bit (1) or compatibility mode (0). */
  readonly csL: boolean;
  /** Blocking by MOV SS is in effect (VMLAUNCH/VMRESUME fail with error 26). */
  readonly blockedByMovSs: boolean;
}
