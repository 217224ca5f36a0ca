// The VMX model's answer to the CPU's interception interface (`VmxInterception` of
// @typevisor/cpu, typed structurally here): for every instruction and event VMX non-root
// operation can intercept, decide from the current VMCS whether it exits (SDM 3C ch. 26)
// and, when it does, perform the VM exit (ch. 28) with the exit information the SDM
// records. No allocation on any path.
import { guestTsc as offsetTsc } from '../exit/exit-conditions.ts';
import {
  crAccessQualification,
  crWriteExits,
  cr3LoadExits,
  exceptionExits,
  ioExits,
  ioQualification,
  movDrQualification,
  msrExits,
  shadowedCr,
} from '../exit/exit-conditions.ts';
import * as R from '../exit/exit-reason.ts';
import { preemptionTimerAfter } from '../exit/event-exits.ts';
import {
  cltsExits,
  cr3StoreExits,
  cr8Exits,
  type ExitingInstruction,
  INSTRUCTION_RAISES_UD,
  INSTRUCTION_RUNS,
  instructionExit,
  lmswExits,
} from '../exit/instruction-exits.ts';
import { PauseLoopDetector } from '../exit/pause-loop.ts';
import { readCr8Shadow, usesTprShadow, writeCr8Shadow } from '../exit/tpr-shadow.ts';
import {
  conditionalInstructionInformation,
  type DecodedOperands,
  displacementQualification,
  invpcidInformation,
  vmxInstructionInformation,
} from '../exit/instruction-information.ts';
import type { Vmx } from '../instructions/vmx.ts';
import { VmxControls } from '../vmcs/control-view.ts';
import * as C from '../vmcs/controls.ts';
import { slotOf } from '../vmcs/field-encoding.ts';
import { VmcsField as F } from '../vmcs/fields.ts';

/**
 * How the exit handler moves state between the CPU and the VMX model around a VM exit:
 * `save` copies the CPU's registers into `vmx`'s processor state (before guest-state
 * saving), `restore` copies the processor state back onto the CPU (after host-state
 * loading) and tells the CPU it is in root operation again.
 */
export interface CpuStateSync {
  save(): void;
  restore(): void;
  /**
   * Instructions retired plus events delivered so far (any counter that moves when the guest
   * completes an instruction or an event delivery): the monitor trap flag exits once it moved
   * (SDM 3C 26.5.2). Without it, MTF exits at the second boundary it is asked about.
   */
  progress?(): number;
  /**
   * VMFUNC switched the EPTP (SDM 3C 25.5.6.3): point the CPU's EPT state at the VMCS's new
   * EPT pointer before the guest's next access.
   */
  eptpSwitched?(): void;
}

/** `VmfuncResult` of @typevisor/cpu: the function completed, a VM exit happened, #UD. */
const VMFUNC_DONE = 0;
const VMFUNC_EXITED = 1;
const VMFUNC_UNDEFINED = 2;
/** `TprShadowWrite` of @typevisor/cpu: CR8 written, VTPR written, VTPR written and exit 43 taken. */
const TPR_NOT_SHADOWED = 0;
const TPR_WRITTEN = 1;
const TPR_EXITED = 2;
/** `GatedInstruction` of @typevisor/cpu, mapped to our table. */
const GATED: readonly ExitingInstruction[] = ['RDTSCP', 'RDTSCP', 'INVPCID'];
const S_PLE_GAP = slotOf(F.PLE_GAP);
const S_PLE_WINDOW = slotOf(F.PLE_WINDOW);

// Instruction kinds as the CPU numbers them (UnconditionalExit, ConditionalExit, CrAccess,
// VmxOperation of @typevisor/cpu), mapped to our tables.
const UNCONDITIONAL_REASONS = [R.EXIT_REASON_GETSEC, R.EXIT_REASON_INVD, R.EXIT_REASON_XSETBV];
const CONDITIONAL: readonly ExitingInstruction[] = [
  'MONITOR',
  'MWAIT',
  'PAUSE',
  'WBINVD',
  'RDRAND',
  'RDSEED',
  'LGDT',
  'LIDT',
  'SGDT',
  'SIDT',
  'LLDT',
  'LTR',
  'SLDT',
  'STR',
  'XSAVES',
  'XRSTORS',
];
const VMX_OPERATION_REASONS = [
  R.EXIT_REASON_VMCALL,
  R.EXIT_REASON_VMCLEAR,
  R.EXIT_REASON_VMLAUNCH,
  R.EXIT_REASON_VMPTRLD,
  R.EXIT_REASON_VMPTRST,
  R.EXIT_REASON_VMREAD,
  R.EXIT_REASON_VMRESUME,
  R.EXIT_REASON_VMWRITE,
  R.EXIT_REASON_VMXOFF,
  R.EXIT_REASON_VMXON,
  R.EXIT_REASON_INVEPT,
  R.EXIT_REASON_INVVPID,
  R.EXIT_REASON_VMFUNC,
];
const CR_ACCESS_LMSW = 3;
const CR_ACCESS_CLTS = 2;

