import { PolicyBase, V_BLOCKED, V_RUNNABLE, V_RUNNING } from '../policy/policy-base.ts';
import type { Decision, SchedulerPolicy } from '../policy/scheduler-policy.ts';

/** Weight whose virtual time runs at wall speed (our NICE_0_LOAD: Xen's default weight). */
const REF_WEIGHT = 256;
/** Linux TICK_NSEC at HZ=250: the floor of the lag clamp. */
export const EEVDF_TICK_NS = 4e6;
/** Linux sysctl_sched_base_slice before scaling: 0.75 ms. */
export const EEVDF_BASE_SLICE_NS = 750e3;

/** Options of {@link EevdfPolicy}. */
export interface EevdfOptions {
  /**
   * Request size (slice), ns. Default as Linux: 0.75 ms x (1 + log2(min(pCPUs, 8)))
   * (SCHED_TUNABLESCALING_LOG).
   */
  readonly sliceNs?: number;
  /** Period of the load balancer that evens runqueue lengths, ns. Default 4 ms (one tick). */
  readonly balanceNs?: number;
}

/**
 * Linux's EEVDF (kernel/sched/fair.c, 6.6+), one runqueue per pCPU. Each vCPU has a virtual
 * runtime advancing at `REF/weight` per ns run; the runqueue's average virtual time V is the
 * weight-averaged vruntime of its vCPUs (running one included); a vCPU is eligible when its
 * vruntime is not past V (non-negative lag); among eligible vCPUs the one with the earliest
 * virtual deadline (vruntime + slice x REF/weight, set when a request is issued) runs, until
 * its deadline. A sleeping vCPU keeps its lag (V - vruntime, clamped to
 * ±max(2·slice, tick) in virtual time) and is placed back at V - lag·(W+w)/W. A waking vCPU
 * preempts when it would be picked. An idle pCPU pulls work; a periodic balancer evens queues.
 */
export class EevdfPolicy extends PolicyBase implements SchedulerPolicy {
  readonly name = 'eevdf';
  private sliceNs = 0;
  private readonly sliceOption: number | undefined;
  private readonly balanceNs: number;
  private vruntime!: Float64Array;
  private vdeadline!: Float64Array;
  private vlag!: Float64Array;
  private rqOf!: Int32Array; // runqueue (pCPU) of a queued or running vCPU, -1 when blocked
  private rqPos!: Int32Array;
  private rqs!: number[][]; // vCPUs on each runqueue, running one included
  private rqWeight!: Float64Array;
  /** Σ weight x vruntime over each runqueue, kept incrementally so V costs O(1). */
  private rqWV!: Float64Array;
  private w!: Float64Array;
  private minV!: Float64Array; // V of an empty runqueue: where it stood last
  private balanceAt = 0;

  constructor(options: EevdfOptions = {}) {
    super();
    this.sliceOption = options.sliceNs;
    this.balanceNs = options.balanceNs ?? EEVDF_TICK_NS;
  }

  protected init(): void {
    this.sliceNs = this.sliceOption ?? EEVDF_BASE_SLICE_NS * (1 + Math.floor(Math.log2(Math.min(this.nP, 8))));
    const n = this.nV;
    this.vruntime = new Float64Array(n);
    this.vdeadline = new Float64Array(n);
    this.vlag = new Float64Array(n);
    this.rqOf = new Int32Array(n).fill(-1);
    this.rqPos = new Int32Array(n).fill(-1);
    this.rqs = Array.from({ length: this.nP }, () => []);
    this.rqWeight = new Float64Array(this.nP);
    this.rqWV = new Float64Array(this.nP);
    this.w = new Float64Array(n);
    for (let v = 0; v < n; v++) this.w[v] = this.weightOf(v);
    this.minV = new Float64Array(this.nP);
    this.balanceAt = this.nP > 1 ? this.balanceNs : Number.POSITIVE_INFINITY;
  }

  /** The slice (request size) in use, ns. */
  get slice(): number {
    return this.sliceNs;
  }

