import { describe, expect, it } from 'vitest';
import { Credit2Policy } from '../policies/credit2.ts';
import { CreditPolicy } from '../policies/credit.ts';
import { EevdfPolicy } from '../policies/eevdf.ts';
import { RoundRobinPolicy } from '../policies/round-robin.ts';
import { RtdsPolicy } from '../policies/rtds.ts';
import { formatTable, toCsv, toJson } from '../metrics/report.ts';
import { type Decision, SchedulerError, type SchedulerHost, type SchedulerPolicy } from '../policy/scheduler-policy.ts';
import { mixedWorkload } from './example-workloads.ts';
import { simulate } from './simulator.ts';
import type { Workload } from './workload.ts';

const makers: [string, () => SchedulerPolicy][] = [
  ['round-robin', () => new RoundRobinPolicy()],
  ['credit', () => new CreditPolicy()],
  ['credit2', () => new Credit2Policy()],
  ['rtds', () => new RtdsPolicy()],
  ['eevdf', () => new EevdfPolicy()],
];

describe('simulate', () => {
  it.each(makers)('is deterministic: %s gives byte-identical results twice', (_n, make) => {
    const a = simulate(make(), mixedWorkload(), { durationNs: 1e9, timeline: { fromNs: 0, toNs: 50e6 } });
    const b = simulate(make(), mixedWorkload(), { durationNs: 1e9, timeline: { fromNs: 0, toNs: 50e6 } });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it.each(makers)(
    'never lets %s run more than the machine: sum of shares <= pCPUs, timeline rows never overlap',
    (_n, make) => {
      const r = simulate(make(), mixedWorkload(), { durationNs: 2e9, timeline: { fromNs: 0, toNs: 2e9 } });
      const total = r.vms.reduce((s, v) => s + v.share, 0);
      expect(total).toBeLessThanOrEqual(r.pcpus + 1e-9);
      const byPcpu = new Map<number, { startNs: number; endNs: number }[]>();
      for (const s of r.timeline) byPcpu.set(s.pcpu, [...(byPcpu.get(s.pcpu) ?? []), s]);
      for (const segs of byPcpu.values()) {
        segs.sort((x, y) => x.startNs - y.startNs);
        for (let i = 1; i < segs.length; i++) expect(segs[i]!.startNs).toBeGreaterThanOrEqual(segs[i - 1]!.endNs);
      }
      // A vCPU is never on two pCPUs at once.
      const byVcpu = new Map<number, { startNs: number; endNs: number }[]>();
      for (const s of r.timeline) byVcpu.set(s.vcpu, [...(byVcpu.get(s.vcpu) ?? []), s]);
      for (const segs of byVcpu.values()) {
        segs.sort((x, y) => x.startNs - y.startNs);
        for (let i = 1; i < segs.length; i++) expect(segs[i]!.startNs).toBeGreaterThanOrEqual(segs[i - 1]!.endNs);
      }
    },
  );

  it('gives equal CPU-bound VMs equal shares under round-robin and is work-conserving', () => {
    const w: Workload = {
      pcpus: 3,
      vms: [
        { name: 'a', vcpus: 2, behaviour: { kind: 'cpu-bound' } },
        { name: 'b', vcpus: 2, behaviour: { kind: 'cpu-bound' } },
      ],
    };
    const r = simulate(new RoundRobinPolicy(), w, { durationNs: 6e9 });
    expect(r.vms[0]!.share).toBeCloseTo(1.5, 2);
    expect(r.vms[1]!.share).toBeCloseTo(1.5, 2);
    expect(r.idleWhileWaitingNs).toBe(0);
    expect(r.jain).toBeCloseTo(1, 4);
  });

  it('gives an I/O-bound vCPU alone on a pCPU exactly run/(run+sleep) of it', () => {
    const w: Workload = {
      pcpus: 1,
      vms: [{ name: 'io', vcpus: 1, behaviour: { kind: 'io-bound', runNs: 1e6, sleepNs: 3e6 } }],
    };
    const r = simulate(new RoundRobinPolicy(), w, { durationNs: 4e9 });
    expect(r.vms[0]!.share).toBeCloseTo(0.25, 3);
    expect(r.vms[0]!.wakeLatencyMax).toBe(0);
    expect(r.vms[0]!.wakeups).toBeGreaterThan(990);
  });

  it('makes lock spinners burn time while the holder is preempted, and a PAUSE-loop exit cuts that waste', () => {
    const spec = (spinYieldNs?: number): Workload => ({
      pcpus: 2,
      vms: [
        { name: 'smp', vcpus: 4, behaviour: { kind: 'lock-holder', outsideNs: 70e3, holdNs: 130e3, spinYieldNs } },
        { name: 'hog', vcpus: 2, behaviour: { kind: 'cpu-bound' } },
      ],
    });
    const spinning = simulate(new CreditPolicy(), spec(), { durationNs: 2e9 });
    const ple = simulate(new CreditPolicy(), spec(20e3), { durationNs: 2e9 });
    expect(spinning.vms[0]!.spinNs).toBeGreaterThan(0.2 * spinning.vms[0]!.runNs);
    expect(ple.vms[0]!.spinNs).toBeLessThan(spinning.vms[0]!.spinNs / 2);
  });

  it('counts a pCPU left idle while a vCPU waits (the work-conservation metric can fail)', () => {
    // A policy that only ever uses pCPU 0.
    const lazy = new RoundRobinPolicy();
    const originalPick = lazy.pickNext.bind(lazy);
    lazy.pickNext = (p: number, now: number, out: Decision) => {
      if (p === 0) originalPick(p, now, out);
      else {
        out.vcpu = -1;
        out.sliceNs = Number.POSITIVE_INFINITY;
      }
    };
    const w: Workload = { pcpus: 2, vms: [{ name: 'a', vcpus: 2, behaviour: { kind: 'cpu-bound' } }] };
    const r = simulate(lazy, w, { durationNs: 1e9 });
    expect(r.idleWhileWaitingNs).toBeCloseTo(1e9, -3);
  });

  it('rejects a policy that picks a vCPU that is not waiting', () => {
    const bad: SchedulerPolicy = {
      name: 'bad',
      attach(_h: SchedulerHost) {},
      wake() {},
      block() {},
      yield() {},
      account() {},
      pickNext(_p, _now, out) {
        out.vcpu = 0;
        out.sliceNs = 1e6;
      },
      nextTimer: () => Number.POSITIVE_INFINITY,
      timer() {},
      isThrottled: () => false,
    };
    const w: Workload = { pcpus: 2, vms: [{ name: 'a', vcpus: 1, behaviour: { kind: 'cpu-bound' } }] };
    expect(() => simulate(bad, w, { durationNs: 1e9 })).toThrowError(SchedulerError);
  });

  it.each<[string, Workload]>([
    ['no pCPUs', { pcpus: 0, vms: [{ name: 'a', vcpus: 1, behaviour: { kind: 'cpu-bound' } }] }],
    ['no VMs', { pcpus: 1, vms: [] }],
    ['zero vCPUs', { pcpus: 1, vms: [{ name: 'a', vcpus: 0, behaviour: { kind: 'cpu-bound' } }] }],
    [
      'budget above period',
      { pcpus: 1, vms: [{ name: 'a', vcpus: 1, budgetNs: 2, periodNs: 1, behaviour: { kind: 'cpu-bound' } }] },
    ],
    [
      'negative sleep',
      { pcpus: 1, vms: [{ name: 'a', vcpus: 1, behaviour: { kind: 'io-bound', runNs: 1, sleepNs: -1 } }] },
    ],
    [
      'dodger margin too wide',
      { pcpus: 1, vms: [{ name: 'a', vcpus: 1, behaviour: { kind: 'tick-dodger', tickNs: 10, marginNs: 5 } }] },
    ],
  ])('rejects an invalid workload (%s) with SchedulerError invalid-workload', (_n, w) => {
    try {
      simulate(new RoundRobinPolicy(), w, { durationNs: 1e6 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SchedulerError);
      expect((e as SchedulerError).code).toBe('invalid-workload');
    }
  });

  it('reports as Markdown, CSV and JSON with one row per VM', () => {
    const r = simulate(new CreditPolicy(), mixedWorkload(), { durationNs: 5e8 });
    const csv = toCsv([r]).trim().split('\n');
    expect(csv).toHaveLength(1 + r.vms.length);
    expect(csv[0]).toBe(
      'policy,name,vcpus,weight,capPercent,runNs,share,entitlement,shareRatio,waitNs,spinNs,wakeups,wakeLatencyP50,wakeLatencyP95,wakeLatencyP99,wakeLatencyMax,capViolations,periods,deadlineMisses,migrations',
    );
    const json = JSON.parse(toJson([r])) as { policy: string; vms: unknown[]; timeline?: unknown }[];
    expect(json[0]!.policy).toBe('credit');
    expect(json[0]!.timeline).toBeUndefined();
    expect(
      formatTable([r])
        .split('\n')
        .filter((l) => l.startsWith('| credit |')),
    ).toHaveLength(1 + r.vms.length);
  });
});
