import { fairShares, jainIndex } from '../metrics/entitlement.ts';
import { LatencyHistogram } from '../metrics/latency-histogram.ts';
import { Decision, SchedulerError, type SchedulerHost, type SchedulerPolicy } from '../policy/scheduler-policy.ts';
import { EventQueue } from './event-queue.ts';
import { Prng } from './prng.ts';
import { type Behaviour, demandOf, validateWorkload, vmParamsOf, type Workload } from './workload.ts';

/** Options of {@link simulate}. */
export interface SimulationOptions {
  /** Virtual time to simulate, ns. */
  readonly durationNs: number;
  /** Record the pCPU timeline between these instants (for {@link renderTimelineSvg}). */
  readonly timeline?: { readonly fromNs: number; readonly toNs: number };
  /** Window over which a cap is checked, ns. Default 1 s. */
  readonly capWindowNs?: number;
}

/** One stretch of a vCPU running on a pCPU. */
export interface TimelineSegment {
  readonly pcpu: number;
  readonly vcpu: number;
  readonly vm: number;
  readonly startNs: number;
  readonly endNs: number;
}

/** Metrics of one VM over a run. */
export interface VmMetrics {
  readonly name: string;
  readonly vcpus: number;
  readonly weight: number;
  readonly capPercent: number;
  /** pCPU time received, ns. */
  readonly runNs: number;
  /** Average pCPUs used: runNs / duration. */
  readonly share: number;
  /** Weighted max-min fair share given the VM's demand and cap, in pCPUs. */
  readonly entitlement: number;
  /** share / entitlement (1 = exactly its due). */
  readonly shareRatio: number;
  /** Time runnable but not running, summed over vCPUs, ns. */
  readonly waitNs: number;
  /** Time spent spinning on a lock held by a sibling, ns. */
  readonly spinNs: number;
  readonly wakeups: number;
  /** Wake-to-run delay quantiles, ns (within 3.1%); max exact. */
  readonly wakeLatencyP50: number;
  readonly wakeLatencyP95: number;
  readonly wakeLatencyP99: number;
  readonly wakeLatencyMax: number;
  /** Cap windows in which the VM used more than its cap plus 1% of a pCPU. */
  readonly capViolations: number;
  /** Periods checked for real-time VMs, and those at whose end a runnable vCPU had not received its budget. */
  readonly periods: number;
  readonly deadlineMisses: number;
  readonly migrations: number;
}

/** Everything a run measured. */
export interface SimulationResult {
  readonly policy: string;
  readonly pcpus: number;
  readonly vcpus: number;
  readonly durationNs: number;
  readonly vms: readonly VmMetrics[];
  /** Jain's index over the VMs' share/entitlement ratios. */
  readonly jain: number;
  readonly contextSwitches: number;
  readonly migrations: number;
  /** pCPU-ns during which a pCPU was idle while a runnable, unthrottled vCPU waited. */
  readonly idleWhileWaitingNs: number;
  /** Calls to pickNext. */
  readonly decisions: number;
  readonly events: number;
  readonly timeline: readonly TimelineSegment[];
}

const BLOCKED = 0;
const WAITING = 1;
const RUNNING = 2;

const EV_STOP = 0;
const EV_TIMER = 1;
const EV_WAKE = 2;
const EV_PERIOD = 3;

const K_CPU = 0;
const K_IO = 1;
const K_LAT = 2;
const K_LOCK = 3;
const K_DODGE = 4;

const PH_OUTSIDE = 0;
const PH_SPIN = 1;
const PH_HOLD = 2;

function kindCode(b: Behaviour): number {
  switch (b.kind) {
    case 'cpu-bound':
      return K_CPU;
    case 'io-bound':
      return K_IO;
    case 'latency-sensitive':
      return K_LAT;
    case 'lock-holder':
      return K_LOCK;
    case 'tick-dodger':
      return K_DODGE;
  }
}

