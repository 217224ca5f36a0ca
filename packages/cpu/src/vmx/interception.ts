/**
 * The one interface the interpreter consults, in VMX non-root operation, for every
 * instruction and event the SDM lets a VMM intercept (SDM 3C ch. 26 "VMX non-root
 * operation", 26.1 instructions that cause VM exits, 26.2 other causes).
 *
 * The cpu holds `cpu.interception: VmxInterception | null`. It is `null` outside non-root
 * operation, and every call site is `if (interception !== null && interception.x(...))`, so
 * a CPU that is not a VMX guest pays one null check on the rare instructions that consult it
 * and nothing on the others.
 *
 * Contract of every method: return `false` when the VMCS controls say the event does NOT exit
 * (the cpu then executes the instruction / delivers the event normally); return `true` when
 * the implementation has performed the VM exit (saved guest state from the cpu, loaded host
 * state onto it, SDM 3C ch. 28). After `true` the cpu abandons the instruction without any
 * architectural side effect (RIP still points at it — the VMM reads `VM-exit instruction
 * length` from the `instructionLength` argument where the SDM records one) and stops `run()`
 * with the stop reason `StopReason.VmExit`.
 *
 * Arguments are plain numbers; 64-bit values are lo/hi halves. The methods are called
 * BEFORE the instruction's own fault checks that the SDM orders after the VM exit
 * (SDM 3C 26.1.1: exceptions that have priority over the exit — e.g. #UD, #GP for CPL>0
 * on privileged instructions — are raised first and go through {@link exception}).
 */
export interface VmxInterception {
  // ---- SDM 3C 26.1.2: instructions that cause VM exits unconditionally ----
  /** CPUID with EAX/ECX inputs. */
  cpuid(eax: number, ecx: number, instructionLength: number): boolean;
  /** GETSEC, INVD, XSETBV (`kind`: {@link UnconditionalExit}). */
  unconditional(kind: UnconditionalExit, instructionLength: number): boolean;
  /**
   * A VMX instruction executed in non-root operation: VMCALL, VMCLEAR, VMLAUNCH, VMPTRLD,
   * VMPTRST, VMREAD, VMRESUME, VMWRITE, VMXOFF, VMXON, INVEPT, INVVPID, VMFUNC (these exit
   * unconditionally except VMREAD/VMWRITE with VMCS shadowing and VMFUNC, which the
   * implementation decides). `operands` describes the instruction's operands.
   */
  vmxInstruction(op: VmxOperation, operands: VmxOperands): boolean;

