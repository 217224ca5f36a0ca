import { describe, expect, it } from 'vitest';
import type { AccessPolicy, AccessSize, Device } from '../device/device.ts';
import { DeviceError } from '../errors.ts';
import { MmioBus } from './mmio-bus.ts';
import { PortBus } from './port-bus.ts';

/** A device that records every access and answers reads with a pattern built from the offset. */
class Recorder implements Device {
  readonly log: string[] = [];
  read(offset: number, size: AccessSize): number {
    this.log.push(`r${size}@${offset}`);
    let v = 0;
    for (let b = size - 1; b >= 0; b--) v = v * 256 + ((0x10 + offset + b) & 0xff);
    return v;
  }
  write(offset: number, size: AccessSize, value: number): void {
    this.log.push(`w${size}@${offset}=${value.toString(16)}`);
  }
}

class Qword extends Recorder {
  read64(offset: number, out: Uint32Array): void {
    this.log.push(`r8@${offset}`);
    out[0] = 0x11223344;
    out[1] = 0x55667788;
  }
  write64(offset: number, lo: number, hi: number): void {
    this.log.push(`w8@${offset}=${hi.toString(16)}:${lo.toString(16)}`);
  }
}

function code(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof DeviceError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('range registration', () => {
  it.each([
    ['a zero length', 0x10, 0, 'RANGE_EMPTY'],
    ['a negative length', 0x10, -4, 'RANGE_EMPTY'],
    ['a fractional length', 0x10, 1.5, 'RANGE_EMPTY'],
    ['a range past port 0xFFFF', 0xfffe, 4, 'RANGE_OUT_OF_BOUNDS'],
    ['a negative base', -1, 4, 'RANGE_OUT_OF_BOUNDS'],
    ['a range overlapping 0x40-0x43 from below', 0x3e, 4, 'RANGE_OVERLAP'],
    ['a range overlapping 0x40-0x43 from above', 0x43, 1, 'RANGE_OVERLAP'],
    ['a range covering 0x40-0x43', 0x30, 0x40, 'RANGE_OVERLAP'],
  ])('rejects %s with a typed error', (_what, base, length, expected) => {
    const bus = new PortBus();
    bus.register(0x40, 4, new Recorder());
    expect(code(() => bus.register(base, length, new Recorder()))).toBe(expected);
  });

  it('accepts ranges that touch without overlapping', () => {
    const bus = new PortBus();
    bus.register(0x40, 4, new Recorder());
    bus.register(0x44, 4, new Recorder());
    bus.register(0x3c, 4, new Recorder());
    expect(bus.list().map((r) => r.base)).toEqual([0x3c, 0x40, 0x44]);
  });

  it('rejects width 8 for a device without read64/write64 and unknown widths', () => {
    const bus = new MmioBus();
    expect(code(() => bus.register(0, 8, new Recorder(), { sizes: [8] }))).toBe('BAD_ARGUMENT');
    expect(code(() => bus.register(0, 8, new Recorder(), { sizes: [3 as 1] }))).toBe('BAD_ARGUMENT');
  });

  it('unregisters a device and says NOT_REGISTERED for one it does not hold', () => {
    const bus = new PortBus();
    const d = new Recorder();
    bus.register(0x60, 1, d);
    bus.unregister(d);
    expect(bus.readPort(0x60, 1)).toBe(0xff);
    expect(code(() => bus.unregister(d))).toBe('NOT_REGISTERED');
  });
});

describe('dispatch', () => {
  it('passes devices offsets from their base, never absolute addresses', () => {
    const bus = new MmioBus();
    const d = new Recorder();
    bus.register(0xfee0_0000, 0x1000, d);
    bus.write(0xfee0_00b0, 4, 0);
    expect(d.log).toEqual(['w4@176=0']);
    expect(bus.read(0xfee0_0020, 4)).toBe(0x33323130);
  });

  it.each([1, 2, 4] as const)('reads unclaimed space as all ones at width %i', (size) => {
    expect(new PortBus().readPort(0x80, size)).toBe(2 ** (8 * size) - 1);
    expect(new MmioBus().read(0xd000_0000, size)).toBe(2 ** (8 * size) - 1);
  });

  it('reports unclaimed accesses to its observer', () => {
    const seen: string[] = [];
    const bus = new PortBus({ observer: { onEvent: (d, e, v) => seen.push(`${d} ${e} ${v.toString(16)}`) } });
    bus.readPort(0x80, 1);
    bus.writePort(0x81, 1, 0);
    expect(seen).toEqual(['port-bus unclaimed-read 80', 'port-bus unclaimed-write 81']);
  });

  it('drops unclaimed writes', () => {
    const bus = new PortBus();
    expect(() => bus.writePort(0x80, 1, 0x55)).not.toThrow();
  });

  it('decodes an access straddling a range end byte by byte: the unclaimed bytes read as ones', () => {
    const bus = new PortBus();
    const d = new Recorder();
    bus.register(0x100, 2, d);
    expect(bus.readPort(0x101, 2)).toBe(0xff11);
    expect(d.log).toEqual(['r1@1']);
    bus.writePort(0xff, 4, 0xaabbccdd);
    expect(d.log.slice(1)).toEqual(['w1@0=cc', 'w1@1=bb']);
  });

  it('reads as ones beyond the last port rather than wrapping', () => {
    const bus = new PortBus();
    bus.register(0xffff, 1, new Recorder());
    expect(bus.readPort(0xffff, 2)).toBe(0xff10);
  });

  it('masks values to the access width both ways', () => {
    const bus = new PortBus();
    const d = new Recorder();
    d.read = () => 0x12345678;
    bus.register(0x10, 4, d);
    expect(bus.readPort(0x10, 1)).toBe(0x78);
    bus.writePort(0x10, 2, 0xabcdef);
    expect(d.log).toEqual(['w2@0=cdef']);
  });
});

describe('the width policy', () => {
  const setup = (policy: AccessPolicy) => {
    const bus = new MmioBus();
    const d = new Recorder();
    bus.register(0x1000, 16, d, policy);
    return { bus, d };
  };

  it('splits an unsupported width into supported pieces, lowest address first, little-endian', () => {
    const { bus, d } = setup({ sizes: [1] });
    expect(bus.read(0x1004, 4)).toBe(0x17161514);
    bus.write(0x1004, 2, 0xbeef);
    expect(d.log).toEqual(['r1@4', 'r1@5', 'r1@6', 'r1@7', 'w1@4=ef', 'w1@5=be']);
  });

  it('splits into the widest aligned pieces it can', () => {
    const { bus, d } = setup({ sizes: [1, 2] });
    bus.read(0x1004, 4);
    bus.read(0x1001, 4);
    expect(d.log).toEqual(['r2@4', 'r2@6', 'r1@1', 'r2@2', 'r1@4']);
  });

  it("ignores an unsupported width under 'ignore': ones on read, nothing on write", () => {
    const { bus, d } = setup({ sizes: [4], unsupported: 'ignore' });
    expect(bus.read(0x1000, 1)).toBe(0xff);
    bus.write(0x1000, 2, 1);
    expect(d.log).toEqual([]);
  });

  it("reads ones for bytes no supported piece fits under 'split'", () => {
    const { bus, d } = setup({ sizes: [4] });
    expect(bus.read(0x1000, 2)).toBe(0xffff);
    expect(d.log).toEqual([]);
  });

  it.each([
    ['pass', ['r4@2'], 0x15141312],
    ['split', ['r2@2', 'r2@4'], 0x15141312],
    ['ignore', [], 0xffffffff],
  ] as const)("handles an unaligned 4-byte read under unaligned '%s'", (unaligned, log, value) => {
    const { bus, d } = setup({ unaligned });
    expect(bus.read(0x1002, 4)).toBe(value);
    expect(d.log).toEqual(log);
  });

  it("takes the device's own accessPolicy when registration gives none", () => {
    const bus = new PortBus();
    const d = new Recorder();
    Object.assign(d, { accessPolicy: { sizes: [1] } });
    bus.register(0x3f8, 8, d);
    bus.readPort(0x3f8, 2);
    expect(d.log).toEqual(['r1@0', 'r1@1']);
  });
});

describe('8-byte accesses', () => {
  it('split into two 4-byte accesses, low half first, for devices without width 8', () => {
    const bus = new MmioBus();
    const d = new Recorder();
    bus.register(0, 16, d);
    bus.write64(8, 0x11111111, 0x22222222);
    const out = new Uint32Array(2);
    bus.read64(0, out);
    expect(d.log).toEqual(['w4@8=11111111', 'w4@12=22222222', 'r4@0', 'r4@4']);
    expect([...out]).toEqual([0x13121110, 0x17161514]);
  });

  it('reach a device that accepts width 8 whole', () => {
    const bus = new MmioBus();
    const d = new Qword();
    bus.register(0, 16, d, { sizes: [4, 8] });
    bus.write64(8, 1, 2);
    expect(bus.readQword(0)).toEqual({ lo: 0x11223344, hi: 0x55667788 });
    expect(d.log).toEqual(['w8@8=2:1', 'r8@0']);
  });
});

describe('the cross-package contracts', () => {
  it('PortBus is a PortIo and MmioBus an MmioHandler (structurally)', () => {
    type PortIo = {
      readPort(port: number, size: 1 | 2 | 4): number;
      writePort(port: number, size: 1 | 2 | 4, value: number): void;
    };
    type MmioHandler = {
      read(offset: number, size: 1 | 2 | 4): number;
      write(offset: number, size: 1 | 2 | 4, value: number): void;
    };
    const io: PortIo = new PortBus();
    const mmio: MmioHandler = new MmioBus();
    const device: MmioHandler = new Recorder();
    expect(io.readPort(0, 1) + mmio.read(0, 1) + device.read(0, 1)).toBe(0xff + 0xff + 0x10);
  });
});
