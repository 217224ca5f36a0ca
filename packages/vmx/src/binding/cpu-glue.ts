// Attaching the VMX model to a @typevisor/cpu `Cpu` (typed structurally, no runtime import):
// VMX instructions in root operation go through the root hook; after a VM entry the CPU runs
// the guest with `NonRootExits` as its interception; each VM exit copies the guest's
// registers into the model and the host's back onto the CPU.
import { IA32_FEATURE_CONTROL, IA32_VMX_BASIC, IA32_VMX_VMFUNC } from '../capabilities/msr-index.ts';
import { EPT_VIOLATION_NMI_UNBLOCKING } from '../exit/exit-conditions.ts';
import * as R from '../exit/exit-reason.ts';
import type { Vmx } from '../instructions/vmx.ts';
import { configureEpt, createEptTarget, type EptTarget } from './ept-pointer.ts';
import type { VmxProcessorState } from '../processor/processor-state.ts';
import { NonRootExits } from './non-root-exits.ts';
import { VmxControls } from '../vmcs/control-view.ts';
import * as C from '../vmcs/controls.ts';
import { createRootInstructionHook, HOOK_ENTERED, type RootInstructionOperands } from './root-instruction-hook.ts';

/** The parts of @typevisor/cpu's `CpuState` the glue copies. */
export interface GlueCpuState {
  readonly gpr32: Uint32Array;
  ripLo: number;
  ripHi: number;
  getFlags(): number;
  setFlags(value: number): void;
  readonly segSelector: Uint16Array;
  readonly segBaseLo: Uint32Array;
  readonly segBaseHi: Uint32Array;
  readonly segLimit: Uint32Array;
  readonly segAttr: Uint32Array;
  cr0: number;
  cr3Lo: number;
  cr3Hi: number;
  cr4: number;
  efer: number;
  gdtrBaseLo: number;
  gdtrBaseHi: number;
  gdtrLimit: number;
  idtrBaseLo: number;
  idtrBaseHi: number;
  idtrLimit: number;
  readonly dr: Uint32Array;
  /** MSRs the CPU keeps by index (RDMSR reads them). */
  readonly msrs: Map<number, Uint32Array>;
}

/** The parts of @typevisor/cpu's `Cpu` the glue uses. */
export interface GlueCpu {
  readonly state: GlueCpuState;
  cpl: number;
  halted: boolean;
  /** Blocking by NMI (interruptibility-state bit 3). */
  nmiBlocking: boolean;
  /** The instruction in execution is an IRET that removed blocking by NMI. */
  readonly nmiUnblockedByIret: boolean;
  interception: unknown;
  /** The CPU's paging state; `ept` is set while a guest runs under EPT (structurally the mmu's `EptState`). */
  readonly paging: { ept: EptTarget | null };
  readonly hooks: {
    vmxInstruction?: unknown;
    msr?: {
      read(index: number, out: Uint32Array): boolean | undefined;
      write(index: number, lo: number, hi: number): boolean | undefined;
    };
  };
  readLinear(lo: number, hi: number, dest: Uint8Array): boolean;
  writeLinear(lo: number, hi: number, src: Uint8Array): boolean;
  readMsrValue(index: number, out: Uint32Array): boolean;
  writeMsrValue(index: number, lo: number, hi: number): boolean;
  raiseFault(vector: number, errorCode?: number): void;
  stateChanged(): void;
  /**
   * Delivers an event through the guest's IDT before its first instruction (SDM 3C 27.6);
   * true when the delivery ended in a VM exit.
   */
  injectEvent(vector: number, type: number, errorCode: number, instructionLength: number): boolean;
  /** Instructions retired and events delivered (they drive the monitor trap flag). */
  readonly retired: number;
  readonly eventsDelivered: number;
  /** The event in delivery through the IDT, as IDT-vectoring information (0 = none), its error code and instruction length. */
  readonly vectoringInfo: number;
  readonly vectoringErrorCode: number;
  readonly vectoringLength: number;
  /** Puts back the registers from before the event in delivery (a VM exit interrupted it). */
  cancelEventDelivery(): void;
  /** Debug traps (DR6 B0-B3, BS) held back by a MOV SS shadow, not yet delivered. */
  pendingDebugTraps: number;
  /** Blocking by STI (1) / MOV SS (2) in effect for the instruction at hand (interruptibility bits 0-1). */
  eventBlocking: number;
  /** Delivers a #DB trap with those DR6 bits now (exception bitmap applies); true = it ended in a VM exit. */
  deliverDebugTraps(bits: number): boolean;
}

