/**
 * A binary min-heap of small integer items (vCPU ids) ordered by a numeric key, with
 * O(log n) removal and re-keying of any item. Several heaps may share one `keys` and one
 * `positions` array when an item sits in at most one of them at a time (one runqueue per
 * pCPU), so memory stays O(items + heap sizes).
 */
export class IndexedHeap {
  private items: Int32Array;
  private count = 0;
  readonly keys: Float64Array;
  readonly positions: Int32Array;

  constructor(keys: Float64Array, positions: Int32Array, initialCapacity = 16) {
    this.keys = keys;
    this.positions = positions;
    this.items = new Int32Array(Math.max(4, initialCapacity));
  }

  /** Number of items in the heap. */
  get size(): number {
    return this.count;
  }

  /** The item with the smallest key, or -1 when empty. */
  peek(): number {
    return this.count > 0 ? this.items[0]! : -1;
  }

  /** The item at heap slot `i` (0 = top); for scans over all items. */
  at(i: number): number {
    return this.items[i]!;
  }

  /** Whether `item` is in this heap (assuming shared positions are only set by one heap). */
  has(item: number): boolean {
    const p = this.positions[item]!;
    return p >= 0 && p < this.count && this.items[p] === item;
  }

  /** Inserts `item` with `key`. */
  push(item: number, key: number): void {
    if (this.count === this.items.length) {
      const grown = new Int32Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    this.keys[item] = key;
    const i = this.count++;
    this.items[i] = item;
    this.positions[item] = i;
    this.up(i);
  }

  /** Removes and returns the smallest item, or -1 when empty. */
  pop(): number {
    if (this.count === 0) return -1;
    const top = this.items[0]!;
    this.removeAt(0);
    return top;
  }

  /** Removes `item` if present. */
  remove(item: number): void {
    if (!this.has(item)) return;
    this.removeAt(this.positions[item]!);
  }

  /** Changes the key of `item`, which must be in the heap. */
  update(item: number, key: number): void {
    const old = this.keys[item]!;
    this.keys[item] = key;
    const i = this.positions[item]!;
    if (key < old) this.up(i);
    else this.down(i);
  }

  private removeAt(i: number): void {
    const item = this.items[i]!;
    this.positions[item] = -1;
    const last = --this.count;
    if (i !== last) {
      const moved = this.items[last]!;
      this.items[i] = moved;
      this.positions[moved] = i;
      this.up(i);
      this.down(this.positions[moved]!);
    }
  }

  private up(i: number): void {
    const items = this.items;
    const keys = this.keys;
    const item = items[i]!;
    const key = keys[item]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (keys[p]! <= key) break;
      items[i] = p;
      this.positions[p] = i;
      i = parent;
    }
    items[i] = item;
    this.positions[item] = i;
  }

  private down(i: number): void {
    const items = this.items;
    const keys = this.keys;
    const n = this.count;
    const item = items[i]!;
    const key = keys[item]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && keys[items[right]!]! < keys[items[child]!]!) child = right;
      const c = items[child]!;
      if (keys[c]! >= key) break;
      items[i] = c;
      this.positions[c] = i;
      i = child;
    }
    items[i] = item;
    this.positions[item] = i;
  }
}
