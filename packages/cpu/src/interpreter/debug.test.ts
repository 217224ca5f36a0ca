import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { Cpu } from './cpu.ts';
import { DR6_BS, dataBreakpointHits } from './debug.ts';

const TF = 0x100;
const RF = 0x10000;

interface Db {
  rip: number;
  dr6: number;
}

/** A 64-bit CPU at CPL 0 running `source` at 0x1000; #DBs are recorded by the interrupt hook (no IDT). */
function setup(source: string, opts: { compile?: boolean; resumeOnFault?: boolean; real?: boolean } = {}) {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x100000);
  const bits = opts.real ? 16 : 64;
  const prog = assemble(`bits ${bits}\norg 0x1000\n${source}`, { bits, org: 0x1000 });
  memory.writeBytes(guestPhysical(0x1000), prog.bytes);
  const cpu = new Cpu({ memory, compile: opts.compile ?? false, compileThreshold: 2 });
  cpu.setMode(opts.real ? 'real' : 'long64', 0);
  cpu.setReg('rsp', 0x8000);
  cpu.setReg('rip', 0x1000);
  const dbs: Db[] = [];
  cpu.hooks.interrupt = (c, vector) => {
    if (vector !== 1) return undefined;
    dbs.push({ rip: Number(c.getReg('rip')), dr6: c.state.dr[12]! });
    c.state.dr[12] = 0;
    // The handler resumes over an instruction breakpoint by returning with RF set.
    if (opts.resumeOnFault) c.setReg('rflags', Number(c.getReg('rflags')) | RF);
    return true;
  };
  const sym = (name: string) => Number(prog.symbols.get(name));
  return { cpu, dbs, sym };
}

/** Sets DRn = addr with R/W and LEN fields and the local enable. */
function setBreakpoint(cpu: Cpu, n: number, addr: number, rw: number, len: number, enable = true): void {
  cpu.state.dr[2 * n] = addr;
  cpu.state.dr[2 * n + 1] = 0;
  const lenBits = len === 1 ? 0 : len === 2 ? 1 : len === 4 ? 3 : 2;
  let dr7 = cpu.state.dr[14]! & ~(0xf << (16 + 4 * n)) & ~(3 << (2 * n));
  dr7 |= ((rw | (lenBits << 2)) << (16 + 4 * n)) | (enable ? 1 << (2 * n) : 0);
  cpu.state.dr[14] = dr7 >>> 0;
}

describe('single-step (RFLAGS.TF)', () => {
  it.each([1, 3, 7])('raises one #DB with DR6.BS after each of %i instructions, RIP past each', (n) => {
    const { cpu, dbs } = setup('times 10 nop\nhlt');
    cpu.setReg('rflags', 0x2 | TF);
    cpu.run({ maxInstructions: n });
    expect(dbs.map((d) => d.rip)).toEqual(Array.from({ length: n }, (_, i) => 0x1001 + i));
    expect(dbs.every((d) => (d.dr6 & DR6_BS) !== 0)).toBe(true);
  });

  it('does not trap after the POPF that sets TF, but after the next instruction', () => {
    const { cpu, dbs, sym } = setup('pushfq\nor qword [rsp], 0x100\npopfq\nnop\nafter: nop\nhlt');
    cpu.setReg('rflags', 0x2);
    cpu.run({ maxInstructions: 4 });
    expect(dbs.map((d) => d.rip)).toEqual([sym('after')]);
  });

  it('traps after the POPF that clears TF', () => {
    const { cpu, dbs, sym } = setup('pushfq\nand qword [rsp], ~0x100\npop: popfq\nafter: nop\nhlt');
    cpu.setReg('rflags', 0x2 | TF);
    cpu.run({ maxInstructions: 4 });
    expect(dbs.map((d) => d.rip)).toEqual([0x1001, sym('pop'), sym('after')]);
    expect(Number(cpu.getReg('rflags')) & TF).toBe(0);
  });

  it('holds the trap of a MOV SS back until after the next instruction', () => {
    const { cpu, dbs, sym } = setup('mov ax, ss\nmov ss, ax\nnop\nafter: nop\nhlt', { real: true });
    cpu.setReg('rflags', 0x2 | TF);
    cpu.run({ maxInstructions: 4 });
    expect(dbs.map((d) => d.rip)).toEqual([0x1002, sym('after'), sym('after') + 1]);
  });

  it('takes no single-step trap after INT n or inside its handler; the IRET restores TF (real mode)', () => {
    const { cpu, dbs, sym } = setup('int 0x40\nback: nop\nafter: nop\nhlt\nhandler: nop\niret', { real: true });
    cpu.state.dr[12] = 0;
    // IVT entry 0x40 -> 0000:handler
    cpu.writeLinear(0x100, 0, new Uint8Array([sym('handler') & 0xff, sym('handler') >> 8, 0, 0]));
    cpu.setReg('rflags', 0x2 | TF);
    cpu.run({ maxInstructions: 5 });
    expect(Number(cpu.getReg('rip'))).toBe(sym('after') + 1);
    expect(dbs.map((d) => d.rip)).toEqual([sym('after'), sym('after') + 1]);
  });
});

