// INT n in virtual-8086 mode redirected to the 8086 IVT (SDM 3A 20.3.3, Table 20-2 methods 5 and
// 6): the interrupt hook is consulted as for every other INT n, and a fault while building the
// 8086 frame restarts the INT with IP and SP unchanged.
import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { SEG_CS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS, SEG_TR } from '../state/cpu-state.ts';
import { FLAG_VM } from '../state/flags.ts';
import { descriptor, gate, put16, put32 } from '../test-support/protected-guest.ts';
import { oneShotInterrupt } from '../test-support/one-shot-interrupt.ts';
import { StopReason } from './contracts.ts';
import { Cpu } from './cpu.ts';
import { CR4_VME } from './vme.ts';

const PF = 14;
/** The v8086 program runs at linear 20000H (CS = 2000H, IP = 0). */
const V86_CS = 0x2000;
const TSS = 0x3000;
/** I/O map base 88H: the interrupt-redirection bitmap is the 32 bytes at TSS+68H (SDM 3A Figure 20-5). */
const IOMAP = 0x88;
const PAGE_DIRECTORY = 0x40000;
const PAGE_TABLE = 0x41000;

interface Options {
  iopl: 0 | 3;
  /** Sets INT 21H's bit in the redirection bitmap (not redirected: through the IDT). */
  notRedirected?: boolean;
  hook?: (cpu: Cpu, vector: number, errorCode: number, software: boolean) => boolean | undefined;
  /** SS and SP of the v8086 stack (default 0:9000H). */
  stack?: [number, number];
  /** Linear pages left not present under 32-bit paging (paging stays off when absent). */
  absentPages?: number[];
  /** Extra set-up before the run (descriptor tables). */
  setup?: (cpu: Cpu, memory: PhysicalMemory) => void;
}

/** A cpu in virtual-8086 mode with CR4.VME running `code`; INT 21H's IVT entry points at `handler`. */
function v86(code: string, o: Options) {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x200000);
  const prog = assemble(`bits 16\n${code}\nhandler: hlt`, { bits: 16, org: 0 });
  memory.writeBytes(guestPhysical(V86_CS * 16), prog.bytes);
  put16(memory, 0x21 * 4, Number(prog.symbols.get('handler')));
  put16(memory, 0x21 * 4 + 2, V86_CS);
  put16(memory, TSS + 0x66, IOMAP);
  if (o.notRedirected) memory.writeBytes(guestPhysical(TSS + IOMAP - 32 + (0x21 >>> 3)), new Uint8Array([1 << 1]));
  const cpu = new Cpu({ memory, exceptions: 'stop' });
  cpu.setMode('protected32');
  cpu.setSegmentRaw(SEG_TR, 0x18, TSS, 0x2087, 0x8b);
  cpu.state.cr4 = CR4_VME;
  if (o.absentPages !== undefined) {
    put32(memory, PAGE_DIRECTORY, PAGE_TABLE | 7);
    for (let i = 0; i < 1024; i++)
      put32(memory, PAGE_TABLE + 4 * i, o.absentPages.includes(i * 4096) ? 0 : (i * 4096) | 7);
    cpu.state.cr3Lo = PAGE_DIRECTORY;
    cpu.state.cr0 = (cpu.state.cr0 | 0x80000000) >>> 0;
  }
  cpu.setReg('eflags', FLAG_VM | (o.iopl << 12) | 2);
  const [ss, sp] = o.stack ?? [0, 0x9000];
  for (const seg of [SEG_DS, SEG_ES, SEG_FS, SEG_GS]) cpu.setSegmentRaw(seg, 0, 0, 0xffff, 0xf3);
  cpu.setSegmentRaw(SEG_SS, ss, ss * 16, 0xffff, 0xf3);
  cpu.setSegmentRaw(SEG_CS, V86_CS, V86_CS * 16, 0xffff, 0xfb);
  cpu.setReg('rip', 0);
  cpu.setReg('rsp', sp);
  cpu.stateChanged();
  if (o.hook !== undefined) cpu.hooks.interrupt = o.hook;
  o.setup?.(cpu, memory);
  const stop = cpu.run({ maxInstructions: 20 });
  return { cpu, stop, sym: (n: string) => Number(prog.symbols.get(n)) };
}

interface HookCall {
  vector: number;
  errorCode: number;
  software: boolean;
  ip: number;
}

/** An interrupt hook that records its calls and answers `handled` for INT 21H (other events are delivered). */
function recorder(handled: boolean | undefined) {
  const calls: HookCall[] = [];
  const hook = (cpu: Cpu, vector: number, errorCode: number, software: boolean) => {
    calls.push({ vector, errorCode, software, ip: cpu.getReg('eip') });
    return vector === 0x21 ? handled : undefined;
  };
  return { calls, hook };
}

