import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { describe, expect, it } from 'vitest';
import { oneShotInterrupt } from '../test-support/one-shot-interrupt.ts';
import { StopReason } from './contracts.ts';
import { Cpu } from './cpu.ts';

/** A real-mode CPU with `code` at 0000:1000, IF set, the stack at 0x8000. */
function realModeCpu(code: number[], interrupts?: ReturnType<typeof oneShotInterrupt>) {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x100000);
  memory.writeBytes(guestPhysical(0x1000), new Uint8Array(code));
  const cpu = new Cpu({ memory, interrupts });
  cpu.setMode('real', 0);
  cpu.setReg('rsp', 0x8000);
  cpu.setReg('rip', 0x1000);
  cpu.setReg('rflags', 0x202);
  return { cpu, memory };
}

describe('run() budget', () => {
  it('returns InstructionLimit when a hook answers a fault as handled without removing its cause', () => {
    const { cpu } = realModeCpu([0x0f, 0x0b]); // UD2
    let calls = 0;
    cpu.hooks.interrupt = (_c, vector) => {
      if (vector === 6) calls++;
      return true;
    };
    expect(cpu.run({ maxInstructions: 50 })).toBe(StopReason.InstructionLimit);
    expect(calls).toBeGreaterThan(50);
    expect(calls).toBeLessThan(60);
    expect(Number(cpu.getReg('rip'))).toBe(0x1000);
  });

  it('still runs the instruction after a fault the hook fixed, within the same step()', () => {
    const { cpu } = realModeCpu([0x0f, 0x0b, 0x40]); // UD2; INC AX
    cpu.hooks.interrupt = (c, vector) => {
      if (vector !== 6) return undefined;
      c.setReg('rip', Number(c.getReg('rip')) + 2); // skip the UD2
      return true;
    };
    expect(cpu.step()).toBe(StopReason.InstructionLimit);
    expect(Number(cpu.getReg('rax'))).toBe(1);
  });
});

describe('events at the first boundary of run()', () => {
  it('takes an interrupt already pending before the first instruction', () => {
    const { cpu, memory } = realModeCpu([0x40, 0x40], oneShotInterrupt(0x20)); // INC AX; INC AX
    memory.write32(guestPhysical(0x20 * 4), 0x500); // IVT 20h -> 0000:0500
    memory.writeBytes(guestPhysical(0x500), new Uint8Array([0xf4])); // HLT
    expect(cpu.run({ maxInstructions: 1 })).toBe(StopReason.Halt); // the handler's HLT
    expect(Number(cpu.getReg('rax'))).toBe(0);
    expect(Number(cpu.getReg('rip'))).toBe(0x501);
  });
});
