import { describe, expect, it } from 'vitest';
import { Decision, type SchedulerPolicy } from '../policy/scheduler-policy.ts';
import { simulate } from '../sim/simulator.ts';
import type { Workload } from '../sim/workload.ts';
import { CREDIT_TICK_NS, CreditPolicy, PRI_BOOST, PRI_OVER, PRI_UNDER } from './credit.ts';

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

describe('CreditPolicy priorities and parking, driven by hand', () => {
  function attach(policy: CreditPolicy, vms: { weight?: number; capPercent?: number }[], pcpus = 1) {
    const tickled: number[] = [];
    const driver: SchedulerPolicy = policy;
    driver.attach({
      pcpuCount: pcpus,
      vms: vms.map((v) => ({
        weight: v.weight ?? 256,
        capPercent: v.capPercent ?? 0,
        budgetNs: 0,
        periodNs: 0,
        extratime: false,
      })),
      vcpuVm: Int32Array.from(vms.keys()),
      tickle: (p) => tickled.push(p),
    });
    return { driver, tickled };
  }

  it('boosts a vCPU that wakes UNDER and drops the boost at the next tick it is running through', () => {
    const policy = new CreditPolicy();
    const { driver } = attach(policy, [{}, {}]);
    driver.wake(0, 0);
    expect(policy.priorityOf(0)).toBe(PRI_BOOST);
    const d = new Decision();
    driver.pickNext(0, 0, d);
    expect(d.vcpu).toBe(0);
    driver.account(0, CREDIT_TICK_NS, CREDIT_TICK_NS);
    driver.timer(CREDIT_TICK_NS);
    expect(policy.priorityOf(0)).toBe(PRI_UNDER);
  });

  it('lets a BOOSTed waker preempt an UNDER vCPU on its pCPU (tickle)', () => {
    const policy = new CreditPolicy();
    const { driver, tickled } = attach(policy, [{}, {}]);
    const d = new Decision();
    driver.wake(0, 0);
    driver.pickNext(0, 0, d);
    driver.account(0, CREDIT_TICK_NS, CREDIT_TICK_NS);
    driver.timer(CREDIT_TICK_NS); // vCPU 0 is now UNDER, running
    tickled.length = 0;
    driver.wake(1, CREDIT_TICK_NS);
    expect(policy.priorityOf(1)).toBe(PRI_BOOST);
    expect(tickled).toEqual([0]);
  });

  it('parks a capped vCPU whose credit falls below -cap at accounting and unparks it when credit is back', () => {
    const policy = new CreditPolicy();
    const { driver, tickled } = attach(policy, [{ capPercent: 10 }]);
    const d = new Decision();
    driver.wake(0, 0);
    driver.pickNext(0, 0, d);
    let now = 0;
    // Run a full 30 ms accounting period: credit 0 - 30 ms + 3 ms (10% cap) < -3 ms.
    for (let t = 1; t <= 3; t++) {
      now = t * CREDIT_TICK_NS;
      driver.account(0, CREDIT_TICK_NS, now);
      driver.timer(now);
    }
    expect(policy.isThrottled(0)).toBe(true);
    expect(policy.priorityOf(0)).toBe(PRI_OVER);
    expect(tickled).toContain(0);
    driver.pickNext(0, now, d);
    expect(d.vcpu).toBe(-1);
    // Each accounting period adds 3 ms; -27 ms needs 9 more periods to reach >= 0.
    let periods = 0;
    while (policy.isThrottled(0)) {
      for (let t = 0; t < 3; t++) {
        now += CREDIT_TICK_NS;
        driver.timer(now);
      }
      periods++;
    }
    expect(periods).toBe(9);
    expect(policy.creditOf(0)).toBeGreaterThanOrEqual(0);
  });
});
