import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { StopReason } from '../interpreter/contracts.ts';
import { Cpu } from '../interpreter/cpu.ts';
import type { VmxInterception } from './interception.ts';

/** An interception that exits on the events named in `exits` and records every consultation. */
function recorder(exits: Set<string>): { interception: VmxInterception; calls: string[] } {
  const calls: string[] = [];
  const on = (name: string) => {
    calls.push(name);
    return exits.has(name);
  };
  const interception: VmxInterception = {
    cpuid: () => on('cpuid'),
    unconditional: () => on('unconditional'),
    vmxInstruction: () => on('vmx'),
    hlt: () => on('hlt'),
    invlpg: () => on('invlpg'),
    invpcid: () => on('invpcid'),
    rdpmc: () => on('rdpmc'),
    rdtsc: () => on('rdtsc'),
    guestTsc: (lo, hi, out) => {
      out[0] = lo + 1000;
      out[1] = hi;
    },
    rdmsr: () => on('rdmsr'),
    wrmsr: () => on('wrmsr'),
    movToCr: () => on('movToCr'),
    movFromCr: () => on('movFromCr'),
    readShadowedCr: (_cr, actual) => actual,
    movDr: () => on('movDr'),
    io: () => on('io'),
    conditional: () => on('conditional'),
    exception: () => on('exception'),
    tripleFault: () => on('tripleFault'),
    externalInterrupt: () => on('externalInterrupt'),
    nmi: () => on('nmi'),
    window: () => false,
    windowsArmed: false,
    timer: () => false,
    ept: () => on('ept'),
    taskSwitch: () => on('taskSwitch'),
  };
  return { interception, calls };
}

function cpuWith(source: string): Cpu {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x100000);
  memory.writeBytes(guestPhysical(0x1000), assemble(source, { bits: 64, org: 0x1000 }).bytes);
  const cpu = new Cpu({ memory });
  cpu.setMode('long64');
  cpu.setReg('rip', 0x1000);
  cpu.setReg('rsp', 0x8000);
  return cpu;
}

describe('VMX interception', () => {
  it('stops with VmExit before CPUID executes when the interception exits', () => {
    const cpu = cpuWith('bits 64\n mov eax, 0\n cpuid\n hlt');
    const r = recorder(new Set(['cpuid']));
    cpu.interception = r.interception;
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.VmExit);
    expect(r.calls).toEqual(['cpuid']);
    expect(cpu.getReg('rip')).toBe(0x1005); // still on the CPUID
  });

  it('executes normally when the interception declines, and TSC reads go through guestTsc', () => {
    const cpu = cpuWith('bits 64\n cpuid\n rdtsc\n out 0x80, al\n hlt');
    const r = recorder(new Set(['hlt']));
    cpu.interception = r.interception;
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.VmExit);
    expect(r.calls).toEqual(['cpuid', 'rdtsc', 'io', 'hlt']);
    expect(cpu.getReg('eax')).toBeGreaterThanOrEqual(1000);
  });

  it('consults exception() before delivering a fault, and costs nothing when null', () => {
    const cpu = cpuWith('bits 64\n xor ecx, ecx\n div ecx\n hlt');
    const r = recorder(new Set(['exception']));
    cpu.interception = r.interception;
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.VmExit);
    expect(r.calls).toEqual(['exception']);
    const plain = cpuWith('bits 64\n cpuid\n hlt');
    expect(plain.interception).toBeNull();
    expect(plain.run({ maxInstructions: 10 })).toBe(StopReason.Halt);
  });
});

