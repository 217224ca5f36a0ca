import type { PhysicalMemory } from '@typevisor/mmu';
import { describe, expect, it } from 'vitest';
import { SEG_LDTR, SEG_TR } from '../state/cpu-state.ts';
import {
  ACC_CODE_RX,
  ACC_DATA_RW,
  CODE_BASE,
  descriptor,
  FLAG_DB,
  FLAG_G,
  FLAG_L,
  GDT_BASE,
  type Guest,
  gate,
  get16,
  get32,
  protectedGuest,
  put16,
  put32,
} from '../test-support/protected-guest.ts';
import { StopReason } from './contracts.ts';
import { CR0_TS } from './cpu.ts';
import { TaskSwitchSource } from './task-switch.ts';

const TS = 10;
const NP = 11;
const SS = 12;
const GP = 13;

/** TSS bases: A is the running task, B and E are 32-bit, C is 16-bit. */
const TSS_A = 0x3000;
const TSS_B = 0x3100;
const TSS_C = 0x3200;
const TSS_E = 0x3300;
const LDT = 0x3400;
const IDT = 0x4000;

/** A descriptor's access byte for a TSS: present, DPL `dpl`, type 9 (32-bit available) or 1 (16-bit). */
const tssAccess = (type: number, dpl = 0, present = true) => (present ? 0x80 : 0) | (dpl << 5) | type;

// GDT: 0x08 code, 0x10 data, 0x18 TSS A, 0x20 TSS B, 0x28 task gate -> B, 0x30 16-bit TSS C,
// 0x38 LDT, 0x40 TSS with a too-small limit, 0x48 TSS not present, 0x50 code based at CODE_BASE,
// 0x58 TSS E (its state is made bad per test), 0x60 data not present, 0x68 64-bit code.
const GDT: [number, number][] = [
  descriptor(0, 0xfffff, ACC_CODE_RX, FLAG_G | FLAG_DB),
  descriptor(0, 0xfffff, ACC_DATA_RW, FLAG_G | FLAG_DB),
  descriptor(TSS_A, 0x67, tssAccess(9), 0),
  descriptor(TSS_B, 0x67, tssAccess(9), 0),
  gate(0x20, 0, 5),
  descriptor(TSS_C, 0x2b, tssAccess(1), 0),
  descriptor(LDT, 0x0f, 0x82, 0),
  descriptor(TSS_B, 0x60, tssAccess(9), 0),
  descriptor(TSS_B, 0x67, tssAccess(9, 0, false), 0),
  descriptor(CODE_BASE, 0xffff, ACC_CODE_RX, 0),
  descriptor(TSS_E, 0x67, tssAccess(9), 0),
  descriptor(0, 0xfffff, 0x12, FLAG_G | FLAG_DB),
  descriptor(0, 0xfffff, ACC_CODE_RX, FLAG_G | FLAG_L),
];

interface TssState {
  eip: number;
  esp?: number;
  eflags?: number;
  eax?: number;
  cs?: number;
  ss?: number;
  ds?: number;
  ldt?: number;
  cr3?: number;
}

function writeTss32(memory: PhysicalMemory, base: number, t: TssState): void {
  put32(memory, base + 0x1c, t.cr3 ?? 0);
  put32(memory, base + 0x20, t.eip);
  put32(memory, base + 0x24, t.eflags ?? 2);
  put32(memory, base + 0x28, t.eax ?? 0);
  put32(memory, base + 0x38, t.esp ?? 0x6000);
  const segs = [t.ds ?? 0x10, t.cs ?? 0x08, t.ss ?? 0x10, t.ds ?? 0x10, t.ds ?? 0x10, t.ds ?? 0x10];
  for (let i = 0; i < 6; i++) put16(memory, base + 0x48 + 4 * i, segs[i]!);
  put16(memory, base + 0x60, t.ldt ?? 0);
}

function writeTss16(memory: PhysicalMemory, base: number, t: TssState): void {
  put16(memory, base + 0x0e, t.eip);
  put16(memory, base + 0x10, t.eflags ?? 2);
  put16(memory, base + 0x12, t.eax ?? 0);
  put16(memory, base + 0x1a, t.esp ?? 0x5000);
  const segs = [t.ds ?? 0x10, t.cs ?? 0x08, t.ss ?? 0x10, t.ds ?? 0x10];
  for (let i = 0; i < 4; i++) put16(memory, base + 0x22 + 2 * i, segs[i]!);
  put16(memory, base + 0x2a, t.ldt ?? 0);
}

