// Exception delivery for every vector x gate type x CPL x mode (SDM 3A 6.12-6.14, 20.1.4): the
// frame each combination pushes, the stack it lands on, IF, CS and CPL in the handler. Events are
// injected as hardware exceptions (with the error code the SDM gives the vector) so every vector
// goes through the same delivery path a faulting instruction takes.
import type { PhysicalMemory } from '@typevisor/mmu';
import { describe, expect, it } from 'vitest';
import { SEG_TR } from '../state/cpu-state.ts';
import { FLAG_IF } from '../state/flags.ts';
import {
  ACC_CODE_RX,
  ACC_DATA_RW,
  CODE_BASE,
  descriptor,
  FLAG_DB,
  FLAG_G,
  FLAG_L,
  gate,
  get16,
  get32,
  protectedGuest,
  put16,
  put32,
} from '../test-support/protected-guest.ts';
import { StopReason } from './contracts.ts';
import type { Cpu } from './cpu.ts';

/** Vectors that push an error code (SDM 3A Table 6-1). */
const WITH_ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17, 21, 29, 30]);
/** Vectors 0-31 except NMI (injected as type 2) and the reserved 15 / 22-27 / 31 that still go through the IDT. */
const VECTORS = Array.from({ length: 32 }, (_, v) => v);
const IDT = 0x4000;
const TSS_A = 0x3000;
const TSS_B = 0x3100;
const RSP0 = 0x7000;
const STACK = 0x8000;

/** Gate types (SDM 3A Table 3-2). */
const GATES32 = [
  ['16-bit interrupt gate', 0x6],
  ['16-bit trap gate', 0x7],
  ['32-bit interrupt gate', 0xe],
  ['32-bit trap gate', 0xf],
] as const;

function injectionType(vector: number): number {
  return vector === 2 ? 2 : 3; // NMI / hardware exception (SDM 3C 25.8.3)
}

function errorCodeFor(vector: number): number {
  return WITH_ERROR_CODE.has(vector) ? 0x1230 + vector * 8 : -1;
}

// GDT: 0x08 ring-0 code, 0x10 ring-0 data, 0x18 TSS A (running), 0x20 TSS B (task-gate target),
// 0x28 ring-3 code, 0x30 ring-3 data, 0x38 ring-0 code based at CODE_BASE.
function legacyGdt(): [number, number][] {
  return [
    descriptor(0, 0xfffff, ACC_CODE_RX, FLAG_G | FLAG_DB),
    descriptor(0, 0xfffff, ACC_DATA_RW, FLAG_G | FLAG_DB),
    descriptor(TSS_A, 0x67, 0x8b, 0),
    descriptor(TSS_B, 0x67, 0x89, 0),
    descriptor(0, 0xfffff, ACC_CODE_RX | 0x60, FLAG_G | FLAG_DB),
    descriptor(0, 0xfffff, ACC_DATA_RW | 0x60, FLAG_G | FLAG_DB),
    descriptor(CODE_BASE, 0xffff, ACC_CODE_RX, FLAG_DB),
  ];
}

/** 16-bit gates carry a 16-bit offset: their handler runs in code segment 0x38 based at CODE_BASE. */
const gateCs = (type: number) => (type === 5 ? 0x20 : type & 8 ? 0x08 : 0x38);
const gateOffset = (type: number, handler: number) => (type & 8 ? handler : handler - CODE_BASE);

function setIdtEntry(memory: PhysicalMemory, vector: number, type: number, offset: number): void {
  const [lo, hi] = gate(gateCs(type), type === 5 ? 0 : gateOffset(type, offset), type);
  put32(memory, IDT + vector * 8, lo);
  put32(memory, IDT + vector * 8 + 4, hi);
}

/** A 32-bit protected-mode cpu at `cpl` with IF=1, the given gate at `vector`, stopped before its first instruction. */
function legacyCpu(vector: number, gateType: number, cpl: number) {
  const g = protectedGuest({
    bits: 32,
    exceptions: 'deliver',
    gdt: legacyGdt(),
    source: 'bits 32\nstart: nop\nhlt\nhandler: hlt',
  });
  const { cpu, memory } = g;
  setIdtEntry(memory, vector, gateType, g.sym('handler'));
  put32(memory, TSS_A + 4, RSP0);
  put16(memory, TSS_A + 8, 0x10);
  // TSS B: the task-gate handler task.
  put32(memory, TSS_B + 0x20, g.sym('handler'));
  put32(memory, TSS_B + 0x24, 2);
  put32(memory, TSS_B + 0x38, 0x6000);
  for (let i = 0; i < 6; i++) put16(memory, TSS_B + 0x48 + 4 * i, i === 1 ? 0x08 : 0x10);
  cpu.setMode('protected32', 0);
  cpu.state.idtrBaseLo = IDT;
  cpu.state.idtrLimit = 0x7ff;
  cpu.setSegmentRaw(SEG_TR, 0x18, TSS_A, 0x67, 0x8b);
  if (cpl === 3) {
    cpu.setMode('protected32', 3);
    cpu.setSegmentRaw(SEG_TR, 0x18, TSS_A, 0x67, 0x8b);
  }
  cpu.setReg('eip', CODE_BASE);
  cpu.setReg('esp', STACK);
  cpu.setReg('eflags', FLAG_IF | 2);
  return { ...g, cpu };
}

