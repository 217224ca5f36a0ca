import { expect, it } from 'vitest';
import { CreditPolicy, formatTable, renderTimelineSvg, simulate, type Workload } from './index.ts';

it('runs the README example: two weighted VMs and a capped one under Xen credit', () => {
  const printed: string[] = [];
  const console = { log: (...args: unknown[]) => printed.push(args.join(' ')) };
  // --- README example start
  // import { CreditPolicy, formatTable, renderTimelineSvg, simulate, type Workload } from '@typevisor/scheduler';
  const workload: Workload = {
    pcpus: 2,
    vms: [
      { name: 'heavy', vcpus: 2, weight: 512, behaviour: { kind: 'cpu-bound' } },
      { name: 'light', vcpus: 2, weight: 256, behaviour: { kind: 'cpu-bound' } },
      { name: 'capped', vcpus: 1, capPercent: 20, behaviour: { kind: 'cpu-bound' } },
      { name: 'web', vcpus: 1, behaviour: { kind: 'latency-sensitive', periodNs: 5e6, runNs: 0.5e6 } },
    ],
  };
  const result = simulate(new CreditPolicy(), workload, {
    durationNs: 10e9, // 10 s of virtual time
    timeline: { fromNs: 1e9, toNs: 1.1e9 },
  });
  for (const vm of result.vms) {
    console.log(
      `${vm.name}: ${vm.share.toFixed(3)} pCPU (entitled ${vm.entitlement.toFixed(3)}), wake p99 ${(vm.wakeLatencyP99 / 1e3).toFixed(0)} µs`,
    );
  }
  const markdown = formatTable([result]); // also toCsv / toJson
  const svg = renderTimelineSvg([result]); // a pCPU x time picture
  // --- README example end
  expect(printed).toHaveLength(4);
  expect(printed[0]).toBe('heavy: 1.043 pCPU (entitled 1.133), wake p99 0 µs');
  expect(printed[1]).toBe('light: 0.658 pCPU (entitled 0.567), wake p99 30000 µs');
  expect(printed[2]).toBe('capped: 0.199 pCPU (entitled 0.200), wake p99 60000 µs');
  expect(printed[3]).toBe('web: 0.099 pCPU (entitled 0.100), wake p99 0 µs');
  expect(markdown).toContain('| credit | heavy |');
  expect(svg.startsWith('<svg')).toBe(true);
});
