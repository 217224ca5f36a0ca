import { describe, expect, it } from 'vitest';
import { Prng } from '../sim/prng.ts';
import { EventQueue } from '../sim/event-queue.ts';
import { FifoLists } from './fifo-lists.ts';
import { IndexedHeap } from './indexed-heap.ts';

describe('IndexedHeap', () => {
  it('pops in key order after random pushes, removals and re-keys (checked against a sort)', () => {
    const rng = new Prng(42);
    const n = 500;
    const heap = new IndexedHeap(new Float64Array(n), new Int32Array(n).fill(-1), 4);
    const model = new Map<number, number>();
    for (let step = 0; step < 5000; step++) {
      const item = Math.floor(rng.next() * n);
      const op = rng.next();
      if (!model.has(item) && op < 0.5) {
        const k = Math.floor(rng.next() * 1000);
        heap.push(item, k);
        model.set(item, k);
      } else if (model.has(item) && op < 0.75) {
        heap.remove(item);
        model.delete(item);
      } else if (model.has(item)) {
        const k = Math.floor(rng.next() * 1000);
        heap.update(item, k);
        model.set(item, k);
      }
      expect(heap.size).toBe(model.size);
    }
    const keys: number[] = [];
    while (heap.size > 0) keys.push(heap.keys[heap.pop()]!);
    expect(keys).toEqual([...model.values()].sort((a, b) => a - b));
  });
});

describe('FifoLists', () => {
  it('keeps FIFO order per list and unlinks from the middle', () => {
    const l = new FifoLists(2, 6);
    for (const v of [0, 1, 2]) l.pushBack(0, v);
    l.pushBack(1, 3);
    l.pushFront(0, 4);
    l.unlink(1);
    const out: number[] = [];
    for (let v = l.popFront(0); v >= 0; v = l.popFront(0)) out.push(v);
    expect(out).toEqual([4, 0, 2]);
    expect(l.length[1]).toBe(1);
    expect(l.listOf[3]).toBe(1);
  });
});

describe('EventQueue', () => {
  it('orders by time, then kind, and returns every event once', () => {
    const q = new EventQueue();
    const input: [number, number, number][] = [];
    const rng = new Prng(9);
    for (let i = 0; i < 3000; i++) input.push([Math.floor(rng.next() * 50), Math.floor(rng.next() * 4), i]);
    for (const [t, k, i] of input) q.push(t, k, i, 0);
    const out: [number, number, number][] = [];
    while (q.pop()) out.push([q.outTime, q.outKind, q.outTarget]);
    for (let i = 1; i < out.length; i++) {
      const [t0, k0] = out[i - 1]!;
      const [t1, k1] = out[i]!;
      expect(t1 > t0 || (t1 === t0 && k1 >= k0)).toBe(true);
    }
    expect(out.map((e) => e[2]).sort((a, b) => a - b)).toEqual(input.map((e) => e[2]));
    expect(out.every(([t, k, i]) => input[i]![0] === t && input[i]![1] === k)).toBe(true);
  });
});
