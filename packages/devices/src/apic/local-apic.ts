import type { AccessSize, Device, DeviceObserver, DeviceState } from '../device/device.ts';
import { readState } from '../device/state.ts';
import type { Clock, TimedDevice } from '../time/virtual-clock.ts';

// SDM Vol. 3A 11.4.1, Table 11-1: local APIC register offsets.
/** Local APIC ID register. */
export const LAPIC_ID = 0x020;
/** Version register. */
export const LAPIC_VERSION = 0x030;
/** Task priority register. */
export const LAPIC_TPR = 0x080;
/** Arbitration priority register. */
export const LAPIC_APR = 0x090;
/** Processor priority register (read-only). */
export const LAPIC_PPR = 0x0a0;
/** End-of-interrupt register (write-only). */
export const LAPIC_EOI = 0x0b0;
/** Logical destination register. */
export const LAPIC_LDR = 0x0d0;
/** Destination format register. */
export const LAPIC_DFR = 0x0e0;
/** Spurious-interrupt vector register. */
export const LAPIC_SVR = 0x0f0;
/** In-service register, 8 x 32 bits at 16-byte steps. */
export const LAPIC_ISR = 0x100;
/** Trigger mode register, 8 x 32 bits. */
export const LAPIC_TMR = 0x180;
/** Interrupt request register, 8 x 32 bits. */
export const LAPIC_IRR = 0x200;
/** Error status register. */
export const LAPIC_ESR = 0x280;
/** LVT corrected machine-check interrupt. */
export const LAPIC_LVT_CMCI = 0x2f0;
/** Interrupt command register, bits 31:0 (a write sends the IPI). */
export const LAPIC_ICR_LO = 0x300;
/** Interrupt command register, bits 63:32 (destination). */
export const LAPIC_ICR_HI = 0x310;
/** LVT timer. */
export const LAPIC_LVT_TIMER = 0x320;
/** LVT thermal sensor. */
export const LAPIC_LVT_THERMAL = 0x330;
/** LVT performance monitoring counters. */
export const LAPIC_LVT_PERF = 0x340;
/** LVT LINT0. */
export const LAPIC_LVT_LINT0 = 0x350;
/** LVT LINT1. */
export const LAPIC_LVT_LINT1 = 0x360;
/** LVT error. */
export const LAPIC_LVT_ERROR = 0x370;
/** Timer initial count. */
export const LAPIC_TIMER_INITIAL = 0x380;
/** Timer current count (read-only). */
export const LAPIC_TIMER_CURRENT = 0x390;
/** Timer divide configuration. */
export const LAPIC_TIMER_DIVIDE = 0x3e0;

/** SVR bit 8: APIC software enable (SDM 11.9). */
export const SVR_APIC_ENABLED = 0x100;
/** LVT bit 16: masked. */
export const LVT_MASKED = 0x1_0000;
/** LVT timer bits 18:17: one-shot, periodic, TSC-deadline (SDM 11.5.4). */
export const LVT_TIMER_ONE_SHOT = 0x0_0000;
/** LVT timer mode: periodic. */
export const LVT_TIMER_PERIODIC = 0x2_0000;
/** LVT timer mode: TSC-deadline. */
export const LVT_TIMER_TSC_DEADLINE = 0x4_0000;
/** ESR bits (SDM 11.5.3). */
export const ESR_SEND_ILLEGAL_VECTOR = 0x20;
/** ESR bit 6: received an illegal vector. */
export const ESR_RECEIVE_ILLEGAL_VECTOR = 0x40;
/** ESR bit 7: illegal register address. */
export const ESR_ILLEGAL_REGISTER = 0x80;

/** ICR delivery modes, bits 10:8 (SDM 11.6.1). */
export const DELIVERY_FIXED = 0;
/** Delivery mode: lowest priority. */
export const DELIVERY_LOWEST_PRIORITY = 1;
/** Delivery mode: SMI. */
export const DELIVERY_SMI = 2;
/** Delivery mode: NMI. */
export const DELIVERY_NMI = 4;
/** Delivery mode: INIT. */
export const DELIVERY_INIT = 5;
/** Delivery mode: start-up IPI. */
export const DELIVERY_STARTUP = 6;
/** Delivery mode: ExtINT (vector from the 8259). */
export const DELIVERY_EXTINT = 7;

