// SDM 3A 8.3 step 5 and Table 8-2: a task switch checks that the old TSS (and the new one) can be
// accessed before it changes anything — a #PF while saving the old task's state must find the old
// task exactly as it was: TR, EIP, EFLAGS, the busy bit and the bytes of its TSS.
import type { PhysicalMemory } from '@typevisor/mmu';
import { describe, expect, it } from 'vitest';
import { SEG_TR } from '../state/cpu-state.ts';
import {
  ACC_CODE_RX,
  ACC_DATA_RW,
  descriptor,
  FLAG_DB,
  FLAG_G,
  GDT_BASE,
  get32,
  protectedGuest,
  put16,
  put32,
} from '../test-support/protected-guest.ts';
import { StopReason } from './contracts.ts';

const PF = 14;
const PAGE_DIRECTORY = 0x20000;
const PAGE_TABLE = 0x21000;

/** Byte 5 of a GDT descriptor: P, DPL, S and the type (bit 1 = busy for a TSS). */
function accessByte(memory: PhysicalMemory, selector: number): number {
  return (get32(memory, GDT_BASE + selector + 4) >>> 8) & 0xff;
}

describe('the TSS probes of a task switch (SDM 3A 8.3 step 5: both TSSes paged in before anything changes)', () => {
  // The old TSS at 5FD0H straddles 6000H: EIP..EDI lie below it, ES..GS above. The new TSS at
  // 5FE8H has its link field below 5000H's end and its whole state on the page at 6000H.
  it.each([
    ['JMP', 'the old TSS save area is half in a page', 'jmp', 0x5fd0, 0x3100, 0x6000],
    ['CALL', 'the old TSS save area is half in a page', 'call', 0x5fd0, 0x3100, 0x6000],
    ['CALL', "the new TSS's link field is in a page", 'call', 0x3000, 0x5fe8, 0x5000],
  ])(
    'a %s where %s that is not present raises #PF in the old task, changing nothing',
    (_n, _w, jump, oldTss, newTss, absent) => {
      // GDT: 0x08 code, 0x10 data, 0x18 the running (busy) TSS, 0x20 an available TSS.
      const g = protectedGuest({
        bits: 32,
        gdt: [
          descriptor(0, 0xfffff, ACC_CODE_RX, FLAG_G | FLAG_DB),
          descriptor(0, 0xfffff, ACC_DATA_RW, FLAG_G | FLAG_DB),
          descriptor(oldTss, 0x67, 0x8b, 0),
          descriptor(newTss, 0x67, 0x89, 0),
        ],
        source: `bits 32\nmov eax, 0x1234\nfault: ${jump} 0x20:0\nhlt\ntask: hlt`,
      });
      const { cpu, memory, sym } = g;
      cpu.setSegmentRaw(SEG_TR, 0x18, oldTss, 0x67, 0x8b);
      put32(memory, newTss + 0x20, sym('task'));
      put32(memory, newTss + 0x24, 2);
      for (let i = 0; i < 6; i++) put16(memory, newTss + 0x48 + 4 * i, i === 1 ? 0x08 : 0x10);
      const marker = 0xdeadbeef;
      put32(memory, oldTss + 0x20, marker); // the old EIP field keeps this if nothing is written
      put32(memory, oldTss + 0x28, marker); // the old EAX field
      put32(memory, PAGE_DIRECTORY, PAGE_TABLE | 3);
      for (let i = 0; i < 1024; i++) put32(memory, PAGE_TABLE + 4 * i, i * 4096 === absent ? 0 : (i * 4096) | 3);
      cpu.state.cr3Lo = PAGE_DIRECTORY;
      cpu.state.cr0 = (cpu.state.cr0 | 0x80000000) >>> 0;
      cpu.stateChanged();
      const eflags = cpu.getReg('eflags');

      const stop = cpu.run({ maxInstructions: 20 });
      expect(stop).toBe(StopReason.Exception);
      expect(cpu.exceptionVector).toBe(PF);
      expect(Math.floor(cpu.getReg('cr2') / 4096) * 4096).toBe(absent);
      expect(cpu.state.segSelector[SEG_TR]).toBe(0x18);
      expect(cpu.getReg('eip')).toBe(sym('fault'));
      expect(cpu.getReg('eflags')).toBe(eflags);
      expect(cpu.getReg('eax')).toBe(0x1234);
      expect(get32(memory, oldTss + 0x20)).toBe(marker);
      expect(get32(memory, oldTss + 0x28)).toBe(marker);
      expect(accessByte(memory, 0x18)).toBe(0x8b); // still busy
      expect(accessByte(memory, 0x20)).toBe(0x89); // still available
      expect(get32(memory, newTss)).toBe(0); // no back link written
    },
  );
});
