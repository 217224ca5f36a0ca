import type { VmSpec, Workload } from './workload.ts';

/**
 * A large synthetic machine for scaling studies and the bench: `vms` 4-vCPU VMs on `pcpus`
 * pCPUs, cycling through CPU-bound (weight 512), I/O-bound, latency-sensitive and
 * lock-holding guests, one in ten capped at 150%.
 */
export function largeWorkload(pcpus = 256, vms = 2500): Workload {
  const specs: VmSpec[] = [];
  for (let i = 0; i < vms; i++) {
    const capPercent = i % 10 === 9 ? 150 : 0;
    switch (i % 4) {
      case 0:
        specs.push({ name: `cpu${i}`, vcpus: 4, weight: 512, capPercent, behaviour: { kind: 'cpu-bound' } });
        break;
      case 1:
        specs.push({
          name: `io${i}`,
          vcpus: 4,
          capPercent,
          behaviour: { kind: 'io-bound', runNs: 2e6, sleepNs: 18e6, jitter: 0.5 },
        });
        break;
      case 2:
        specs.push({
          name: `lat${i}`,
          vcpus: 4,
          capPercent,
          behaviour: { kind: 'latency-sensitive', periodNs: 20e6, runNs: 0.5e6 },
        });
        break;
      default:
        specs.push({
          name: `lock${i}`,
          vcpus: 4,
          capPercent,
          behaviour: { kind: 'lock-holder', outsideNs: 500e3, holdNs: 50e3, spinYieldNs: 20e3 },
        });
    }
  }
  return { pcpus, vms: specs, seed: 3 };
}
