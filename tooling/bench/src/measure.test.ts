import { describe, expect, it } from 'vitest';
import { clockNow, measureRate } from './measure.ts';

/** A fake clock that advances `step` ms each time it is read. */
function steppingClock(steps: readonly number[]): () => number {
  let t = 0;
  let i = 0;
  return () => {
    const v = t;
    t += steps[i++ % steps.length]!;
    return v;
  };
}

describe('measureRate', () => {
  it('reports units per second of the clock it is given, as the median sample', () => {
    // every batch does 10 units and each clock read advances 1 ms
    const rate = measureRate(() => 10, { warmupMs: 5, samples: 5, sampleMs: 4, now: steppingClock([1]) });
    // a sample: start read, then one read per batch until >= 4 ms: 4 batches in 4 ms -> 10,000/s
    expect(rate.perSecond).toBe(10_000);
    expect(rate.min).toBe(10_000);
    expect(rate.max).toBe(10_000);
    expect(rate.samples).toBe(5);
  });

  it('takes the median, so one slow sample does not move the figure', () => {
    // 3 samples of 4 batches each (plus warm-up reads); one sample sees a 16 ms stall
    const steps = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 13, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const rate = measureRate(() => 1, { warmupMs: 2, samples: 3, sampleMs: 4, now: steppingClock(steps) });
    expect(rate.perSecond).toBe(1000);
    expect(rate.min).toBeLessThan(1000);
  });

  it('times with CPU time by default under Node, and says so', () => {
    const rate = measureRate(() => 1, { warmupMs: 1, samples: 1, sampleMs: 1 });
    expect(rate.clock).toBe('cpu');
    expect(measureRate(() => 1, { warmupMs: 1, samples: 1, sampleMs: 1, clock: 'wall' }).clock).toBe('wall');
  });
});

describe('clockNow', () => {
  it('cpu time does not advance while the process sleeps, wall time does', async () => {
    const cpu = clockNow('cpu');
    const wall = clockNow('wall');
    const c0 = cpu();
    const w0 = wall();
    await new Promise((r) => setTimeout(r, 60));
    expect(wall() - w0).toBeGreaterThanOrEqual(50);
    expect(cpu() - c0).toBeLessThan(40);
  });
});
