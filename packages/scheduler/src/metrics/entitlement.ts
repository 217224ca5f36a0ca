/** One claimant of {@link fairShares}: its weight and the most it can use (in pCPUs). */
export interface Claim {
  readonly weight: number;
  readonly limit: number;
}

/**
 * Weighted max-min fair division of `capacity` pCPUs (water-filling): each claimant gets
 * capacity in proportion to its weight, never more than its limit, and what a limited
 * claimant leaves is shared by the others in proportion to their weights. This is the
 * entitlement a proportional-share scheduler should deliver.
 */
export function fairShares(capacity: number, claims: readonly Claim[]): number[] {
  const out = new Array<number>(claims.length).fill(0);
  const open = new Set<number>();
  for (let i = 0; i < claims.length; i++) if (claims[i]!.limit > 0 && claims[i]!.weight > 0) open.add(i);
  let left = capacity;
  while (open.size > 0 && left > 1e-12) {
    let weightSum = 0;
    for (const i of open) weightSum += claims[i]!.weight;
    let saturated = false;
    for (const i of open) {
      const c = claims[i]!;
      if (out[i]! + (left * c.weight) / weightSum >= c.limit) {
        left -= c.limit - out[i]!;
        out[i] = c.limit;
        open.delete(i);
        saturated = true;
      }
    }
    if (!saturated) {
      for (const i of open) out[i] = out[i]! + (left * claims[i]!.weight) / weightSum;
      left = 0;
    }
  }
  return out;
}

/** Jain's fairness index of `xs`: 1 when all are equal, 1/n when one takes everything. */
export function jainIndex(xs: readonly number[]): number {
  if (xs.length === 0) return 1;
  let sum = 0;
  let squares = 0;
  for (const x of xs) {
    sum += x;
    squares += x * x;
  }
  return squares === 0 ? 1 : (sum * sum) / (xs.length * squares);
}
