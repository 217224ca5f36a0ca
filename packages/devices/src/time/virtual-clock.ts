import { DeviceError } from '../errors.ts';

/** Deterministic virtual time in nanoseconds, injected into every device that needs time. */
export interface Clock {
  now(): number;
}

/**
 * A device whose state changes on its own as time passes (a timer, an RTC, a UART's character
 * timeout). It tells when it next needs to act and acts when told time reached that point.
 */
export interface TimedDevice {
  /** Virtual time (ns) of the next moment this device changes an output, or `Infinity`. */
  nextDeadline(): number;
  /** Performs everything due at or before `now` (the clock already reads `now`). */
  advanceTo(now: number): void;
}

/**
 * The virtual clock the machine glue drives. It holds the current time and the timed devices;
 * `advanceTo(t)` walks time forward deadline by deadline, so every interrupt a device raises on
 * the way happens at its exact virtual time and in a reproducible order (earliest first, ties in
 * attachment order).
 *
 * @example
 * ```ts
 * import { Pit8254, RecordingLine, VirtualClock } from '@typevisor/devices';
 * const clock = new VirtualClock();
 * const irq0 = new RecordingLine();
 * const pit = new Pit8254({ clock, irq: irq0 });
 * clock.attach(pit);
 * pit.write(3, 1, 0x34); // channel 0, lobyte/hibyte, mode 2
 * pit.write(0, 1, 0x00);
 * pit.write(0, 1, 0x00); // count 65536: 18.2 Hz
 * clock.advanceTo(1e9);
 * irq0.risingEdges; // 18
 * ```
 */
export class VirtualClock implements Clock {
  private time: number;
  private readonly devices: TimedDevice[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  /** Adds a timed device; it is advanced from now on. */
  attach(device: TimedDevice): void {
    if (!this.devices.includes(device)) this.devices.push(device);
  }

  /** Removes a timed device. */
  detach(device: TimedDevice): void {
    const i = this.devices.indexOf(device);
    if (i >= 0) this.devices.splice(i, 1);
  }

  /** The earliest deadline of any attached device (`Infinity` when none): run the CPU until then. */
  nextDeadline(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const d of this.devices) {
      const t = d.nextDeadline();
      if (t < min) min = t;
    }
    return min;
  }

  /**
   * Moves time to `target`, stopping at every device deadline on the way. Throws
   * {@link DeviceError} `TIME_BACKWARDS` if `target` is before now and `BAD_DEADLINE` if a device
   * keeps reporting a deadline it has already been advanced to.
   */
  advanceTo(target: number): void {
    if (!(target >= this.time))
      throw new DeviceError('TIME_BACKWARDS', `clock is at ${this.time} ns, cannot go to ${target}`);
    let stuck = 0;
    for (;;) {
      let min = Number.POSITIVE_INFINITY;
      let due: TimedDevice | undefined;
      for (const d of this.devices) {
        const t = d.nextDeadline();
        if (t < min) {
          min = t;
          due = d;
        }
      }
      if (due === undefined || min > target) break;
      if (min <= this.time) {
        if (++stuck > 1000) throw new DeviceError('BAD_DEADLINE', `a timed device keeps its deadline at ${min} ns`);
      } else {
        stuck = 0;
        this.time = min;
      }
      due.advanceTo(this.time);
    }
    this.time = target;
  }

  /** `advanceTo(now() + ns)`. */
  advanceBy(ns: number): void {
    this.advanceTo(this.time + ns);
  }

  /** Sets the time without running deadlines: for restoring a snapshot only. */
  setTime(ns: number): void {
    if (!Number.isFinite(ns) || ns < 0) throw new DeviceError('BAD_ARGUMENT', `bad time ${ns}`);
    this.time = ns;
  }
}
