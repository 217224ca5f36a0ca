import { PolicyBase, V_BLOCKED, V_RUNNABLE, V_RUNNING } from '../policy/policy-base.ts';
import { type Decision, SchedulerError, type SchedulerHost, type SchedulerPolicy } from '../policy/scheduler-policy.ts';

/** Options of {@link GangPolicy}. */
export interface GangOptions {
  /** Length of a gang slot, ns. Default 30 ms. */
  readonly slotNs?: number;
}

/**
 * Strict co-scheduling (gang scheduling): time is cut into slots; for each slot whole VMs
 * are chosen, every vCPU of a chosen VM gets a pCPU for the whole slot, and no VM runs with
 * only part of its vCPUs. VMs are chosen by stride scheduling over VM passes (a VM's pass
 * advances by slot/weight each time it is chosen, so it is chosen in proportion to its
 * weight and receives weight x vCPUs of capacity), packing greedily in pass order. A pCPU
 * reserved for a halted sibling stays idle: that is the price of the rule, and the
 * simulator's idle-while-waiting metric does not count it (`isThrottled`).
 */
export class GangPolicy extends PolicyBase implements SchedulerPolicy {
  readonly name = 'gang';
  private readonly slotNs: number;
  private pass!: Float64Array;
  private assigned!: Int32Array; // pCPU -> vCPU for this slot, -1
  private chosen!: Uint8Array; // VM chosen this slot
  private slotEnd = 0;

  constructor(options: GangOptions = {}) {
    super();
    this.slotNs = options.slotNs ?? 30e6;
  }

  protected init(): void {
    for (let m = 0; m < this.vms.length; m++) {
      const size = this.vmStart[m + 1]! - this.vmStart[m]!;
      if (size > this.nP) {
        throw new SchedulerError(
          'invalid-params',
          `gang scheduling: VM ${m} has ${size} vCPUs but the machine has ${this.nP} pCPUs`,
        );
      }
    }
    this.pass = new Float64Array(this.vms.length);
    this.assigned = new Int32Array(this.nP).fill(-1);
    this.chosen = new Uint8Array(this.vms.length);
  }

  private runnableVm(m: number): boolean {
    for (let i = this.vmStart[m]!; i < this.vmStart[m + 1]!; i++)
      if (this.vstate[this.vmVcpus[i]!] !== V_BLOCKED) return true;
    return false;
  }

  private choose(now: number): void {
    this.slotEnd = now + this.slotNs;
    this.assigned.fill(-1);
    this.chosen.fill(0);
    const order: number[] = [];
    let minPass = Number.POSITIVE_INFINITY;
    for (let m = 0; m < this.vms.length; m++) {
      if (!this.runnableVm(m)) continue;
      order.push(m);
      minPass = Math.min(minPass, this.pass[m]!);
    }
    order.sort((a, b) => this.pass[a]! - this.pass[b]! || a - b);
    let free = this.nP;
    let next = 0;
    for (const m of order) {
      const size = this.vmStart[m + 1]! - this.vmStart[m]!;
      if (size > free) continue;
      this.chosen[m] = 1;
      this.pass[m] = this.pass[m]! + this.slotNs / this.vms[m]!.weight;
      for (let i = this.vmStart[m]!; i < this.vmStart[m + 1]!; i++) {
        const v = this.vmVcpus[i]!;
        // Keep a vCPU on its previous pCPU when that is free, to limit migrations.
        const prev = this.home[v]!;
        let p = prev;
        if (this.assigned[p]! >= 0) {
          while (this.assigned[next]! >= 0) next++;
          p = next;
        }
        this.assigned[p] = v;
      }
      free -= size;
    }
    // A VM that was not runnable must not bank passes: bring it up to the pack.
    if (Number.isFinite(minPass))
      for (let m = 0; m < this.vms.length; m++) this.pass[m] = Math.max(this.pass[m]!, minPass - this.slotNs);
  }

  wake(v: number): void {
    if (this.vstate[v] !== V_BLOCKED) return;
    this.vstate[v] = V_RUNNABLE;
    for (let p = 0; p < this.nP; p++) {
      if (this.assigned[p] === v && this.current[p] !== v) {
        this.host.tickle(p);
        return;
      }
    }
  }