/**
 * Runs `workload` under `policy` for `options.durationNs` of virtual time, deterministically,
 * and measures it. The policy must be fresh (not attached before).
 *
 * @example
 * ```ts
 * const r = simulate(new CreditPolicy(), { pcpus: 1, vms: [
 *   { name: 'a', vcpus: 1, weight: 512, behaviour: { kind: 'cpu-bound' } },
 *   { name: 'b', vcpus: 1, weight: 256, behaviour: { kind: 'cpu-bound' } },
 * ] }, { durationNs: 10e9 });
 * r.vms[0].share / r.vms[1].share; // ≈ 2
 * ```
 */
export function simulate(policy: SchedulerPolicy, workload: Workload, options: SimulationOptions): SimulationResult {
  return new Simulation(policy, workload, options).run();
}

class Simulation {
  private readonly policy: SchedulerPolicy;
  private readonly workload: Workload;
  private readonly duration: number;
  private readonly capWindow: number;
  private readonly timelineFrom: number;
  private readonly timelineTo: number;
  private readonly behaviours: Behaviour[];
  private readonly queue = new EventQueue();
  private readonly decision = new Decision();
  private readonly prng: Prng;
  private now = 0;

  // vCPU state
  private readonly nV: number;
  private readonly vmOf: Int32Array;
  private readonly kind: Int8Array;
  private readonly state: Int8Array;
  private readonly pcpuOf: Int32Array;
  private readonly lastPcpu: Int32Array;
  private readonly remaining: Float64Array;
  private readonly phase: Int8Array;
  private readonly spun: Float64Array;
  private readonly wakeTime: Float64Array;
  private readonly waitSince: Float64Array;
  private readonly wakeGen: Int32Array;
  private readonly runNs: Float64Array;
  private readonly waitNs: Float64Array;
  private readonly spinNs: Float64Array;
  private readonly periodRan: Float64Array;
  private readonly latOffset: Float64Array;

  // pCPU state
  private readonly nP: number;
  private readonly current: Int32Array;
  private readonly lastOn: Int32Array;
  private readonly chargedAt: Float64Array;
  private readonly sliceEnd: Float64Array;
  private readonly gen: Int32Array;
  private readonly segStart: Float64Array;
  private readonly pending: Int32Array;
  private readonly pendingFlag: Uint8Array;
  private pendingCount = 0;

  // VM state
  private readonly vmFirst: Int32Array;
  private readonly vmCount: Int32Array;
  private readonly lockOwner: Int32Array;
  private readonly hist: LatencyHistogram[];
  private readonly wakeups: Float64Array;
  private readonly vmMigrations: Float64Array;
  private readonly misses: Float64Array;
  private readonly periods: Float64Array;
  private readonly windowUse: Float64Array;
  private readonly windows: number;

  private idleCount: number;
  private waitingCount = 0;
  private idleWhileWaiting = 0;
  private lastT = 0;
  private contextSwitches = 0;
  private migrations = 0;
  private decisions = 0;
  private events = 0;
  private timerAt = Number.POSITIVE_INFINITY;
  private timerGen = 0;
  private readonly timeline: TimelineSegment[] = [];

