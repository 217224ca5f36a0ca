// pnpm bench: bus dispatch rates (ports and MMIO), UART transmit, timer interrupts delivered per
// second of host time, and whole-platform snapshots. No catalog tool exposes a callable device
// model to compare with, so the anchor of each dispatch line is the same device called directly:
// the ratio is what the bus costs (1.00x would be free).
import { measureRate, printLine } from '@typevisor/bench';
import { LAPIC_TPR, NULL_SINK, PC_LAPIC_BASE, PcPlatform, Uart16550, type DeviceState } from '../src/index.ts';

const BATCH = 10_000;

{
  const uart = new Uart16550({ output: NULL_SINK });
  const pc = new PcPlatform();
  pc.ports.unregister(pc.com1);
  pc.ports.register(0x3f8, 8, uart);
  let sink = 0;
  const viaBus = measureRate(() => {
    for (let i = 0; i < BATCH; i++) sink ^= pc.ports.readPort(0x3fd, 1);
    return BATCH;
  });
  const direct = measureRate(() => {
    for (let i = 0; i < BATCH; i++) sink ^= uart.read(5, 1);
    return BATCH;
  });
  printLine(
    'port read (16550 LSR via PortBus)',
    { value: viaBus.perSecond, unit: 'acc/s' },
    { name: 'direct call', figure: { value: direct.perSecond, unit: 'acc/s' } },
  );
  const tx = measureRate(() => {
    for (let i = 0; i < BATCH; i++) pc.ports.writePort(0x3f8, 1, 0x41);
    return BATCH;
  });
  printLine('UART transmit via PortBus', { value: tx.perSecond, unit: 'B/s' });
  if (sink === 0x1234_5678) console.log(sink);
}

{
  const pc = new PcPlatform();
  pc.mmio.write(PC_LAPIC_BASE + 0xf0, 4, 0x1ff);
  let sink = 0;
  const viaBus = measureRate(() => {
    for (let i = 0; i < BATCH; i++) sink ^= pc.mmio.read(PC_LAPIC_BASE + LAPIC_TPR, 4);
    return BATCH;
  });
  const direct = measureRate(() => {
    for (let i = 0; i < BATCH; i++) sink ^= pc.lapic.read(LAPIC_TPR, 4);
    return BATCH;
  });
  printLine(
    'MMIO read (local APIC TPR via MmioBus)',
    { value: viaBus.perSecond, unit: 'acc/s' },
    { name: 'direct call', figure: { value: direct.perSecond, unit: 'acc/s' } },
  );
  if (sink === 0x1234_5678) console.log(sink);
}

{
  // PIT at 1 kHz through the 8259 pair: advance to each deadline, acknowledge, EOI.
  const pc = new PcPlatform();
  const out = (p: number, v: number) => pc.ports.writePort(p, 1, v);
  for (const [p, v] of [
    [0x20, 0x11],
    [0x21, 0x08],
    [0x21, 0x04],
    [0x21, 0x01],
    [0x21, 0xfe],
    [0x43, 0x34],
    [0x40, 0xa9],
    [0x40, 0x04],
  ]) {
    out(p!, v!);
  }
  const irqs = measureRate(() => {
    let n = 0;
    for (let i = 0; i < 1000; i++) {
      pc.clock.advanceTo(pc.clock.nextDeadline());
      while (pc.interrupts.hasInterrupt()) {
        pc.interrupts.acknowledge();
        out(0x20, 0x20);
        n++;
      }
    }
    return n;
  });
  printLine('PIT IRQ0 -> 8259 -> acknowledge + EOI', { value: irqs.perSecond, unit: 'irq/s' });
}

{
  const pc = new PcPlatform();
  const copy = new PcPlatform();
  let state: DeviceState = pc.save();
  const snaps = measureRate(() => {
    for (let i = 0; i < 100; i++) {
      state = pc.save();
      copy.restore(state);
    }
    return 100;
  });
  printLine('PcPlatform save + restore', { value: snaps.perSecond, unit: 'snap/s' });
}
