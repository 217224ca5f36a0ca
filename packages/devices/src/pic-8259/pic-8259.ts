import type { AccessSize, Device, DeviceState, InterruptLine } from '../device/device.ts';
import { readState, type StateReader } from '../device/state.ts';

// 8259A datasheet (Intel 231468): command words.
/** ICW1 is any write to offset 0 with bit 4 set. */
export const PIC_ICW1 = 0b0001_0000;
/** ICW1 bit 0: ICW4 needed. */
export const PIC_ICW1_IC4 = 0b0000_0001;
/** ICW1 bit 1: single (no ICW3). */
export const PIC_ICW1_SNGL = 0b0000_0010;
/** ICW1 bit 3: level-triggered mode for every input. */
export const PIC_ICW1_LTIM = 0b0000_1000;
/** ICW4 bit 1: automatic end of interrupt. */
export const PIC_ICW4_AEOI = 0b0000_0010;
/** ICW4 bit 4: special fully nested mode. */
export const PIC_ICW4_SFNM = 0b0001_0000;
/** OCW3 is a write to offset 0 with bits 4:3 = 01. */
export const PIC_OCW3 = 0b0000_1000;
/** OCW3 bit 2: poll command. */
export const PIC_OCW3_POLL = 0b0000_0100;
/** OCW3 bit 1: read register command valid; bit 0 selects ISR (1) or IRR (0). */
export const PIC_OCW3_RR = 0b0000_0010;
/** OCW3 bit 6: special mask mode command valid; bit 5 sets (1) or resets (0) it. */
export const PIC_OCW3_ESMM = 0b0100_0000;

/** The register state of one 8259A. */
interface PicRegs {
  irr: number;
  isr: number;
  imr: number;
  /** Input levels last seen, for edge detection. */
  lastLevel: number;
  /** Priority rotation: IR `priorityAdd` has the highest priority. */
  priorityAdd: number;
  vectorBase: number;
  /** 0: ready for OCWs; 2, 3, 4: expecting ICW2, ICW3, ICW4. */
  initState: number;
  needIcw4: boolean;
  single: boolean;
  ltim: boolean;
  icw3: number;
  icw4: number;
  autoEoi: boolean;
  rotateOnAutoEoi: boolean;
  specialFullyNested: boolean;
  specialMask: boolean;
  readIsr: boolean;
  poll: boolean;
  /** Edge/level control register bits (ELCR), 1 = level. */
  elcr: number;
}

function powerOn(): PicRegs {
  return {
    irr: 0,
    isr: 0,
    imr: 0,
    lastLevel: 0,
    priorityAdd: 0,
    vectorBase: 0,
    initState: 0,
    needIcw4: false,
    single: false,
    ltim: false,
    icw3: 0,
    icw4: 0,
    autoEoi: false,
    rotateOnAutoEoi: false,
    specialFullyNested: false,
    specialMask: false,
    readIsr: false,
    poll: false,
    elcr: 0,
  };
}

/**
 * One Intel 8259A programmable interrupt controller: ICW1-4, OCW1-3, edge and level inputs
 * (LTIM or a per-input ELCR bit), every EOI form, priority rotation, special mask mode,
 * special fully nested mode, automatic EOI and the poll command. Two of them make the PC's
 * pair: see {@link DualPic}.
 *
 * Registers (offsets): 0 = ICW1/OCW2/OCW3 write, IRR/ISR/poll read; 1 = ICW2-4/OCW1 write, IMR read.
 */
export class Pic8259 implements Device {
  private r: PicRegs = powerOn();
  readonly accessPolicy = { sizes: [1] as const };

  /**
   * @param isMaster the master's IR2 has the slave cascaded (special fully nested mode looks at it).
   * @param onChange called whenever the INT output may have changed.
   */
  constructor(
    private readonly isMaster: boolean,
    private readonly onChange: () => void,
  ) {}

