import type { AccessSize, ByteSink, Device, DeviceObserver, DeviceState, InterruptLine } from '../device/device.ts';
import { NULL_SINK, UNCONNECTED_LINE } from '../device/lines.ts';
import { readState } from '../device/state.ts';
import type { Clock, TimedDevice } from '../time/virtual-clock.ts';

// Register offsets (PC16550D datasheet, Table II).
/** Receiver buffer (read), transmitter holding (write), divisor latch LSB with DLAB=1. */
export const UART_RBR_THR = 0;
/** Interrupt enable, divisor latch MSB with DLAB=1. */
export const UART_IER = 1;
/** Interrupt identification (read), FIFO control (write). */
export const UART_IIR_FCR = 2;
/** Line control register. */
export const UART_LCR = 3;
/** Modem control register. */
export const UART_MCR = 4;
/** Line status register. */
export const UART_LSR = 5;
/** Modem status register. */
export const UART_MSR = 6;
/** Scratch register. */
export const UART_SCR = 7;

/** IER bit 0: received data available interrupt. */
export const IER_RDA = 0b0000_0001;
/** IER bit 1: transmitter holding register empty interrupt. */
export const IER_THRE = 0b0000_0010;
/** IER bit 2: receiver line status interrupt. */
export const IER_RLS = 0b0000_0100;
/** IER bit 3: modem status interrupt. */
export const IER_MS = 0b0000_1000;

/** IIR bit 0 set: no interrupt pending. */
export const IIR_NO_INT = 0b0000_0001;
/** IIR source: receiver line status (highest priority). */
export const IIR_RLS = 0b0000_0110;
/** IIR source: received data available. */
export const IIR_RDA = 0b0000_0100;
/** IIR source: character timeout. */
export const IIR_CHAR_TIMEOUT = 0b0000_1100;
/** IIR source: transmitter holding register empty. */
export const IIR_THRE = 0b0000_0010;
/** IIR source: modem status (lowest priority). */
export const IIR_MS = 0b0000_0000;
/** IIR bits 7:6 set while the FIFOs are enabled. */
export const IIR_FIFO_ENABLED = 0b1100_0000;

/** FCR bit 0: enable the FIFOs. */
export const FCR_ENABLE = 0b0000_0001;
/** FCR bit 1: clear the receive FIFO. */
export const FCR_CLEAR_RX = 0b0000_0010;
/** FCR bit 2: clear the transmit FIFO. */
export const FCR_CLEAR_TX = 0b0000_0100;

/** LCR bit 7: divisor latch access. */
export const LCR_DLAB = 0b1000_0000;
/** LCR bit 6: set break. */
export const LCR_BREAK = 0b0100_0000;

/** MCR bit 0: data terminal ready. */
export const MCR_DTR = 0b0000_0001;
/** MCR bit 1: request to send. */
export const MCR_RTS = 0b0000_0010;
/** MCR bit 2: OUT1. */
export const MCR_OUT1 = 0b0000_0100;
/** MCR bit 3: OUT2 (gates the IRQ on a PC). */
export const MCR_OUT2 = 0b0000_1000;
/** MCR bit 4: loopback. */
export const MCR_LOOP = 0b0001_0000;

/** LSR bit 0: data ready. */
export const LSR_DR = 0b0000_0001;
/** LSR bit 1: overrun error. */
export const LSR_OE = 0b0000_0010;
/** LSR bit 2: parity error. */
export const LSR_PE = 0b0000_0100;
/** LSR bit 3: framing error. */
export const LSR_FE = 0b0000_1000;
/** LSR bit 4: break interrupt. */
export const LSR_BI = 0b0001_0000;
/** LSR bit 5: transmitter holding register empty. */
export const LSR_THRE = 0b0010_0000;
/** LSR bit 6: transmitter empty. */
export const LSR_TEMT = 0b0100_0000;
/** LSR bit 7: an erroneous byte is in the receive FIFO. */
export const LSR_FIFO_ERROR = 0b1000_0000;

