// VM exits decided at an instruction boundary rather than by an instruction (SDM 3C 26.2,
// 26.5, 26.7): monitor trap flag, VMX-preemption timer, NMI and interrupt windows, NMIs and
// external interrupts. The CPU asks once per boundary; nothing here allocates.
import * as C from '../vmcs/controls.ts';
import { slotOf } from '../vmcs/field-encoding.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsCache } from '../vmcs/vmcs.ts';
import * as R from './exit-reason.ts';

/** `boundaryExit` result: no VM exit at this boundary. */
export const NO_EXIT = -1;

const S_PIN = slotOf(F.PIN_BASED_CONTROLS);
const S_PROC = slotOf(F.PRIMARY_PROCESSOR_BASED_CONTROLS);
const RFLAGS_IF = 1 << 9;

/** What is pending at an instruction boundary in VMX non-root operation. */
export interface BoundaryEvents {
  /** RFLAGS, low 32 bits. */
  readonly rflags: number;
  /** Guest interruptibility state (STI, MOV SS, SMI, NMI blocking). */
  readonly interruptibility: number;
  /** An MTF VM exit is pending (the previous instruction completed with MTF set). */
  readonly mtfPending: boolean;
  /** The VMX-preemption timer has counted down to 0. */
  readonly timerExpired: boolean;
  /** An NMI is pending at the processor. */
  readonly nmiPending: boolean;
  /** An external interrupt is pending (the interrupt controller has one). */
  readonly interruptPending: boolean;
}

/**
 * The VM exit due at this instruction boundary, or {@link NO_EXIT}, in this priority:
 * MTF (37), VMX-preemption timer (52), NMI-window (8), NMI with "NMI exiting" (0),
 * interrupt-window (7), external interrupt with "external-interrupt exiting" (1)
 * (SDM 3C 26.7 and the event priorities of SDM 3A 6.9). Windows open only without blocking
 * by STI or MOV SS; NMI-window and NMIs also need no (virtual-)NMI blocking; interrupts
 * need RFLAGS.IF = 1.
 */
export function boundaryExit(vmcs: VmcsCache, e: BoundaryEvents): number {
  const pin = vmcs.data[2 * S_PIN]!;
  const proc = vmcs.data[2 * S_PROC]!;
  if (e.mtfPending && proc & C.PROC_MONITOR_TRAP_FLAG) return R.EXIT_REASON_MONITOR_TRAP_FLAG;
  if (e.timerExpired && pin & C.PIN_ACTIVATE_PREEMPTION_TIMER) return R.EXIT_REASON_PREEMPTION_TIMER;
  const shadow = (e.interruptibility & (C.INTERRUPTIBILITY_STI | C.INTERRUPTIBILITY_MOV_SS)) !== 0;
  const nmiBlocked = (e.interruptibility & C.INTERRUPTIBILITY_NMI) !== 0;
  if (proc & C.PROC_NMI_WINDOW_EXITING && !shadow && !nmiBlocked) return R.EXIT_REASON_NMI_WINDOW;
  if (e.nmiPending && pin & C.PIN_NMI_EXITING && !(e.interruptibility & C.INTERRUPTIBILITY_MOV_SS) && !nmiBlocked) {
    return R.EXIT_REASON_EXCEPTION_OR_NMI;
  }
  const interruptible = (e.rflags & RFLAGS_IF) !== 0 && !shadow;
  if (proc & C.PROC_INTERRUPT_WINDOW_EXITING && interruptible) return R.EXIT_REASON_INTERRUPT_WINDOW;
  if (e.interruptPending && pin & C.PIN_EXTERNAL_INTERRUPT_EXITING && interruptible)
    return R.EXIT_REASON_EXTERNAL_INTERRUPT;
  return NO_EXIT;
}

/**
 * Counts the VMX-preemption timer down for TSC moving from `tscBefore` to `tscAfter`
 * (numbers below 2^53): it decrements each time TSC bit `rate` (IA32_VMX_MISC[4:0])
 * changes, SDM 3C 26.5.1. Returns the new value, never below 0.
 */
export function preemptionTimerAfter(value: number, rate: number, tscBefore: number, tscAfter: number): number {
  const div = 2 ** rate;
  const ticks = Math.floor(tscAfter / div) - Math.floor(tscBefore / div);
  return ticks >= value ? 0 : value - ticks;
}