/**
 * SDM 3C 27.6: after a VM entry loaded the guest state onto the CPU, delivers the event the
 * VM-entry interruption-information field describes (vector 7:0, type 10:8, "deliver error
 * code" 11, valid 31). Type 7 (other event: a pending MTF VM exit) is not delivered: the exit
 * handler raises it at the first boundary. Returns true when the delivery ended in a VM exit.
 */
export function injectEntryEvent(cpu: GlueCpu, vmx: Vmx): boolean {
  const info = vmx.injectionInfo;
  if ((info & 0x80000000) === 0) return false;
  const type = (info >>> 8) & 7;
  if (type === 7) return false;
  return cpu.injectEvent(info & 0xff, type, info & 0x800 ? vmx.injectionErrorCode : -1, vmx.injectionInstructionLength);
}

const VECTORING_VALID = 0x80000000;

/**
 * SDM 3C 28.3.4: a VM exit saves blocking by STI / MOV SS as the CPU has it for the instruction
 * the exit hit (or the boundary it happened at), and the debug traps the CPU still holds (a trap
 * of a MOV SS / POP SS, held back past the instruction in its shadow) as the guest's pending
 * debug exceptions: B0-B3 and BS, with bit 12 when a B0-B3 bit is set (the CPU reports matched
 * breakpoints only when an enabled one matched).
 */
function saveBlockingAndPendingDebug(cpu: GlueCpu, p: VmxProcessorState): void {
  p.interruptibility =
    ((p.interruptibility & ~(C.INTERRUPTIBILITY_STI | C.INTERRUPTIBILITY_MOV_SS)) | cpu.eventBlocking) >>> 0;
  const traps = cpu.pendingDebugTraps;
  cpu.pendingDebugTraps = 0;
  p.pendingDebug =
    traps === 0 ? 0 : (traps | (traps & C.PENDING_DEBUG_B0_B3 ? C.PENDING_DEBUG_ENABLED_BREAKPOINT : 0)) >>> 0;
}

/**
 * SDM 3C 26.6.1: after a VM entry that is not vectoring, blocking by STI (bit 0) or MOV SS (bit 1)
 * of the interruptibility state holds events back until the first guest instruction completed; a
 * vectoring entry leaves no such blocking. Injected type 7 (pending MTF) is not vectoring.
 * Returns the STI / MOV SS bits the VMCS held (pending debug exceptions still depend on them).
 */
export function loadEntryBlocking(cpu: GlueCpu, vmx: Vmx, p: VmxProcessorState): number {
  const info = vmx.injectionInfo;
  const vectoring = (info & VECTORING_VALID) !== 0 && ((info >>> 8) & 7) !== C.INTR_TYPE_OTHER_EVENT;
  const blocking = p.interruptibility & (C.INTERRUPTIBILITY_STI | C.INTERRUPTIBILITY_MOV_SS);
  cpu.eventBlocking = vectoring ? 0 : blocking;
  return blocking;
}

/**
 * SDM 3C 26.6.3 "Delivery of Pending Debug Exceptions after VM Entry": valid pending debug
 * exceptions (BS or bit 12 set) of a VM entry that is not vectoring, into the active or HLT state,
 * are delivered as a #DB before the first guest instruction (the exception bitmap applies; DR6
 * gets B0-B3/BS), or, under blocking by MOV SS, held until the first instruction completes. An
 * injected INT3 / INTO (vector 3 or 4, software interrupt or exception) under blocking by MOV SS
 * is followed by the #DB, as if the instruction ran in a MOV SS shadow with a trap held; other
 * vectoring entries and the shutdown / wait-for-SIPI states drop them. A pending MTF VM exit
 * (injected type 7) has priority: the bits stay pending and its exit saves them again.
 * `blocking` is the entry's STI / MOV SS bits ({@link loadEntryBlocking}). Returns true when the
 * delivery ended in a VM exit.
 */
