import { describe, expect, it } from 'vitest';
import { FlatPhysicalMemory } from '../memory/physical-memory.ts';
import { VmxControls } from '../vmcs/control-view.ts';
import * as C from '../vmcs/controls.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import { VmcsAccess, VmcsCache } from '../vmcs/vmcs.ts';
import {
  cr3LoadExits,
  crAccessQualification,
  crWriteExits,
  exceptionExits,
  guestTsc,
  ioExits,
  ioQualification,
  movDrQualification,
  msrExits,
  shadowedCr,
} from './exit-conditions.ts';

function vmcs() {
  const cache = new VmcsCache();
  return { cache, v: new VmcsAccess(cache), memory: new FlatPhysicalMemory(0x10000) };
}
const setBit = (m: FlatPhysicalMemory, base: number, bit: number) =>
  m.write32(base + (bit >>> 5) * 4, m.read32(base + (bit >>> 5) * 4) | (1 << (bit & 31)));

describe('ioExits', () => {
  it('exits on every port with "unconditional I/O exiting" and no bitmaps, never without either', () => {
    const { cache, v, memory } = vmcs();
    expect(ioExits(cache, memory, 0x3f8, 1)).toBe(false);
    v.write(F.PRIMARY_PROCESSOR_BASED_CONTROLS, C.PROC_UNCONDITIONAL_IO_EXITING);
    expect(ioExits(cache, memory, 0x3f8, 1)).toBe(true);
  });

  it.each<[string, number, number, boolean]>([
    ['a port whose bit is set in bitmap A', 0x3f8, 1, true],
    ['a port whose bit is clear', 0x3f9, 1, false],
    ['a word access touching a set bit in its second byte', 0x3f7, 2, true],
    ['a port in bitmap B', 0x8001, 1, true],
    ['an access that wraps past FFFFH', 0xffff, 2, true],
  ])('with I/O bitmaps, decides %s', (_n, port, size, exits) => {
    const { cache, v, memory } = vmcs();
    v.write(F.PRIMARY_PROCESSOR_BASED_CONTROLS, C.PROC_USE_IO_BITMAPS | C.PROC_UNCONDITIONAL_IO_EXITING);
    v.write(F.IO_BITMAP_A, 0x1000);
    v.write(F.IO_BITMAP_B, 0x2000);
    setBit(memory, 0x1000, 0x3f8);
    setBit(memory, 0x2000, 0x0001);
    expect(ioExits(cache, memory, port, size)).toBe(exits);
  });
});

describe('msrExits', () => {
  it('exits on every MSR access without MSR bitmaps', () => {
    const { cache, memory } = vmcs();
    expect(msrExits(cache, memory, 0x10, false)).toBe(true);
  });

  it.each<[string, number, boolean, number, boolean]>([
    ['a low MSR read with its read-low bit set', 0x10, false, 0x10, true],
    ['a low MSR read with the bit clear', 0x11, false, 0x10, false],
    ['a high MSR write by the write-high bitmap', 0xc0000080, true, 3072 * 8 + 0x80, true],
    ['a high MSR read whose read-high bit is clear', 0xc0000080, false, 3072 * 8 + 0x80, false],
    ['an MSR outside both ranges', 0x40000000, false, 0, true],
  ])('with MSR bitmaps, decides %s', (_n, index, write, bitToSet, exits) => {
    const { cache, v, memory } = vmcs();
    v.write(F.PRIMARY_PROCESSOR_BASED_CONTROLS, C.PROC_USE_MSR_BITMAPS);
    v.write(F.MSR_BITMAPS, 0x4000);
    setBit(memory, 0x4000, bitToSet);
    expect(msrExits(cache, memory, index, write)).toBe(exits);
  });
});

