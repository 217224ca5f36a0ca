import { PolicyBase, V_BLOCKED, V_RUNNABLE, V_RUNNING } from '../policy/policy-base.ts';
import type { Decision, SchedulerPolicy } from '../policy/scheduler-policy.ts';
import { IndexedHeap } from '../structures/indexed-heap.ts';

/** Xen RTDS_DEFAULT_PERIOD: the period of a VM without a reservation. */
export const RTDS_DEFAULT_PERIOD_NS = 10e6;
/** Xen RTDS_DEFAULT_BUDGET: the budget of a VM without a reservation. */
export const RTDS_DEFAULT_BUDGET_NS = 4e6;

// Runqueue key: priority level first, then deadline. Deadlines stay below 2^50 ns (13 days).
const LEVEL_STRIDE = 2 ** 50;

/**
 * Xen's RTDS scheduler (sched_rt.c): each vCPU is a deferrable server with a budget per
 * period; one global runqueue in earliest-deadline-first order; at each deadline the budget
 * is refilled and the deadline moves on by whole periods; a vCPU that used its budget waits
 * for its refill, unless it has `extratime`, in which case it is refilled at once one
 * priority level lower and runs only when no vCPU of a better level waits. A waking vCPU
 * preempts the running vCPU with the latest deadline, or takes an idle pCPU.
 */
export class RtdsPolicy extends PolicyBase implements SchedulerPolicy {
  readonly name = 'rtds';
  private budget!: Float64Array;
  private period!: Float64Array;
  private extratime!: Uint8Array;
  private curBudget!: Float64Array;
  private deadline!: Float64Array;
  private level!: Int32Array;
  private runq!: IndexedHeap;
  private replq!: IndexedHeap;

  protected init(): void {
    const n = this.nV;
    this.budget = new Float64Array(n);
    this.period = new Float64Array(n);
    this.extratime = new Uint8Array(n);
    this.curBudget = new Float64Array(n);
    this.deadline = new Float64Array(n);
    this.level = new Int32Array(n);
    for (let v = 0; v < n; v++) {
      const vm = this.vms[this.vmOf[v]!]!;
      const rt = vm.periodNs > 0;
      this.period[v] = rt ? vm.periodNs : RTDS_DEFAULT_PERIOD_NS;
      this.budget[v] = rt ? vm.budgetNs : RTDS_DEFAULT_BUDGET_NS;
      this.extratime[v] = vm.extratime ? 1 : 0;
      this.curBudget[v] = this.budget[v]!;
      this.deadline[v] = this.period[v]!;
    }
    this.runq = new IndexedHeap(new Float64Array(n), new Int32Array(n).fill(-1), 64);
    this.replq = new IndexedHeap(new Float64Array(n), new Int32Array(n).fill(-1), 64);
  }

  private key(v: number): number {
    return this.level[v]! * LEVEL_STRIDE + this.deadline[v]!;
  }

  /** Absolute deadline of a vCPU's current period, ns. */
  deadlineOf(v: number): number {
    return this.deadline[v]!;
  }

  /** rt_update_deadline: move past `now` by whole periods and refill. */
  private replenish(v: number, now: number): void {
    const p = this.period[v]!;
    if (now >= this.deadline[v]!) {
      const count = Math.floor((now - this.deadline[v]!) / p) + 1;
      this.deadline[v] = this.deadline[v]! + count * p;
    }
    this.curBudget[v] = this.budget[v]!;
    this.level[v] = 0;
  }

  private hasWork(v: number): boolean {
    return this.curBudget[v]! > 0 || this.extratime[v] === 1;
  }

  wake(v: number, now: number): void {
    if (this.vstate[v] !== V_BLOCKED) return;
    this.vstate[v] = V_RUNNABLE;
    if (now >= this.deadline[v]!) this.replenish(v, now);
    this.replq.push(v, this.deadline[v]!);
    if (this.hasWork(v)) {
      this.runq.push(v, this.key(v));
      this.tickleFor(v);
    }
  }

  /** runq_tickle: an idle pCPU, else the pCPU running the latest deadline if ours is earlier. */
  private tickleFor(v: number): void {
    if (this.claimIdle(this.home[v]!) >= 0) return;
    let victim = -1;
    let latest = this.key(v);
    for (let p = 0; p < this.nP; p++) {
      const cur = this.current[p]!;
      if (cur >= 0 && this.key(cur) > latest) {
        latest = this.key(cur);
        victim = p;
      }
    }
    if (victim >= 0) this.host.tickle(victim);
  }

  block(v: number): void {
    this.runq.remove(v);
    this.replq.remove(v);
    this.vstate[v] = V_BLOCKED;
  }

  yield(): void {}

  account(v: number, ranNs: number): void {
    if (ranNs <= 0) return;
    const left = this.curBudget[v]! - ranNs;
    if (left <= 0 && this.extratime[v]) {
      // Extra time: refill at once, one priority level down (burn_budget in sched_rt.c).
      this.level[v]!++;
      this.curBudget[v] = this.budget[v]!;
    } else {
      this.curBudget[v] = Math.max(0, left);
    }
  }

  pickNext(p: number, now: number, out: Decision): void {
    const cur = this.current[p]!;
    if (cur >= 0 && this.vstate[cur] === V_RUNNING) {
      this.vstate[cur] = V_RUNNABLE;
      if (this.hasWork(cur)) this.runq.push(cur, this.key(cur));
    }
    const next = this.runq.pop();
    this.dispatch(p, next, now);
    out.vcpu = next;
    out.sliceNs = next >= 0 ? this.curBudget[next]! : Number.POSITIVE_INFINITY;
    if (this.runq.size > 0 && this.hasIdle()) this.claimIdle(-1);
  }

  nextTimer(): number {
    return this.replq.size > 0 ? this.keyOfReplTop() : Number.POSITIVE_INFINITY;
  }

  private keyOfReplTop(): number {
    return this.deadline[this.replq.peek()]!;
  }

  /** The replenishment timer: refill every vCPU whose deadline has come. */
  timer(now: number): void {
    while (this.replq.size > 0 && this.keyOfReplTop() <= now) {
      const v = this.replq.pop();
      const wasDepleted = !this.hasWork(v);
      this.replenish(v, now);
      this.replq.push(v, this.deadline[v]!);
      if (this.vstate[v] === V_RUNNABLE) {
        if (this.runq.has(v)) this.runq.update(v, this.key(v));
        else if (wasDepleted) this.runq.push(v, this.key(v));
        this.tickleFor(v);
      } else if (this.vstate[v] === V_RUNNING) {
        // Its slice was its old budget; reschedule so the new budget and deadline count.
        this.host.tickle(this.home[v]!);
      }
    }
  }

  isThrottled(v: number): boolean {
    return !this.hasWork(v);
  }
}