/** MSR bit 0: CTS changed. */
export const MSR_DCTS = 0b0000_0001;
/** MSR bit 1: DSR changed. */
export const MSR_DDSR = 0b0000_0010;
/** MSR bit 2: RI went off. */
export const MSR_TERI = 0b0000_0100;
/** MSR bit 3: DCD changed. */
export const MSR_DDCD = 0b0000_1000;
/** MSR bit 4: clear to send. */
export const MSR_CTS = 0b0001_0000;
/** MSR bit 5: data set ready. */
export const MSR_DSR = 0b0010_0000;
/** MSR bit 6: ring indicator. */
export const MSR_RI = 0b0100_0000;
/** MSR bit 7: data carrier detect. */
export const MSR_DCD = 0b1000_0000;

const FIFO_SIZE = 16;
const RX_TRIGGER = [1, 4, 8, 14] as const;
/** The PC's 1.8432 MHz UART clock divided by 16: the baud rate at divisor 1. */
const BASE_BAUD = 115_200;

/** Options of {@link Uart16550}. */
export interface Uart16550Options {
  /** Bytes the guest transmits (not in loopback). */
  output?: ByteSink;
  /** The IRQ line (IRQ4 for COM1). */
  irq?: InterruptLine;
  /** Virtual time for the FIFO character timeout; without it the timeout is due at once. */
  clock?: Clock;
  events?: DeviceObserver;
  /** Modem status inputs (CTS, DSR, RI, DCD in MSR bits 4-7) when not in loopback. Default CTS|DSR|DCD. */
  modemInputs?: number;
  /** Whether MCR.OUT2 gates the IRQ output, as on a PC serial card. Default true. */
  out2GatesIrq?: boolean;
}

/**
 * The National Semiconductor PC16550D UART ("16550A"): every register, 16-byte receive FIFO with
 * trigger levels, the character timeout, the divisor latch, the interrupt identification register
 * with its five sources in datasheet priority order, loopback, modem status deltas and the
 * scratch register. Transmission is instantaneous in virtual time (THR and the shift register are
 * always empty again by the next access); the host feeds received bytes with `receive`.
 *
 * Register it at port 0x3F8 (COM1), length 8.
 *
 * @example
 * ```ts
 * import { ByteCollector, Uart16550 } from '@typevisor/devices';
 * const out = new ByteCollector();
 * const uart = new Uart16550({ output: out });
 * for (const c of 'hi') uart.write(0, 1, c.charCodeAt(0));
 * out.text(); // 'hi'
 * uart.receive(0x41);
 * uart.read(5, 1) & 1; // LSR.DR = 1
 * uart.read(0, 1); // 0x41
 * ```
 */
export class Uart16550 implements Device, TimedDevice {
  private readonly output: ByteSink;
  private readonly irq: InterruptLine;
  private readonly clock: Clock | undefined;
  private readonly events: DeviceObserver | undefined;
  private readonly out2Gates: boolean;
  private modemInputs: number;

  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private lsr = LSR_THRE | LSR_TEMT;
  private msr = 0;
  private scr = 0;
  private fcr = 0;
  private divisor = 12;
  /** Receive FIFO (also the single RBR when the FIFOs are off). */
  private rx: number[] = [];
  /** Error flags (PE|FE|BI) per FIFO entry, for LSR bit 7 and per-character reporting. */
  private rxErrors: number[] = [];
  private threPending = true;
  /** Virtual time of the last receive or RBR read, for the character timeout. */
  private lastRxActivity = 0;
  private irqLevel = false;

  constructor(options: Uart16550Options = {}) {
    this.output = options.output ?? NULL_SINK;
    this.irq = options.irq ?? UNCONNECTED_LINE;
    this.clock = options.clock;
    this.events = options.events;
    this.out2Gates = options.out2GatesIrq ?? true;
    this.modemInputs = (options.modemInputs ?? MSR_CTS | MSR_DSR | MSR_DCD) & 0xf0;
    this.msr = this.modemInputs;
    this.lastRxActivity = this.now();
  }