function deliver(cpu: Cpu, vector: number): StopReason {
  cpu.injectEvent(vector, injectionType(vector), errorCodeFor(vector), 0);
  return cpu.run({ maxInstructions: 1 });
}

const legacyCases = VECTORS.flatMap((vector) =>
  GATES32.flatMap(([name, type]) => [0, 3].map((cpl) => [vector, name, cpl, type] as const)),
);

describe('delivery through 16- and 32-bit interrupt and trap gates', () => {
  it.each(legacyCases)('vector %i through a %s at CPL %i', (vector, _name, cpl, type) => {
    const { cpu, memory, sym } = legacyCpu(vector, type, cpl);
    expect(deliver(cpu, vector)).toBe(StopReason.Halt);
    expect(cpu.getReg('eip')).toBe(gateOffset(type, sym('handler')) + 1);
    expect(cpu.getReg('cs')).toBe(gateCs(type));
    expect(cpu.cpl).toBe(0);
    // SDM 3A 6.12.1.3: an interrupt gate clears IF, a trap gate leaves it.
    expect((cpu.getReg('eflags') & FLAG_IF) !== 0).toBe((type & 1) === 1);
    const size = type & 8 ? 4 : 2;
    const read = (at: number) => (size === 4 ? get32(memory, at) : get16(memory, at));
    const err = errorCodeFor(vector);
    const inner = cpl === 3;
    const top = inner ? RSP0 : STACK;
    const slots = 3 + (inner ? 2 : 0) + (err >= 0 ? 1 : 0);
    const esp = cpu.getReg('esp');
    expect(esp).toBe(top - slots * size);
    let at = esp;
    if (err >= 0) {
      expect(read(at)).toBe(err & (size === 4 ? 0xffffffff : 0xffff));
      at += size;
    }
    expect(read(at)).toBe(CODE_BASE & (size === 4 ? 0xffffffff : 0xffff)); // EIP of the interrupted instruction
    expect(read(at + size)).toBe(inner ? 0x0b : 0x08); // CS with the old RPL
    expect(read(at + 2 * size) & FLAG_IF).toBe(FLAG_IF);
    if (inner) {
      expect(read(at + 3 * size)).toBe(STACK & (size === 4 ? 0xffffffff : 0xffff));
      expect(read(at + 4 * size)).toBe(0x13);
      expect(cpu.getReg('ss')).toBe(0x10);
    }
  });

  it.each(VECTORS.flatMap((v) => [0, 3].map((cpl) => [v, cpl] as const)))(
    'vector %i through a task gate at CPL %i switches to the handler task (error code on its stack)',
    (vector, cpl) => {
      const { cpu, memory, sym } = legacyCpu(vector, 5, cpl);
      expect(deliver(cpu, vector)).toBe(StopReason.Halt);
      expect(cpu.state.segSelector[SEG_TR]).toBe(0x20);
      expect(cpu.getReg('eip')).toBe(sym('handler') + 1);
      expect(cpu.cpl).toBe(0);
      expect(get16(memory, TSS_B)).toBe(0x18);
      expect(get32(memory, TSS_A + 0x20)).toBe(CODE_BASE);
      expect(get32(memory, TSS_A + 0x4c)).toBe(cpl === 3 ? 0x0b : 0x08);
      const err = errorCodeFor(vector);
      expect(cpu.getReg('esp')).toBe(err >= 0 ? 0x6000 - 4 : 0x6000);
      if (err >= 0) expect(get32(memory, 0x6000 - 4)).toBe(err);
      expect(cpu.getReg('eflags') & 0x4000).toBe(0x4000); // NT
    },
  );
});

