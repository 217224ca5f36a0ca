/**
 * The contract between a scheduling policy and whoever drives it: the simulator in this
 * package, or the hypervisor (see README "Integration contract"). vCPUs, VMs and pCPUs are
 * dense integer ids so a policy can keep its state in typed arrays; time is virtual
 * nanoseconds as a plain number (integral, below 2^50).
 */

/** Scheduling parameters of one VM. Every vCPU of the VM shares them. */
export interface VmParams {
  /** Proportional-share weight (Xen default 256). Applies to each vCPU of the VM. */
  readonly weight: number;
  /** Cap in percent of one pCPU for the whole VM (200 = two pCPUs); 0 means uncapped. */
  readonly capPercent: number;
  /** Real-time reservation per vCPU (RTDS): budget in ns per period; 0 when not real-time. */
  readonly budgetNs: number;
  /** Real-time period per vCPU in ns (RTDS); 0 when not real-time. */
  readonly periodNs: number;
  /** RTDS: may run beyond its budget when no vCPU with budget is waiting. */
  readonly extratime: boolean;
}

/** What a policy is told about the machine it schedules, and how it asks for preemption. */
export interface SchedulerHost {
  /** Number of pCPUs, ids `0 .. pcpuCount-1`. */
  readonly pcpuCount: number;
  /** Parameters of each VM, indexed by VM id. */
  readonly vms: readonly VmParams[];
  /** The VM id of each vCPU, indexed by vCPU id; its length is the vCPU count. */
  readonly vcpuVm: Int32Array;
  /**
   * Asks the driver to call {@link SchedulerPolicy.pickNext} on `pcpu` now (after it has
   * accounted the vCPU running there). The hypervisor implements it with an IPI that forces
   * a VM exit on that pCPU; the simulator reschedules the pCPU at the current instant.
   */
  tickle(pcpu: number): void;
}

/** A caller-owned output of {@link SchedulerPolicy.pickNext}, filled in place (no allocation). */
export class Decision {
  /** The vCPU to run, or {@link IDLE} to leave the pCPU idle. */
  vcpu = -1;
  /** How long it may run before the driver calls `pickNext` again, in ns; `Infinity` = until an event. */
  sliceNs = Number.POSITIVE_INFINITY;
}

/** `Decision.vcpu` value meaning: run nothing, halt the pCPU until tickled or a timer. */
export const IDLE = -1;

/**
 * A vCPU scheduling policy. The driver owns the clock and the vCPUs' behaviour; the policy
 * owns the queues. Call order the driver guarantees:
 *
 * - every vCPU starts **blocked**; `wake` makes it runnable;
 * - when a running vCPU stops for any reason (slice over, tickle, block, yield, timer) the
 *   driver first calls `account(vcpu, ranNs, now)` for the time since its last charge;
 * - then `block` (the vCPU halted) or `yield` (it gave up the pCPU), if that is why it stopped;
 * - then `pickNext(pcpu, now, out)`. The vCPU that was running on `pcpu`, if still runnable,
 *   is a candidate again: the policy requeues it or keeps it;
 * - before `timer(now)` the driver accounts every running vCPU up to `now`.
 */
export interface SchedulerPolicy {
  /** A short name for tables: `credit`, `credit2`, `rtds`, `eevdf`, `round-robin`. */
  readonly name: string;
  /** Binds the policy to a machine and its vCPUs. Called once, before anything else. */
  attach(host: SchedulerHost): void;
  /** A blocked vCPU becomes runnable (an interrupt arrived for a halted vCPU). */
  wake(vcpu: number, now: number): void;
  /** A vCPU (normally the running one) stops being runnable (HLT). */
  block(vcpu: number, now: number): void;
  /** The running vCPU gives up its pCPU but stays runnable (PAUSE-loop exit, yield hypercall). */
  yield(vcpu: number, now: number): void;
  /** Charges `ranNs` of pCPU time to `vcpu`, which ran up to `now`. */
  account(vcpu: number, ranNs: number, now: number): void;
  /** Chooses what `pcpu` runs next and for how long. Must never return a vCPU running elsewhere. */
  pickNext(pcpu: number, now: number, out: Decision): void;
  /** Absolute time of the policy's next periodic event (`Infinity` if none). */
  nextTimer(): number;
  /** Runs the periodic event due at `now` (credit distribution, replenishment, balancing). */
  timer(now: number): void;
  /**
   * True when the policy holds a runnable vCPU back on purpose (cap reached, budget
   * depleted): the simulator excludes such vCPUs from its work-conservation metric.
   */
  isThrottled(vcpu: number): boolean;
}

/** Error codes of {@link SchedulerError}. */
export type SchedulerErrorCode = 'invalid-workload' | 'invalid-params' | 'not-attached' | 'bad-state';

/** Thrown on API misuse (bad parameters, events out of order); never for scheduling outcomes. */
export class SchedulerError extends Error {
  readonly code: SchedulerErrorCode;
  constructor(code: SchedulerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SchedulerError';
    this.code = code;
  }
}