  /** Drives input `irq` (0-7) to `level`. */
  setIrq(irq: number, level: boolean): void {
    const mask = 1 << irq;
    const r = this.r;
    // Edge mode latches the request on a rising edge and keeps it until the acknowledge, so a
    // device may signal an edge as raise-then-lower (the device contract); a level input requests
    // exactly while it is high.
    if (this.isLevel(irq)) {
      if (level) r.irr |= mask;
      else r.irr &= ~mask;
    } else if (level && (r.lastLevel & mask) === 0) r.irr |= mask;
    if (level) r.lastLevel |= mask;
    else r.lastLevel &= ~mask;
    this.onChange();
  }

  /** Re-evaluates the INT output after an acknowledge. */
  refresh(): void {
    this.onChange();
  }

  /** The ELCR bits of this chip (1 = level triggered). */
  get elcr(): number {
    return this.r.elcr;
  }

  set elcr(value: number) {
    this.r.elcr = value & 0xff;
    // A level input that is high now requests service.
    this.r.irr = (this.r.irr & ~this.r.elcr) | (this.r.lastLevel & this.r.elcr);
    this.onChange();
  }

  private isLevel(irq: number): boolean {
    return this.r.ltim || (this.r.elcr & (1 << irq)) !== 0;
  }

  /** The priority level (0 = highest) of the highest-priority bit in `mask`, 8 if none. */
  private priorityOf(mask: number): number {
    if (mask === 0) return 8;
    let p = 0;
    while ((mask & (1 << ((p + this.r.priorityAdd) & 7))) === 0) p++;
    return p;
  }

  /** The IR this chip would request service for now, or -1. */
  pendingIrq(): number {
    const r = this.r;
    const request = this.priorityOf(r.irr & ~r.imr);
    if (request === 8) return -1;
    let inService = r.isr;
    // Special mask mode: masked in-service levels do not inhibit lower ones.
    if (r.specialMask) inService &= ~r.imr;
    // Special fully nested mode: the cascade input may interrupt its own in-service level.
    if (r.specialFullyNested && this.isMaster) inService &= ~(1 << 2);
    const current = this.priorityOf(inService);
    return request < current ? (request + r.priorityAdd) & 7 : -1;
  }

  /** The INTA cycle for `irq`: sets its ISR bit (unless automatic EOI) and clears an edge request. */
  acknowledge(irq: number): void {
    const r = this.r;
    if (r.autoEoi) {
      if (r.rotateOnAutoEoi) r.priorityAdd = (irq + 1) & 7;
    } else r.isr |= 1 << irq;
    if (!this.isLevel(irq)) r.irr &= ~(1 << irq);
  }

  /** The vector for `irq` as ICW2 set it. */
  vector(irq: number): number {
    return this.r.vectorBase + irq;
  }

  read(offset: number, _size: AccessSize): number {
    const r = this.r;
    if (r.poll) {
      r.poll = false;
      const irq = this.pendingIrq();
      if (irq < 0) return 0;
      this.acknowledge(irq);
      this.onChange();
      return 0x80 | irq;
    }
    if ((offset & 1) === 0) return r.readIsr ? r.isr : r.irr;
    return r.imr;
  }

  write(offset: number, _size: AccessSize, value: number): void {
    const r = this.r;
    value &= 0xff;
    if ((offset & 1) === 0) {
      if ((value & PIC_ICW1) !== 0) this.icw1(value);
      else if ((value & PIC_OCW3) !== 0) {
        if ((value & PIC_OCW3_POLL) !== 0) r.poll = true;
        if ((value & PIC_OCW3_RR) !== 0) r.readIsr = (value & 1) !== 0;
        if ((value & PIC_OCW3_ESMM) !== 0) r.specialMask = (value & 0x20) !== 0;
      } else this.ocw2(value);
    } else {
      switch (r.initState) {
        case 2:
          r.vectorBase = value & 0xf8;
          r.initState = r.single ? (r.needIcw4 ? 4 : 0) : 3;
          break;
        case 3:
          r.icw3 = value;
          r.initState = r.needIcw4 ? 4 : 0;
          break;
        case 4:
          r.icw4 = value & 0x1f;
          r.autoEoi = (value & PIC_ICW4_AEOI) !== 0;
          r.specialFullyNested = (value & PIC_ICW4_SFNM) !== 0;
          r.initState = 0;
          break;
        default:
          r.imr = value; // OCW1
      }
    }
    this.onChange();
  }