describe('exceptionExits', () => {
  it('follows the exception bitmap for vectors other than #PF', () => {
    const { cache, v } = vmcs();
    v.write(F.EXCEPTION_BITMAP, 1 << 6);
    expect(exceptionExits(cache, 6, 0)).toBe(true);
    expect(exceptionExits(cache, 13, 0)).toBe(false);
  });

  it.each<[number, number, number, number, boolean]>([
    [1, 0, 0, 0x2, true], // bit 14 set, mask 0 matches everything
    [1, 0x2, 0x2, 0x3, true], // write faults match
    [1, 0x2, 0x2, 0x1, false],
    [0, 0x2, 0x2, 0x3, false], // bit 14 clear: matching faults do not exit
    [0, 0x2, 0x2, 0x1, true],
  ])('for #PF with bitmap bit %i, mask %#x, match %#x and error code %#x exits: %s', (bit, mask, match, ec, exits) => {
    const { cache, v } = vmcs();
    v.write(F.EXCEPTION_BITMAP, bit << 14);
    v.write(F.PAGE_FAULT_ERROR_CODE_MASK, mask);
    v.write(F.PAGE_FAULT_ERROR_CODE_MATCH, match);
    expect(exceptionExits(cache, 14, ec)).toBe(exits);
  });
});

describe('control-register virtualization', () => {
  it('exits on a CR0 write that changes a host-owned bit away from the read shadow', () => {
    const { cache, v } = vmcs();
    v.write(F.CR0_GUEST_HOST_MASK, 0x80000001);
    v.write(F.CR0_READ_SHADOW, 0x80000001);
    expect(crWriteExits(cache, 0, 0x80000011)).toBe(false);
    expect(crWriteExits(cache, 0, 0x00000011)).toBe(true);
  });

  it('returns host-owned CR4 bits from the read shadow', () => {
    const { cache, v } = vmcs();
    v.write(F.CR4_GUEST_HOST_MASK, 0x2000);
    v.write(F.CR4_READ_SHADOW, 0);
    expect(shadowedCr(cache, 4, 0x2020)).toBe(0x20);
  });

  it('exits on MOV to CR3 unless the value is one of the CR3 targets', () => {
    const { cache, v } = vmcs();
    v.write(F.PRIMARY_PROCESSOR_BASED_CONTROLS, C.PROC_CR3_LOAD_EXITING);
    v.write(F.CR3_TARGET_COUNT, 2);
    v.write(F.CR3_TARGET_VALUE_1, 0x5000);
    v.write(F.CR3_TARGET_VALUE_2, 0x6000);
    expect(cr3LoadExits(cache, 0x5000, 0)).toBe(false);
    expect(cr3LoadExits(cache, 0x6000, 0)).toBe(true); // beyond the count
    expect(cr3LoadExits(cache, 0x7000, 0)).toBe(true);
  });

  it('adds the TSC offset with carry under "use TSC offsetting"', () => {
    const { cache, v } = vmcs();
    const out = new Uint32Array(2);
    v.write(F.TSC_OFFSET, 0x1_0000_0001);
    guestTsc(cache, 0xffffffff, 0, out);
    expect([...out]).toEqual([0xffffffff, 0]);
    v.write(F.PRIMARY_PROCESSOR_BASED_CONTROLS, C.PROC_USE_TSC_OFFSETTING);
    guestTsc(cache, 0xffffffff, 0, out);
    expect([...out]).toEqual([0, 2]);
  });
});

describe('exit qualifications', () => {
  it('encodes MOV to CR4 from RBX, LMSW from memory, MOV from DR3 into RCX and OUT DX, AL', () => {
    expect(crAccessQualification(4, 0, 3)).toBe(0x304);
    expect(crAccessQualification(0, 3, 0, true, 0x1)).toBe(0x10070);
    expect(movDrQualification(3, true, 1)).toBe(0x113);
    expect(ioQualification(1, false, false, false, false, 0x3f8)).toBe(0x3f80000);
    expect(ioQualification(4, true, true, true, true, 0x60)).toBe(0x60007b);
  });
});

describe('VmxControls', () => {
  it('reads secondary controls only when activated', () => {
    const { cache, v } = vmcs();
    const c = new VmxControls(cache);
    v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, C.PROC2_ENABLE_EPT);
    expect(c.enableEpt).toBe(false);
    v.write(F.PRIMARY_PROCESSOR_BASED_CONTROLS, C.PROC_ACTIVATE_SECONDARY_CONTROLS | C.PROC_HLT_EXITING);
    expect([c.enableEpt, c.hltExiting, c.rdtscExiting]).toEqual([true, true, false]);
  });
});
