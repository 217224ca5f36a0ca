import type { AccessSize, Device, DeviceObserver, DeviceState, InterruptLine } from '../device/device.ts';
import { UNCONNECTED_LINE } from '../device/lines.ts';
import { readState } from '../device/state.ts';
import { DeviceError } from '../errors.ts';
import type { Clock, TimedDevice } from '../time/virtual-clock.ts';
import { PIT_RATE } from '../time/tick-rate.ts';

// 8254 datasheet (Intel 231164), "Control Word Format" and "Read-Back Command".
/** Control word bits 7:6 = 11: the read-back command. */
export const PIT_CW_READ_BACK = 0b1100_0000;
/** Read-back bit 5 clear: latch the count of the selected counters. */
export const PIT_RB_NO_COUNT = 0b0010_0000;
/** Read-back bit 4 clear: latch the status of the selected counters. */
export const PIT_RB_NO_STATUS = 0b0001_0000;
/** Status byte bit 7: the OUT pin. */
export const PIT_STATUS_OUT = 0b1000_0000;
/** Status byte bit 6: null count (a count written but not yet loaded into the counting element). */
export const PIT_STATUS_NULL_COUNT = 0b0100_0000;

const ACCESS_LATCH = 0;
const ACCESS_LSB = 1;
const ACCESS_MSB = 2;
const ACCESS_WORD = 3;

/** One of the three counters: its programming and the tick its count was loaded at. */
interface Counter {
  mode: number;
  access: number;
  bcd: boolean;
  /** The count register as written (0 means 65536, or 10000 in BCD). */
  count: number;
  /** Whether a count has been written since the control word (else the counter is idle). */
  hasCount: boolean;
  /** Tick at which the counting element was (or will be) loaded, -1 while not counting. */
  loadTick: number;
  /** Modes 2/3: a count written while counting, loaded at the end of the current period. */
  pendingCount: number;
  pendingTick: number;
  /** Modes 0/4 with the gate low: the frozen elapsed ticks; -1 when not frozen. */
  frozenK: number;
  gate: boolean;
  /** Byte order state for WORD access: writing the MSB next / reading the MSB next. */
  writeMsbNext: boolean;
  writeLsb: number;
  readMsbNext: boolean;
  /** Latched count (16 bits) and how many of its bytes are still unread (0 = not latched). */
  latch: number;
  latchBytes: number;
  latchMsbNext: boolean;
  status: number;
  statusLatched: boolean;
}

function newCounter(gate: boolean): Counter {
  return {
    mode: 0,
    access: ACCESS_LSB,
    bcd: false,
    count: 0,
    hasCount: false,
    loadTick: -1,
    pendingCount: 0,
    pendingTick: -1,
    frozenK: -1,
    gate,
    writeMsbNext: false,
    writeLsb: 0,
    readMsbNext: false,
    latch: 0,
    latchBytes: 0,
    latchMsbNext: false,
    status: 0,
    statusLatched: false,
  };
}

function fromBcd(v: number): number {
  return ((v >> 12) & 0xf) * 1000 + ((v >> 8) & 0xf) * 100 + ((v >> 4) & 0xf) * 10 + (v & 0xf);
}

function toBcd(v: number): number {
  return (
    ((Math.floor(v / 1000) % 10) << 12) |
    ((Math.floor(v / 100) % 10) << 8) |
    ((Math.floor(v / 10) % 10) << 4) |
    (v % 10)
  );
}

/** Options of {@link Pit8254}. */
export interface Pit8254Options {
  clock: Clock;
  /** OUT0, wired to IRQ0. */
  irq?: InterruptLine;
  events?: DeviceObserver;
}