/** Version register: version 0x14 (integrated APIC), 7 LVT entries (max LVT entry 6). */
const VERSION = 0x0006_0014;
const LVT_OFFSETS = [
  LAPIC_LVT_CMCI,
  LAPIC_LVT_TIMER,
  LAPIC_LVT_THERMAL,
  LAPIC_LVT_PERF,
  LAPIC_LVT_LINT0,
  LAPIC_LVT_LINT1,
  LAPIC_LVT_ERROR,
];
const LVT_TIMER = 1;
const LVT_LINT0 = 4;
const LVT_ERROR = 6;

/** What the rest of the machine offers a local APIC: IPI routing and the CPU's special pins. */
export interface LocalApicPorts {
  /** Routes an IPI written to the ICR (see {@link ApicBus}). */
  sendIpi?(source: LocalApic, icrLo: number, icrHi: number): void;
  /** EOI of a level-triggered vector: the I/O APIC clears Remote IRR. */
  eoiBroadcast?(vector: number): void;
  onNmi?(): void;
  onInit?(): void;
  onStartup?(vector: number): void;
  onSmi?(): void;
  /** An ExtINT delivery: the CPU should take its vector from the 8259 pair. */
  onExtInt?(): void;
}

/** Options of {@link LocalApic}. */
export interface LocalApicOptions {
  clock: Clock;
  id?: number;
  /** Timer input clock (the bus clock) in Hz. Default 1 GHz. */
  timerHz?: number;
  /** TSC frequency in Hz, to turn an IA32_TSC_DEADLINE value into virtual time. Default 1 GHz. */
  tscHz?: number;
  ports?: LocalApicPorts;
  events?: DeviceObserver;
}

function highestBit(words: Uint32Array): number {
  for (let w = 7; w >= 0; w--) {
    const v = words[w]!;
    if (v !== 0) return w * 32 + 31 - Math.clz32(v);
  }
  return -1;
}

/**
 * An xAPIC local APIC (SDM Vol. 3A ch. 11) in its 4 KiB MMIO page: ID, version, TPR/PPR, EOI
 * (with the EOI broadcast for level-triggered vectors), LDR/DFR, SVR, ISR/TMR/IRR, ESR, the LVT
 * entries, the timer in one-shot, periodic and TSC-deadline modes, and the ICR for IPIs. It
 * implements the CPU's `InterruptController` contract.
 *
 * Register at physical 0xFEE00000, length 0x1000.
 *
 * @example
 * ```ts
 * import { LocalApic, VirtualClock } from '@typevisor/devices';
 * const clock = new VirtualClock();
 * const apic = new LocalApic({ clock });
 * clock.attach(apic);
 * apic.write(0xf0, 4, 0x1ff); // SVR: enabled, spurious vector 0xff
 * apic.write(0x3e0, 4, 0xb); // divide by 1
 * apic.write(0x320, 4, 0x40); // LVT timer: one-shot, vector 0x40
 * apic.write(0x380, 4, 1000); // initial count: 1000 ns at 1 GHz
 * clock.advanceTo(1000);
 * apic.hasInterrupt(); // true
 * apic.acknowledge(); // 0x40
 * ```
 */
export class LocalApic implements Device, TimedDevice {
  private readonly clock: Clock;
  private readonly ports: LocalApicPorts;
  private readonly events: DeviceObserver | undefined;
  private readonly timerHz: number;
  private readonly tscHz: number;
  private id: number;
  private readonly initialId: number;
  private tpr = 0;
  private ldr = 0;
  private dfr = 0xffffffff;
  private svr = 0xff;
  private readonly isr = new Uint32Array(8);
  private readonly tmr = new Uint32Array(8);
  private readonly irr = new Uint32Array(8);
  private esr = 0;
  private esrPending = 0;
  private icrLo = 0;
  private icrHi = 0;
  private readonly lvt = new Uint32Array(7).fill(LVT_MASKED);
  private timerInitial = 0;
  private timerDivide = 0;
  private timerStart = 0;
  /** Next timer expiry (ns), or -1 when the timer is not armed. */
  private timerDue = -1;
  /** TSC-deadline mode: the deadline in TSC units (lo/hi), 0 when disarmed. */
  private deadlineLo = 0;
  private deadlineHi = 0;
  private lintLevels = 0;