  private icw1(value: number): void {
    const r = this.r;
    // ICW1: the edge sense latches clear, IMR clears, IR7 gets the lowest priority, special mask
    // mode resets, the status read selects the IRR. ELCR is a separate register and survives.
    r.lastLevel &= r.elcr;
    r.irr &= r.elcr;
    r.isr = 0;
    r.imr = 0;
    r.priorityAdd = 0;
    r.specialMask = false;
    r.readIsr = false;
    r.poll = false;
    r.autoEoi = false;
    r.rotateOnAutoEoi = false;
    r.specialFullyNested = false;
    r.icw4 = 0;
    r.needIcw4 = (value & PIC_ICW1_IC4) !== 0;
    r.single = (value & PIC_ICW1_SNGL) !== 0;
    r.ltim = (value & PIC_ICW1_LTIM) !== 0;
    r.initState = 2;
  }

  private ocw2(value: number): void {
    const r = this.r;
    const level = value & 7;
    switch (value >> 5) {
      case 0b000: // rotate in automatic EOI mode (clear)
        r.rotateOnAutoEoi = false;
        break;
      case 0b100: // rotate in automatic EOI mode (set)
        r.rotateOnAutoEoi = true;
        break;
      case 0b001: // non-specific EOI
      case 0b101: {
        // rotate on non-specific EOI
        const p = this.priorityOf(r.isr);
        if (p === 8) break;
        const irq = (p + r.priorityAdd) & 7;
        r.isr &= ~(1 << irq);
        if (value >> 5 === 0b101) r.priorityAdd = (irq + 1) & 7;
        break;
      }
      case 0b011: // specific EOI
        r.isr &= ~(1 << level);
        break;
      case 0b111: // rotate on specific EOI
        r.isr &= ~(1 << level);
        r.priorityAdd = (level + 1) & 7;
        break;
      case 0b110: // set priority: `level` becomes the lowest
        r.priorityAdd = (level + 1) & 7;
        break;
      default: // 0b010: no operation
        break;
    }
  }

  reset(): void {
    const elcr = this.r.elcr;
    this.r = powerOn();
    this.r.elcr = elcr;
    this.onChange();
  }

  save(): DeviceState {
    return { kind: 'pic-8259', version: 1, ...this.r };
  }

  restore(state: DeviceState): void {
    this.r = parsePicRegs(readState(state, 'pic-8259', 1));
    this.onChange();
  }
}

function parsePicRegs(s: StateReader): PicRegs {
  return {
    irr: s.int('irr', 0, 0xff),
    isr: s.int('isr', 0, 0xff),
    imr: s.int('imr', 0, 0xff),
    lastLevel: s.int('lastLevel', 0, 0xff),
    priorityAdd: s.int('priorityAdd', 0, 7),
    vectorBase: s.int('vectorBase', 0, 0xf8),
    initState: s.int('initState', 0, 4),
    needIcw4: s.bool('needIcw4'),
    single: s.bool('single'),
    ltim: s.bool('ltim'),
    icw3: s.int('icw3', 0, 0xff),
    icw4: s.int('icw4', 0, 0x1f),
    autoEoi: s.bool('autoEoi'),
    rotateOnAutoEoi: s.bool('rotateOnAutoEoi'),
    specialFullyNested: s.bool('specialFullyNested'),
    specialMask: s.bool('specialMask'),
    readIsr: s.bool('readIsr'),
    poll: s.bool('poll'),
    elcr: s.int('elcr', 0, 0xff),
  };
}

/** ELCR bits that exist on a PC chipset: IRQ0, 1, 2 (master) and 8, 13 (slave) are always edge. */
const ELCR_MASK = [0xf8, 0xde] as const;

/**
 * The PC's cascaded 8259A pair: master at ports 0x20-0x21, slave at 0xA0-0xA1 on the master's
 * IR2, and the chipset's edge/level control registers (ELCR) at 0x4D0-0x4D1. It implements the
 * CPU's `InterruptController` contract (`hasInterrupt` / `acknowledge`), and `line(irq)` gives
 * the interrupt line for ISA IRQ 0-15.
 *
 * @example
 * ```ts
 * import { DualPic } from '@typevisor/devices';
 * const pic = new DualPic();
 * // The classic BIOS initialisation: vectors 0x08 and 0x70, cascade on IR2, 8086 mode.
 * for (const [port, value] of [[0, 0x11], [1, 0x08], [1, 0x04], [1, 0x01]] as const) pic.master.write(port, 1, value);
 * for (const [port, value] of [[0, 0x11], [1, 0x70], [1, 0x02], [1, 0x01]] as const) pic.slave.write(port, 1, value);
 * pic.line(0).setLevel(true);
 * pic.hasInterrupt(); // true
 * pic.acknowledge(); // 0x08
 * ```
 */
