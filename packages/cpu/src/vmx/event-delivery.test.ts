// Event-delivery details the VMX model relies on, pinned outside VMX: CR2 and DR6/DR7.GD are
// written when the #PF/#DB is delivered (so a VM exit can leave them alone), a delivery that
// faults is rolled back to the state before the event, and the MSR hook.
import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { StopReason } from '../interpreter/contracts.ts';
import { Cpu } from '../interpreter/cpu.ts';

const CODE = 0x1000;
const HANDLER = 0x3000;
const GDT = 0x20000;
const IDT = 0x21000;
const PML4 = 0x10000;
const STACK = 0x8000;

/** A 64-bit CPU with paging (2 MiB identity page), a GDT, and every IDT gate going to HANDLER. */
function pagedCpu(source: string): { cpu: Cpu; memory: PhysicalMemory } {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x200000);
  memory.writeBytes(guestPhysical(CODE), assemble(`bits 64\n${source}`, { org: CODE }).bytes);
  memory.writeBytes(guestPhysical(HANDLER), assemble('bits 64\nmov r8, rsp\nhlt', { org: HANDLER }).bytes);
  memory.write32(guestPhysical(PML4), (PML4 + 0x1000) | 3);
  memory.write32(guestPhysical(PML4 + 0x1000), (PML4 + 0x2000) | 3);
  memory.write32(guestPhysical(PML4 + 0x2000), 0x83);
  memory.write32(guestPhysical(GDT + 8), 0x0000ffff);
  memory.write32(guestPhysical(GDT + 12), 0x00af9a00);
  memory.write32(guestPhysical(GDT + 16), 0x0000ffff);
  memory.write32(guestPhysical(GDT + 20), 0x00cf9200);
  for (let v = 0; v < 256; v++) {
    memory.write32(guestPhysical(IDT + 16 * v), HANDLER | (0x08 << 16));
    memory.write32(guestPhysical(IDT + 16 * v + 4), 0x8e00);
  }
  const cpu = new Cpu({ memory });
  cpu.setMode('long64');
  const s = cpu.state;
  s.cr3Lo = PML4;
  s.cr4 |= 0x20; // PAE
  s.cr0 = (s.cr0 | 0x80000000) >>> 0;
  s.gdtrBaseLo = GDT;
  s.gdtrLimit = 0x17;
  s.idtrBaseLo = IDT;
  s.idtrLimit = 0xfff;
  cpu.stateChanged();
  cpu.setReg('rip', CODE);
  cpu.setReg('rsp', STACK);
  return { cpu, memory };
}

const frame = (cpu: Cpu, memory: PhysicalMemory, i: number) => memory.read32(guestPhysical(cpu.getReg('r8') + 8 * i));

describe('event delivery', () => {
  it('writes CR2 when it delivers a #PF (and pushes the error code)', () => {
    const { cpu, memory } = pagedCpu('mov rbx, 0x40000010\nmov eax, [rbx]');
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.Halt);
    expect(cpu.getReg('cr2')).toBe(0x40000010);
    expect([frame(cpu, memory, 0), frame(cpu, memory, 1)]).toEqual([0, CODE + 7]);
  });

  it('raises #DB for MOV DR with DR7.GD set: DR6.BD set, DR7.GD cleared, RIP on the MOV (a fault)', () => {
    const { cpu, memory } = pagedCpu('nop\nmov rax, dr0');
    cpu.state.dr[14] = 0x2400;
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.Halt);
    expect(cpu.state.dr[12]! & 0x2000).toBe(0x2000);
    expect(cpu.state.dr[14]! & 0x2000).toBe(0);
    expect(frame(cpu, memory, 0)).toBe(CODE + 1);
  });

  it('rolls back a delivery that faults: INT n through a not-present gate pushes #NP with RIP on the INT', () => {
    const { cpu, memory } = pagedCpu('nop\nint 0x30');
    memory.write32(guestPhysical(IDT + 16 * 0x30 + 4), 0x0e00); // P = 0
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.Halt);
    // #NP(vector * 8 + 2: IDT, not external), then RIP, CS, RFLAGS, RSP, SS of the state before INT 0x30.
    expect([0, 1, 2, 4].map((i) => frame(cpu, memory, i))).toEqual([0x30 * 8 + 2, CODE + 1, 0x08, STACK]);
  });
});

describe('cpu.hooks.msr', () => {
  it('answers RDMSR/WRMSR for the MSRs it owns (false = #GP(0)) and falls through for the others', () => {
    const { cpu } = pagedCpu('mov ecx, 0x480\nrdmsr\nmov ebx, eax\nmov ecx, 0x174\nrdmsr\nmov ecx, 0x480\nwrmsr');
    cpu.exceptionPolicy = 'stop';
    cpu.hooks.msr = {
      read: (index, out) => {
        if (index !== 0x480) return undefined;
        out[0] = 0x1234;
        out[1] = 0;
        return true;
      },
      write: (index) => (index === 0x480 ? false : undefined),
    };
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.Exception);
    expect(cpu.getReg('ebx')).toBe(0x1234);
    expect([cpu.exceptionVector, cpu.exceptionErrorCode]).toEqual([13, 0]);
    expect(cpu.getReg('rip')).toBe(CODE + 21); // on the WRMSR: RDMSR 174H (the cpu's own) succeeded
  });
});