  constructor(options: LocalApicOptions) {
    this.clock = options.clock;
    this.ports = options.ports ?? {};
    this.events = options.events;
    this.timerHz = options.timerHz ?? 1e9;
    this.tscHz = options.tscHz ?? 1e9;
    this.initialId = options.id ?? 0;
    this.id = this.initialId;
  }

  readonly accessPolicy = { sizes: [1, 2, 4] as const, unaligned: 'ignore' as const };

  /** The APIC ID (bits 31:24 of the ID register). */
  get apicId(): number {
    return this.id;
  }

  /** The logical destination register. */
  get logicalDestination(): number {
    return this.ldr;
  }

  /** The destination format register. */
  get destinationFormat(): number {
    return this.dfr;
  }

  /** The task priority register. */
  get taskPriority(): number {
    return this.tpr;
  }

  get softwareEnabled(): boolean {
    return (this.svr & SVR_APIC_ENABLED) !== 0;
  }

  private ppr(): number {
    const isrv = highestBit(this.isr);
    const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
    return (this.tpr & 0xf0) >= isrClass ? this.tpr & 0xff : isrClass;
  }

  /** `InterruptController.hasInterrupt`: a fixed interrupt in IRR above the processor priority. */
  hasInterrupt(): boolean {
    this.pollTimer();
    const v = highestBit(this.irr);
    return v >= 0 && (v & 0xf0) > (this.ppr() & 0xf0);
  }

  /** `InterruptController.acknowledge`: moves the highest IRR vector to ISR and returns it (the spurious vector if none qualifies). */
  acknowledge(): number {
    this.pollTimer();
    const v = highestBit(this.irr);
    if (v < 0 || (v & 0xf0) <= (this.ppr() & 0xf0)) return this.svr & 0xff;
    this.irr[v >> 5]! &= ~(1 << (v & 31));
    this.isr[v >> 5]! |= 1 << (v & 31);
    return v;
  }

  /**
   * Accepts a fixed-mode interrupt from the APIC bus or an LVT (SDM 11.5.1). Vectors 0-15 are
   * illegal: they set the receive-illegal-vector error instead.
   */
  acceptInterrupt(vector: number, levelTriggered: boolean): void {
    vector &= 0xff;
    if (vector < 16) {
      this.raiseError(ESR_RECEIVE_ILLEGAL_VECTOR);
      return;
    }
    this.irr[vector >> 5]! |= 1 << (vector & 31);
    if (levelTriggered) this.tmr[vector >> 5]! |= 1 << (vector & 31);
    else this.tmr[vector >> 5]! &= ~(1 << (vector & 31));
    this.events?.onEvent('local-apic', 'accept', vector);
  }

  /** Delivers a non-fixed message (NMI, INIT, SIPI, SMI, ExtINT) to this APIC's CPU. */
  acceptSpecial(deliveryMode: number, vector: number): void {
    switch (deliveryMode) {
      case DELIVERY_NMI:
        this.ports.onNmi?.();
        break;
      case DELIVERY_INIT:
        this.ports.onInit?.();
        break;
      case DELIVERY_STARTUP:
        this.ports.onStartup?.(vector & 0xff);
        break;
      case DELIVERY_SMI:
        this.ports.onSmi?.();
        break;
      case DELIVERY_EXTINT:
        this.ports.onExtInt?.();
        break;
      default:
        break;
    }
  }

  /** Drives the LINT0/LINT1 pin; a rising edge (or high level for level LVTs) delivers per its LVT. */
  setLint(pin: 0 | 1, high: boolean): void {
    const bit = 1 << pin;
    const was = (this.lintLevels & bit) !== 0;
    this.lintLevels = high ? this.lintLevels | bit : this.lintLevels & ~bit;
    if (!high || was) return;
    const entry = this.lvt[LVT_LINT0 + pin]!;
    if ((entry & LVT_MASKED) !== 0 || !this.softwareEnabled) return;
    const mode = (entry >> 8) & 7;
    if (mode === DELIVERY_FIXED) this.acceptInterrupt(entry & 0xff, (entry & 0x8000) !== 0);
    else this.acceptSpecial(mode, entry & 0xff);
  }