/** The operands the CPU decodes for a VMX instruction (structurally `VmxOperands`). */
export type VmxInstructionOperands = DecodedOperands;

/**
 * Implements the CPU's `VmxInterception` for one logical processor in VMX non-root
 * operation. Install it as `cpu.interception` after a successful VMLAUNCH/VMRESUME.
 *
 * @example
 * ```ts
 * import { FlatPhysicalMemory, NonRootExits, Vmx } from '@typevisor/vmx';
 * const vmx = new Vmx({ memory: new FlatPhysicalMemory(1 << 20) });
 * const exits = new NonRootExits(vmx, { save() {}, restore() {} });
 * // cpu.interception = exits;  — the CPU then asks it at every interceptable instruction
 * ```
 */
export class NonRootExits {
  readonly vmx: Vmx;
  private readonly sync: CpuStateSync;
  private readonly controls: VmxControls;
  private tsc = 0;
  private readonly qualification = new Uint32Array(2);
  /** MTF: armed for this entry; exit at the first boundary; progress seen at the first boundary (-1 = not yet). */
  private mtfArmed = false;
  private mtfImmediate = false;
  private mtfBaseline = -1;
  private boundaries = 0;
  /** The preemption timer was already counted down at this boundary by {@link window}. */
  private timerCounted = false;
  private readonly pauseLoop = new PauseLoopDetector();

  constructor(vmx: Vmx, sync: CpuStateSync) {
    this.vmx = vmx;
    this.sync = sync;
    this.controls = new VmxControls(vmx.current);
  }

  /** Performs a VM exit with the given basic reason, qualification and instruction length. */
  exitWith(reason: number, qualificationLo: number, qualificationHi: number, instructionLength: number): boolean {
    const e = this.vmx.exit.reset(reason, qualificationLo, qualificationHi);
    e.instructionLength = instructionLength;
    return this.finish();
  }

  private finish(): boolean {
    this.sync.save();
    this.vmx.performExit();
    this.sync.restore();
    return true;
  }

  cpuid(_eax: number, _ecx: number, instructionLength: number): boolean {
    return this.exitWith(R.EXIT_REASON_CPUID, 0, 0, instructionLength);
  }

  unconditional(kind: number, instructionLength: number): boolean {
    return this.exitWith(UNCONDITIONAL_REASONS[kind] ?? R.EXIT_REASON_INVD, 0, 0, instructionLength);
  }

  vmxInstruction(op: number, operands: VmxInstructionOperands): boolean {
    // SDM 3C 28.2.1: the qualification is the memory operand's displacement; 28.2.5: instruction information.
    displacementQualification(operands, this.qualification);
    const e = this.vmx.exit.reset(
      VMX_OPERATION_REASONS[op] ?? R.EXIT_REASON_VMCALL,
      this.qualification[0],
      this.qualification[1],
    );
    e.instructionLength = operands.instructionLength;
    e.instructionInformation = vmxInstructionInformation(op, operands);
    if (operands.isMemory) {
      e.guestLinearAddressLo = operands.linearLo >>> 0;
      e.guestLinearAddressHi = operands.linearHi >>> 0;
    }
    return this.finish();
  }

  hlt(instructionLength: number): boolean {
    return this.controls.hltExiting && this.exitWith(R.EXIT_REASON_HLT, 0, 0, instructionLength);
  }

  invlpg(linearLo: number, linearHi: number, instructionLength: number): boolean {
    // SDM 3C Table 28-1: the qualification of INVLPG is the linear-address operand.
    return this.controls.invlpgExiting && this.exitWith(R.EXIT_REASON_INVLPG, linearLo, linearHi, instructionLength);
  }

