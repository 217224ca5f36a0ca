import { VmxCapabilities, type MsrValue } from '../capabilities/capabilities.ts';
import { DEFAULT_VMX_FEATURES as DEFAULT_FEATURES, type VmxFeatures } from '../capabilities/features.ts';
import {
  FEATURE_CONTROL_LOCK,
  FEATURE_CONTROL_VMX_INSIDE_SMX,
  FEATURE_CONTROL_VMX_OUTSIDE_SMX,
  IA32_FEATURE_CONTROL,
} from '../capabilities/msr-index.ts';
import { canonical, eptPointerValid } from '../entry/address-checks.ts';
import { type EntryCheckFailure, runEntryChecks } from '../entry/entry-checks.ts';
import {
  EXIT_REASON_ENTRY_FAILURE_BIT,
  EXIT_REASON_INVEPT,
  EXIT_REASON_INVVPID,
  EXIT_REASON_VMCALL,
  EXIT_REASON_VMCLEAR,
  EXIT_REASON_VMFUNC,
  EXIT_REASON_VMLAUNCH,
  EXIT_REASON_VMPTRLD,
  EXIT_REASON_VMPTRST,
  EXIT_REASON_VMREAD,
  EXIT_REASON_VMRESUME,
  EXIT_REASON_VMWRITE,
  EXIT_REASON_VMXOFF,
  EXIT_REASON_VMXON,
} from '../exit/exit-reason.ts';
import {
  loadMsrs,
  recordExitInformation,
  storeMsrs,
  VMX_ABORT_LOADING_HOST_MSRS,
  VMX_ABORT_SAVING_GUEST_MSRS,
  VmExit,
} from '../exit/vm-exit.ts';
import type { PhysicalMemory } from '../memory/physical-memory.ts';
import type { VmxProcessorPort } from '../processor/processor-state.ts';
import { loadGuestState, loadHostState, saveGuestState } from '../processor/state-transfer.ts';
import { INTR_INFO_VALID, PROC_ACTIVATE_SECONDARY_CONTROLS, PROC2_ENABLE_VM_FUNCTIONS } from '../vmcs/controls.ts';
import { isHighAccess, slotOf, supportedSlots, VMCS_FIELDS } from '../vmcs/field-encoding.ts';
import { VmcsField } from '../vmcs/fields.ts';
import { LAUNCH_STATE_CLEAR, VMCS_LAUNCH_STATE_OFFSET, VMCS_SHADOW_INDICATOR } from '../vmcs/vmcs-layout.ts';
import { VmcsAccess, VmcsCache } from '../vmcs/vmcs.ts';
import type { VmxInstructionContext } from './context.ts';
import {
  exitRequest,
  FAULT_GP0,
  FAULT_UD,
  VM_DONE,
  VM_ENTERED,
  VM_FAIL_INVALID,
  VM_SUCCEED,
  type VmEntryFailed,
  VmInstructionError,
  type VmxOutcome,
  vmFailValid,
} from './outcome.ts';

