import { describe, expect, it } from 'vitest';
import { Prng } from '../sim/prng.ts';
import { fairShares, jainIndex } from './entitlement.ts';
import { LatencyHistogram } from './latency-histogram.ts';

describe('fairShares', () => {
  it.each<[string, number, { weight: number; limit: number }[], number[]]>([
    [
      'splits by weight when nobody is limited',
      3,
      [
        { weight: 2, limit: 9 },
        { weight: 1, limit: 9 },
      ],
      [2, 1],
    ],
    [
      'gives a limited claimant its limit and the rest to others by weight',
      4,
      [
        { weight: 1, limit: 0.5 },
        { weight: 1, limit: 9 },
        { weight: 2, limit: 9 },
      ],
      [0.5, 3.5 / 3, 7 / 3],
    ],
    [
      'leaves capacity unused when every claimant is limited',
      4,
      [
        { weight: 1, limit: 1 },
        { weight: 1, limit: 0.5 },
      ],
      [1, 0.5],
    ],
    [
      'gives nothing to a zero limit',
      1,
      [
        { weight: 1, limit: 0 },
        { weight: 1, limit: 2 },
      ],
      [0, 1],
    ],
  ])('%s', (_n, cap, claims, expected) => {
    const got = fairShares(cap, claims);
    for (const [i, g] of got.entries()) expect(g).toBeCloseTo(expected[i]!, 9);
  });
});

describe('jainIndex', () => {
  it.each([
    [[1, 1, 1, 1], 1],
    [[1, 0, 0, 0], 0.25],
    [[2, 1], 0.9],
  ])('of %j is %d', (xs, j) => {
    expect(jainIndex(xs)).toBeCloseTo(j, 9);
  });
});

describe('LatencyHistogram', () => {
  it('gives quantiles within 3.2% of the exact ones and the exact maximum', () => {
    const h = new LatencyHistogram();
    const rng = new Prng(5);
    const xs: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const x = Math.floor(Math.exp(rng.next() * 16));
      xs.push(x);
      h.record(x);
    }
    xs.sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = xs[Math.ceil(q * xs.length) - 1]!;
      expect(h.quantile(q)).toBeGreaterThanOrEqual(exact);
      expect(h.quantile(q)).toBeLessThanOrEqual(Math.max(exact * 1.032, exact + 1));
    }
    expect(h.max).toBe(xs[xs.length - 1]);
  });
});
