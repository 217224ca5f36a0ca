import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import type { VmxInterception } from '../vmx/interception.ts';
import { StopReason } from './contracts.ts';
import { Cpu } from './cpu.ts';
import { CpuidModel } from './cpuid-model.ts';

const CF = 1;

function cpuWith(source: string, cpl = 0, cpuid?: CpuidModel): Cpu {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x100000);
  memory.writeBytes(guestPhysical(0x1000), assemble(`bits 64\n${source}\nhlt`, { bits: 64, org: 0x1000 }).bytes);
  const cpu = new Cpu({ memory, exceptions: 'stop', ...(cpuid === undefined ? {} : { cpuid }) });
  cpu.setMode('long64', cpl);
  cpu.setReg('rip', 0x1000);
  cpu.setReg('rsp', 0x8000);
  return cpu;
}

/** Runs until HLT (CPL 0) or a fault; returns the fault vector or -1. */
function runToEnd(cpu: Cpu): number {
  const stop = cpu.run({ maxInstructions: 20 });
  if (stop === StopReason.Exception) return cpu.exceptionVector;
  expect(stop).toBe(StopReason.Halt);
  return -1;
}

/** An interception that exits on every consultation and records which method was asked, with its arguments. */
function exitingInterception(calls: unknown[][]): VmxInterception {
  const on =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push([name, ...args]);
      return true;
    };
  return {
    cpuid: on('cpuid'),
    unconditional: on('unconditional'),
    vmxInstruction: on('vmx'),
    hlt: on('hlt'),
    invlpg: on('invlpg'),
    invpcid: on('invpcid'),
    rdpmc: on('rdpmc'),
    rdtsc: on('rdtsc'),
    guestTsc: () => {},
    rdmsr: on('rdmsr'),
    wrmsr: on('wrmsr'),
    movToCr: on('movToCr'),
    movFromCr: on('movFromCr'),
    readShadowedCr: (_cr, actual) => actual,
    movDr: on('movDr'),
    io: on('io'),
    conditional: on('conditional'),
    exception: on('exception'),
    tripleFault: on('tripleFault'),
    externalInterrupt: on('externalInterrupt'),
    nmi: on('nmi'),
    window: () => false,
    windowsArmed: false,
    timer: () => false,
    ept: on('ept'),
    taskSwitch: on('taskSwitch'),
  };
}

describe('instructions routed through VmxInterception', () => {
  // [source, the consultation with its arguments (kind / access, then the instruction length)]
  it.each([
    ['invd', ['unconditional', 1, 2]],
    ['xsetbv', ['unconditional', 2, 3]],
    ['wbinvd', ['conditional', 3, 2]],
    // RDRAND/RDSEED also pass their operands (destination register, operand size) for the instruction information.
    ['rdrand eax', ['conditional', 4, 3, expect.objectContaining({ rmRegister: 0, operandSize: 4, isMemory: false })]],
    ['rdseed rax', ['conditional', 5, 4, expect.objectContaining({ rmRegister: 0, operandSize: 8, isMemory: false })]],
    ['monitor', ['conditional', 0, 3]],
    ['mwait', ['conditional', 1, 3]],
    ['rdpmc', ['rdpmc', 2]],
    ['clts', ['movToCr', 0, 2, 0, 0, -1, 2]],
  ] as const)('%s asks the interception and, when it exits, has no side effect', (source, call) => {
    const cpu = cpuWith(source);
    cpu.setReg('cr4', cpu.getReg('cr4') | (1 << 18)); // OSXSAVE, for XSETBV
    cpu.setReg('cr0', cpu.getReg('cr0') | 8); // TS, for CLTS
    cpu.stateChanged();
    const calls: unknown[][] = [];
    cpu.interception = exitingInterception(calls);
    expect(cpu.run({ maxInstructions: 5 })).toBe(StopReason.VmExit);
    expect(calls).toEqual([call]);
    expect(cpu.getReg('rip')).toBe(0x1000);
    expect(cpu.getReg('cr0') & 8).toBe(8);
  });
});

describe('RDRAND and RDSEED', () => {
  it('set CF=1, clear the other status flags and return a deterministic sequence', () => {
    const source = 'mov eax, 0x8d5\npush rax\npopfq\nrdrand rax\nrdrand ebx\nrdseed cx';
    const a = cpuWith(source);
    const b = cpuWith(source);
    expect(runToEnd(a)).toBe(-1);
    expect(runToEnd(b)).toBe(-1);
    expect(a.getReg('rflags') & 0x8d5).toBe(CF);
    for (const r of ['rax', 'rbx', 'rcx'] as const) expect(a.getReg(r)).toBe(b.getReg(r));
    expect(a.getReg('rax')).toBeGreaterThan(0xffffffff); // the 64-bit form fills the high half
    expect(a.getReg('ebx')).not.toBe(a.getReg('eax'));
    expect(a.getReg('rcx')).toBeLessThan(0x10000);
  });

  it.each([
    ['rdrand eax', 1, 2, 30],
    ['rdseed eax', 7, 1, 18],
  ] as const)('%s raises #UD when the CPUID model does not offer it', (source, leaf, reg, bit) => {
    const model = new CpuidModel();
    const v = model.query(leaf, 0);
    const regs = [v[0]!, v[1]!, v[2]!, v[3]!];
    regs[reg] = regs[reg]! & ~(1 << bit);
    model.set(leaf, 0, regs[0]!, regs[1]!, regs[2]!, regs[3]!);
    expect(runToEnd(cpuWith(source, 0, model))).toBe(6);
  });
});

