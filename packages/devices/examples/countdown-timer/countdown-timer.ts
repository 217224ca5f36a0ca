// An example custom device: a countdown timer with MMIO registers, an interrupt and saved state.
// Everything a device needs is injected: the clock, the interrupt line. It only sees offsets.
import {
  type AccessSize,
  type Clock,
  type Device,
  type DeviceState,
  type InterruptLine,
  readState,
  type TimedDevice,
} from '@typevisor/devices';

/** Register offsets: every register is 32 bits wide and 4-byte aligned. */
export const TIMER_ID = 0x00; // RO: 0x524d4954 ('TIMR' in memory)
export const TIMER_CONTROL = 0x04; // RW: CONTROL_* bits
export const TIMER_RELOAD = 0x08; // RW: period in microseconds
export const TIMER_COUNT = 0x0c; // RO: microseconds left in the current period
export const TIMER_STATUS = 0x10; // RW1C: STATUS_EXPIRED
export const TIMER_EXPIRATIONS = 0x14; // RO: how many periods have ended since enabled

export const CONTROL_ENABLE = 0b001;
export const CONTROL_PERIODIC = 0b010;
export const CONTROL_IRQ = 0b100;
export const STATUS_EXPIRED = 0b1;
export const TIMER_ID_VALUE = 0x524d4954;
/** The size of the register window. */
export const TIMER_LENGTH = 0x18;

const NS_PER_US = 1000;

/**
 * A countdown timer: write RELOAD (µs), then CONTROL = ENABLE | IRQ (| PERIODIC). When the count
 * reaches zero STATUS.EXPIRED is set and, with CONTROL_IRQ, the interrupt line goes high until the
 * guest writes 1 to STATUS.EXPIRED. One-shot mode disables itself at expiry; periodic reloads.
 */
export class CountdownTimer implements Device, TimedDevice {
  private control = 0;
  private reload = 0;
  private status = 0;
  private expirations = 0;
  /** Virtual time (ns) at which the current period started. */
  private periodStart = 0;
  private irqLevel = false;

  // The bus handles 1- and 2-byte accesses for us: they are dropped (writes) or read as ones.
  readonly accessPolicy = { sizes: [4] as const, unsupported: 'ignore' as const, unaligned: 'ignore' as const };

  constructor(
    private readonly clock: Clock,
    private readonly irq: InterruptLine,
  ) {
    this.periodStart = clock.now();
  }

  read(offset: number, _size: AccessSize): number {
    this.catchUp();
    switch (offset) {
      case TIMER_ID:
        return TIMER_ID_VALUE;
      case TIMER_CONTROL:
        return this.control;
      case TIMER_RELOAD:
        return this.reload;
      case TIMER_COUNT:
        return this.countUs();
      case TIMER_STATUS:
        return this.status;
      case TIMER_EXPIRATIONS:
        return this.expirations;
      default:
        return 0;
    }
  }

  write(offset: number, _size: AccessSize, value: number): void {
    this.catchUp();
    if (offset === TIMER_CONTROL) {
      const wasEnabled = (this.control & CONTROL_ENABLE) !== 0;
      this.control = value & 0b111;
      if (!wasEnabled && (this.control & CONTROL_ENABLE) !== 0) {
        this.periodStart = this.clock.now();
        this.expirations = 0;
      }
    } else if (offset === TIMER_RELOAD) {
      this.reload = value >>> 0;
      this.periodStart = this.clock.now();
    } else if (offset === TIMER_STATUS) {
      this.status &= ~(value & STATUS_EXPIRED); // write 1 to clear
    }
    this.updateIrq();
  }

  private running(): boolean {
    return (this.control & CONTROL_ENABLE) !== 0 && this.reload > 0;
  }

  private countUs(): number {
    if (!this.running()) return 0;
    const elapsedUs = Math.floor((this.clock.now() - this.periodStart) / NS_PER_US);
    return this.reload - elapsedUs;
  }

  /** Applies every expiry that is due by now (the clock may have moved since we last looked). */
  private catchUp(): void {
    const now = this.clock.now();
    while (this.running() && this.periodStart + this.reload * NS_PER_US <= now) {
      this.status |= STATUS_EXPIRED;
      this.expirations++;
      if ((this.control & CONTROL_PERIODIC) !== 0) this.periodStart += this.reload * NS_PER_US;
      else this.control &= ~CONTROL_ENABLE;
    }
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = (this.status & STATUS_EXPIRED) !== 0 && (this.control & CONTROL_IRQ) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.setLevel(level);
    }
  }

  // TimedDevice: tell the clock when the next expiry is due, and act when it arrives.
  nextDeadline(): number {
    return this.running() ? this.periodStart + this.reload * NS_PER_US : Number.POSITIVE_INFINITY;
  }

  advanceTo(_now: number): void {
    this.catchUp();
  }

  reset(): void {
    this.control = 0;
    this.reload = 0;
    this.status = 0;
    this.expirations = 0;
    this.periodStart = this.clock.now();
    this.updateIrq();
  }

  save(): DeviceState {
    return {
      kind: 'example-countdown-timer',
      version: 1,
      control: this.control,
      reload: this.reload,
      status: this.status,
      expirations: this.expirations,
      periodStart: this.periodStart,
      irqLevel: this.irqLevel,
    };
  }

  restore(state: DeviceState): void {
    // readState checks kind and version and every field before anything changes.
    const s = readState(state, 'example-countdown-timer', 1);
    const next = {
      control: s.int('control', 0, 0b111),
      reload: s.int('reload', 0, 0xffffffff),
      status: s.int('status', 0, 1),
      expirations: s.int('expirations', 0, Number.MAX_SAFE_INTEGER),
      periodStart: s.num('periodStart'),
      irqLevel: s.bool('irqLevel'),
    };
    Object.assign(this, next);
  }
}