const CR0_PE = 1 << 0;
const CR4_VMXE = 1 << 13;
const SLOT_INSTRUCTION_ERROR = slotOf(VmcsField.VM_INSTRUCTION_ERROR);
const SLOT_EXIT_REASON = slotOf(VmcsField.EXIT_REASON);
const SLOT_EXIT_QUALIFICATION = slotOf(VmcsField.EXIT_QUALIFICATION);
const SLOT_ENTRY_MSR_LOAD_ADDRESS = slotOf(VmcsField.VM_ENTRY_MSR_LOAD_ADDRESS);
const SLOT_ENTRY_MSR_LOAD_COUNT = slotOf(VmcsField.VM_ENTRY_MSR_LOAD_COUNT);
const SLOT_EXIT_MSR_STORE_ADDRESS = slotOf(VmcsField.VM_EXIT_MSR_STORE_ADDRESS);
const SLOT_EXIT_MSR_STORE_COUNT = slotOf(VmcsField.VM_EXIT_MSR_STORE_COUNT);
const SLOT_EXIT_MSR_LOAD_ADDRESS = slotOf(VmcsField.VM_EXIT_MSR_LOAD_ADDRESS);
const SLOT_EXIT_MSR_LOAD_COUNT = slotOf(VmcsField.VM_EXIT_MSR_LOAD_COUNT);
const SLOT_ENTRY_INTR_INFO = slotOf(VmcsField.VM_ENTRY_INTERRUPTION_INFORMATION);
const SLOT_ENTRY_ERROR_CODE = slotOf(VmcsField.VM_ENTRY_EXCEPTION_ERROR_CODE);
const SLOT_ENTRY_INSTRUCTION_LENGTH = slotOf(VmcsField.VM_ENTRY_INSTRUCTION_LENGTH);
const SLOT_PREEMPTION_TIMER = slotOf(VmcsField.VMX_PREEMPTION_TIMER_VALUE);
const SLOT_PROC = slotOf(VmcsField.PRIMARY_PROCESSOR_BASED_CONTROLS);
const SLOT_PROC2 = slotOf(VmcsField.SECONDARY_PROCESSOR_BASED_CONTROLS);
const SLOT_VMFUNC_CONTROLS = slotOf(VmcsField.VM_FUNCTION_CONTROLS);
const SLOT_EPTP_LIST = slotOf(VmcsField.EPTP_LIST_ADDRESS);
const SLOT_EPT_POINTER = slotOf(VmcsField.EPT_POINTER);
const SLOT_EPTP_INDEX = slotOf(VmcsField.EPTP_INDEX);

/** INVEPT types, SDM 3C 31.3 INVEPT. */
export const INVEPT_SINGLE_CONTEXT = 1;
export const INVEPT_ALL_CONTEXT = 2;
/** INVVPID types, SDM 3C 31.3 INVVPID. */
export const INVVPID_INDIVIDUAL_ADDRESS = 0;
export const INVVPID_SINGLE_CONTEXT = 1;
export const INVVPID_ALL_CONTEXT = 2;
export const INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS = 3;

/**
 * Where INVEPT and INVVPID send their invalidations: the MMU's TLB and paging-structure
 * caches. Optional; without it the model keeps no such caches to invalidate.
 */
export interface VmxTlbPort {
  /** INVEPT: `type` 1 (single context, `eptpLo/Hi` given) or 2 (all contexts). */
  invalidateEpt(type: number, eptpLo: number, eptpHi: number): void;
  /** INVVPID: `type` 0..3; `vpid` and the linear address as given in the descriptor. */
  invalidateVpid(type: number, vpid: number, addressLo: number, addressHi: number): void;
}

/** Options of a {@link Vmx} logical processor. */
export interface VmxOptions {
  /** Guest-physical memory holding the VMXON and VMCS regions and the VMCS-referenced structures. */
  readonly memory: PhysicalMemory;
  /** The processor's VT-x features; default {@link DEFAULT_VMX_FEATURES}. */
  readonly features?: VmxFeatures;
  /** Initial IA32_FEATURE_CONTROL (low 32 bits); default 0 (unlocked, VMX disabled) as after reset. */
  readonly featureControl?: number;
  readonly tlb?: VmxTlbPort;
  /**
   * The processor VM entries load and VM exits save (registers and MSRs). Without it the
   * model runs the VMCS side only: checks, launch state, exit information.
   */
  readonly processor?: VmxProcessorPort;
}

/** What {@link Vmx.performExit} did: the exit completed, or a VMX abort shut the processor down. */
export type VmExitOutcome =
  | { readonly kind: 'exited'; readonly exit: VmExit }
  | { readonly kind: 'abort'; readonly indicator: number };

