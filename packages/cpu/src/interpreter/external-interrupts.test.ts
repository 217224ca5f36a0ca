import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { SEG_CS } from '../state/cpu-state.ts';
import { type InterruptController, StopReason } from './contracts.ts';
import { Cpu } from './cpu.ts';

function put64(memory: PhysicalMemory, at: number, lo: number, hi = 0): void {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, lo >>> 0, true);
  v.setUint32(4, hi >>> 0, true);
  memory.writeBytes(guestPhysical(at), b);
}

/** A one-line interrupt controller: `pending` vectors, acknowledged in order. */
class FakePic implements InterruptController {
  readonly pending: number[] = [];
  acknowledged = 0;
  hasInterrupt(): boolean {
    return this.pending.length > 0;
  }
  acknowledge(): number {
    this.acknowledged++;
    return this.pending.shift()!;
  }
}

function machine(source: string, pic: FakePic): { cpu: Cpu; sym: (n: string) => number } {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x100000);
  const prog = assemble(source, { bits: 64, org: 0x1000 });
  memory.writeBytes(guestPhysical(0x1000), prog.bytes);
  const sym = (n: string) => Number(prog.symbols.get(n));
  put64(memory, 0x800, 0, 0);
  put64(memory, 0x808, 0x0000ffff, 0x00af9a00); // 64-bit code
  put64(memory, 0x810, 0x0000ffff, 0x00cf9200); // data: IRETQ reloads SS = 0x10 (setMode's selector)
  const handler = sym('handler');
  put64(memory, 0x5000 + 0x20 * 16, (handler & 0xffff) | (0x08 << 16), (handler & 0xffff0000) | 0x8e00);
  const cpu = new Cpu({ memory, interrupts: pic });
  cpu.setMode('long64');
  cpu.setSegmentRaw(SEG_CS, 0x08, 0, 0xffffffff, 0xa09b);
  cpu.state.gdtrBaseLo = 0x800;
  cpu.state.gdtrLimit = 0x17;
  cpu.state.idtrBaseLo = 0x5000;
  cpu.state.idtrLimit = 0xfff;
  cpu.setReg('rip', 0x1000);
  cpu.setReg('rsp', 0x8000);
  return { cpu, sym };
}

describe('external interrupts through the InterruptController contract', () => {
  it('stops at HLT with nothing pending, then wakes, acknowledges once and delivers through the IDT', () => {
    const pic = new FakePic();
    const { cpu } = machine(
      `bits 64
       sti
       hlt
       hlt
     handler:
       inc ebx
       iretq`,
      pic,
    );
    const seen: string[] = [];
    cpu.hooks.interrupt = (c, v, e) => {
      seen.push(`${v}/${e} at ${c.getReg('rip').toString(16)}`);
      return false;
    };
    const first = cpu.run({ maxInstructions: 100 });
    expect(seen).toEqual([]);
    expect(first).toBe(StopReason.Halt);
    expect(cpu.halted).toBe(true);
    expect(cpu.run({ maxInstructions: 100 })).toBe(StopReason.Halt); // still nothing pending
    pic.pending.push(0x20);
    expect(cpu.run({ maxInstructions: 100 })).toBe(StopReason.Halt);
    expect(seen).toEqual(['32/-1 at 1002']);
    expect(pic.acknowledged).toBe(1);
    expect(cpu.getReg('ebx')).toBe(1);
  });

  it('holds an interrupt off for one instruction after STI (the interrupt shadow)', () => {
    const pic = new FakePic();
    pic.pending.push(0x20);
    const { cpu } = machine(
      `bits 64
       sti
       mov eax, 1
       mov eax, 2
       hlt
     handler:
       mov ecx, eax
       iretq`,
      pic,
    );
    expect(cpu.run({ maxInstructions: 100 })).toBe(StopReason.Halt);
    expect(cpu.getReg('ecx')).toBe(1);
    expect(cpu.getReg('eax')).toBe(2);
  });

  it('does not deliver while IF=0', () => {
    const pic = new FakePic();
    pic.pending.push(0x20);
    const { cpu } = machine(
      `bits 64
       cli
       mov eax, 3
       hlt
     handler:
       mov ecx, 9
       iretq`,
      pic,
    );
    cpu.run({ maxInstructions: 100 });
    expect(pic.acknowledged).toBe(0);
    expect(cpu.getReg('ecx')).toBe(0);
  });
});
