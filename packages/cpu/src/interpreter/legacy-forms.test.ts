import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { StopReason } from './contracts.ts';
import { Cpu, type CpuMode } from './cpu.ts';

const ZF = 0x40;
const AC = 1 << 18;

/** Runs `source` (ending in HLT) in a flat mode at `cpl` with exceptions stopping the run; returns the vector or -1. */
function run(source: string, mode: CpuMode, setup: (cpu: Cpu) => void = () => {}, cpl = 0): [Cpu, number] {
  const bits = mode === 'long64' ? 64 : 32;
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x100000);
  memory.writeBytes(guestPhysical(0x1000), assemble(`bits ${bits}\n${source}\nhlt`, { bits, org: 0x1000 }).bytes);
  const cpu = new Cpu({ memory, exceptions: 'stop' });
  cpu.setMode(mode, cpl);
  cpu.setReg('rip', 0x1000);
  cpu.setReg('rsp', 0x8000);
  setup(cpu);
  const stop = cpu.run({ maxInstructions: 50 });
  return [cpu, stop === StopReason.Exception ? cpu.exceptionVector : -1];
}

function poke32(cpu: Cpu, at: number, ...values: number[]): void {
  const b = new Uint8Array(values.length * 4);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => {
    dv.setUint32(i * 4, v >>> 0, true);
  });
  cpu.memory.writeBytes(guestPhysical(at), b);
}

describe('BOUND', () => {
  it.each([
    ['inside the bounds', 5, -1],
    ['on the lower bound', -3, -1],
    ['on the upper bound', 100, -1],
    ['below the lower bound (signed)', -4, 5],
    ['above the upper bound', 101, 5],
  ])('raises #BR only for an index outside [lower, upper]: %s', (_n, index, vector) => {
    const [cpu, v] = run('mov eax, 0x2000\nbound ecx, [eax]', 'protected32', (c) => {
      poke32(c, 0x2000, -3, 100);
      c.setReg('ecx', index >>> 0);
    });
    expect(v).toBe(vector);
    // #BR is a fault: EIP stays on the BOUND instruction.
    if (vector === 5) expect(cpu.getReg('eip')).toBe(0x1005);
  });

  it('compares 16-bit bounds as signed words with a 66h prefix', () => {
    const [, v] = run('mov eax, 0x2000\nbound cx, [eax]', 'protected32', (c) => {
      poke32(c, 0x2000, 0x0010fff0); // lower = -16, upper = 16
      c.setReg('ecx', 0xffff); // -1
    });
    expect(v).toBe(-1);
  });
});

describe('PUSHA/POPA', () => {
  it('pushes the original ESP and POPA skips it', () => {
    const [cpu, v] = run(
      'pushad\nmov eax, 0\nmov ebx, 0\nmov esp, 0x1234\nadd esp, 0\nlea esp, [esp]\nmov esp, 0x7fe0\npopad',
      'protected32',
      (c) => {
        c.setReg('eax', 1);
        c.setReg('ebx', 2);
      },
    );
    expect(v).toBe(-1);
    expect(cpu.getReg('eax')).toBe(1);
    expect(cpu.getReg('ebx')).toBe(2);
    expect(cpu.getReg('esp')).toBe(0x8000);
    const slot = new Uint8Array(4);
    cpu.memory.readBytes(guestPhysical(0x8000 - 20), slot); // the fifth slot: EAX ECX EDX EBX ESP
    expect(new DataView(slot.buffer).getUint32(0, true)).toBe(0x8000);
  });

  it('leaves ESP unchanged when a push faults half-way', () => {
    // An expand-down stack segment whose limit 7FF0H admits the first three pushes only (SDM 3A 5.3).
    const [cpu, v] = run('pushad', 'protected32', (c) => c.setSegmentRaw(2, 0x10, 0, 0x7ff0, 0x4097));
    expect(v).toBe(12);
    expect(cpu.getReg('esp')).toBe(0x8000);
  });
});

describe('16-bit address size', () => {
  it.each([
    ['LOOP counts in CX', 'db 0x67\nloop next\nnext:', 0x00010002, 0x00010001],
    ['REP STOSB counts CX down to 0', 'db 0x67, 0xf3, 0xaa', 0x00010003, 0x00010000],
  ])('%s (not DX)', (_n, source, ecx, after) => {
    const [cpu, v] = run(source, 'protected32', (c) => {
      c.setReg('ecx', ecx);
      c.setReg('edx', 0x5555);
      c.setReg('edi', 0x2000);
    });
    expect(v).toBe(-1);
    expect(cpu.getReg('ecx')).toBe(after);
    expect(cpu.getReg('edx')).toBe(0x5555);
  });

  it('XLAT adds AL to BX', () => {
    const [cpu] = run('db 0x67, 0xd7', 'protected32', (c) => {
      c.setReg('ebx', 0xffff2000);
      c.setReg('eax', 3);
      c.memory.writeBytes(guestPhysical(0x2003), Uint8Array.of(0x77));
    });
    expect(cpu.getReg('eax')).toBe(0x77);
  });
});

