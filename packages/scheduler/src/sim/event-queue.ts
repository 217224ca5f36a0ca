/**
 * The simulator's event queue: a binary min-heap over parallel typed arrays (no object per
 * event). The order key packs time and kind into one double, `time * 4 + kind` (exact while
 * time < 2^50 ns), so events at the same instant come out in `kind` order; ties beyond that
 * are broken by the heap itself, deterministically. Stale events are filtered by the caller
 * through `gen`.
 */
export class EventQueue {
  private key = new Float64Array(1024);
  private target = new Int32Array(1024);
  private gen = new Int32Array(1024);
  private count = 0;

  /** Popped event fields, valid after {@link pop} returned true. */
  outTime = 0;
  outKind = 0;
  outTarget = 0;
  outGen = 0;

  get size(): number {
    return this.count;
  }

  /** Time of the earliest event, `Infinity` if none. */
  peekTime(): number {
    return this.count > 0 ? Math.floor(this.key[0]! / 4) : Number.POSITIVE_INFINITY;
  }

  /** Adds an event; `kind` must be 0..3; `time` is rounded up to a whole ns. */
  push(time: number, kind: number, target: number, gen: number): void {
    if (this.count === this.key.length) this.grow();
    const k = Math.ceil(time) * 4 + kind;
    const keys = this.key;
    let i = this.count++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (keys[p]! <= k) break;
      keys[i] = keys[p]!;
      this.target[i] = this.target[p]!;
      this.gen[i] = this.gen[p]!;
      i = p;
    }
    keys[i] = k;
    this.target[i] = target;
    this.gen[i] = gen;
  }

  pop(): boolean {
    if (this.count === 0) return false;
    const keys = this.key;
    const top = keys[0]!;
    const time = Math.floor(top / 4);
    this.outTime = time;
    this.outKind = top - time * 4;
    this.outTarget = this.target[0]!;
    this.outGen = this.gen[0]!;
    const last = --this.count;
    if (last > 0) {
      const k = keys[last]!;
      const tg = this.target[last]!;
      const g = this.gen[last]!;
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= last) break;
        if (c + 1 < last && keys[c + 1]! < keys[c]!) c++;
        if (k <= keys[c]!) break;
        keys[i] = keys[c]!;
        this.target[i] = this.target[c]!;
        this.gen[i] = this.gen[c]!;
        i = c;
      }
      keys[i] = k;
      this.target[i] = tg;
      this.gen[i] = g;
    }
    return true;
  }

  private grow(): void {
    const n = this.key.length * 2;
    const k = new Float64Array(n);
    k.set(this.key);
    this.key = k;
    const tg = new Int32Array(n);
    tg.set(this.target);
    this.target = tg;
    const g = new Int32Array(n);
    g.set(this.gen);
    this.gen = g;
  }
}
