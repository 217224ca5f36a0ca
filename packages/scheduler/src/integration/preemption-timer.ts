/** Largest value of the 32-bit VMX-preemption timer-value field (SDM 3C 26.5.1). */
export const PREEMPTION_TIMER_MAX = 0xffff_ffff;

/**
 * Converts a slice from {@link SchedulerPolicy.pickNext} into a VMX-preemption timer value.
 * SDM 3C 26.5.1: the timer counts down by one each time bit X of the TSC changes, where X is
 * IA32_VMX_MISC[4:0] (`rateShift`), so it ticks at tscHz / 2^X. Returns -1 for an infinite
 * slice (leave "activate VMX-preemption timer" clear), at least 1 for a finite one (a value
 * of 0 exits before the first guest instruction), and saturates at 2^32-1.
 */
export function preemptionTimerTicks(sliceNs: number, tscHz: number, rateShift: number): number {
  if (!Number.isFinite(sliceNs)) return -1;
  const ticks = Math.floor((sliceNs * tscHz) / 1e9 / 2 ** rateShift);
  return Math.min(PREEMPTION_TIMER_MAX, Math.max(1, ticks));
}