  constructor(policy: SchedulerPolicy, workload: Workload, options: SimulationOptions) {
    validateWorkload(workload);
    if (!(options.durationNs > 0) || !Number.isFinite(options.durationNs)) {
      throw new SchedulerError(
        'invalid-params',
        `durationNs must be a positive finite number, got ${options.durationNs}`,
      );
    }
    this.policy = policy;
    this.workload = workload;
    this.duration = options.durationNs;
    this.capWindow = options.capWindowNs ?? 1e9;
    this.timelineFrom = options.timeline?.fromNs ?? Number.POSITIVE_INFINITY;
    this.timelineTo = options.timeline?.toNs ?? Number.NEGATIVE_INFINITY;
    this.prng = new Prng(workload.seed ?? 1);
    this.behaviours = workload.vms.map((v) => v.behaviour);
    const nVm = workload.vms.length;
    let nV = 0;
    for (const vm of workload.vms) nV += vm.vcpus;
    this.nV = nV;
    this.vmOf = new Int32Array(nV);
    this.kind = new Int8Array(nV);
    this.vmFirst = new Int32Array(nVm);
    this.vmCount = new Int32Array(nVm);
    let v = 0;
    for (let m = 0; m < nVm; m++) {
      const spec = workload.vms[m]!;
      this.vmFirst[m] = v;
      this.vmCount[m] = spec.vcpus;
      for (let i = 0; i < spec.vcpus; i++, v++) {
        this.vmOf[v] = m;
        this.kind[v] = kindCode(spec.behaviour);
      }
    }
    this.state = new Int8Array(nV);
    this.pcpuOf = new Int32Array(nV).fill(-1);
    this.lastPcpu = new Int32Array(nV).fill(-1);
    this.remaining = new Float64Array(nV);
    this.phase = new Int8Array(nV);
    this.spun = new Float64Array(nV);
    this.wakeTime = new Float64Array(nV).fill(-1);
    this.waitSince = new Float64Array(nV);
    this.wakeGen = new Int32Array(nV);
    this.runNs = new Float64Array(nV);
    this.waitNs = new Float64Array(nV);
    this.spinNs = new Float64Array(nV);
    this.periodRan = new Float64Array(nV);
    this.latOffset = new Float64Array(nV);

    const nP = workload.pcpus;
    this.nP = nP;
    this.current = new Int32Array(nP).fill(-1);
    this.lastOn = new Int32Array(nP).fill(-1);
    this.chargedAt = new Float64Array(nP);
    this.sliceEnd = new Float64Array(nP).fill(Number.POSITIVE_INFINITY);
    this.gen = new Int32Array(nP);
    this.segStart = new Float64Array(nP);
    this.pending = new Int32Array(nP);
    this.pendingFlag = new Uint8Array(nP);
    this.idleCount = nP;

    this.lockOwner = new Int32Array(nVm).fill(-1);
    this.hist = workload.vms.map(() => new LatencyHistogram());
    this.wakeups = new Float64Array(nVm);
    this.vmMigrations = new Float64Array(nVm);
    this.misses = new Float64Array(nVm);
    this.periods = new Float64Array(nVm);
    this.windows = Math.max(1, Math.ceil(this.duration / this.capWindow));
    this.windowUse = new Float64Array(nVm * this.windows);
  }

  run(): SimulationResult {
    const host: SchedulerHost = {
      pcpuCount: this.nP,
      vms: vmParamsOf(this.workload),
      vcpuVm: this.vmOf,
      tickle: (p: number) => this.tickle(p),
    };
    this.policy.attach(host);
    const params = host.vms;

    // Initial wakes: CPU-bound and lock-holding vCPUs at 0, the others at a seeded phase.
    for (let v = 0; v < this.nV; v++) {
      const b = this.behaviours[this.vmOf[v]!]!;
      let at = 0;
      if (b.kind === 'io-bound') at = Math.floor(this.prng.next() * b.sleepNs);
      else if (b.kind === 'latency-sensitive') {
        this.latOffset[v] = Math.floor(this.prng.next() * b.periodNs);
        at = this.latOffset[v]!;
      }
      if (at === 0) this.wake(v);
      else this.queue.push(at, EV_WAKE, v, this.wakeGen[v]!);
      const p = params[this.vmOf[v]!]!;
      if (p.periodNs > 0) this.queue.push(p.periodNs, EV_PERIOD, v, 0);
    }
    for (let p = 0; p < this.nP; p++) this.tickle(p);
    this.drain();
    this.armTimer();

    const q = this.queue;
    while (q.size > 0 && q.peekTime() <= this.duration) {
      q.pop();
      const t = q.outTime;
      this.advance(t);
      this.events++;
      const target = q.outTarget;
      switch (q.outKind) {
        case EV_STOP:
          if (q.outGen === this.gen[target]) this.onStop(target);
          break;
        case EV_TIMER:
          if (q.outGen === this.timerGen) {
            this.timerAt = Number.POSITIVE_INFINITY;
            for (let p = 0; p < this.nP; p++) if (this.current[p]! >= 0) this.charge(p);
            this.policy.timer(t);
          }
          break;
        case EV_WAKE:
          if (q.outGen === this.wakeGen[target] && this.state[target] === BLOCKED) this.wake(target);
          break;
        case EV_PERIOD:
          this.onPeriod(target, params[this.vmOf[target]!]!.budgetNs, params[this.vmOf[target]!]!.periodNs);
          break;
      }
      this.drain();
      this.armTimer();
    }
    this.advance(this.duration);
    for (let p = 0; p < this.nP; p++) {
      if (this.current[p]! >= 0) this.charge(p);
      this.closeSegment(p);
    }
    for (let v = 0; v < this.nV; v++) {
      if (this.state[v] === WAITING) this.waitNs[v] = this.waitNs[v]! + (this.duration - this.waitSince[v]!);
    }
    return this.result();
  }

