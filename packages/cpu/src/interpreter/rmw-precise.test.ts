import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { SEG_CS, SEG_DS, SEG_ES, SEG_SS } from '../state/cpu-state.ts';
import { StopReason } from './contracts.ts';
import { Cpu } from './cpu.ts';

function put64(memory: PhysicalMemory, at: number, lo: number, hi = 0): void {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, lo >>> 0, true);
  v.setUint32(4, hi >>> 0, true);
  memory.writeBytes(guestPhysical(at), b);
}

/** 64-bit kernel, CR0.WP=1, identity-mapped 4 KiB pages; page 5 (0x5000) is read-only. */
function machine(body: string): { cpu: Cpu; memory: PhysicalMemory } {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x200000);
  const prog = assemble(`bits 64\norg 0x1000\n${body}\nhlt\n`, { bits: 64, org: 0x1000 });
  memory.writeBytes(guestPhysical(0x1000), prog.bytes);
  put64(memory, 0x2000, 0x3003);
  put64(memory, 0x3000, 0x4003);
  put64(memory, 0x4000, 0x8003);
  for (let i = 0; i < 512; i++) put64(memory, 0x8000 + i * 8, (i * 4096) | (i === 5 ? 1 : 3));
  memory.writeBytes(guestPhysical(0x5000), new Uint8Array([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]));
  memory.writeBytes(guestPhysical(0x4ffc), new Uint8Array([0xa1, 0xa2, 0xa3, 0xa4]));
  const cpu = new Cpu({ memory, exceptions: 'stop' });
  const s = cpu.state;
  s.cr0 = 0x80010011; // PG, WP, ET, PE
  s.cr4 = 0x20;
  s.cr3Lo = 0x2000;
  s.efer = 0x500;
  cpu.setSegmentRaw(SEG_CS, 0x08, 0, 0xffffffff, 0xa09b);
  for (const seg of [SEG_SS, SEG_DS, SEG_ES]) cpu.setSegmentRaw(seg, 0x10, 0, 0xffffffff, 0xc093);
  cpu.stateChanged();
  cpu.setReg('rip', 0x1000);
  cpu.setReg('rsp', 0x7000);
  return { cpu, memory };
}

const SET_FLAGS = 'mov eax, 7\n  mov ecx, 3\n  cmp eax, 9'; // CF=1 SF=1 AF=1

describe('read-modify-write instructions fault before they change anything', () => {
  it.each([
    ['add', 'add dword [0x5000], ecx'],
    ['adc', 'adc qword [0x5000], rcx'],
    ['sub (byte)', 'sub byte [0x5003], cl'],
    ['or with an immediate', 'or word [0x5002], 0x100'],
    ['xor', 'xor dword [0x5004], eax'],
    ['inc', 'inc dword [0x5000]'],
    ['dec', 'dec byte [0x5000]'],
    ['neg', 'neg qword [0x5000]'],
    ['shl by CL', 'shl dword [0x5000], cl'],
    ['rcr by 1', 'rcr word [0x5000], 1'],
    ['shld', 'shld dword [0x5000], eax, 4'],
    ['add of a dword that starts on the writable page before it', 'add dword [0x4ffe], ecx'],
  ])('%s into a read-only page: #PF(W), RFLAGS and memory unchanged', (_name, insn) => {
    const { cpu, memory } = machine(`  ${SET_FLAGS}\n  ${insn}`);
    const before = new Uint8Array(16);
    memory.readBytes(guestPhysical(0x4ff8), before);
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(14);
    expect(cpu.exceptionErrorCode).toBe(3); // present, write, supervisor
    expect(cpu.getReg('rflags') & 0x8d5).toBe(0x91); // CF AF SF from the CMP (7 - 9 = 0xfe: PF, ZF, OF clear)
    const after = new Uint8Array(16);
    memory.readBytes(guestPhysical(0x4ff8), after);
    expect(after).toEqual(before);
  });

  it('CMP and TEST only read: no fault on a read-only page', () => {
    const { cpu } = machine(`  cmp dword [0x5000], 1\n  test byte [0x5001], 0xff`);
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.Halt);
  });
});
