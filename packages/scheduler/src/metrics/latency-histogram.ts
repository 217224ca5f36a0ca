const EXACT = 64;
const SUB = 32; // buckets per octave above EXACT: relative error below 1/32 (3.1%)
const OCTAVES = 48;

/**
 * A log-linear histogram of nanosecond delays (HdrHistogram-like): exact below 64 ns, then
 * 32 buckets per power of two, so percentiles are within 3.1% while millions of samples cost
 * a fixed 6 KiB. The maximum is kept exactly.
 */
export class LatencyHistogram {
  // Allocated on the first sample: a study of thousands of VMs mostly records few.
  private counts: Uint32Array | null = null;
  /** Number of samples recorded. */
  total = 0;
  /** Largest sample, exact. */
  max = 0;

  /** Records one delay in ns (negative values count as 0). */
  record(ns: number): void {
    const v = Math.max(ns, 0);
    if (this.counts === null) this.counts = new Uint32Array(EXACT + (OCTAVES - 6) * SUB);
    this.counts[bucketOf(v)]!++;
    this.total++;
    if (v > this.max) this.max = v;
  }

  /** The `q`-quantile (0..1) in ns: the upper edge of the bucket holding it, never above `max`. */
  quantile(q: number): number {
    if (this.counts === null) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    const counts = this.counts;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i]!;
      if (seen >= rank) return Math.min(upperEdge(i), this.max);
    }
    return this.max;
  }
}

function bucketOf(value: number): number {
  if (value < EXACT) return Math.floor(value);
  if (value < 4294967296) {
    // Integer fast path: the octave from the leading zero count, the sub-bucket from the next 5 bits.
    const v = Math.floor(value) >>> 0;
    const e = 31 - Math.clz32(v);
    return EXACT + (e - 6) * SUB + ((v >>> (e - 5)) & (SUB - 1));
  }
  const e = Math.min(OCTAVES - 1, Math.floor(Math.log2(value)));
  const frac = Math.min(SUB - 1, Math.floor((value / 2 ** e - 1) * SUB));
  return EXACT + (e - 6) * SUB + frac;
}

function upperEdge(i: number): number {
  if (i < EXACT) return i;
  const e = 6 + Math.floor((i - EXACT) / SUB);
  const frac = (i - EXACT) % SUB;
  return 2 ** e * (1 + (frac + 1) / SUB);
}