  private tickle(p: number): void {
    if (p < 0 || p >= this.nP) throw new SchedulerError('bad-state', `tickle of unknown pCPU ${p}`);
    if (this.pendingFlag[p]) return;
    this.pendingFlag[p] = 1;
    this.pending[this.pendingCount++] = p;
  }

  private drain(): void {
    let guard = 0;
    while (this.pendingCount > 0) {
      const p = this.pending[--this.pendingCount]!;
      this.pendingFlag[p] = 0;
      if (this.current[p]! >= 0) this.charge(p);
      this.resched(p);
      if (++guard > 100 * this.nP + 1000)
        throw new SchedulerError('bad-state', 'policy keeps tickling pCPUs at one instant');
    }
  }

  private armTimer(): void {
    const at = this.policy.nextTimer();
    if (at === this.timerAt) return;
    this.timerAt = at;
    this.timerGen++;
    if (Number.isFinite(at)) this.queue.push(Math.max(at, this.now), EV_TIMER, 0, this.timerGen);
  }

  /** Integrates the idle-while-waiting metric over [lastT, t). */
  private advance(t: number): void {
    const dt = t - this.lastT;
    if (dt > 0 && this.idleCount > 0 && this.waitingCount > 0) {
      let eligible = 0;
      for (let v = 0; v < this.nV && eligible < this.idleCount; v++) {
        if (this.state[v] === WAITING && !this.policy.isThrottled(v)) eligible++;
      }
      this.idleWhileWaiting += Math.min(eligible, this.idleCount) * dt;
    }
    this.lastT = t;
    this.now = t;
  }

  /** Brings the running vCPU's progress and the policy's accounting up to now. */
  private charge(p: number): void {
    const v = this.current[p]!;
    const now = this.now;
    const ran = now - this.chargedAt[p]!;
    this.chargedAt[p] = now;
    if (ran > 0) {
      this.runNs[v] = this.runNs[v]! + ran;
      this.periodRan[v] = this.periodRan[v]! + ran;
      if (this.phase[v] === PH_SPIN) {
        this.spinNs[v] = this.spinNs[v]! + ran;
        this.spun[v] = this.spun[v]! + ran;
      } else {
        this.remaining[v] = this.remaining[v]! - ran;
      }
      this.addWindowUse(this.vmOf[v]!, now - ran, now);
    }
    this.policy.account(v, ran, now);
  }

  private addWindowUse(vm: number, from: number, to: number): void {
    const w = this.capWindow;
    const base = vm * this.windows;
    let a = from;
    while (a < to) {
      const idx = Math.min(this.windows - 1, Math.floor(a / w));
      const end = Math.min(to, (idx + 1) * w);
      this.windowUse[base + idx] = this.windowUse[base + idx]! + (end - a);
      if (end <= a) break;
      a = end;
    }
  }

