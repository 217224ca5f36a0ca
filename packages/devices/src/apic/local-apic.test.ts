import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../time/virtual-clock.ts';
import { ApicBus } from './apic-bus.ts';
import { IoApic } from './io-apic.ts';
import {
  LAPIC_EOI,
  LAPIC_ESR,
  LAPIC_ICR_HI,
  LAPIC_ICR_LO,
  LAPIC_ID,
  LAPIC_ISR,
  LAPIC_LDR,
  LAPIC_LVT_ERROR,
  LAPIC_LVT_LINT0,
  LAPIC_LVT_TIMER,
  LAPIC_PPR,
  LAPIC_SVR,
  LAPIC_TIMER_CURRENT,
  LAPIC_TIMER_DIVIDE,
  LAPIC_TIMER_INITIAL,
  LAPIC_TPR,
  LAPIC_VERSION,
  LocalApic,
} from './local-apic.ts';

function setup(id = 0) {
  const clock = new VirtualClock();
  const calls: string[] = [];
  const apic = new LocalApic({
    clock,
    id,
    ports: {
      onNmi: () => calls.push('nmi'),
      onInit: () => calls.push('init'),
      onStartup: (v) => calls.push(`sipi:${v.toString(16)}`),
      onExtInt: () => calls.push('extint'),
    },
  });
  clock.attach(apic);
  apic.write(LAPIC_SVR, 4, 0x1ff);
  return { clock, apic, calls };
}

function take(apic: LocalApic): number[] {
  const got: number[] = [];
  while (apic.hasInterrupt()) got.push(apic.acknowledge());
  return got;
}

describe('LocalApic registers', () => {
  it('reports its ID in bits 31:24 and version 0x14 with 7 LVT entries', () => {
    const { apic } = setup(3);
    expect(apic.read(LAPIC_ID, 4)).toBe(0x0300_0000);
    expect(apic.read(LAPIC_VERSION, 4)).toBe(0x0006_0014);
  });

  it('powers on software-disabled with every LVT masked and DFR all ones', () => {
    const apic = new LocalApic({ clock: new VirtualClock() });
    expect(apic.read(LAPIC_SVR, 4)).toBe(0xff);
    expect(apic.read(LAPIC_LVT_TIMER, 4)).toBe(0x1_0000);
    expect(apic.read(0xe0, 4)).toBe(0xffffffff);
  });

  it('cannot unmask an LVT while software-disabled', () => {
    const apic = new LocalApic({ clock: new VirtualClock() });
    apic.write(LAPIC_LVT_TIMER, 4, 0x30);
    expect(apic.read(LAPIC_LVT_TIMER, 4)).toBe(0x1_0030);
  });

  it('drops narrower writes and reads a register byte by byte', () => {
    const { apic } = setup();
    apic.write(LAPIC_TPR, 1, 0x20);
    expect(apic.read(LAPIC_TPR, 4)).toBe(0);
    expect(apic.read(LAPIC_VERSION + 2, 1)).toBe(0x06);
  });
});

