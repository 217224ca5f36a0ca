import { describe, expect, it } from 'vitest';
import { simulate } from '../sim/simulator.ts';
import type { VmSpec, Workload } from '../sim/workload.ts';
import { RtdsPolicy } from './rtds.ts';

const rt = (name: string, budgetMs: number, periodMs: number, extratime = false): VmSpec => ({
  name,
  vcpus: 1,
  budgetNs: budgetMs * 1e6,
  periodNs: periodMs * 1e6,
  extratime,
  behaviour: { kind: 'cpu-bound' },
});

describe('RtdsPolicy', () => {
  it.each<[string, number, VmSpec[]]>([
    [
      'U = 1.0 on one pCPU (EDF is optimal on one processor)',
      1,
      [rt('a', 3, 10), rt('b', 7, 20), rt('c', 5, 20), rt('d', 2, 20)],
    ],
    ['U = 0.95 with co-prime periods', 1, [rt('a', 3, 10), rt('b', 7, 23), rt('c', 2, 7), rt('d', 1, 13)]],
    [
      'U = 2.2 on 4 pCPUs within the global-EDF bound m - (m-1)·Umax',
      4,
      [
        rt('a', 3, 10),
        rt('b', 2, 10),
        rt('c', 4, 20),
        rt('d', 6, 20),
        rt('e', 3, 15),
        rt('f', 2, 8),
        rt('g', 5, 25),
        rt('h', 3, 12),
      ],
    ],
  ])('meets every deadline: %s', (_name, pcpus, vms) => {
    const r = simulate(new RtdsPolicy(), { pcpus, vms }, { durationNs: 5e9 });
    for (const vm of r.vms) {
      expect(vm.periods).toBeGreaterThan(100);
      expect(vm.deadlineMisses).toBe(0);
      const spec = vms.find((s) => s.name === vm.name)!;
      expect(vm.share).toBeCloseTo(spec.budgetNs! / spec.periodNs!, 2);
    }
  });

  it('misses deadlines when utilisation exceeds the pCPUs (the check can fail)', () => {
    const r = simulate(new RtdsPolicy(), { pcpus: 1, vms: [rt('a', 6, 10), rt('b', 6, 10)] }, { durationNs: 1e9 });
    expect(r.vms[0]!.deadlineMisses + r.vms[1]!.deadlineMisses).toBeGreaterThan(50);
  });

  it('shows Dhall’s effect: global EDF misses at U ≈ 1.1 on 2 pCPUs with one heavy server', () => {
    // Two light tasks with earlier deadlines occupy both pCPUs at each release, the heavy one
    // then cannot finish: total utilisation fits 2 pCPUs but global EDF is not optimal there.
    const vms = [rt('light1', 1, 10), rt('light2', 1, 10), rt('heavy', 10.5, 11)];
    const r = simulate(new RtdsPolicy(), { pcpus: 2, vms }, { durationNs: 1e9 });
    expect(r.vms[2]!.deadlineMisses).toBeGreaterThan(0);
  });

  it('throttles a vCPU without extratime at its budget and lets an extratime vCPU use idle time', () => {
    const r = simulate(
      new RtdsPolicy(),
      { pcpus: 1, vms: [rt('strict', 2, 10), rt('extra', 2, 10, true)] },
      { durationNs: 2e9 },
    );
    expect(r.vms[0]!.share).toBeCloseTo(0.2, 3);
    expect(r.vms[1]!.share).toBeCloseTo(0.8, 3);
    expect(r.vms[0]!.deadlineMisses + r.vms[1]!.deadlineMisses).toBe(0);
  });

  it('is work-conserving when every server has extratime', () => {
    const w: Workload = {
      pcpus: 4,
      vms: [
        {
          name: 'io',
          vcpus: 8,
          extratime: true,
          behaviour: { kind: 'io-bound', runNs: 2e6, sleepNs: 4e6, jitter: 0.5 },
        },
        { ...rt('cpu', 3, 10, true), vcpus: 2 },
      ],
    };
    const r = simulate(new RtdsPolicy(), w, { durationNs: 2e9 });
    expect(r.idleWhileWaitingNs).toBe(0);
  });
});