  private wake(v: number): void {
    const now = this.now;
    this.state[v] = WAITING;
    this.waitSince[v] = now;
    this.waitingCount++;
    this.wakeTime[v] = now;
    const vm = this.vmOf[v]!;
    this.wakeups[vm]!++;
    const b = this.behaviours[vm]!;
    switch (b.kind) {
      case 'cpu-bound':
        this.remaining[v] = Number.POSITIVE_INFINITY;
        break;
      case 'io-bound':
        this.remaining[v] = Math.max(1, Math.round(b.runNs * this.jitter(b.jitter)));
        break;
      case 'latency-sensitive':
        this.remaining[v] = b.runNs;
        break;
      case 'lock-holder':
        this.phase[v] = PH_OUTSIDE;
        this.remaining[v] = b.outsideNs;
        break;
      case 'tick-dodger':
        this.remaining[v] = Number.POSITIVE_INFINITY; // set at each dispatch
        break;
    }
    this.policy.wake(v, now);
  }

  private jitter(j: number | undefined): number {
    return j ? 1 - j + 2 * j * this.prng.next() : 1;
  }

  private resched(p: number): void {
    const now = this.now;
    const old = this.current[p]!;
    const d = this.decision;
    this.policy.pickNext(p, now, d);
    this.decisions++;
    const n = d.vcpu;
    if (n !== old) {
      if (n >= 0 && (n >= this.nV || this.state[n] !== WAITING)) {
        throw new SchedulerError(
          'bad-state',
          `${this.policy.name} picked vCPU ${n} for pCPU ${p}, but it is ${n >= this.nV ? 'unknown' : ['blocked', 'waiting', `running on pCPU ${this.pcpuOf[n]}`][this.state[n]!]}`,
        );
      }
      if (old >= 0) {
        if (this.state[old] === RUNNING) {
          this.state[old] = WAITING;
          this.waitSince[old] = now;
          this.waitingCount++;
        }
        this.pcpuOf[old] = -1;
        this.closeSegment(p);
      } else {
        this.idleCount--;
      }
      if (n >= 0) {
        this.state[n] = RUNNING;
        this.waitingCount--;
        this.waitNs[n] = this.waitNs[n]! + (now - this.waitSince[n]!);
        this.pcpuOf[n] = p;
        const vm = this.vmOf[n]!;
        if (this.wakeTime[n]! >= 0) {
          this.hist[vm]!.record(now - this.wakeTime[n]!);
          this.wakeTime[n] = -1;
        }
        if (this.lastOn[p] !== n) this.contextSwitches++;
        this.lastOn[p] = n;
        const lp = this.lastPcpu[n]!;
        if (lp >= 0 && lp !== p) {
          this.migrations++;
          this.vmMigrations[vm]!++;
        }
        this.lastPcpu[n] = p;
        this.chargedAt[p] = now;
        this.segStart[p] = now;
        this.onDispatch(n);
      } else {
        this.idleCount++;
      }
      this.current[p] = n;
    }
    const slice = d.sliceNs;
    this.sliceEnd[p] = Number.isFinite(slice) ? now + Math.max(1, Math.ceil(slice)) : Number.POSITIVE_INFINITY;
    this.armStop(p);
  }

  private onDispatch(v: number): void {
    const b = this.behaviours[this.vmOf[v]!]!;
    if (b.kind === 'lock-holder') {
      const vm = this.vmOf[v]!;
      if (this.phase[v] === PH_SPIN && this.lockOwner[vm]! < 0) this.acquire(v, vm, b.holdNs);
    } else if (b.kind === 'tick-dodger') {
      const stopAt = (Math.floor(this.now / b.tickNs) + 1) * b.tickNs - b.marginNs;
      this.remaining[v] = Math.max(0, stopAt - this.now);
    }
  }