  // ---- SDM 3C 26.1.3: instructions that cause VM exits conditionally ----
  /** HLT ("HLT exiting"). */
  hlt(instructionLength: number): boolean;
  /** INVLPG ("INVLPG exiting"), linear address operand. */
  invlpg(linearLo: number, linearHi: number, instructionLength: number): boolean;
  /** INVPCID ("enable INVPCID" + "INVLPG exiting"), type and descriptor linear address; `operands` as for VMX instructions. */
  invpcid(type: number, descLo: number, descHi: number, instructionLength: number, operands?: VmxOperands): boolean;
  /** RDPMC ("RDPMC exiting"). */
  rdpmc(instructionLength: number): boolean;
  /** RDTSC / RDTSCP ("RDTSC exiting"). When this returns false the cpu asks {@link tscOffset}. */
  rdtsc(rdtscp: boolean, instructionLength: number): boolean;
  /**
   * The TSC value the guest reads (RDTSC, RDTSCP, RDMSR IA32_TSC), given the host TSC:
   * write the guest value into `out[0]` (lo) / `out[1]` (hi). SDM 3C 26.3 (TSC offsetting/scaling).
   */
  guestTsc(hostLo: number, hostHi: number, out: Uint32Array): void;
  /** RDMSR (MSR bitmaps, SDM 3C 25.6.9), MSR index in ECX. */
  rdmsr(index: number, instructionLength: number): boolean;
  /** WRMSR, MSR index and the value EDX:EAX. */
  wrmsr(index: number, lo: number, hi: number, instructionLength: number): boolean;
  /**
   * MOV to CR0/CR3/CR4/CR8 (CR0/CR4 guest/host masks, CR3-target list, "CR3-load exiting",
   * "CR8-load exiting"), CLTS and LMSW. `gpr` is the source register number (0 = RAX .. 15),
   * or -1 for CLTS / LMSW from memory. `access` is {@link CrAccess}; for LMSW `valueLo` is the
   * 16-bit source operand. For LMSW from memory `linearLo/Hi` is the operand's linear address
   * (the VM-exit guest-linear address, SDM 3C 28.2.1 Table 28-3 and 28.2.4).
   */
  movToCr(
    cr: number,
    access: CrAccess,
    valueLo: number,
    valueHi: number,
    gpr: number,
    instructionLength: number,
    linearLo?: number,
    linearHi?: number,
  ): boolean;
  /** MOV from CR3/CR8 ("CR3-store exiting", "CR8-store exiting"); `gpr` is the destination. */
  movFromCr(cr: number, gpr: number, instructionLength: number): boolean;
  /**
   * The value a guest read of CR0/CR4 returns (read shadows for the bits the guest/host mask
   * owns, SDM 3C 26.3): MOV from CR0/CR4 and SMSW call this with the real value.
   */
  readShadowedCr(cr: 0 | 4, actual: number): number;
  /** MOV DR ("MOV-DR exiting"). */
  movDr(dr: number, toDr: boolean, gpr: number, instructionLength: number): boolean;
  /**
   * IN, INS, OUT, OUTS ("unconditional I/O exiting" / I/O bitmaps). `size` 1/2/4; `string`
   * for INS/OUTS, `rep` for a REP prefix, `immediate` when the port was an imm8 operand.
   */
  io(
    port: number,
    size: 1 | 2 | 4,
    isIn: boolean,
    string: boolean,
    rep: boolean,
    immediate: boolean,
    instructionLength: number,
  ): boolean;
  /**
   * MONITOR, MWAIT, PAUSE (+ PAUSE-loop exiting), WBINVD/WBNOINVD, RDRAND, RDSEED, descriptor-table instructions (LGDT, LIDT, LLDT, LTR, SGDT, SIDT, SLDT, STR with "descriptor-table exiting"), XSAVES/XRSTORS, ENCLS, UMWAIT/TPAUSE.
   * For the descriptor-table instructions and RDRAND/RDSEED, `operands` describes the decoded
   * operands (the VM-exit instruction-information field, SDM 3C 28.2.5); otherwise it is undefined.
   */
  conditional(kind: ConditionalExit, instructionLength: number, operands?: VmxOperands): boolean;

  // ---- SDM 3C 26.2: other causes of VM exits ----
  /**
   * An exception the cpu is about to deliver (exception bitmap, #PF error-code mask/match).
   * `hasErrorCode` says whether `errorCode` is meaningful. `type` is the interruption type
   * (SDM 3C 25.9.2): 3 hardware exception, 5 privileged software exception (INT1), 6 software
   * exception (INT3, INTO); INT n (type 4) never consults the exception bitmap. For types 5/6
   * RIP still points at the instruction and `instructionLength` is its length (0 otherwise).
   * `qualificationLo/Hi` is the exit qualification SDM 3C 28.2.1 gives the exception: the
   * faulting linear address for #PF (CR2 is written only when the #PF is delivered), the
   * DR6-style B0-B3/BD/BS bits for #DB (DR6 and DR7.GD are left alone on an exit), else 0.
   */
  exception(
    vector: number,
    errorCode: number,
    hasErrorCode: boolean,
    type: number,
    instructionLength: number,
    qualificationLo: number,
    qualificationHi: number,
  ): boolean;
  /**
   * Triple fault (always exits, SDM 3C 26.2), INIT, SIPI. Called instead of shutting down.
   */
  tripleFault(): boolean;
  /**
   * An external interrupt is pending and unblocked ("external-interrupt exiting"). The cpu
   * has NOT acknowledged it; with "acknowledge interrupt on exit" the implementation calls
   * `controller.acknowledge()` itself.
   */
  externalInterrupt(controller: { hasInterrupt(): boolean; acknowledge(): number }): boolean;
  /** An NMI arrived ("NMI exiting"). */
  nmi(): boolean;
  /**
   * Consulted at every instruction boundary while {@link VmxInterception.windowsArmed} is
   * true: interrupt-window exiting (RFLAGS.IF=1, no STI/MOV-SS blocking) and NMI-window
   * exiting. `interruptible` / `nmiUnblocked` describe the boundary.
   */
  window(interruptible: boolean, nmiUnblocked: boolean): boolean;
  /** True while an interrupt- or NMI-window exit or the preemption timer is armed (read each boundary). */
  readonly windowsArmed: boolean;
  /**
   * Retired instructions since the last call, with the TSC delta (the VMX-preemption timer
   * counts down from TSC bits, SDM 3C 26.5.1). Called at instruction boundaries while
   * {@link windowsArmed} is true; return true after performing the preemption-timer exit.
   */
  timer(tscDelta: number): boolean;
  /**
   * An EPT violation or misconfiguration from a guest-physical access (the mmu's walk with
   * `PagingState.ept` set reported it). `qualification` is the mmu's `eptQualification`.
   */
  ept(misconfig: boolean, qualification: number, gpa: number, linearLo: number, linearHi: number): boolean;
  /** A task switch (CALL/JMP to a TSS or task gate, IRET with NT, a task-gate event): always exits. */
  taskSwitch(selector: number, source: number, instructionLength: number): boolean;