  private raiseError(bits: number): void {
    this.esrPending |= bits;
    const entry = this.lvt[LVT_ERROR]!;
    if ((entry & LVT_MASKED) === 0 && (entry & 0xff) >= 16) {
      const v = entry & 0xff;
      this.irr[v >> 5]! |= 1 << (v & 31);
    }
  }

  private timerPeriodNs(): number {
    const d = ((this.timerDivide & 8) >> 1) | (this.timerDivide & 3);
    const divide = d === 7 ? 1 : 2 ** (d + 1);
    return (divide * 1e9) / this.timerHz;
  }

  private timerMode(): number {
    return this.lvt[LVT_TIMER]! & 0x6_0000;
  }

  /** Fires every timer expiry due by now. */
  private pollTimer(): void {
    const now = this.clock.now();
    while (this.timerDue >= 0 && this.timerDue <= now) {
      const entry = this.lvt[LVT_TIMER]!;
      if ((entry & LVT_MASKED) === 0 && this.softwareEnabled) this.acceptInterrupt(entry & 0xff, false);
      if (this.timerMode() === LVT_TIMER_PERIODIC && this.timerInitial > 0) {
        // Periodic: the next expiry is one full period later, however late we look.
        const period = this.timerInitial * this.timerPeriodNs();
        const missed = Math.floor((now - this.timerDue) / period);
        this.timerDue += (missed + 1) * period;
      } else {
        this.timerDue = -1;
        if (this.timerMode() === LVT_TIMER_TSC_DEADLINE) {
          this.deadlineLo = 0;
          this.deadlineHi = 0;
        }
      }
    }
  }

  private currentCount(): number {
    if (this.timerMode() === LVT_TIMER_TSC_DEADLINE || this.timerInitial === 0) return 0;
    const elapsed = Math.floor((this.clock.now() - this.timerStart) / this.timerPeriodNs());
    if (this.timerMode() === LVT_TIMER_PERIODIC) return this.timerInitial - (elapsed % this.timerInitial);
    return Math.max(0, this.timerInitial - elapsed);
  }

  /** IA32_TSC_DEADLINE write (the CPU forwards WRMSR 0x6E0); 0 disarms. Ignored outside TSC-deadline mode. */
  writeTscDeadline(lo: number, hi: number): void {
    this.pollTimer();
    if (this.timerMode() !== LVT_TIMER_TSC_DEADLINE) return;
    this.deadlineLo = lo >>> 0;
    this.deadlineHi = hi >>> 0;
    if (this.deadlineLo === 0 && this.deadlineHi === 0) {
      this.timerDue = -1;
      return;
    }
    const tsc = this.deadlineHi * 2 ** 32 + this.deadlineLo;
    this.timerDue = Math.max(this.clock.now(), Math.ceil((tsc * 1e9) / this.tscHz));
    this.pollTimer();
  }

  /** IA32_TSC_DEADLINE read: the armed deadline, 0 once it fired. */
  readTscDeadline(out: Uint32Array): void {
    this.pollTimer();
    out[0] = this.deadlineLo;
    out[1] = this.deadlineHi;
  }

  nextDeadline(): number {
    if (this.timerDue < 0) return Number.POSITIVE_INFINITY;
    return this.timerDue;
  }

  advanceTo(_now: number): void {
    this.pollTimer();
  }

  read(offset: number, size: AccessSize): number {
    const value = this.readRegister(offset & 0xff0);
    if ((offset & 0xc) !== 0) return 0;
    return size === 4 ? value : (value >>> ((offset & 3) * 8)) & (size === 1 ? 0xff : 0xffff);
  }