export function deliverPendingDebug(
  cpu: GlueCpu,
  vmx: Vmx,
  p: VmxProcessorState,
  blocking = p.interruptibility,
): boolean {
  cpu.pendingDebugTraps = 0;
  const bits = p.pendingDebug;
  if ((bits & (C.PENDING_DEBUG_BS | C.PENDING_DEBUG_ENABLED_BREAKPOINT)) === 0) return false;
  const info = vmx.injectionInfo;
  const injecting = (info & VECTORING_VALID) !== 0;
  const type = (info >>> 8) & 7;
  const mtf = injecting && type === C.INTR_TYPE_OTHER_EVENT;
  const traps = bits & (C.PENDING_DEBUG_B0_B3 | C.PENDING_DEBUG_BS);
  const movSs = (blocking & C.INTERRUPTIBILITY_MOV_SS) !== 0;
  if (injecting && !mtf) {
    // The injected event was delivered (no exit): the held trap follows an INT3 / INTO.
    const vector = info & 0xff;
    const software = type === C.INTR_TYPE_SOFTWARE_INTERRUPT || type === C.INTR_TYPE_SOFTWARE_EXCEPTION;
    return movSs && software && (vector === 3 || vector === 4) && cpu.deliverDebugTraps(traps);
  }
  if (p.activity === C.ACTIVITY_SHUTDOWN || p.activity === C.ACTIVITY_WAIT_FOR_SIPI) return false;
  if (mtf) {
    cpu.pendingDebugTraps = traps;
    return false;
  }
  if (movSs) {
    // SDM 3C 26.6.3: held until the first guest instruction completes. The CPU takes its debug
    // path for that instruction whenever a trap is held, TF and DR7 enables or not.
    cpu.pendingDebugTraps = traps;
    return false;
  }
  return cpu.deliverDebugTraps(traps);
}

/**
 * SDM 3C 28.2.4: a VM exit that interrupts the delivery of an event through the IDT records
 * the event in the IDT-vectoring information and error-code fields (and, for software
 * interrupts and exceptions, the instruction length), and saves the guest state from before
 * the delivery began.
 */
function recordVectoring(cpu: GlueCpu, vmx: Vmx): void {
  const info = cpu.vectoringInfo;
  if ((info & VECTORING_VALID) === 0) {
    recordNmiUnblocking(cpu, vmx);
    return;
  }
  cpu.cancelEventDelivery();
  const e = vmx.exit;
  e.idtVectoringInformation = info >>> 0;
  e.idtVectoringErrorCode = info & 0x800 ? cpu.vectoringErrorCode >>> 0 : 0;
  const type = (info >>> 8) & 7;
  if (type >= 4 && type <= 6) e.instructionLength = cpu.vectoringLength;
}

/**
 * SDM 3C 28.2.3 "NMI unblocking due to IRET": a VM exit from a fault (other than #DF) or an
 * EPT violation of an IRET that removed (virtual-)NMI blocking sets bit 12 of the VM-exit
 * interruption information or of the EPT-violation qualification, so the VMM can re-block
 * before resuming (SDM 3C 33.x "Resuming Guest Software after Handling an Exception"). Only
 * without IDT-vectoring information (with it the bit is undefined; we leave it 0).
 */
