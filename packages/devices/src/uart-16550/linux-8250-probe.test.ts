import { describe, expect, it } from 'vitest';
import { PortBus } from '../bus/port-bus.ts';
import { RecordingLine } from '../device/lines.ts';
import { VirtualClock } from '../time/virtual-clock.ts';
import { Uart16550 } from './uart-16550.ts';

// The probe Linux's drivers/tty/serial/8250/8250_port.c runs on a legacy port: autoconfig(),
// autoconfig_16550a() with its EFR/NS16550A/16750/XScale checks, size_fifo() and
// autoconfig_irq(). Written from the driver's documented steps, on our port bus, as a guest would.
const UART_RX = 0;
const UART_TX = 0;
const UART_DLL = 0;
const UART_DLM = 1;
const UART_IER = 1;
const UART_IIR = 2;
const UART_FCR = 2;
const UART_EFR = 2;
const UART_LCR = 3;
const UART_MCR = 4;
const UART_LSR = 5;
const UART_MSR = 6;
const UART_SCR = 7;
const UART_LCR_CONF_MODE_A = 0x80;
const UART_LCR_CONF_MODE_B = 0xbf;
const UART_FCR_ENABLE_FIFO = 0x01;
const UART_FCR_CLEAR_RCVR = 0x02;
const UART_FCR_CLEAR_XMIT = 0x04;
const UART_FCR7_64BYTE = 0x20;
const UART_MCR_LOOP = 0x10;
const UART_MCR_OUT1 = 0x04;
const UART_MCR_OUT2 = 0x08;
const UART_MCR_DTR = 0x01;
const UART_MCR_RTS = 0x02;
const UART_IER_UUE = 0x40;
const UART_LSR_DR = 0x01;

type PortType =
  | 'none'
  | '8250'
  | '16450'
  | 'unknown'
  | '16550'
  | '16550A'
  | '16650'
  | 'NS16550A'
  | '16750'
  | 'XScale'
  | 'U6_16550A'
  | 'EFRv2';

class Linux8250Probe {
  constructor(
    private readonly bus: PortBus,
    private readonly base: number,
    private readonly clock: VirtualClock,
  ) {}

  private in(reg: number): number {
    return this.bus.readPort(this.base + reg, 1);
  }

  private out(reg: number, v: number): void {
    this.bus.writePort(this.base + reg, 1, v);
  }

  private dlRead(): number {
    return this.in(UART_DLL) | (this.in(UART_DLM) << 8);
  }

  private dlWrite(v: number): void {
    this.out(UART_DLL, v & 0xff);
    this.out(UART_DLM, v >> 8);
  }

  sizeFifo(): number {
    const oldLcr = this.in(UART_LCR);
    this.out(UART_LCR, 0);
    const oldFcr = this.in(UART_FCR);
    const oldMcr = this.in(UART_MCR);
    this.out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
    this.out(UART_MCR, UART_MCR_LOOP);
    this.out(UART_LCR, UART_LCR_CONF_MODE_A);
    const oldDl = this.dlRead();
    this.dlWrite(0x0001);
    this.out(UART_LCR, 0x03);
    for (let c = 0; c < 256; c++) this.out(UART_TX, c);
    this.clock.advanceBy(20_000_000); // mdelay(20)
    let count = 0;
    while ((this.in(UART_LSR) & UART_LSR_DR) !== 0 && count < 256) {
      this.in(UART_RX);
      count++;
    }
    this.out(UART_FCR, oldFcr);
    this.out(UART_MCR, oldMcr);
    this.out(UART_LCR, UART_LCR_CONF_MODE_A);
    this.dlWrite(oldDl);
    this.out(UART_LCR, oldLcr);
    return count;
  }

