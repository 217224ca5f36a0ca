import type { AccessSize, Device, DeviceObserver, DeviceState, InterruptLine } from '../device/device.ts';
import { UNCONNECTED_LINE } from '../device/lines.ts';
import { readState } from '../device/state.ts';
import type { Clock, TimedDevice } from '../time/virtual-clock.ts';
import { type CivilTime, civilFromSeconds, secondsFromCivil } from './civil-time.ts';

// MC146818A datasheet, "Register A-D".
/** Seconds (0-59). */
export const RTC_SECONDS = 0x00;
/** Seconds alarm (0xC0-0xFF: any). */
export const RTC_SECONDS_ALARM = 0x01;
/** Minutes (0-59). */
export const RTC_MINUTES = 0x02;
/** Minutes alarm (0xC0-0xFF: any). */
export const RTC_MINUTES_ALARM = 0x03;
/** Hours (0-23, or 1-12 with bit 7 = PM). */
export const RTC_HOURS = 0x04;
/** Hours alarm (0xC0-0xFF: any). */
export const RTC_HOURS_ALARM = 0x05;
/** Day of week (1 = Sunday). */
export const RTC_DAY_OF_WEEK = 0x06;
/** Day of month (1-31). */
export const RTC_DAY_OF_MONTH = 0x07;
/** Month (1-12). */
export const RTC_MONTH = 0x08;
/** Year within the century (0-99). */
export const RTC_YEAR = 0x09;
/** Register A: UIP, divider, rate select. */
export const RTC_REG_A = 0x0a;
/** Register B: SET, interrupt enables, data mode, 24/12. */
export const RTC_REG_B = 0x0b;
/** Register C: interrupt flags, cleared by reading. */
export const RTC_REG_C = 0x0c;
/** Register D: valid RAM and time. */
export const RTC_REG_D = 0x0d;
/** The PC's century byte (ACPI FADT CENTURY = 0x32). */
export const RTC_CENTURY = 0x32;

/** Register A bit 7: update in progress. */
export const REG_A_UIP = 0b1000_0000;
/** Register B bit 7: SET halts updates so software can load the time. */
export const REG_B_SET = 0b1000_0000;
/** Register B bit 6: periodic interrupt enable. */
export const REG_B_PIE = 0b0100_0000;
/** Register B bit 5: alarm interrupt enable. */
export const REG_B_AIE = 0b0010_0000;
/** Register B bit 4: update-ended interrupt enable. */
export const REG_B_UIE = 0b0001_0000;
/** Register B bit 2: data mode binary (1) or BCD (0). */
export const REG_B_DM_BINARY = 0b0000_0100;
/** Register B bit 1: 24-hour (1) or 12-hour (0) mode. */
export const REG_B_24H = 0b0000_0010;
/** Register C bit 7: an enabled flag is set (IRQ8 asserted). */
export const REG_C_IRQF = 0b1000_0000;
/** Register C bit 6: periodic interrupt flag. */
export const REG_C_PF = 0b0100_0000;
/** Register C bit 5: alarm flag. */
export const REG_C_AF = 0b0010_0000;
/** Register C bit 4: update-ended flag. */
export const REG_C_UF = 0b0001_0000;
/** Register D bit 7: valid RAM and time. */
export const REG_D_VRT = 0b1000_0000;
/** Index port bit 7: NMI disabled. */
export const RTC_INDEX_NMI_DISABLE = 0b1000_0000;

const SECOND = 1_000_000_000;
/** UIP is high for 244 µs before each update (tBUC, datasheet). */
const UIP_NS = 244_000;

/** Options of {@link RtcMc146818}. */
export interface RtcMc146818Options {
  clock: Clock;
  /** IRQ8. */
  irq?: InterruptLine;
  /** Guest wall time at virtual time 0, in Unix seconds. Default 2000-01-01 00:00:00 UTC. */
  startTime?: number;
  events?: DeviceObserver;
}

function toBcd(v: number): number {
  return ((Math.floor(v / 10) % 10) << 4) | (v % 10);
}

function fromBcd(v: number): number {
  return (v >> 4) * 10 + (v & 0xf);
}

