import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { SEG_CS, SEG_DS, SEG_ES, SEG_SS } from '../state/cpu-state.ts';
import type { VmxInterception } from '../vmx/interception.ts';
import { StopReason } from './contracts.ts';
import { Cpu } from './cpu.ts';

function put64(memory: PhysicalMemory, at: number, lo: number, hi = 0): void {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, lo >>> 0, true);
  v.setUint32(4, hi >>> 0, true);
  memory.writeBytes(guestPhysical(at), b);
}

const SOURCE = `
  bits 64
  org 0x1000
main:
  nop
  mov eax, 1
  hlt
handler:
  mov r8, rsp
  hlt
`;

/** A 64-bit paged CPU at CPL 0 with every IDT vector pointing at `handler` (interrupt gates). */
function machine(): Cpu {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x200000);
  const prog = assemble(SOURCE, { bits: 64, org: 0x1000 });
  memory.writeBytes(guestPhysical(0x1000), prog.bytes);
  const handler = Number(prog.symbols.get('handler'));
  put64(memory, 0x800, 0, 0);
  put64(memory, 0x808, 0x0000ffff, 0x00af9a00);
  put64(memory, 0x810, 0x0000ffff, 0x00cf9200);
  put64(memory, 0x2000, 0x3003);
  put64(memory, 0x3000, 0x4003);
  put64(memory, 0x4000, 0x83);
  for (let vector = 0; vector < 256; vector++) {
    put64(memory, 0x5000 + vector * 16, (handler & 0xffff) | (0x08 << 16), (handler & 0xffff0000) | 0x8e00);
    put64(memory, 0x5000 + vector * 16 + 8, 0, 0);
  }
  const cpu = new Cpu({ memory });
  const s = cpu.state;
  s.cr0 = 0x80000011;
  s.cr4 = 0x20;
  s.cr3Lo = 0x2000;
  s.efer = 0x500;
  s.gdtrBaseLo = 0x800;
  s.gdtrLimit = 0x17;
  s.idtrBaseLo = 0x5000;
  s.idtrLimit = 0xfff;
  cpu.setSegmentRaw(SEG_CS, 0x08, 0, 0xffffffff, 0xa09b);
  for (const seg of [SEG_SS, SEG_DS, SEG_ES]) cpu.setSegmentRaw(seg, 0x10, 0, 0xffffffff, 0xc093);
  cpu.stateChanged();
  cpu.setReg('rip', 0x1000);
  cpu.setReg('rsp', 0x8000);
  cpu.setReg('rflags', 0x202);
  return cpu;
}

/** The interrupt frame the handler saw: [error code?], RIP, CS, RFLAGS, RSP, SS. */
function frame(cpu: Cpu, words: number): number[] {
  const bytes = new Uint8Array(words * 8);
  cpu.readLinear(cpu.getReg('r8'), 0, bytes);
  const v = new DataView(bytes.buffer);
  return Array.from({ length: words }, (_, i) => v.getUint32(i * 8, true));
}

describe('injectEvent (VM-entry event injection, SDM 3C 27.6)', () => {
  it('delivers an external interrupt before the first instruction, returning to it', () => {
    const cpu = machine();
    cpu.injectEvent(0x20, 0, -1, 0);
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.Halt);
    expect(cpu.getReg('r8')).toBe(0x8000 - 5 * 8);
    expect(frame(cpu, 5)).toEqual([0x1000, 0x08, 0x202, 0x8000, 0x10]);
    expect(cpu.getReg('rflags') & 0x200).toBe(0); // through an interrupt gate
    expect(cpu.getReg('eax')).toBe(0); // the guest's first instruction did not run
  });

  it('pushes the error code of an injected hardware exception (#GP)', () => {
    const cpu = machine();
    cpu.injectEvent(13, 3, 0x1234, 0);
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.Halt);
    expect(cpu.getReg('r8')).toBe(0x8000 - 6 * 8);
    expect(frame(cpu, 3)).toEqual([0x1234, 0x1000, 0x08]);
  });

  it('returns past the instruction for software exceptions (RIP + instruction length)', () => {
    const cpu = machine();
    cpu.injectEvent(3, 6, -1, 1);
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.Halt);
    expect(frame(cpu, 1)).toEqual([0x1001]);
  });

  it('does not consult the exception bitmap for the injected event itself', () => {
    const cpu = machine();
    const asked: number[] = [];
    cpu.interception = {
      exception: (vector: number) => {
        asked.push(vector);
        return true;
      },
      hlt: () => false,
      windowsArmed: false,
    } as unknown as VmxInterception;
    cpu.injectEvent(13, 3, 0, 0);
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.Halt);
    expect(asked).toEqual([]);
    expect(frame(cpu, 2)).toEqual([0, 0x1000]);
  });
});
