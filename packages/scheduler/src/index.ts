// Named re-exports only: the public surface of @typevisor/scheduler is exactly what this file names.
export {
  Decision,
  IDLE,
  SchedulerError,
  type SchedulerErrorCode,
  type SchedulerHost,
  type SchedulerPolicy,
  type VmParams,
} from './policy/scheduler-policy.ts';
export { RoundRobinPolicy, type RoundRobinOptions } from './policies/round-robin.ts';
export {
  CREDIT_RATELIMIT_NS,
  CREDIT_TICK_NS,
  CREDIT_TICKS_PER_ACCT,
  CREDIT_TSLICE_NS,
  CreditPolicy,
  type CreditOptions,
  PRI_BOOST,
  PRI_OVER,
  PRI_UNDER,
} from './policies/credit.ts';
export {
  type Behaviour,
  type CpuBound,
  DEFAULT_WEIGHT,
  demandOf,
  type IoBound,
  type LatencySensitive,
  type LockHolder,
  type TickDodger,
  validateWorkload,
  type VmSpec,
  vmParamsOf,
  type Workload,
} from './sim/workload.ts';
export {
  type SimulationOptions,
  type SimulationResult,
  simulate,
  type TimelineSegment,
  type VmMetrics,
} from './sim/simulator.ts';
export { type Claim, fairShares, jainIndex } from './metrics/entitlement.ts';
export { LatencyHistogram } from './metrics/latency-histogram.ts';
export {
  CREDIT2_BUDGET_PERIOD_NS,
  CREDIT2_CARRYOVER_MAX_NS,
  CREDIT2_INIT_NS,
  CREDIT2_MAX_TIMER_NS,
  CREDIT2_MIN_TIMER_NS,
  Credit2Policy,
  type Credit2Options,
} from './policies/credit2.ts';
export { RTDS_DEFAULT_BUDGET_NS, RTDS_DEFAULT_PERIOD_NS, RtdsPolicy } from './policies/rtds.ts';
export { EEVDF_BASE_SLICE_NS, EEVDF_TICK_NS, EevdfPolicy, type EevdfOptions } from './policies/eevdf.ts';
export { formatTable, toCsv, toJson } from './metrics/report.ts';
export { renderTimelineSvg, type TimelineSvgOptions } from './metrics/timeline-svg.ts';
export { mixedWorkload } from './sim/example-workloads.ts';
export { largeWorkload } from './sim/large-workload.ts';
export { decisionLoop } from './sim/policy-driver.ts';
export {
  GangPolicy,
  type GangOptions,
  RelaxedCoschedulingPolicy,
  type RelaxedCoschedulingOptions,
} from './policies/coscheduling.ts';
export { PREEMPTION_TIMER_MAX, preemptionTimerTicks } from './integration/preemption-timer.ts';