  autoconfig16550a(): PortType {
    let type: PortType = '16550A';
    this.out(UART_LCR, UART_LCR_CONF_MODE_A);
    if (this.in(UART_EFR) === 0) {
      this.out(UART_EFR, 0xa8);
      return this.in(UART_EFR) !== 0 ? '16650' : 'unknown';
    }
    this.out(UART_LCR, UART_LCR_CONF_MODE_B);
    if (this.in(UART_EFR) === 0) return 'EFRv2';
    this.out(UART_LCR, 0);
    let status1 = this.in(UART_MCR);
    this.out(UART_LCR, 0xe0);
    let status2 = this.in(0x02);
    if (((status2 ^ status1) & UART_MCR_LOOP) === 0) {
      this.out(UART_LCR, 0);
      this.out(UART_MCR, status1 ^ UART_MCR_LOOP);
      this.out(UART_LCR, 0xe0);
      status2 = this.in(0x02);
      this.out(UART_LCR, 0);
      this.out(UART_MCR, status1);
      if (((status2 ^ status1) & UART_MCR_LOOP) !== 0) return 'NS16550A';
    }
    this.out(UART_LCR, 0);
    this.out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR7_64BYTE);
    status1 = this.in(UART_IIR) >> 5;
    this.out(UART_FCR, UART_FCR_ENABLE_FIFO);
    this.out(UART_LCR, UART_LCR_CONF_MODE_A);
    this.out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR7_64BYTE);
    status2 = this.in(UART_IIR) >> 5;
    this.out(UART_FCR, UART_FCR_ENABLE_FIFO);
    this.out(UART_LCR, 0);
    if (status1 === 6 && status2 === 7) return '16750';
    const iersave = this.in(UART_IER);
    this.out(UART_IER, iersave & ~UART_IER_UUE);
    if ((this.in(UART_IER) & UART_IER_UUE) === 0) {
      this.out(UART_IER, iersave | UART_IER_UUE);
      if ((this.in(UART_IER) & UART_IER_UUE) !== 0) return 'XScale';
    }
    this.out(UART_IER, iersave);
    if (type === '16550A' && this.sizeFifo() === 64) type = 'U6_16550A';
    return type;
  }

  autoconfig(): PortType {
    const scratch = this.in(UART_IER);
    this.out(UART_IER, 0);
    const scratch2 = this.in(UART_IER) & 0x0f;
    this.out(UART_IER, 0x0f);
    const scratch3 = this.in(UART_IER) & 0x0f;
    this.out(UART_IER, scratch);
    if (scratch2 !== 0 || scratch3 !== 0x0f) return 'none';
    const saveMcr = this.in(UART_MCR);
    const saveLcr = this.in(UART_LCR);
    this.out(UART_MCR, UART_MCR_LOOP | 0x0a);
    const status1 = this.in(UART_MSR) & 0xf0;
    this.out(UART_MCR, saveMcr);
    if (status1 !== 0x90) return 'none';
    this.out(UART_LCR, UART_LCR_CONF_MODE_B);
    this.out(UART_EFR, 0);
    this.out(UART_LCR, 0);
    this.out(UART_FCR, UART_FCR_ENABLE_FIFO);
    let type: PortType;
    switch (this.in(UART_IIR) >> 6) {
      case 0: {
        const s = this.in(UART_SCR);
        this.out(UART_SCR, 0xa5);
        const a = this.in(UART_SCR);
        this.out(UART_SCR, 0x5a);
        const b = this.in(UART_SCR);
        this.out(UART_SCR, s);
        type = a === 0xa5 && b === 0x5a ? '16450' : '8250';
        break;
      }
      case 1:
        type = 'unknown';
        break;
      case 2:
        type = '16550';
        break;
      default:
        type = this.autoconfig16550a();
    }
    this.out(UART_LCR, saveLcr);
    this.out(UART_MCR, saveMcr);
    // serial8250_clear_fifos, then a dummy RX read and IER = 0.
    this.out(UART_FCR, UART_FCR_ENABLE_FIFO);
    this.out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
    this.out(UART_FCR, 0);
    this.in(UART_RX);
    this.out(UART_IER, 0);
    return type;
  }

  /** autoconfig_irq: which IRQ rises when the port is made to interrupt (THRE). */
  autoconfigIrq(line: RecordingLine): boolean {
    const saveMcr = this.in(UART_MCR);
    const saveIer = this.in(UART_IER);
    this.out(UART_MCR, UART_MCR_OUT1 | UART_MCR_OUT2);
    const before = line.risingEdges;
    this.out(UART_MCR, 0);
    this.out(UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
    this.out(UART_IER, 0x0f);
    this.in(UART_LSR);
    this.in(UART_RX);
    this.in(UART_IIR);
    this.in(UART_MSR);
    this.out(UART_TX, 0xff);
    const fired = line.risingEdges > before || line.level;
    this.out(UART_MCR, saveMcr);
    this.out(UART_IER, saveIer);
    return fired;
  }
}

describe('the Linux 8250 driver probe', () => {
  const setup = () => {
    const clock = new VirtualClock();
    const irq = new RecordingLine();
    const uart = new Uart16550({ clock, irq });
    const bus = new PortBus();
    bus.register(0x3f8, 8, uart);
    return { probe: new Linux8250Probe(bus, 0x3f8, clock), irq, uart, bus };
  };

  it('detects a 16550A at COM1', () => {
    expect(setup().probe.autoconfig()).toBe('16550A');
  });

  it('sizes the receive FIFO at 16 bytes in loopback (not a 64-byte U6_16550A)', () => {
    expect(setup().probe.sizeFifo()).toBe(16);
  });

  it('finds the port interrupting when THRE is enabled with OUT2 set (autoconfig_irq)', () => {
    const { probe, irq } = setup();
    probe.autoconfig();
    expect(probe.autoconfigIrq(irq)).toBe(true);
  });

  it('finds nothing where no UART is: the IER test reads all ones', () => {
    const bus = new PortBus();
    const probe = new Linux8250Probe(bus, 0x2f8, new VirtualClock());
    expect(probe.autoconfig()).toBe('none');
  });

  it('leaves the port as the probe found it: IER 0, FIFOs off, no interrupt', () => {
    const { probe, uart, irq } = setup();
    probe.autoconfig();
    expect(uart.read(1, 1)).toBe(0);
    expect(uart.read(2, 1)).toBe(0x01);
    expect(irq.level).toBe(false);
  });
});
