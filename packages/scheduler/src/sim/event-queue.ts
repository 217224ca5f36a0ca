/**
 * The simulator's event queue: a binary min-heap over parallel typed arrays (no object per
 * event). Events at the same instant come out in `kind` order, then in insertion order, so
 * a run is deterministic. Stale events are filtered by the caller through `gen`.
 */
export class EventQueue {
  private time = new Float64Array(1024);
  private seq = new Float64Array(1024);
  private kind = new Int32Array(1024);
  private target = new Int32Array(1024);
  private gen = new Int32Array(1024);
  private count = 0;
  private nextSeq = 0;

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
    return this.count > 0 ? this.time[0]! : Number.POSITIVE_INFINITY;
  }

  push(time: number, kind: number, target: number, gen: number): void {
    if (this.count === this.time.length) this.grow();
    let i = this.count++;
    const s = this.nextSeq++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(time, kind, s, p)) break;
      this.copy(p, i);
      i = p;
    }
    this.set(i, time, kind, target, gen, s);
  }

  pop(): boolean {
    if (this.count === 0) return false;
    this.outTime = this.time[0]!;
    this.outKind = this.kind[0]!;
    this.outTarget = this.target[0]!;
    this.outGen = this.gen[0]!;
    const last = --this.count;
    if (last > 0) {
      const t = this.time[last]!;
      const k = this.kind[last]!;
      const tg = this.target[last]!;
      const g = this.gen[last]!;
      const s = this.seq[last]!;
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= last) break;
        if (c + 1 < last && this.lessIdx(c + 1, c)) c++;
        if (this.less(t, k, s, c)) break;
        this.copy(c, i);
        i = c;
      }
      this.set(i, t, k, tg, g, s);
    }
    return true;
  }

  private less(time: number, kind: number, seq: number, j: number): boolean {
    const tj = this.time[j]!;
    if (time !== tj) return time < tj;
    const kj = this.kind[j]!;
    if (kind !== kj) return kind < kj;
    return seq < this.seq[j]!;
  }
  private lessIdx(a: number, b: number): boolean {
    return this.less(this.time[a]!, this.kind[a]!, this.seq[a]!, b);
  }
  private copy(from: number, to: number): void {
    this.time[to] = this.time[from]!;
    this.kind[to] = this.kind[from]!;
    this.target[to] = this.target[from]!;
    this.gen[to] = this.gen[from]!;
    this.seq[to] = this.seq[from]!;
  }
  private set(i: number, time: number, kind: number, target: number, gen: number, seq: number): void {
    this.time[i] = time;
    this.kind[i] = kind;
    this.target[i] = target;
    this.gen[i] = gen;
    this.seq[i] = seq;
  }
  private grow(): void {
    const n = this.time.length * 2;
    const t = new Float64Array(n);
    t.set(this.time);
    this.time = t;
    const s = new Float64Array(n);
    s.set(this.seq);
    this.seq = s;
    const k = new Int32Array(n);
    k.set(this.kind);
    this.kind = k;
    const tg = new Int32Array(n);
    tg.set(this.target);
    this.target = tg;
    const g = new Int32Array(n);
    g.set(this.gen);
    this.gen = g;
  }
}
