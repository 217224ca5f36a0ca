import { SchedulerError, type VmParams } from '../policy/scheduler-policy.ts';

/** Runs without ever blocking. */
export interface CpuBound {
  readonly kind: 'cpu-bound';
}
/** Computes for `runNs`, then sleeps (blocked, e.g. waiting for a disk) for `sleepNs`. */
export interface IoBound {
  readonly kind: 'io-bound';
  readonly runNs: number;
  readonly sleepNs: number;
  /** Each run and sleep is scaled by a factor uniform in [1-jitter, 1+jitter]. Default 0. */
  readonly jitter?: number;
}
/** Woken every `periodNs` (a timer interrupt), computes `runNs`, halts again: its wake-to-run delay is what matters. */
export interface LatencySensitive {
  readonly kind: 'latency-sensitive';
  readonly periodNs: number;
  readonly runNs: number;
}
/**
 * vCPUs of one VM that share a spinlock: `outsideNs` of work, then `holdNs` inside the lock.
 * A vCPU that finds the lock held spins (burns its pCPU without progress) until it is free,
 * so a preempted holder wastes its siblings' time. With `spinYieldNs` the spinner yields after
 * spinning that long (a PAUSE-loop exit).
 */
export interface LockHolder {
  readonly kind: 'lock-holder';
  readonly outsideNs: number;
  readonly holdNs: number;
  readonly spinYieldNs?: number;
  /** Each stretch of outside work is scaled by a factor uniform in [1-jitter, 1+jitter]. Default 0. */
  readonly jitter?: number;
}
/**
 * The sampling attack on tick-based accounting: runs all the time except a window of
 * `marginNs` around each multiple of `tickNs`, when it halts, so a scheduler that charges
 * whoever is running at the tick never charges it.
 */
export interface TickDodger {
  readonly kind: 'tick-dodger';
  readonly tickNs: number;
  readonly marginNs: number;
}

/** What the vCPUs of a VM do, as data. */
export type Behaviour = CpuBound | IoBound | LatencySensitive | LockHolder | TickDodger;

/** One VM of a workload: its scheduling parameters and what its vCPUs do. */
export interface VmSpec {
  readonly name: string;
  readonly vcpus: number;
  readonly behaviour: Behaviour;
  /** Default 256 (Xen's default weight). */
  readonly weight?: number;
  /** Percent of one pCPU for the whole VM; 0 or absent = uncapped. */
  readonly capPercent?: number;
  /** RTDS reservation per vCPU. */
  readonly budgetNs?: number;
  readonly periodNs?: number;
  readonly extratime?: boolean;
}

/** A whole simulated machine and its guests, as plain data (JSON-serialisable). */
export interface Workload {
  readonly pcpus: number;
  readonly vms: readonly VmSpec[];
  /** Seed of the deterministic PRNG used for jitter and start phases. Default 1. */
  readonly seed?: number;
}

/** Default weight, as Xen's credit schedulers. */
export const DEFAULT_WEIGHT = 256;

/** The {@link VmParams} of each VM of a workload, with defaults filled in. */
export function vmParamsOf(workload: Workload): VmParams[] {
  return workload.vms.map((vm) => ({
    weight: vm.weight ?? DEFAULT_WEIGHT,
    capPercent: vm.capPercent ?? 0,
    budgetNs: vm.budgetNs ?? 0,
    periodNs: vm.periodNs ?? 0,
    extratime: vm.extratime ?? false,
  }));
}

/** Long-run fraction of one pCPU a vCPU of this behaviour asks for. */
export function demandOf(b: Behaviour): number {
  switch (b.kind) {
    case 'cpu-bound':
    case 'lock-holder':
      return 1;
    case 'io-bound':
      return b.runNs / (b.runNs + b.sleepNs);
    case 'latency-sensitive':
      return Math.min(1, b.runNs / b.periodNs);
    case 'tick-dodger':
      return (b.tickNs - 2 * b.marginNs) / b.tickNs;
  }
}

function positive(name: string, value: number | undefined, allowZero = false): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new SchedulerError(
      'invalid-workload',
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`,
    );
  }
}

/** Throws a {@link SchedulerError} `invalid-workload` describing the first problem found. */
export function validateWorkload(w: Workload): void {
  if (!Number.isInteger(w.pcpus) || w.pcpus < 1) {
    throw new SchedulerError('invalid-workload', `pcpus must be a positive integer, got ${w.pcpus}`);
  }
  if (w.vms.length === 0) throw new SchedulerError('invalid-workload', 'a workload needs at least one VM');
  for (const vm of w.vms) {
    if (!Number.isInteger(vm.vcpus) || vm.vcpus < 1) {
      throw new SchedulerError('invalid-workload', `VM ${vm.name}: vcpus must be a positive integer`);
    }
    positive(`VM ${vm.name}: weight`, vm.weight);
    positive(`VM ${vm.name}: capPercent`, vm.capPercent, true);
    positive(`VM ${vm.name}: budgetNs`, vm.budgetNs, true);
    positive(`VM ${vm.name}: periodNs`, vm.periodNs, true);
    if ((vm.budgetNs ?? 0) > (vm.periodNs ?? 0)) {
      throw new SchedulerError('invalid-workload', `VM ${vm.name}: budgetNs exceeds periodNs`);
    }
    const b = vm.behaviour;
    switch (b.kind) {
      case 'cpu-bound':
        break;
      case 'io-bound':
        positive(`VM ${vm.name}: runNs`, b.runNs);
        positive(`VM ${vm.name}: sleepNs`, b.sleepNs);
        if (b.jitter !== undefined && !(b.jitter >= 0 && b.jitter < 1)) {
          throw new SchedulerError('invalid-workload', `VM ${vm.name}: jitter must be in [0, 1)`);
        }
        break;
      case 'latency-sensitive':
        positive(`VM ${vm.name}: runNs`, b.runNs);
        positive(`VM ${vm.name}: periodNs`, b.periodNs);
        break;
      case 'lock-holder':
        positive(`VM ${vm.name}: outsideNs`, b.outsideNs);
        positive(`VM ${vm.name}: holdNs`, b.holdNs);
        positive(`VM ${vm.name}: spinYieldNs`, b.spinYieldNs);
        if (b.jitter !== undefined && !(b.jitter >= 0 && b.jitter < 1)) {
          throw new SchedulerError('invalid-workload', `VM ${vm.name}: jitter must be in [0, 1)`);
        }
        break;
      case 'tick-dodger':
        positive(`VM ${vm.name}: tickNs`, b.tickNs);
        positive(`VM ${vm.name}: marginNs`, b.marginNs);
        if (2 * b.marginNs >= b.tickNs)
          throw new SchedulerError('invalid-workload', `VM ${vm.name}: 2*marginNs must be < tickNs`);
        break;
      default:
        throw new SchedulerError(
          'invalid-workload',
          `VM ${vm.name}: unknown behaviour ${(b as { kind: string }).kind}`,
        );
    }
  }
}