  block(v: number): void {
    this.vstate[v] = V_BLOCKED;
  }

  yield(): void {}

  account(): void {}

  pickNext(p: number, now: number, out: Decision): void {
    const cur = this.current[p]!;
    if (cur >= 0 && this.vstate[cur] === V_RUNNING) this.vstate[cur] = V_RUNNABLE;
    const v = this.assigned[p]!;
    const next = v >= 0 && this.vstate[v] === V_RUNNABLE ? v : -1;
    this.dispatch(p, next, now);
    out.vcpu = next;
    out.sliceNs = Math.max(1, this.slotEnd - now);
  }

  nextTimer(): number {
    return this.slotEnd;
  }

  timer(now: number): void {
    this.choose(now);
    for (let p = 0; p < this.nP; p++) this.host.tickle(p);
  }

  isThrottled(v: number): boolean {
    return !this.chosen[this.vmOf[v]!];
  }
}

/** Options of {@link RelaxedCoschedulingPolicy}. */
export interface RelaxedCoschedulingOptions {
  /** Most a vCPU may run ahead of a waiting sibling before it is co-stopped, ns. Default 3 ms. */
  readonly maxSkewNs?: number;
}

/**
 * Relaxed co-scheduling (VMware ESX style) around any policy: vCPUs are scheduled one by one
 * by `inner`, but the wrapper tracks each vCPU's progress (time run); a vCPU that is ahead of
 * a sibling which wants to run but is not running (co-stopped or queued) by more than
 * `maxSkewNs` is co-stopped (reported to `inner` as blocked) until the laggard catches up,
 * runs or halts. So siblings
 * of an SMP guest never drift far apart, while a halted sibling costs nothing.
 */
export class RelaxedCoschedulingPolicy implements SchedulerPolicy {
  readonly name: string;
  private readonly inner: SchedulerPolicy;
  private readonly maxSkew: number;
  private host!: SchedulerHost;
  private progress!: Float64Array;
  private wants!: Uint8Array; // the guest wants to run (woken, not halted)
  private running!: Uint8Array;
  private costopped!: Uint8Array;
  private onPcpu!: Int32Array;
  private vmStart!: Int32Array;
  private vmVcpus!: Int32Array;

  constructor(inner: SchedulerPolicy, options: RelaxedCoschedulingOptions = {}) {
    this.inner = inner;
    this.maxSkew = options.maxSkewNs ?? 3e6;
    this.name = `${inner.name}+relaxed-cosched`;
  }

  attach(host: SchedulerHost): void {
    this.host = host;
    const n = host.vcpuVm.length;
    this.progress = new Float64Array(n);
    this.wants = new Uint8Array(n);
    this.running = new Uint8Array(n);
    this.costopped = new Uint8Array(n);
    this.onPcpu = new Int32Array(host.pcpuCount).fill(-1);
    const nVm = host.vms.length;
    this.vmStart = new Int32Array(nVm + 1);
    for (let v = 0; v < n; v++) this.vmStart[host.vcpuVm[v]! + 1]!++;
    for (let m = 0; m < nVm; m++) this.vmStart[m + 1] = this.vmStart[m + 1]! + this.vmStart[m]!;
    this.vmVcpus = new Int32Array(n);
    const fill = this.vmStart.slice(0, nVm);
    for (let v = 0; v < n; v++) this.vmVcpus[fill[host.vcpuVm[v]!]!++] = v;
    this.inner.attach(host);
  }

  /** Whether a vCPU is currently co-stopped. */
  isCostopped(v: number): boolean {
    return this.costopped[v] === 1;
  }

  wake(v: number, now: number): void {
    this.wants[v] = 1;
    // Coming back from a halt, a vCPU does not owe its siblings the time it slept.
    this.progress[v] = Math.max(this.progress[v]!, this.maxProgress(v) - this.maxSkew);
    if (!this.costopped[v]) this.inner.wake(v, now);
    this.review(v, now);
  }