  // ---- optional members (an interception without them keeps the older behaviour noted) ----
  /**
   * VMFUNC in non-root operation, EAX the function and ECX its argument (SDM 3C 25.5.6 "VM
   * functions", 26.1.3; SDM 2 "VMFUNC"). The implementation performs the function (EPTP
   * switching: the new EPTP must be in effect when this returns) and returns
   * {@link VmfuncResult.Done}, or performs the VM exit (reason 59) and returns
   * {@link VmfuncResult.Exited}, or returns {@link VmfuncResult.Undefined} when "enable VM
   * functions" is 0 (#UD). After `Done` the cpu drops every cached translation and goes past
   * the instruction. Without this member VMFUNC goes to {@link vmxInstruction}.
   */
  vmfunc?(eax: number, ecx: number, instructionLength: number): VmfuncResult;
  /**
   * Whether an instruction that a secondary VM-execution control enables exists for the guest
   * (SDM 3C 26.3: RDTSCP and RDPID need "enable RDTSCP", INVPCID needs "enable INVPCID"); false
   * makes it raise #UD, with priority over every other fault of the instruction. Absent: enabled.
   */
  instructionEnabled?(kind: GatedInstruction): boolean;
  /**
   * PAUSE ("PAUSE exiting", and at CPL 0 "PAUSE-loop exiting" with PLE_Gap / PLE_Window, SDM 3C
   * 26.1.3). `tsc` is the cpu's time-stamp counter (one tick per retired instruction), which the
   * loop detection measures time with. Absent: the cpu asks {@link conditional} with
   * {@link ConditionalExit.Pause}.
   */
  pause?(cpl: number, tsc: number, instructionLength: number): boolean;
  /**
   * MOV from CR8 that did not exit ("CR8-store exiting" 0), with "use TPR shadow" (SDM 3C 29.3):
   * return bits 7:4 of VTPR (byte 80H of the virtual-APIC page), which the destination receives
   * in bits 3:0 (bits 63:4 cleared); return -1 when "use TPR shadow" is 0 and the cpu reads its
   * own CR8. Absent: the cpu reads its own CR8.
   */
  readTprShadow?(): number;
  /**
   * MOV to CR8 that did not exit ("CR8-load exiting" 0) and passed its reserved-bit check, with
   * "use TPR shadow" (SDM 3C 29.3): store `value` (0-15) into VTPR[7:4], clear the rest of VTPR,
   * then perform TPR virtualization (29.1.2). A TPR-below-threshold VM exit is trap-like: the
   * cpu calls this with RIP already past the MOV, so the exit saves the next instruction's RIP.
   * Returns {@link TprShadowWrite}. Absent: the cpu writes its own CR8.
   */
  writeTprShadow?(value: number): TprShadowWrite;
}

/** What {@link VmxInterception.writeTprShadow} did. */
export enum TprShadowWrite {
  /** "use TPR shadow" is 0: the cpu writes its own CR8. */
  NotShadowed = 0,
  /** VTPR was written; no VM exit. */
  Written = 1,
  /** VTPR was written and the TPR-below-threshold VM exit (reason 43) happened. */
  Exited = 2,
}

/** What {@link VmxInterception.vmfunc} did. */
export enum VmfuncResult {
  /** The function completed in the guest (EPTP switching loaded the new EPTP). */
  Done = 0,
  /** A VM exit happened (reason 59, VMFUNC). */
  Exited = 1,
  /** "enable VM functions" is 0: the cpu raises #UD. */
  Undefined = 2,
}

