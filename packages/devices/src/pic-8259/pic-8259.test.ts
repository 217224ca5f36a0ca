import { describe, expect, it } from 'vitest';
import { DualPic } from './pic-8259.ts';

/** The BIOS initialisation: master vectors 0x08, slave 0x70, cascade on IR2, 8086 mode, optional AEOI / SFNM. */
function initPair(icw4 = 0x01): DualPic {
  const pic = new DualPic();
  const m = pic.master;
  const s = pic.slave;
  m.write(0, 1, 0x11);
  m.write(1, 1, 0x08);
  m.write(1, 1, 0x04);
  m.write(1, 1, icw4);
  s.write(0, 1, 0x11);
  s.write(1, 1, 0x70);
  s.write(1, 1, 0x02);
  s.write(1, 1, icw4 & ~0x10);
  return pic;
}

const EOI = 0x20;

describe('DualPic initialisation and delivery', () => {
  it('delivers IRQ n on vector base + n for both chips', () => {
    const pic = initPair();
    pic.line(1).setLevel(true);
    expect(pic.acknowledge()).toBe(0x09);
    pic.master.write(0, 1, EOI);
    pic.line(12).setLevel(true);
    expect(pic.acknowledge()).toBe(0x74);
  });

  it('clears IMR on ICW1 and masks with OCW1', () => {
    const pic = initPair();
    pic.master.write(1, 1, 0xff);
    expect(pic.master.read(1, 1)).toBe(0xff);
    pic.line(3).setLevel(true);
    expect(pic.hasInterrupt()).toBe(false);
    pic.master.write(1, 1, 0xf7);
    expect(pic.hasInterrupt()).toBe(true);
    pic.master.write(0, 1, 0x11);
    expect(pic.master.read(1, 1)).toBe(0);
  });

  it('reads IRR and ISR through OCW3', () => {
    const pic = initPair();
    pic.line(5).setLevel(true);
    pic.line(3).setLevel(true);
    pic.master.write(0, 1, 0x0a);
    expect(pic.master.read(0, 1)).toBe(0x28);
    expect(pic.acknowledge()).toBe(0x0b);
    pic.master.write(0, 1, 0x0b);
    expect(pic.master.read(0, 1)).toBe(0x08);
    pic.master.write(0, 1, 0x0a);
    expect(pic.master.read(0, 1)).toBe(0x20);
  });
});

describe('DualPic priorities and EOI', () => {
  it('serves the lowest IRQ number first and blocks lower priorities until EOI', () => {
    const pic = initPair();
    pic.line(5).setLevel(true);
    pic.line(3).setLevel(true);
    expect(pic.acknowledge()).toBe(0x0b);
    expect(pic.hasInterrupt()).toBe(false); // IR5 waits for IR3's EOI
    pic.line(1).setLevel(true);
    expect(pic.acknowledge()).toBe(0x09); // a higher priority nests
    pic.master.write(0, 1, EOI); // non-specific EOI ends IR1, the highest in service
    expect(pic.hasInterrupt()).toBe(false);
    pic.master.write(0, 1, EOI);
    expect(pic.acknowledge()).toBe(0x0d);
  });

  it('ends a given level with a specific EOI', () => {
    const pic = initPair();
    pic.line(3).setLevel(true);
    pic.acknowledge();
    pic.line(1).setLevel(true);
    pic.acknowledge();
    pic.master.write(0, 1, 0x63); // specific EOI, IR3
    pic.master.write(0, 1, 0x0b);
    expect(pic.master.read(0, 1)).toBe(0x02);
  });

  it('rotates on non-specific EOI: the served level becomes the lowest', () => {
    const pic = initPair();
    pic.line(3).setLevel(true);
    pic.acknowledge();
    pic.line(3).setLevel(false);
    pic.master.write(0, 1, 0xa0); // rotate on non-specific EOI
    pic.line(3).setLevel(true);
    pic.line(4).setLevel(true);
    expect(pic.acknowledge()).toBe(0x0c); // IR4 now has the highest priority
  });

  it('rotates on specific EOI and sets priority with OCW2', () => {
    const pic = initPair();
    pic.master.write(0, 1, 0xc5); // set priority: IR5 lowest, IR6 highest
    pic.line(7).setLevel(true);
    pic.line(0).setLevel(true);
    expect(pic.acknowledge()).toBe(0x0f);
    pic.master.write(0, 1, 0xe0); // rotate on specific EOI IR0: IR0 lowest, IR1 highest
    pic.master.write(0, 1, 0x67); // specific EOI IR7
    expect(pic.acknowledge()).toBe(0x08);
  });

  it('leaves ISR clear in automatic EOI mode and can rotate there', () => {
    const pic = initPair(0x03);
    pic.line(3).setLevel(true);
    expect(pic.acknowledge()).toBe(0x0b);
    pic.master.write(0, 1, 0x0b);
    expect(pic.master.read(0, 1)).toBe(0);
    pic.master.write(0, 1, 0x80); // rotate in AEOI mode (set)
    pic.line(3).setLevel(false);
    pic.line(3).setLevel(true);
    pic.acknowledge();
    pic.line(2 + 1).setLevel(false);
    pic.line(4).setLevel(true);
    pic.line(1).setLevel(true);
    expect(pic.acknowledge()).toBe(0x0c);
  });

  it('lets lower levels through a masked in-service level in special mask mode', () => {
    const pic = initPair();
    pic.line(3).setLevel(true);
    pic.acknowledge();
    pic.master.write(1, 1, 0x08); // mask IR3 (in service)
    pic.line(5).setLevel(true);
    expect(pic.hasInterrupt()).toBe(false);
    pic.master.write(0, 1, 0x68); // OCW3: set special mask mode
    expect(pic.acknowledge()).toBe(0x0d);
    pic.master.write(0, 1, 0x48); // reset special mask mode
  });

  it('answers the poll command with the highest request and marks it in service', () => {
    const pic = initPair();
    pic.line(6).setLevel(true);
    pic.master.write(0, 1, 0x0c); // OCW3 poll
    expect(pic.master.read(0, 1)).toBe(0x86);
    pic.master.write(0, 1, 0x0b);
    expect(pic.master.read(0, 1)).toBe(0x40);
    pic.master.write(0, 1, 0x0c);
    expect(pic.master.read(0, 1)).toBe(0x00);
  });
});

