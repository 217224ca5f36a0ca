import { MmioBus, RecordingLine, VirtualClock } from '@typevisor/devices';
// In your own project: import { describeDevice } from '@typevisor/devices/testing';
// (the monorepo's vitest aliases only package roots to their sources, so we reach it by path).
import { describeDevice } from '../../src/testing/index.ts';
import { describe, expect, it } from 'vitest';
import {
  CONTROL_ENABLE,
  CONTROL_IRQ,
  CONTROL_PERIODIC,
  CountdownTimer,
  STATUS_EXPIRED,
  TIMER_CONTROL,
  TIMER_COUNT,
  TIMER_EXPIRATIONS,
  TIMER_ID,
  TIMER_ID_VALUE,
  TIMER_LENGTH,
  TIMER_RELOAD,
  TIMER_STATUS,
} from './countdown-timer.ts';

const BASE = 0xfed0_0000;

function setup() {
  const clock = new VirtualClock();
  const irq = new RecordingLine();
  const timer = new CountdownTimer(clock, irq);
  const mmio = new MmioBus();
  mmio.register(BASE, TIMER_LENGTH, timer);
  clock.attach(timer);
  return {
    clock,
    irq,
    timer,
    mmio,
    reg: (o: number) => mmio.read(BASE + o, 4),
    set: (o: number, v: number) => mmio.write(BASE + o, 4, v),
  };
}

describe('CountdownTimer', () => {
  it('identifies itself', () => {
    expect(setup().reg(TIMER_ID)).toBe(TIMER_ID_VALUE);
  });

  it('counts down in microseconds of virtual time', () => {
    const { clock, reg, set } = setup();
    set(TIMER_RELOAD, 1000);
    set(TIMER_CONTROL, CONTROL_ENABLE);
    clock.advanceTo(250_000);
    expect(reg(TIMER_COUNT)).toBe(750);
  });

  it('raises its interrupt at expiry until the guest writes 1 to STATUS.EXPIRED', () => {
    const { clock, irq, reg, set } = setup();
    set(TIMER_RELOAD, 100);
    set(TIMER_CONTROL, CONTROL_ENABLE | CONTROL_IRQ);
    clock.advanceTo(99_999);
    expect(irq.level).toBe(false);
    clock.advanceTo(100_000);
    expect(irq.level).toBe(true);
    expect(reg(TIMER_STATUS)).toBe(STATUS_EXPIRED);
    expect(reg(TIMER_CONTROL) & CONTROL_ENABLE).toBe(0); // one-shot: disabled itself
    set(TIMER_STATUS, STATUS_EXPIRED);
    expect(irq.level).toBe(false);
  });

  it('reloads in periodic mode and counts every expiry', () => {
    const { clock, irq, reg, set } = setup();
    set(TIMER_RELOAD, 10);
    set(TIMER_CONTROL, CONTROL_ENABLE | CONTROL_IRQ | CONTROL_PERIODIC);
    for (let t = 10_000; t <= 100_000; t += 10_000) {
      clock.advanceTo(t);
      set(TIMER_STATUS, STATUS_EXPIRED); // the guest's interrupt handler
    }
    expect(reg(TIMER_EXPIRATIONS)).toBe(10);
    expect(irq.risingEdges).toBe(10);
  });

  it('ignores byte and word accesses through the bus policy', () => {
    const { mmio, reg } = setup();
    mmio.write(BASE + TIMER_RELOAD, 1, 5);
    expect(reg(TIMER_RELOAD)).toBe(0);
    expect(mmio.read(BASE + TIMER_ID, 2)).toBe(0xffff);
  });
});

// --- conformance start
describeDevice('CountdownTimer', (ctx) => {
  const timer = new CountdownTimer(ctx.clock, ctx.irq);
  return { device: timer, length: TIMER_LENGTH, timed: timer };
});
// --- conformance end
