import { ApicBus } from '../apic/apic-bus.ts';
import { IoApic } from '../apic/io-apic.ts';
import { LAPIC_LVT_LINT0, LocalApic, LVT_MASKED } from '../apic/local-apic.ts';
import { MmioBus } from '../bus/mmio-bus.ts';
import { PortBus } from '../bus/port-bus.ts';
import { DebugConsole } from '../debug-ports/debug-console.ts';
import { IsaDebugExit } from '../debug-ports/isa-debug-exit.ts';
import type { ByteSink, DeviceObserver, DeviceState, InterruptLine } from '../device/device.ts';
import { fanOutLine } from '../device/lines.ts';
import { readState } from '../device/state.ts';
import { DeviceError } from '../errors.ts';
import { I8042 } from '../i8042/i8042.ts';
import { DualPic } from '../pic-8259/pic-8259.ts';
import { Pit8254, SystemControlPortB } from '../pit-8254/pit-8254.ts';
import { RtcMc146818 } from '../rtc-mc146818/rtc-mc146818.ts';
import { VirtualClock } from '../time/virtual-clock.ts';
import { Uart16550 } from '../uart-16550/uart-16550.ts';

/** Where the standard PC devices sit. */
export const PC_PORTS = {
  pic1: 0x20,
  pit: 0x40,
  kbcData: 0x60,
  portB: 0x61,
  kbcCommand: 0x64,
  rtc: 0x70,
  pic2: 0xa0,
  debugExit: 0xf4,
  debugConsole: 0xe9,
  com1: 0x3f8,
  elcr: 0x4d0,
} as const;
/** Physical address of the I/O APIC on a PC. */
export const PC_IOAPIC_BASE = 0xfec0_0000;
/** Physical address of the local APIC on a PC. */
export const PC_LAPIC_BASE = 0xfee0_0000;

/** Options of {@link PcPlatform}. */
export interface PcPlatformOptions {
  /** COM1's transmitted bytes. */
  serialOutput?: ByteSink;
  /** Port 0xE9's bytes. */
  debugOutput?: ByteSink;
  /** The i8042 reset line. */
  onReset?: () => void;
  /** isa-debug-exit: the status the guest asked to exit with. */
  onExit?: (status: number) => void;
  onNmi?: () => void;
  /** RTC wall time at virtual time 0 (Unix seconds). */
  startTime?: number;
  events?: DeviceObserver;
}

/**
 * The standard PC device set wired together: 8259 pair + ELCR, 8254 PIT and port 0x61, MC146818
 * RTC, COM1 16550A, i8042, port 0xE9, isa-debug-exit, an I/O APIC and one local APIC, on a port bus
 * and an MMIO bus, with one virtual clock. ISA IRQs reach both the 8259 pair and the I/O APIC (IRQ0
 * on I/O APIC pin 2, as ACPI's usual interrupt source override says). `interrupts` is the CPU's
 * `InterruptController`: the local APIC's, or the 8259 pair's while the local APIC passes ExtINT
 * through LINT0 (virtual wire) or is software disabled.
 *
 * @example
 * ```ts
 * import { ByteCollector, PcPlatform } from '@typevisor/devices';
 * const serial = new ByteCollector();
 * const pc = new PcPlatform({ serialOutput: serial });
 * pc.ports.writePort(0x3f8, 1, 0x41);
 * serial.text(); // 'A'
 * ```
 */
export class PcPlatform {
  readonly clock = new VirtualClock();
  readonly ports: PortBus;
  readonly mmio: MmioBus;
  readonly pic = new DualPic();
  readonly pit: Pit8254;
  readonly portB: SystemControlPortB;
  readonly rtc: RtcMc146818;
  readonly com1: Uart16550;
  readonly kbc: I8042;
  readonly debugConsole: DebugConsole;
  readonly debugExit: IsaDebugExit;
  readonly apicBus = new ApicBus();
  readonly ioApic: IoApic;
  readonly lapic: LocalApic;
  /** The CPU's `InterruptController`. */
  readonly interrupts: { hasInterrupt(): boolean; acknowledge(): number };

