import type { AccessSize, Device, DeviceState, InterruptLine } from '../device/device.ts';
import { readState } from '../device/state.ts';

/** I/O APIC register select (offset 0x00) and window (0x10), 82093AA datasheet 3.0. */
export const IOAPIC_IOREGSEL = 0x00;
/** I/O APIC register window (32 bits). */
export const IOAPIC_IOWIN = 0x10;
/** I/O APIC ID register. */
export const IOAPIC_REG_ID = 0x00;
/** I/O APIC version register. */
export const IOAPIC_REG_VERSION = 0x01;
/** I/O APIC arbitration register. */
export const IOAPIC_REG_ARBITRATION = 0x02;
/** Redirection entry n occupies registers 0x10 + 2n (low) and 0x11 + 2n (high). */
export const IOAPIC_REG_REDIRECTION = 0x10;

/** Redirection entry bits (82093AA 3.2.4). */
export const IOAPIC_RTE_MASKED = 0x1_0000;
/** Redirection entry bit 15: level triggered. */
export const IOAPIC_RTE_LEVEL = 0x8000;
/** Redirection entry bit 14: Remote IRR (level interrupt accepted, awaiting EOI). */
export const IOAPIC_RTE_REMOTE_IRR = 0x4000;
/** Redirection entry bit 13: active low. */
export const IOAPIC_RTE_POLARITY_LOW = 0x2000;
/** Redirection entry bit 11: logical destination mode. */
export const IOAPIC_RTE_LOGICAL = 0x800;

const PINS = 24;
/** Version 0x11, maximum redirection entry 23. */
const VERSION = 0x0017_0011;

/** How the I/O APIC sends a message on the APIC bus (see `ApicBus.deliver`). */
export type IoApicDeliver = (
  logical: boolean,
  destination: number,
  deliveryMode: number,
  vector: number,
  level: boolean,
) => void;

/**
 * The 82093AA I/O APIC: 24 redirection entries behind IOREGSEL/IOWIN, edge and level inputs
 * (Remote IRR set on a level delivery and cleared by the local APIC's EOI broadcast), polarity,
 * masks and the ID, version and arbitration registers. Register at physical 0xFEC00000, length 0x1000.
 */
export class IoApic implements Device {
  private id = 0;
  private select = 0;
  private readonly lo = new Uint32Array(PINS).fill(IOAPIC_RTE_MASKED);
  private readonly hi = new Uint32Array(PINS);
  /** Input pin levels as driven (before polarity). */
  private levels = 0;
  private readonly pinLines: InterruptLine[];

  /** @param deliver sends a message to the local APICs; unconnected by default. */
  constructor(private readonly deliverMessage: IoApicDeliver = () => {}) {
    this.pinLines = Array.from({ length: PINS }, (_, pin) => ({ setLevel: (high: boolean) => this.setIrq(pin, high) }));
  }

  readonly accessPolicy = { sizes: [1, 2, 4] as const, unaligned: 'ignore' as const };

  /** The interrupt line of input pin `pin` (0-23). */
  line(pin: number): InterruptLine {
    return this.pinLines[pin]!;
  }

  private asserted(pin: number): boolean {
    const high = (this.levels & (1 << pin)) !== 0;
    return (this.lo[pin]! & IOAPIC_RTE_POLARITY_LOW) !== 0 ? !high : high;
  }

  /** Drives input `pin`. An edge-triggered pin delivers on assertion; a level pin while asserted. */
  setIrq(pin: number, high: boolean): void {
    const was = this.asserted(pin);
    this.levels = high ? this.levels | (1 << pin) : this.levels & ~(1 << pin);
    const now = this.asserted(pin);
    if ((this.lo[pin]! & IOAPIC_RTE_LEVEL) !== 0) {
      if (now) this.service(pin);
    } else if (now && !was) this.service(pin);
  }

  private service(pin: number): void {
    const lo = this.lo[pin]!;
    if ((lo & IOAPIC_RTE_MASKED) !== 0) return;
    const level = (lo & IOAPIC_RTE_LEVEL) !== 0;
    if (level) {
      if ((lo & IOAPIC_RTE_REMOTE_IRR) !== 0) return;
      this.lo[pin] = lo | IOAPIC_RTE_REMOTE_IRR;
    }
    this.deliverMessage((lo & IOAPIC_RTE_LOGICAL) !== 0, this.hi[pin]! >>> 24, (lo >> 8) & 7, lo & 0xff, level);
  }

