import { describe, expect, it } from 'vitest';
import { VmxError } from '../errors.ts';
import { fieldByEncoding, isHighAccess, slotOf, VMCS_FIELD_COUNT, VMCS_FIELDS } from './field-encoding.ts';
import { VmcsField as F } from './fields.ts';
import { VmcsAccess, VmcsCache } from './vmcs.ts';
import { FlatPhysicalMemory } from '../memory/physical-memory.ts';
import { slotOffset, VMCS_REGION_SIZE } from './vmcs-layout.ts';

describe('the VMCS field table', () => {
  it('lists every Appendix B field once, with valid encodings', () => {
    const encodings = VMCS_FIELDS.map((f) => f.encoding);
    expect(new Set(encodings).size).toBe(encodings.length);
    for (const e of encodings) {
      expect(e & 1).toBe(0); // full access
      expect(e & 0x1000).toBe(0); // bit 12 reserved
      expect(e >>> 15).toBe(0);
    }
    expect(VMCS_FIELD_COUNT).toBeGreaterThan(170);
  });

  it('derives type from the name: GUEST_ fields are guest state, HOST_ host state', () => {
    for (const f of VMCS_FIELDS) {
      if (f.name.startsWith('GUEST_') && f.name !== 'GUEST_PHYSICAL_ADDRESS' && f.name !== 'GUEST_LINEAR_ADDRESS') {
        expect([f.name, f.type]).toEqual([f.name, 'guest']);
      }
      if (f.name.startsWith('HOST_')) expect([f.name, f.type]).toEqual([f.name, 'host']);
    }
  });

  it.each<[string, number, string, string]>([
    ['VPID', F.VPID, '16', 'control'],
    ['EPT_POINTER', F.EPT_POINTER, '64', 'control'],
    ['EXIT_REASON', F.EXIT_REASON, '32', 'exit-information'],
    ['GUEST_RIP', F.GUEST_RIP, 'natural', 'guest'],
    ['HOST_IA32_SYSENTER_CS', F.HOST_IA32_SYSENTER_CS, '32', 'host'],
    ['GUEST_PHYSICAL_ADDRESS', F.GUEST_PHYSICAL_ADDRESS, '64', 'exit-information'],
  ])('decodes %s as a %s-bit %s field', (name, encoding, width, type) => {
    const f = fieldByEncoding(encoding)!;
    expect([f.name, f.width, f.type]).toEqual([name, width, type]);
    expect(f.readOnly).toBe(type === 'exit-information');
  });

  it('gives a 64-bit field a high access and no other field one', () => {
    expect(isHighAccess(F.TSC_OFFSET | 1)).toBe(true);
    expect(slotOf(F.TSC_OFFSET | 1)).toBe(slotOf(F.TSC_OFFSET));
    expect(slotOf(F.GUEST_RIP | 1)).toBe(-1);
    expect(slotOf(F.VPID | 1)).toBe(-1);
  });

  it('throws VmxError UNKNOWN_FIELD for an unknown encoding when strict', () => {
    expect(fieldByEncoding(0x7ffe)).toBeUndefined();
    expect(() => fieldByEncoding(0x7ffe, true)).toThrow(VmxError);
  });

  it('fits every field slot of our layout in the 4 KiB region', () => {
    expect(slotOffset(VMCS_FIELD_COUNT - 1) + 8).toBeLessThanOrEqual(VMCS_REGION_SIZE);
  });
});

describe('VmcsAccess', () => {
  it('reads back numbers, halves, and negative numbers as two’s complement', () => {
    const v = new VmcsAccess(new VmcsCache());
    v.write(F.TSC_OFFSET, -2);
    expect([v.readLo(F.TSC_OFFSET), v.readHi(F.TSC_OFFSET)]).toEqual([0xfffffffe, 0xffffffff]);
    v.write(F.GUEST_RIP, 2 ** 40 + 5);
    expect(v.read(F.GUEST_RIP)).toBe(2 ** 40 + 5);
    v.writePair(F.GUEST_RIP, 0, 0xffff8000);
    expect(() => v.read(F.GUEST_RIP)).toThrow(VmxError);
  });

  it('stores fields at their documented slot offsets when flushed', () => {
    const memory = new FlatPhysicalMemory(0x4000);
    const cache = new VmcsCache();
    cache.address = 0x1000;
    new VmcsAccess(cache).writePair(F.GUEST_RIP, 0x11223344, 0x55667788);
    cache.launched = true;
    cache.flush(memory);
    const off = 0x1000 + slotOffset(slotOf(F.GUEST_RIP));
    expect([memory.read32(off), memory.read32(off + 4), memory.read32(0x1008)]).toEqual([0x11223344, 0x55667788, 1]);
  });
});
