import { describe, expect, it } from 'vitest';
import { Decision, type SchedulerHost, type SchedulerPolicy } from '../policy/scheduler-policy.ts';
import { simulate } from '../sim/simulator.ts';
import { vmParamsOf, type Workload } from '../sim/workload.ts';
import { EevdfPolicy } from './eevdf.ts';

describe('EevdfPolicy', () => {
  it.each([
    [512, 256],
    [1024, 256],
    [256, 256],
  ])('gives weights %i:%i proportional shares of one pCPU within 1%', (a, b) => {
    const w: Workload = {
      pcpus: 1,
      vms: [
        { name: 'a', vcpus: 1, weight: a, behaviour: { kind: 'cpu-bound' } },
        { name: 'b', vcpus: 1, weight: b, behaviour: { kind: 'cpu-bound' } },
      ],
    };
    const r = simulate(new EevdfPolicy(), w, { durationNs: 10e9 });
    expect(Math.abs(r.vms[0]!.share / r.vms[1]!.share / (a / b) - 1)).toBeLessThan(0.01);
  });

  it('keeps every lag within one slice (the EEVDF lag bound) while driving it by hand', () => {
    const weights = [256, 512, 1024, 128, 256];
    const w: Workload = {
      pcpus: 1,
      vms: weights.map((weight, i) => ({ name: `v${i}`, vcpus: 1, weight, behaviour: { kind: 'cpu-bound' } })),
    };
    const policy = new EevdfPolicy();
    const host: SchedulerHost = {
      pcpuCount: 1,
      vms: vmParamsOf(w),
      vcpuVm: Int32Array.from(weights.keys()),
      tickle() {},
    };
    const driver: SchedulerPolicy = policy;
    driver.attach(host);
    let now = 0;
    for (let v = 0; v < weights.length; v++) driver.wake(v, now);
    const d = new Decision();
    let worst = 0;
    for (let step = 0; step < 20_000; step++) {
      driver.pickNext(0, now, d);
      const ran = d.sliceNs;
      now += ran;
      driver.account(d.vcpu, ran, now);
      for (let v = 0; v < weights.length; v++) worst = Math.max(worst, Math.abs(policy.lagNs(v)));
    }
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(policy.slice * 1.000001);
  });

  it('runs a waking latency-sensitive vCPU within one slice at p99 and two slices at worst among CPU hogs', () => {
    const w: Workload = {
      pcpus: 2,
      vms: [
        { name: 'hogs', vcpus: 4, behaviour: { kind: 'cpu-bound' } },
        { name: 'lat', vcpus: 1, behaviour: { kind: 'latency-sensitive', periodNs: 5e6, runNs: 0.2e6 } },
      ],
    };
    const policy = new EevdfPolicy();
    const r = simulate(policy, w, { durationNs: 5e9 });
    expect(r.vms[1]!.wakeups).toBeGreaterThan(900);
    expect(r.vms[1]!.wakeLatencyP99).toBeLessThanOrEqual(policy.slice);
    expect(r.vms[1]!.wakeLatencyMax).toBeLessThanOrEqual(2 * policy.slice);
  });

  it('balances runqueues so no pCPU idles while a vCPU waits', () => {
    const w: Workload = {
      pcpus: 8,
      vms: [
        { name: 'io', vcpus: 12, behaviour: { kind: 'io-bound', runNs: 3e6, sleepNs: 5e6, jitter: 0.5 } },
        { name: 'cpu', vcpus: 3, weight: 512, behaviour: { kind: 'cpu-bound' } },
      ],
    };
    const r = simulate(new EevdfPolicy(), w, { durationNs: 2e9 });
    expect(r.idleWhileWaitingNs).toBe(0);
  });
});
