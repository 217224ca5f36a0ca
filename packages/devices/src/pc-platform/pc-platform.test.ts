import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccessSize, DeviceState } from '../device/device.ts';
import { ByteCollector } from '../device/lines.ts';
import { PC_IOAPIC_BASE, PC_LAPIC_BASE, PcPlatform } from './pc-platform.ts';

const LONG =
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.TYPEVISOR_LONG === '1';

/** A guest that programs every timer and then runs, served by a stateless "CPU". */
class ScriptedGuest {
  readonly log: string[] = [];
  constructor(
    readonly pc: PcPlatform,
    private readonly serial: ByteCollector,
  ) {}

  boot(): void {
    const out = (p: number, v: number) => this.pc.ports.writePort(p, 1, v);
    for (const [p, v] of [
      [0x20, 0x11],
      [0x21, 0x20],
      [0x21, 0x04],
      [0x21, 0x01],
      [0xa0, 0x11],
      [0xa1, 0x28],
      [0xa1, 0x02],
      [0xa1, 0x01],
      [0x21, 0xe8],
      [0xa1, 0xfe], // IRQ0, 1, 2, 4 and 8 unmasked
      [0x43, 0x34],
      [0x40, 0x9b],
      [0x40, 0x2e], // 100 Hz
      [0x70, 0x0a],
      [0x71, 0x2a],
      [0x70, 0x0b],
      [0x71, 0x52], // 64 Hz periodic + update
      [0x3fb, 0x03],
      [0x3fa, 0xc7],
      [0x3f9, 0x01],
      [0x3fc, 0x0b], // 8N1, FIFO 14, RDA, OUT2
    ] as const)
      out(p, v);
    this.pc.mmio.write(PC_LAPIC_BASE + 0xf0, 4, 0x1ff);
    this.pc.mmio.write(PC_LAPIC_BASE + 0x350, 4, 0x700); // LINT0 ExtINT: the 8259 pair goes through
  }

  step(i: number): void {
    const pc = this.pc;
    pc.clock.advanceBy(370_000 + (i % 7) * 10_000);
    if (i % 50 === 0) pc.com1.receive(0x30 + (i % 10));
    if (i % 13 === 0) pc.ports.writePort(0x3f8, 1, 0x61 + (i % 26));
    while (pc.interrupts.hasInterrupt()) {
      const v = pc.interrupts.acknowledge();
      let extra = '';
      if (v === 0x28) {
        pc.ports.writePort(0x70, 1, 0x0c);
        extra = pc.ports.readPort(0x71, 1).toString(16);
        pc.ports.writePort(0xa0, 1, 0x20);
      }
      if (v === 0x24) {
        while (pc.ports.readPort(0x3fd, 1) & 1) extra += String.fromCharCode(pc.ports.readPort(0x3f8, 1));
      }
      pc.ports.writePort(0x20, 1, 0x20);
      this.log.push(`${pc.clock.now()}:${v.toString(16)}:${extra}`);
    }
    if (i % 100 === 0) this.log.push(`tx:${this.serial.text()}`);
  }
}

describe('PcPlatform snapshots', () => {
  it('continues after save -> JSON -> restore into a new platform exactly as a straight run', () => {
    const serialA = new ByteCollector();
    const straight = new ScriptedGuest(new PcPlatform({ serialOutput: serialA }), serialA);
    straight.boot();
    for (let i = 0; i < 2000; i++) straight.step(i);

    const serialB = new ByteCollector();
    const first = new ScriptedGuest(new PcPlatform({ serialOutput: serialB }), serialB);
    first.boot();
    for (let i = 0; i < 1000; i++) first.step(i);
    const snapshot = JSON.parse(JSON.stringify(first.pc.save())) as DeviceState;

    const serialC = new ByteCollector();
    serialC.bytes.push(...serialB.bytes);
    const second = new ScriptedGuest(new PcPlatform({ serialOutput: serialC }), serialC);
    second.pc.restore(snapshot);
    second.log.push(...first.log);
    for (let i = 1000; i < 2000; i++) second.step(i);

    expect(second.log.length).toBeGreaterThan(150);
    expect(second.log).toEqual(straight.log);
    expect(second.pc.save()).toEqual(straight.pc.save());
  });

  it('sees the timer, RTC and serial interrupts the guest programmed', () => {
    const serial = new ByteCollector();
    const g = new ScriptedGuest(new PcPlatform({ serialOutput: serial }), serial);
    g.boot();
    for (let i = 0; i < 2000; i++) g.step(i);
    const vectors = new Set(g.log.filter((l) => !l.startsWith('tx')).map((l) => l.split(':')[1]));
    expect(vectors).toEqual(new Set(['20', '28', '24']));
  });
});