export class DualPic implements Device {
  /** The master chip: register at port 0x20, length 2. */
  readonly master: Pic8259;
  /** The slave chip: register at port 0xA0, length 2. */
  readonly slave: Pic8259;
  private readonly lines: InterruptLine[];
  private slaveOutput = false;
  private output = false;
  readonly accessPolicy = { sizes: [1] as const };

  /**
   * @param options.onOutputChange called when the master's INT output changes level (a CPU in HLT
   *   can wake on it); the CPU may equally just poll `hasInterrupt()`.
   */
  constructor(options: { onOutputChange?: (high: boolean) => void } = {}) {
    const notify = options.onOutputChange;
    this.master = new Pic8259(true, () => {
      const out = this.master.pendingIrq() >= 0;
      if (out !== this.output) {
        this.output = out;
        notify?.(out);
      }
    });
    this.slave = new Pic8259(false, () => {
      const out = this.slave.pendingIrq() >= 0;
      if (out !== this.slaveOutput) {
        this.slaveOutput = out;
        this.master.setIrq(2, out);
      }
    });
    this.lines = Array.from({ length: 16 }, (_, irq) => ({
      setLevel: (high: boolean) => (irq < 8 ? this.master : this.slave).setIrq(irq & 7, high),
    }));
  }

  /** The interrupt line for ISA IRQ `irq` (0-15); IRQ 2 is the cascade and is ignored. */
  line(irq: number): InterruptLine {
    if (irq === 2) return { setLevel() {} };
    return this.lines[irq]!;
  }

  /** `InterruptController.hasInterrupt`: the master's INT output. */
  hasInterrupt(): boolean {
    return this.master.pendingIrq() >= 0;
  }

  /**
   * `InterruptController.acknowledge`: the two INTA cycles. Returns the vector; with no request
   * left (it went away) the answer is the spurious IR7 vector of the chip asked, as on hardware.
   */
  acknowledge(): number {
    const irq = this.master.pendingIrq();
    if (irq < 0) return this.master.vector(7);
    this.master.acknowledge(irq);
    if (irq === 2) {
      const irq2 = this.slave.pendingIrq();
      let vector: number;
      if (irq2 >= 0) {
        this.slave.acknowledge(irq2);
        vector = this.slave.vector(irq2);
      } else vector = this.slave.vector(7);
      // The slave's INT output drops while the acknowledged level is in service.
      this.slave.refresh();
      this.master.refresh();
      return vector;
    }
    this.master.refresh();
    return this.master.vector(irq);
  }

  /** The ELCR pair as one device: register at port 0x4D0, length 2. */
  read(offset: number, _size: AccessSize): number {
    return offset === 0 ? this.master.elcr : this.slave.elcr;
  }

  write(offset: number, _size: AccessSize, value: number): void {
    if (offset === 0) this.master.elcr = value & ELCR_MASK[0];
    else this.slave.elcr = value & ELCR_MASK[1];
  }

  reset(): void {
    this.master.elcr = 0;
    this.slave.elcr = 0;
    this.master.reset();
    this.slave.reset();
  }

  save(): DeviceState {
    return { kind: 'dual-pic', version: 1, master: this.master.save(), slave: this.slave.save() };
  }

  restore(state: DeviceState): void {
    const s = readState(state, 'dual-pic', 1);
    const m = s.object('master') as DeviceState;
    const sl = s.object('slave') as DeviceState;
    // Validate both before changing either.
    parsePicRegs(readState(m, 'pic-8259', 1));
    parsePicRegs(readState(sl, 'pic-8259', 1));
    this.slave.restore(sl);
    this.master.restore(m);
  }
}