describe('LocalApic interrupt acceptance', () => {
  it('serves the highest vector first and nests only higher priority classes', () => {
    const { apic } = setup();
    apic.acceptInterrupt(0x41, false);
    apic.acceptInterrupt(0x52, false);
    expect(apic.acknowledge()).toBe(0x52);
    expect(apic.hasInterrupt()).toBe(false); // 0x41 is a lower class than 0x52 in service
    apic.acceptInterrupt(0x61, false);
    expect(apic.acknowledge()).toBe(0x61);
    apic.write(LAPIC_EOI, 4, 0);
    apic.write(LAPIC_EOI, 4, 0);
    expect(take(apic)).toEqual([0x41]);
  });

  it('holds vectors at or below the TPR class back and reports PPR', () => {
    const { apic } = setup();
    apic.write(LAPIC_TPR, 4, 0x50);
    apic.acceptInterrupt(0x55, false);
    expect(apic.hasInterrupt()).toBe(false);
    expect(apic.read(LAPIC_PPR, 4)).toBe(0x50);
    apic.write(LAPIC_TPR, 4, 0x40);
    expect(take(apic)).toEqual([0x55]);
    expect(apic.read(LAPIC_PPR, 4)).toBe(0x50);
  });

  it('answers the spurious vector when nothing qualifies', () => {
    const { apic } = setup();
    expect(apic.acknowledge()).toBe(0xff);
  });

  it('tells the I/O APIC on EOI of a level-triggered vector only', () => {
    const clock = new VirtualClock();
    const eois: number[] = [];
    const apic = new LocalApic({ clock, ports: { eoiBroadcast: (v) => eois.push(v) } });
    apic.write(LAPIC_SVR, 4, 0x100);
    apic.acceptInterrupt(0x30, true);
    apic.acceptInterrupt(0x40, false);
    expect(take(apic)).toEqual([0x40]);
    apic.write(LAPIC_EOI, 4, 0);
    expect(take(apic)).toEqual([0x30]);
    apic.write(LAPIC_EOI, 4, 0);
    expect(eois).toEqual([0x30]);
    expect(apic.read(LAPIC_ISR + 0x10, 4)).toBe(0);
  });

  it('latches illegal vectors into ESR on the next ESR write and raises the error LVT', () => {
    const { apic } = setup();
    apic.write(LAPIC_LVT_ERROR, 4, 0xfe);
    apic.acceptInterrupt(0x05, false);
    expect(apic.read(LAPIC_ESR, 4)).toBe(0);
    apic.write(LAPIC_ESR, 4, 0);
    expect(apic.read(LAPIC_ESR, 4)).toBe(0x40);
    expect(take(apic)).toEqual([0xfe]);
  });

  it('delivers LINT0 per its LVT: fixed, NMI or ExtINT', () => {
    const { apic, calls } = setup();
    apic.write(LAPIC_LVT_LINT0, 4, 0x700);
    apic.setLint(0, true);
    apic.setLint(0, false);
    apic.write(LAPIC_LVT_LINT0, 4, 0x400);
    apic.setLint(0, true);
    apic.setLint(0, false);
    apic.write(LAPIC_LVT_LINT0, 4, 0x0033);
    apic.setLint(0, true);
    expect(calls).toEqual(['extint', 'nmi']);
    expect(take(apic)).toEqual([0x33]);
  });
});