/**
 * The Intel 8254 programmable interval timer: three 16-bit counters clocked at 1.193182 MHz,
 * modes 0-5, binary and BCD counting, the counter-latch and read-back commands and the gate
 * inputs. Counters are evaluated from virtual time, never stepped, so a run costs nothing until
 * an output changes; OUT0 drives the injected IRQ0 line at exactly its virtual times.
 *
 * Registers (offsets): 0-2 counters 0-2, 3 control word. Register it at port 0x40, length 4.
 *
 * @example
 * ```ts
 * import { Pit8254, VirtualClock } from '@typevisor/devices';
 * const clock = new VirtualClock();
 * const pit = new Pit8254({ clock });
 * pit.write(3, 1, 0xb0); // counter 2, LSB then MSB, mode 0
 * pit.write(2, 1, 0xff);
 * pit.write(2, 1, 0xff);
 * clock.advanceTo(1_000_000); // 1 ms: 1193 ticks
 * pit.write(3, 1, 0x80); // latch counter 2
 * pit.read(2, 1) | (pit.read(2, 1) << 8); // 0xffff - 1193 + 1
 * ```
 */
export class Pit8254 implements Device, TimedDevice {
  private readonly counters: Counter[];
  private readonly clock: Clock;
  private readonly irq: InterruptLine;
  private readonly events: DeviceObserver | undefined;
  /** The level last driven on IRQ0. */
  private out0Level = false;

  constructor(options: Pit8254Options) {
    this.clock = options.clock;
    this.irq = options.irq ?? UNCONNECTED_LINE;
    this.events = options.events;
    // Counters 0 and 1 have their gates tied high on a PC; counter 2's gate is port 0x61 bit 0.
    this.counters = [newCounter(true), newCounter(true), newCounter(false)];
  }

  readonly accessPolicy = { sizes: [1] as const, unsupported: 'split' as const };

  private tickNow(): number {
    return PIT_RATE.ticksAt(this.clock.now());
  }

  reset(): void {
    this.counters[0] = newCounter(true);
    this.counters[1] = newCounter(true);
    this.counters[2] = newCounter(this.counters[2]!.gate);
    this.updateIrq(this.tickNow());
  }

  read(offset: number, _size: AccessSize): number {
    if (offset > 2) return 0xff; // the control word register cannot be read
    const c = this.counters[offset]!;
    if (c.statusLatched) {
      c.statusLatched = false;
      return c.status;
    }
    if (c.latchBytes > 0) {
      let v: number;
      if (c.access === ACCESS_WORD) {
        v = c.latchMsbNext ? c.latch >> 8 : c.latch & 0xff;
        c.latchMsbNext = !c.latchMsbNext;
      } else v = c.access === ACCESS_MSB ? c.latch >> 8 : c.latch & 0xff;
      c.latchBytes--;
      return v;
    }
    const value = this.countValue(c, this.tickNow());
    if (c.access === ACCESS_WORD) {
      const v = c.readMsbNext ? value >> 8 : value & 0xff;
      c.readMsbNext = !c.readMsbNext;
      return v;
    }
    return c.access === ACCESS_MSB ? value >> 8 : value & 0xff;
  }

  write(offset: number, _size: AccessSize, value: number): void {
    const tick = this.tickNow();
    value &= 0xff;
    if (offset === 3) this.writeControl(value, tick);
    else this.writeCount(this.counters[offset]!, offset, value, tick);
    this.updateIrq(tick);
  }

  /** Sets a counter's GATE input (counter 2's is port 0x61 bit 0 on a PC). */
  setGate(counter: 0 | 1 | 2, high: boolean): void {
    const c = this.counters[counter]!;
    if (c.gate === high) return;
    const tick = this.tickNow();
    this.sync(c, tick);
    if (c.mode === 0 || c.mode === 4) {
      // Modes 0 and 4: the gate disables counting; the count holds and resumes where it stopped.
      if (!high) c.frozenK = c.hasCount && c.loadTick >= 0 ? Math.max(0, tick - c.loadTick) : -1;
      else if (c.frozenK >= 0) {
        // Counting resumes on the next clock.
        c.loadTick = tick + 1 - c.frozenK;
        c.frozenK = -1;
      }
    } else if (high && c.hasCount) {
      // Modes 1, 2, 3, 5: a rising gate (re)triggers: the count is loaded on the next clock.
      c.loadTick = tick + 1;
      c.pendingTick = -1;
    }
    c.gate = high;
    if (counter === 0) this.updateIrq(tick);
  }