describe('delivery through 64-bit gates in IA-32e mode', () => {
  const TSS64 = 0x3000;
  const cases = VECTORS.flatMap((vector) =>
    [0xe, 0xf].flatMap((type) => [0, 3].flatMap((cpl) => [0, 1].map((ist) => [vector, type, cpl, ist] as const))),
  );

  it.each(cases)('vector %i, gate type %i, CPL %i, IST %i', (vector, type, cpl, ist) => {
    const g = protectedGuest({
      bits: 64,
      exceptions: 'deliver',
      gdt: [
        descriptor(0, 0xfffff, ACC_CODE_RX, FLAG_G | FLAG_L),
        descriptor(0, 0xfffff, ACC_DATA_RW, FLAG_G | FLAG_DB),
      ],
      source: 'bits 64\nstart: nop\nhlt\nhandler: hlt',
    });
    const { cpu, memory, sym } = g;
    const handler = sym('handler');
    put32(memory, IDT * 2 + vector * 16, (handler & 0xffff) | (0x08 << 16));
    put32(memory, IDT * 2 + vector * 16 + 4, (handler & 0xffff0000) | 0x8000 | (type << 8) | ist);
    put32(memory, TSS64 + 4, RSP0 + 8); // RSP0 (not 16-aligned: the cpu aligns it)
    put32(memory, TSS64 + 0x24, 0x6800); // IST1
    cpu.setMode('long64', cpl);
    cpu.state.idtrBaseLo = IDT * 2;
    cpu.state.idtrLimit = 0xfff;
    cpu.setSegmentRaw(SEG_TR, 0x18, TSS64, 0x67, 0x8b);
    cpu.setReg('rip', CODE_BASE);
    cpu.setReg('rsp', STACK - 8);
    cpu.setReg('rflags', FLAG_IF | 2);
    expect(deliver(cpu, vector)).toBe(StopReason.Halt);
    expect(cpu.getReg('rip')).toBe(handler + 1);
    expect(cpu.cpl).toBe(0);
    expect((cpu.getReg('rflags') & FLAG_IF) !== 0).toBe(type === 0xf);
    const err = errorCodeFor(vector);
    // SDM 3A 6.14.2/6.14.5: IST wins, else RSP0 on a privilege change, else the current RSP; aligned to 16.
    const top = ist ? 0x6800 : cpl === 3 ? RSP0 : STACK - 16;
    const rsp = cpu.getReg('rsp');
    expect(rsp).toBe(top - (5 + (err >= 0 ? 1 : 0)) * 8);
    let at = rsp;
    if (err >= 0) {
      expect(get32(memory, at)).toBe(err);
      at += 8;
    }
    expect(get32(memory, at)).toBe(CODE_BASE);
    expect(get32(memory, at + 8)).toBe(cpl === 3 ? 0x0b : 0x08);
    expect(get32(memory, at + 24)).toBe(STACK - 8);
    expect(get32(memory, at + 32)).toBe(cpl === 3 ? 0x13 : 0x10);
    if (cpl === 3) expect(cpu.getReg('ss')).toBe(0); // null SS with RPL = new CPL
  });
});

describe('delivery through the real-mode IVT', () => {
  it.each(VECTORS)('vector %i pushes FLAGS, CS, IP (no error code) and clears IF', (vector) => {
    const g = protectedGuest({
      bits: 16,
      real: true,
      exceptions: 'deliver',
      source: 'bits 16\nnop\nhlt\nhandler: hlt',
    });
    const { cpu, memory, sym } = g;
    put16(memory, vector * 4, sym('handler'));
    put16(memory, vector * 4 + 2, CODE_BASE >>> 4);
    cpu.setReg('eflags', FLAG_IF | 2);
    expect(deliver(cpu, vector)).toBe(StopReason.Halt);
    expect(cpu.getReg('ip')).toBe(sym('handler') + 1);
    expect(cpu.getReg('sp')).toBe(STACK - 6);
    expect(get16(memory, STACK - 6)).toBe(0);
    expect(get16(memory, STACK - 4)).toBe(CODE_BASE >>> 4);
    expect(get16(memory, STACK - 2) & FLAG_IF).toBe(FLAG_IF);
    expect(cpu.getReg('eflags') & FLAG_IF).toBe(0);
  });
});

describe('faults while reaching the handler (SDM 3A 6.12.1, 6.13)', () => {
  /** INT n from CPL 3 (software) or an injected #GP-free vector (hardware, EXT = 1). */
  it.each([
    ['a software INT n through a DPL-0 gate at CPL 3', 0x40, 0xe, true, 3, 13, 0x40 * 8 + 2],
    ['a hardware event through a not-present gate', 0x21, 0x6e, false, 0, 11, 0x21 * 8 + 3],
    ['a hardware event through a gate of an invalid type', 0x21, 0x1, false, 0, 13, 0x21 * 8 + 3],
    ['a software INT n through a not-present gate', 0x40, 0x6e, true, 0, 11, 0x40 * 8 + 2],
  ])('%s: the nested fault carries the IDT error code', (_name, vector, typeField, software, cpl, fault, code) => {
    const { cpu, memory, sym } = legacyCpu(vector, 0xe, cpl);
    // typeField: type bits, with 0x60 meaning "present bit clear" for the not-present rows.
    const [lo, hi] = gate(0x08, sym('handler'), typeField & 0xf);
    put32(memory, IDT + vector * 8, lo);
    put32(memory, IDT + vector * 8 + 4, typeField & 0x60 ? hi & ~0x8000 : hi);
    // The nested fault goes to a handler that records its error code.
    setIdtEntry(memory, fault, 0xe, sym('handler'));
    if (software) cpu.injectEvent(vector, 4, -1, 0);
    else cpu.injectEvent(vector, 0, -1, 0);
    expect(cpu.run({ maxInstructions: 1 })).toBe(StopReason.Halt);
    expect(get32(memory, cpu.getReg('esp'))).toBe(code);
  });
});
