import { describe, expect, it } from 'vitest';
import { SchedulerError } from '../policy/scheduler-policy.ts';
import { simulate } from '../sim/simulator.ts';
import type { Workload } from '../sim/workload.ts';
import { GangPolicy, RelaxedCoschedulingPolicy } from './coscheduling.ts';
import { CreditPolicy } from './credit.ts';

const lockWorkload: Workload = {
  pcpus: 2,
  vms: [
    { name: 'smp', vcpus: 2, behaviour: { kind: 'lock-holder', outsideNs: 170e3, holdNs: 30e3, jitter: 0.5 } },
    { name: 'hog', vcpus: 1, behaviour: { kind: 'cpu-bound' } },
  ],
};

describe('GangPolicy (strict co-scheduling)', () => {
  it('runs the vCPUs of an SMP VM only together: every stretch of one sibling matches the other', () => {
    const r = simulate(new GangPolicy(), lockWorkload, { durationNs: 2e9, timeline: { fromNs: 0, toNs: 2e9 } });
    for (const vm of [0]) {
      const segs = r.timeline.filter((s) => s.vm === vm);
      const byVcpu = [segs.filter((s) => s.vcpu === 2 * vm), segs.filter((s) => s.vcpu === 2 * vm + 1)];
      expect(byVcpu[0]!.length).toBeGreaterThan(10);
      expect(byVcpu[0]!.map((s) => [s.startNs, s.endNs])).toEqual(byVcpu[1]!.map((s) => [s.startNs, s.endNs]));
    }
  });

  it('removes the lock-holder preemption waste that credit suffers (what is left is plain contention)', () => {
    const gang = simulate(new GangPolicy(), lockWorkload, { durationNs: 2e9 });
    const credit = simulate(new CreditPolicy(), lockWorkload, { durationNs: 2e9 });
    expect(credit.vms[0]!.spinNs).toBeGreaterThan(100e6);
    expect(gang.vms[0]!.spinNs).toBeLessThan(credit.vms[0]!.spinNs / 5);
  });

  it('shares the machine in proportion to weight when gangs do not pack together', () => {
    const w: Workload = {
      pcpus: 2,
      vms: [
        { name: 'a', vcpus: 2, weight: 512, behaviour: { kind: 'cpu-bound' } },
        { name: 'b', vcpus: 2, weight: 256, behaviour: { kind: 'cpu-bound' } },
      ],
    };
    const r = simulate(new GangPolicy(), w, { durationNs: 10e9 });
    const [a, b] = r.vms.map((v) => v.share) as [number, number];
    expect(a + b).toBeCloseTo(2, 6);
    expect(Math.abs(a / b - 2)).toBeLessThan(0.02);
  });

  it('rejects a VM wider than the machine', () => {
    const w: Workload = { pcpus: 2, vms: [{ name: 'wide', vcpus: 3, behaviour: { kind: 'cpu-bound' } }] };
    expect(() => simulate(new GangPolicy(), w, { durationNs: 1e6 })).toThrowError(SchedulerError);
  });
});

describe('RelaxedCoschedulingPolicy', () => {
  it('keeps an SMP VM’s siblings within the skew bound of each other while both want to run', () => {
    const w: Workload = {
      pcpus: 2,
      vms: [
        { name: 'smp', vcpus: 2, behaviour: { kind: 'cpu-bound' } },
        { name: 'hogs', vcpus: 3, behaviour: { kind: 'cpu-bound' } },
      ],
    };
    const policy = new RelaxedCoschedulingPolicy(new CreditPolicy(), { maxSkewNs: 3e6 });
    const r = simulate(policy, w, { durationNs: 2e9, timeline: { fromNs: 0, toNs: 2e9 } });
    // Replay progress from the timeline and check the skew never exceeds the bound.
    const events = r.timeline
      .filter((s) => s.vm === 0)
      .flatMap((s) => [
        { t: s.startNs, v: s.vcpu, d: 1 },
        { t: s.endNs, v: s.vcpu, d: -1 },
      ]);
    events.sort((x, y) => x.t - y.t || x.d - y.d);
    const progress = [0, 0];
    const since = [0, 0];
    const on = [false, false];
    let worst = 0;
    for (const e of events) {
      for (const v of [0, 1])
        if (on[v]) {
          progress[v]! += e.t - since[v]!;
          since[v] = e.t;
        }
      worst = Math.max(worst, Math.abs(progress[0]! - progress[1]!));
      on[e.v] = e.d > 0;
      since[e.v] = e.t;
    }
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(3e6 + 1);
    expect(r.vms[0]!.share).toBeGreaterThan(0.5);
  });

  it('lets plain credit drift much further apart on the same workload (the bound is the wrapper’s doing)', () => {
    const w: Workload = {
      pcpus: 2,
      vms: [
        { name: 'smp', vcpus: 2, behaviour: { kind: 'cpu-bound' } },
        { name: 'hogs', vcpus: 3, behaviour: { kind: 'cpu-bound' } },
      ],
    };
    const r = simulate(new CreditPolicy(), w, { durationNs: 2e9, timeline: { fromNs: 0, toNs: 2e9 } });
    let run0 = 0;
    let run1 = 0;
    let worst = 0;
    for (const s of [...r.timeline].filter((x) => x.vm === 0).sort((x, y) => x.startNs - y.startNs)) {
      if (s.vcpu === 0) run0 += s.endNs - s.startNs;
      else run1 += s.endNs - s.startNs;
      worst = Math.max(worst, Math.abs(run0 - run1));
    }
    expect(worst).toBeGreaterThan(3e6);
  });
});
