import { PolicyBase, V_BLOCKED, V_RUNNABLE, V_RUNNING } from '../policy/policy-base.ts';
import type { Decision, SchedulerPolicy } from '../policy/scheduler-policy.ts';
import { IndexedHeap } from '../structures/indexed-heap.ts';

// Xen sched_credit2.c constants (credit is in ns, as in Xen).
/** CSCHED2_CREDIT_INIT: credit a vCPU gets at each reset. */
export const CREDIT2_INIT_NS = 10e6;
/** CSCHED2_MIN_TIMER: shortest slice. */
export const CREDIT2_MIN_TIMER_NS = 500e3;
/** CSCHED2_MAX_TIMER (= CREDIT_INIT): longest slice. */
export const CREDIT2_MAX_TIMER_NS = 10e6;
/** CSCHED2_CARRYOVER_MAX (= MIN_TIMER): credit a vCPU may carry over a reset. */
export const CREDIT2_CARRYOVER_MAX_NS = 500e3;
/** CSCHED2_BDGT_REPL_PERIOD: caps are enforced through a VM budget refilled every 10 ms. */
export const CREDIT2_BUDGET_PERIOD_NS = 10e6;

/** Options of {@link Credit2Policy}. */
export interface Credit2Options {
  /** pCPUs per runqueue (Xen groups them by core/socket). Default 8. */
  readonly pcpusPerRunqueue?: number;
  /** Rate limit, ns (Xen sched_ratelimit_us). Default 1 ms; 0 disables. */
  readonly ratelimitNs?: number;
}

/**
 * Xen's credit2 scheduler (sched_credit2.c): per-runqueue (a set of pCPUs) queues ordered by
 * credit; running burns credit at `maxWeight / weight` ns per ns, so heavier vCPUs burn
 * slower; when the vCPU chosen next has no credit left, every vCPU of the runqueue gets
 * m x CREDIT_INIT more (clipped to CREDIT_INIT + CARRYOVER_MAX, running vCPUs burned up to
 * the reset first); the slice runs until the chosen vCPU's credit
 * would fall to the next one's, within [0.5 ms, 10 ms]; a waking vCPU preempts the running
 * vCPU with least credit if it has more; caps are a per-VM budget of cap% x 10 ms refilled
 * every 10 ms, vCPUs of a VM without budget are parked. Deviations: the burn uses the
 * machine-wide maximum weight; balancing is "place on an idle runqueue at wake, pull when
 * idle" instead of Xen's load-average push/pull.
 */
export class Credit2Policy extends PolicyBase implements SchedulerPolicy {
  readonly name = 'credit2';
  private readonly perRq: number;
  private readonly ratelimit: number;
  private rqCount = 0;
  private rqOf!: Int32Array; // vCPU -> runqueue
  private heaps!: IndexedHeap[]; // key = -credit (max-heap by credit)
  private keys!: Float64Array;
  private credit!: Float64Array;
  private maxWeight = 1;
  private yielded!: Uint8Array;
  /** Time burned at a reset ahead of the driver's next `account` of a running vCPU. */
  private burnedAhead!: Float64Array;
  private accountedAt!: Float64Array;
  private parked!: Uint8Array;
  private budget!: Float64Array; // per VM, ns left in this period
  private capped!: Uint8Array;
  private hasCaps = false;
  private replAt = Number.POSITIVE_INFINITY;

  constructor(options: Credit2Options = {}) {
    super();
    this.perRq = options.pcpusPerRunqueue ?? 8;
    this.ratelimit = options.ratelimitNs ?? 1e6;
  }

  protected init(): void {
    this.rqCount = Math.ceil(this.nP / this.perRq);
    this.keys = new Float64Array(this.nV);
    const positions = new Int32Array(this.nV).fill(-1);
    this.heaps = Array.from({ length: this.rqCount }, () => new IndexedHeap(this.keys, positions));
    this.rqOf = new Int32Array(this.nV);
    this.credit = new Float64Array(this.nV).fill(CREDIT2_INIT_NS);
    this.yielded = new Uint8Array(this.nV);
    this.burnedAhead = new Float64Array(this.nV);
    this.accountedAt = new Float64Array(this.nV);
    this.parked = new Uint8Array(this.nV);
    for (let v = 0; v < this.nV; v++) {
      this.rqOf[v] = this.rqOfPcpu(this.home[v]!);
      this.maxWeight = Math.max(this.maxWeight, this.weightOf(v));
    }
    this.budget = new Float64Array(this.vms.length);
    this.capped = new Uint8Array(this.vms.length);
    for (let m = 0; m < this.vms.length; m++) {
      if (this.vms[m]!.capPercent > 0) {
        this.capped[m] = 1;
        this.hasCaps = true;
        this.budget[m] = (this.vms[m]!.capPercent / 100) * CREDIT2_BUDGET_PERIOD_NS;
      }
    }
    if (this.hasCaps) this.replAt = CREDIT2_BUDGET_PERIOD_NS;
  }