  private acquire(v: number, vm: number, holdNs: number): void {
    this.lockOwner[vm] = v;
    this.phase[v] = PH_HOLD;
    this.remaining[v] = holdNs;
  }

  private armStop(p: number): void {
    const g = ++this.gen[p]!;
    const v = this.current[p]!;
    let at = this.sliceEnd[p]!;
    if (v >= 0) {
      let left = this.remaining[v]!;
      if (this.phase[v] === PH_SPIN) {
        const b = this.behaviours[this.vmOf[v]!]!;
        const ple = b.kind === 'lock-holder' && b.spinYieldNs !== undefined ? b.spinYieldNs : Number.POSITIVE_INFINITY;
        left = Math.max(0, ple - this.spun[v]!);
      }
      const burstEnd = this.chargedAt[p]! + left;
      if (burstEnd < at) at = burstEnd;
    }
    if (at < Number.POSITIVE_INFINITY) this.queue.push(at, EV_STOP, p, g);
  }

  private onStop(p: number): void {
    const v = this.current[p]!;
    if (v < 0) {
      this.resched(p);
      return;
    }
    this.charge(p);
    const now = this.now;
    const vm = this.vmOf[v]!;
    const b = this.behaviours[vm]!;
    const k = this.kind[v]!;
    const spinning = this.phase[v] === PH_SPIN;
    const burstDone = spinning
      ? b.kind === 'lock-holder' && b.spinYieldNs !== undefined && this.spun[v]! >= b.spinYieldNs
      : this.remaining[v]! <= 0;
    if (!burstDone) {
      this.resched(p);
      return;
    }
    switch (k) {
      case K_IO: {
        const io = b as Extract<Behaviour, { kind: 'io-bound' }>;
        this.blockUntil(p, v, now + Math.max(1, Math.round(io.sleepNs * this.jitter(io.jitter))));
        return;
      }
      case K_LAT: {
        const lat = b as Extract<Behaviour, { kind: 'latency-sensitive' }>;
        const off = this.latOffset[v]!;
        const next = off + (Math.floor((now - off) / lat.periodNs) + 1) * lat.periodNs;
        this.blockUntil(p, v, next);
        return;
      }
      case K_DODGE: {
        const d = b as Extract<Behaviour, { kind: 'tick-dodger' }>;
        this.blockUntil(p, v, (Math.floor(now / d.tickNs) + 1) * d.tickNs + d.marginNs);
        return;
      }
      case K_LOCK: {
        const lk = b as Extract<Behaviour, { kind: 'lock-holder' }>;
        if (spinning) {
          // PAUSE-loop exit: give the pCPU away, keep spinning when next dispatched.
          this.spun[v] = 0;
          this.policy.yield(v, now);
          this.resched(p);
          return;
        }
        if (this.phase[v] === PH_OUTSIDE) {
          if (this.lockOwner[vm]! < 0) this.acquire(v, vm, lk.holdNs);
          else {
            this.phase[v] = PH_SPIN;
            this.spun[v] = 0;
          }
        } else {
          this.lockOwner[vm] = -1;
          this.phase[v] = PH_OUTSIDE;
          this.remaining[v] = Math.max(1, Math.round(lk.outsideNs * this.jitter(lk.jitter)));
          this.handOver(v, vm, lk.holdNs);
        }
        if (now < this.sliceEnd[p]!) this.armStop(p);
        else this.resched(p);
        return;
      }
      default:
        this.resched(p);
    }
  }

  /** A released lock goes to a spinning sibling that is running now, if any. */
  private handOver(releaser: number, vm: number, holdNs: number): void {
    const first = this.vmFirst[vm]!;
    const count = this.vmCount[vm]!;
    const start = releaser - first;
    for (let i = 1; i < count; i++) {
      const s = first + ((start + i) % count);
      if (this.phase[s] === PH_SPIN && this.state[s] === RUNNING) {
        const q = this.pcpuOf[s]!;
        this.charge(q);
        this.acquire(s, vm, holdNs);
        this.armStop(q);
        return;
      }
    }
  }