  /** The level of a counter's OUT pin now (OUT2 is port 0x61 bit 5 on a PC). */
  output(counter: 0 | 1 | 2): boolean {
    const c = this.counters[counter]!;
    const tick = this.tickNow();
    this.sync(c, tick);
    return this.outAt(c, tick);
  }

  nextDeadline(): number {
    const c = this.counters[0]!;
    const tick = this.tickNow();
    this.sync(c, tick);
    const next = this.nextChange(c, tick);
    // The clock may already read a time inside tick `next - 1`; the change happens at `next`.
    return next < 0 ? Number.POSITIVE_INFINITY : PIT_RATE.timeOfTick(next);
  }

  advanceTo(_now: number): void {
    this.updateIrq(this.tickNow());
  }

  save(): DeviceState {
    return {
      kind: 'pit-8254',
      version: 1,
      out0: this.out0Level,
      counters: this.counters.map((c) => ({ ...c })),
    };
  }

  restore(state: DeviceState): void {
    const s = readState(state, 'pit-8254', 1);
    const out0 = s.bool('out0');
    const list = state.counters;
    if (!Array.isArray(list) || list.length !== 3)
      throw new DeviceError('BAD_STATE', 'pit-8254: counters is not an array of 3');
    const restored = (list as unknown[]).map((raw) => {
      const r = readState({ ...(raw as object), kind: 'pit-8254', version: 1 }, 'pit-8254', 1);
      return {
        mode: r.int('mode', 0, 5),
        access: r.int('access', 0, 3),
        bcd: r.bool('bcd'),
        count: r.int('count', 0, 0xffff),
        hasCount: r.bool('hasCount'),
        loadTick: r.int('loadTick', -1, Number.MAX_SAFE_INTEGER),
        pendingCount: r.int('pendingCount', 0, 0xffff),
        pendingTick: r.int('pendingTick', -1, Number.MAX_SAFE_INTEGER),
        frozenK: r.int('frozenK', -1, Number.MAX_SAFE_INTEGER),
        gate: r.bool('gate'),
        writeMsbNext: r.bool('writeMsbNext'),
        writeLsb: r.int('writeLsb', 0, 0xff),
        readMsbNext: r.bool('readMsbNext'),
        latch: r.int('latch', 0, 0xffff),
        latchBytes: r.int('latchBytes', 0, 2),
        latchMsbNext: r.bool('latchMsbNext'),
        status: r.int('status', 0, 0xff),
        statusLatched: r.bool('statusLatched'),
      } satisfies Counter;
    });
    for (let i = 0; i < 3; i++) this.counters[i] = restored[i]!;
    this.out0Level = out0;
  }

  private writeControl(value: number, tick: number): void {
    const select = value >> 6;
    if (select === 3) {
      // Read-back: bits 3:1 select counters 2..0.
      for (let i = 0; i < 3; i++) {
        if ((value & (2 << i)) === 0) continue;
        const c = this.counters[i]!;
        this.sync(c, tick);
        if ((value & PIT_RB_NO_COUNT) === 0) this.latchCount(c, tick);
        if ((value & PIT_RB_NO_STATUS) === 0 && !c.statusLatched) {
          c.status =
            (this.outAt(c, tick) ? PIT_STATUS_OUT : 0) |
            (this.nullCount(c, tick) ? PIT_STATUS_NULL_COUNT : 0) |
            (c.access << 4) |
            (c.mode << 1) |
            (c.bcd ? 1 : 0);
          c.statusLatched = true;
        }
      }
      return;
    }
    const c = this.counters[select]!;
    const access = (value >> 4) & 3;
    if (access === ACCESS_LATCH) {
      this.sync(c, tick);
      this.latchCount(c, tick);
      return;
    }
    let mode = (value >> 1) & 7;
    if (mode > 5) mode -= 4; // x10 = mode 2, x11 = mode 3
    c.mode = mode;
    c.access = access;
    c.bcd = (value & 1) !== 0;
    // A control word resets the counter's logic: it waits for a new count.
    c.hasCount = false;
    c.loadTick = -1;
    c.pendingTick = -1;
    c.frozenK = -1;
    c.writeMsbNext = false;
    c.readMsbNext = false;
    c.latchBytes = 0;
    c.statusLatched = false;
  }