/** Byte 5 of a GDT descriptor: P, DPL, S, type (the busy bit is type bit 1). */
const typeOf = (memory: PhysicalMemory, selector: number) => {
  const b = new Uint8Array(1);
  memory.readBytes((GDT_BASE + selector + 5) as never, b);
  return b[0]! & 0xf;
};

/** A 32-bit guest that has loaded TR = 0x18 (task A) and an IDT at 0x4000. */
function taskGuest(body: string, setup?: (g: Guest) => void, deliver = false): Guest & { stop: StopReason } {
  const g = protectedGuest({
    bits: 32,
    gdt: GDT,
    exceptions: deliver ? 'deliver' : 'stop',
    source: `bits 32\nmov ax, 0x18\nltr ax\nlidt [idtr]\n${body}\nidtr: dw 0x7ff\ndd ${IDT}`,
  });
  setup?.(g);
  return { ...g, stop: g.cpu.run({ maxInstructions: 200 }) };
}

describe('task switches through CALL, JMP and IRET (32-bit TSS)', () => {
  const body = `
    mov eax, 0xaaaa
    call 0x20:0
  back:
    mov [0x7000], eax
    hlt
  task_b:
    mov dword [0x7004], 0xbbbb
    pushfd
    pop dword [0x7008]
    iretd
  `;
  const setup = (g: Guest) => writeTss32(g.memory, TSS_B, { eip: g.sym('task_b'), eax: 0x1234, ldt: 0x38 });

  it('CALL to a TSS nests: saves the old task, links back, sets NT and both busy bits, IRET returns', () => {
    const g = taskGuest(body, setup);
    expect(g.stop).toBe(StopReason.Halt);
    // Task B ran with NT set and its own EAX; task A resumed after the CALL with its saved EAX.
    expect(get32(g.memory, 0x7004)).toBe(0xbbbb);
    expect(get32(g.memory, 0x7008) & 0x4000).toBe(0x4000);
    expect(get32(g.memory, 0x7000)).toBe(0xaaaa);
    expect(get16(g.memory, TSS_B)).toBe(0x18); // previous-task link
    expect(get32(g.memory, TSS_A + 0x20)).toBe(g.sym('back')); // EIP saved in the old TSS
    expect(get32(g.memory, TSS_A + 0x28)).toBe(0xaaaa); // EAX saved in the old TSS
    expect(g.cpu.state.segSelector[SEG_TR]).toBe(0x18);
    expect(typeOf(g.memory, 0x18)).toBe(0xb); // A still busy
    expect(typeOf(g.memory, 0x20)).toBe(0x9); // B released by the IRET
    expect(g.cpu.state.cr0 & CR0_TS).toBe(CR0_TS);
    // IRET saved B's EFLAGS with NT clear.
    expect(get32(g.memory, TSS_B + 0x24) & 0x4000).toBe(0);
  });

  it('loads LDTR from the new TSS', () => {
    const g = taskGuest('call 0x20:0\nhlt\ntask_b:\nsldt [0x7000]\nhlt', (x) =>
      writeTss32(x.memory, TSS_B, { eip: x.sym('task_b'), ldt: 0x38 }),
    );
    expect(g.stop).toBe(StopReason.Halt);
    expect(get16(g.memory, 0x7000)).toBe(0x38);
    expect(g.cpu.state.segBaseLo[SEG_LDTR]).toBe(LDT);
  });

  it('JMP through a task gate does not nest: the old task is released, no link, NT clear', () => {
    const g = taskGuest('mov word [0x3100], 0x5555\njmp 0x28:0\nhlt\ntask_b:\npushfd\npop dword [0x7008]\nhlt', (x) =>
      writeTss32(x.memory, TSS_B, { eip: x.sym('task_b') }),
    );
    expect(g.stop).toBe(StopReason.Halt);
    expect(g.cpu.state.segSelector[SEG_TR]).toBe(0x20);
    expect(typeOf(g.memory, 0x18)).toBe(0x9);
    expect(typeOf(g.memory, 0x20)).toBe(0xb);
    expect(get16(g.memory, TSS_B)).toBe(0x5555);
    expect(get32(g.memory, 0x7008) & 0x4000).toBe(0);
  });

  it('raises the #DB trap in the new task when its TSS has the T flag set', () => {
    const g = taskGuest('jmp 0x20:0\ntask_b: hlt', (x) => {
      writeTss32(x.memory, TSS_B, { eip: x.sym('task_b') });
      put16(x.memory, TSS_B + 0x64, 1);
    });
    expect(g.stop).toBe(StopReason.Exception);
    expect(g.cpu.exceptionVector).toBe(1);
    expect(g.cpu.state.segSelector[SEG_TR]).toBe(0x20);
    expect(g.cpu.getReg('eip')).toBe(g.sym('task_b'));
  });

  it('loads CR3 from a 32-bit TSS', () => {
    const g = taskGuest('jmp 0x20:0\ntask_b: hlt', (x) =>
      writeTss32(x.memory, TSS_B, { eip: x.sym('task_b'), cr3: 0x9000 }),
    );
    expect(g.stop).toBe(StopReason.Halt);
    expect(g.cpu.getReg('cr3')).toBe(0x9000);
  });

  it('switches to a 16-bit TSS and back (IP, FLAGS, 16-bit registers)', () => {
    const g = taskGuest(
      'mov eax, 0x11112222\ncall 0x30:0\nmov [0x7000], eax\nhlt\nbits 16\ntask_c:\nmov word [0x7004], 0xcccc\niret\nbits 32',
      (x) => writeTss16(x.memory, TSS_C, { eip: x.sym('task_c') - CODE_BASE, cs: 0x50, eax: 0x3333 }),
    );
    expect(g.stop).toBe(StopReason.Halt);
    expect(get16(g.memory, 0x7004)).toBe(0xcccc);
    expect(get32(g.memory, 0x7000)).toBe(0x11112222);
    expect(get16(g.memory, TSS_C)).toBe(0x18);
    expect(typeOf(g.memory, 0x30)).toBe(0x1);
  });
});

