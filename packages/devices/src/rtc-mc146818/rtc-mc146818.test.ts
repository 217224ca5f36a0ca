import { describe, expect, it } from 'vitest';
import { RecordingLine } from '../device/lines.ts';
import { VirtualClock } from '../time/virtual-clock.ts';
import { civilFromSeconds, secondsFromCivil } from './civil-time.ts';
import { RtcMc146818 } from './rtc-mc146818.ts';

const START = Date.UTC(2024, 1, 29, 23, 59, 58) / 1000; // Thursday 2024-02-29 23:59:58

function setup(startTime = START) {
  const clock = new VirtualClock();
  const irq = new RecordingLine();
  const rtc = new RtcMc146818({ clock, irq, startTime });
  clock.attach(rtc);
  const reg = (i: number) => {
    rtc.write(0, 1, i);
    return rtc.read(1, 1);
  };
  const set = (i: number, v: number) => {
    rtc.write(0, 1, i);
    rtc.write(1, 1, v);
  };
  return { clock, irq, rtc, reg, set };
}

describe('civil time', () => {
  it('agrees with Date for days across four centuries', () => {
    for (let s = -2e9; s < 1e10; s += 86400 * 97 + 3601) {
      const t = civilFromSeconds(s);
      const d = new Date(s * 1000);
      expect([t.year, t.month, t.day, t.hour, t.minute, t.second, t.weekday]).toEqual([
        d.getUTCFullYear(),
        d.getUTCMonth() + 1,
        d.getUTCDate(),
        d.getUTCHours(),
        d.getUTCMinutes(),
        d.getUTCSeconds(),
        d.getUTCDay() + 1,
      ]);
      expect(secondsFromCivil(t)).toBe(s);
    }
  });
});

describe('RtcMc146818 time', () => {
  it('reads the start time in BCD, 24-hour mode', () => {
    const { reg } = setup();
    expect([0, 2, 4, 6, 7, 8, 9, 0x32].map(reg)).toEqual([0x58, 0x59, 0x23, 0x05, 0x29, 0x02, 0x24, 0x20]);
  });

  it('advances with virtual time through a leap day into March', () => {
    const { reg, clock } = setup();
    clock.advanceTo(3e9);
    expect([0, 2, 4, 6, 7, 8, 9].map(reg)).toEqual([0x01, 0x00, 0x00, 0x06, 0x01, 0x03, 0x24]);
  });

  it('reads binary values with register B DM set', () => {
    const { reg, set } = setup();
    set(0x0b, 0x06);
    expect([0, 2, 4, 9].map(reg)).toEqual([58, 59, 23, 24]);
  });

  it('reads 12-hour values with the PM bit', () => {
    const { reg, set } = setup();
    set(0x0b, 0x00);
    expect(reg(4)).toBe(0x80 | 0x11);
    const am = setup(Date.UTC(2024, 0, 1, 0, 30) / 1000);
    am.set(0x0b, 0x00);
    expect(am.reg(4)).toBe(0x12);
  });

  it('halts while SET is 1 and takes the time software writes', () => {
    const { reg, set, clock } = setup();
    set(0x0b, 0x82);
    set(4, 0x08);
    set(2, 0x15);
    set(0, 0x00);
    clock.advanceTo(5e9);
    expect(reg(0)).toBe(0x00);
    set(0x0b, 0x02);
    clock.advanceTo(7.5e9);
    expect([0, 2, 4].map(reg)).toEqual([0x02, 0x15, 0x08]);
  });

  it('shows update in progress during the 244 µs before each update', () => {
    const { reg, clock } = setup();
    clock.advanceTo(1e9 - 244_001);
    expect(reg(0x0a) & 0x80).toBe(0);
    clock.advanceTo(1e9 - 244_000);
    expect(reg(0x0a) & 0x80).toBe(0x80);
    clock.advanceTo(1e9);
    expect(reg(0x0a) & 0x80).toBe(0);
  });

  it('stops updating in divider reset and updates 500 ms after leaving it', () => {
    const { reg, set, clock } = setup();
    set(0x0a, 0x66);
    clock.advanceTo(5e9);
    expect(reg(0)).toBe(0x58);
    set(0x0a, 0x26);
    clock.advanceTo(5.4e9);
    expect(reg(0)).toBe(0x58);
    clock.advanceTo(5.5e9);
    expect(reg(0)).toBe(0x59);
  });

  it('keeps a day of week software set and advances it at midnight', () => {
    const { reg, set, clock } = setup();
    set(6, 0x02); // Monday, though 2024-02-29 was a Thursday
    clock.advanceTo(3e9);
    expect(reg(6)).toBe(0x03);
  });

  it('keeps register D VRT set and the CMOS RAM bytes', () => {
    const { reg, set } = setup();
    expect(reg(0x0d)).toBe(0x80);
    set(0x10, 0x42);
    set(0x7f, 0x99);
    expect([reg(0x10), reg(0x7f)]).toEqual([0x42, 0x99]);
  });

  it('takes the NMI mask from bit 7 of the index port', () => {
    const { rtc } = setup();
    rtc.write(0, 1, 0x0d);
    expect(rtc.nmiMasked).toBe(false);
    rtc.write(0, 1, 0x8d);
    expect(rtc.nmiMasked).toBe(true);
    expect(rtc.read(1, 1)).toBe(0x80); // still selects register D
  });
});