/**
 * The Motorola MC146818A real-time clock and CMOS RAM at ports 0x70 (index, bit 7 = NMI mask)
 * and 0x71 (data). Time comes from the virtual clock: the guest's wall time advances one second
 * per virtual second from `startTime`, in BCD or binary, 12- or 24-hour mode; the update-in-progress
 * bit is high for the 244 µs before each update; update-ended, alarm (with don't-care values) and
 * periodic interrupts set register C and drive IRQ8; SET halts updates while software writes the time.
 * The other 114 bytes are battery-backed RAM. The day of week advances with the date from
 * whatever software sets it to.
 *
 * @example
 * ```ts
 * import { RtcMc146818, VirtualClock } from '@typevisor/devices';
 * const clock = new VirtualClock();
 * const rtc = new RtcMc146818({ clock, startTime: Date.UTC(2024, 6, 1, 12, 30, 0) / 1000 });
 * clock.advanceTo(61e9);
 * rtc.write(0, 1, 0x02); // select minutes
 * rtc.read(1, 1); // 0x31 (BCD)
 * ```
 */
export class RtcMc146818 implements Device, TimedDevice {
  private readonly clock: Clock;
  private readonly irq: InterruptLine;
  private readonly events: DeviceObserver | undefined;
  private readonly ram = new Uint8Array(128);
  private index = 0;
  private nmiDisabled = true;
  /** Guest wall time (Unix seconds) at virtual time `anchorNs`. */
  private seconds: number;
  /** Virtual time of the last update boundary the time is counted from. */
  private anchorNs = 0;
  private flagsCheckedNs = 0;
  private irqLevel = false;
  /** Days the day-of-week register runs ahead of the date's own weekday (software may set it). */
  private weekdayOffset = 0;

  constructor(options: RtcMc146818Options) {
    this.clock = options.clock;
    this.irq = options.irq ?? UNCONNECTED_LINE;
    this.events = options.events;
    this.seconds = Math.floor(options.startTime ?? 946_684_800);
    this.anchorNs = this.clock.now();
    this.flagsCheckedNs = this.anchorNs;
    this.powerOnRegisters();
  }

  readonly accessPolicy = { sizes: [1] as const };

  /** Whether software has masked NMIs with bit 7 of the index port. */
  get nmiMasked(): boolean {
    return this.nmiDisabled;
  }

  private powerOnRegisters(): void {
    this.ram[RTC_REG_A] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate (what firmware sets)
    this.ram[RTC_REG_B] = REG_B_24H;
    this.ram[RTC_REG_C] = 0;
    this.ram[RTC_REG_D] = REG_D_VRT;
  }

  private running(): boolean {
    return ((this.ram[RTC_REG_A]! >> 4) & 7) === 2 && (this.ram[RTC_REG_B]! & REG_B_SET) === 0;
  }

  /** Guest wall time (Unix seconds) now. */
  wallTime(): number {
    if (!this.running()) return this.seconds;
    return this.seconds + Math.floor((this.clock.now() - this.anchorNs) / SECOND);
  }

  /** Folds elapsed whole seconds into `seconds` so the anchor stays within a second of now. */
  private settle(): void {
    if (!this.running()) return;
    const whole = Math.floor((this.clock.now() - this.anchorNs) / SECOND);
    if (whole > 0) {
      this.seconds += whole;
      this.anchorNs += whole * SECOND;
    }
  }

  read(offset: number, _size: AccessSize): number {
    if (offset === 0) return 0xff; // the index register is write-only
    return this.readRegister(this.index);
  }

  write(offset: number, _size: AccessSize, value: number): void {
    value &= 0xff;
    if (offset === 0) {
      this.index = value & 0x7f;
      this.nmiDisabled = (value & RTC_INDEX_NMI_DISABLE) !== 0;
      return;
    }
    this.writeRegister(this.index, value);
  }

  /** Reads CMOS register `index` (0-127) as the guest would. */
  readRegister(index: number): number {
    this.updateFlags();
    switch (index) {
      case RTC_SECONDS:
      case RTC_MINUTES:
      case RTC_HOURS:
      case RTC_DAY_OF_WEEK:
      case RTC_DAY_OF_MONTH:
      case RTC_MONTH:
      case RTC_YEAR:
      case RTC_CENTURY:
        return this.timeField(index, civilFromSeconds(this.wallTime()));
      case RTC_REG_A: {
        let v = this.ram[RTC_REG_A]! & 0x7f;
        if (this.running() && (this.clock.now() - this.anchorNs) % SECOND >= SECOND - UIP_NS) v |= REG_A_UIP;
        return v;
      }
      case RTC_REG_C: {
        const v = this.ram[RTC_REG_C]!;
        this.ram[RTC_REG_C] = 0; // reading C clears every flag and IRQF
        this.updateIrq();
        return v;
      }
      default:
        return this.ram[index & 0x7f]!;
    }
  }