describe('LocalApic timer', () => {
  it.each([
    [0xb, 1],
    [0x0, 2],
    [0x3, 16],
    [0xa, 128],
  ])('with divide configuration %i counts every %i bus clocks', (divide, by) => {
    const { apic, clock } = setup();
    apic.write(LAPIC_TIMER_DIVIDE, 4, divide);
    apic.write(LAPIC_LVT_TIMER, 4, 0x40);
    apic.write(LAPIC_TIMER_INITIAL, 4, 1000);
    clock.advanceTo(100 * by);
    expect(apic.read(LAPIC_TIMER_CURRENT, 4)).toBe(900);
  });

  it('fires once in one-shot mode and stops at zero', () => {
    const { apic, clock } = setup();
    apic.write(LAPIC_TIMER_DIVIDE, 4, 0xb);
    apic.write(LAPIC_LVT_TIMER, 4, 0x40);
    apic.write(LAPIC_TIMER_INITIAL, 4, 1000);
    clock.advanceTo(999);
    expect(apic.hasInterrupt()).toBe(false);
    clock.advanceTo(1000);
    expect(take(apic)).toEqual([0x40]);
    apic.write(LAPIC_EOI, 4, 0);
    clock.advanceTo(10_000);
    expect(apic.hasInterrupt()).toBe(false);
    expect(apic.read(LAPIC_TIMER_CURRENT, 4)).toBe(0);
  });

  it('fires every period in periodic mode', () => {
    const { apic, clock } = setup();
    apic.write(LAPIC_TIMER_DIVIDE, 4, 0xb);
    apic.write(LAPIC_LVT_TIMER, 4, 0x2_0040);
    apic.write(LAPIC_TIMER_INITIAL, 4, 1000);
    let n = 0;
    for (let t = 100; t <= 10_000; t += 100) {
      clock.advanceTo(t);
      n += take(apic).length;
      apic.write(LAPIC_EOI, 4, 0);
    }
    expect(n).toBe(10);
    expect(apic.read(LAPIC_TIMER_CURRENT, 4)).toBe(1000);
  });

  it('fires at the TSC deadline and then reads it back as zero', () => {
    const { apic, clock } = setup();
    apic.write(LAPIC_LVT_TIMER, 4, 0x4_0040);
    apic.write(LAPIC_TIMER_INITIAL, 4, 5); // ignored in TSC-deadline mode
    apic.writeTscDeadline(5000, 0);
    const out = new Uint32Array(2);
    apic.readTscDeadline(out);
    expect([...out]).toEqual([5000, 0]);
    expect(clock.nextDeadline()).toBe(5000);
    clock.advanceTo(5000);
    expect(take(apic)).toEqual([0x40]);
    apic.readTscDeadline(out);
    expect([...out]).toEqual([0, 0]);
  });

  it('does not interrupt with the timer LVT masked, though it counts', () => {
    const { apic, clock } = setup();
    apic.write(LAPIC_TIMER_DIVIDE, 4, 0xb);
    apic.write(LAPIC_LVT_TIMER, 4, 0x1_0040);
    apic.write(LAPIC_TIMER_INITIAL, 4, 100);
    clock.advanceTo(50);
    expect(apic.read(LAPIC_TIMER_CURRENT, 4)).toBe(50);
    clock.advanceTo(200);
    expect(apic.hasInterrupt()).toBe(false);
  });
});

describe('IPIs over the ApicBus', () => {
  function pair() {
    const bus = new ApicBus();
    const a = setup(0);
    const b = setup(1);
    const wire = (x: LocalApic) =>
      Object.assign((x as unknown as { ports: object }).ports, { sendIpi: bus.sendIpi.bind(bus) });
    wire(a.apic);
    wire(b.apic);
    bus.attach(a.apic);
    bus.attach(b.apic);
    return { bus, a, b };
  }

  const send = (apic: LocalApic, hi: number, lo: number) => {
    apic.write(LAPIC_ICR_HI, 4, hi);
    apic.write(LAPIC_ICR_LO, 4, lo);
  };

  it('sends a fixed IPI to a physical destination', () => {
    const { a, b } = pair();
    send(a.apic, 0x0100_0000, 0x0000_4050);
    expect(take(b.apic)).toEqual([0x50]);
    expect(take(a.apic)).toEqual([]);
  });

  it('sends to logical destinations in the flat model', () => {
    const { a, b } = pair();
    a.apic.write(LAPIC_LDR, 4, 0x0100_0000);
    b.apic.write(LAPIC_LDR, 4, 0x0200_0000);
    send(a.apic, 0x0300_0000, 0x0000_4851);
    expect([take(a.apic), take(b.apic)]).toEqual([[0x51], [0x51]]);
  });

  it.each([
    ['self', 0x0004_4060, [[0x60], []]],
    ['all including self', 0x0008_4060, [[0x60], [0x60]]],
    ['all excluding self', 0x000c_4060, [[], [0x60]]],
  ])('honours the %s shorthand', (_name, lo, expected) => {
    const { a, b } = pair();
    send(a.apic, 0, lo as number);
    expect([take(a.apic), take(b.apic)]).toEqual(expected);
  });

  it('delivers INIT, STARTUP and NMI to the target CPU', () => {
    const { a, b } = pair();
    send(a.apic, 0x0100_0000, 0x0000_4500);
    send(a.apic, 0x0100_0000, 0x0000_0500 | 0x8000); // INIT level de-assert: no effect
    send(a.apic, 0x0100_0000, 0x0000_4608);
    send(a.apic, 0x0100_0000, 0x0000_4400);
    expect(b.calls).toEqual(['init', 'sipi:8', 'nmi']);
  });

  it('refuses to send an illegal fixed vector and records it in ESR', () => {
    const { a } = pair();
    send(a.apic, 0, 0x0004_4005);
    a.apic.write(LAPIC_ESR, 4, 0);
    expect(a.apic.read(LAPIC_ESR, 4)).toBe(0x20);
  });
});