  private latchCount(c: Counter, tick: number): void {
    if (c.latchBytes > 0) return; // a second latch before the first is read is ignored
    c.latch = this.countValue(c, tick);
    c.latchBytes = c.access === ACCESS_WORD ? 2 : 1;
    c.latchMsbNext = false;
  }

  private writeCount(c: Counter, index: number, value: number, tick: number): void {
    this.sync(c, tick);
    let count: number;
    if (c.access === ACCESS_WORD) {
      if (!c.writeMsbNext) {
        c.writeLsb = value;
        c.writeMsbNext = true;
        // Mode 0: writing the first byte stops the count (datasheet, mode 0).
        if (c.mode === 0) {
          c.loadTick = -1;
          c.frozenK = -1;
        }
        return;
      }
      c.writeMsbNext = false;
      count = c.writeLsb | (value << 8);
    } else count = c.access === ACCESS_MSB ? value << 8 : value;
    this.events?.onEvent('pit-8254', 'count', index);
    const counting = c.hasCount && c.loadTick >= 0 && tick >= c.loadTick;
    if ((c.mode === 2 || c.mode === 3) && counting && c.gate) {
      // A new count during counting takes effect at the end of the current period.
      const n = this.modulus(c, c.count);
      const k = tick - c.loadTick;
      c.pendingCount = count;
      c.pendingTick = c.loadTick + n * (Math.floor(k / n) + 1);
      return;
    }
    c.count = count;
    c.hasCount = true;
    c.frozenK = -1;
    if (c.mode === 1 || c.mode === 5) {
      if (!counting) c.loadTick = -1; // waits for a gate trigger
      return;
    }
    // Modes 0, 2, 3, 4: loaded on the next clock; with the gate low, counting waits for it.
    c.loadTick = tick + 1;
    if (!c.gate) {
      if (c.mode === 0 || c.mode === 4) c.frozenK = 0;
      else c.loadTick = -1;
    }
  }

  /** The effective modulus of a count register value: 0 means 2^16 (10^4 in BCD). */
  private modulus(c: Counter, count: number): number {
    if (c.bcd) {
      const n = fromBcd(count);
      return n === 0 ? 10000 : n;
    }
    return count === 0 ? 0x10000 : count;
  }

  /** Applies a pending mode 2/3 reload whose time has come. */
  private sync(c: Counter, tick: number): void {
    if (c.pendingTick >= 0 && tick >= c.pendingTick) {
      c.count = c.pendingCount;
      c.loadTick = c.pendingTick;
      c.pendingTick = -1;
    }
  }

  /** Ticks since the counting element was loaded, or -1 if it has not been. */
  private elapsed(c: Counter, tick: number): number {
    if (!c.hasCount) return -1;
    if (c.frozenK >= 0 && !c.gate) return c.frozenK;
    if (c.loadTick < 0 || tick < c.loadTick) return -1;
    return tick - c.loadTick;
  }

  private nullCount(c: Counter, tick: number): boolean {
    return !c.hasCount || this.elapsed(c, tick) < 0 || c.pendingTick >= 0;
  }

  private outAt(c: Counter, tick: number): boolean {
    const k = this.elapsed(c, tick);
    const n = this.modulus(c, c.count);
    switch (c.mode) {
      case 0:
        return k >= n;
      case 1:
        return !(k >= 0 && k < n);
      case 2:
        if (k < 0 || !c.gate) return true;
        return k % Math.max(n, 2) !== Math.max(n, 2) - 1;
      case 3: {
        if (k < 0 || !c.gate) return true;
        const m = Math.max(n, 2);
        return k % m < Math.ceil(m / 2);
      }
      default:
        return k !== n;
    }
  }