  /** Writes CMOS register `index` (0-127). */
  writeRegister(index: number, value: number): void {
    this.updateFlags();
    switch (index) {
      case RTC_SECONDS:
      case RTC_MINUTES:
      case RTC_HOURS:
      case RTC_DAY_OF_MONTH:
      case RTC_MONTH:
      case RTC_YEAR:
      case RTC_CENTURY:
        this.setTimeField(index, value);
        break;
      case RTC_DAY_OF_WEEK: {
        // The chip keeps the day of week as its own counter: remember how far software set it
        // from the date's weekday, and keep that offset as days go by.
        const actual = civilFromSeconds(this.wallTime()).weekday;
        const wanted = this.decode(value);
        this.weekdayOffset = (((wanted - actual) % 7) + 7) % 7;
        break;
      }
      case RTC_REG_A: {
        const wasRunning = this.running();
        const oldDivider = (this.ram[RTC_REG_A]! >> 4) & 7;
        this.settle();
        this.ram[RTC_REG_A] = value & 0x7f;
        const divider = (value >> 4) & 7;
        // Leaving divider reset: the first update comes 500 ms later (datasheet, "Divider Control").
        if (oldDivider >= 6 && divider === 2) this.anchorNs = this.clock.now() - SECOND / 2;
        else if (!wasRunning && this.running()) this.anchorNs = this.clock.now();
        break;
      }
      case RTC_REG_B: {
        const wasRunning = this.running();
        this.settle();
        let v = value;
        if ((v & REG_B_SET) !== 0) v &= ~REG_B_UIE; // SET clears UIE
        this.ram[RTC_REG_B] = v;
        if (!wasRunning && this.running()) this.anchorNs = this.clock.now();
        break;
      }
      case RTC_REG_C:
      case RTC_REG_D:
        break; // read-only
      default:
        this.ram[index & 0x7f] = value;
    }
    this.updateIrq();
  }

  private binary(): boolean {
    return (this.ram[RTC_REG_B]! & REG_B_DM_BINARY) !== 0;
  }

  private encode(v: number): number {
    return this.binary() ? v : toBcd(v);
  }

  private decode(v: number): number {
    return this.binary() ? v : fromBcd(v);
  }

  private timeField(index: number, t: CivilTime): number {
    switch (index) {
      case RTC_SECONDS:
        return this.encode(t.second);
      case RTC_MINUTES:
        return this.encode(t.minute);
      case RTC_HOURS:
        return this.encodeHour(t.hour);
      case RTC_DAY_OF_WEEK:
        return this.encode(((t.weekday - 1 + this.weekdayOffset) % 7) + 1);
      case RTC_DAY_OF_MONTH:
        return this.encode(t.day);
      case RTC_MONTH:
        return this.encode(t.month);
      case RTC_YEAR:
        return this.encode(t.year % 100);
      default:
        return this.encode(Math.floor(t.year / 100) % 100);
    }
  }

  private encodeHour(hour: number): number {
    if ((this.ram[RTC_REG_B]! & REG_B_24H) !== 0) return this.encode(hour);
    const pm = hour >= 12 ? 0x80 : 0;
    const h12 = hour % 12 === 0 ? 12 : hour % 12;
    return pm | this.encode(h12);
  }

  private decodeHour(value: number): number {
    if ((this.ram[RTC_REG_B]! & REG_B_24H) !== 0) return this.decode(value) % 24;
    const h12 = this.decode(value & 0x7f) % 12;
    return (value & 0x80) !== 0 ? h12 + 12 : h12;
  }

  private setTimeField(index: number, value: number): void {
    this.settle();
    const t = civilFromSeconds(this.wallTime());
    const v = this.decode(value);
    switch (index) {
      case RTC_SECONDS:
        t.second = v % 60;
        break;
      case RTC_MINUTES:
        t.minute = v % 60;
        break;
      case RTC_HOURS:
        t.hour = this.decodeHour(value);
        break;
      case RTC_DAY_OF_MONTH:
        t.day = Math.min(Math.max(v, 1), 31);
        break;
      case RTC_MONTH:
        t.month = Math.min(Math.max(v, 1), 12);
        break;
      case RTC_YEAR:
        t.year = Math.floor(t.year / 100) * 100 + (v % 100);
        break;
      default:
        t.year = (v % 100) * 100 + (t.year % 100);
    }
    const running = this.running();
    const into = running ? Math.floor((this.clock.now() - this.anchorNs) / SECOND) : 0;
    this.seconds = secondsFromCivil(t) - into;
  }

  /** The periodic interrupt period in ns for rate select `rate`, or 0 when off. */
  private periodNs(): number {
    const rate = this.ram[RTC_REG_A]! & 0x0f;
    const divider = (this.ram[RTC_REG_A]! >> 4) & 7;
    if (rate === 0 || divider >= 6) return 0;
    const r = rate < 3 ? rate + 7 : rate;
    return (2 ** (r - 1) * SECOND) / 32768;
  }