  private vslice(v: number): number {
    return (this.sliceNs * REF_WEIGHT) / this.weightOf(v);
  }

  /** avg_vruntime: weight-averaged vruntime of the runqueue. */
  private avgV(rq: number): number {
    const W = this.rqWeight[rq]!;
    return W > 0 ? this.rqWV[rq]! / W : this.minV[rq]!;
  }

  /**
   * The lag of a queued or running vCPU in ns of service: weight/REF x (V - vruntime).
   * Positive means the vCPU is owed time. Zero for a blocked vCPU.
   */
  lagNs(v: number): number {
    const rq = this.rqOf[v]!;
    if (rq < 0) return 0;
    return ((this.avgV(rq) - this.vruntime[v]!) * this.w[v]!) / REF_WEIGHT;
  }

  private addToRq(v: number, rq: number): void {
    const list = this.rqs[rq]!;
    this.rqPos[v] = list.length;
    list.push(v);
    this.rqOf[v] = rq;
    this.rqWeight[rq] = this.rqWeight[rq]! + this.w[v]!;
    this.rqWV[rq] = this.rqWV[rq]! + this.w[v]! * this.vruntime[v]!;
  }

  private removeFromRq(v: number): void {
    const rq = this.rqOf[v]!;
    if (rq < 0) return;
    const list = this.rqs[rq]!;
    const i = this.rqPos[v]!;
    const last = list.pop()!;
    if (last !== v) {
      list[i] = last;
      this.rqPos[last] = i;
    }
    this.rqOf[v] = -1;
    this.rqPos[v] = -1;
    if (list.length === 0) {
      // Resynchronise: no drift survives an empty runqueue.
      this.rqWeight[rq] = 0;
      this.rqWV[rq] = 0;
    } else {
      this.rqWeight[rq] = this.rqWeight[rq]! - this.w[v]!;
      this.rqWV[rq] = this.rqWV[rq]! - this.w[v]! * this.vruntime[v]!;
    }
  }

  /** dequeue_entity: remember the (clamped) lag, leave the runqueue. */
  private detach(v: number): void {
    const rq = this.rqOf[v]!;
    if (rq < 0) return;
    const V = this.avgV(rq);
    const limit = (Math.max(2 * this.sliceNs, EEVDF_TICK_NS) * REF_WEIGHT) / this.weightOf(v);
    this.vlag[v] = Math.max(-limit, Math.min(limit, V - this.vruntime[v]!));
    this.removeFromRq(v);
    if (this.rqs[rq]!.length === 0) this.minV[rq] = V;
  }

  /** place_entity + enqueue_entity: come back at V - lag scaled for the new load. */
  private attachTo(v: number, rq: number): void {
    const V = this.avgV(rq);
    const W = this.rqWeight[rq]!;
    let lag = this.vlag[v]!;
    if (W > 0) lag = (lag * (W + this.weightOf(v))) / W;
    this.vruntime[v] = V - lag;
    this.vdeadline[v] = this.vruntime[v]! + this.vslice(v);
    this.addToRq(v, rq);
  }

  wake(v: number): void {
    if (this.vstate[v] !== V_BLOCKED) return;
    this.vstate[v] = V_RUNNABLE;
    // select_idle_sibling: previous pCPU if idle, else any idle pCPU, else previous.
    const idle = this.claimIdle(this.home[v]!);
    const rq = idle >= 0 ? idle : this.home[v]!;
    this.attachTo(v, rq);
    if (idle >= 0) return;
    // check_preempt_wakeup_fair: preempt if the newcomer is what pick_eevdf would choose now.
    if (this.pick(rq) === v) this.host.tickle(rq);
  }

  block(v: number): void {
    this.detach(v);
    this.vstate[v] = V_BLOCKED;
  }

  yield(v: number): void {
    // yield_task_fair: push the deadline one slice further.
    this.vdeadline[v] = this.vdeadline[v]! + this.vslice(v);
  }

