import { describe, expect, it } from 'vitest';
import { simulate } from '../sim/simulator.ts';
import type { Workload } from '../sim/workload.ts';
import { Credit2Policy } from './credit2.ts';

describe('Credit2Policy', () => {
  it.each([
    [512, 256],
    [768, 256],
    [256, 256],
  ])('gives weights %i:%i proportional shares of one pCPU within 1%', (a, b) => {
    const w: Workload = {
      pcpus: 1,
      vms: [
        { name: 'a', vcpus: 1, weight: a, behaviour: { kind: 'cpu-bound' } },
        { name: 'b', vcpus: 1, weight: b, behaviour: { kind: 'cpu-bound' } },
      ],
    };
    const r = simulate(new Credit2Policy(), w, { durationNs: 10e9 });
    expect(Math.abs(r.vms[0]!.share / r.vms[1]!.share / (a / b) - 1)).toBeLessThan(0.01);
  });

  it('keeps proportional shares across a runqueue of 4 pCPUs with 8 vCPUs', () => {
    const w: Workload = {
      pcpus: 4,
      vms: [
        { name: 'heavy', vcpus: 4, weight: 512, behaviour: { kind: 'cpu-bound' } },
        { name: 'light', vcpus: 4, weight: 256, behaviour: { kind: 'cpu-bound' } },
      ],
    };
    const r = simulate(new Credit2Policy({ pcpusPerRunqueue: 4 }), w, { durationNs: 10e9 });
    expect(r.vms[0]!.share / r.vms[1]!.share).toBeGreaterThan(1.95);
    expect(r.vms[0]!.share / r.vms[1]!.share).toBeLessThan(2.05);
  });

  it('runs a waking latency-sensitive vCPU within the 1 ms rate limit among CPU hogs', () => {
    const w: Workload = {
      pcpus: 2,
      vms: [
        { name: 'hogs', vcpus: 4, behaviour: { kind: 'cpu-bound' } },
        { name: 'lat', vcpus: 1, behaviour: { kind: 'latency-sensitive', periodNs: 5e6, runNs: 0.2e6 } },
      ],
    };
    const r = simulate(new Credit2Policy(), w, { durationNs: 5e9 });
    expect(r.vms[1]!.wakeups).toBeGreaterThan(900);
    expect(r.vms[1]!.wakeLatencyMax).toBeLessThanOrEqual(1e6);
  });

  it('holds a 20% cap through the per-VM budget', () => {
    const w: Workload = {
      pcpus: 2,
      vms: [
        { name: 'capped', vcpus: 2, capPercent: 20, behaviour: { kind: 'cpu-bound' } },
        { name: 'free', vcpus: 1, behaviour: { kind: 'cpu-bound' } },
      ],
    };
    const r = simulate(new Credit2Policy(), w, { durationNs: 10e9 });
    expect(r.vms[0]!.share).toBeLessThanOrEqual(0.2 * 1.01);
    expect(r.vms[0]!.share).toBeGreaterThan(0.19);
    expect(r.vms[0]!.capViolations).toBe(0);
  });

  it('pulls work across runqueues so no pCPU idles while a vCPU waits', () => {
    const w: Workload = {
      pcpus: 8,
      vms: [
        { name: 'io', vcpus: 12, behaviour: { kind: 'io-bound', runNs: 3e6, sleepNs: 5e6, jitter: 0.5 } },
        { name: 'cpu', vcpus: 3, weight: 512, behaviour: { kind: 'cpu-bound' } },
      ],
    };
    const r = simulate(new Credit2Policy({ pcpusPerRunqueue: 2 }), w, { durationNs: 2e9 });
    expect(r.idleWhileWaitingNs).toBe(0);
  });
});
