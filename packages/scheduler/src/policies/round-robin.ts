import { FifoLists } from '../structures/fifo-lists.ts';
import { PolicyBase, V_BLOCKED, V_RUNNABLE, V_RUNNING } from '../policy/policy-base.ts';
import type { Decision, SchedulerPolicy } from '../policy/scheduler-policy.ts';

/** Options of {@link RoundRobinPolicy}. */
export interface RoundRobinOptions {
  /** Time slice, ns. Default 10 ms. */
  readonly sliceNs?: number;
}

/**
 * The baseline: one global FIFO of runnable vCPUs, a fixed slice, no weights and no caps.
 * Work-conserving by construction (any idle pCPU takes the head of the queue).
 */
export class RoundRobinPolicy extends PolicyBase implements SchedulerPolicy {
  readonly name = 'round-robin';
  private readonly sliceNs: number;
  private queue!: FifoLists;

  constructor(options: RoundRobinOptions = {}) {
    super();
    this.sliceNs = options.sliceNs ?? 10e6;
  }

  protected init(): void {
    this.queue = new FifoLists(1, this.nV);
  }

  wake(v: number): void {
    if (this.vstate[v] !== V_BLOCKED) return;
    this.vstate[v] = V_RUNNABLE;
    this.queue.pushBack(0, v);
    this.claimIdle(this.home[v]!);
  }

  block(v: number): void {
    this.queue.unlink(v);
    this.vstate[v] = V_BLOCKED;
  }

  yield(): void {}

  account(): void {}

  pickNext(p: number, now: number, out: Decision): void {
    const cur = this.current[p]!;
    if (cur >= 0 && this.vstate[cur] === V_RUNNING) {
      this.vstate[cur] = V_RUNNABLE;
      this.queue.pushBack(0, cur);
    }
    const next = this.queue.popFront(0);
    this.dispatch(p, next, now);
    out.vcpu = next;
    out.sliceNs = next >= 0 ? this.sliceNs : Number.POSITIVE_INFINITY;
    if (this.queue.length[0]! > 0) this.claimIdle(-1);
  }

  nextTimer(): number {
    return Number.POSITIVE_INFINITY;
  }

  timer(): void {}

  isThrottled(): boolean {
    return false;
  }
}
