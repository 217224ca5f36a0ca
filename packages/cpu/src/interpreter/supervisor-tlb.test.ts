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

// Kernel drops to CPL 3; the user program then makes the CPU read the GDT (a supervisor-only
// page) on its behalf, and afterwards reads or writes that page itself.
function userProgram(body: string): string {
  return `
  bits 64
  org 0x1000
  mov ax, 0x28
  ltr ax
  lidt [rel idtr]
  push 0x1b
  push 0x7000
  push 0x3002               ; RFLAGS: IOPL 3 would allow I/O; keep IOPL 0 below
  push 0x23
  lea rax, [rel user]
  push rax
  iretq
user:
${body}
  hlt
handler:
  mov rbx, [0x5000]         ; a user page, read by the kernel
  hlt
idtr:
  dw 0xfff
  dq 0x400
`;
}

function machine(source: string, rflags = 0x2, cr4 = 0x20): Cpu {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x200000);
  const prog = assemble(source.replace('push 0x3002', `push ${rflags}`), { bits: 64, org: 0x1000 });
  memory.writeBytes(guestPhysical(0x1000), prog.bytes);
  // GDT at 0x800: null, kernel code 0x08, kernel data 0x10, user data 0x18, user code 0x20, TSS 0x28.
  put64(memory, 0x800, 0, 0);
  put64(memory, 0x808, 0x0000ffff, 0x00af9a00);
  put64(memory, 0x810, 0x0000ffff, 0x00cf9200);
  put64(memory, 0x818, 0x0000ffff, 0x00cff200);
  put64(memory, 0x820, 0x0000ffff, 0x00affa00);
  // 64-bit TSS at 0x600 (same supervisor page as the GDT), limit 0x88 with an I/O bitmap at 0x68.
  put64(memory, 0x828, 0x06000088, 0x00008900);
  put64(memory, 0x830, 0, 0);
  memory.writeBytes(guestPhysical(0x666), new Uint8Array([0x68, 0x00]));
  put64(memory, 0x604, 0x9000); // RSP0
  // IDT at 0x400: vector 0x80, a DPL-3 interrupt gate to the handler.
  const handler = Number(prog.symbols.get('handler'));
  put64(memory, 0x400 + 0x80 * 16, (handler & 0xffff) | (0x08 << 16), (handler & 0xffff0000) | 0xee00);
  // 4-level paging, 4 KiB pages: page 0 (GDT, TSS) supervisor-only, the rest user.
  put64(memory, 0x2000, 0x3007);
  put64(memory, 0x3000, 0x4007);
  put64(memory, 0x4000, 0x8007);
  // Page 8 (the page table itself and the kernel stack below RSP0 = 0x9000) is supervisor-only too.
  for (let i = 0; i < 512; i++) put64(memory, 0x8000 + i * 8, (i * 4096) | (i === 0 || i === 8 ? 3 : 7));
  const cpu = new Cpu({ memory, exceptions: 'stop' });
  const s = cpu.state;
  s.cr0 = 0x80000011;
  s.cr4 = cr4;
  s.cr3Lo = 0x2000;
  s.efer = 0x500;
  s.gdtrBaseLo = 0x800;
  s.gdtrLimit = 0x37;
  cpu.setSegmentRaw(SEG_CS, 0x08, 0, 0xffffffff, 0xa09b);
  for (const seg of [SEG_SS, SEG_DS, SEG_ES]) cpu.setSegmentRaw(seg, 0x10, 0, 0xffffffff, 0xc093);
  cpu.stateChanged();
  cpu.setReg('rip', 0x1000);
  cpu.setReg('rsp', 0x9000);
  // AC=1: the kernel's own set-up reads its code page (a user page) under SMAP; IRETQ clears it.
  cpu.setReg('rflags', 0x40002);
  return cpu;
}

describe('implicit supervisor accesses and the TLB', () => {
  it.each([
    ['a segment load reads the GDT', 'mov ax, 0x1b\n  mov ds, ax', 'mov rax, [0x818]', 5],
    ['a segment load sets the accessed bit in the GDT', 'mov ax, 0x1b\n  mov ds, ax', 'mov byte [0x81d], 0xf3', 7],
    ['an I/O-permission check reads the TSS bitmap', 'mov dx, 0x80\n  in al, dx', 'mov rax, [0x668]', 5],
  ])('a CPL-3 access still faults on the supervisor page after %s', (_what, implicit, access, errorCode) => {
    const cpu = machine(userProgram(`  ${implicit}\n  ${access}`));
    expect(cpu.run({ maxInstructions: 100 })).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(14);
    expect(cpu.exceptionErrorCode).toBe(errorCode);
    expect(cpu.cpl).toBe(3);
  });
});

const READ_THEN_INT = '  mov rax, [0x5000]\n  int 0x80';
// machine() assembles with 'push 2' (2 bytes) for the 5-byte 'push 0x3002' of the template.
const HANDLER = Number(assemble(userProgram(READ_THEN_INT), { bits: 64, org: 0x1000 }).symbols.get('handler')) - 3;

describe('privilege changes and the TLB', () => {
  it('SMAP still stops the kernel from reading a user page the user program had just read (INT from CPL 3)', () => {
    const cpu = machine(userProgram(READ_THEN_INT), 0x2, 0x20 | (1 << 21));
    expect(cpu.run({ maxInstructions: 100 })).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(14);
    expect(cpu.exceptionErrorCode).toBe(1); // present, read, supervisor
    expect(cpu.getReg('rip')).toBe(HANDLER); // the kernel's read, not its set-up
    expect(cpu.cpl).toBe(0);
  });

  it('without SMAP the same kernel read succeeds', () => {
    const cpu = machine(userProgram(READ_THEN_INT));
    expect(cpu.run({ maxInstructions: 100 })).toBe(StopReason.Halt);
    expect(cpu.getReg('rip')).toBe(HANDLER + 9); // past the read and the HLT
    expect(cpu.cpl).toBe(0);
  });
});

describe('SMAP and RFLAGS.AC', () => {
  const body = (kernel: string) => `
  bits 64
  org 0x1000
${kernel}
  hlt
`;
  it.each([
    ['AC=1 lets the kernel read a user page (STAC)', 'stac\n  mov rax, [0x5000]', StopReason.Halt],
    ['AC=0 blocks it (CLAC)', 'clac\n  mov rax, [0x5000]', StopReason.Exception],
    [
      'CLAC after a permitted read blocks the next read of the same page',
      'stac\n  mov rax, [0x5000]\n  clac\n  mov rbx, [0x5008]',
      StopReason.Exception,
    ],
    [
      'POPF clearing AC blocks it too',
      'stac\n  mov rax, [0x5000]\n  push 2\n  popfq\n  mov rbx, [0x5008]',
      StopReason.Exception,
    ],
  ])('%s', (_what, kernel, stop) => {
    const cpu = machine(body(kernel), 0x2, 0x20 | (1 << 21));
    expect(cpu.run({ maxInstructions: 20 })).toBe(stop);
    if (stop === StopReason.Exception) {
      expect(cpu.exceptionVector).toBe(14);
      expect(cpu.exceptionErrorCode).toBe(1);
    }
  });
});
