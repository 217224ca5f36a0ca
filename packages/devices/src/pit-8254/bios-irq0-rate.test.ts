import { describe, expect, it } from 'vitest';
import { PcPlatform } from '../pc-platform/pc-platform.ts';

// The classic PC BIOS POST sequence (IBM PC/AT BIOS listing, and every compatible since): program
// the 8259 pair to vectors 08h/70h in cascade, unmask IRQ0, and set PIT counter 0 to mode 3 with
// count 0 (65536), which gives the 18.2065 Hz system tick. The "CPU" here takes each interrupt
// and sends a non-specific EOI, as INT 08h does.
function biosInit(pc: PcPlatform): void {
  const out = (port: number, v: number) => pc.ports.writePort(port, 1, v);
  out(0x20, 0x11); // ICW1: edge, cascade, ICW4 needed
  out(0x21, 0x08); // ICW2: vectors 08h-0Fh
  out(0x21, 0x04); // ICW3: slave on IR2
  out(0x21, 0x01); // ICW4: 8086 mode
  out(0xa0, 0x11);
  out(0xa1, 0x70);
  out(0xa1, 0x02);
  out(0xa1, 0x01);
  out(0x21, 0xfe); // OCW1: only IRQ0 unmasked
  out(0xa1, 0xff);
  out(0x43, 0x36); // counter 0, LSB then MSB, mode 3, binary
  out(0x40, 0x00);
  out(0x40, 0x00);
}

/** Runs virtual time in 100 µs steps, taking and EOI-ing every interrupt; returns the vectors seen. */
function run(pc: PcPlatform, ns: number): number[] {
  const vectors: number[] = [];
  const end = pc.clock.now() + ns;
  while (pc.clock.now() < end) {
    pc.clock.advanceTo(Math.min(end, pc.clock.now() + 100_000));
    while (pc.interrupts.hasInterrupt()) {
      vectors.push(pc.interrupts.acknowledge());
      pc.ports.writePort(0x20, 1, 0x20); // non-specific EOI
    }
  }
  return vectors;
}

describe('the BIOS PIT/PIC programming', () => {
  it('gives IRQ0 on vector 08h at 18.2065 Hz of virtual time', () => {
    const pc = new PcPlatform();
    biosInit(pc);
    // Programming mode 3 raises OUT0 at once (one edge); count the steady rate after 1 s.
    expect(run(pc, 1e9).length).toBe(1 + 18);
    const vectors = run(pc, 10e9);
    expect(new Set(vectors)).toEqual(new Set([0x08]));
    // Edges at multiples of 65536 / 1193181.67 Hz = 54.925 ms in (1 s, 11 s]: 200 - 18.
    expect(vectors.length).toBe(182);
  });

  it('gives the 1 kHz tick Linux asks for with counter 0 = 1193 in mode 2', () => {
    const pc = new PcPlatform();
    biosInit(pc);
    pc.ports.writePort(0x43, 1, 0x34);
    pc.ports.writePort(0x40, 1, 1193 & 0xff);
    pc.ports.writePort(0x40, 1, 1193 >> 8);
    run(pc, 1e9);
    const vectors = run(pc, 1e9);
    // 1193181.67 / 1193 = 1000.15 per second.
    expect(vectors.length).toBe(1000);
  });

  it('delivers nothing while IRQ0 is masked and the pending tick once it is unmasked', () => {
    const pc = new PcPlatform();
    biosInit(pc);
    pc.ports.writePort(0x21, 1, 0xff);
    expect(run(pc, 1e9)).toEqual([]);
    pc.ports.writePort(0x21, 1, 0xfe);
    expect(run(pc, 1000)).toEqual([0x08]);
  });
});
