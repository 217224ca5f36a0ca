import { describe, expect, it } from 'vitest';
import { simulate } from '../sim/simulator.ts';
import type { Workload } from '../sim/workload.ts';
import { CreditPolicy } from './credit.ts';

const TEN_S = 10e9;

describe('CreditPolicy', () => {
  it('gives VMs weighted 512:256 on one pCPU a 2:1 split within 1% over 10 s', () => {
    const w: Workload = {
      pcpus: 1,
      vms: [
        { name: 'heavy', vcpus: 1, weight: 512, behaviour: { kind: 'cpu-bound' } },
        { name: 'light', vcpus: 1, weight: 256, behaviour: { kind: 'cpu-bound' } },
      ],
    };
    const r = simulate(new CreditPolicy(), w, { durationNs: TEN_S });
    expect(Math.abs(r.vms[0]!.share / r.vms[1]!.share - 2)).toBeLessThan(0.02);
    expect(r.vms[0]!.share + r.vms[1]!.share).toBeCloseTo(1, 6);
  });

  it('holds a 20% cap on a CPU-bound VM even with the pCPU otherwise idle', () => {
    const w: Workload = {
      pcpus: 1,
      vms: [{ name: 'capped', vcpus: 1, capPercent: 20, behaviour: { kind: 'cpu-bound' } }],
    };
    const r = simulate(new CreditPolicy(), w, { durationNs: TEN_S });
    expect(r.vms[0]!.share).toBeLessThanOrEqual(0.2 * 1.01 + 0.001);
    expect(r.vms[0]!.share).toBeGreaterThan(0.19);
    expect(r.vms[0]!.capViolations).toBe(0);
  });

  it('holds a 20% cap on a 4-vCPU VM, within the one slice per vCPU that runs before the first accounting', () => {
    const w: Workload = {
      pcpus: 4,
      vms: [
        { name: 'capped', vcpus: 4, capPercent: 20, behaviour: { kind: 'cpu-bound' } },
        { name: 'free', vcpus: 4, behaviour: { kind: 'cpu-bound' } },
      ],
    };
    const r = simulate(new CreditPolicy(), w, { durationNs: TEN_S });
    // Caps act at the 30 ms accounting: each vCPU may run one 30 ms slice before it is parked.
    expect(r.vms[0]!.share).toBeLessThanOrEqual(0.2 + (4 * 30e6) / TEN_S);
    expect(r.vms[0]!.share).toBeGreaterThan(0.19);
    expect(r.vms[1]!.share).toBeGreaterThan(3.78);
  });

  const dodger: Workload = {
    pcpus: 1,
    vms: [
      { name: 'victim', vcpus: 1, behaviour: { kind: 'cpu-bound' } },
      { name: 'dodger', vcpus: 1, behaviour: { kind: 'tick-dodger', tickNs: 10e6, marginNs: 0.2e6 } },
    ],
  };

  it('defeats the yield-before-tick attack with exact accounting: the dodger gets no more than its half', () => {
    const r = simulate(new CreditPolicy(), dodger, { durationNs: TEN_S });
    expect(r.vms[1]!.share).toBeLessThanOrEqual(0.5 * 1.01);
  });

  it('is beaten by the same attack under tick-sampled accounting (the attack is real)', () => {
    const r = simulate(new CreditPolicy({ accounting: 'sampled' }), dodger, { durationNs: TEN_S });
    expect(r.vms[1]!.share).toBeGreaterThan(0.8);
  });

  it('boosts a waking I/O-bound vCPU ahead of CPU hogs, so it runs within a rate-limit of waking', () => {
    const w: Workload = {
      pcpus: 2,
      vms: [
        { name: 'hogs', vcpus: 4, behaviour: { kind: 'cpu-bound' } },
        { name: 'io', vcpus: 1, behaviour: { kind: 'latency-sensitive', periodNs: 5e6, runNs: 0.2e6 } },
      ],
    };
    const r = simulate(new CreditPolicy(), w, { durationNs: 5e9 });
    expect(r.vms[1]!.wakeups).toBeGreaterThan(900);
    expect(r.vms[1]!.wakeLatencyP99).toBeLessThanOrEqual(1e6);
  });

  it('steals work so that no pCPU idles while an unparked vCPU waits', () => {
    const w: Workload = {
      pcpus: 8,
      vms: [
        { name: 'io', vcpus: 12, behaviour: { kind: 'io-bound', runNs: 3e6, sleepNs: 5e6, jitter: 0.5 } },
        { name: 'cpu', vcpus: 3, weight: 512, behaviour: { kind: 'cpu-bound' } },
      ],
    };
    const r = simulate(new CreditPolicy(), w, { durationNs: 2e9 });
    expect(r.idleWhileWaitingNs).toBe(0);
    expect(r.migrations).toBeGreaterThan(0);
  });
});
