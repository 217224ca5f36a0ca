import { PolicyBase, V_BLOCKED, V_RUNNABLE, V_RUNNING } from '../policy/policy-base.ts';
import type { Decision, SchedulerPolicy } from '../policy/scheduler-policy.ts';
import { FifoLists } from '../structures/fifo-lists.ts';

// Xen sched_credit.c constants. Credits are kept in nanoseconds of pCPU time
// (Xen's 10 credits per ms scaled by 1e5), so "exact accounting" is a plain subtraction.
/** Xen CSCHED_MSECS_PER_TICK: the tick that ends BOOST (and, in sampled mode, charges). */
export const CREDIT_TICK_NS = 10e6;
/** Xen CSCHED_DEFAULT_TSLICE_MS: 30 ms time slice. */
export const CREDIT_TSLICE_NS = 30e6;
/** Xen CSCHED_TICKS_PER_ACCT: credit is handed out every 3 ticks (30 ms). */
export const CREDIT_TICKS_PER_ACCT = 3;
/** Xen sched_ratelimit_us default: a vCPU runs at least 1 ms before being preempted. */
export const CREDIT_RATELIMIT_NS = 1e6;

/** Credit priority OVER: no credit left (Xen CSCHED_PRI_TS_OVER = -2). Higher values run first. */
export const PRI_OVER = 0;
/** Credit priority UNDER: has credit (Xen CSCHED_PRI_TS_UNDER = -1). */
export const PRI_UNDER = 1;
/** Credit priority BOOST: woke while UNDER, until the next tick (Xen CSCHED_PRI_TS_BOOST = 0). */
export const PRI_BOOST = 2;
const PRIS = 3;

/** Options of {@link CreditPolicy}. */
export interface CreditOptions {
  /**
   * `exact` (Xen >= 4.2, default): every ns run is debited. `sampled`: the vCPU running at
   * each 10 ms tick is debited a whole tick, as the original credit scheduler did, which a
   * guest can dodge by halting just before each tick.
   */
  readonly accounting?: 'exact' | 'sampled';
  /** Time slice, ns. Default 30 ms. */
  readonly tsliceNs?: number;
  /** Rate limit, ns. Default 1 ms; 0 disables. */
  readonly ratelimitNs?: number;
}

/**
 * Xen's credit scheduler (sched_credit.c): per-pCPU runqueues ordered BOOST > UNDER > OVER
 * (FIFO within a priority); every 30 ms each active VM receives credit in proportion to
 * weight x active vCPUs, limited by its cap; a vCPU with credit is UNDER, without it OVER;
 * a waking UNDER vCPU is BOOSTed until the next tick; a capped VM whose vCPUs fall below
 * -cap credit is parked until its credit is positive again; an idle or OVER-only pCPU steals
 * better work from its peers.
 */
export class CreditPolicy extends PolicyBase implements SchedulerPolicy {
  readonly name: string;
  private readonly sampled: boolean;
  private readonly tslice: number;
  private readonly ratelimit: number;
  private runq!: FifoLists; // list id = pcpu * PRIS + pri
  private queued!: Int32Array; // per priority, over all pCPUs (skips futile steal scans)
  private credit!: Float64Array;
  private pri!: Int8Array;
  private parked!: Uint8Array;
  private yielded!: Uint8Array;
  private active!: Uint8Array;
  private vmActive!: Int32Array;
  private vmOrder!: number[];
  private tickAt = CREDIT_TICK_NS;
  private tickCount = 0;

  constructor(options: CreditOptions = {}) {
    super();
    this.sampled = options.accounting === 'sampled';
    this.name = this.sampled ? 'credit-sampled' : 'credit';
    this.tslice = options.tsliceNs ?? CREDIT_TSLICE_NS;
    this.ratelimit = options.ratelimitNs ?? CREDIT_RATELIMIT_NS;
  }

  protected init(): void {
    this.runq = new FifoLists(this.nP * PRIS, this.nV);
    this.queued = new Int32Array(PRIS);
    this.credit = new Float64Array(this.nV);
    this.pri = new Int8Array(this.nV).fill(PRI_UNDER);
    this.parked = new Uint8Array(this.nV);
    this.yielded = new Uint8Array(this.nV);
    this.active = new Uint8Array(this.nV);
    const nVm = this.vms.length;
    this.vmActive = new Int32Array(nVm);
    this.vmOrder = Array.from({ length: nVm }, (_, i) => i);
  }

  /** Current credit of a vCPU in ns of pCPU time (for tests and tables). */
  creditOf(v: number): number {
    return this.credit[v]!;
  }

