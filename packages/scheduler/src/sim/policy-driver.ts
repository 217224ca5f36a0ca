import { Decision, type SchedulerPolicy } from '../policy/scheduler-policy.ts';
import { vmParamsOf, type Workload } from './workload.ts';

/**
 * A minimal closed-loop driver for measuring a policy alone (no workload model): pCPUs
 * take turns; each turn charges the running vCPU `stepNs`, sometimes blocks it and wakes an
 * earlier-blocked one, then asks `pickNext`. The default step (2 ms) is longer than the
 * credit/credit2 rate limits, so every decision goes through the queues. Returns a function that makes `decisions`
 * decisions per call, for {@link measureRate}-style benches.
 */
export function decisionLoop(policy: SchedulerPolicy, workload: Workload, stepNs = 2e6): (decisions: number) => number {
  const nP = workload.pcpus;
  let nV = 0;
  for (const vm of workload.vms) nV += vm.vcpus;
  const vcpuVm = new Int32Array(nV);
  let v = 0;
  workload.vms.forEach((vm, m) => {
    for (let i = 0; i < vm.vcpus; i++) vcpuVm[v++] = m;
  });
  policy.attach({ pcpuCount: nP, vms: vmParamsOf(workload), vcpuVm, tickle() {} });
  for (let i = 0; i < nV; i++) policy.wake(i, 0);
  const current = new Int32Array(nP).fill(-1);
  const blocked = new Int32Array(nV);
  let blockedHead = 0;
  let blockedTail = 0;
  const d = new Decision();
  let now = 0;
  let turn = 0;
  return (decisions: number): number => {
    for (let i = 0; i < decisions; i++, turn++) {
      const p = turn % nP;
      if (p === 0) now += stepNs;
      const cur = current[p]!;
      if (cur >= 0) {
        policy.account(cur, stepNs, now);
        if (turn % 5 === 0) {
          policy.block(cur, now);
          blocked[blockedTail++ % nV] = cur;
        }
      }
      if (turn % 5 === 2 && blockedHead < blockedTail) policy.wake(blocked[blockedHead++ % nV]!, now);
      while (policy.nextTimer() <= now) policy.timer(policy.nextTimer());
      policy.pickNext(p, now, d);
      current[p] = d.vcpu;
    }
    return decisions;
  };
}