/** Which devices a device may legitimately change through its wiring. */
const REGIONS = {
  pic: { space: 'port', base: 0x20, length: 2, affects: [] },
  pic2: { space: 'port', base: 0xa0, length: 2, affects: ['pic'] },
  elcr: { space: 'port', base: 0x4d0, length: 2, affects: ['pic'] },
  pit: { space: 'port', base: 0x40, length: 4, affects: ['pic', 'ioApic'] },
  portB: { space: 'port', base: 0x61, length: 1, affects: ['pit', 'pic', 'ioApic'] },
  kbc: { space: 'port', base: 0x60, length: 5, affects: ['pic', 'ioApic', 'pit', 'portB'] },
  rtc: { space: 'port', base: 0x70, length: 2, affects: ['pic', 'ioApic'] },
  com1: { space: 'port', base: 0x3f8, length: 8, affects: ['pic', 'ioApic'] },
  debugConsole: { space: 'port', base: 0xe9, length: 1, affects: [] },
  debugExit: { space: 'port', base: 0xf4, length: 4, affects: [] },
  ioApic: { space: 'mmio', base: PC_IOAPIC_BASE, length: 0x20, affects: ['lapic'] },
  lapic: { space: 'mmio', base: PC_LAPIC_BASE, length: 0x400, affects: ['ioApic'] },
} as const;

type RegionName = keyof typeof REGIONS;

function deviceStates(pc: PcPlatform): Record<string, unknown> {
  const s = pc.save() as Record<string, unknown>;
  return { ...s, pic: s.pic, time: undefined };
}

describe('PcPlatform fuzzing', () => {
  const access = fc.record({
    write: fc.boolean(),
    offset: fc.nat(),
    size: fc.constantFrom<AccessSize>(1, 2, 4),
    value: fc.nat({ max: 0xffffffff }),
  });

  it.each(Object.keys(REGIONS) as RegionName[])(
    'random accesses to %s never throw and change no device it is not wired to',
    (name) => {
      const region = REGIONS[name];
      fc.assert(
        fc.property(fc.array(access, { maxLength: 200 }), (ops) => {
          const pc = new PcPlatform();
          const before = deviceStates(pc);
          for (const op of ops) {
            // Inside the region: a straddling access legitimately reaches the neighbour.
            const offset = op.offset % region.length;
            const size = offset + op.size <= region.length ? op.size : 1;
            const addr = region.base + offset;
            const bus = region.space === 'port' ? pc.ports : pc.mmio;
            if (op.write) bus.write(addr, size, op.value);
            else bus.read(addr, size);
          }
          const after = deviceStates(pc);
          const owner = name === 'pic2' ? 'pic' : name === 'elcr' ? 'pic' : name;
          for (const key of Object.keys(before)) {
            if (key === owner || (region.affects as readonly string[]).includes(key)) continue;
            expect(after[key], `${name} changed ${key}`).toEqual(before[key]);
          }
        }),
        { numRuns: LONG ? 2000 : 60 },
      );
    },
  );

  it('random accesses anywhere in the port space with time passing never throw', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 0xffff }), access, fc.nat({ max: 5_000_000 })), { maxLength: 300 }),
        (ops) => {
          const pc = new PcPlatform();
          for (const [port, op, dt] of ops) {
            if (op.write) pc.ports.writePort(port, op.size, op.value);
            else expect(pc.ports.readPort(port, op.size)).toBeLessThan(2 ** (8 * op.size));
            pc.clock.advanceBy(dt);
            while (pc.interrupts.hasInterrupt()) pc.interrupts.acknowledge();
          }
        },
      ),
      { numRuns: LONG ? 1000 : 40 },
    );
  });
});

describe('PcPlatform wiring', () => {
  it('reboots through the i8042 and reports isa-debug-exit and port 0xE9', () => {
    const events: string[] = [];
    const debug = new ByteCollector();
    const pc = new PcPlatform({
      debugOutput: debug,
      onReset: () => events.push('reset'),
      onExit: (s) => events.push(`exit ${s}`),
    });
    pc.ports.writePort(0xe9, 1, 0x21);
    pc.ports.writePort(0x64, 1, 0xfe);
    pc.ports.writePort(0xf4, 4, 0);
    expect(events).toEqual(['reset', 'exit 1']);
    expect(debug.text()).toBe('!');
    expect(pc.ports.readPort(0xe9, 1)).toBe(0xe9);
  });

  it('routes ISA IRQ0 to I/O APIC pin 2 and the other IRQs to their own pins', () => {
    const pc = new PcPlatform();
    pc.mmio.write(PC_LAPIC_BASE + 0xf0, 4, 0x1ff);
    const route = (pin: number, vector: number) => {
      pc.mmio.write(PC_IOAPIC_BASE, 4, 0x10 + 2 * pin);
      pc.mmio.write(PC_IOAPIC_BASE + 0x10, 4, vector);
    };
    route(2, 0x30);
    route(4, 0x34);
    pc.ports.writePort(0x43, 1, 0x34);
    pc.ports.writePort(0x40, 1, 0x10);
    pc.ports.writePort(0x40, 1, 0x00);
    pc.ports.writePort(0x3fc, 1, 0x08);
    pc.ports.writePort(0x3f9, 1, 0x02);
    const seen: number[] = [];
    while (pc.interrupts.hasInterrupt()) {
      seen.push(pc.interrupts.acknowledge());
      pc.mmio.write(PC_LAPIC_BASE + 0xb0, 4, 0);
    }
    expect(seen.sort()).toEqual([0x30, 0x34]);
  });
});