/**
 * The VMX state of one logical processor and its VMX instructions (SDM 3C chapter 31),
 * with their exact outcomes: VMsucceed, VMfailInvalid, VMfailValid(error), #UD/#GP(0) in the
 * SDM's order, or a VM-exit request in VMX non-root operation. Usable directly by a
 * hypervisor written in TypeScript, and by the CPU when guest code in VMX root operation
 * executes these instructions.
 *
 * Memory operands arrive already read (pointers as lo/hi halves); register operands as
 * values. The caller applies the outcome to RFLAGS ({@link applyOutcomeToRflags}).
 *
 * @example
 * ```ts
 * import { FlatPhysicalMemory, FEATURE_CONTROL_VMX_READY, Vmx } from '@typevisor/vmx';
 * const memory = new FlatPhysicalMemory(1 << 20);
 * const vmx = new Vmx({ memory, featureControl: FEATURE_CONTROL_VMX_READY });
 * memory.write32(0x1000, vmx.capabilities.basic.lo); // revision identifier
 * const ctx = { cr0: 0x80000031, cr4: 0x2020, cpl: 0, v8086: false, ia32e: true, csL: true, blockedByMovSs: false };
 * vmx.vmxon(ctx, 0x1000, 0).kind; // 'succeed'
 * ```
 */
export class Vmx {
  readonly capabilities: VmxCapabilities;
  readonly memory: PhysicalMemory;
  /** The current VMCS's working copy; `current.address` is -1 when the current-VMCS pointer is invalid. */
  readonly current = new VmcsCache();
  /** Field access by encoding on the current VMCS, without instruction semantics. */
  readonly vmcs: VmcsAccess;
  /** Per-slot: 1 when this processor supports the field. */
  readonly supported: Uint8Array;
  /** IA32_FEATURE_CONTROL, low 32 bits. */
  featureControl: number;
  /** In VMX operation (after VMXON, before VMXOFF). */
  inVmxOperation = false;
  /** In VMX non-root operation (a guest is running). */
  nonRoot = false;
  /** Physical address of the VMXON region, or -1. */
  vmxonPointer = -1;
  /** Value read by the last successful VMREAD, as halves. */
  readLo = 0;
  readHi = 0;
  /** Pointer stored by the last VMPTRST, as halves (all ones when invalid). */
  pointerLo = 0xffffffff;
  pointerHi = 0xffffffff;
  /** The check that made the last VM entry fail, or `undefined` after a successful one. */
  lastEntryFailure: EntryCheckFailure | undefined;
  /** The last VM exit (rewritten by every exit). Fill it with {@link VmExit.reset} and call {@link Vmx.performExit}. */
  readonly exit = new VmExit();
  /**
   * The event VM entry injects (SDM 3C 27.6): interruption information with bit 31 set, or 0.
   * The CPU delivers it through the guest IDT before the guest's first instruction.
   */
  injectionInfo = 0;
  injectionErrorCode = 0;
  injectionInstructionLength = 0;
  /** VMX-preemption timer value loaded at entry; the CPU counts it down (SDM 3C 26.5.1). */
  preemptionTimer = 0;
  private readonly tlb: VmxTlbPort | undefined;
  private readonly processor: VmxProcessorPort | undefined;
  private readonly exitedOutcome: VmExitOutcome;
  private readonly featureControlValue = { lo: 0, hi: 0 };

  constructor(options: VmxOptions) {
    this.capabilities = new VmxCapabilities(options.features ?? DEFAULT_FEATURES);
    this.memory = options.memory;
    this.featureControl = (options.featureControl ?? 0) >>> 0;
    this.tlb = options.tlb;
    this.processor = options.processor;
    this.exitedOutcome = Object.freeze({ kind: 'exited', exit: this.exit });
    this.vmcs = new VmcsAccess(this.current);
    this.supported = supportedSlots(this.capabilities.features);
  }

  /** RDMSR of a VMX MSR: the value, or `undefined` when RDMSR must #GP (not a VMX MSR of this processor). */
  readMsr(index: number): MsrValue | undefined {
    if (index === IA32_FEATURE_CONTROL) {
      this.featureControlValue.lo = this.featureControl;
      return this.featureControlValue;
    }
    return this.capabilities.readMsr(index);
  }

  /** WRMSR of a VMX MSR; `false` means #GP(0): a capability MSR, or IA32_FEATURE_CONTROL once locked. SDM 3C 24.7. */
  writeMsr(index: number, lo: number, hi: number): boolean {
    if (index !== IA32_FEATURE_CONTROL) return false;
    if (this.featureControl & FEATURE_CONTROL_LOCK) return false;
    const known = FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_INSIDE_SMX | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
    if (hi !== 0 || (lo & ~known) !== 0) return false;
    this.featureControl = lo >>> 0;
    return true;
  }

