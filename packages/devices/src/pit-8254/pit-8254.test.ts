import { describe, expect, it } from 'vitest';
import { RecordingLine } from '../device/lines.ts';
import { PIT_RATE } from '../time/tick-rate.ts';
import { VirtualClock } from '../time/virtual-clock.ts';
import { Pit8254 } from './pit-8254.ts';

function setup() {
  const clock = new VirtualClock();
  const irq = new RecordingLine();
  const pit = new Pit8254({ clock, irq });
  clock.attach(pit);
  return { clock, irq, pit };
}

/** OUT of `counter` at ticks 0..n-1 after now (tick 0 = the tick the count was written in). */
function waveform(pit: Pit8254, clock: VirtualClock, counter: 0 | 1 | 2, n: number): string {
  const start = PIT_RATE.ticksAt(clock.now());
  let s = '';
  for (let t = 0; t < n; t++) {
    clock.advanceTo(Math.max(clock.now(), PIT_RATE.timeOfTick(start + t)));
    s += pit.output(counter) ? '1' : '0';
  }
  return s;
}

function program(pit: Pit8254, counter: number, mode: number, count: number, bcd = false): void {
  pit.write(3, 1, (counter << 6) | 0x30 | (mode << 1) | (bcd ? 1 : 0));
  pit.write(counter, 1, count & 0xff);
  pit.write(counter, 1, count >> 8);
}

function latchedCount(pit: Pit8254, counter: number): number {
  pit.write(3, 1, counter << 6); // counter latch command
  return pit.read(counter, 1) | (pit.read(counter, 1) << 8);
}

describe('Pit8254 modes (datasheet waveforms, tick 0 = the write, the count loads on tick 1)', () => {
  it.each([
    [0, 3, '0000111111'],
    [2, 3, '1110110110'],
    [3, 4, '1110011001'],
    [3, 5, '1111001110'],
    [4, 3, '1111011111'],
  ])('mode %i with count %i gives OUT %s', (mode, count, expected) => {
    const { pit, clock } = setup();
    program(pit, 0, mode, count);
    expect(waveform(pit, clock, 0, 10)).toBe(expected);
  });

  it.each([
    [1, 3, '11111' + '10001111'],
    [5, 3, '11111' + '11110111'],
  ])('mode %i with count %i waits for a gate trigger, then gives OUT %s', (mode, count, expected) => {
    const { pit, clock } = setup();
    program(pit, 2, mode, count);
    let s = waveform(pit, clock, 2, 5);
    pit.setGate(2, true);
    s += waveform(pit, clock, 2, 8);
    expect(s).toBe(expected);
  });

  it('retriggers mode 1 on a new gate rising edge', () => {
    const { pit, clock } = setup();
    program(pit, 2, 1, 4);
    pit.setGate(2, true);
    let s = waveform(pit, clock, 2, 3);
    pit.setGate(2, false);
    pit.setGate(2, true);
    s += waveform(pit, clock, 2, 7);
    expect(s).toBe('1001000011');
  });

  it('holds a mode 0 count while the gate is low and resumes it after', () => {
    const { pit, clock } = setup();
    program(pit, 2, 0, 100);
    pit.setGate(2, true);
    clock.advanceTo(PIT_RATE.timeOfTick(11));
    expect(latchedCount(pit, 2)).toBe(90);
    pit.setGate(2, false);
    clock.advanceTo(PIT_RATE.timeOfTick(500));
    expect(latchedCount(pit, 2)).toBe(90);
    pit.setGate(2, true);
    clock.advanceTo(PIT_RATE.timeOfTick(510));
    // Resumed on tick 501: nine more decrements by tick 510.
    expect(latchedCount(pit, 2)).toBe(81);
  });

  it('keeps mode 2 OUT high with the gate low and reloads on the rising gate', () => {
    const { pit, clock } = setup();
    program(pit, 2, 2, 3);
    expect(waveform(pit, clock, 2, 6)).toBe('111111');
    pit.setGate(2, true);
    expect(waveform(pit, clock, 2, 7)).toBe('1110110');
  });

  it('stops a mode 0 count when the first byte of a new count is written', () => {
    const { pit, clock } = setup();
    program(pit, 0, 0, 5);
    clock.advanceTo(PIT_RATE.timeOfTick(3));
    pit.write(0, 1, 2);
    clock.advanceTo(PIT_RATE.timeOfTick(20));
    expect(pit.output(0)).toBe(false);
    pit.write(0, 1, 0);
    expect(waveform(pit, clock, 0, 5)).toBe('00011');
  });

  it('lets a new mode 2 count take effect at the end of the current period', () => {
    const { pit, clock } = setup();
    program(pit, 0, 2, 4);
    clock.advanceTo(PIT_RATE.timeOfTick(2));
    pit.write(0, 1, 2);
    pit.write(0, 1, 0);
    // Ticks 2-9. Old period: low at tick 4; the new period of 2 starts on tick 5: low at 6, 8.
    expect(waveform(pit, clock, 0, 8)).toBe('11010101');
  });
});