  private rqOfPcpu(p: number): number {
    return Math.floor(p / this.perRq);
  }

  /** Credit of a vCPU, ns (tests, tables). */
  creditOf(v: number): number {
    return this.credit[v]!;
  }

  private enqueue(v: number): void {
    this.heaps[this.rqOf[v]!]!.push(v, -this.credit[v]!);
  }

  private dequeue(v: number): void {
    this.heaps[this.rqOf[v]!]!.remove(v);
  }

  wake(v: number): void {
    if (this.vstate[v] !== V_BLOCKED) return;
    this.vstate[v] = V_RUNNABLE;
    if (this.parked[v]) return;
    this.place(v);
  }

  private place(v: number): void {
    // Prefer an idle pCPU of the home runqueue, then any idle pCPU (csched2_res_pick).
    const homeRq = this.rqOf[v]!;
    let idle = -1;
    const first = homeRq * this.perRq;
    const end = Math.min(this.nP, first + this.perRq);
    for (let p = first; p < end && idle < 0; p++) if (this.isIdle(p)) idle = p;
    if (idle < 0 && this.hasIdle()) idle = this.claimIdle(-1);
    else if (idle >= 0) this.claimIdle(idle);
    if (idle >= 0) {
      this.rqOf[v] = this.rqOfPcpu(idle);
      this.enqueue(v);
      return;
    }
    this.enqueue(v);
    // runq_tickle: preempt the pCPU of this runqueue whose vCPU has least credit, if we have more.
    let victim = -1;
    let least = this.credit[v]!;
    for (let p = first; p < end; p++) {
      const cur = this.current[p]!;
      if (cur >= 0 && this.credit[cur]! < least) {
        least = this.credit[cur]!;
        victim = p;
      }
    }
    if (victim >= 0) this.host.tickle(victim);
  }

  block(v: number): void {
    this.dequeue(v);
    this.vstate[v] = V_BLOCKED;
    this.yielded[v] = 0;
  }

  yield(v: number): void {
    this.yielded[v] = 1;
  }

  account(v: number, ranNs: number, now: number): void {
    this.accountedAt[v] = now;
    if (this.burnedAhead[v]! > 0) {
      const ahead = Math.min(ranNs, this.burnedAhead[v]!);
      this.burnedAhead[v] = 0;
      ranNs -= ahead;
    }
    if (ranNs <= 0) return;
    this.burn(v, ranNs);
  }

  private burn(v: number, ranNs: number): void {
    // t2c: credit burns at maxWeight/weight per ns, so shares follow weights.
    this.credit[v] = this.credit[v]! - (ranNs * this.maxWeight) / this.weightOf(v);
    const m = this.vmOf[v]!;
    if (this.capped[m]) {
      this.budget[m] = this.budget[m]! - ranNs;
      if (this.budget[m]! <= 0) this.parkVm(m);
    }
  }

  private parkVm(m: number): void {
    for (let i = this.vmStart[m]!; i < this.vmStart[m + 1]!; i++) {
      const v = this.vmVcpus[i]!;
      if (this.parked[v]) continue;
      this.parked[v] = 1;
      this.dequeue(v);
      if (this.vstate[v] === V_RUNNING) this.host.tickle(this.home[v]!);
    }
  }

