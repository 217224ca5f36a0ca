import { describe, expect, it } from 'vitest';
import { ByteCollector, RecordingLine } from '../device/lines.ts';
import { VirtualClock } from '../time/virtual-clock.ts';
import {
  FCR_ENABLE,
  IER_MS,
  IER_RDA,
  IER_RLS,
  IER_THRE,
  IIR_CHAR_TIMEOUT,
  IIR_MS,
  IIR_NO_INT,
  IIR_RDA,
  IIR_RLS,
  IIR_THRE,
  LSR_DR,
  LSR_OE,
  MCR_LOOP,
  MCR_OUT2,
  MSR_CTS,
  MSR_DCTS,
  Uart16550,
} from './uart-16550.ts';

const RBR = 0;
const IER = 1;
const IIR = 2;
const FCR = 2;
const LCR = 3;
const MCR = 4;
const LSR = 5;
const MSR = 6;
const SCR = 7;

function setup() {
  const clock = new VirtualClock();
  const irq = new RecordingLine();
  const out = new ByteCollector();
  const uart = new Uart16550({ clock, irq, output: out });
  clock.attach(uart);
  uart.write(MCR, 1, MCR_OUT2);
  return { clock, irq, out, uart };
}

describe('Uart16550 registers', () => {
  it('powers on with the datasheet reset values', () => {
    const uart = new Uart16550({ modemInputs: 0 });
    expect([IER, IIR, LCR, MCR, LSR, MSR].map((r) => uart.read(r, 1))).toEqual([0, 0x01, 0, 0, 0x60, 0]);
  });

  it('switches offsets 0 and 1 to the divisor latch while LCR.DLAB is set', () => {
    const { uart } = setup();
    uart.write(LCR, 1, 0x83);
    uart.write(0, 1, 0x01);
    uart.write(1, 1, 0x00);
    expect([uart.read(0, 1), uart.read(1, 1)]).toEqual([1, 0]);
    uart.write(LCR, 1, 0x03);
    uart.write(IER, 1, 0x05);
    expect(uart.read(IER, 1)).toBe(0x05);
    uart.write(LCR, 1, 0x83);
    expect(uart.read(0, 1)).toBe(1);
  });

  it('keeps what is written to the scratch register', () => {
    const { uart } = setup();
    uart.write(SCR, 1, 0xa5);
    expect(uart.read(SCR, 1)).toBe(0xa5);
  });

  it('reads IER bits 7:4 as zero', () => {
    const { uart } = setup();
    uart.write(IER, 1, 0xff);
    expect(uart.read(IER, 1)).toBe(0x0f);
  });

  it('sends transmitted bytes to the output sink and keeps THRE and TEMT set', () => {
    const { uart, out } = setup();
    for (const c of 'ok\n') uart.write(RBR, 1, c.charCodeAt(0));
    expect(out.text()).toBe('ok\n');
    expect(uart.read(LSR, 1) & 0x60).toBe(0x60);
  });
});

describe('Uart16550 FIFOs', () => {
  it('shows IIR bits 7:6 only while the FIFOs are enabled', () => {
    const { uart } = setup();
    uart.write(FCR, 1, FCR_ENABLE);
    expect(uart.read(IIR, 1)).toBe(0xc1);
    uart.write(FCR, 1, 0);
    expect(uart.read(IIR, 1)).toBe(0x01);
  });

  it.each([
    [0x00, 1],
    [0x40, 4],
    [0x80, 8],
    [0xc0, 14],
  ])('with FCR %i raises the received-data interrupt at %i bytes', (fcr, trigger) => {
    const { uart, irq } = setup();
    uart.write(FCR, 1, FCR_ENABLE | fcr);
    uart.write(IER, 1, IER_RDA);
    for (let i = 1; i < trigger; i++) uart.receive(i);
    expect(uart.read(IIR, 1) & 0x0f).not.toBe(IIR_RDA);
    uart.receive(0xff);
    expect(uart.read(IIR, 1) & 0x0f).toBe(IIR_RDA);
    expect(irq.level).toBe(true);
  });

  it('holds 16 bytes, then overruns: OE set, the new byte lost, an RLS interrupt', () => {
    const { uart } = setup();
    uart.write(FCR, 1, FCR_ENABLE);
    uart.write(IER, 1, IER_RLS);
    for (let i = 0; i < 17; i++) uart.receive(i);
    expect(uart.read(IIR, 1) & 0x0f).toBe(IIR_RLS);
    expect(uart.read(LSR, 1) & LSR_OE).toBe(LSR_OE);
    expect(uart.read(LSR, 1) & LSR_OE).toBe(0); // reading LSR clears it
    const got: number[] = [];
    while (uart.read(LSR, 1) & LSR_DR) got.push(uart.read(RBR, 1));
    expect(got).toEqual([...Array(16).keys()]);
  });

  it('overwrites RBR on overrun with the FIFOs off', () => {
    const { uart } = setup();
    uart.receive(1);
    uart.receive(2);
    expect(uart.read(LSR, 1) & LSR_OE).toBe(LSR_OE);
    expect(uart.read(RBR, 1)).toBe(2);
  });

  it('empties the receive FIFO on FCR bit 1', () => {
    const { uart } = setup();
    uart.write(FCR, 1, FCR_ENABLE);
    uart.receive(1);
    uart.write(FCR, 1, FCR_ENABLE | 0x02);
    expect(uart.read(LSR, 1) & LSR_DR).toBe(0);
  });

  it('signals a character timeout after four character times below the trigger level', () => {
    const { uart, clock, irq } = setup();
    uart.write(LCR, 1, 0x03); // 8N1: 10 bits a character
    uart.write(FCR, 1, FCR_ENABLE | 0x80); // trigger 8
    uart.write(IER, 1, IER_RDA);
    uart.receive(0x41);
    // Divisor 12 = 9600 baud: 4 * 10 bits = 4.1667 ms.
    clock.advanceTo(4_166_000);
    expect(irq.level).toBe(false);
    clock.advanceTo(4_167_000);
    expect(irq.level).toBe(true);
    expect(uart.read(IIR, 1) & 0x0f).toBe(IIR_CHAR_TIMEOUT);
    expect(uart.read(RBR, 1)).toBe(0x41);
    expect(uart.read(IIR, 1) & 0x0f).toBe(IIR_NO_INT);
  });
});