  /** Sets PF, UF and AF for every periodic tick and update between the last check and now. */
  private updateFlags(): void {
    const now = this.clock.now();
    const from = this.flagsCheckedNs;
    if (now <= from) return;
    this.flagsCheckedNs = now;
    let c = this.ram[RTC_REG_C]!;
    const period = this.periodNs();
    if (period > 0 && Math.floor(now / period) > Math.floor(from / period)) c |= REG_C_PF;
    if (this.running()) {
      // Update boundaries in (from, now].
      const first = Math.floor((from - this.anchorNs) / SECOND) + 1;
      const last = Math.floor((now - this.anchorNs) / SECOND);
      if (last >= first) {
        c |= REG_C_UF;
        // A day of boundaries covers every alarm setting.
        for (let j = Math.max(first, last - 86400); j <= last; j++) {
          if (this.alarmMatches(civilFromSeconds(this.seconds + j))) {
            c |= REG_C_AF;
            break;
          }
        }
      }
    }
    this.ram[RTC_REG_C] = c;
    this.updateIrq();
  }

  private alarmMatches(t: CivilTime): boolean {
    const match = (alarm: number, actual: number) => (alarm & 0xc0) === 0xc0 || alarm === actual;
    return (
      match(this.ram[RTC_SECONDS_ALARM]!, this.encode(t.second)) &&
      match(this.ram[RTC_MINUTES_ALARM]!, this.encode(t.minute)) &&
      match(this.ram[RTC_HOURS_ALARM]!, this.encodeHour(t.hour))
    );
  }

  private updateIrq(): void {
    const b = this.ram[RTC_REG_B]!;
    let c = this.ram[RTC_REG_C]! & 0x70;
    const enabled = c & b & (REG_C_PF | REG_C_AF | REG_C_UF);
    if (enabled !== 0) c |= REG_C_IRQF;
    this.ram[RTC_REG_C] = c;
    const level = enabled !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      if (level) this.events?.onEvent('rtc-mc146818', 'irq', c);
      this.irq.setLevel(level);
    }
  }

  nextDeadline(): number {
    if (this.irqLevel) return Number.POSITIVE_INFINITY; // IRQF stays set until register C is read
    const b = this.ram[RTC_REG_B]!;
    const now = this.clock.now();
    let next = Number.POSITIVE_INFINITY;
    const period = this.periodNs();
    if ((b & REG_B_PIE) !== 0 && period > 0) next = (Math.floor(now / period) + 1) * period;
    if ((b & (REG_B_UIE | REG_B_AIE)) !== 0 && this.running()) {
      const boundary = this.anchorNs + (Math.floor((now - this.anchorNs) / SECOND) + 1) * SECOND;
      if (boundary < next) next = boundary;
    }
    return Math.ceil(next);
  }

  advanceTo(_now: number): void {
    this.updateFlags();
  }

  reset(): void {
    // RESET clears PIE, AIE, UIE, SQWE and the flags; the time and RAM survive (datasheet, "RESET").
    this.updateFlags();
    this.ram[RTC_REG_B] = this.ram[RTC_REG_B]! & ~(REG_B_PIE | REG_B_AIE | REG_B_UIE | 0x08);
    this.ram[RTC_REG_C] = 0;
    this.updateIrq();
  }

  save(): DeviceState {
    return {
      kind: 'rtc-mc146818',
      version: 1,
      ram: Array.from(this.ram),
      index: this.index,
      nmiDisabled: this.nmiDisabled,
      seconds: this.seconds,
      anchorNs: this.anchorNs,
      flagsCheckedNs: this.flagsCheckedNs,
      irqLevel: this.irqLevel,
      weekdayOffset: this.weekdayOffset,
    };
  }

  restore(state: DeviceState): void {
    const s = readState(state, 'rtc-mc146818', 1);
    const ram = s.ints('ram', 0, 0xff, 128);
    const index = s.int('index', 0, 0x7f);
    const nmiDisabled = s.bool('nmiDisabled');
    const seconds = s.int('seconds', -(2 ** 40), 2 ** 40);
    const anchorNs = s.num('anchorNs');
    const flagsCheckedNs = s.num('flagsCheckedNs');
    const irqLevel = s.bool('irqLevel');
    const weekdayOffset = s.int('weekdayOffset', 0, 6);
    this.ram.set(ram);
    this.weekdayOffset = weekdayOffset;
    this.index = index;
    this.nmiDisabled = nmiDisabled;
    this.seconds = seconds;
    this.anchorNs = anchorNs;
    this.flagsCheckedNs = flagsCheckedNs;
    this.irqLevel = irqLevel;
  }
}