  /** Reads the 32-bit register at a 16-byte-aligned offset. */
  readRegister(reg: number): number {
    this.pollTimer();
    switch (reg) {
      case LAPIC_ID:
        return (this.id << 24) >>> 0;
      case LAPIC_VERSION:
        return VERSION;
      case LAPIC_TPR:
        return this.tpr;
      case LAPIC_APR:
        return 0;
      case LAPIC_PPR:
        return this.ppr();
      case LAPIC_LDR:
        return this.ldr;
      case LAPIC_DFR:
        return this.dfr;
      case LAPIC_SVR:
        return this.svr;
      case LAPIC_ESR:
        return this.esr;
      case LAPIC_ICR_LO:
        return this.icrLo; // delivery status (bit 12) is always idle: IPIs arrive at once
      case LAPIC_ICR_HI:
        return this.icrHi;
      case LAPIC_TIMER_INITIAL:
        return this.timerInitial;
      case LAPIC_TIMER_CURRENT:
        return this.currentCount();
      case LAPIC_TIMER_DIVIDE:
        return this.timerDivide;
      case LAPIC_EOI:
        return 0;
      default: {
        if (reg >= LAPIC_ISR && reg < LAPIC_ISR + 0x80) return this.isr[(reg - LAPIC_ISR) >> 4]!;
        if (reg >= LAPIC_TMR && reg < LAPIC_TMR + 0x80) return this.tmr[(reg - LAPIC_TMR) >> 4]!;
        if (reg >= LAPIC_IRR && reg < LAPIC_IRR + 0x80) return this.irr[(reg - LAPIC_IRR) >> 4]!;
        const l = LVT_OFFSETS.indexOf(reg);
        if (l >= 0) return this.lvt[l]!;
        return 0;
      }
    }
  }

  write(offset: number, size: AccessSize, value: number): void {
    // Registers are 32 bits wide and accessed as a whole (SDM 11.4.1); narrower writes are dropped.
    if (size !== 4 || (offset & 0xf) !== 0) return;
    this.writeRegister(offset & 0xff0, value >>> 0);
  }

  /** Writes the 32-bit register at a 16-byte-aligned offset. */
  writeRegister(reg: number, value: number): void {
    this.pollTimer();
    switch (reg) {
      case LAPIC_ID:
        this.id = value >>> 24;
        return;
      case LAPIC_TPR:
        this.tpr = value & 0xff;
        return;
      case LAPIC_EOI:
        this.eoi();
        return;
      case LAPIC_LDR:
        this.ldr = value & 0xff00_0000;
        return;
      case LAPIC_DFR:
        this.dfr = (value | 0x0fff_ffff) >>> 0;
        return;
      case LAPIC_SVR: {
        this.svr = value & 0x13ff;
        // Software disable masks every LVT entry (SDM 11.4.7.2).
        if ((this.svr & SVR_APIC_ENABLED) === 0) for (let i = 0; i < 7; i++) this.lvt[i]! |= LVT_MASKED;
        return;
      }
      case LAPIC_ESR:
        // A write latches the errors seen since the last write (SDM 11.5.3).
        this.esr = this.esrPending;
        this.esrPending = 0;
        return;
      case LAPIC_ICR_LO:
        this.icrLo = value & 0x000c_cfff;
        this.sendIpi();
        return;
      case LAPIC_ICR_HI:
        this.icrHi = value & 0xff00_0000;
        return;
      case LAPIC_TIMER_INITIAL:
        if (this.timerMode() === LVT_TIMER_TSC_DEADLINE) return;
        this.timerInitial = value >>> 0;
        this.timerStart = this.clock.now();
        this.timerDue = this.timerInitial === 0 ? -1 : this.timerStart + this.timerInitial * this.timerPeriodNs();
        return;
      case LAPIC_TIMER_DIVIDE:
        this.timerDivide = value & 0xb;
        return;
      default: {
        const l = LVT_OFFSETS.indexOf(reg);
        if (l < 0) return;
        let v = value & (l === LVT_TIMER ? 0x7_10ff : l === LVT_LINT0 || l === LVT_LINT0 + 1 ? 0x1_a7ff : 0x1_07ff);
        if (!this.softwareEnabled) v |= LVT_MASKED;
        if (l === LVT_TIMER && (v & 0x6_0000) !== (this.lvt[l]! & 0x6_0000)) {
          // A timer mode change disarms the timer (SDM 11.5.4.1).
          this.timerDue = -1;
          this.timerInitial = 0;
          this.deadlineLo = 0;
          this.deadlineHi = 0;
        }
        this.lvt[l] = v;
      }
    }
  }