describe('instruction breakpoints (R/W = 00)', () => {
  it('faults before the instruction with B0, and RF lets it run once', () => {
    const { cpu, dbs, sym } = setup('mov ecx, 3\nloop: inc eax\nbp: dec ecx\njnz loop\nhlt', { resumeOnFault: true });
    setBreakpoint(cpu, 0, sym('bp'), 0, 1);
    cpu.run({ maxInstructions: 100 });
    expect(dbs.map((d) => [d.rip, d.dr6 & 0xf])).toEqual([
      [sym('bp'), 1],
      [sym('bp'), 1],
      [sym('bp'), 1],
    ]);
    expect(Number(cpu.getReg('rax'))).toBe(3);
    expect(Number(cpu.getReg('rflags')) & RF).toBe(0);
  });

  it('also fires in a hot loop with the block compiler on', () => {
    const { cpu, dbs, sym } = setup('mov ecx, 50\nloop: inc eax\nbp: dec ecx\njnz loop\nhlt', {
      resumeOnFault: true,
      compile: true,
    });
    setBreakpoint(cpu, 2, sym('bp'), 0, 1);
    cpu.run({ maxInstructions: 1000 });
    expect(dbs.length).toBe(50);
    expect([...new Set(dbs.map((d) => d.dr6 & 0xf))]).toEqual([4]);
  });

  it('does not fire while the breakpoint is disabled in DR7', () => {
    const { cpu, dbs, sym } = setup('nop\nbp: nop\nhlt');
    setBreakpoint(cpu, 0, sym('bp'), 0, 1, false);
    cpu.run({ maxInstructions: 3 });
    expect(dbs).toEqual([]);
  });
});

describe('data breakpoints', () => {
  it('traps after a store with B1 set (R/W = 01), RIP past the store', () => {
    const { cpu, dbs, sym } = setup('mov eax, [0x3000]\nst: mov [0x3000], eax\nafter: nop\nhlt');
    setBreakpoint(cpu, 1, 0x3000, 1, 4);
    cpu.run({ maxInstructions: 3 });
    expect(dbs.map((d) => [d.rip, d.dr6 & 0xf])).toEqual([[sym('after'), 2]]);
    void sym('st');
  });

  it('traps after a load too with R/W = 11', () => {
    const { cpu, dbs } = setup('mov eax, [0x3002]\nnop\nhlt');
    setBreakpoint(cpu, 3, 0x3000, 3, 4);
    cpu.run({ maxInstructions: 2 });
    expect(dbs.map((d) => d.dr6 & 0xf)).toEqual([8]);
  });

  it('sets BS and B1 in one #DB when TF and a write breakpoint meet', () => {
    const { cpu, dbs } = setup('mov [0x3000], al\nnop\nhlt');
    setBreakpoint(cpu, 1, 0x3000, 1, 1);
    cpu.setReg('rflags', 0x2 | TF);
    cpu.run({ maxInstructions: 1 });
    expect(dbs.length).toBe(1);
    expect(dbs[0]!.dr6 & (DR6_BS | 0xf)).toBe(DR6_BS | 2);
  });

  it('reports a disabled breakpoint that matched alongside the enabled one that fired', () => {
    const { cpu, dbs } = setup('mov [0x3000], eax\nhlt');
    setBreakpoint(cpu, 0, 0x3000, 1, 4);
    setBreakpoint(cpu, 1, 0x3002, 1, 1, false);
    cpu.run({ maxInstructions: 1 });
    expect(dbs.map((d) => d.dr6 & 0xf)).toEqual([3]);
  });

  // DR address 0x3000 unless given; LEN masks the low address bits (SDM 3B 17.2.5).
  it.each([
    { len: 1, at: 0x3000, size: 1, hit: true },
    { len: 1, at: 0x3001, size: 1, hit: false },
    { len: 2, at: 0x3001, size: 1, hit: true },
    { len: 2, at: 0x3002, size: 1, hit: false },
    { len: 4, at: 0x3003, size: 1, hit: true },
    { len: 4, at: 0x3004, size: 4, hit: false },
    { len: 4, at: 0x2fff, size: 2, hit: true },
    { len: 4, at: 0x2ffc, size: 4, hit: false },
    { len: 4, at: 0x3000, size: 1, hit: true, dr: 0x3002 },
    { len: 8, at: 0x3007, size: 1, hit: true },
    { len: 8, at: 0x3008, size: 1, hit: false },
    { len: 8, at: 0x2ff8, size: 8, hit: false },
    { len: 8, at: 0x2ff9, size: 8, hit: true },
  ])('LEN $len breakpoint at 0x3000 vs a $size-byte access at $at: hit $hit', ({ len, at, size, hit, dr }) => {
    const regs = new Uint32Array(16);
    regs[0] = dr ?? 0x3000;
    const lenBits = len === 1 ? 0 : len === 2 ? 1 : len === 4 ? 3 : 2;
    regs[14] = 1 | ((1 | (lenBits << 2)) << 16);
    expect(dataBreakpointHits(regs, at, 0, size, true)).toBe(hit ? 1 : 0);
    expect(dataBreakpointHits(regs, at, 0, size, false)).toBe(0); // R/W = 01 ignores reads
  });

  it('catches a 4-byte store that overlaps a 1-byte breakpoint, as an interpreted guest', () => {
    const { cpu, dbs, sym } = setup('mov dword [0x2ffe], 0\nsecond: mov dword [0x3004], 0\nhlt');
    setBreakpoint(cpu, 0, 0x3001, 1, 1);
    cpu.run({ maxInstructions: 2 });
    expect(dbs.map((d) => d.rip)).toEqual([sym('second')]);
  });
});