describe('task switches through IDT task gates', () => {
  it('INT n through a task gate nests, and IRET returns after the INT', () => {
    const g = taskGuest('int 0x40\nmov dword [0x7000], 1\nhlt\ntask_b:\nmov dword [0x7004], 2\niretd', (x) => {
      writeTss32(x.memory, TSS_B, { eip: x.sym('task_b') });
      const [lo, hi] = gate(0x20, 0, 5);
      put32(x.memory, IDT + 0x40 * 8, lo);
      put32(x.memory, IDT + 0x40 * 8 + 4, hi);
    });
    expect(g.stop).toBe(StopReason.Halt);
    expect(get32(g.memory, 0x7004)).toBe(2);
    expect(get32(g.memory, 0x7000)).toBe(1);
  });

  it('an exception with an error code through a task gate pushes it on the new task stack', () => {
    const g = taskGuest(
      'mov ax, 0x60\nfault: mov ds, ax\nhlt\ntask_b:\npop eax\nmov [0x7000], eax\nhlt',
      (x) => {
        writeTss32(x.memory, TSS_B, { eip: x.sym('task_b'), esp: 0x6000 });
        const [lo, hi] = gate(0x20, 0, 5);
        put32(x.memory, IDT + NP * 8, lo);
        put32(x.memory, IDT + NP * 8 + 4, hi);
      },
      true,
    );
    expect(g.stop).toBe(StopReason.Halt);
    expect(get32(g.memory, 0x7000)).toBe(0x60); // #NP(0x60)
    expect(get32(g.memory, TSS_A + 0x20)).toBe(g.sym('fault')); // a fault saves the faulting EIP
  });
});