describe('Pit8254 reading counts', () => {
  it('decrements by one per 838 ns tick from the count in mode 0', () => {
    const { pit, clock } = setup();
    program(pit, 0, 0, 0x1000);
    clock.advanceTo(PIT_RATE.timeOfTick(100));
    expect(latchedCount(pit, 0)).toBe(0x1000 - 99);
  });

  it('counts 0 as 65536 and wraps past zero in mode 0', () => {
    const { pit, clock } = setup();
    program(pit, 0, 0, 0);
    clock.advanceTo(PIT_RATE.timeOfTick(2));
    expect(latchedCount(pit, 0)).toBe(0xffff);
  });

  it('counts in BCD when the control word says so', () => {
    const { pit, clock } = setup();
    program(pit, 0, 0, 0x0100, true);
    clock.advanceTo(PIT_RATE.timeOfTick(10));
    expect(latchedCount(pit, 0)).toBe(0x0091);
  });

  it('holds a latched count until both bytes are read, and ignores a second latch meanwhile', () => {
    const { pit, clock } = setup();
    program(pit, 0, 0, 1000);
    clock.advanceTo(PIT_RATE.timeOfTick(11));
    pit.write(3, 1, 0x00);
    clock.advanceTo(PIT_RATE.timeOfTick(500));
    const lo = pit.read(0, 1);
    pit.write(3, 1, 0x00);
    const hi = pit.read(0, 1);
    expect(lo | (hi << 8)).toBe(990);
    expect(latchedCount(pit, 0)).toBe(501);
  });

  it('reads LSB only or MSB only in those access modes', () => {
    const { pit, clock } = setup();
    pit.write(3, 1, 0x10); // counter 0, LSB only, mode 0
    pit.write(0, 1, 0x80);
    clock.advanceTo(PIT_RATE.timeOfTick(5));
    expect(pit.read(0, 1)).toBe(0x80 - 4);
    pit.write(3, 1, 0x20); // MSB only
    pit.write(0, 1, 0x12);
    expect(pit.read(0, 1)).toBe(0x12);
  });

  it('answers the read-back command with status (OUT, null count, mode) then count', () => {
    const { pit, clock } = setup();
    pit.write(3, 1, 0x34); // counter 0, LSB/MSB, mode 2
    pit.write(3, 1, 0xe2); // read-back: status only, counter 0
    expect(pit.read(0, 1)).toBe(0x80 | 0x40 | 0x34);
    pit.write(0, 1, 100);
    pit.write(0, 1, 0);
    clock.advanceTo(PIT_RATE.timeOfTick(11));
    pit.write(3, 1, 0xc2); // read-back: status and count, counter 0
    expect(pit.read(0, 1)).toBe(0x80 | 0x34);
    expect(pit.read(0, 1) | (pit.read(0, 1) << 8)).toBe(90);
  });
});

describe('Pit8254 interrupts', () => {
  it('raises IRQ0 on OUT0 rising edges at their exact virtual times', () => {
    const { pit, clock, irq } = setup();
    program(pit, 0, 2, 1193);
    clock.advanceTo(1e9);
    // OUT0 rises when the control word sets mode 2 (it powers on low), then at ticks 1 + 1193j:
    // 1000 of those within 1 s (1193181 ticks).
    expect(irq.risingEdges).toBe(1 + 1000);
    expect(clock.nextDeadline()).toBeGreaterThan(1e9);
  });

  it('has no deadline while counter 0 has nothing to do', () => {
    const { clock } = setup();
    expect(clock.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
  });
});