  invpcid(
    _type: number,
    _descLo: number,
    _descHi: number,
    instructionLength: number,
    operands?: VmxInstructionOperands,
  ): boolean {
    if (instructionExit(this.vmx.current, 'INVPCID') !== R.EXIT_REASON_INVPCID) return false;
    if (operands === undefined) return this.exitWith(R.EXIT_REASON_INVPCID, 0, 0, instructionLength);
    displacementQualification(operands, this.qualification);
    const e = this.vmx.exit.reset(R.EXIT_REASON_INVPCID, this.qualification[0], this.qualification[1]);
    e.instructionLength = instructionLength;
    e.instructionInformation = invpcidInformation(operands);
    return this.finish();
  }

  /**
   * VMFUNC (SDM 3C 25.5.6, SDM 2 "VMFUNC"): #UD without "enable VM functions"; EPTP switching
   * (function 0) completes in the guest when the function is enabled, ECX < 512 and the EPTP-list
   * entry passes the EPTP checks; every other case exits with reason 59. Returns the CPU's
   * `VmfuncResult` (0 done, 1 exited, 2 #UD).
   */
  vmfunc(eax: number, ecx: number, instructionLength: number): number {
    const o = this.vmx.vmfunc(eax, ecx);
    if (o.kind === 'done') {
      this.sync.eptpSwitched?.();
      return VMFUNC_DONE;
    }
    if (o.kind === 'exit') {
      this.exitWith(R.EXIT_REASON_VMFUNC, 0, 0, instructionLength);
      return VMFUNC_EXITED;
    }
    return VMFUNC_UNDEFINED;
  }

  /**
   * Whether RDTSCP / RDPID (`kind` 0 / 1, "enable RDTSCP") or INVPCID (2, "enable INVPCID")
   * exists for the guest (SDM 3C 26.3); false: #UD.
   */
  instructionEnabled(kind: number): boolean {
    const instruction = GATED[kind];
    return instruction === undefined || instructionExit(this.vmx.current, instruction) !== INSTRUCTION_RAISES_UD;
  }

  /**
   * PAUSE (SDM 3C 26.1.3): exits with "PAUSE exiting"; otherwise at CPL 0 with "PAUSE-loop
   * exiting" when the spin loop it belongs to has lasted longer than PLE_Window (`tsc` in TSC
   * ticks, see {@link PauseLoopDetector}).
   */
  pause(cpl: number, tsc: number, instructionLength: number): boolean {
    const c = this.controls;
    if (c.pauseExiting) return this.exitWith(R.EXIT_REASON_PAUSE, 0, 0, instructionLength);
    if (cpl !== 0 || !c.pauseLoopExiting) return false;
    const v = this.vmx.current;
    return (
      this.pauseLoop.pause(tsc, v.lo(S_PLE_GAP), v.lo(S_PLE_WINDOW)) &&
      this.exitWith(R.EXIT_REASON_PAUSE, 0, 0, instructionLength)
    );
  }

  rdpmc(instructionLength: number): boolean {
    return this.controls.rdpmcExiting && this.exitWith(R.EXIT_REASON_RDPMC, 0, 0, instructionLength);
  }

  rdtsc(rdtscp: boolean, instructionLength: number): boolean {
    return (
      this.controls.rdtscExiting &&
      this.exitWith(rdtscp ? R.EXIT_REASON_RDTSCP : R.EXIT_REASON_RDTSC, 0, 0, instructionLength)
    );
  }

  guestTsc(hostLo: number, hostHi: number, out: Uint32Array): void {
    offsetTsc(this.vmx.current, hostLo, hostHi, out);
  }

  rdmsr(index: number, instructionLength: number): boolean {
    return (
      msrExits(this.vmx.current, this.vmx.memory, index, false) &&
      this.exitWith(R.EXIT_REASON_RDMSR, 0, 0, instructionLength)
    );
  }

  wrmsr(index: number, _lo: number, _hi: number, instructionLength: number): boolean {
    return (
      msrExits(this.vmx.current, this.vmx.memory, index, true) &&
      this.exitWith(R.EXIT_REASON_WRMSR, 0, 0, instructionLength)
    );
  }