function recordNmiUnblocking(cpu: GlueCpu, vmx: Vmx): void {
  if (!cpu.nmiUnblockedByIret) return;
  const e = vmx.exit;
  if (e.reason === R.EXIT_REASON_EXCEPTION_OR_NMI) {
    const info = e.interruptionInformation;
    const type = (info >>> 8) & 7;
    if (type !== C.INTR_TYPE_NMI && (info & 0xff) !== 8) {
      e.interruptionInformation = (info | C.INTR_INFO_NMI_UNBLOCKING) >>> 0;
    }
  } else if (e.reason === R.EXIT_REASON_EPT_VIOLATION) {
    e.qualificationLo = (e.qualificationLo | EPT_VIOLATION_NMI_UNBLOCKING) >>> 0;
  }
}

const RSP = 4;
const EFER_LMA = 1 << 10;
const CR0_PE = 1;
const RFLAGS_VM = 1 << 17;
const AR_L = 1 << 13;
const MSR_SYSENTER_CS = 0x174;
const MSR_SYSENTER_ESP = 0x175;
const MSR_SYSENTER_EIP = 0x176;

/** Copies the CPU's registers into a processor state (before a VM exit saves them). */
export function copyFromCpu(cpu: GlueCpu, p: VmxProcessorState, tmp: Uint32Array): void {
  const s = cpu.state;
  p.cr0 = s.cr0;
  p.cr3Lo = s.cr3Lo;
  p.cr3Hi = s.cr3Hi;
  p.cr4 = s.cr4;
  p.dr7 = s.dr[14]!;
  p.rspLo = s.gpr32[2 * RSP]!;
  p.rspHi = s.gpr32[2 * RSP + 1]!;
  p.ripLo = s.ripLo;
  p.ripHi = s.ripHi;
  p.rflags = s.getFlags();
  for (let i = 0; i < 8; i++) {
    const seg = p.segments[i]!;
    seg.selector = s.segSelector[i]!;
    seg.baseLo = s.segBaseLo[i]!;
    seg.baseHi = s.segBaseHi[i]!;
    seg.limit = s.segLimit[i]!;
    seg.accessRights = s.segAttr[i]!;
  }
  p.gdtrBaseLo = s.gdtrBaseLo;
  p.gdtrBaseHi = s.gdtrBaseHi;
  p.gdtrLimit = s.gdtrLimit;
  p.idtrBaseLo = s.idtrBaseLo;
  p.idtrBaseHi = s.idtrBaseHi;
  p.idtrLimit = s.idtrLimit;
  p.efer = s.efer;
  if (cpu.readMsrValue(MSR_SYSENTER_CS, tmp)) p.sysenterCs = tmp[0]!;
  if (cpu.readMsrValue(MSR_SYSENTER_ESP, tmp)) {
    p.sysenterEspLo = tmp[0]!;
    p.sysenterEspHi = tmp[1]!;
  }
  if (cpu.readMsrValue(MSR_SYSENTER_EIP, tmp)) {
    p.sysenterEipLo = tmp[0]!;
    p.sysenterEipHi = tmp[1]!;
  }
  p.activity = cpu.halted ? 1 : 0;
  p.interruptibility = cpu.nmiBlocking
    ? (p.interruptibility | C.INTERRUPTIBILITY_NMI) >>> 0
    : p.interruptibility & ~C.INTERRUPTIBILITY_NMI;
}