  /** Current priority of a vCPU: {@link PRI_BOOST}, {@link PRI_UNDER} or {@link PRI_OVER}. */
  priorityOf(v: number): number {
    return this.pri[v]!;
  }

  private enqueue(v: number, p: number): void {
    this.runq.pushBack(p * PRIS + this.pri[v]!, v);
    this.queued[this.pri[v]!]!++;
  }

  private dequeue(v: number): void {
    const list = this.runq.listOf[v]!;
    if (list < 0) return;
    this.runq.unlink(v);
    this.queued[list % PRIS]!--;
  }

  private activate(v: number): void {
    if (this.active[v]) return;
    this.active[v] = 1;
    this.vmActive[this.vmOf[v]!]!++;
  }

  wake(v: number): void {
    if (this.vstate[v] !== V_BLOCKED) return;
    this.vstate[v] = V_RUNNABLE;
    // Xen csched_vcpu_wake: an UNDER vCPU that wakes is boosted so I/O-bound guests run at once.
    if (this.pri[v] === PRI_UNDER && !this.parked[v]) this.pri[v] = PRI_BOOST;
    if (this.parked[v]) return;
    this.place(v);
  }

  /** Queues a runnable vCPU: on an idle pCPU if there is one (csched_cpu_pick), else at home. */
  private place(v: number): void {
    const idle = this.claimIdle(this.home[v]!);
    const p = idle >= 0 ? idle : this.home[v]!;
    this.home[v] = p;
    this.enqueue(v, p);
    if (idle >= 0) return;
    // __runq_tickle: preempt the home pCPU if the newcomer has a higher priority.
    const cur = this.current[p]!;
    if (cur < 0 || this.pri[v]! > this.pri[cur]!) this.host.tickle(p);
  }

  block(v: number): void {
    this.dequeue(v);
    this.vstate[v] = V_BLOCKED;
    this.yielded[v] = 0;
  }

  yield(v: number): void {
    this.yielded[v] = 1;
  }

  account(v: number, ranNs: number): void {
    if (this.sampled || ranNs <= 0) return;
    this.credit[v] = this.credit[v]! - ranNs;
    this.activate(v);
  }

  pickNext(p: number, now: number, out: Decision): void {
    const cur = this.current[p]!;
    const curRunnable = cur >= 0 && this.vstate[cur] === V_RUNNING && !this.parked[cur];
    // Rate limit (Xen sched_ratelimit_us): a vCPU keeps a pCPU for at least `ratelimit`.
    if (curRunnable && !this.yielded[cur] && this.ratelimit > 0) {
      const ran = now - this.dispatchedAt[p]!;
      if (ran < this.ratelimit) {
        out.vcpu = cur;
        out.sliceNs = this.ratelimit - ran;
        return;
      }
    }
    if (curRunnable) {
      this.vstate[cur] = V_RUNNABLE;
      this.enqueue(cur, p);
    } else if (cur >= 0 && this.vstate[cur] === V_RUNNING) {
      this.vstate[cur] = V_RUNNABLE; // parked: runnable, but off every runqueue
    }
    let next = this.best(p, cur);
    const localPri = next >= 0 ? this.pri[next]! : -1;
    if (localPri < PRI_UNDER) {
      const stolen = this.steal(p, localPri);
      if (stolen >= 0) next = stolen;
    }
    if (next >= 0) this.dequeue(next);
    if (cur >= 0) this.yielded[cur] = 0;
    this.dispatch(p, next, now);
    out.vcpu = next;
    out.sliceNs = next >= 0 ? this.tslice : this.tickAt - now;
    if (next >= 0 && this.hasIdle() && this.localWaiting(p)) this.claimIdle(-1);
  }

  /** Head of the best non-empty local priority; a yielding `cur` goes behind one other vCPU. */
  private best(p: number, cur: number): number {
    const base = p * PRIS;
    for (let pri = PRI_BOOST; pri >= PRI_OVER; pri--) {
      let h = this.runq.head[base + pri]!;
      if (h >= 0 && h === cur && this.yielded[cur]) {
        const alt = this.runq.next[h]!;
        if (alt >= 0) return alt;
        for (let lower = pri - 1; lower >= PRI_OVER; lower--) {
          const l = this.runq.head[base + lower]!;
          if (l >= 0) return l;
        }
        h = cur;
      }
      if (h >= 0) return h;
    }
    return -1;
  }