  private pointerValid(lo: number, hi: number): boolean {
    // SDM 3C 31.3: 4-KByte aligned and no bits set beyond the physical-address width.
    return (lo & 0xfff) === 0 && (hi & this.capabilities.physicalHighMask) === 0;
  }

  private fail(error: number): VmxOutcome {
    // SDM 3C 31.2 VMfail: VMfailInvalid without a current VMCS, else VMfailValid(error).
    if (this.current.address < 0) return VM_FAIL_INVALID;
    this.current.set(SLOT_INSTRUCTION_ERROR, error, 0);
    return vmFailValid(error);
  }

  /**
   * The common checks that open every VMX instruction other than VMXON and VMCALL, in the
   * SDM's order: #UD outside VMX operation / real mode / v8086 / compatibility mode, VM exit
   * in non-root operation, #GP(0) at CPL > 0. Returns `undefined` when execution continues.
   * A CPU calls it before reading an instruction's memory operand, so that these faults
   * take priority over the operand's own (#PF, #GP for limits).
   */
  checkCommon(ctx: VmxInstructionContext, exitReason: number): VmxOutcome | undefined {
    return this.common(ctx, exitReason);
  }

  private common(ctx: VmxInstructionContext, exitReason: number): VmxOutcome | undefined {
    if (!this.inVmxOperation || (ctx.cr0 & CR0_PE) === 0 || ctx.v8086 || (ctx.ia32e && !ctx.csL)) return FAULT_UD;
    if (this.nonRoot) return exitRequest(exitReason);
    if (ctx.cpl > 0) return FAULT_GP0;
    return undefined;
  }

  /** VMXON with the 64-bit VMXON-region pointer read from its memory operand. SDM 3C 31.3 VMXON. */
  vmxon(ctx: VmxInstructionContext, pointerLo: number, pointerHi: number): VmxOutcome {
    if ((ctx.cr0 & CR0_PE) === 0 || (ctx.cr4 & CR4_VMXE) === 0 || ctx.v8086 || (ctx.ia32e && !ctx.csL)) {
      return FAULT_UD;
    }
    if (!this.inVmxOperation) {
      const caps = this.capabilities;
      const cr0 = ctx.cr0 >>> 0;
      const cr4 = ctx.cr4 >>> 0;
      if (
        ctx.cpl > 0 ||
        (cr0 & caps.cr0Fixed0.lo) >>> 0 !== caps.cr0Fixed0.lo ||
        (cr0 & ~caps.cr0Fixed1.lo) !== 0 ||
        (cr4 & caps.cr4Fixed0.lo) >>> 0 !== caps.cr4Fixed0.lo ||
        (cr4 & ~caps.cr4Fixed1.lo) !== 0 ||
        (this.featureControl & FEATURE_CONTROL_LOCK) === 0 ||
        (this.featureControl & FEATURE_CONTROL_VMX_OUTSIDE_SMX) === 0
      ) {
        return FAULT_GP0;
      }
      if (!this.pointerValid(pointerLo, pointerHi)) return VM_FAIL_INVALID;
      const rev = this.memory.read32(pointerLo >>> 0);
      // SDM 3C 31.3 VMXON: revision bits 30:0 must match and bit 31 must be 0.
      if ((rev & 0x7fffffff) !== caps.basic.lo || (rev & VMCS_SHADOW_INDICATOR) !== 0) return VM_FAIL_INVALID;
      this.vmxonPointer = pointerLo >>> 0;
      this.current.address = -1;
      this.inVmxOperation = true;
      return VM_SUCCEED;
    }
    if (this.nonRoot) return exitRequest(EXIT_REASON_VMXON);
    if (ctx.cpl > 0) return FAULT_GP0;
    return this.fail(VmInstructionError.VMXON_IN_VMX_ROOT);
  }

