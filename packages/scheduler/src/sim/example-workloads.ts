import type { Workload } from './workload.ts';

/**
 * The mixed workload the README compares the policies on: 4 pCPUs shared by a
 * latency-sensitive web VM, a heavy batch VM (weight 512), an I/O-bound database, a VM
 * capped at 30%, an SMP VM whose vCPUs contend on a spinlock, and a real-time VM reserving
 * 2 ms every 10 ms. Non-real-time VMs get RTDS extra time so RTDS stays work-conserving.
 */
export function mixedWorkload(): Workload {
  return {
    pcpus: 4,
    seed: 7,
    vms: [
      { name: 'web', vcpus: 1, extratime: true, behaviour: { kind: 'latency-sensitive', periodNs: 2e6, runNs: 0.3e6 } },
      { name: 'batch', vcpus: 2, weight: 512, extratime: true, behaviour: { kind: 'cpu-bound' } },
      { name: 'db', vcpus: 2, extratime: true, behaviour: { kind: 'io-bound', runNs: 1e6, sleepNs: 2e6, jitter: 0.5 } },
      { name: 'capped', vcpus: 1, capPercent: 30, extratime: true, behaviour: { kind: 'cpu-bound' } },
      {
        name: 'smp-lock',
        vcpus: 2,
        extratime: true,
        behaviour: { kind: 'lock-holder', outsideNs: 200e3, holdNs: 100e3 },
      },
      { name: 'rt', vcpus: 1, budgetNs: 2e6, periodNs: 10e6, behaviour: { kind: 'cpu-bound' } },
    ],
  };
}