describe('IoApic', () => {
  function setupIo() {
    const clock = new VirtualClock();
    const bus = new ApicBus();
    const io = new IoApic((logical, dest, mode, vector, level) => bus.deliver(logical, dest, mode, vector, level));
    const apic = new LocalApic({ clock, ports: { eoiBroadcast: (v) => io.eoi(v) } });
    apic.write(LAPIC_SVR, 4, 0x1ff);
    bus.attach(apic);
    const route = (pin: number, lo: number, hi = 0) => {
      io.write(0, 4, 0x10 + pin * 2 + 1);
      io.write(0x10, 4, hi);
      io.write(0, 4, 0x10 + pin * 2);
      io.write(0x10, 4, lo);
    };
    const readRte = (pin: number) => {
      io.write(0, 4, 0x10 + pin * 2);
      return io.read(0x10, 4);
    };
    return { io, apic, route, readRte };
  }

  it('reports version 0x11 with 24 redirection entries, all masked at power-on', () => {
    const { io, readRte } = setupIo();
    io.write(0, 4, 1);
    expect(io.read(0x10, 4)).toBe(0x0017_0011);
    expect(readRte(23)).toBe(0x1_0000);
  });

  it('delivers an edge input once per rising edge', () => {
    const { io, apic, route } = setupIo();
    route(4, 0x31);
    io.line(4).setLevel(true);
    io.line(4).setLevel(true);
    expect(take(apic)).toEqual([0x31]);
    apic.write(LAPIC_EOI, 4, 0);
    io.line(4).setLevel(false);
    io.line(4).setLevel(true);
    expect(take(apic)).toEqual([0x31]);
  });

  it('delivers a level input until the EOI finds it deasserted, with Remote IRR in between', () => {
    const { io, apic, route, readRte } = setupIo();
    route(10, 0x8000 | 0x41);
    io.line(10).setLevel(true);
    expect(readRte(10) & 0x4000).toBe(0x4000);
    expect(take(apic)).toEqual([0x41]);
    apic.write(LAPIC_EOI, 4, 0); // still asserted: delivered again
    expect(take(apic)).toEqual([0x41]);
    io.line(10).setLevel(false);
    apic.write(LAPIC_EOI, 4, 0);
    expect(readRte(10) & 0x4000).toBe(0);
    expect(apic.hasInterrupt()).toBe(false);
  });

  it('delivers nothing from a masked pin and an asserted level once unmasked', () => {
    const { io, apic, route } = setupIo();
    route(11, 0x1_8000 | 0x42);
    io.line(11).setLevel(true);
    expect(apic.hasInterrupt()).toBe(false);
    route(11, 0x8000 | 0x42);
    expect(take(apic)).toEqual([0x42]);
  });

  it('inverts active-low inputs', () => {
    const { io, apic, route } = setupIo();
    route(9, 0x2000 | 0x43);
    io.line(9).setLevel(true);
    expect(apic.hasInterrupt()).toBe(false);
    io.line(9).setLevel(false);
    expect(take(apic)).toEqual([0x43]);
  });

  it('routes by destination: an entry for APIC 1 does not reach APIC 0', () => {
    const { io, apic, route } = setupIo();
    route(3, 0x44, 0x0100_0000);
    io.line(3).setLevel(true);
    expect(apic.hasInterrupt()).toBe(false);
  });
});