  /** VMXOFF. SDM 3C 31.3 VMXOFF. */
  vmxoff(ctx: VmxInstructionContext): VmxOutcome {
    const c = this.common(ctx, EXIT_REASON_VMXOFF);
    if (c) return c;
    // The dual-monitor treatment of SMIs is not modelled, so error 23 cannot arise.
    this.current.flush(this.memory);
    this.current.address = -1;
    this.vmxonPointer = -1;
    this.inVmxOperation = false;
    return VM_SUCCEED;
  }

  /** VMCLEAR with the VMCS pointer read from its memory operand. SDM 3C 31.3 VMCLEAR. */
  vmclear(ctx: VmxInstructionContext, pointerLo: number, pointerHi: number): VmxOutcome {
    const c = this.common(ctx, EXIT_REASON_VMCLEAR);
    if (c) return c;
    if (!this.pointerValid(pointerLo, pointerHi)) return this.fail(VmInstructionError.VMCLEAR_INVALID_ADDRESS);
    const address = pointerLo >>> 0;
    if (address === this.vmxonPointer) return this.fail(VmInstructionError.VMCLEAR_VMXON_POINTER);
    if (address === this.current.address) {
      this.current.launched = false;
      this.current.flush(this.memory);
      this.current.address = -1;
    } else {
      // Not cached: its data is already in memory; only its launch state changes.
      this.memory.write32(address + VMCS_LAUNCH_STATE_OFFSET, LAUNCH_STATE_CLEAR);
    }
    return VM_SUCCEED;
  }

  /** VMPTRLD with the VMCS pointer read from its memory operand. SDM 3C 31.3 VMPTRLD. */
  vmptrld(ctx: VmxInstructionContext, pointerLo: number, pointerHi: number): VmxOutcome {
    const c = this.common(ctx, EXIT_REASON_VMPTRLD);
    if (c) return c;
    if (!this.pointerValid(pointerLo, pointerHi)) return this.fail(VmInstructionError.VMPTRLD_INVALID_ADDRESS);
    const address = pointerLo >>> 0;
    if (address === this.vmxonPointer) return this.fail(VmInstructionError.VMPTRLD_VMXON_POINTER);
    const rev = this.memory.read32(address);
    // Bit 31 (shadow VMCS) needs VMCS shadowing, which this model does not offer.
    if ((rev & 0x7fffffff) !== this.capabilities.basic.lo || (rev & VMCS_SHADOW_INDICATOR) !== 0) {
      return this.fail(VmInstructionError.VMPTRLD_INCORRECT_REVISION);
    }
    if (address !== this.current.address) {
      this.current.flush(this.memory);
      this.current.load(this.memory, address);
    }
    return VM_SUCCEED;
  }

  /** VMPTRST: on VMsucceed the pointer to store is in `pointerLo`/`pointerHi`. SDM 3C 31.3 VMPTRST. */
  vmptrst(ctx: VmxInstructionContext): VmxOutcome {
    const c = this.common(ctx, EXIT_REASON_VMPTRST);
    if (c) return c;
    const a = this.current.address;
    this.pointerLo = a < 0 ? 0xffffffff : a >>> 0;
    this.pointerHi = a < 0 ? 0xffffffff : Math.floor(a / 4294967296);
    return VM_SUCCEED;
  }

  private fieldSlot(encodingLo: number, encodingHi: number): number {
    if (encodingHi !== 0) return -1;
    const s = slotOf(encodingLo);
    return s >= 0 && this.supported[s] === 1 ? s : -1;
  }

  /**
   * VMREAD of the field whose encoding is in the source register (`encodingHi` is its upper
   * half in 64-bit mode, else 0). On VMsucceed the value is in `readLo`/`readHi`; outside
   * 64-bit mode the CPU stores only `readLo`. SDM 3C 31.3 VMREAD.
   */
  vmread(ctx: VmxInstructionContext, encodingLo: number, encodingHi: number): VmxOutcome {
    const c = this.common(ctx, EXIT_REASON_VMREAD);
    if (c) return c;
    if (this.current.address < 0) return VM_FAIL_INVALID;
    const s = this.fieldSlot(encodingLo, encodingHi);
    if (s < 0) return this.fail(VmInstructionError.UNSUPPORTED_VMCS_COMPONENT);
    if (isHighAccess(encodingLo)) {
      this.readLo = this.current.hi(s);
      this.readHi = 0;
    } else {
      this.readLo = this.current.lo(s);
      this.readHi = this.current.hi(s);
    }
    return VM_SUCCEED;
  }