  private blockUntil(p: number, v: number, wakeAt: number): void {
    this.state[v] = BLOCKED;
    this.policy.block(v, this.now);
    const g = ++this.wakeGen[v]!;
    this.queue.push(wakeAt, EV_WAKE, v, g);
    this.resched(p);
  }

  private onPeriod(v: number, budget: number, period: number): void {
    const p = this.pcpuOf[v]!;
    if (p >= 0) this.charge(p);
    if (this.state[v] !== BLOCKED) {
      const vm = this.vmOf[v]!;
      this.periods[vm]!++;
      // 1 ns of slack absorbs the rounding of slices to whole nanoseconds.
      if (this.periodRan[v]! < budget - 1) this.misses[vm]!++;
    }
    this.periodRan[v] = 0;
    this.queue.push(this.now + period, EV_PERIOD, v, 0);
  }

  private closeSegment(p: number): void {
    const v = this.current[p]!;
    if (v < 0) return;
    const start = Math.max(this.segStart[p]!, this.timelineFrom);
    const end = Math.min(this.now, this.timelineTo);
    if (end > start) this.timeline.push({ pcpu: p, vcpu: v, vm: this.vmOf[v]!, startNs: start, endNs: end });
  }

  private result(): SimulationResult {
    const w = this.workload;
    const params = vmParamsOf(w);
    const entitlement = fairShares(
      w.pcpus,
      w.vms.map((vm, i) => {
        const p = params[i]!;
        let limit = vm.vcpus * demandOf(vm.behaviour);
        if (p.capPercent > 0) limit = Math.min(limit, p.capPercent / 100);
        return { weight: p.weight * vm.vcpus, limit };
      }),
    );
    const fullWindows = Math.floor(this.duration / this.capWindow);
    const vms: VmMetrics[] = w.vms.map((vm, m) => {
      let run = 0;
      let wait = 0;
      let spin = 0;
      for (let v = this.vmFirst[m]!; v < this.vmFirst[m]! + this.vmCount[m]!; v++) {
        run += this.runNs[v]!;
        wait += this.waitNs[v]!;
        spin += this.spinNs[v]!;
      }
      let capViolations = 0;
      const cap = params[m]!.capPercent;
      if (cap > 0) {
        for (let i = 0; i < fullWindows; i++) {
          if (this.windowUse[m * this.windows + i]! / this.capWindow > cap / 100 + 0.01) capViolations++;
        }
      }
      const share = run / this.duration;
      const ent = entitlement[m]!;
      const h = this.hist[m]!;
      return {
        name: vm.name,
        vcpus: vm.vcpus,
        weight: params[m]!.weight,
        capPercent: cap,
        runNs: run,
        share,
        entitlement: ent,
        shareRatio: ent > 0 ? share / ent : 0,
        waitNs: wait,
        spinNs: spin,
        wakeups: this.wakeups[m]!,
        wakeLatencyP50: h.quantile(0.5),
        wakeLatencyP95: h.quantile(0.95),
        wakeLatencyP99: h.quantile(0.99),
        wakeLatencyMax: h.max,
        capViolations,
        periods: this.periods[m]!,
        deadlineMisses: this.misses[m]!,
        migrations: this.vmMigrations[m]!,
      };
    });
    return {
      policy: this.policy.name,
      pcpus: this.nP,
      vcpus: this.nV,
      durationNs: this.duration,
      vms,
      jain: jainIndex(vms.filter((v) => v.entitlement > 0).map((v) => v.shareRatio)),
      contextSwitches: this.contextSwitches,
      migrations: this.migrations,
      idleWhileWaitingNs: this.idleWhileWaiting,
      decisions: this.decisions,
      events: this.events,
      timeline: this.timeline,
    };
  }
}