describe('I/O breakpoints (R/W = 10, CR4.DE)', () => {
  it.each([
    { de: true, port: 0x71, fires: true },
    { de: true, port: 0x72, fires: false },
    { de: false, port: 0x71, fires: false },
  ])('OUT to port $port with CR4.DE $de: trap $fires', ({ de, port, fires }) => {
    const { cpu, dbs, sym } = setup(`mov dx, ${port}\nout dx, al\nafter: nop\nhlt`);
    if (de) cpu.state.cr4 |= 8;
    setBreakpoint(cpu, 2, 0x70, 2, 2); // ports 0x70-0x71
    cpu.run({ maxInstructions: 3 });
    expect(dbs.map((d) => [d.rip, d.dr6 & 0xf])).toEqual(fires ? [[sym('after'), 4]] : []);
  });
});

describe('repeated string instructions under debugging', () => {
  it('single-steps REP STOSB one iteration per trap, RIP on the instruction until the last (SDM 3B 17.3.1.4)', () => {
    const { cpu, dbs, sym } = setup(
      'mov edi, 0x3000\nmov ecx, 3\npushfq\nor qword [rsp], 0x100\npopfq\nst: rep stosb\nafter: nop\nhlt',
    );
    const rcx: number[] = [];
    const hook = cpu.hooks.interrupt!;
    cpu.hooks.interrupt = (c, vector, err, sw) => {
      rcx.push(Number(c.getReg('rcx')));
      return hook(c, vector, err, sw);
    };
    cpu.run({ maxInstructions: 9 });
    expect(dbs.map((d) => [d.rip, d.dr6 & DR6_BS])).toEqual([
      [sym('st'), DR6_BS],
      [sym('st'), DR6_BS],
      [sym('after'), DR6_BS],
      [sym('after') + 1, DR6_BS],
    ]);
    expect(rcx.slice(0, 3)).toEqual([2, 1, 0]);
  });

  it('traps after the iteration of REP STOSB that writes the watched byte, with the rest still to do', () => {
    const { cpu, dbs, sym } = setup('mov edi, 0x3000\nmov ecx, 100\nst: rep stosb\nhlt');
    setBreakpoint(cpu, 0, 0x3040, 1, 1);
    let at = { rdi: 0, rcx: 0 };
    const hook = cpu.hooks.interrupt!;
    cpu.hooks.interrupt = (c, vector, err, sw) => {
      at = { rdi: Number(c.getReg('rdi')), rcx: Number(c.getReg('rcx')) };
      return hook(c, vector, err, sw);
    };
    cpu.run({ maxInstructions: 1000 });
    expect(dbs.map((d) => [d.rip, d.dr6 & 0xf])).toEqual([[sym('st'), 1]]);
    expect(at).toEqual({ rdi: 0x3041, rcx: 100 - 0x41 });
    expect(Number(cpu.getReg('rcx'))).toBe(0);
  });

  it('fires an instruction breakpoint on a long REP MOVSB once, not again for each batch of iterations', () => {
    const { cpu, dbs, sym } = setup('mov esi, 0x10000\nmov edi, 0x20000\nmov ecx, 10000\nst: rep movsb\nhlt', {
      resumeOnFault: true,
    });
    setBreakpoint(cpu, 3, sym('st'), 0, 1);
    cpu.run({ maxInstructions: 100 });
    expect(dbs.map((d) => [d.rip, d.dr6 & 0xf])).toEqual([[sym('st'), 8]]);
    expect(Number(cpu.getReg('rcx'))).toBe(0);
    expect(cpu.halted).toBe(true);
  });
});