  /**
   * VMWRITE of `valueLo`/`valueHi` (outside 64-bit mode the CPU passes `valueHi` 0) to the
   * field whose encoding is given. SDM 3C 31.3 VMWRITE.
   */
  vmwrite(
    ctx: VmxInstructionContext,
    encodingLo: number,
    encodingHi: number,
    valueLo: number,
    valueHi: number,
  ): VmxOutcome {
    const c = this.common(ctx, EXIT_REASON_VMWRITE);
    if (c) return c;
    if (this.current.address < 0) return VM_FAIL_INVALID;
    const s = this.fieldSlot(encodingLo, encodingHi);
    if (s < 0) return this.fail(VmInstructionError.UNSUPPORTED_VMCS_COMPONENT);
    if (VMCS_FIELDS[s]!.readOnly && !this.capabilities.features.vmwriteExitInformation) {
      return this.fail(VmInstructionError.VMWRITE_READ_ONLY_COMPONENT);
    }
    if (isHighAccess(encodingLo)) this.current.set(s, this.current.lo(s), valueLo);
    else this.current.set(s, valueLo, valueHi);
    return VM_SUCCEED;
  }

  /** VMLAUNCH. SDM 3C 31.3 VMLAUNCH/VMRESUME, 27.1. */
  vmlaunch(ctx: VmxInstructionContext): VmxOutcome {
    return this.launchOrResume(ctx, true);
  }

  /** VMRESUME. SDM 3C 31.3 VMLAUNCH/VMRESUME, 27.1. */
  vmresume(ctx: VmxInstructionContext): VmxOutcome {
    return this.launchOrResume(ctx, false);
  }

  private launchOrResume(ctx: VmxInstructionContext, launch: boolean): VmxOutcome {
    const c = this.common(ctx, launch ? EXIT_REASON_VMLAUNCH : EXIT_REASON_VMRESUME);
    if (c) return c;
    if (this.current.address < 0) return VM_FAIL_INVALID;
    if (ctx.blockedByMovSs) return this.fail(VmInstructionError.ENTRY_EVENTS_BLOCKED_BY_MOV_SS);
    if (launch && this.current.launched) return this.fail(VmInstructionError.VMLAUNCH_NON_CLEAR_VMCS);
    if (!launch && !this.current.launched) return this.fail(VmInstructionError.VMRESUME_NON_LAUNCHED_VMCS);
    const failure = runEntryChecks(this.current, this.capabilities, this.memory, ctx.ia32e);
    this.lastEntryFailure = failure;
    if (failure) {
      if (failure.error !== 0) return this.fail(failure.error);
      return this.entryFailure(failure.exitReason, failure.qualification);
    }
    const v = this.current;
    const p = this.processor;
    if (p) {
      // SDM 3C 27.3.2 then 27.4: guest state, then the VM-entry MSR-load area.
      loadGuestState(v, p.state, this.memory);
      const failed = loadMsrs(this.memory, p.msrs, v.lo(SLOT_ENTRY_MSR_LOAD_ADDRESS), v.lo(SLOT_ENTRY_MSR_LOAD_COUNT));
      if (failed !== 0) return this.entryFailure(34, failed);
    }
    if (launch) v.launched = true;
    // SDM 3C 27.6: the event to inject, delivered by the CPU as the guest's first act.
    const info = v.lo(SLOT_ENTRY_INTR_INFO);
    this.injectionInfo = info & INTR_INFO_VALID ? info : 0;
    this.injectionErrorCode = v.lo(SLOT_ENTRY_ERROR_CODE);
    this.injectionInstructionLength = v.lo(SLOT_ENTRY_INSTRUCTION_LENGTH);
    this.preemptionTimer = v.lo(SLOT_PREEMPTION_TIMER);
    this.nonRoot = true;
    return VM_ENTERED;
  }