  account(v: number, ranNs: number): void {
    if (ranNs <= 0) return;
    // update_curr + update_deadline.
    const dv = (ranNs * REF_WEIGHT) / this.w[v]!;
    this.vruntime[v] = this.vruntime[v]! + dv;
    const rq = this.rqOf[v]!;
    if (rq >= 0) this.rqWV[rq] = this.rqWV[rq]! + this.w[v]! * dv;
    if (this.vruntime[v]! >= this.vdeadline[v]!) this.vdeadline[v] = this.vruntime[v]! + this.vslice(v);
  }

  /** pick_eevdf: earliest virtual deadline among eligible (vruntime <= V) vCPUs of `rq` not running elsewhere. */
  private pick(rq: number): number {
    const list = this.rqs[rq]!;
    if (list.length === 0) return -1;
    const V = this.avgV(rq);
    let best = -1;
    let bestDl = Number.POSITIVE_INFINITY;
    let fallback = -1;
    let fallbackV = Number.POSITIVE_INFINITY;
    const vr = this.vruntime;
    const dl = this.vdeadline;
    const limit = V + 1e-3;
    for (let i = 0; i < list.length; i++) {
      const v = list[i]!;
      const x = vr[v]!;
      if (x <= limit) {
        if (dl[v]! < bestDl) {
          bestDl = dl[v]!;
          best = v;
        }
      } else if (x < fallbackV) {
        fallbackV = x;
        fallback = v;
      }
    }
    return best >= 0 ? best : fallback;
  }

  pickNext(p: number, now: number, out: Decision): void {
    const cur = this.current[p]!;
    if (cur >= 0 && this.vstate[cur] === V_RUNNING) this.vstate[cur] = V_RUNNABLE;
    let next = this.pick(p);
    if (next < 0) next = this.pullInto(p);
    this.dispatch(p, next, now);
    out.vcpu = next;
    if (next < 0) {
      out.sliceNs = Number.POSITIVE_INFINITY;
      return;
    }
    // Run until the virtual deadline (the end of the current request).
    out.sliceNs = Math.max(1, ((this.vdeadline[next]! - this.vruntime[next]!) * this.weightOf(next)) / REF_WEIGHT);
    if (this.rqs[p]!.length > 1 && this.hasIdle()) this.claimIdle(-1);
  }

  /** newidle_balance: take a waiting vCPU from the longest runqueue. */
  private pullInto(p: number): number {
    let busiest = -1;
    let most = 1;
    for (let q = 0; q < this.nP; q++) {
      const waiting = this.rqs[q]!.length - (this.current[q]! >= 0 ? 1 : 0);
      if (q !== p && waiting >= most) {
        most = waiting;
        busiest = q;
      }
    }
    if (busiest < 0) return -1;
    const v = this.waitingOn(busiest);
    if (v < 0) return -1;
    this.detach(v);
    this.attachTo(v, p);
    return v;
  }

  private waitingOn(rq: number): number {
    const list = this.rqs[rq]!;
    for (let i = list.length - 1; i >= 0; i--) {
      const v = list[i]!;
      if (this.vstate[v] !== V_RUNNING) return v;
    }
    return -1;
  }

  nextTimer(): number {
    return this.balanceAt;
  }

  /** Periodic balance: move waiting vCPUs from the longest to the shortest runqueue until within one. */
  timer(now: number): void {
    this.balanceAt = now + this.balanceNs;
    for (let round = 0; round < this.nP; round++) {
      let maxQ = 0;
      let minQ = 0;
      for (let q = 1; q < this.nP; q++) {
        if (this.rqs[q]!.length > this.rqs[maxQ]!.length) maxQ = q;
        if (this.rqs[q]!.length < this.rqs[minQ]!.length) minQ = q;
      }
      if (this.rqs[maxQ]!.length - this.rqs[minQ]!.length <= 1) return;
      const v = this.waitingOn(maxQ);
      if (v < 0) return;
      this.detach(v);
      this.attachTo(v, minQ);
      this.home[v] = minQ;
      if (this.current[minQ]! < 0) {
        this.markBusy(minQ);
        this.host.tickle(minQ);
      }
    }
  }

  isThrottled(): boolean {
    return false;
  }
}