describe('Uart16550 interrupts', () => {
  it('raises THRE when ETBEI is enabled with the holding register empty; an IIR read clears it', () => {
    const { uart, irq } = setup();
    uart.write(IER, 1, IER_THRE);
    expect(irq.level).toBe(true);
    expect(uart.read(IIR, 1)).toBe(IIR_THRE);
    expect(irq.level).toBe(false);
    expect(uart.read(IIR, 1)).toBe(IIR_NO_INT);
    uart.write(RBR, 1, 0x20); // THR write: empty again at once, THRE again
    expect(uart.read(IIR, 1)).toBe(IIR_THRE);
  });

  it('reports sources in datasheet priority: line status, data, timeout, THRE, modem status', () => {
    const { uart } = setup();
    uart.write(IER, 1, IER_RDA | IER_THRE | IER_RLS | IER_MS);
    uart.setModemInputs(0);
    expect(uart.read(IIR, 1)).toBe(IIR_THRE);
    expect(uart.read(IIR, 1)).toBe(IIR_MS);
    uart.receive(1);
    uart.receive(2); // overrun with FIFOs off
    expect(uart.read(IIR, 1)).toBe(IIR_RLS);
    uart.read(LSR, 1);
    expect(uart.read(IIR, 1)).toBe(IIR_RDA);
    uart.read(RBR, 1);
    expect(uart.read(IIR, 1)).toBe(IIR_MS);
    uart.read(MSR, 1);
    expect(uart.read(IIR, 1)).toBe(IIR_NO_INT);
  });

  it('drives IRQ only with MCR.OUT2 set, as the PC wiring gates it', () => {
    const { uart, irq } = setup();
    uart.write(MCR, 1, 0);
    uart.write(IER, 1, IER_THRE);
    expect(irq.level).toBe(false);
    uart.write(MCR, 1, MCR_OUT2);
    expect(irq.level).toBe(true);
  });
});

describe('Uart16550 loopback and modem status', () => {
  it('loops transmitted bytes back to the receiver instead of the line', () => {
    const { uart, out } = setup();
    uart.write(MCR, 1, MCR_LOOP);
    uart.write(RBR, 1, 0x5a);
    expect(out.bytes).toEqual([]);
    expect(uart.read(RBR, 1)).toBe(0x5a);
    uart.receive(0x11); // the line is disconnected in loopback
    expect(uart.read(LSR, 1) & LSR_DR).toBe(0);
  });

  it.each([
    [0x01, 0x20],
    [0x02, 0x10],
    [0x04, 0x40],
    [0x08, 0x80],
  ])('in loopback mirrors MCR bit %i onto MSR bit %i', (mcr, msr) => {
    const uart = new Uart16550({ modemInputs: 0 });
    uart.write(MCR, 1, MCR_LOOP | mcr);
    expect(uart.read(MSR, 1) & 0xf0).toBe(msr);
  });

  it('records modem input changes as deltas that a MSR read clears', () => {
    const uart = new Uart16550({ modemInputs: 0 });
    uart.setModemInputs(MSR_CTS);
    expect(uart.read(MSR, 1)).toBe(MSR_CTS | MSR_DCTS);
    expect(uart.read(MSR, 1)).toBe(MSR_CTS);
  });

  it('reports a received break as a zero byte with LSR.BI', () => {
    const { uart } = setup();
    uart.receiveBreak();
    expect(uart.read(LSR, 1) & 0x11).toBe(0x11);
    expect(uart.read(RBR, 1)).toBe(0);
  });
});