  /** SDM 3C 27.8: a failed entry is reported like a VM exit; host state (and the exit MSR-load area) get loaded. */
  private entryFailure(reason: number, qualification: number): VmxOutcome {
    const exitReason = (EXIT_REASON_ENTRY_FAILURE_BIT | reason) >>> 0;
    const v = this.current;
    v.set(SLOT_EXIT_REASON, exitReason, 0);
    v.set(SLOT_EXIT_QUALIFICATION, qualification, 0);
    this.exit.reset(reason, qualification, 0).entryFailure = true;
    const p = this.processor;
    if (p) {
      loadHostState(v, p.state);
      loadMsrs(this.memory, p.msrs, v.lo(SLOT_EXIT_MSR_LOAD_ADDRESS), v.lo(SLOT_EXIT_MSR_LOAD_COUNT));
    }
    const out: VmEntryFailed = { kind: 'entryFailed', exitReason, qualification };
    return out;
  }

  /**
   * Performs the VM exit that {@link Vmx.exit} describes (fill it first with
   * `vmx.exit.reset(reason, qualification)` and any other information), in the SDM's order
   * (SDM 3C 28.2-28.6): exit information, guest-state saving, MSR-store area, host-state
   * loading, MSR-load area. Leaves VMX non-root operation. A failure in the MSR areas is a
   * VMX abort (SDM 3C 28.7): the abort indicator is written to the VMCS region.
   */
  performExit(): VmExitOutcome {
    const v = this.current;
    recordExitInformation(v, this.exit);
    this.nonRoot = false;
    this.injectionInfo = 0;
    const p = this.processor;
    if (!p) return this.exitedOutcome;
    saveGuestState(v, p.state, this.preemptionTimer);
    if (!storeMsrs(this.memory, p.msrs, v.lo(SLOT_EXIT_MSR_STORE_ADDRESS), v.lo(SLOT_EXIT_MSR_STORE_COUNT))) {
      return this.abort(VMX_ABORT_SAVING_GUEST_MSRS);
    }
    loadHostState(v, p.state);
    if (loadMsrs(this.memory, p.msrs, v.lo(SLOT_EXIT_MSR_LOAD_ADDRESS), v.lo(SLOT_EXIT_MSR_LOAD_COUNT)) !== 0) {
      return this.abort(VMX_ABORT_LOADING_HOST_MSRS);
    }
    return this.exitedOutcome;
  }

  private abort(indicator: number): VmExitOutcome {
    // SDM 3C 28.7: the indicator goes to bytes 7:4 of the VMCS region; the processor shuts down.
    this.memory.write32(this.current.address + 4, indicator);
    return { kind: 'abort', indicator };
  }