/** Instructions a secondary VM-execution control enables (SDM 3C 26.3), for {@link VmxInterception.instructionEnabled}. */
export enum GatedInstruction {
  /** RDTSCP ("enable RDTSCP"). */
  Rdtscp = 0,
  /** RDPID ("enable RDTSCP"). */
  Rdpid = 1,
  /** INVPCID ("enable INVPCID"). */
  Invpcid = 2,
}

/** Instructions that exit unconditionally besides CPUID and the VMX instructions (SDM 3C 26.1.2). */
export enum UnconditionalExit {
  Getsec = 0,
  Invd = 1,
  Xsetbv = 2,
}

/** Conditionally exiting instructions reported through {@link VmxInterception.conditional}. */
export enum ConditionalExit {
  Monitor = 0,
  Mwait = 1,
  Pause = 2,
  Wbinvd = 3,
  Rdrand = 4,
  Rdseed = 5,
  Lgdt = 6,
  Lidt = 7,
  Sgdt = 8,
  Sidt = 9,
  Lldt = 10,
  Ltr = 11,
  Sldt = 12,
  Str = 13,
  Xsaves = 14,
  Xrstors = 15,
}

/** How a control register is accessed (the exit-qualification "access type", SDM 3C Table 28-3). */
export enum CrAccess {
  MovToCr = 0,
  MovFromCr = 1,
  Clts = 2,
  Lmsw = 3,
}

/** The VMX instructions, for {@link VmxInterception.vmxInstruction} and {@link VmxInstructionHook}. */
export enum VmxOperation {
  Vmcall = 0,
  Vmclear = 1,
  Vmlaunch = 2,
  Vmptrld = 3,
  Vmptrst = 4,
  Vmread = 5,
  Vmresume = 6,
  Vmwrite = 7,
  Vmxoff = 8,
  Vmxon = 9,
  Invept = 10,
  Invvpid = 11,
  Vmfunc = 12,
}

/**
 * The operands of a VMX instruction as the cpu decoded them (one caller-owned object, reused).
 * Memory operands are given as linear address (segmentation already applied, canonical and
 * limit checks done); register operands as a GPR number and its current value.
 */
export interface VmxOperands {
  /** Instruction length in bytes (VM-exit instruction length). */
  readonly instructionLength: number;
  /** True when the r/m operand is a memory operand (then `linearLo/Hi` are valid). */
  readonly isMemory: boolean;
  /** Linear address of the memory operand. */
  readonly linearLo: number;
  readonly linearHi: number;
  /** GPR number (0 = RAX .. 15) of a register r/m operand, or -1. */
  readonly rmRegister: number;
  /** GPR number of the ModRM.reg operand (VMREAD source field, VMWRITE field, INVEPT type), or -1. */
  readonly regRegister: number;
  /** Operand size in bytes (4 outside 64-bit mode, 8 in it). */
  readonly operandSize: number;
  /** Address size in bytes. */
  readonly addressSize: number;
  /** Segment register of the memory operand (0 ES .. 5 GS). */
  readonly segment: number;
  /** GPR number of the memory operand's base register, or -1 (none, or RIP-relative). */
  readonly baseRegister: number;
  /** GPR number of the memory operand's index register, or -1. */
  readonly indexRegister: number;
  /** log2 of the memory operand's scale (0-3). */
  readonly scale: number;
  /**
   * The memory operand's displacement sign-extended to 64 bits (lo/hi); for RIP-relative operands
   * the displacement plus the RIP of the next instruction (SDM 3C 28.2.1); 0 for register operands.
   */
  readonly displacementLo: number;
  readonly displacementHi: number;
}

/**
 * Executes a VMX instruction for code running in VMX root operation (or outside VMX, where
 * the vmx package raises #UD itself). Install it as `cpu.hooks.vmxInstruction`; without it
 * every VMX instruction raises #UD. The implementation reads and writes the cpu through its
 * public API (registers, `readLinear`/`writeLinear`, flags) and returns:
 * - `VmxHookResult.Continue`: the instruction completed; the cpu advances RIP.
 * - `VmxHookResult.Fault`: the implementation called `cpu.raiseFault(vector, errorCode)`;
 *   RIP stays on the instruction.
 * - `VmxHookResult.Entered`: VMLAUNCH/VMRESUME succeeded and loaded guest state; the cpu
 *   continues from the loaded RIP (no further RIP advance).
 */
export type VmxInstructionHook = (op: VmxOperation, operands: VmxOperands) => VmxHookResult;

/** What a {@link VmxInstructionHook} did. */
export enum VmxHookResult {
  Continue = 0,
  Fault = 1,
  Entered = 2,
}