  /** The local APIC's EOI broadcast for `vector`: clears Remote IRR and re-delivers a still-asserted level. */
  eoi(vector: number): void {
    for (let pin = 0; pin < PINS; pin++) {
      const lo = this.lo[pin]!;
      if ((lo & 0xff) !== vector || (lo & IOAPIC_RTE_REMOTE_IRR) === 0) continue;
      this.lo[pin] = lo & ~IOAPIC_RTE_REMOTE_IRR;
      if ((lo & IOAPIC_RTE_LEVEL) !== 0 && this.asserted(pin)) this.service(pin);
    }
  }

  read(offset: number, size: AccessSize): number {
    let v: number;
    if (offset === IOAPIC_IOREGSEL) v = this.select;
    else if (offset >= IOAPIC_IOWIN && offset < IOAPIC_IOWIN + 4) {
      v = this.readRegister(this.select);
      v = v >>> ((offset - IOAPIC_IOWIN) * 8);
    } else return 0;
    return size === 4 ? v >>> 0 : v & (size === 1 ? 0xff : 0xffff);
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (offset === IOAPIC_IOREGSEL) this.select = value & 0xff;
    else if (offset === IOAPIC_IOWIN && size === 4) this.writeRegister(this.select, value >>> 0);
  }

  /** Reads indirect register `index`. */
  readRegister(index: number): number {
    if (index === IOAPIC_REG_ID) return (this.id << 24) >>> 0;
    if (index === IOAPIC_REG_VERSION) return VERSION;
    if (index === IOAPIC_REG_ARBITRATION) return (this.id << 24) >>> 0;
    const n = index - IOAPIC_REG_REDIRECTION;
    if (n >= 0 && n < PINS * 2) return (n & 1) === 0 ? this.lo[n >> 1]! : this.hi[n >> 1]!;
    return 0;
  }

  /** Writes indirect register `index`. */
  writeRegister(index: number, value: number): void {
    if (index === IOAPIC_REG_ID) {
      this.id = (value >>> 24) & 0xf;
      return;
    }
    const n = index - IOAPIC_REG_REDIRECTION;
    if (n < 0 || n >= PINS * 2) return;
    const pin = n >> 1;
    if ((n & 1) === 1) {
      this.hi[pin] = value & 0xff00_0000;
      return;
    }
    // Delivery status (bit 12) and Remote IRR (bit 14) are read-only.
    const old = this.lo[pin]!;
    let lo = (value & 0x1_afff) | (old & IOAPIC_RTE_REMOTE_IRR);
    if ((lo & IOAPIC_RTE_LEVEL) === 0) lo &= ~IOAPIC_RTE_REMOTE_IRR;
    this.lo[pin] = lo >>> 0;
    // Unmasking a level input that is asserted delivers it.
    if (
      (old & IOAPIC_RTE_MASKED) !== 0 &&
      (lo & IOAPIC_RTE_MASKED) === 0 &&
      (lo & IOAPIC_RTE_LEVEL) !== 0 &&
      this.asserted(pin)
    ) {
      this.service(pin);
    }
  }

  reset(): void {
    this.id = 0;
    this.select = 0;
    this.lo.fill(IOAPIC_RTE_MASKED);
    this.hi.fill(0);
  }

  save(): DeviceState {
    return {
      kind: 'io-apic',
      version: 1,
      id: this.id,
      select: this.select,
      lo: Array.from(this.lo),
      hi: Array.from(this.hi),
      levels: this.levels,
    };
  }

  restore(state: DeviceState): void {
    const s = readState(state, 'io-apic', 1);
    const id = s.int('id', 0, 0xf);
    const select = s.int('select', 0, 0xff);
    const lo = s.ints('lo', 0, 0xffffffff, PINS);
    const hi = s.ints('hi', 0, 0xffffffff, PINS);
    const levels = s.int('levels', 0, 0xffffff);
    this.id = id;
    this.select = select;
    this.lo.set(lo);
    this.hi.set(hi);
    this.levels = levels;
  }
}