  /**
   * INVEPT with the type from its register operand and the 128-bit descriptor as four
   * dwords (EPTP in d0/d1, reserved d2/d3). SDM 3C 31.3 INVEPT.
   */
  invept(ctx: VmxInstructionContext, type: number, d0: number, d1: number, _d2: number, _d3: number): VmxOutcome {
    const caps = this.capabilities;
    if ((caps.procbased2.hi & (1 << 1)) === 0 || (caps.eptVpidCap.lo & (1 << 20)) === 0) return FAULT_UD;
    const c = this.common(ctx, EXIT_REASON_INVEPT);
    if (c) return c;
    const ept = caps.eptVpidCap.lo;
    const supported =
      (type === INVEPT_SINGLE_CONTEXT && (ept & (1 << 25)) !== 0) ||
      (type === INVEPT_ALL_CONTEXT && (ept & (1 << 26)) !== 0);
    if (!supported) return this.fail(VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
    if (type === INVEPT_SINGLE_CONTEXT && !eptPointerValid(d0, d1, caps)) {
      return this.fail(VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
    }
    this.tlb?.invalidateEpt(type, d0, d1);
    return VM_SUCCEED;
  }

  /**
   * INVVPID with the type from its register operand and the 128-bit descriptor as four
   * dwords (VPID in d0[15:0], reserved d0[31:16] and d1, linear address in d2/d3).
   * SDM 3C 31.3 INVVPID.
   */
  invvpid(ctx: VmxInstructionContext, type: number, d0: number, d1: number, d2: number, d3: number): VmxOutcome {
    const caps = this.capabilities;
    if ((caps.procbased2.hi & (1 << 5)) === 0 || (caps.eptVpidCap.hi & 1) === 0) return FAULT_UD;
    const c = this.common(ctx, EXIT_REASON_INVVPID);
    if (c) return c;
    const cap = caps.eptVpidCap.hi;
    if (type < 0 || type > 3 || (cap & (1 << (8 + type))) === 0) {
      return this.fail(VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
    }
    // SDM 3C 31.3 INVVPID: descriptor bits 63:16 must be zero.
    if ((d0 & 0xffff0000) !== 0 || d1 !== 0) return this.fail(VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
    const vpid = d0 & 0xffff;
    if (type !== INVVPID_ALL_CONTEXT && vpid === 0) return this.fail(VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
    if (type === INVVPID_INDIVIDUAL_ADDRESS && !canonical(d2, d3, caps.features.linearAddressWidth)) {
      return this.fail(VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
    }
    this.tlb?.invalidateVpid(type, vpid, d2, d3);
    return VM_SUCCEED;
  }

  /**
   * VMFUNC with EAX (function) and ECX (argument), SDM 3C 31.3 VMFUNC and 26.5.6: #UD
   * outside VMX non-root operation or without "enable VM functions"; a VM exit (reason 59)
   * for a function not enabled, or for EPTP switching (function 0) with ECX >= 512 or an
   * invalid EPTP-list entry; otherwise EPTP switching loads the new EPTP and EPTP index.
   * The CPU must start using the new EPTP for the next access.
   */
  vmfunc(eax: number, ecx: number): VmxOutcome {
    const v = this.current;
    if (!this.nonRoot) return FAULT_UD;
    const proc2 = v.lo(SLOT_PROC) & PROC_ACTIVATE_SECONDARY_CONTROLS ? v.lo(SLOT_PROC2) : 0;
    if ((proc2 & PROC2_ENABLE_VM_FUNCTIONS) === 0) return FAULT_UD;
    const fn = eax >>> 0;
    const enabled =
      fn < 32 ? (v.lo(SLOT_VMFUNC_CONTROLS) >>> fn) & 1 : fn < 64 ? (v.hi(SLOT_VMFUNC_CONTROLS) >>> (fn - 32)) & 1 : 0;
    if (!enabled || fn !== 0) return exitRequest(EXIT_REASON_VMFUNC);
    const index = ecx >>> 0;
    if (index >= 512) return exitRequest(EXIT_REASON_VMFUNC);
    const entry = v.lo(SLOT_EPTP_LIST) + 8 * index;
    const lo = this.memory.read32(entry);
    const hi = this.memory.read32(entry + 4);
    if (!eptPointerValid(lo, hi, this.capabilities)) return exitRequest(EXIT_REASON_VMFUNC);
    v.set(SLOT_EPT_POINTER, lo, hi);
    v.set(SLOT_EPTP_INDEX, index, 0);
    return VM_DONE;
  }

  /**
   * VMCALL. In VMX root operation without the dual-monitor treatment of SMIs (not modelled,
   * IA32_SMM_MONITOR_CTL[0] = 0) it fails with error 19 or 1. SDM 3C 31.3 VMCALL.
   */
  vmcall(ctx: VmxInstructionContext): VmxOutcome {
    if (!this.inVmxOperation) return FAULT_UD;
    if (this.nonRoot) return exitRequest(EXIT_REASON_VMCALL);
    if (ctx.v8086 || (ctx.ia32e && !ctx.csL)) return FAULT_UD;
    if (ctx.cpl > 0) return FAULT_GP0;
    if (this.current.address < 0) return VM_FAIL_INVALID;
    if (this.current.launched) return this.fail(VmInstructionError.VMCALL_NON_CLEAR_VMCS);
    return this.fail(VmInstructionError.VMCALL_IN_VMX_ROOT);
  }
}
