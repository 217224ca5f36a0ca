import { describe, expect, it } from 'vitest';
import { guestPhysical as gpa } from '../addresses.ts';
import { PhysicalMemory } from '../memory/physical-memory.ts';
import {
  ACCESS_READ,
  ACCESS_USER,
  ACCESS_WRITE,
  CR0_PE,
  CR0_PG,
  CR0_WP,
  CR4_PAE,
  EFER_LMA,
  EFER_LME,
} from '../paging/control-bits.ts';
import { PageTableBuilder } from '../paging/page-table-builder.ts';
import { PagingState } from '../paging/paging-state.ts';
import { WalkStatus } from '../paging/walk-result.ts';
import { Tlb } from '../tlb/tlb.ts';
import { LinearMemory } from './linear-memory.ts';

function setup(withTlb: boolean) {
  const mem = new PhysicalMemory();
  mem.addRam(gpa(0), 16 * 1024 * 1024);
  let next = 0x10_0000;
  const tables = new PageTableBuilder(mem, 'level4', () => (next += 0x1000));
  // Linear 0x1000 -> 0x50000 (user RW), 0x2000 -> 0x90000 (user RO), 0x3000 unmapped.
  tables.map(0x1000, 0, 0x5_0000, 0x7);
  tables.map(0x2000, 0, 0x9_0000, 0x5);
  // A high-half kernel page: 0xffff8000_00000000 -> 0xa0000.
  tables.map(0, 0xffff_8000, 0xa_0000, 0x3);
  const state = new PagingState();
  state.cr0 = CR0_PE | CR0_PG | CR0_WP;
  state.cr4 = CR4_PAE;
  state.efer = EFER_LME | EFER_LMA;
  state.cr3 = tables.root;
  return { mem, lin: new LinearMemory(mem, state, withTlb ? new Tlb() : null) };
}

describe.each([false, true])('LinearMemory (TLB %s)', (withTlb) => {
  it('reads and writes through the page tables', () => {
    const { mem, lin } = setup(withTlb);
    expect(lin.write(0x1010, 0, 4, 0xcafebabe, ACCESS_USER)).toBe(true);
    expect(mem.read32(gpa(0x5_0010))).toBe(0xcafebabe);
    expect(lin.read(0x1010, 0, 2, ACCESS_USER)).toBe(0xbabe);
    expect(lin.write(0x10, 0xffff_8000, 4, 7, ACCESS_READ)).toBe(true);
    expect(mem.read32(gpa(0xa_0010))).toBe(7);
  });

  it('assembles a read that crosses into the next page from both frames', () => {
    const { mem, lin } = setup(withTlb);
    mem.write16(gpa(0x5_0ffe), 0x2211);
    mem.write16(gpa(0x9_0000), 0x4433);
    expect(lin.read(0x1ffe, 0, 4, ACCESS_USER)).toBe(0x44332211);
    const out = new Uint32Array(2);
    expect(lin.read64(0x1ffc, 0, ACCESS_USER, out)).toBe(true);
    expect(out[1]).toBe(0x4433);
  });

  it('writes nothing when the second page of a crossing write faults, and reports CR2 on that page', () => {
    const { mem, lin } = setup(withTlb);
    expect(lin.write(0x1ffe, 0, 4, 0xffffffff, ACCESS_USER)).toBe(false);
    expect(mem.read16(gpa(0x5_0ffe))).toBe(0);
    expect(lin.fault.status).toBe(WalkStatus.PageFault);
    expect(lin.fault.errorCode).toBe(0x7);
    expect([lin.faultLo, lin.faultHi]).toEqual([0x2000, 0]);
  });

  it('reports a not-present page with its address', () => {
    const { lin } = setup(withTlb);
    expect(lin.read(0x3004, 0, 1, ACCESS_USER)).toBe(-1);
    expect(lin.fault.errorCode).toBe(0x4);
    expect(lin.faultLo).toBe(0x3004);
  });

  it('copies byte ranges across pages and refuses a write range with a read-only page', () => {
    const { mem, lin } = setup(withTlb);
    const src = new Uint8Array(0x1800).map((_, i) => i & 0xff);
    expect(lin.writeBytes(0x1800, 0, src, ACCESS_USER)).toBe(false);
    expect(mem.read8(gpa(0x5_0800))).toBe(0);
    expect(lin.writeBytes(0x1800, 0, src.subarray(0, 0x800), ACCESS_READ)).toBe(true);
    mem.writeBytes(gpa(0x9_0000), src.subarray(0x800, 0x1000));
    const back = new Uint8Array(0x1000);
    expect(lin.readBytes(0x1800, 0, back, ACCESS_USER)).toBe(true);
    expect(back[0x7ff]).toBe(0xff);
    expect(back[0x800]).toBe(0x00);
    expect(back[0xfff]).toBe(0xff);
  });

  it('lets a supervisor write hit a read-only user page only with CR0.WP=0', () => {
    const { lin } = setup(withTlb);
    expect(lin.write(0x2000, 0, 1, 1, ACCESS_WRITE)).toBe(false);
    lin.state.cr0 &= ~CR0_WP;
    expect(lin.write(0x2000, 0, 1, 1, ACCESS_WRITE)).toBe(true);
  });
});
