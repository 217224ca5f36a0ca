/** A measured rate: how many units of work per second, with the spread over the samples. */
export interface Rate {
  /** Median units per second over the samples. */
  readonly perSecond: number;
  /** Fastest and slowest sample, units per second. */
  readonly min: number;
  readonly max: number;
  readonly samples: number;
  /** Which clock the samples were timed with. */
  readonly clock: BenchClock;
}

/**
 * The clock a sample is timed with. `'cpu'` counts the CPU time of this process
 * (`process.cpuUsage`, user + system): on a shared machine it leaves out the time the
 * process waited for a core, which wall time counts and which made single samples swing
 * by 2x under load. `'wall'` is `performance.now()`.
 */
export type BenchClock = 'cpu' | 'wall';

export interface MeasureOptions {
  /** Time spent warming up (JIT tiers, caches) before sampling. Default 300 ms. */
  readonly warmupMs?: number;
  /** Number of timed samples; the median is reported. Default 7. */
  readonly samples?: number;
  /** Minimum duration of one sample; the batch repeats until it is reached. Default 200 ms. */
  readonly sampleMs?: number;
  /** Clock for warm-up and samples. Default `'cpu'` where `process.cpuUsage` exists, else `'wall'`. */
  readonly clock?: BenchClock;
  /** A clock in milliseconds to use instead (tests); overrides `clock` for timing. */
  readonly now?: () => number;
}

interface CpuUsageHost {
  readonly process?: { cpuUsage?: () => { user: number; system: number } };
}

function cpuUsageFn(): (() => { user: number; system: number }) | undefined {
  const host = globalThis as CpuUsageHost;
  const fn = host.process?.cpuUsage;
  return typeof fn === 'function' ? fn.bind(host.process) : undefined;
}

/** Milliseconds of the given clock, from an arbitrary origin. */
export function clockNow(clock: BenchClock): () => number {
  const cpu = clock === 'cpu' ? cpuUsageFn() : undefined;
  if (cpu === undefined) return () => performance.now();
  return () => {
    const u = cpu();
    return (u.user + u.system) / 1000;
  };
}

/**
 * Measures how fast `batch` does its work. `batch` runs one unit of measurable work and
 * returns how many units it did (instructions decoded, bytes, decisions...), so the
 * harness never guesses what a call is worth. Samples are timed with CPU time by default
 * (see {@link BenchClock}); a figure and its anchor measured in the same run use the same
 * clock.
 */
export function measureRate(batch: () => number, options: MeasureOptions = {}): Rate {
  const warmupMs = options.warmupMs ?? 300;
  const sampleCount = options.samples ?? 7;
  const sampleMs = options.sampleMs ?? 200;
  const clock: BenchClock = options.clock ?? (cpuUsageFn() === undefined ? 'wall' : 'cpu');
  const now = options.now ?? clockNow(clock);

  const warmEnd = now() + warmupMs;
  while (now() < warmEnd) batch();

  const rates: number[] = [];
  for (let s = 0; s < sampleCount; s++) {
    let units = 0;
    const start = now();
    let elapsed = 0;
    do {
      units += batch();
      elapsed = now() - start;
    } while (elapsed < sampleMs);
    rates.push((units * 1000) / elapsed);
  }
  rates.sort((a, b) => a - b);
  return {
    perSecond: rates[rates.length >> 1]!,
    min: rates[0]!,
    max: rates[rates.length - 1]!,
    samples: sampleCount,
    clock,
  };
}