  readonly accessPolicy = { sizes: [1] as const };

  private now(): number {
    return this.clock?.now() ?? 0;
  }

  private get fifoEnabled(): boolean {
    return (this.fcr & FCR_ENABLE) !== 0;
  }

  read(offset: number, _size: AccessSize): number {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset) {
      case UART_RBR_THR:
        if (dlab) return this.divisor & 0xff;
        return this.readRbr();
      case UART_IER:
        if (dlab) return (this.divisor >> 8) & 0xff;
        return this.ier;
      case UART_IIR_FCR: {
        const iir = this.currentIir();
        // Reading the IIR while it reports THRE clears that source (datasheet, Table IV).
        if ((iir & 0x0f) === IIR_THRE) {
          this.threPending = false;
          this.updateIrq();
        }
        return iir;
      }
      case UART_LCR:
        return this.lcr;
      case UART_MCR:
        return this.mcr;
      case UART_LSR: {
        const v = this.lsrValue();
        // Reading LSR clears the error bits; bit 7 stays while an erroneous byte is in the FIFO.
        this.lsr &= ~(LSR_OE | LSR_PE | LSR_FE | LSR_BI);
        this.updateIrq();
        return v;
      }
      case UART_MSR: {
        const v = this.msr;
        this.msr &= 0xf0;
        this.updateIrq();
        return v;
      }
      default:
        return this.scr;
    }
  }

  write(offset: number, _size: AccessSize, value: number): void {
    value &= 0xff;
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset) {
      case UART_RBR_THR:
        if (dlab) this.divisor = (this.divisor & 0xff00) | value;
        else this.transmit(value);
        break;
      case UART_IER:
        if (dlab) this.divisor = (this.divisor & 0xff) | (value << 8);
        else {
          const enabledThre = (value & IER_THRE) !== 0 && (this.ier & IER_THRE) === 0;
          this.ier = value & 0x0f;
          // Enabling THRE with the holding register empty raises the THRE interrupt at once.
          if (enabledThre) this.threPending = true;
        }
        break;
      case UART_IIR_FCR: {
        const wasEnabled = this.fifoEnabled;
        const enable = (value & FCR_ENABLE) !== 0;
        // Changing the enable bit clears both FIFOs; bits 1-2 clear them (and self-clear).
        if (enable !== wasEnabled || (value & FCR_CLEAR_RX) !== 0) this.clearRx();
        this.fcr = value & 0xc9; // bits 5:4 are reserved on the 16550A
        if (!enable) this.fcr = 0;
        break;
      }
      case UART_LCR:
        this.lcr = value;
        break;
      case UART_MCR: {
        this.mcr = value & 0x1f;
        this.updateModemStatus();
        break;
      }
      case UART_LSR:
        break; // factory test only: writes are ignored
      case UART_MSR:
        break;
      default:
        this.scr = value;
    }
    this.updateIrq();
  }

  /** A byte arriving on the serial line (ignored in loopback, where the line is disconnected). */
  receive(byte: number): void {
    if ((this.mcr & MCR_LOOP) !== 0) return;
    this.pushRx(byte & 0xff, 0);
    this.updateIrq();
  }

  /** A break condition on the line: a zero character with LSR.BI. */
  receiveBreak(): void {
    if ((this.mcr & MCR_LOOP) !== 0) return;
    this.pushRx(0, LSR_BI);
    this.updateIrq();
  }

  /** How many more bytes the receiver holds before it overruns (for host-side flow control). */
  receiveRoom(): number {
    return (this.fifoEnabled ? FIFO_SIZE : 1) - this.rx.length;
  }

  /** Sets the modem status inputs CTS, DSR, RI, DCD (MSR bits 4-7), recording deltas. */
  setModemInputs(bits: number): void {
    this.modemInputs = bits & 0xf0;
    this.updateModemStatus();
    this.updateIrq();
  }

  nextDeadline(): number {
    if (!this.fifoEnabled || this.rx.length === 0 || this.clock === undefined) return Number.POSITIVE_INFINITY;
    const due = this.lastRxActivity + this.timeoutNs();
    return this.irqLevel || due <= this.now() ? Number.POSITIVE_INFINITY : due;
  }

  advanceTo(_now: number): void {
    this.updateIrq();
  }

  reset(): void {
    this.ier = 0;
    this.lcr = 0;
    this.mcr = 0;
    this.lsr = LSR_THRE | LSR_TEMT;
    this.scr = 0;
    this.fcr = 0;
    this.divisor = 12;
    this.rx = [];
    this.rxErrors = [];
    this.threPending = true;
    this.lastRxActivity = this.now();
    this.msr = this.modemInputs;
    this.updateIrq();
  }

  save(): DeviceState {
    return {
      kind: 'uart-16550',
      version: 1,
      ier: this.ier,
      lcr: this.lcr,
      mcr: this.mcr,
      lsr: this.lsr,
      msr: this.msr,
      scr: this.scr,
      fcr: this.fcr,
      divisor: this.divisor,
      rx: [...this.rx],
      rxErrors: [...this.rxErrors],
      threPending: this.threPending,
      lastRxActivity: this.lastRxActivity,
      modemInputs: this.modemInputs,
      irqLevel: this.irqLevel,
    };
  }

  restore(state: DeviceState): void {
    const s = readState(state, 'uart-16550', 1);
    const rx = s.ints('rx', 0, 0xff, undefined, FIFO_SIZE);
    const rxErrors = s.ints('rxErrors', 0, 0xff, rx.length);
    const next = {
      ier: s.int('ier', 0, 0x0f),
      lcr: s.int('lcr', 0, 0xff),
      mcr: s.int('mcr', 0, 0x1f),
      lsr: s.int('lsr', 0, 0xff),
      msr: s.int('msr', 0, 0xff),
      scr: s.int('scr', 0, 0xff),
      fcr: s.int('fcr', 0, 0xff),
      divisor: s.int('divisor', 0, 0xffff),
      threPending: s.bool('threPending'),
      lastRxActivity: s.num('lastRxActivity'),
      modemInputs: s.int('modemInputs', 0, 0xf0),
      irqLevel: s.bool('irqLevel'),
    };
    Object.assign(this, next);
    this.rx = [...rx];
    this.rxErrors = [...rxErrors];
  }

  private readRbr(): number {
    if (this.rx.length === 0) return 0;
    const byte = this.rx.shift()!;
    this.rxErrors.shift();
    this.lastRxActivity = this.now();
    this.updateIrq();
    return byte;
  }

  private transmit(byte: number): void {
    this.events?.onEvent('uart-16550', 'tx', byte);
    if ((this.mcr & MCR_LOOP) !== 0) this.pushRx(byte, 0);
    else this.output.writeByte(byte);
    // Transmission takes no virtual time: THR is empty again and THRE re-arms.
    this.threPending = true;
  }

  private pushRx(byte: number, errors: number): void {
    const capacity = this.fifoEnabled ? FIFO_SIZE : 1;
    if (this.rx.length >= capacity) {
      // Overrun: the FIFO keeps its bytes; the new character is lost (non-FIFO: RBR is overwritten).
      this.lsr |= LSR_OE;
      this.events?.onEvent('uart-16550', 'overrun', byte);
      if (!this.fifoEnabled) {
        this.rx[0] = byte;
        this.rxErrors[0] = errors;
      }
    } else {
      this.rx.push(byte);
      this.rxErrors.push(errors);
      this.events?.onEvent('uart-16550', 'rx', byte);
    }
    this.lsr |= errors;
    this.lastRxActivity = this.now();
  }

  private clearRx(): void {
    this.rx = [];
    this.rxErrors = [];
  }

  private lsrValue(): number {
    let v = (this.lsr & ~(LSR_DR | LSR_FIFO_ERROR)) | LSR_THRE | LSR_TEMT;
    if (this.rx.length > 0) v |= LSR_DR;
    if (this.fifoEnabled) {
      // LSR is polled in tight loops: a plain loop over at most 16 entries, no closure.
      for (let i = 0; i < this.rxErrors.length; i++) {
        if (this.rxErrors[i] !== 0) {
          v |= LSR_FIFO_ERROR;
          break;
        }
      }
    }
    return v;
  }

  private timeoutNs(): number {
    const wordBits = 5 + (this.lcr & 3);
    const stopBits = (this.lcr & 4) === 0 ? 1 : wordBits === 5 ? 1.5 : 2;
    const bits = 1 + wordBits + ((this.lcr & 8) !== 0 ? 1 : 0) + stopBits;
    const divisor = this.divisor === 0 ? 0x10000 : this.divisor;
    // Four character times at the programmed rate.
    return Math.ceil((4 * bits * divisor * 1e9) / BASE_BAUD);
  }

  private charTimeoutDue(): boolean {
    if (!this.fifoEnabled || this.rx.length === 0) return false;
    if (this.clock === undefined) return true;
    return this.now() >= this.lastRxActivity + this.timeoutNs();
  }

  private currentIir(): number {
    const fifo = this.fifoEnabled ? IIR_FIFO_ENABLED : 0;
    return fifo | this.pendingSource();
  }

  /** The highest-priority pending, enabled interrupt source as IIR bits 3:0. */
  private pendingSource(): number {
    const ier = this.ier;
    if ((ier & IER_RLS) !== 0 && (this.lsr & (LSR_OE | LSR_PE | LSR_FE | LSR_BI)) !== 0) return IIR_RLS;
    if ((ier & IER_RDA) !== 0) {
      const trigger = this.fifoEnabled ? RX_TRIGGER[this.fcr >> 6]! : 1;
      if (this.rx.length >= trigger) return IIR_RDA;
      if (this.charTimeoutDue()) return IIR_CHAR_TIMEOUT;
    }
    if ((ier & IER_THRE) !== 0 && this.threPending) return IIR_THRE;
    if ((ier & IER_MS) !== 0 && (this.msr & 0x0f) !== 0) return IIR_MS;
    return IIR_NO_INT;
  }

  private updateModemStatus(): void {
    const m = this.mcr;
    // Loopback (datasheet, MCR bit 4): RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
    const inputs =
      (m & MCR_LOOP) !== 0
        ? ((m & MCR_RTS) !== 0 ? MSR_CTS : 0) |
          ((m & MCR_DTR) !== 0 ? MSR_DSR : 0) |
          ((m & MCR_OUT1) !== 0 ? MSR_RI : 0) |
          ((m & MCR_OUT2) !== 0 ? MSR_DCD : 0)
        : this.modemInputs;
    const old = this.msr & 0xf0;
    let delta = this.msr & 0x0f;
    const changed = old ^ inputs;
    if ((changed & MSR_CTS) !== 0) delta |= MSR_DCTS;
    if ((changed & MSR_DSR) !== 0) delta |= MSR_DDSR;
    if ((changed & MSR_DCD) !== 0) delta |= MSR_DDCD;
    // TERI: RI went from on to off.
    if ((old & MSR_RI) !== 0 && (inputs & MSR_RI) === 0) delta |= MSR_TERI;
    this.msr = inputs | delta;
  }

  private updateIrq(): void {
    const pending = this.pendingSource() !== IIR_NO_INT;
    const gate = !this.out2Gates || ((this.mcr & MCR_OUT2) !== 0 && (this.mcr & MCR_LOOP) === 0);
    const level = pending && gate;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      if (level) this.events?.onEvent('uart-16550', 'irq', 4);
      this.irq.setLevel(level);
    }
  }
}