  movToCr(
    cr: number,
    access: number,
    valueLo: number,
    valueHi: number,
    gpr: number,
    instructionLength: number,
    linearLo = 0,
    linearHi = 0,
  ): boolean {
    const v = this.vmx.current;
    let exits: boolean;
    if (access === CR_ACCESS_CLTS) exits = cltsExits(v);
    else if (access === CR_ACCESS_LMSW) exits = lmswExits(v, valueLo);
    else if (cr === 0 || cr === 4) exits = crWriteExits(v, cr, valueLo);
    else if (cr === 3) exits = cr3LoadExits(v, valueLo, valueHi);
    else if (cr === 8) exits = cr8Exits(v, true);
    else exits = false;
    if (!exits) return false;
    const lmswMemory = access === CR_ACCESS_LMSW && gpr < 0;
    const qualification =
      access === CR_ACCESS_LMSW
        ? crAccessQualification(0, access, 0, lmswMemory, valueLo)
        : crAccessQualification(cr, access, Math.max(gpr, 0));
    const e = this.vmx.exit.reset(R.EXIT_REASON_CR_ACCESS, qualification, 0);
    e.instructionLength = instructionLength;
    // SDM 3C 28.2.4: LMSW with a memory operand reports the operand's linear address.
    if (lmswMemory) {
      e.guestLinearAddressLo = linearLo >>> 0;
      e.guestLinearAddressHi = linearHi >>> 0;
    }
    return this.finish();
  }

  movFromCr(cr: number, gpr: number, instructionLength: number): boolean {
    const v = this.vmx.current;
    const exits = cr === 3 ? cr3StoreExits(v) : cr === 8 ? cr8Exits(v, false) : false;
    return exits && this.exitWith(R.EXIT_REASON_CR_ACCESS, crAccessQualification(cr, 1, gpr), 0, instructionLength);
  }

  /** SDM 3C 29.3: MOV from CR8 that did not exit reads VTPR[7:4] with "use TPR shadow"; -1 without it. */
  readTprShadow(): number {
    const v = this.vmx.current;
    return usesTprShadow(v) ? readCr8Shadow(v, this.vmx.memory) : -1;
  }

  /**
   * SDM 3C 29.3: MOV to CR8 that did not exit writes VTPR with "use TPR shadow", then TPR
   * virtualization (29.1.2) exits with "TPR below threshold" (no qualification; trap-like, the
   * CPU has moved RIP past the MOV). Returns the CPU's `TprShadowWrite`.
   */
  writeTprShadow(value: number): number {
    const v = this.vmx.current;
    if (!usesTprShadow(v)) return TPR_NOT_SHADOWED;
    if (!writeCr8Shadow(v, this.vmx.memory, value)) return TPR_WRITTEN;
    this.exitWith(R.EXIT_REASON_TPR_BELOW_THRESHOLD, 0, 0, 0);
    return TPR_EXITED;
  }

  readShadowedCr(cr: 0 | 4, actual: number): number {
    return shadowedCr(this.vmx.current, cr, actual);
  }

  movDr(dr: number, toDr: boolean, gpr: number, instructionLength: number): boolean {
    return (
      this.controls.movDrExiting &&
      this.exitWith(R.EXIT_REASON_MOV_DR, movDrQualification(dr, !toDr, gpr), 0, instructionLength)
    );
  }

  io(
    port: number,
    size: 1 | 2 | 4,
    isIn: boolean,
    string: boolean,
    rep: boolean,
    immediate: boolean,
    instructionLength: number,
  ): boolean {
    if (!ioExits(this.vmx.current, this.vmx.memory, port, size)) return false;
    return this.exitWith(
      R.EXIT_REASON_IO_INSTRUCTION,
      ioQualification(size, isIn, string, rep, immediate, port),
      0,
      instructionLength,
    );
  }

  conditional(kind: number, instructionLength: number, operands?: VmxInstructionOperands): boolean {
    const instruction = CONDITIONAL[kind];
    if (instruction === undefined) return false;
    const reason = instructionExit(this.vmx.current, instruction);
    if (reason === INSTRUCTION_RUNS || reason < 0) return false;
    if (operands === undefined) return this.exitWith(reason, 0, 0, instructionLength);
    // SDM 3C 28.2.1: descriptor-table exits report the displacement; RDRAND/RDSEED have no qualification.
    displacementQualification(operands, this.qualification);
    const rdrand = reason === R.EXIT_REASON_RDRAND || reason === R.EXIT_REASON_RDSEED;
    const e = this.vmx.exit.reset(reason, rdrand ? 0 : this.qualification[0], rdrand ? 0 : this.qualification[1]);
    e.instructionLength = instructionLength;
    e.instructionInformation = conditionalInstructionInformation(kind, operands);
    return this.finish();
  }