describe('ENTER with a nesting level', () => {
  it('copies level-1 frame pointers from the old frame, then pushes the new frame pointer (SDM 2 "ENTER")', () => {
    const [cpu, v] = run('enter 8, 2', 'protected32', (c) => {
      c.setReg('ebp', 0x9000);
      poke32(c, 0x9000 - 4, 0x11223344);
    });
    expect(v).toBe(-1);
    const stack = new Uint8Array(12);
    cpu.memory.readBytes(guestPhysical(0x7ff4), stack);
    const dv = new DataView(stack.buffer);
    // 7FF4: the frame temporary, 7FF8: the copied [EBP-4], 7FFC: the old EBP.
    expect([dv.getUint32(0, true), dv.getUint32(4, true), dv.getUint32(8, true)]).toEqual([0x7ffc, 0x11223344, 0x9000]);
    expect(cpu.getReg('ebp')).toBe(0x7ffc);
    expect(cpu.getReg('esp')).toBe(0x7fec);
  });
});

describe('CLAC/STAC', () => {
  it('clears and sets EFLAGS.AC at CPL 0', () => {
    const [cpu, v] = run('stac', 'long64');
    expect(v).toBe(-1);
    expect(cpu.getReg('rflags') & AC).toBe(AC);
    const [cpu2] = run('stac\nclac', 'long64');
    expect(cpu2.getReg('rflags') & AC).toBe(0);
  });

  it('raises #UD at CPL 3', () => {
    expect(run('clac', 'long64', () => {}, 3)[1]).toBe(6);
  });
});

describe('INVPCID', () => {
  const desc = (c: Cpu, pcid: number, addrLo = 0, addrHi = 0) => poke32(c, 0x2000, pcid, 0, addrLo, addrHi);
  it.each([
    ['type 2 (all contexts)', 2, 0, 0, -1],
    ['type 3 (all but globals)', 3, 0, 0, -1],
    ['type 0 with a canonical address', 0, 0, 0, -1],
    ['a type above 3', 4, 0, 0, 13],
    ['type 1 with a PCID while CR4.PCIDE = 0', 1, 5, 0, 13],
    ['type 0 with a non-canonical address', 0, 0, 0x00800000, 13],
  ])('%s', (_n, type, pcid, addrHi, vector) => {
    const [, v] = run('invpcid rax, [rbx]', 'long64', (c) => {
      desc(c, pcid, 0x1000, addrHi);
      c.setReg('rax', type);
      c.setReg('rbx', 0x2000);
    });
    expect(v).toBe(vector);
  });

  it('raises #GP(0) at CPL 3', () => {
    expect(run('invpcid rax, [rbx]', 'long64', (c) => c.setReg('rbx', 0x2000), 3)[1]).toBe(13);
  });
});

describe('RDPID', () => {
  it('reads IA32_TSC_AUX', () => {
    const [cpu, v] = run('rdpid rax', 'long64', (c) => c.writeMsrValue(0xc0000103, 0x42, 0));
    expect(v).toBe(-1);
    expect(cpu.getReg('rax')).toBe(0x42);
  });
});

/** Runs 16-bit `source` (ending in HLT) in real mode; returns the CPU and the vector or -1. */
function runReal(source: string, setup: (cpu: Cpu) => void = () => {}): [Cpu, number] {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x100000);
  memory.writeBytes(guestPhysical(0x1000), assemble(`bits 16\n${source}\nhlt`, { bits: 16, org: 0x1000 }).bytes);
  const cpu = new Cpu({ memory, exceptions: 'stop' });
  cpu.setMode('real');
  cpu.setReg('rip', 0x1000);
  cpu.setReg('rsp', 0x8000);
  setup(cpu);
  const stop = cpu.run({ maxInstructions: 20 });
  return [cpu, stop === StopReason.Exception ? cpu.exceptionVector : -1];
}

describe('real mode', () => {
  it.each(['lar ax, bx', 'lsl ax, bx', 'verr bx', 'verw bx', 'arpl bx, ax'])(
    '%s raises #UD (protected mode only)',
    (source) => {
      expect(runReal(source)[1]).toBe(6);
    },
  );

  it('LDS loads DS with base selector * 16 and no descriptor checks', () => {
    const [cpu, v] = runReal('lds si, [0x2000]', (c) => poke32(c, 0x2000, 0x12345678));
    expect(v).toBe(-1);
    expect(cpu.getReg('si')).toBe(0x5678);
    expect(cpu.getReg('ds')).toBe(0x1234);
    expect(cpu.state.segBaseLo[3]).toBe(0x12340);
  });

  it('DAA and AAM behave as in every other mode', () => {
    const [cpu] = runReal('mov al, 0x79\nadd al, 0x35\ndaa\nmov bl, al\nmov al, 63\naam 10');
    expect(cpu.getReg('bl')).toBe(0x14);
    expect(cpu.getReg('ax')).toBe(0x0603);
  });
});

describe('LAR/LSL/VERR/VERW outside protected mode', () => {
  it('VERR reports ZF=0 for the null selector', () => {
    const [cpu, v] = run('verr ax', 'protected32', (c) => {
      c.setReg('eax', 0);
      c.setReg('rflags', 0x2 | ZF);
    });
    expect(v).toBe(-1);
    expect(cpu.getReg('rflags') & ZF).toBe(0);
  });
});
