// What a VMX instruction did, as data (SDM 3C 31.2 "Conventions"). Every outcome is a
// frozen constant, so executing an instruction allocates nothing.

/** VM-instruction error numbers, SDM 3C 31.4 Table 31-1. */
export const VmInstructionError = {
  VMCALL_IN_VMX_ROOT: 1,
  VMCLEAR_INVALID_ADDRESS: 2,
  VMCLEAR_VMXON_POINTER: 3,
  VMLAUNCH_NON_CLEAR_VMCS: 4,
  VMRESUME_NON_LAUNCHED_VMCS: 5,
  VMRESUME_AFTER_VMXOFF: 6,
  ENTRY_INVALID_CONTROL_FIELD: 7,
  ENTRY_INVALID_HOST_STATE_FIELD: 8,
  VMPTRLD_INVALID_ADDRESS: 9,
  VMPTRLD_VMXON_POINTER: 10,
  VMPTRLD_INCORRECT_REVISION: 11,
  UNSUPPORTED_VMCS_COMPONENT: 12,
  VMWRITE_READ_ONLY_COMPONENT: 13,
  VMXON_IN_VMX_ROOT: 15,
  ENTRY_INVALID_EXECUTIVE_VMCS_POINTER: 16,
  ENTRY_NON_LAUNCHED_EXECUTIVE_VMCS: 17,
  ENTRY_EXECUTIVE_VMCS_NOT_VMXON_POINTER: 18,
  VMCALL_NON_CLEAR_VMCS: 19,
  VMCALL_INVALID_EXIT_CONTROLS: 20,
  VMCALL_INCORRECT_MSEG_REVISION: 22,
  VMXOFF_UNDER_DUAL_MONITOR: 23,
  VMCALL_INVALID_SMM_MONITOR_FEATURES: 24,
  ENTRY_INVALID_EXECUTIVE_CONTROLS: 25,
  ENTRY_EVENTS_BLOCKED_BY_MOV_SS: 26,
  INVALID_INVEPT_INVVPID_OPERAND: 28,
} as const;

/** VMsucceed: CF, PF, AF, ZF, SF and OF cleared. */
export interface VmSucceed {
  readonly kind: 'succeed';
}
/** VMfailInvalid: there is no current VMCS; CF set, other arithmetic flags cleared. */
export interface VmFailInvalid {
  readonly kind: 'failInvalid';
}
/** VMfailValid: ZF set, the error number stored in the VM-instruction error field. */
export interface VmFailValid {
  readonly kind: 'failValid';
  readonly error: number;
}
/** The instruction faulted (#UD = 6, #GP = 13 with error code 0). Delivered by the CPU as usual. */
export interface VmxFault {
  readonly kind: 'fault';
  readonly vector: number;
  readonly errorCode: number;
}
/** In VMX non-root operation the instruction causes a VM exit with this basic reason. */
export interface VmxExitRequest {
  readonly kind: 'exit';
  readonly reason: number;
}
/** VMLAUNCH/VMRESUME entered the guest: the processor is now in VMX non-root operation. */
export interface VmEntered {
  readonly kind: 'entered';
}
/** VM entry failed after the controls and host state checked out; host state was loaded (SDM 3C 27.8). */
export interface VmEntryFailed {
  readonly kind: 'entryFailed';
  /** Exit reason with bit 31 set: 33 (invalid guest state), 34 (MSR loading), 41 (machine check). */
  readonly exitReason: number;
  readonly qualification: number;
}

/** The instruction completed without touching RFLAGS (VMFUNC). */
export interface VmxDone {
  readonly kind: 'done';
}

/** Every outcome of a VMX instruction. */
export type VmxOutcome =
  | VmSucceed
  | VmFailInvalid
  | VmFailValid
  | VmxFault
  | VmxExitRequest
  | VmEntered
  | VmEntryFailed
  | VmxDone;

/** The VMsucceed outcome. */
export const VM_SUCCEED: VmSucceed = Object.freeze({ kind: 'succeed' });
/** The VMfailInvalid outcome. */
export const VM_FAIL_INVALID: VmFailInvalid = Object.freeze({ kind: 'failInvalid' });
/** The successful VM entry outcome. */
export const VM_ENTERED: VmEntered = Object.freeze({ kind: 'entered' });
/** An instruction completed with no status flags (VMFUNC). */
export const VM_DONE: VmxDone = Object.freeze({ kind: 'done' });
/** #UD. */
export const FAULT_UD: VmxFault = Object.freeze({ kind: 'fault', vector: 6, errorCode: 0 });
/** #GP(0). */
export const FAULT_GP0: VmxFault = Object.freeze({ kind: 'fault', vector: 13, errorCode: 0 });

const FAIL_VALID: VmFailValid[] = [];
for (let e = 0; e < 64; e++) FAIL_VALID.push(Object.freeze({ kind: 'failValid', error: e }));
const EXIT_REQUEST: VmxExitRequest[] = [];
for (let r = 0; r < 128; r++) EXIT_REQUEST.push(Object.freeze({ kind: 'exit', reason: r }));

/** The (shared, frozen) VMfailValid outcome for an error number. */
export function vmFailValid(error: number): VmFailValid {
  return FAIL_VALID[error] ?? Object.freeze({ kind: 'failValid', error });
}

/** The (shared, frozen) VM-exit request for a basic exit reason. */
export function exitRequest(reason: number): VmxExitRequest {
  return EXIT_REQUEST[reason] ?? Object.freeze({ kind: 'exit', reason });
}

/** RFLAGS bits a VMX instruction outcome writes: CF PF AF ZF SF OF. SDM 3C 31.2. */
export const RFLAGS_VMX_STATUS_MASK = 0x8d5;
const CF = 0x1;
const ZF = 0x40;

/**
 * The new RFLAGS (low 32 bits) after a VMX instruction's outcome: VMsucceed clears the six
 * status flags, VMfailInvalid sets CF, VMfailValid sets ZF. Other outcomes leave RFLAGS alone.
 *
 * @example
 * ```ts
 * import { applyOutcomeToRflags, VM_FAIL_INVALID } from '@typevisor/vmx';
 * applyOutcomeToRflags(0x2 | 0x40, VM_FAIL_INVALID); // 0x3: CF set, ZF cleared
 * ```
 */
export function applyOutcomeToRflags(rflags: number, outcome: VmxOutcome): number {
  switch (outcome.kind) {
    case 'succeed':
      return (rflags & ~RFLAGS_VMX_STATUS_MASK) >>> 0;
    case 'failInvalid':
      return ((rflags & ~RFLAGS_VMX_STATUS_MASK) | CF) >>> 0;
    case 'failValid':
      return ((rflags & ~RFLAGS_VMX_STATUS_MASK) | ZF) >>> 0;
    default:
      return rflags >>> 0;
  }
}