  /**
   * The exception bitmap (SDM 3C 25.6.3, 26.2). `type` is the interruption type: 3 hardware
   * exception, 5 privileged software exception (INT1), 6 software exception (INT3, INTO);
   * `instructionLength` is recorded for types 5 and 6. `qualificationLo/Hi` is the exit
   * qualification (SDM 3C 28.2.1): the linear address of a #PF, the B0-B3/BD/BS bits of a #DB.
   */
  exception(
    vector: number,
    errorCode: number,
    hasErrorCode: boolean,
    type: number,
    instructionLength = 0,
    qualificationLo = 0,
    qualificationHi = 0,
  ): boolean {
    if (!exceptionExits(this.vmx.current, vector, errorCode)) return false;
    // SDM 3C 25.9.2: VM-exit interruption information.
    const e = this.vmx.exit.reset(R.EXIT_REASON_EXCEPTION_OR_NMI, qualificationLo, qualificationHi);
    e.interruptionInformation =
      (C.INTR_INFO_VALID | ((type & 7) << 8) | vector | (hasErrorCode ? C.INTR_INFO_DELIVER_ERROR_CODE : 0)) >>> 0;
    e.interruptionErrorCode = hasErrorCode ? errorCode >>> 0 : 0;
    if (type === C.INTR_TYPE_SOFTWARE_EXCEPTION || type === C.INTR_TYPE_PRIVILEGED_SOFTWARE_EXCEPTION) {
      e.instructionLength = instructionLength;
    }
    return this.finish();
  }

  tripleFault(): boolean {
    return this.exitWith(R.EXIT_REASON_TRIPLE_FAULT, 0, 0, 0);
  }

  externalInterrupt(controller: { hasInterrupt(): boolean; acknowledge(): number }): boolean {
    if (!this.controls.externalInterruptExiting) return false;
    const e = this.vmx.exit.reset(R.EXIT_REASON_EXTERNAL_INTERRUPT);
    // SDM 3C 28.2.2: with "acknowledge interrupt on exit" the vector is acknowledged and recorded.
    if (this.controls.acknowledgeInterruptOnExit) {
      e.interruptionInformation = (C.INTR_INFO_VALID | controller.acknowledge()) >>> 0;
    }
    return this.finish();
  }

  nmi(): boolean {
    if (!this.controls.nmiExiting) return false;
    const e = this.vmx.exit.reset(R.EXIT_REASON_EXCEPTION_OR_NMI);
    e.interruptionInformation = (C.INTR_INFO_VALID | (C.INTR_TYPE_NMI << 8) | 2) >>> 0;
    return this.finish();
  }

  /**
   * The VM exits due at an instruction boundary, in the priority of SDM 3A Table 6-2 and 3C
   * 26.5.2/26.7: monitor trap flag (37), VMX-preemption timer (52, counted down one tick here),
   * NMI window (8), interrupt window (7).
   */
  window(interruptible: boolean, nmiUnblocked: boolean): boolean {
    if (this.mtfArmed && this.mtfDue()) return this.exitWith(R.EXIT_REASON_MONITOR_TRAP_FLAG, 0, 0, 0);
    if (this.controls.preemptionTimer) {
      const expired = this.countDown(1);
      this.timerCounted = true;
      if (expired) return this.exitWith(R.EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0);
    }
    if (this.controls.nmiWindowExiting && nmiUnblocked) return this.exitWith(R.EXIT_REASON_NMI_WINDOW, 0, 0, 0);
    if (this.controls.interruptWindowExiting && interruptible)
      return this.exitWith(R.EXIT_REASON_INTERRUPT_WINDOW, 0, 0, 0);
    return false;
  }

  /**
   * Whether the CPU must ask {@link window} / {@link timer} at every boundary. Read by the
   * CPU at each instruction, so it is a field, recomputed by {@link refresh} at VM entry
   * (the controls cannot change while the guest runs: VMWRITE exits in non-root operation).
   */
  windowsArmed = false;

