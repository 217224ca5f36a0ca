import { SchedulerError, type SchedulerHost, type VmParams } from './scheduler-policy.ts';

/** A vCPU as a policy sees it. */
export const V_BLOCKED = 0;
export const V_RUNNABLE = 1;
export const V_RUNNING = 2;

/**
 * The bookkeeping every built-in policy shares: which vCPU each pCPU runs, each vCPU's
 * state, and the set of idle pCPUs (so a wake can claim one in O(1)). Not exported from the
 * package: users implement {@link SchedulerPolicy} directly.
 */
export abstract class PolicyBase {
  protected host!: SchedulerHost;
  protected vms: readonly VmParams[] = [];
  protected vmOf: Int32Array = new Int32Array(0);
  protected nV = 0;
  protected nP = 0;
  /** vCPU running on each pCPU, -1 when idle. */
  protected current: Int32Array = new Int32Array(0);
  /** When the current vCPU of each pCPU was dispatched. */
  protected dispatchedAt: Float64Array = new Float64Array(0);
  protected vstate: Int8Array = new Int8Array(0);
  /** The pCPU each vCPU last ran on (its home runqueue where a policy has per-pCPU queues). */
  protected home: Int32Array = new Int32Array(0);
  /** vCPUs of VM m are `vmVcpus[vmStart[m] .. vmStart[m+1])`. */
  protected vmStart: Int32Array = new Int32Array(0);
  protected vmVcpus: Int32Array = new Int32Array(0);
  private idleList: Int32Array = new Int32Array(0);
  private idlePos: Int32Array = new Int32Array(0);
  private idleCount = 0;

  attach(host: SchedulerHost): void {
    if (this.nP !== 0) throw new SchedulerError('bad-state', 'a policy instance can be attached once');
    this.host = host;
    this.vms = host.vms;
    this.vmOf = host.vcpuVm;
    this.nV = host.vcpuVm.length;
    this.nP = host.pcpuCount;
    this.current = new Int32Array(this.nP).fill(-1);
    this.dispatchedAt = new Float64Array(this.nP);
    this.vstate = new Int8Array(this.nV);
    this.home = new Int32Array(this.nV);
    for (let v = 0; v < this.nV; v++) this.home[v] = v % this.nP;
    const nVm = this.vms.length;
    this.vmStart = new Int32Array(nVm + 1);
    for (let v = 0; v < this.nV; v++) this.vmStart[this.vmOf[v]! + 1]!++;
    for (let m = 0; m < nVm; m++) this.vmStart[m + 1] = this.vmStart[m + 1]! + this.vmStart[m]!;
    this.vmVcpus = new Int32Array(this.nV);
    const fill = this.vmStart.slice(0, nVm);
    for (let v = 0; v < this.nV; v++) this.vmVcpus[fill[this.vmOf[v]!]!++] = v;
    this.idleList = new Int32Array(this.nP);
    this.idlePos = new Int32Array(this.nP);
    for (let p = 0; p < this.nP; p++) {
      this.idleList[p] = p;
      this.idlePos[p] = p;
    }
    this.idleCount = this.nP;
    this.init();
  }

  /** Policy-specific set-up after attach. */
  protected abstract init(): void;

  protected weightOf(v: number): number {
    return this.vms[this.vmOf[v]!]!.weight;
  }

  protected isIdle(p: number): boolean {
    return this.idlePos[p]! < this.idleCount && this.idleList[this.idlePos[p]!] === p;
  }

  protected hasIdle(): boolean {
    return this.idleCount > 0;
  }

  protected markIdle(p: number): void {
    if (this.isIdle(p)) return;
    const i = this.idleCount++;
    const displaced = this.idleList[i]!;
    const from = this.idlePos[p]!;
    this.idleList[from] = displaced;
    this.idlePos[displaced] = from;
    this.idleList[i] = p;
    this.idlePos[p] = i;
  }

  protected markBusy(p: number): void {
    if (!this.isIdle(p)) return;
    const i = --this.idleCount;
    const last = this.idleList[i]!;
    const from = this.idlePos[p]!;
    this.idleList[from] = last;
    this.idlePos[last] = from;
    this.idleList[i] = p;
    this.idlePos[p] = i;
  }

  /**
   * Takes an idle pCPU (preferring `preferred` if it is idle), tickles it and returns it, or
   * returns -1. A claimed pCPU is no longer idle, so two wakes at one instant claim two pCPUs.
   */
  protected claimIdle(preferred: number): number {
    if (this.idleCount === 0) return -1;
    const p = preferred >= 0 && this.isIdle(preferred) ? preferred : this.idleList[this.idleCount - 1]!;
    this.markBusy(p);
    this.host.tickle(p);
    return p;
  }

  /** Records the pick of `v` (or idle) for `p`. */
  protected dispatch(p: number, v: number, now: number): void {
    const old = this.current[p]!;
    if (old >= 0 && old !== v && this.vstate[old] === V_RUNNING) this.vstate[old] = V_RUNNABLE;
    this.current[p] = v;
    if (v >= 0) {
      if (v !== old) this.dispatchedAt[p] = now;
      this.vstate[v] = V_RUNNING;
      this.home[v] = p;
      this.markBusy(p);
    } else {
      this.markIdle(p);
    }
  }
}