  block(v: number, now: number): void {
    this.wants[v] = 0;
    if (!this.costopped[v]) this.inner.block(v, now);
    this.costopped[v] = 0;
    this.review(v, now);
  }

  yield(v: number, now: number): void {
    this.inner.yield(v, now);
  }

  account(v: number, ranNs: number, now: number): void {
    this.progress[v] = this.progress[v]! + ranNs;
    this.inner.account(v, ranNs, now);
  }

  pickNext(p: number, now: number, out: Decision): void {
    const old = this.onPcpu[p]!;
    if (old >= 0) {
      this.running[old] = 0;
      // A running vCPU that got too far ahead stops here; siblings no longer ahead restart.
      if (this.wants[old] && !this.costopped[old] && this.tooFarAhead(old)) {
        this.costopped[old] = 1;
        this.inner.block(old, now);
      }
      this.review(old, now);
    }
    // The inner pick may itself lead a waiting sibling too far: co-stop it and ask again.
    for (;;) {
      this.inner.pickNext(p, now, out);
      const v = out.vcpu;
      if (v < 0 || !this.tooFarAhead(v)) break;
      this.costopped[v] = 1;
      this.inner.block(v, now);
    }
    this.onPcpu[p] = out.vcpu;
    if (out.vcpu >= 0) {
      const v = out.vcpu;
      this.running[v] = 1;
      // Stop in time to re-check: when the lead over the slowest waiting sibling would pass the bound.
      const laggard = this.slowestWaiting(v);
      const allowance = laggard >= 0 ? this.maxSkew - (this.progress[v]! - this.progress[laggard]!) : this.maxSkew;
      out.sliceNs = Math.min(out.sliceNs, Math.max(1, allowance));
    }
    // `old` may now wait: running siblings must re-check their lead over it.
    if (old >= 0 && old !== out.vcpu && this.wants[old]) this.tickleRunningSiblings(old, p);
  }

  nextTimer(): number {
    return this.inner.nextTimer();
  }

  timer(now: number): void {
    this.inner.timer(now);
  }

  isThrottled(v: number): boolean {
    return this.costopped[v] === 1 || this.inner.isThrottled(v);
  }

  private slowestWaiting(v: number): number {
    const m = this.host.vcpuVm[v]!;
    let best = -1;
    for (let i = this.vmStart[m]!; i < this.vmStart[m + 1]!; i++) {
      const s = this.vmVcpus[i]!;
      if (s === v || !this.wants[s] || this.running[s]) continue;
      if (best < 0 || this.progress[s]! < this.progress[best]!) best = s;
    }
    return best;
  }

  private maxProgress(v: number): number {
    const m = this.host.vcpuVm[v]!;
    let max = 0;
    for (let i = this.vmStart[m]!; i < this.vmStart[m + 1]!; i++) max = Math.max(max, this.progress[this.vmVcpus[i]!]!);
    return max;
  }

  private tooFarAhead(v: number): boolean {
    const laggard = this.slowestWaiting(v);
    return laggard >= 0 && this.progress[v]! - this.progress[laggard]! > this.maxSkew;
  }

  private tickleRunningSiblings(v: number, except: number): void {
    const m = this.host.vcpuVm[v]!;
    for (let i = this.vmStart[m]!; i < this.vmStart[m + 1]!; i++) {
      const s = this.vmVcpus[i]!;
      if (s === v || !this.running[s]) continue;
      for (let p = 0; p < this.onPcpu.length; p++) if (this.onPcpu[p] === s && p !== except) this.host.tickle(p);
    }
  }

  /** After a sibling of `v` changed state: restart co-stopped siblings that no longer lead. */
  private review(v: number, now: number): void {
    const m = this.host.vcpuVm[v]!;
    for (let i = this.vmStart[m]!; i < this.vmStart[m + 1]!; i++) {
      const s = this.vmVcpus[i]!;
      if (this.costopped[s] && !this.tooFarAhead(s)) {
        this.costopped[s] = 0;
        if (this.wants[s]) this.inner.wake(s, now);
      }
    }
  }
}