/** Copies a processor state onto the CPU (after a VM entry or a VM exit loaded it). */
export function copyToCpu(p: VmxProcessorState, cpu: GlueCpu): void {
  const s = cpu.state;
  s.cr0 = p.cr0;
  s.cr3Lo = p.cr3Lo;
  s.cr3Hi = p.cr3Hi;
  s.cr4 = p.cr4;
  s.dr[14] = p.dr7;
  s.gpr32[2 * RSP] = p.rspLo;
  s.gpr32[2 * RSP + 1] = p.rspHi;
  s.ripLo = p.ripLo;
  s.ripHi = p.ripHi;
  s.setFlags(p.rflags);
  for (let i = 0; i < 8; i++) {
    const seg = p.segments[i]!;
    s.segSelector[i] = seg.selector;
    s.segBaseLo[i] = seg.baseLo;
    s.segBaseHi[i] = seg.baseHi;
    s.segLimit[i] = seg.limit;
    s.segAttr[i] = seg.accessRights;
  }
  s.gdtrBaseLo = p.gdtrBaseLo;
  s.gdtrBaseHi = p.gdtrBaseHi;
  s.gdtrLimit = p.gdtrLimit;
  s.idtrBaseLo = p.idtrBaseLo;
  s.idtrBaseHi = p.idtrBaseHi;
  s.idtrLimit = p.idtrLimit;
  s.efer = p.efer;
  cpu.writeMsrValue(MSR_SYSENTER_CS, p.sysenterCs, 0);
  cpu.writeMsrValue(MSR_SYSENTER_ESP, p.sysenterEspLo, p.sysenterEspHi);
  cpu.writeMsrValue(MSR_SYSENTER_EIP, p.sysenterEipLo, p.sysenterEipHi);
  cpu.halted = p.activity === 1;
  // Blocking by NMI (virtual-NMI blocking with "virtual NMIs") as VM entry loaded it from the
  // interruptibility state (SDM 3C 27.3.2.5), or as the exit left it for the host.
  cpu.nmiBlocking = (p.interruptibility & C.INTERRUPTIBILITY_NMI) !== 0;
  cpu.stateChanged();
}

/** What {@link attachVmxToCpu} wires up. */
export interface VmxCpuAttachment {
  readonly state: VmxProcessorState;
  readonly exits: NonRootExits;
  /**
   * For a hypervisor written in TypeScript that called `vmx.vmlaunch`/`vmresume` itself:
   * copies the loaded guest state onto the CPU and installs the exit handler, so the next
   * `cpu.run` executes the guest. Returns false when the processor is not in non-root operation,
   * also when the delivery of the event the entry injected already caused a VM exit (then
   * `vmx.exit` describes that exit and the CPU holds the host state).
   */
  enterGuest(): boolean;
}

/**
 * Makes a CPU VMX-capable with `vmx` as its VMX hardware: installs the VMX-instruction hook
 * for root operation, switches `cpu.interception` to the non-root exit handler on every VM
 * entry and back to `null` on every VM exit. `vmx` must have been built with the returned
 * `state` as its processor port's state; pass `makeState` the state to use.
 *
 * @example
 * ```ts
 * // const state = new VmxProcessorState();
 * // const vmx = new Vmx({ memory, featureControl: FEATURE_CONTROL_VMX_READY, processor: { state, msrs } });
 * // attachVmxToCpu(cpu, vmx, state); cpu.run(...) now executes VMXON, VMLAUNCH, ... and guest code.
 * ```
 */