  private eoi(): void {
    const v = highestBit(this.isr);
    if (v < 0) return;
    this.isr[v >> 5]! &= ~(1 << (v & 31));
    if ((this.tmr[v >> 5]! & (1 << (v & 31))) !== 0) this.ports.eoiBroadcast?.(v);
  }

  private sendIpi(): void {
    const mode = (this.icrLo >> 8) & 7;
    const vector = this.icrLo & 0xff;
    if (mode === DELIVERY_FIXED && vector < 16) {
      this.raiseError(ESR_SEND_ILLEGAL_VECTOR);
      return;
    }
    this.events?.onEvent('local-apic', 'ipi', this.icrLo);
    if (this.ports.sendIpi !== undefined) this.ports.sendIpi(this, this.icrLo, this.icrHi);
    else if (((this.icrLo >> 18) & 3) === 1 || ((this.icrLo >> 18) & 3) === 2) {
      // No bus connected: a self IPI still reaches this APIC.
      if (mode === DELIVERY_FIXED) this.acceptInterrupt(vector, false);
      else this.acceptSpecial(mode, vector);
    }
  }

  reset(): void {
    this.id = this.initialId;
    this.tpr = 0;
    this.ldr = 0;
    this.dfr = 0xffffffff;
    this.svr = 0xff;
    this.isr.fill(0);
    this.tmr.fill(0);
    this.irr.fill(0);
    this.esr = 0;
    this.esrPending = 0;
    this.icrLo = 0;
    this.icrHi = 0;
    this.lvt.fill(LVT_MASKED);
    this.timerInitial = 0;
    this.timerDivide = 0;
    this.timerStart = 0;
    this.timerDue = -1;
    this.deadlineLo = 0;
    this.deadlineHi = 0;
    this.lintLevels = 0;
  }

  save(): DeviceState {
    return {
      kind: 'local-apic',
      version: 1,
      id: this.id,
      tpr: this.tpr,
      ldr: this.ldr,
      dfr: this.dfr,
      svr: this.svr,
      isr: Array.from(this.isr),
      tmr: Array.from(this.tmr),
      irr: Array.from(this.irr),
      esr: this.esr,
      esrPending: this.esrPending,
      icrLo: this.icrLo,
      icrHi: this.icrHi,
      lvt: Array.from(this.lvt),
      timerInitial: this.timerInitial,
      timerDivide: this.timerDivide,
      timerStart: this.timerStart,
      timerDue: this.timerDue,
      deadlineLo: this.deadlineLo,
      deadlineHi: this.deadlineHi,
      lintLevels: this.lintLevels,
    };
  }

  restore(state: DeviceState): void {
    const s = readState(state, 'local-apic', 1);
    const u32 = 0xffffffff;
    const next = {
      id: s.int('id', 0, 0xff),
      tpr: s.int('tpr', 0, 0xff),
      ldr: s.int('ldr', 0, u32),
      dfr: s.int('dfr', 0, u32),
      svr: s.int('svr', 0, 0x13ff),
      esr: s.int('esr', 0, 0xff),
      esrPending: s.int('esrPending', 0, 0xff),
      icrLo: s.int('icrLo', 0, u32),
      icrHi: s.int('icrHi', 0, u32),
      timerInitial: s.int('timerInitial', 0, u32),
      timerDivide: s.int('timerDivide', 0, 0xb),
      timerStart: s.num('timerStart'),
      timerDue: s.num('timerDue'),
      deadlineLo: s.int('deadlineLo', 0, u32),
      deadlineHi: s.int('deadlineHi', 0, u32),
      lintLevels: s.int('lintLevels', 0, 3),
    };
    const isr = s.ints('isr', 0, u32, 8);
    const tmr = s.ints('tmr', 0, u32, 8);
    const irr = s.ints('irr', 0, u32, 8);
    const lvt = s.ints('lvt', 0, u32, 7);
    Object.assign(this, next);
    this.isr.set(isr);
    this.tmr.set(tmr);
    this.irr.set(irr);
    this.lvt.set(lvt);
  }
}
