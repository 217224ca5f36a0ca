import { describe, expect, it } from 'vitest';
import { PREEMPTION_TIMER_MAX, preemptionTimerTicks } from './preemption-timer.ts';

describe('preemptionTimerTicks', () => {
  it.each([
    ['30 ms at 2 GHz, rate 5 (2^5 TSC cycles per tick)', 30e6, 2e9, 5, 1_875_000],
    ['1 ms at 3 GHz, rate 0', 1e6, 3e9, 0, 3_000_000],
    ['a slice shorter than one tick still arms the timer', 1, 2e9, 7, 1],
    ['a huge slice saturates the 32-bit field', 1e12, 4e9, 0, PREEMPTION_TIMER_MAX],
    ['an infinite slice means no timer', Number.POSITIVE_INFINITY, 2e9, 5, -1],
  ])('%s', (_n, slice, hz, shift, ticks) => {
    expect(preemptionTimerTicks(slice, hz, shift)).toBe(ticks);
  });
});