describe('RtcMc146818 interrupts', () => {
  /** Counts IRQ8 edges over `ns`, reading register C after each as an interrupt handler does. */
  function countInterrupts(s: ReturnType<typeof setup>, ns: number, step = 50_000): number[] {
    const flags: number[] = [];
    const end = s.clock.now() + ns;
    while (s.clock.now() < end) {
      s.clock.advanceTo(Math.min(end, s.clock.now() + step));
      if (s.irq.level) flags.push(s.reg(0x0c));
    }
    return flags;
  }

  it('gives 1024 periodic interrupts a second at rate 6', () => {
    const s = setup();
    s.set(0x0b, 0x42);
    const flags = countInterrupts(s, 1e9, 100_000);
    expect(flags.length).toBe(1024);
    expect(new Set(flags)).toEqual(new Set([0xc0, 0xd0]));
  });

  it.each([
    [3, 8192],
    [15, 2],
  ])('gives the datasheet rate for rate select %i (%i Hz)', (rate, hz) => {
    const s = setup();
    s.set(0x0a, 0x20 | rate);
    s.set(0x0b, 0x42);
    expect(countInterrupts(s, 1e9, 20_000).length).toBe(hz);
  });

  it('gives one update-ended interrupt a second', () => {
    const s = setup();
    s.set(0x0b, 0x12);
    // PF is set at the periodic rate whether enabled or not; mask it out.
    const flags = countInterrupts(s, 3e9, 1_000_000).map((c) => c & 0x90);
    expect(flags).toEqual([0x90, 0x90, 0x90]);
  });

  it('fires the alarm when hours, minutes and seconds match, once', () => {
    const s = setup();
    s.set(1, 0x01);
    s.set(3, 0x00);
    s.set(5, 0x00);
    s.set(0x0b, 0x22);
    const flags = countInterrupts(s, 10e9, 1_000_000);
    // At 00:00:01: IRQF with AF and UF (and PF, which runs regardless).
    expect(flags.map((c) => c & 0xb0)).toEqual([0xb0]);
  });

  it('treats alarm values 0xC0-0xFF as do not care', () => {
    const s = setup();
    s.set(1, 0xc0);
    s.set(3, 0xff);
    s.set(5, 0xc0);
    s.set(0x0b, 0x22);
    expect(countInterrupts(s, 3e9, 1_000_000).length).toBe(3);
  });

  it('sets flags without enables but raises IRQ8 only for enabled ones; reading C clears them', () => {
    const s = setup();
    s.clock.advanceTo(1.5e9);
    expect(s.irq.level).toBe(false);
    expect(s.reg(0x0c)).toBe(0x50);
    expect(s.reg(0x0c)).toBe(0x00);
  });

  it('clears UIE when SET is written', () => {
    const s = setup();
    s.set(0x0b, 0x92);
    expect(s.reg(0x0b)).toBe(0x82);
  });
});
