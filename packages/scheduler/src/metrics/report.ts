import type { SimulationResult, VmMetrics } from '../sim/simulator.ts';

const us = (ns: number): string => (ns / 1e3).toFixed(0);

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const sep = header.map(() => '---');
  return [row(header), row(sep), ...rows.map(row)].join('\n');
}

/**
 * One Markdown table per concern for one or more runs (normally the same workload under
 * several policies): a summary per policy, then one row per policy and VM.
 */
export function formatTable(results: readonly SimulationResult[]): string {
  const summary = table(
    ['policy', 'Jain', 'context switches', 'migrations', 'idle while waiting (ms)', 'decisions'],
    results.map((r) => [
      r.policy,
      r.jain.toFixed(3),
      String(r.contextSwitches),
      String(r.migrations),
      (r.idleWhileWaitingNs / 1e6).toFixed(1),
      String(r.decisions),
    ]),
  );
  const perVm = table(
    [
      'policy',
      'VM',
      'share (pCPU)',
      'entitled',
      'ratio',
      'wakeups',
      'wake p50 (µs)',
      'p95',
      'p99',
      'cap viol.',
      'deadline misses',
      'spin (ms)',
    ],
    results.flatMap((r) =>
      r.vms.map((v) => [
        r.policy,
        v.name,
        v.share.toFixed(3),
        v.entitlement.toFixed(3),
        v.shareRatio.toFixed(3),
        String(v.wakeups),
        us(v.wakeLatencyP50),
        us(v.wakeLatencyP95),
        us(v.wakeLatencyP99),
        String(v.capViolations),
        v.periods > 0 ? `${v.deadlineMisses}/${v.periods}` : '-',
        (v.spinNs / 1e6).toFixed(0),
      ]),
    ),
  );
  return `${summary}\n\n${perVm}\n`;
}

const VM_COLUMNS: readonly (keyof VmMetrics)[] = [
  'name',
  'vcpus',
  'weight',
  'capPercent',
  'runNs',
  'share',
  'entitlement',
  'shareRatio',
  'waitNs',
  'spinNs',
  'wakeups',
  'wakeLatencyP50',
  'wakeLatencyP95',
  'wakeLatencyP99',
  'wakeLatencyMax',
  'capViolations',
  'periods',
  'deadlineMisses',
  'migrations',
];

/** CSV with one line per policy and VM (`policy` first, then every {@link VmMetrics} field). */
export function toCsv(results: readonly SimulationResult[]): string {
  const lines = [['policy', ...VM_COLUMNS].join(',')];
  for (const r of results) {
    for (const v of r.vms) {
      lines.push(
        [r.policy, ...VM_COLUMNS.map((c) => (c === 'name' ? JSON.stringify(v.name) : String(v[c])))].join(','),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** JSON of the runs without their timelines (which can be large). */
export function toJson(results: readonly SimulationResult[]): string {
  return JSON.stringify(
    results.map(({ timeline: _timeline, ...rest }) => rest),
    null,
    2,
  );
}