describe('DualPic cascade, triggering and spurious interrupts', () => {
  it('needs EOIs to both chips for a slave interrupt', () => {
    const pic = initPair();
    pic.line(8).setLevel(true);
    expect(pic.acknowledge()).toBe(0x70);
    pic.master.write(0, 1, 0x0b);
    pic.slave.write(0, 1, 0x0b);
    expect([pic.master.read(0, 1), pic.slave.read(0, 1)]).toEqual([0x04, 0x01]);
    pic.line(8).setLevel(false);
    pic.line(9).setLevel(true);
    pic.slave.write(0, 1, EOI);
    expect(pic.hasInterrupt()).toBe(false); // the master still has IR2 in service
    pic.master.write(0, 1, EOI);
    expect(pic.acknowledge()).toBe(0x71);
  });

  it('passes a higher slave request through an in-service cascade in special fully nested mode', () => {
    const pic = initPair(0x11);
    pic.line(10).setLevel(true);
    expect(pic.acknowledge()).toBe(0x72);
    pic.line(9).setLevel(true);
    expect(pic.acknowledge()).toBe(0x71);
  });

  it('latches an edge request and needs a new rising edge for the next one', () => {
    const pic = initPair();
    pic.line(4).setLevel(true);
    pic.acknowledge();
    pic.master.write(0, 1, EOI);
    expect(pic.hasInterrupt()).toBe(false); // still high, but no new edge
    pic.line(4).setLevel(false);
    pic.line(4).setLevel(true);
    expect(pic.acknowledge()).toBe(0x0c);
  });

  it('keeps requesting a level-triggered IRQ (ELCR) while its line is high', () => {
    const pic = initPair();
    pic.write(1, 1, 0x08); // ELCR2: IRQ11 level
    expect(pic.read(1, 1)).toBe(0x08);
    pic.line(11).setLevel(true);
    expect(pic.acknowledge()).toBe(0x73);
    pic.slave.write(0, 1, EOI);
    pic.master.write(0, 1, EOI);
    expect(pic.acknowledge()).toBe(0x73);
    pic.slave.write(0, 1, EOI);
    pic.master.write(0, 1, EOI);
    pic.line(11).setLevel(false);
    // The master's cascade input is edge triggered and stays latched: the slave, with nothing
    // left to request, answers its spurious IR7.
    expect(pic.acknowledge()).toBe(0x77);
    pic.slave.write(0, 1, 0x0b);
    expect(pic.slave.read(0, 1)).toBe(0);
  });

  it('keeps IRQ0, 1, 2, 8 and 13 edge triggered whatever ELCR is written', () => {
    const pic = new DualPic();
    pic.write(0, 1, 0xff);
    pic.write(1, 1, 0xff);
    expect([pic.read(0, 1), pic.read(1, 1)]).toEqual([0xf8, 0xde]);
  });

  it('keeps an edge request latched after a raise-then-lower pulse', () => {
    const pic = initPair();
    pic.line(6).setLevel(true);
    pic.line(6).setLevel(false);
    expect(pic.acknowledge()).toBe(0x0e);
  });

  it('answers the spurious IR7 vector when a level request goes away before the acknowledge', () => {
    const pic = initPair();
    pic.write(0, 1, 0x20); // IRQ5 level
    pic.line(5).setLevel(true);
    expect(pic.hasInterrupt()).toBe(true);
    pic.line(5).setLevel(false);
    expect(pic.acknowledge()).toBe(0x0f);
    pic.master.write(0, 1, 0x0b);
    expect(pic.master.read(0, 1)).toBe(0); // no ISR bit for a spurious interrupt
  });

  it('tells its output changes to the CPU side', () => {
    const levels: boolean[] = [];
    const pic = new DualPic({ onOutputChange: (h) => levels.push(h) });
    pic.master.write(0, 1, 0x11);
    pic.master.write(1, 1, 0x08);
    pic.master.write(1, 1, 0x04);
    pic.master.write(1, 1, 0x01);
    pic.line(0).setLevel(true);
    pic.acknowledge();
    expect(levels).toEqual([true, false]);
  });
});