describe('VMX interception: optional members', () => {
  it('falls back to conditional(Pause) without pause(), and passes CPL and the TSC to pause()', () => {
    const cpu = cpuWith('bits 64\n nop\n pause\n hlt');
    const r = recorder(new Set(['conditional']));
    cpu.interception = r.interception;
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.VmExit);
    expect(r.calls).toEqual(['conditional']);
    const seen: number[][] = [];
    const withPause = cpuWith('bits 64\n nop\n pause\n hlt');
    withPause.interception = {
      ...recorder(new Set()).interception,
      pause: (cpl, tsc, length) => {
        seen.push([cpl, tsc, length]);
        return true;
      },
    };
    expect(withPause.run({ maxInstructions: 10 })).toBe(StopReason.VmExit);
    expect(seen).toEqual([[0, 1, 2]]); // the NOP retired: TSC 1
    expect(withPause.getReg('rip')).toBe(0x1001);
  });

  it.each<[string, string, number]>([
    ['RDTSCP', 'rdtscp', 0],
    ['RDPID', 'rdpid rax', 1],
    ['INVPCID', 'invpcid rax, [rbx]', 2],
  ])('raises #UD for %s when instructionEnabled() says no, before consulting anything else', (_name, source, kind) => {
    const cpu = cpuWith(`bits 64\n ${source}\n hlt`);
    const r = recorder(new Set(['exception']));
    const asked: number[] = [];
    cpu.interception = {
      ...r.interception,
      exception: (vector) => {
        r.calls.push(`exception ${vector}`);
        return true;
      },
      instructionEnabled: (k) => {
        asked.push(k);
        return false;
      },
    };
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.VmExit);
    expect(asked).toEqual([kind]);
    expect(r.calls).toEqual(['exception 6']);
  });

  it('runs VMFUNC through vmfunc(): #UD, an exit, or done (RIP advanced, EAX/ECX passed)', () => {
    const results = [2, 1, 0];
    const seen: number[][] = [];
    for (const result of results) {
      const cpu = cpuWith('bits 64\n mov eax, 0\n mov ecx, 3\n vmfunc\n hlt');
      const r = recorder(new Set(['exception']));
      cpu.interception = {
        ...r.interception,
        vmfunc: (eax, ecx, length) => {
          seen.push([eax, ecx, length]);
          return result;
        },
      };
      const stop = cpu.run({ maxInstructions: 10 });
      if (result === 2) expect([stop, r.calls]).toEqual([StopReason.VmExit, ['exception']]); // #UD
      if (result === 1) expect([stop, cpu.getReg('rip')]).toEqual([StopReason.VmExit, 0x100a]);
      if (result === 0) expect([stop, r.calls, cpu.getReg('rip')]).toEqual([StopReason.Halt, ['hlt'], 0x100e]);
    }
    expect(seen).toEqual([
      [0, 3, 3],
      [0, 3, 3],
      [0, 3, 3],
    ]);
  });

  it('without vmfunc(), VMFUNC goes to vmxInstruction()', () => {
    const cpu = cpuWith('bits 64\n vmfunc\n hlt');
    const r = recorder(new Set(['vmx']));
    cpu.interception = r.interception;
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.VmExit);
    expect(r.calls).toEqual(['vmx']);
  });

  it('holds and hands over debug traps through pendingDebugTraps (B0-B3 and BS only)', () => {
    const cpu = cpuWith('bits 64\n hlt');
    cpu.pendingDebugTraps = 0xffffffff;
    expect(cpu.pendingDebugTraps).toBe(0x400f);
  });
});

describe('decode cache', () => {
  it('sees a store into the code it is running (self-modifying code)', () => {
    // The store rewrites the immediate of the next-but-one instruction, on the same page.
    const cpu = cpuWith(`
      bits 64
      mov byte [rel target + 1], 42
      nop
    target:
      mov al, 7
      hlt
    `);
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.Halt);
    expect(cpu.getReg('al')).toBe(42);
  });

  it('re-decodes a loop body after it was patched between iterations', () => {
    const cpu = cpuWith(`
      bits 64
      mov ecx, 3
      xor ebx, ebx
    again:
      add ebx, 1
      mov byte [rel again + 2], 10   ; add ebx, 1 -> add ebx, 10
      dec ecx
      jnz again
      hlt
    `);
    expect(cpu.run({ maxInstructions: 100 })).toBe(StopReason.Halt);
    expect(cpu.getReg('ebx')).toBe(21);
  });
});