describe('task-switch faults (SDM 3A Table 8-2 and the JMP/CALL/IRET pseudo-code)', () => {
  it.each([
    ['JMP to the busy current TSS', 'fault: jmp 0x18:0', GP, 0x18, 0x18],
    ['JMP to a TSS whose limit is below 67H', 'fault: jmp 0x40:0', TS, 0x40, 0x18],
    ['JMP to a TSS that is not present', 'fault: jmp 0x48:0', NP, 0x48, 0x18],
    ['JMP with RPL 3 to a DPL-0 TSS', 'fault: jmp 0x23:0', GP, 0x20, 0x18],
    [
      'IRET with NT=1 whose link names an available TSS',
      'mov word [0x3000], 0x20\npushfd\nor dword [esp], 0x4000\npopfd\nfault: iretd',
      TS,
      0x20,
      0x18,
    ],
  ])('%s raises the fault in the old task', (_name, body, vector, code, tr) => {
    const g = taskGuest(body, (x) => writeTss32(x.memory, TSS_B, { eip: x.sym('fault') }));
    expect(g.stop).toBe(StopReason.Exception);
    expect(g.cpu.exceptionVector).toBe(vector);
    expect(g.cpu.exceptionErrorCode).toBe(code);
    expect(g.cpu.state.segSelector[SEG_TR]).toBe(tr);
    expect(g.cpu.getReg('eip')).toBe(g.sym('fault'));
  });

  it.each([
    ['a CS that names a data segment', { cs: 0x10 }, TS, 0x10],
    ['a null SS', { ss: 0 }, TS, 0],
    ['an SS that is not present', { ss: 0x60 }, SS, 0x60],
    ['a DS that is not present', { ds: 0x60 }, NP, 0x60],
    ['an LDT selector that is not an LDT', { ldt: 0x10 }, TS, 0x10],
    ['a CS selector beyond the GDT', { cs: 0x1f8 }, TS, 0x1f8],
  ])('a new task with %s faults in the new task', (_name, state, vector, code) => {
    const g = taskGuest('jmp 0x58:0\nhlt\ntask_e: hlt', (x) =>
      writeTss32(x.memory, TSS_E, { eip: x.sym('task_e'), ...state }),
    );
    expect(g.stop).toBe(StopReason.Exception);
    expect(g.cpu.exceptionVector).toBe(vector);
    expect(g.cpu.exceptionErrorCode).toBe(code);
    expect(g.cpu.state.segSelector[SEG_TR]).toBe(0x58);
    expect(g.cpu.getReg('eip')).toBe(g.sym('task_e'));
  });

  it('raises #GP(0) when the new EIP is beyond the new CS limit', () => {
    const g = taskGuest('jmp 0x58:0\nhlt', (x) => writeTss32(x.memory, TSS_E, { eip: 0x20000, cs: 0x50 }));
    expect(g.stop).toBe(StopReason.Exception);
    expect(g.cpu.exceptionVector).toBe(GP);
    expect(g.cpu.exceptionErrorCode).toBe(0);
    expect(g.cpu.state.segSelector[SEG_TR]).toBe(0x58);
  });
});

describe('task switches in IA-32e mode', () => {
  it('IRET with NT=1 raises #GP(0)', () => {
    const g = protectedGuest({
      bits: 64,
      gdt: GDT,
      source: 'bits 64\npushfq\nor dword [rsp], 0x4000\npopfq\nfault: iretq',
    });
    expect(g.cpu.run({ maxInstructions: 10 })).toBe(StopReason.Exception);
    expect(g.cpu.exceptionVector).toBe(GP);
    expect(g.cpu.exceptionErrorCode).toBe(0);
    expect(g.cpu.getReg('rip')).toBe(g.sym('fault'));
  });

  it('a far JMP to a TSS descriptor raises #GP(selector)', () => {
    const g = protectedGuest({ bits: 64, gdt: GDT, source: 'bits 64\nfault: jmp far [rel ptr]\nptr: dq 0\ndw 0x20' });
    expect(g.cpu.run({ maxInstructions: 10 })).toBe(StopReason.Exception);
    expect(g.cpu.exceptionVector).toBe(GP);
    expect(g.cpu.exceptionErrorCode).toBe(0x20);
  });
});

describe('task switches in VMX non-root operation', () => {
  it('exit through interception.taskSwitch after the TSS checks, before anything changes', () => {
    const calls: number[][] = [];
    const g = protectedGuest({
      bits: 32,
      gdt: GDT,
      source: 'bits 32\nmov ax, 0x18\nltr ax\nfault: call 0x20:0\nhlt',
    });
    g.cpu.run({ maxInstructions: 2 });
    g.cpu.interception = {
      taskSwitch: (sel: number, src: number, len: number) => {
        calls.push([sel, src, len]);
        return true;
      },
    } as never;
    expect(g.cpu.run({ maxInstructions: 10 })).toBe(StopReason.VmExit);
    expect(calls).toEqual([[0x20, TaskSwitchSource.Call, 7]]);
    expect(g.cpu.getReg('eip')).toBe(g.sym('fault'));
    expect(g.cpu.getReg('esp')).toBe(0x8000);
    expect(g.cpu.state.segSelector[SEG_TR]).toBe(0x18);
    expect(typeOf(g.memory, 0x20)).toBe(0x9);
  });
});
