/**
 * Exact conversion between virtual nanoseconds and ticks of a clock whose rate is
 * `ticksPerPeriod` ticks every `periodNs` nanoseconds, both integers. Splitting the time into whole
 * periods keeps every product below 2^53, so the result is exact for any time a number holds.
 */
export class TickRate {
  constructor(
    readonly ticksPerPeriod: number,
    readonly periodNs: number,
  ) {}

  /** The number of ticks that have completed by time `ns`. */
  ticksAt(ns: number): number {
    const q = Math.floor(ns / this.periodNs);
    const r = ns - q * this.periodNs;
    return q * this.ticksPerPeriod + Math.floor((r * this.ticksPerPeriod) / this.periodNs);
  }

  /** The earliest integer time (ns) at which tick number `tick` has completed. */
  timeOfTick(tick: number): number {
    const q = Math.floor(tick / this.ticksPerPeriod);
    const s = tick - q * this.ticksPerPeriod;
    return q * this.periodNs + Math.ceil((s * this.periodNs) / this.ticksPerPeriod);
  }
}

/** The 8254's input clock: 14.31818 MHz / 12 = 1.193181666... MHz, i.e. 715909 ticks every 0.6 s. */
export const PIT_RATE = new TickRate(715_909, 600_000_000);
