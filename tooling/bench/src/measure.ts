/** A measured rate: how many units of work per second, with the spread over the samples. */
export interface Rate {
  /** Median units per second over the samples. */
  readonly perSecond: number;
  /** Fastest and slowest sample, units per second. */
  readonly min: number;
  readonly max: number;
  readonly samples: number;
}

export interface MeasureOptions {
  /** Time spent warming up (JIT tiers, caches) before sampling. Default 300 ms. */
  readonly warmupMs?: number;
  /** Number of timed samples; the median is reported. Default 7. */
  readonly samples?: number;
  /** Minimum duration of one sample; the batch repeats until it is reached. Default 200 ms. */
  readonly sampleMs?: number;
}

/**
 * Measures how fast `batch` does its work. `batch` runs one unit of measurable work and
 * returns how many units it did (instructions decoded, bytes, decisions...), so the
 * harness never guesses what a call is worth.
 */
export function measureRate(batch: () => number, options: MeasureOptions = {}): Rate {
  const warmupMs = options.warmupMs ?? 300;
  const sampleCount = options.samples ?? 7;
  const sampleMs = options.sampleMs ?? 200;

  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) batch();

  const rates: number[] = [];
  for (let s = 0; s < sampleCount; s++) {
    let units = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      units += batch();
      elapsed = performance.now() - start;
    } while (elapsed < sampleMs);
    rates.push((units * 1000) / elapsed);
  }
  rates.sort((a, b) => a - b);
  return {
    perSecond: rates[rates.length >> 1]!,
    min: rates[0]!,
    max: rates[rates.length - 1]!,
    samples: sampleCount,
  };
}
