import { readFileSync } from 'node:fs';
import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { SEG_CS } from '../../state/cpu-state.ts';
import { type InterruptController, StopReason } from '../contracts.ts';
import { buildProgram, corpusPrograms, runNative } from '../../test-support/gcc-corpus.ts';
import { runLinuxUser } from '../../test-support/linux-user.ts';
import { Cpu } from '../cpu.ts';

// Differential tests of the block compiler against the interpreter: the same random programs
// (assembled with x86-asm) run on a cpu with `compile: false` and on one compiling every block
// at its first visit, in random instruction-count slices so limits fall inside blocks; the
// whole state is compared after every slice.

const CODE = 0x1000;
const DATA = 0x8000;
const STACK_TOP = 0xf000;
const LONG = typeof process !== 'undefined' && process.env.TYPEVISOR_LONG === '1';

/** A small deterministic generator (xorshift32), so failures replay from the seed. */
class Rng {
  constructor(private state: number) {
    if (this.state === 0) this.state = 1;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
  int(n: number): number {
    return this.next() % n;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

const CONDS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];

interface ModeRegs {
  /** Registers random instructions may write (never the data base, the loop counter or the stack pointer). */
  wide: string[];
  dword: string[];
  word: string[];
  byte: string[];
  base: string;
  counter: string;
  sp: string;
}

const REGS32: ModeRegs = {
  wide: ['eax', 'ebx', 'ecx', 'edx', 'edi'],
  dword: ['eax', 'ebx', 'ecx', 'edx', 'edi'],
  word: ['ax', 'bx', 'cx', 'dx', 'di'],
  byte: ['al', 'bl', 'cl', 'dl', 'ah', 'bh', 'ch', 'dh'],
  base: 'esi',
  counter: 'ebp',
  sp: 'esp',
};

const REGS64: ModeRegs = {
  wide: ['rax', 'rbx', 'rcx', 'rdx', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12'],
  dword: ['eax', 'ebx', 'ecx', 'edx', 'edi', 'r8d', 'r9d', 'r11d'],
  word: ['ax', 'bx', 'cx', 'dx', 'di', 'r10w'],
  byte: ['al', 'bl', 'cl', 'dl', 'sil', 'r8b', 'r11b'],
  base: 'rsi',
  counter: 'rbp',
  sp: 'rsp',
};

/** One random instruction (or a short idiom) in NASM syntax. */
function randomInsn(r: Rng, m: ModeRegs, bits: 32 | 64, label: () => string, fns: string[]): string {
  const sized = (): [string, string] => {
    const k = r.int(bits === 64 ? 4 : 3);
    if (k === 0) return [r.pick(m.byte), 'byte'];
    if (k === 1) return [r.pick(m.word), 'word'];
    if (k === 2) return [r.pick(m.dword), 'dword'];
    return [r.pick(m.wide), 'qword'];
  };
  const disp = () => r.int(64) * 8 + r.int(4);
  // Now and then an access to the page after the data, which is not present when paging is on (#PF mid-block).
  const mem = (size: string) => `${size} [${m.base} + ${r.int(40) === 0 ? 0x1000 + disp() : disp()}]`;
  const imm = () => (r.int(4) === 0 ? r.int(0x100000000) | 0 : r.int(256) - 128);
  const alu = r.pick(['add', 'sub', 'and', 'or', 'xor', 'cmp', 'test', 'adc', 'sbb']);
  const [reg, size] = sized();
  const [reg2] = ((): [string, string] => {
    const all = size === 'byte' ? m.byte : size === 'word' ? m.word : size === 'dword' ? m.dword : m.wide;
    return [r.pick(all), size];
  })();
  const immFor = () => {
    const v = imm();
    return size === 'byte' ? v & 0xff : size === 'word' ? v & 0xffff : v;
  };
  switch (r.int(24)) {
    case 0:
      return `mov ${reg}, ${reg2}`;
    case 1:
      return `mov ${reg}, ${immFor()}`;
    case 2:
      return `mov ${reg}, ${mem(size)}`;
    case 3:
      return `mov ${mem(size)}, ${reg}`;
    case 4:
      return `mov ${mem(size === 'qword' ? 'dword' : size)}, ${size === 'byte' ? r.int(256) : r.int(65536)}`;
    case 5:
      return `${alu} ${reg}, ${reg2}`;
    case 6:
      return `${alu} ${reg}, ${immFor()}`;
    case 7:
      return alu === 'test' ? `test ${mem(size)}, ${reg}` : `${alu} ${reg}, ${mem(size)}`;
    case 8:
      return alu === 'test' ? `test ${mem(size)}, ${reg}` : `${alu} ${mem(size)}, ${reg}`;
    case 9:
      return `${r.pick(['inc', 'dec'])} ${reg}`;
    case 10: {
      const w = r.pick(bits === 64 ? ['eax', 'rax', 'edx', 'rdx', 'di'] : ['eax', 'edx', 'di']);
      const b2 = bits === 64 ? r.pick(['rax', 'rbx', 'rcx', 'r9']) : r.pick(['eax', 'ebx', 'ecx']);
      const x2 = bits === 64 ? r.pick(['rdx', 'rdi', 'r8']) : r.pick(['edx', 'edi']);
      return `lea ${w}, [${b2} + ${x2}*${r.pick([1, 2, 4, 8])} + ${imm()}]`;
    }
    case 11: {
      const d = r.pick(m.dword);
      return r.int(2) === 0
        ? `movzx ${d}, ${r.pick(['byte', 'word'])} [${m.base} + ${disp()}]`
        : `movsx ${d}, ${r.pick(m.byte)}`;
    }
    case 12:
      return bits === 64
        ? `movsxd ${r.pick(m.wide)}, dword [${m.base} + ${disp()}]`
        : `movsx ${r.pick(m.dword)}, byte [esi + 3]`;
    case 13: {
      const p = r.pick(m.wide);
      const q = r.pick(m.wide);
      return `push ${p}\n${r.int(2) === 0 ? `push ${imm()}\npop ${q}` : `add ${q}, 1`}\npop ${p}`;
    }
    case 14:
      return `${r.pick(['shl', 'shr', 'sar', 'rol'])} ${reg}, ${r.int(2) === 0 ? r.int(40) : 'cl'}`;
    case 15:
      return `imul ${r.pick(m.dword)}, ${r.pick(m.dword)}`;
    case 16:
      return `set${r.pick(CONDS)} ${r.pick(m.byte)}`;
    case 17:
      return `cmov${r.pick(CONDS)} ${r.pick(m.dword)}, ${r.pick(m.dword)}`;
    case 18: {
      const l = label();
      return `j${r.pick(CONDS)} ${l}\n${alu} ${reg}, ${reg2}\n${l}:`;
    }
    case 19:
      return `call ${r.pick(fns)}`;
    case 20: {
      // Now and then a #DE (zero divisor): a fault in the middle of a block.
      const d = r.pick(['ebx', 'ecx', 'edi']);
      return `xor edx, edx\n${r.int(12) === 0 ? `xor ${d}, ${d}` : `or ${d}, 1`}\ndiv ${d}`;
    }
    case 21:
    case 22:
      // A flag producer with a consumer right behind it (conditions from the producer's locals).
      return `${alu} ${reg}, ${reg2}\n${r.int(2) === 0 ? `set${r.pick(CONDS)} ${r.pick(m.byte)}` : `${r.pick(['adc', 'sbb'])} ${reg}, ${reg2}`}`;
    default:
      return `nop`;
  }
}

function randomProgram(seed: number, bits: 32 | 64, length: number): string {
  const r = new Rng(seed);
  const m = bits === 64 ? REGS64 : REGS32;
  let n = 0;
  const label = () => `l${n++}`;
  const fns = ['f0', 'f1'];
  const body: string[] = [];
  for (let i = 0; i < length; i++) body.push(randomInsn(r, m, bits, label, fns));
  const fnBodies = fns.map((f) => `${f}:\n${randomInsn(r, m, bits, label, ['f2'])}\nret`);
  return `
    bits ${bits}
    org ${CODE}
    mov ${m.counter}, ${3 + r.int(6)}
  top:
    ${body.join('\n')}
    dec ${m.counter}
    jnz top
    hlt
    ${fnBodies.join('\n')}
  f2:
    add eax, 7
    ret
  `;
}

/** Identity-maps 0-64 KiB with 4-KiB pages except the page after the data (not present); tables at 0x2000-0x5fff. */
function enablePaging(cpu: Cpu, memory: PhysicalMemory, bits: 32 | 64): void {
  const put = (at: number, lo: number) => memory.write32(guestPhysical(at), lo);
  const pt = 0x3000;
  const pteSize = bits === 64 ? 8 : 4;
  for (let i = 0; i < 16; i++) put(pt + i * pteSize, i === (DATA >> 12) + 1 ? 0 : (i << 12) | 3);
  if (bits === 64) {
    put(0x2000, 0x4000 | 3);
    put(0x4000, 0x5000 | 3);
    put(0x5000, pt | 3);
    cpu.setReg('cr4', cpu.getReg('cr4') | 0x20);
  } else put(0x2000, pt | 3);
  cpu.setReg('cr3', 0x2000);
  cpu.setReg('cr0', cpu.getReg('cr0') | 0x80000000);
}

function makeCpu(bytes: Uint8Array, bits: 32 | 64, compile: boolean, seed: number, paging = false): Cpu {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x10000);
  memory.writeBytes(guestPhysical(CODE), bytes);
  const r = new Rng(seed ^ 0x5a5a);
  const data = new Uint8Array(0x800);
  for (let i = 0; i < data.length; i++) data[i] = r.int(256);
  memory.writeBytes(guestPhysical(DATA), data);
  const cpu = new Cpu({ memory, exceptions: 'stop', compile, compileThreshold: 1 });
  cpu.setMode(bits === 64 ? 'long64' : 'protected32');
  cpu.setReg('rip', CODE);
  for (const name of ['rax', 'rbx', 'rcx', 'rdx', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12']) {
    if (bits === 64 || /^r[a-z]{2}$/.test(name)) {
      if (bits === 64) cpu.setReg64(name, r.next(), r.int(3) === 0 ? 0 : r.next());
      else cpu.setReg(name.replace(/^r/, 'e'), r.next());
    }
  }
  cpu.setReg(bits === 64 ? 'rsi' : 'esi', DATA);
  cpu.setReg(bits === 64 ? 'rsp' : 'esp', STACK_TOP);
  if (paging) enablePaging(cpu, memory, bits);
  return cpu;
}

const REGISTER_NAMES = [
  'rax',
  'rbx',
  'rcx',
  'rdx',
  'rsi',
  'rdi',
  'rbp',
  'rsp',
  'r8',
  'r9',
  'r10',
  'r11',
  'r12',
  'rip',
  'rflags',
  'tsc',
];

function snapshot(cpu: Cpu): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of REGISTER_NAMES) out[n] = cpu.getReg(n);
  out.retired = cpu.retired;
  out.halted = cpu.halted;
  out.exception = `${cpu.exceptionVector}/${cpu.exceptionErrorCode}`;
  out.cr2 = cpu.getReg('cr2');
  // All of RAM: data, stack and the page tables' accessed/dirty bits.
  const bytes = new Uint8Array(0x10000);
  cpu.memory.readBytes(guestPhysical(0), bytes);
  let h = 0;
  for (let i = 0; i < bytes.length; i++) h = (Math.imul(h, 31) + bytes[i]!) | 0;
  out.memoryHash = h;
  return out;
}

/** Runs both cpus in the same random slices and returns the first differing snapshot pair (or null). */
function compareRuns(
  seed: number,
  bits: 32 | 64,
  length: number,
  paging: boolean,
): { slices: number; compiled: number; exception: boolean } {
  const source = randomProgram(seed, bits, length);
  const bytes = assemble(source, { bits, org: CODE }).bytes;
  const ref = makeCpu(bytes, bits, false, seed, paging);
  const jit = makeCpu(bytes, bits, true, seed, paging);
  const r = new Rng(seed * 7 + 1);
  let slices = 0;
  for (;;) {
    const n = 1 + r.int(r.int(4) === 0 ? 200 : 12);
    const a = ref.run({ maxInstructions: n });
    const b = jit.run({ maxInstructions: n });
    slices++;
    const sa = snapshot(ref);
    const sb = snapshot(jit);
    if (a !== b || JSON.stringify(sa) !== JSON.stringify(sb)) {
      expect({ stop: b, ...sb }, `seed ${seed} (${bits}-bit) slice ${slices}\n${source}`).toEqual({ stop: a, ...sa });
    }
    if (a !== StopReason.InstructionLimit || slices > 5000) break;
  }
  return { slices, compiled: countBlocks(jit), exception: ref.exceptionVector >= 0 };
}

function countBlocks(cpu: Cpu): number {
  const caches = (cpu as unknown as { pageCaches: Map<number, { blocks: unknown[] }> }).pageCaches;
  let n = 0;
  for (const c of caches.values()) for (const b of c.blocks) if (b !== undefined) n++;
  return n;
}

describe('block compiler', () => {
  const seeds = LONG ? 400 : 30;
  it.each([32, 64] as const)(
    'leaves the same %i-bit state as the interpreter after every slice of random programs',
    (bits) => {
      let blocks = 0;
      let faults = 0;
      for (let seed = 1; seed <= seeds; seed++) {
        const run = compareRuns((seed * 2654435761) >>> 0, bits, 24, seed % 2 === 0);
        blocks += run.compiled;
        if (run.exception) faults++;
      }
      // The comparison is only worth something if blocks were compiled and some runs faulted inside them.
      expect(blocks).toBeGreaterThan(seeds * 3);
      expect(faults).toBeGreaterThan(seeds / 10);
    },
  );

  it.each([32, 64] as const)(
    'leaves the same %i-bit state after every slice of short random loops (the loop runs inside the block function)',
    (bits) => {
      for (let seed = 1; seed <= seeds; seed++) compareRuns((seed * 40503 + 17) >>> 0, bits, 5, seed % 3 === 0);
    },
  );

  it('stops exactly at the instruction limit inside a block', () => {
    const bytes = assemble(
      `bits 32
       org ${CODE}
       mov ecx, 100
     l: add eax, 3
       add ebx, eax
       add edx, ebx
       dec ecx
       jnz l
       hlt`,
      { bits: 32, org: CODE },
    ).bytes;
    const cpu = makeCpu(bytes, 32, true, 1);
    cpu.setReg('eax', 0);
    expect(cpu.run({ maxInstructions: 1 + 5 * 10 + 2 })).toBe(StopReason.InstructionLimit);
    expect(cpu.retired).toBe(53);
    // 11 additions to eax (10 full iterations + 1): stopped between the 2nd and 3rd instruction.
    expect(cpu.getReg('eax')).toBe(33);
    expect(cpu.getReg('eip')).toBe(CODE + 5 + 3 + 2);
  });

  it('runs a store into the executing block and then the new code (self-modifying code)', () => {
    // The loop patches the immediate of its own `add eax, imm8` (at patch+2) each iteration.
    const src = `bits 32
       org ${CODE}
       mov ecx, 5
     l: mov byte [patch + 2], cl
     patch: add eax, 1
       dec ecx
       jnz l
       hlt`;
    const bytes = assemble(src, { bits: 32, org: CODE }).bytes;
    for (const compile of [false, true]) {
      const cpu = makeCpu(bytes, 32, compile, 1);
      cpu.setReg('eax', 0);
      expect(cpu.run({ maxInstructions: 1000 })).toBe(StopReason.Halt);
      // 5 + 4 + 3 + 2 + 1: each iteration adds the value it just wrote.
      expect(cpu.getReg('eax')).toBe(15);
    }
  });

  it('interprets everything when compile is false', () => {
    const bytes = assemble(`bits 64\norg ${CODE}\nmov ecx, 50\nl: inc eax\ndec ecx\njnz l\nhlt`, {
      bits: 64,
      org: CODE,
    }).bytes;
    const cpu = makeCpu(bytes, 64, false, 1);
    cpu.run({ maxInstructions: 1000 });
    expect(countBlocks(cpu)).toBe(0);
    const jit = makeCpu(bytes, 64, true, 1);
    jit.run({ maxInstructions: 1000 });
    expect(countBlocks(jit)).toBeGreaterThan(0);
  });

  it.each(corpusPrograms())('runs the gcc -O2 %s with every block compiled and prints what the host prints', (name) => {
    const path = buildProgram(name, 'O2');
    const run = runLinuxUser(readFileSync(path), 2e9, { compileThreshold: 1 });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(runNative(path));
  });

  it('takes external interrupts at the same instructions as the interpreter while a loop runs inside a block', () => {
    /** An interrupt controller whose line the test raises between runs. */
    class Pic implements InterruptController {
      pending = 0;
      hasInterrupt(): boolean {
        return this.pending > 0;
      }
      acknowledge(): number {
        this.pending--;
        return 0x20;
      }
    }
    const source = `bits 64
      org ${CODE}
      sti
      mov ecx, 100000
    l: add eax, 3
      xor edx, eax
      dec ecx
      jnz l
      hlt
    handler:
      inc r8
      iretq`;
    const prog = assemble(source, { bits: 64, org: CODE });
    const handler = Number(prog.symbols.get('handler'));
    const make = (compile: boolean) => {
      const memory = new PhysicalMemory();
      memory.addRam(guestPhysical(0), 0x10000);
      memory.writeBytes(guestPhysical(CODE), prog.bytes);
      const put = (at: number, lo: number, hi: number) => {
        memory.write32(guestPhysical(at), lo >>> 0);
        memory.write32(guestPhysical(at + 4), hi >>> 0);
      };
      put(0x808, 0x0000ffff, 0x00af9a00); // 64-bit code
      put(0x810, 0x0000ffff, 0x00cf9200); // data (IRETQ reloads SS)
      put(0x5000 + 0x20 * 16, (handler & 0xffff) | (0x08 << 16), (handler & 0xffff0000) | 0x8e00);
      const pic = new Pic();
      const cpu = new Cpu({ memory, interrupts: pic, compile, compileThreshold: 1 });
      cpu.setMode('long64');
      cpu.setSegmentRaw(SEG_CS, 0x08, 0, 0xffffffff, 0xa09b);
      cpu.state.gdtrBaseLo = 0x800;
      cpu.state.gdtrLimit = 0x17;
      cpu.state.idtrBaseLo = 0x5000;
      cpu.state.idtrLimit = 0xfff;
      cpu.setReg('rip', CODE);
      cpu.setReg('rsp', STACK_TOP);
      return { cpu, pic };
    };
    const ref = make(false);
    const jit = make(true);
    const r = new Rng(99);
    for (let slice = 0; slice < 300; slice++) {
      if (r.int(3) === 0) {
        ref.pic.pending++;
        jit.pic.pending++;
      }
      const n = 1 + r.int(2000);
      expect(jit.cpu.run({ maxInstructions: n })).toBe(ref.cpu.run({ maxInstructions: n }));
      expect(snapshot(jit.cpu)).toEqual(snapshot(ref.cpu));
    }
    expect(ref.cpu.getReg('r8')).toBeGreaterThan(50);

    // A line that rises while the loop runs inside the block is taken at the end of that pass
    // (the documented block-boundary granularity), never later.
    const late = make(true);
    let ackAt = -1;
    late.cpu.interrupts = {
      hasInterrupt: () => late.cpu.retired >= 5000 && ackAt < 0,
      acknowledge: () => {
        ackAt = late.cpu.retired;
        return 0x20;
      },
    };
    late.cpu.run({ maxInstructions: 20000 });
    expect(ackAt).toBeGreaterThanOrEqual(5000);
    expect(ackAt).toBeLessThan(5000 + 4);
    expect(late.cpu.getReg('r8')).toBe(1);
  });

  it.each(['add', 'sub', 'cmp', 'adc', 'sbb', 'and', 'xor', 'test', 'inc', 'dec', 'neg'])(
    'gives every condition of a 64-bit %s the interpreter gives (carries and borrows across the halves)',
    (op) => {
      const conds = CONDS.map((cc, i) => `set${cc} dl\nmov [rsi + ${i}], dl`).join('\n');
      const head = op === 'inc' || op === 'dec' || op === 'neg' ? `${op} rax` : `${op} rax, rbx`;
      // adc/sbb consume CF, cmov consumes the other flags; then a flag-preserving INC reads CF again.
      const source = `bits 64\norg ${CODE}\n${head}\n${conds}\ncmovl rcx, rbx\ninc rdi\nadc rdi, rdi\nhlt`;
      const bytes = assemble(source, { bits: 64, org: CODE }).bytes;
      const values: [number, number][] = [
        [0, 1],
        [0, 2],
        [5, 1],
        [5, 7],
        [0x7fffffff, 0xffffffff],
        [0x80000000, 0],
        [0xffffffff, 0xffffffff],
      ];
      for (const [ah, al] of values) {
        for (const [bh, bl] of values) {
          for (const carry of op === 'adc' || op === 'sbb' ? [0, 1] : [1]) {
            const run = (compile: boolean) => {
              const cpu = makeCpu(bytes, 64, compile, 1);
              cpu.setReg64('rax', al, ah);
              cpu.setReg64('rbx', bl, bh);
              cpu.setReg('rflags', 2 | carry);
              cpu.run({ maxInstructions: 100 });
              return snapshot(cpu);
            };
            expect(run(true), `${op} ${ah}:${al}, ${bh}:${bl} CF=${carry}`).toEqual(run(false));
          }
        }
      }
    },
  );

  it('runs blocks in VMX non-root operation with the same exits, RIPs and counts as the interpreter', () => {
    // A stand-in for the vmx package's interception: CPUID exits; nothing else does.
    const fakeInterception = (log: string[], armed: { value: boolean }) =>
      new Proxy({} as Record<string, unknown>, {
        get(_t, prop) {
          if (prop === 'windowsArmed') return armed.value;
          if (prop === 'readShadowedCr') return (_cr: number, actual: number) => actual;
          if (prop === 'guestTsc')
            return (lo: number, hi: number, out: Uint32Array) => {
              out[0] = lo;
              out[1] = hi;
            };
          if (prop === 'cpuid')
            return () => {
              log.push('cpuid');
              return true;
            };
          return () => false;
        },
      });
    const source = `bits 64
      org ${CODE}
      mov r9d, 3000
    l: add eax, 3
      mov [rsi + 8], eax
      test r9d, 7
      jnz skip
      cpuid
    skip:
      dec r9d
      jnz l
      hlt`;
    const bytes = assemble(source, { bits: 64, org: CODE }).bytes;
    const make = (compile: boolean) => {
      const cpu = makeCpu(bytes, 64, compile, 3);
      const log: string[] = [];
      const armed = { value: false };
      (cpu as unknown as { interception: unknown }).interception = fakeInterception(log, armed);
      return { cpu, log, armed };
    };
    const ref = make(false);
    const jit = make(true);
    const r = new Rng(5);
    let exits = 0;
    for (let slice = 0; slice < 2000; slice++) {
      const armed = r.int(5) === 0;
      ref.armed.value = armed;
      jit.armed.value = armed;
      const n = 1 + r.int(300);
      const a = ref.cpu.run({ maxInstructions: n });
      const b = jit.cpu.run({ maxInstructions: n });
      expect(b).toBe(a);
      expect(snapshot(jit.cpu)).toEqual(snapshot(ref.cpu));
      if (a === StopReason.VmExit) {
        // The "hypervisor" emulates CPUID by skipping it.
        exits++;
        for (const c of [ref.cpu, jit.cpu]) c.setReg('rip', c.getReg('rip') + 2);
      }
      if (a === StopReason.Halt) break;
    }
    expect(exits).toBe(375);
    expect(jit.log.length).toBe(375);
    expect(countBlocks(jit.cpu)).toBeGreaterThan(0);
  });
});
