// pnpm bench: scheduling decisions per second per policy (policy alone, driven by
// decisionLoop), and the wall time to simulate 10,000 vCPUs on 256 pCPUs for 60 s of virtual
// time (credit by default; every policy with TYPEVISOR_LONG=1). No external anchor exists for
// a TypeScript vCPU scheduler, so the round-robin baseline is the anchor line.
import { measureRate, printLine } from '@typevisor/bench';
import {
  Credit2Policy,
  CreditPolicy,
  decisionLoop,
  EevdfPolicy,
  largeWorkload,
  RoundRobinPolicy,
  RtdsPolicy,
  type SchedulerPolicy,
  simulate,
} from '../src/index.ts';

const factories: [string, () => SchedulerPolicy][] = [
  ['round-robin', () => new RoundRobinPolicy()],
  ['credit', () => new CreditPolicy()],
  ['credit2', () => new Credit2Policy()],
  ['rtds', () => new RtdsPolicy()],
  ['eevdf', () => new EevdfPolicy()],
];

const small = largeWorkload(16, 256); // 1024 vCPUs on 16 pCPUs
let baseline = 0;
for (const [name, make] of factories) {
  const loop = decisionLoop(make(), small);
  const rate = measureRate(() => loop(10_000), { samples: 5 });
  if (name === 'round-robin') baseline = rate.perSecond;
  printLine(
    `decisions ${name} (1024 vCPUs, 16 pCPUs)`,
    { value: rate.perSecond, unit: 'dec/s' },
    name === 'round-robin' ? undefined : { name: 'round-robin', figure: { value: baseline, unit: 'dec/s' } },
  );
  // The same per CPU second of this process, which a busy shared machine does not distort.
  const cpuStart = process.cpuUsage();
  loop(1_000_000);
  const cpu = process.cpuUsage(cpuStart);
  printLine(`  ${name}: decisions per CPU second`, { value: 1e6 / ((cpu.user + cpu.system) / 1e6), unit: 'dec/s' });
}

const long = process.env.TYPEVISOR_LONG === '1';
for (const [name, make] of factories) {
  if (!long && name !== 'credit') continue;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const r = simulate(make(), largeWorkload(256, 2500), { durationNs: 60e9 });
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  printLine(`simulate 10k vCPUs/256 pCPUs/60 s ${name}`, { value: seconds, unit: 's' });
  // CPU time too: on a shared machine the wall time mostly measures the neighbours.
  printLine(`  ${name}: CPU time (user+system)`, { value: (cpu.user + cpu.system) / 1e6, unit: 's' });
  printLine(`  ${name}: events simulated per wall second`, { value: r.events / seconds, unit: 'ev/s' });
}