  pickNext(p: number, now: number, out: Decision): void {
    const cur = this.current[p]!;
    const curRunnable = cur >= 0 && this.vstate[cur] === V_RUNNING && !this.parked[cur];
    if (curRunnable && !this.yielded[cur] && this.ratelimit > 0) {
      const ran = now - this.dispatchedAt[p]!;
      if (ran < this.ratelimit) {
        out.vcpu = cur;
        out.sliceNs = this.ratelimit - ran;
        return;
      }
    }
    const rq = this.rqOfPcpu(p);
    const heap = this.heaps[rq]!;
    if (curRunnable) {
      this.vstate[cur] = V_RUNNABLE;
      this.rqOf[cur] = rq;
      this.enqueue(cur);
    } else if (cur >= 0 && this.vstate[cur] === V_RUNNING) {
      this.vstate[cur] = V_RUNNABLE;
    }
    let next = heap.pop();
    if (next >= 0 && next === cur && this.yielded[cur] && heap.size > 0) {
      const alt = heap.pop();
      this.enqueue(cur);
      next = alt;
    }
    if (next < 0) next = this.pull(rq);
    if (cur >= 0) this.yielded[cur] = 0;
    if (next >= 0 && this.credit[next]! <= 0) this.resetCredit(rq, next, now);
    this.dispatch(p, next, now);
    out.vcpu = next;
    if (next < 0) {
      out.sliceNs = Number.POSITIVE_INFINITY;
      return;
    }
    // csched2_runtime: run until our credit falls to the next vCPU's, in [MIN_TIMER, MAX_TIMER].
    const runnerUp = heap.peek();
    const creditGap = runnerUp >= 0 ? this.credit[next]! - this.credit[runnerUp]! : this.credit[next]!;
    let slice = (creditGap * this.weightOf(next)) / this.maxWeight;
    slice = Math.min(CREDIT2_MAX_TIMER_NS, Math.max(CREDIT2_MIN_TIMER_NS, slice));
    const m = this.vmOf[next]!;
    if (this.capped[m]) slice = Math.max(1, Math.min(slice, this.budget[m]!));
    out.sliceNs = slice;
    if (heap.size > 0 && this.hasIdle()) this.claimIdle(-1);
  }

  /** An idle runqueue pulls the best vCPU of the runqueue with most waiting. */
  private pull(rq: number): number {
    let best = -1;
    let most = 0;
    for (let r = 0; r < this.rqCount; r++) {
      if (r !== rq && this.heaps[r]!.size > most) {
        most = this.heaps[r]!.size;
        best = r;
      }
    }
    if (best < 0) return -1;
    const v = this.heaps[best]!.pop();
    this.rqOf[v] = rq;
    return v;
  }

  /** reset_credit: every vCPU of the runqueue gets m x CREDIT_INIT, clipped to INIT + CARRYOVER_MAX. */
  private resetCredit(rq: number, snext: number, now: number): void {
    // Burn what the vCPUs running on this runqueue's other pCPUs have used so far.
    const firstP = rq * this.perRq;
    const endP = Math.min(this.nP, firstP + this.perRq);
    for (let p = firstP; p < endP; p++) {
      const cur = this.current[p]!;
      if (cur < 0 || cur === snext || this.vstate[cur] !== V_RUNNING) continue;
      const since = Math.max(this.dispatchedAt[p]!, this.accountedAt[cur]!);
      const ahead = now - since - this.burnedAhead[cur]!;
      if (ahead > 0) {
        this.burn(cur, ahead);
        this.burnedAhead[cur] = this.burnedAhead[cur]! + ahead;
      }
    }
    let m = 1;
    const c = this.credit[snext]!;
    if (c < -CREDIT2_INIT_NS) m += Math.floor(-c / CREDIT2_INIT_NS);
    const add = m * CREDIT2_INIT_NS;
    const heap = this.heaps[rq]!;
    for (let v = 0; v < this.nV; v++) {
      if (this.rqOf[v] !== rq) continue;
      this.credit[v] = Math.min(CREDIT2_INIT_NS + CREDIT2_CARRYOVER_MAX_NS, this.credit[v]! + add);
      // The transform is monotone, so the heap order survives an in-place key update.
      if (heap.has(v)) this.keys[v] = -this.credit[v]!;
    }
  }

  nextTimer(): number {
    return this.replAt;
  }

  timer(now: number): void {
    this.replAt = now + CREDIT2_BUDGET_PERIOD_NS;
    for (let m = 0; m < this.vms.length; m++) {
      if (!this.capped[m]) continue;
      // Unused budget does not carry over; debt does (Xen's budget can go negative).
      this.budget[m] = Math.min(this.budget[m]!, 0) + (this.vms[m]!.capPercent / 100) * CREDIT2_BUDGET_PERIOD_NS;
      if (this.budget[m]! > 0) this.unparkVm(m);
    }
  }

  private unparkVm(m: number): void {
    for (let i = this.vmStart[m]!; i < this.vmStart[m + 1]!; i++) {
      const v = this.vmVcpus[i]!;
      if (!this.parked[v]) continue;
      this.parked[v] = 0;
      if (this.vstate[v] === V_RUNNABLE) this.place(v);
    }
  }

  isThrottled(v: number): boolean {
    return this.parked[v] === 1;
  }
}
