/**
 * Many intrusive doubly-linked FIFO lists over the same item space (vCPU ids): an item is
 * in at most one list at a time. Push, pop and unlink are O(1) and allocate nothing.
 */
export class FifoLists {
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly length: Int32Array;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** The list each item is in, or -1. */
  readonly listOf: Int32Array;

  constructor(listCount: number, itemCount: number) {
    this.head = new Int32Array(listCount).fill(-1);
    this.tail = new Int32Array(listCount).fill(-1);
    this.length = new Int32Array(listCount);
    this.next = new Int32Array(itemCount).fill(-1);
    this.prev = new Int32Array(itemCount).fill(-1);
    this.listOf = new Int32Array(itemCount).fill(-1);
  }

  /** Appends `item` to the tail of `list`. */
  pushBack(list: number, item: number): void {
    const t = this.tail[list]!;
    this.prev[item] = t;
    this.next[item] = -1;
    if (t >= 0) this.next[t] = item;
    else this.head[list] = item;
    this.tail[list] = item;
    this.listOf[item] = list;
    this.length[list]!++;
  }

  /** Prepends `item` to the head of `list`. */
  pushFront(list: number, item: number): void {
    const h = this.head[list]!;
    this.next[item] = h;
    this.prev[item] = -1;
    if (h >= 0) this.prev[h] = item;
    else this.tail[list] = item;
    this.head[list] = item;
    this.listOf[item] = list;
    this.length[list]!++;
  }

  /** Removes `item` from whatever list holds it (no-op if none). */
  unlink(item: number): void {
    const list = this.listOf[item]!;
    if (list < 0) return;
    const p = this.prev[item]!;
    const n = this.next[item]!;
    if (p >= 0) this.next[p] = n;
    else this.head[list] = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail[list] = p;
    this.listOf[item] = -1;
    this.length[list]!--;
  }

  /** Removes and returns the head of `list`, or -1 when empty. */
  popFront(list: number): number {
    const h = this.head[list]!;
    if (h >= 0) this.unlink(h);
    return h;
  }
}