describe('the interrupt hook and INT n redirected to the 8086 IVT (SDM 3A 20.3.3)', () => {
  const program = 'int 0x21\nafter: hlt';

  it.each([
    ['method 5 (IOPL 3)', 3],
    ['method 6 (IOPL 0, VIF)', 0],
  ] as const)('%s: a hook returning true handles the INT — no 8086 frame, IP past the INT', (_name, iopl) => {
    const { calls, hook } = recorder(true);
    const { cpu, sym } = v86(program, { iopl, hook });
    expect(calls[0]).toEqual({ vector: 0x21, errorCode: -1, software: true, ip: sym('after') });
    // Then the HLT at CPL 3 raises #GP(0) (hook call 2), which stops the run with IP on the HLT.
    expect(calls).toHaveLength(2);
    expect(calls[1]!.vector).toBe(13);
    expect(cpu.getReg('eip')).toBe(sym('after'));
    expect(cpu.getReg('esp')).toBe(0x9000);
    expect(cpu.getReg('cs')).toBe(V86_CS);
  });

  it.each([
    ['method 5 (IOPL 3)', 3],
    ['method 6 (IOPL 0, VIF)', 0],
  ] as const)('%s: a hook that does not handle it sees it once, and the IVT handler runs', (_name, iopl) => {
    const { calls, hook } = recorder(undefined);
    const { cpu, stop, sym } = v86(program, { iopl, hook });
    expect(calls.filter((c) => c.vector === 0x21)).toEqual([
      { vector: 0x21, errorCode: -1, software: true, ip: sym('after') },
    ]);
    // The handler's HLT is #GP(0) in v8086 mode: the run stops there, inside the handler.
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.getReg('eip')).toBe(sym('handler'));
    expect(cpu.getReg('esp')).toBe(0x9000 - 6);
  });

  it('an INT n whose bitmap bit is set goes through the IDT and reaches the hook once, too', () => {
    const { calls, hook } = recorder(true);
    const { sym } = v86(program, { iopl: 3, notRedirected: true, hook });
    expect(calls.filter((c) => c.vector === 0x21)).toEqual([
      { vector: 0x21, errorCode: -1, software: true, ip: sym('after') },
    ]);
  });
});

describe('a fault while pushing the 8086 frame of a redirected INT n', () => {
  it('#PF on the second push restarts the INT: IP on it, SP and CS unchanged', () => {
    // SS = 100H (base 1000H), SP = 1002H: FLAGS goes to 2000H, CS to 1FFEH in the absent page 1000H.
    const { cpu, stop } = v86('fault: int 0x21\nhlt', { iopl: 3, stack: [0x100, 0x1002], absentPages: [0x1000] });
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(PF);
    expect(cpu.exceptionErrorCode).toBe(0b110); // user-mode write, not present (SDM 3A 4.7)
    expect(cpu.getReg('cr2')).toBe(0x1ffe);
    expect(cpu.getReg('eip')).toBe(0);
    expect(cpu.getReg('esp')).toBe(0x1002);
    expect(cpu.getReg('cs')).toBe(V86_CS);
  });
});

describe('INT n from virtual-8086 mode through the IDT (SDM 2 "INT n" INTERRUPT-FROM-VIRTUAL-8086-MODE)', () => {
  const GDT = 0x800;
  const IDT = 0x4000;
  it.each([
    ['a conforming DPL-0 code segment', 0x9e, 0],
    ['a non-conforming DPL-3 code segment', 0xfa, 0],
    ['a conforming DPL-0 code segment, the event external', 0x9e, 1],
  ])('a gate to %s raises #GP(selector + EXT)', (name, access, ext) => {
    const { cpu, stop } = v86(ext ? 'nop\nhlt' : 'int 0x21\nhlt', {
      iopl: 3,
      notRedirected: true,
      setup: (c, memory) => {
        const [dlo, dhi] = descriptor(0, 0xfffff, access, 0xc);
        put32(memory, GDT + 8, dlo);
        put32(memory, GDT + 12, dhi);
        c.state.gdtrBaseLo = GDT;
        c.state.gdtrLimit = 0xf;
        const [glo, ghi] = gate(0x08, 0, 0xe, 3);
        put32(memory, IDT + 0x21 * 8, glo);
        put32(memory, IDT + 0x21 * 8 + 4, ghi);
        c.state.idtrBaseLo = IDT;
        c.state.idtrLimit = 0x7ff;
        if (name.includes('external')) {
          c.interrupts = oneShotInterrupt(0x21);
          c.setReg('eflags', FLAG_VM | 0x3000 | 0x200 | 2);
        }
      },
    });
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(13);
    expect(cpu.exceptionErrorCode).toBe(0x08 | ext);
    expect(cpu.getReg('cs')).toBe(V86_CS);
  });
});