  constructor(options: PcPlatformOptions = {}) {
    const events = options.events;
    this.ports = events ? new PortBus({ observer: events }) : new PortBus();
    this.mmio = events ? new MmioBus({ observer: events }) : new MmioBus();
    this.ioApic = new IoApic((logical, dest, mode, vector, level) =>
      this.apicBus.deliver(logical, dest, mode, vector, level),
    );
    this.lapic = new LocalApic({
      clock: this.clock,
      ports: {
        sendIpi: (src, lo, hi) => this.apicBus.sendIpi(src, lo, hi),
        eoiBroadcast: (vector) => this.ioApic.eoi(vector),
        ...(options.onNmi ? { onNmi: options.onNmi } : {}),
      },
      ...(events ? { events } : {}),
    });
    this.apicBus.attach(this.lapic);
    const isa = (irq: number): InterruptLine => fanOutLine(this.pic.line(irq), this.ioApic.line(irq === 0 ? 2 : irq));
    const common = events ? { events } : {};
    this.pit = new Pit8254({ clock: this.clock, irq: isa(0), ...common });
    this.portB = new SystemControlPortB(this.pit, this.clock);
    this.rtc = new RtcMc146818({
      clock: this.clock,
      irq: isa(8),
      ...(options.startTime !== undefined ? { startTime: options.startTime } : {}),
      ...common,
    });
    this.com1 = new Uart16550({
      clock: this.clock,
      irq: isa(4),
      ...(options.serialOutput ? { output: options.serialOutput } : {}),
      ...common,
    });
    this.kbc = new I8042({ irq: isa(1), ...(options.onReset ? { onReset: options.onReset } : {}) });
    this.debugConsole = new DebugConsole({
      ...(options.debugOutput ? { output: options.debugOutput } : {}),
      ...common,
    });
    this.debugExit = new IsaDebugExit(options.onExit ? { onExit: options.onExit } : {});

    this.ports.register(PC_PORTS.pic1, 2, this.pic.master);
    this.ports.register(PC_PORTS.pic2, 2, this.pic.slave);
    this.ports.register(PC_PORTS.elcr, 2, this.pic);
    this.ports.register(PC_PORTS.pit, 4, this.pit);
    this.ports.register(PC_PORTS.portB, 1, this.portB);
    this.ports.register(PC_PORTS.kbcData, 1, this.kbc.dataPort);
    this.ports.register(PC_PORTS.kbcCommand, 1, this.kbc.commandPort);
    this.ports.register(PC_PORTS.rtc, 2, this.rtc);
    this.ports.register(PC_PORTS.debugExit, 4, this.debugExit);
    this.ports.register(PC_PORTS.debugConsole, 1, this.debugConsole);
    this.ports.register(PC_PORTS.com1, 8, this.com1);
    this.mmio.register(PC_IOAPIC_BASE, 0x1000, this.ioApic);
    this.mmio.register(PC_LAPIC_BASE, 0x1000, this.lapic);

    this.clock.attach(this.pit);
    this.clock.attach(this.rtc);
    this.clock.attach(this.com1);
    this.clock.attach(this.lapic);

    const lapic = this.lapic;
    const pic = this.pic;
    const picRouted = () => {
      if (!lapic.softwareEnabled) return true;
      const lint0 = lapic.readRegister(LAPIC_LVT_LINT0);
      return (lint0 & LVT_MASKED) === 0 && ((lint0 >> 8) & 7) === 7;
    };
    this.interrupts = {
      hasInterrupt: () => lapic.hasInterrupt() || (picRouted() && pic.hasInterrupt()),
      acknowledge: () => (lapic.hasInterrupt() ? lapic.acknowledge() : pic.acknowledge()),
    };
  }

  /** Every device's state and the virtual time, as one plain object. */
  save(): DeviceState {
    return {
      kind: 'pc-platform',
      version: 1,
      time: this.clock.now(),
      pic: this.pic.save(),
      pit: this.pit.save(),
      portB: this.portB.save(),
      rtc: this.rtc.save(),
      com1: this.com1.save(),
      kbc: this.kbc.save(),
      debugConsole: this.debugConsole.save(),
      debugExit: this.debugExit.save(),
      ioApic: this.ioApic.save(),
      lapic: this.lapic.save(),
    };
  }

  /** Loads a `save()` result into this platform (its clock jumps to the saved time). */
  restore(state: DeviceState): void {
    const s = readState(state, 'pc-platform', 1);
    const time = s.num('time');
    if (time < 0) throw new DeviceError('BAD_STATE', 'pc-platform: negative time');
    const part = (name: string) => s.object(name) as DeviceState;
    this.clock.setTime(time);
    this.pic.restore(part('pic'));
    this.pit.restore(part('pit'));
    this.portB.restore(part('portB'));
    this.rtc.restore(part('rtc'));
    this.com1.restore(part('com1'));
    this.kbc.restore(part('kbc'));
    this.debugConsole.restore(part('debugConsole'));
    this.debugExit.restore(part('debugExit'));
    this.ioApic.restore(part('ioApic'));
    this.lapic.restore(part('lapic'));
  }
}
