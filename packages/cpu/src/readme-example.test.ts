import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { describe, expect, it } from 'vitest';
import { Cpu, StopReason } from './index.ts';

describe('README example', () => {
  it('adds two registers in 64-bit mode and stops at HLT', () => {
    const memory = new PhysicalMemory();
    memory.addRam(guestPhysical(0), 0x10000);
    memory.writeBytes(guestPhysical(0x1000), new Uint8Array([0x48, 0x01, 0xd8, 0xf4])); // add rax, rbx; hlt
    const cpu = new Cpu({ memory });
    cpu.setMode('long64');
    cpu.setReg('rip', 0x1000);
    cpu.setReg('rax', 2);
    cpu.setReg('rbx', 3);
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.Halt);
    expect(cpu.getReg('rax')).toBe(5);
    expect(cpu.getReg('rip')).toBe(0x1004);
  });
});