export function attachVmxToCpu(cpu: GlueCpu, vmx: Vmx, state: VmxProcessorState): VmxCpuAttachment {
  const tmp = new Uint32Array(2);
  // The VMX capability MSRs (read-only: WRMSR raises #GP, SDM 3D App. A) and
  // IA32_FEATURE_CONTROL (writable until its lock bit is set, SDM 3C 24.7) belong to the model.
  cpu.hooks.msr = {
    read: (index, out) => {
      if (index !== IA32_FEATURE_CONTROL && (index < IA32_VMX_BASIC || index > IA32_VMX_VMFUNC)) return undefined;
      const v = vmx.readMsr(index);
      if (v === undefined) return false; // a capability MSR this feature set does not report
      out[0] = v.lo;
      out[1] = v.hi;
      return true;
    },
    write: (index, lo, hi) => {
      if (index !== IA32_FEATURE_CONTROL && (index < IA32_VMX_BASIC || index > IA32_VMX_VMFUNC)) return undefined;
      return vmx.writeMsr(index, lo, hi);
    },
  };
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  const ept = createEptTarget();
  // SDM 3C 29.3: under "enable EPT" every guest-physical address the CPU forms goes through
  // the EPT paging structures; in root operation none does.
  let entryBlocking = 0;
  const enter = (): void => {
    cpu.paging.ept = configureEpt(vmx, ept) ? ept : null;
    copyToCpu(state, cpu);
    exits.refresh();
    cpu.interception = exits;
    entryBlocking = loadEntryBlocking(cpu, vmx, state);
  };
  // After VM entry: the injected event, else pending debug exceptions; true = that ended in a VM exit.
  const afterEntry = (): boolean => injectEntryEvent(cpu, vmx) || deliverPendingDebug(cpu, vmx, state, entryBlocking);
  const controls = new VmxControls(vmx.current);
  const exits = new NonRootExits(vmx, {
    save: () => {
      recordVectoring(cpu, vmx);
      copyFromCpu(cpu, state, tmp);
      saveBlockingAndPendingDebug(cpu, state);
    },
    // SDM 3C 25.5.6.3: EPTP switching takes effect for the next guest-physical access.
    eptpSwitched: () => {
      if (cpu.paging.ept !== null) configureEpt(vmx, cpu.paging.ept);
    },
    progress: () => cpu.retired + cpu.eventsDelivered,
    restore: () => {
      cpu.paging.ept = null;
      copyToCpu(state, cpu);
      // SDM 3C 28.5: the host starts with no blocking by STI or MOV SS (a boundary exit may have found some).
      cpu.eventBlocking = 0;
      // With "virtual NMIs" the guest's blocking bit was virtual-NMI blocking; the host's
      // physical NMI blocking was not touched by the guest (NMIs exit, SDM 3C 26.3).
      if (controls.virtualNmis) cpu.nmiBlocking = false;
      cpu.interception = null;
    },
  });
  const hook = createRootInstructionHook(vmx, {
    get context() {
      const s = cpu.state;
      return {
        cr0: s.cr0,
        cr4: s.cr4,
        cpl: cpu.cpl,
        v8086: (s.cr0 & CR0_PE) !== 0 && (s.getFlags() & RFLAGS_VM) !== 0,
        ia32e: (s.efer & EFER_LMA) !== 0,
        csL: (s.segAttr[1]! & AR_L) !== 0,
        blockedByMovSs: false,
      };
    },
    readGpr: (n, out) => {
      out[0] = cpu.state.gpr32[2 * n]!;
      out[1] = cpu.state.gpr32[2 * n + 1]!;
    },
    writeGpr: (n, lo, hi) => {
      cpu.state.gpr32[2 * n] = lo;
      cpu.state.gpr32[2 * n + 1] = hi;
    },
    readLinear: (lo, hi, size, out) => {
      const dest = bytes.subarray(0, size);
      if (!cpu.readLinear(lo, hi, dest)) return false;
      out[0] = view.getUint32(0, true);
      out[1] = size === 8 ? view.getUint32(4, true) : 0;
      return true;
    },
    writeLinear: (lo, hi, size, valueLo, valueHi) => {
      view.setUint32(0, valueLo >>> 0, true);
      view.setUint32(4, valueHi >>> 0, true);
      return cpu.writeLinear(lo, hi, bytes.subarray(0, size));
    },
    getRflags: () => cpu.state.getFlags(),
    setRflags: (v) => cpu.state.setFlags(v),
    raiseFault: (vector, errorCode) => cpu.raiseFault(vector, errorCode),
  });
  cpu.hooks.vmxInstruction = (op: number, operands: RootInstructionOperands): number => {
    if (op === 2 || op === 6) copyFromCpu(cpu, state, tmp); // VMLAUNCH/VMRESUME: the host state of record
    const result = hook(op, operands);
    if (result === HOOK_ENTERED) {
      if (vmx.nonRoot) {
        enter();
        afterEntry();
      } else {
        // A VM-entry failure exit (reason 33/34) loaded the host state.
        cpu.paging.ept = null;
        copyToCpu(state, cpu);
        cpu.interception = null;
      }
    }
    return result;
  };
  return {
    state,
    exits,
    enterGuest: () => {
      if (!vmx.nonRoot) return false;
      enter();
      // An exit during the injected event's delivery (SDM 3C 27.6.1: e.g. an EPT violation on the
      // guest stack) has already loaded the host state: report it here, vmx.exit describes it.
      return !afterEntry();
    },
  };
}