  /**
   * Re-reads the controls that decide {@link windowsArmed} and arms the monitor trap flag; call
   * after every VM entry, before the entry's event injection is delivered.
   */
  refresh(): void {
    const c = this.controls;
    const info = this.vmx.injectionInfo;
    const injecting = (info & C.INTR_INFO_VALID) !== 0;
    // SDM 3C 27.6.2: injecting type 7 ("other event", vector 0) makes an MTF VM exit pending,
    // even with the "monitor trap flag" control 0.
    const injectsMtf = injecting && ((info >>> 8) & 7) === C.INTR_TYPE_OTHER_EVENT;
    this.mtfArmed = c.monitorTrapFlag || injectsMtf;
    // SDM 3C 26.5.2: with MTF on and a vectored event injected, the exit is pending before the first instruction.
    this.mtfImmediate = injectsMtf || (c.monitorTrapFlag && injecting);
    this.mtfBaseline = -1;
    this.timerCounted = false;
    this.pauseLoop.reset();
    this.windowsArmed = c.interruptWindowExiting || c.nmiWindowExiting || c.preemptionTimer || this.mtfArmed;
  }

  /**
   * Whether the MTF VM exit is due at this boundary: at once after an injection, otherwise once
   * the guest completed an instruction or an event delivery since the first boundary after entry
   * (SDM 3C 26.5.2: after the first instruction, or after the delivery of a fault it raised or
   * of an event delivered before it).
   */
  private mtfDue(): boolean {
    if (this.mtfImmediate) return true;
    const now = this.sync.progress !== undefined ? this.sync.progress() : this.boundaries++;
    if (this.mtfBaseline < 0) {
      this.mtfBaseline = now;
      return false;
    }
    return now !== this.mtfBaseline;
  }

  private countDown(tscDelta: number): boolean {
    const before = this.tsc;
    this.tsc += tscDelta;
    const vmx = this.vmx;
    vmx.preemptionTimer = preemptionTimerAfter(
      vmx.preemptionTimer,
      vmx.capabilities.features.preemptionTimerRate,
      before,
      this.tsc,
    );
    return vmx.preemptionTimer === 0;
  }

  timer(tscDelta: number): boolean {
    if (!this.controls.preemptionTimer) return false;
    // The CPU asks window() then timer() at each boundary; window() already counted this tick.
    if (this.timerCounted) {
      this.timerCounted = false;
      return false;
    }
    return this.countDown(tscDelta) && this.exitWith(R.EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0);
  }

  /**
   * An INIT signal arrived: in VMX non-root operation it always exits (SDM 3C 26.2) and the
   * guest's activity state is saved as it was.
   */
  init(): boolean {
    return this.exitWith(R.EXIT_REASON_INIT, 0, 0, 0);
  }

  /**
   * A SIPI arrived: it exits only in the wait-for-SIPI activity state, with the SIPI vector
   * as the qualification (SDM 3C 26.2, Table 28-1). `activity` is the guest's activity state.
   */
  sipi(vector: number, activity: number): boolean {
    return activity === C.ACTIVITY_WAIT_FOR_SIPI && this.exitWith(R.EXIT_REASON_SIPI, vector & 0xff, 0, 0);
  }

  ept(misconfig: boolean, qualification: number, gpa: number, linearLo: number, linearHi: number): boolean {
    const e = this.vmx.exit.reset(
      misconfig ? R.EXIT_REASON_EPT_MISCONFIGURATION : R.EXIT_REASON_EPT_VIOLATION,
      misconfig ? 0 : qualification,
    );
    e.guestPhysicalAddressLo = gpa % 4294967296;
    e.guestPhysicalAddressHi = Math.floor(gpa / 4294967296);
    e.guestLinearAddressLo = linearLo >>> 0;
    e.guestLinearAddressHi = linearHi >>> 0;
    return this.finish();
  }

  taskSwitch(selector: number, source: number, instructionLength: number): boolean {
    // SDM 3C Table 28-2: selector in bits 15:0, source of the switch in bits 31:30.
    return this.exitWith(
      R.EXIT_REASON_TASK_SWITCH,
      ((selector & 0xffff) | ((source & 3) << 30)) >>> 0,
      0,
      instructionLength,
    );
  }
}
