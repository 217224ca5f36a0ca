import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { StopReason } from './contracts.ts';
import { Cpu, MSR_IA32_FMASK, MSR_IA32_LSTAR, MSR_IA32_STAR } from './cpu.ts';

describe('SYSCALL / SYSRET', () => {
  it('enters the kernel at LSTAR with RCX/R11 saved and FMASK applied, and SYSRET returns to CPL 3', () => {
    const memory = new PhysicalMemory();
    memory.addRam(guestPhysical(0), 0x100000);
    const prog = assemble(
      `
      bits 64
      org 0x1000
    user:
      mov eax, 60
      syscall
      mov r14, 1
      hlt                      ; CPL 3: #GP, which stops the run (exceptions: 'stop')
    kernel:
      mov r12, rcx
      mov r13, r11
      pushfq
      pop r15
      sysretq                   ; REX.W SYSRET: back to 64-bit code
    `,
      { bits: 64, org: 0x1000 },
    );
    memory.writeBytes(guestPhysical(0x1000), prog.bytes);
    const cpu = new Cpu({ memory, exceptions: 'stop' });
    cpu.setMode('long64', 3);
    cpu.setReg('efer', cpu.getReg('efer') | 1); // SCE
    // SDM 2 "SYSCALL": CS = STAR[47:32], SS = +8; SYSRET (64-bit) CS = STAR[63:48] + 16, SS = +8.
    expect(cpu.writeMsrValue(MSR_IA32_STAR, 0, 0x08 | (0x10 << 16))).toBe(true);
    expect(cpu.writeMsrValue(MSR_IA32_LSTAR, Number(prog.symbols.get('kernel')), 0)).toBe(true);
    expect(cpu.writeMsrValue(MSR_IA32_FMASK, 0x200, 0)).toBe(true);
    cpu.setReg('rflags', 0x202);
    cpu.setReg('rip', 0x1000);
    const stop = cpu.run({ maxInstructions: 100 });
    expect(cpu.getReg('r12')).toBe(0x1000 + 7); // RIP after the 2-byte SYSCALL
    expect(cpu.getReg('r13') & 0x200).toBe(0x200); // R11 = RFLAGS before
    expect(cpu.getReg('r15') & 0x200).toBe(0); // IF masked in the kernel
    expect([cpu.exceptionVector, cpu.getReg('rip').toString(16), cpu.getReg('cs')]).toEqual([13, '100e', 0x23]);
    expect(cpu.getReg('r14')).toBe(1);
    expect(cpu.getReg('cs')).toBe(0x23);
    expect(cpu.getReg('ss')).toBe(0x1b);
    expect(cpu.cpl).toBe(3);
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(13);
  });
});