  /** The next tick after `tick` at which OUT changes, or -1 if it never will on its own. */
  private nextChange(c: Counter, tick: number): number {
    const n = this.modulus(c, c.count);
    let k = this.elapsed(c, tick);
    if (!c.hasCount) return -1;
    if (k < 0) {
      if (c.loadTick < 0 || (c.frozenK >= 0 && !c.gate)) return -1;
      // Not loaded yet: reason from the load tick itself.
      k = tick - c.loadTick; // negative
    } else if (c.frozenK >= 0 && !c.gate) return -1;
    const base = c.loadTick;
    switch (c.mode) {
      case 0:
      case 1:
        return k < n ? base + n : -1;
      case 4:
      case 5:
        if (k < n) return base + n;
        return k === n ? base + n + 1 : -1;
      case 2: {
        if (!c.gate) return -1;
        const m = Math.max(n, 2);
        if (k < 0) return base + m - 1;
        const phase = k % m;
        return phase < m - 1 ? tick + (m - 1 - phase) : tick + 1;
      }
      default: {
        if (!c.gate) return -1;
        const m = Math.max(n, 2);
        const half = Math.ceil(m / 2);
        if (k < 0) return base + half;
        const phase = k % m;
        return phase < half ? tick + (half - phase) : tick + (m - phase);
      }
    }
  }

  /** The value the counting element holds at `tick`, in the counter's number format. */
  private countValue(c: Counter, tick: number): number {
    const k = this.elapsed(c, tick);
    const n = this.modulus(c, c.count);
    if (k < 0) return c.count;
    const wrap = c.bcd ? 10000 : 0x10000;
    let v: number;
    if (c.mode === 2) v = n - (k % Math.max(n, 1));
    else if (c.mode === 3) {
      const m = Math.max(n, 2);
      const half = Math.ceil(m / 2);
      const phase = k % m;
      const j = phase < half ? phase : phase - half;
      v = (m & ~1) - 2 * j;
    } else v = (((n - k) % wrap) + wrap) % wrap;
    v %= wrap;
    return c.bcd ? toBcd(v) : v;
  }

  private updateIrq(tick: number): void {
    const c = this.counters[0]!;
    this.sync(c, tick);
    const level = this.outAt(c, tick);
    if (level !== this.out0Level) {
      this.out0Level = level;
      if (level) this.events?.onEvent('pit-8254', 'irq', 0);
      this.irq.setLevel(level);
    }
  }
}

/**
 * Port 0x61, the PC's system control port B: bit 0 drives the PIT's counter 2 gate, bit 1 the
 * speaker data enable; reads return bit 5 = OUT2 and bit 4 = the refresh toggle (flips every
 * 15.085 µs of virtual time), which firmware delay loops poll.
 */
export class SystemControlPortB implements Device {
  private value = 0;

  constructor(
    private readonly pit: Pit8254,
    private readonly clock: Clock,
  ) {}

  read(_offset: number, _size: AccessSize): number {
    const refresh = Math.floor(this.clock.now() / 15_085) & 1;
    return (this.value & 0x0f) | (refresh << 4) | (this.pit.output(2) ? 0x20 : 0);
  }

  write(_offset: number, _size: AccessSize, value: number): void {
    this.value = value & 0x0f;
    this.pit.setGate(2, (value & 1) !== 0);
  }

  reset(): void {
    this.value = 0;
    this.pit.setGate(2, false);
  }

  save(): DeviceState {
    return { kind: 'system-control-port-b', version: 1, value: this.value };
  }

  restore(state: DeviceState): void {
    this.value = readState(state, 'system-control-port-b', 1).int('value', 0, 0x0f);
  }
}