describe('XGETBV and XSETBV', () => {
  function xcr(source: string, osxsave = true, cpl = 0): Cpu {
    const cpu = cpuWith(source, cpl);
    if (osxsave) {
      cpu.setReg('cr4', cpu.getReg('cr4') | (1 << 18));
      cpu.stateChanged();
    }
    return cpu;
  }

  it('writes XCR0 and reads it back', () => {
    const cpu = xcr('xor ecx, ecx\nxor edx, edx\nmov eax, 3\nxsetbv\nxor eax, eax\nxgetbv');
    expect(runToEnd(cpu)).toBe(-1);
    expect(cpu.getReg('rax')).toBe(3);
    expect(cpu.getReg('rdx')).toBe(0);
  });

  it.each([
    ['x87 bit clear', 'xor ecx, ecx\nxor edx, edx\nmov eax, 2\nxsetbv'],
    ['AVX without SSE', 'xor ecx, ecx\nxor edx, edx\nmov eax, 5\nxsetbv'],
    ['an unsupported component', 'xor ecx, ecx\nxor edx, edx\nmov eax, 7\nxsetbv'],
    ['a high half', 'xor ecx, ecx\nmov edx, 1\nmov eax, 1\nxsetbv'],
    ['XCR1 on XSETBV', 'mov ecx, 1\nxor edx, edx\nmov eax, 1\nxsetbv'],
    ['XCR1 on XGETBV', 'mov ecx, 1\nxgetbv'],
  ])('raise #GP(0) for %s', (_name, source) => {
    const cpu = xcr(source);
    expect(runToEnd(cpu)).toBe(13);
    expect(cpu.exceptionErrorCode).toBe(0);
  });

  it('raise #UD with CR4.OSXSAVE=0 and XSETBV raises #GP(0) at CPL 3', () => {
    expect(runToEnd(xcr('xgetbv', false))).toBe(6);
    expect(runToEnd(xcr('xsetbv', false))).toBe(6);
    expect(runToEnd(xcr('xor ecx, ecx\nxgetbv\nxsetbv', true, 3))).toBe(13);
  });
});

describe('cache, monitor and counter instructions', () => {
  it.each(['invd', 'wbinvd', 'clts', 'rdpmc'])('%s raises #GP(0) at CPL 3', (source) => {
    expect(runToEnd(cpuWith(source, 3))).toBe(13);
  });

  it.each(['monitor', 'mwait'])('%s raises #UD at CPL 3', (source) => {
    expect(runToEnd(cpuWith(source, 3))).toBe(6);
  });

  it('INVD, WBINVD, MONITOR and MWAIT complete as no-ops at CPL 0; CLTS clears CR0.TS', () => {
    const cpu = cpuWith('xor ecx, ecx\ninvd\nwbinvd\nmonitor\nmwait\nclts');
    cpu.setReg('cr0', cpu.getReg('cr0') | 8);
    cpu.stateChanged();
    expect(runToEnd(cpu)).toBe(-1);
    expect(cpu.getReg('cr0') & 8).toBe(0);
  });

  it.each([
    ['owned by the guest', false, 0],
    ['owned by the host (mask bit set, shadow 0)', true, 8],
  ] as const)('CLTS in VMX non-root with CR0.TS %s leaves CR0.TS = %s', (_name, hostOwned, ts) => {
    const cpu = cpuWith('clts');
    cpu.setReg('cr0', cpu.getReg('cr0') | 8);
    cpu.stateChanged();
    const calls: unknown[][] = [];
    cpu.interception = {
      ...exitingInterception(calls),
      movToCr: () => false,
      hlt: () => false,
      readShadowedCr: (_cr: number, actual: number) => (hostOwned ? actual & ~8 : actual),
    };
    expect(cpu.run({ maxInstructions: 5 })).toBe(StopReason.Halt);
    expect(cpu.getReg('cr0') & 8).toBe(ts);
  });

  it('MONITOR/MWAIT raise #GP(0) for extensions in ECX and #UD when CPUID does not offer MONITOR', () => {
    expect(runToEnd(cpuWith('mov ecx, 1\nmwait'))).toBe(13);
    const model = new CpuidModel();
    const v = model.query(1, 0);
    model.set(1, 0, v[0]!, v[1]!, v[2]! & ~8, v[3]!);
    expect(runToEnd(cpuWith('monitor', 0, model))).toBe(6);
  });

  it('RDPMC raises #GP(0) at CPL 0: no performance counters are modelled', () => {
    expect(runToEnd(cpuWith('xor ecx, ecx\nrdpmc'))).toBe(13);
  });
});