  private localWaiting(p: number): boolean {
    const base = p * PRIS;
    return this.runq.length[base]! + this.runq.length[base + 1]! + this.runq.length[base + 2]! > 0;
  }

  /** csched_load_balance: take the best queued vCPU of a peer that beats `localPri`. */
  private steal(p: number, localPri: number): number {
    for (let pri = PRI_BOOST; pri > localPri; pri--) {
      if (this.queued[pri] === 0) continue;
      for (let i = 1; i < this.nP; i++) {
        const peer = (p + i) % this.nP;
        const h = this.runq.head[peer * PRIS + pri]!;
        if (h >= 0) return h;
      }
    }
    return -1;
  }

  nextTimer(): number {
    return this.tickAt;
  }

  timer(now: number): void {
    this.tickAt = now + CREDIT_TICK_NS;
    // csched_tick -> csched_vcpu_acct on each running vCPU.
    for (let p = 0; p < this.nP; p++) {
      const v = this.current[p]!;
      if (v < 0) continue;
      if (this.pri[v] === PRI_BOOST) this.pri[v] = PRI_UNDER;
      if (this.sampled) {
        this.credit[v] = this.credit[v]! - CREDIT_TICK_NS;
        this.activate(v);
      }
    }
    if (++this.tickCount % CREDIT_TICKS_PER_ACCT === 0) this.acct();
  }

  /** csched_acct: hand out credit_total = 30 ms per pCPU to active VMs by weight, within caps. */
  private acct(): void {
    const perAcct = CREDIT_TICK_NS * CREDIT_TICKS_PER_ACCT;
    let weightTotal = 0;
    for (let m = 0; m < this.vms.length; m++) weightTotal += this.vms[m]!.weight * this.vmActive[m]!;
    if (weightTotal === 0) return;
    let creditTotal = perAcct * this.nP;
    let weightLeft = weightTotal;
    const order = this.vmOrder;
    for (let i = 0; i < order.length; i++) {
      const m = order[i]!;
      const active = this.vmActive[m]!;
      if (active === 0) continue;
      const weight = this.vms[m]!.weight;
      const cap = this.vms[m]!.capPercent;
      weightLeft -= weight * active;
      let creditPeak = active * perAcct;
      const creditCap = cap > 0 ? Math.ceil((cap * perAcct) / 100) : 0;
      if (cap > 0 && creditCap < creditPeak) creditPeak = creditCap;
      let creditFair = Math.ceil((creditTotal * weight * active) / weightTotal);
      if (creditFair > creditPeak) {
        // Give other VMs a chance at the credit this one cannot use.
        if (weightLeft > 0) creditTotal += Math.ceil(((creditFair - creditPeak) * weightTotal) / weightLeft);
        // Xen moves such a VM to the front so its surplus is redistributed next time too.
        if (i > 0) {
          order.splice(i, 1);
          order.unshift(m);
        }
        creditFair = creditPeak;
      }
      const perVcpu = Math.ceil(creditFair / active);
      for (let j = this.vmStart[m]!; j < this.vmStart[m + 1]!; j++) {
        const v = this.vmVcpus[j]!;
        if (!this.active[v]) continue;
        let c = this.credit[v]! + perVcpu;
        if (c < 0) {
          this.setPri(v, PRI_OVER);
          if (cap > 0 && c < -creditCap && !this.parked[v]) this.park(v);
          if (c < -this.tslice) c = -this.tslice;
        } else {
          this.setPri(v, PRI_UNDER);
          if (this.parked[v]) this.unpark(v);
          if (c > this.tslice) {
            // Upper bound: the vCPU stops earning; halve so it restarts a little ahead.
            this.active[v] = 0;
            this.vmActive[m]!--;
            c /= 2;
          }
        }
        this.credit[v] = c;
      }
    }
  }

  private setPri(v: number, pri: number): void {
    if (this.pri[v] === pri) return;
    const list = this.runq.listOf[v]!;
    if (list >= 0) {
      const p = (list / PRIS) | 0;
      this.dequeue(v);
      this.pri[v] = pri;
      this.enqueue(v, p);
    } else {
      this.pri[v] = pri;
    }
  }

  private park(v: number): void {
    this.parked[v] = 1;
    this.dequeue(v);
    if (this.vstate[v] === V_RUNNING) this.host.tickle(this.home[v]!);
  }

  private unpark(v: number): void {
    this.parked[v] = 0;
    if (this.vstate[v] === V_RUNNABLE && this.runq.listOf[v]! < 0) this.place(v);
  }

  isThrottled(v: number): boolean {
    return this.parked[v] === 1;
  }
}
