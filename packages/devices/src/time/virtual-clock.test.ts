import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeviceError } from '../errors.ts';
import { PIT_RATE, TickRate } from './tick-rate.ts';
import { type TimedDevice, VirtualClock } from './virtual-clock.ts';

/** A device with a fixed list of deadlines that logs when it is advanced. */
class Alarm implements TimedDevice {
  constructor(
    private readonly name: string,
    private readonly times: number[],
    private readonly log: string[],
  ) {}
  nextDeadline(): number {
    return this.times[0] ?? Number.POSITIVE_INFINITY;
  }
  advanceTo(now: number): void {
    while (this.times.length > 0 && this.times[0]! <= now) this.log.push(`${this.name}@${this.times.shift()}`);
  }
}

describe('VirtualClock', () => {
  it('stops at every deadline on the way, earliest first, ties in attachment order', () => {
    const log: string[] = [];
    const clock = new VirtualClock();
    clock.attach(new Alarm('a', [10, 30], log));
    clock.attach(new Alarm('b', [10, 20, 50], log));
    clock.advanceTo(40);
    expect(log).toEqual(['a@10', 'b@10', 'b@20', 'a@30']);
    expect(clock.now()).toBe(40);
  });

  it('reports the earliest deadline so the glue knows how long the CPU may run', () => {
    const clock = new VirtualClock();
    clock.attach(new Alarm('a', [70], []));
    clock.attach(new Alarm('b', [50], []));
    expect(clock.nextDeadline()).toBe(50);
    expect(new VirtualClock().nextDeadline()).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses to go backwards with TIME_BACKWARDS', () => {
    const clock = new VirtualClock(100);
    expect(() => clock.advanceTo(99)).toThrow(DeviceError);
    expect(() => clock.advanceTo(Number.NaN)).toThrow(DeviceError);
  });

  it('stops a device that never moves its deadline with BAD_DEADLINE', () => {
    const clock = new VirtualClock();
    clock.attach({ nextDeadline: () => 5, advanceTo() {} });
    expect(() => clock.advanceTo(10)).toThrow(expect.objectContaining({ code: 'BAD_DEADLINE' }));
  });
});

describe('TickRate', () => {
  it('counts 1193182 PIT ticks in a second and 715909 in 0.6 s exactly', () => {
    expect(PIT_RATE.ticksAt(1e9)).toBe(1193181);
    expect(PIT_RATE.ticksAt(6e8)).toBe(715909);
    expect(PIT_RATE.ticksAt(6e8 - 1)).toBe(715908);
  });

  it('timeOfTick is the first nanosecond at which the tick has completed, for times below 2^53 ns', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: PIT_RATE.ticksAt(2 ** 53 - 1e9) }), (tick) => {
        const t = PIT_RATE.timeOfTick(tick);
        return PIT_RATE.ticksAt(t) === tick && (t === 0 || PIT_RATE.ticksAt(t - 1) === tick - 1);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with exact rational arithmetic', () => {
    const rate = new TickRate(3, 7);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), (ns) => rate.ticksAt(ns) === Number((BigInt(ns) * 3n) / 7n)),
    );
  });
});
