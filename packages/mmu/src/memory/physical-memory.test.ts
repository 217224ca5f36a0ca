import { describe, expect, it } from 'vitest';
import { guestPhysical as gpa } from '../addresses.ts';
import { MmuError } from '../errors.ts';
import { type MmioHandler, PAGE_SIZE, PhysicalMemory, RAM_CHUNK_SIZE, RegionKind } from './physical-memory.ts';

function recordingDevice(): MmioHandler & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    read(offset, size) {
      log.push(`r${size}@${offset}`);
      return 0x11223344 >>> (8 * (4 - size));
    },
    write(offset, size, value) {
      log.push(`w${size}@${offset}=${value.toString(16)}`);
    },
  };
}

describe('PhysicalMemory', () => {
  it('reads back little-endian values of every width', () => {
    const mem = new PhysicalMemory();
    mem.addRam(gpa(0), 0x10000);
    mem.write32(gpa(0x100), 0xdeadbeef);
    expect(mem.read8(gpa(0x100))).toBe(0xef);
    expect(mem.read16(gpa(0x102))).toBe(0xdead);
    expect(mem.read32(gpa(0x100))).toBe(0xdeadbeef);
    mem.write64(gpa(0x200), 0x89abcdef, 0x01234567);
    const out = new Uint32Array(2);
    mem.read64(gpa(0x200), out);
    expect([...out]).toEqual([0x89abcdef, 0x01234567]);
    expect(mem.read8(gpa(0x207))).toBe(0x01);
  });

  it('allocates RAM lazily: a 4 GiB guest costs only the chunks written', () => {
    const mem = new PhysicalMemory();
    mem.addRam(gpa(0), 4 * 1024 ** 3);
    expect(mem.read32(gpa(0xfff0_0000))).toBe(0);
    expect(mem.allocatedBytes()).toBe(0);
    mem.write8(gpa(0xfff0_0000), 1);
    mem.write8(gpa(0x1234), 1);
    expect(mem.allocatedBytes()).toBe(2 * RAM_CHUNK_SIZE);
  });

  it('handles accesses that straddle a chunk boundary and a region boundary', () => {
    const mem = new PhysicalMemory();
    mem.addRam(gpa(0), RAM_CHUNK_SIZE);
    mem.addRam(gpa(RAM_CHUNK_SIZE), RAM_CHUNK_SIZE, 'second');
    mem.write32(gpa(RAM_CHUNK_SIZE - 2), 0xaabbccdd);
    expect(mem.read16(gpa(RAM_CHUNK_SIZE - 2))).toBe(0xccdd);
    expect(mem.read16(gpa(RAM_CHUNK_SIZE))).toBe(0xaabb);
    expect(mem.read32(gpa(RAM_CHUNK_SIZE - 2))).toBe(0xaabbccdd);
  });

  it('returns all ones for unbacked reads, drops unbacked writes and reports both', () => {
    const mem = new PhysicalMemory();
    const seen: string[] = [];
    mem.onUnbacked = (a, s, w) => seen.push(`${w ? 'w' : 'r'}${s}@${a.toString(16)}`);
    expect(mem.read8(gpa(0x5000))).toBe(0xff);
    expect(mem.read16(gpa(0x5000))).toBe(0xffff);
    expect(mem.read32(gpa(0x5000))).toBe(0xffffffff);
    mem.write8(gpa(0x5000), 0);
    expect(mem.kindAt(gpa(0x5000))).toBe(RegionKind.None);
    expect(seen).toContain('w1@5000');
    expect(seen).toContain('r1@5000');
  });

  it('keeps ROM contents and ignores writes to it', () => {
    const mem = new PhysicalMemory();
    mem.addRom(gpa(0xf0000), new Uint8Array([1, 2, 3, 4]));
    mem.write32(gpa(0xf0000), 0);
    mem.write8(gpa(0xf0001), 0);
    expect(mem.read32(gpa(0xf0000))).toBe(0x04030201);
    expect(mem.read8(gpa(0xf0004))).toBe(0xff);
    expect(mem.kindAt(gpa(0xf0fff))).toBe(RegionKind.Rom);
    expect(mem.pageView(gpa(0xf0000), true)).toBeNull();
    expect(mem.pageView(gpa(0xf0000), false)![1]).toBe(2);
  });

  it('forwards MMIO with region-relative offsets and splits 8-byte accesses low half first', () => {
    const mem = new PhysicalMemory();
    const dev = recordingDevice();
    mem.addMmio(gpa(0xfee00000), PAGE_SIZE, dev);
    expect(mem.read32(gpa(0xfee00030))).toBe(0x11223344);
    expect(mem.read8(gpa(0xfee00031))).toBe(0x11);
    mem.write64(gpa(0xfee00040), 0x1, 0x2);
    const out = new Uint32Array(2);
    mem.read64(gpa(0xfee00040), out);
    expect(dev.log).toEqual(['r4@48', 'r1@49', 'w4@64=1', 'w4@68=2', 'r4@64', 'r4@68']);
  });

  it('copies bulk data across chunks, regions and holes', () => {
    const mem = new PhysicalMemory();
    mem.addRam(gpa(0), 2 * RAM_CHUNK_SIZE);
    const src = new Uint8Array(3 * RAM_CHUNK_SIZE).map((_, i) => i & 0xff);
    mem.writeBytes(gpa(100), src);
    const back = new Uint8Array(src.length);
    mem.readBytes(gpa(100), back);
    let mismatches = 0;
    for (let i = 0; i < 2 * RAM_CHUNK_SIZE - 100; i++) if (back[i] !== src[i]) mismatches++;
    expect(mismatches).toBe(0);
    expect(back[2 * RAM_CHUNK_SIZE - 100]).toBe(0xff);
  });

  it('rejects overlapping and misaligned regions with a typed error', () => {
    const mem = new PhysicalMemory();
    mem.addRam(gpa(0), 0x10000);
    expect(() => mem.addRam(gpa(0x8000), 0x10000)).toThrow(MmuError);
    expect(() => mem.addRam(gpa(0x20001), 0x1000)).toThrow(expect.objectContaining({ code: 'REGION_MISALIGNED' }));
    expect(() => mem.addRam(gpa(2 ** 52), 0x1000)).toThrow(expect.objectContaining({ code: 'ADDRESS_OUT_OF_RANGE' }));
  });

  it('gives a direct page view that aliases guest memory', () => {
    const mem = new PhysicalMemory();
    mem.addRam(gpa(0), 0x10000);
    const view = mem.pageView(gpa(0x3456), true)!;
    expect(view.length).toBe(PAGE_SIZE);
    view[0x456] = 0x99;
    expect(mem.read8(gpa(0x3456))).toBe(0x99);
    mem.write8(gpa(0x3000), 0x42);
    expect(view[0]).toBe(0x42);
    expect(mem.pageView(gpa(0x3000), false)).toBe(view); // cached: no allocation on the next TLB fill
  });

  it('calls the code-write hook once per marked page and refuses write views of it', () => {
    const mem = new PhysicalMemory();
    mem.addRam(gpa(0), 0x10000);
    const hits: number[] = [];
    mem.onCodeWrite = (page) => hits.push(page);
    const epoch = mem.codeMarkEpoch;
    mem.markCode(gpa(0x2010));
    expect(mem.codeMarkEpoch).toBe(epoch + 1);
    expect(mem.pageView(gpa(0x2000), true)).toBeNull();
    expect(mem.pageView(gpa(0x2000), false)).not.toBeNull();
    mem.write8(gpa(0x1fff), 1);
    expect(hits).toEqual([]);
    mem.write16(gpa(0x2ffe), 1);
    mem.write32(gpa(0x2000), 1);
    expect(hits).toEqual([0x2000]);
    expect(mem.isCode(gpa(0x2000))).toBe(false);
    mem.markCode(gpa(0x2000));
    mem.writeBytes(gpa(0x1ff0), new Uint8Array(32));
    expect(hits).toEqual([0x2000, 0x2000]);
  });
});
