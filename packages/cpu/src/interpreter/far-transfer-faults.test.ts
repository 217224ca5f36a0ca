// Faults half-way through a privilege-changing far transfer (call gate CALL, RETF and IRET to an
// outer level): the fault is taken with the caller's CS, EIP, SS, ESP, EFLAGS and CPL, as SDM 3A
// 6.5 requires of a fault ("the state is restored so the instruction can be restarted").
import type { PhysicalMemory } from '@typevisor/mmu';
import { describe, expect, it } from 'vitest';
import { SEG_CS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS, SEG_TR } from '../state/cpu-state.ts';
import {
  ACC_CODE_RX,
  ACC_DATA_RW,
  descriptor,
  FLAG_DB,
  FLAG_G,
  FLAG_L,
  gate,
  type Guest,
  protectedGuest,
  put16,
  put32,
} from '../test-support/protected-guest.ts';
import { oneShotInterrupt } from '../test-support/one-shot-interrupt.ts';
import { StopReason } from './contracts.ts';
import type { Cpu } from './cpu.ts';

const TS = 10;
const SS = 12;
const GP = 13;
const PF = 14;
const TSS = 0x3000;
const PAGE_DIRECTORY = 0x20000;
const PAGE_TABLE = 0x21000;
/** PTE/PDE bits: present, writable, user. */
const PRESENT_WRITABLE_USER = 7;

/** 32-bit paging identity-mapping the first 4 MiB as user pages, except the pages in `absent` (and `readOnly` without W). */
function pageIdentity(memory: PhysicalMemory, cpu: Cpu, absent: number[], readOnly: number[] = []): void {
  put32(memory, PAGE_DIRECTORY, PAGE_TABLE | PRESENT_WRITABLE_USER);
  for (let i = 0; i < 1024; i++) {
    const bits = readOnly.includes(i * 4096) ? PRESENT_WRITABLE_USER & ~2 : PRESENT_WRITABLE_USER;
    put32(memory, PAGE_TABLE + 4 * i, absent.includes(i * 4096) ? 0 : (i * 4096) | bits);
  }
  cpu.state.cr3Lo = PAGE_DIRECTORY;
  cpu.state.cr0 = (cpu.state.cr0 | 0x80000000) >>> 0;
  cpu.stateChanged();
}

/** The caller's architectural state, to compare before and after a fault. */
function callerState(cpu: Cpu) {
  return {
    cs: cpu.getReg('cs'),
    ss: cpu.getReg('ss'),
    esp: cpu.getReg('esp'),
    eflags: cpu.getReg('eflags'),
    cpl: cpu.cpl,
    csBase: cpu.state.segBaseLo[SEG_CS],
    csAttr: cpu.state.segAttr[SEG_CS],
    ssAttr: cpu.state.segAttr[SEG_SS],
    ssLimit: cpu.state.segLimit[SEG_SS],
  };
}

// 32-bit GDT: 0x08 ring-0 code, 0x10 ring-0 data, 0x18 ring-3 code, 0x20 ring-3 data, 0x28 ring-3
// data not present, 0x30 32-bit call gate (DPL 3, one parameter) to 0x08:kernel, 0x38 TSS, 0x40
// ring-0 data not present.
const GDT32: [number, number][] = [
  descriptor(0, 0xfffff, ACC_CODE_RX, FLAG_G | FLAG_DB),
  descriptor(0, 0xfffff, ACC_DATA_RW, FLAG_G | FLAG_DB),
  descriptor(0, 0xfffff, ACC_CODE_RX | 0x60, FLAG_G | FLAG_DB),
  descriptor(0, 0xfffff, ACC_DATA_RW | 0x60, FLAG_G | FLAG_DB),
  descriptor(0, 0xfffff, (ACC_DATA_RW | 0x60) & 0x7f, FLAG_G | FLAG_DB),
  [0, 0],
  descriptor(TSS, 0x67, 0x89, 0),
  descriptor(0, 0xfffff, ACC_DATA_RW & 0x7f, FLAG_G | FLAG_DB),
];

/** Runs `body` (32-bit, labels `fault` and `kernel` available) at CPL `cpl` with TR = 0x38. */
function run32(body: string, cpl: 0 | 3, setup?: (g: Guest) => void) {
  const g = protectedGuest({ bits: 32, gdt: GDT32, source: `bits 32\n${body}` });
  const [lo, hi] = gate(0x08, g.sym('kernel'), 0xc, 3, 1);
  put32(g.memory, 0x800 + 0x30, lo);
  put32(g.memory, 0x800 + 0x34, hi);
  g.cpu.setSegmentRaw(SEG_TR, 0x38, TSS, 0x67, 0x8b);
  if (cpl === 3) {
    for (const seg of [SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS]) g.cpu.setSegmentRaw(seg, 0x23, 0, 0xffffffff, 0xc0f3);
    g.cpu.setSegmentRaw(SEG_CS, 0x1b, 0, 0xffffffff, 0xc0fb);
  }
  setup?.(g);
  let before = callerState(g.cpu);
  const snapshotAtFault = (cpu: Cpu) => {
    before = callerState(cpu);
    return false;
  };
  g.cpu.hooks.code = new Map([[g.sym('fault'), snapshotAtFault]]);
  const stop = g.cpu.run({ maxInstructions: 50 });
  return { ...g, stop, before: () => before };
}

describe('a fault while pushing onto the new stack of an inner call-gate CALL (SDM 2 "CALL")', () => {
  const program = `
    push 0x5a                 ; the gate's one parameter
  fault:
    call 0x33:0
    hlt
  kernel:
    hlt
  `;

  it.each([
    ['the whole new stack page is not present', 0x6000, 0x5ffc],
    ['the frame crosses into a page that is not present', 0x6004, 0x5ffc],
  ])('#PF when %s: caller CS, EIP, SS, ESP and CPL intact, CR2 at the failing push', (_name, esp0, cr2) => {
    const { cpu, stop, sym, before } = run32(program, 3, (g) => {
      put32(g.memory, TSS + 4, esp0);
      put16(g.memory, TSS + 8, 0x10);
      pageIdentity(g.memory, g.cpu, [0x5000]);
    });
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(PF);
    // SDM 3A 4.7: a supervisor-mode write to a page that is not present.
    expect(cpu.exceptionErrorCode).toBe(0b010);
    expect(cpu.getReg('cr2')).toBe(cr2);
    expect(cpu.getReg('eip')).toBe(sym('fault'));
    expect(callerState(cpu)).toEqual(before());
    expect(cpu.cpl).toBe(3);
  });

  it('still calls through the gate once the page is present (the rollback changes nothing else)', () => {
    const { cpu, stop, sym } = run32(program, 3, (g) => {
      put32(g.memory, TSS + 4, 0x6004);
      put16(g.memory, TSS + 8, 0x10);
      pageIdentity(g.memory, g.cpu, []);
    });
    expect(stop).toBe(StopReason.Halt);
    expect(cpu.cpl).toBe(0);
    expect(cpu.getReg('eip')).toBe(sym('kernel') + 1); // past the kernel's HLT
    expect(cpu.getReg('esp')).toBe(0x6004 - 5 * 4);
  });

  // SDM 2 "CALL" MORE-PRIVILEGE: #TS(TSS selector) when ESP0:SS0 (bytes 4-9) pass the TSS
  // limit; #TS(SS selector) for a bad SS0; #SS(SS selector) for one that is not present.
  it.each([
    ['a TSS whose limit ends inside SS0', 8, 0x10, TS, 0x38],
    ['an SS0 that is not present', 0x67, 0x40, SS, 0x40],
    ['an SS0 with RPL 3 on a DPL-0 segment', 0x67, 0x13, TS, 0x10],
    ['a null SS0', 0x67, 0, TS, 0],
  ])('%s faults with the caller state intact', (_name, tssLimit, ss0, vector, errorCode) => {
    const { cpu, stop, sym, before } = run32(program, 3, (g) => {
      put32(g.memory, TSS + 4, 0x6000);
      put16(g.memory, TSS + 8, ss0);
      g.cpu.setSegmentRaw(SEG_TR, 0x38, TSS, tssLimit, 0x8b);
    });
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(vector);
    expect(cpu.exceptionErrorCode).toBe(errorCode);
    expect(cpu.getReg('eip')).toBe(sym('fault'));
    expect(callerState(cpu)).toEqual(before());
  });
});

describe('the TSS limit check on the inner stack slot (SDM 2 "CALL" MORE-PRIVILEGE, "INT n")', () => {
  const program = 'push 0x5a\nfault:\ncall 0x33:0\nhlt\nkernel:\nhlt';
  // The SDM checks the last byte the CPU reads: SS0, 2 bytes at TSSstackAddress + 4 (32-bit TSS,
  // TSSstackAddress + 5) or + 2 (16-bit TSS, + 3). The 2 bytes past SS0 in a 32-bit TSS are
  // reserved and not read, so a limit ending on SS0 is enough.
  it.each([
    ['a 32-bit TSS with limit 9 (ending on SS0) lets the CALL through to ring 0', 0x8b, 9, 4, 8, null],
    ['a 32-bit TSS with limit 8 (SS0 cut in half) is #TS(TSS selector)', 0x8b, 8, 4, 8, 0x38],
    ['a 16-bit TSS with limit 5 (ending on SS0) lets the CALL through to ring 0', 0x83, 5, 2, 4, null],
    ['a 16-bit TSS with limit 4 (SS0 cut in half) is #TS(TSS selector)', 0x83, 4, 2, 4, 0x38],
  ])('%s', (_name, type, limit, spAt, ssAt, tsError) => {
    const { cpu, stop, sym } = run32(program, 3, (g) => {
      if (type === 0x8b) put32(g.memory, TSS + spAt, 0x6000);
      else put16(g.memory, TSS + spAt, 0x6000);
      put16(g.memory, TSS + ssAt, 0x10);
      g.cpu.setSegmentRaw(SEG_TR, 0x38, TSS, limit, type);
    });
    if (tsError === null) {
      expect(stop).toBe(StopReason.Halt);
      expect(cpu.cpl).toBe(0);
      expect(cpu.getReg('ss')).toBe(0x10);
      expect(cpu.getReg('eip')).toBe(sym('kernel') + 1);
    } else {
      expect(stop).toBe(StopReason.Exception);
      expect(cpu.exceptionVector).toBe(TS);
      expect(cpu.exceptionErrorCode).toBe(tsError);
      expect(cpu.getReg('eip')).toBe(sym('fault'));
    }
  });
});

describe('a fault on the outer SS of RETF and IRET (SDM 2 "RET", "IRET")', () => {
  const frame = (ss: number) => `
    push ${ss}
    push 0x7000
    push 0x1b
    push user
  `;
  it.each([
    ['RETF', 'an SS with RPL 3 on a DPL-0 data segment', `${frame(0x13)}fault: retf`, GP, 0x10],
    ['RETF', 'an SS that is not present', `${frame(0x2b)}fault: retf`, SS, 0x28],
    ['RETF', 'a null SS', `${frame(0)}fault: retf`, GP, 0],
    [
      'IRETD',
      'an SS with RPL 3 on a DPL-0 data segment',
      `push 0x13\npush 0x7000\npush 0x3246\npush 0x1b\npush user\nfault: iretd`,
      GP,
      0x10,
    ],
    [
      'IRETD',
      'an SS that is not present',
      `push 0x2b\npush 0x7000\npush 0x3246\npush 0x1b\npush user\nfault: iretd`,
      SS,
      0x28,
    ],
  ])(
    '%s to CPL 3 with %s faults at CPL 0 with CS, SS, ESP and EFLAGS unchanged',
    (_i, _name, code, vector, errorCode) => {
      const { cpu, stop, sym, before } = run32(`${code}\nuser: hlt\nkernel: hlt`, 0);
      expect(stop).toBe(StopReason.Exception);
      expect(cpu.exceptionVector).toBe(vector);
      expect(cpu.exceptionErrorCode).toBe(errorCode);
      expect(cpu.getReg('eip')).toBe(sym('fault'));
      expect(callerState(cpu)).toEqual(before());
      expect(cpu.cpl).toBe(0);
    },
  );
});

/**
 * A 64-bit guest at CPL 3 that does `call far` (or `jmp far`) through the 64-bit call gate 0x18 to
 * `target`:kernel, with TSS.RSP0 = `rsp0` (lo, hi). GDT: 0x08 64-bit ring-0 code, 0x10 ring-0
 * data, 0x18 the gate (16 bytes), 0x28 64-bit ring-3 code, 0x30 ring-3 data, 0x38 64-bit TSS
 * (16 bytes), 0x48 32-bit ring-0 code.
 */
function run64(branch: 'call' | 'jmp', target: number, rsp0: [number, number]) {
  const g = protectedGuest({
    bits: 64,
    gdt: [
      descriptor(0, 0xfffff, ACC_CODE_RX, FLAG_G | FLAG_L),
      descriptor(0, 0xfffff, ACC_DATA_RW, FLAG_G | FLAG_DB),
      [0, 0],
      [0, 0],
      descriptor(0, 0xfffff, ACC_CODE_RX | 0x60, FLAG_G | FLAG_L),
      descriptor(0, 0xfffff, ACC_DATA_RW | 0x60, FLAG_G | FLAG_DB),
      descriptor(TSS, 0x67, 0x89, 0),
      [0, 0],
      descriptor(0, 0xfffff, ACC_CODE_RX, FLAG_G | FLAG_DB),
    ],
    source: `bits 64\nfault: ${branch} far [rel ptr]\nhlt\nkernel: hlt\nptr: dq 0\ndw 0x1b`,
  });
  const [lo, hi] = gate(target, g.sym('kernel'), 0xc, 3);
  put32(g.memory, 0x800 + 0x18, lo);
  put32(g.memory, 0x800 + 0x1c, hi);
  put32(g.memory, TSS + 4, rsp0[0]);
  put32(g.memory, TSS + 8, rsp0[1]);
  g.cpu.setSegmentRaw(SEG_TR, 0x38, TSS, 0x67, 0x8b);
  for (const seg of [SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS]) g.cpu.setSegmentRaw(seg, 0x33, 0, 0xffffffff, 0xc0f3);
  g.cpu.setSegmentRaw(SEG_CS, 0x2b, 0, 0xffffffff, 0xa0fb);
  const before = callerState(g.cpu);
  const stop = g.cpu.run({ maxInstructions: 10 });
  return { ...g, stop, before };
}

describe('faults of 64-bit call gates (SDM 2 "CALL", "JMP" in IA-32e mode)', () => {
  it.each([
    // RSP0 = 0000_8000_0000_0020: the frame's lowest push lands on 0000_8000_0000_0000, not canonical.
    ['CALL with a TSS RSP0 whose frame is not canonical', 'call', 0x08, [0x20, 0x8000], SS, 0],
    ['CALL to a 32-bit code segment', 'call', 0x48, [0x7000, 0], GP, 0x48],
    ['JMP to non-conforming code of another privilege', 'jmp', 0x08, [0x7000, 0], GP, 0x08],
  ] as const)('%s faults at CPL 3 with CS, SS, RSP and the CPL intact', (_name, branch, target, rsp0, vector, code) => {
    const { cpu, stop, sym, before } = run64(branch, target, [rsp0[0], rsp0[1]]);
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(vector);
    expect(cpu.exceptionErrorCode).toBe(code);
    expect(cpu.getReg('rip')).toBe(sym('fault'));
    expect(callerState(cpu)).toEqual(before);
    expect(cpu.cpl).toBe(3);
  });

  it('CALL to 64-bit ring-0 code switches to RSP0 and pushes SS, RSP, CS, RIP as 8-byte slots', () => {
    const { cpu, stop, sym } = run64('call', 0x08, [0x7000, 0]);
    expect(stop).toBe(StopReason.Halt);
    expect(cpu.cpl).toBe(0);
    expect(cpu.getReg('rip')).toBe(sym('kernel') + 1);
    expect(cpu.getReg('rsp')).toBe(0x7000 - 32);
  });
});

describe('stack-switch faults of an interrupt from CPL 3 carry EXT (SDM 2 "INT n": error_code(sel, 0, EXT))', () => {
  const IDT = 0x4000;
  it.each([
    ['INT 40H', 'software', 8, 0x10, TS, 0x38],
    ['an external interrupt', 'external', 8, 0x10, TS, 0x39],
    ['INT 40H', 'software', 0x67, 0x40, SS, 0x40],
    ['an external interrupt', 'external', 0x67, 0x40, SS, 0x41],
    ['an external interrupt', 'external', 0x67, 0x13, TS, 0x11],
  ])(
    '%s (%s) with TSS limit %i and SS0 %i raises vector %i with error code %i',
    (_n, kind, limit, ss0, vector, code) => {
      const { cpu, stop } = run32('nop\nfault: int 0x40\nhlt\nkernel: hlt', 3, (g) => {
        const [lo, hi] = gate(0x08, g.sym('kernel'), 0xe, 3);
        put32(g.memory, IDT + 0x40 * 8, lo);
        put32(g.memory, IDT + 0x40 * 8 + 4, hi);
        g.cpu.state.idtrBaseLo = IDT;
        g.cpu.state.idtrLimit = 0x7ff;
        put32(g.memory, TSS + 4, 0x6000);
        put16(g.memory, TSS + 8, ss0);
        g.cpu.setSegmentRaw(SEG_TR, 0x38, TSS, limit, 0x8b);
        if (kind === 'external') {
          g.cpu.interrupts = oneShotInterrupt(0x40);
          g.cpu.setReg('eflags', 0x202);
        }
      });
      expect(stop).toBe(StopReason.Exception);
      expect(cpu.exceptionVector).toBe(vector);
      expect(cpu.exceptionErrorCode).toBe(code);
      expect(cpu.cpl).toBe(3);
    },
  );
});

describe('a #PF on the second push of a far CALL at the same privilege (SDM 2 "CALL")', () => {
  it.each([
    ['to a code segment', 'fault: call 0x08:target'],
    ['through a call gate to conforming code', 'fault: call 0x48:0'],
  ])('%s leaves ESP and EIP on the CALL', (name, call) => {
    const { cpu, stop, sym } = run32(`${call}\nhlt\ntarget: hlt\nkernel: hlt`, 0, (g) => {
      if (name.includes('gate')) {
        // 0x48: a DPL-0 call gate to 0x50, conforming ring-0 code.
        const [lo, hi] = gate(0x50, g.sym('target'), 0xc, 0);
        put32(g.memory, 0x800 + 0x48, lo);
        put32(g.memory, 0x800 + 0x4c, hi);
        const [clo, chi] = descriptor(0, 0xfffff, ACC_CODE_RX | 4, FLAG_G | FLAG_DB);
        put32(g.memory, 0x800 + 0x50, clo);
        put32(g.memory, 0x800 + 0x54, chi);
        g.cpu.state.gdtrLimit = 0x57;
      }
      // CS goes to 6000H-6003H, the return EIP to 5FFCH on the page that is not present.
      g.cpu.setReg('esp', 0x6004);
      pageIdentity(g.memory, g.cpu, [0x5000]);
    });
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(PF);
    expect(cpu.getReg('cr2')).toBe(0x5ffc);
    expect(cpu.getReg('eip')).toBe(sym('fault'));
    expect(cpu.getReg('esp')).toBe(0x6004);
    expect(cpu.getReg('cs')).toBe(0x08);
  });
});

describe('a #PF on the CS accessed-bit write of a same-privilege RETF or IRET (SDM 3A 3.4.5.1)', () => {
  it.each([
    ['RETF', 'push 0x08\npush target\nfault: retf'],
    ['IRETD', 'pushfd\npush 0x08\npush target\nfault: iretd'],
  ])('%s leaves ESP and EIP on the instruction when the GDT page is read-only under CR0.WP', (name, code) => {
    const { cpu, stop, sym } = run32(`${code}\nhlt\ntarget: hlt\nkernel: hlt`, 0, (g) => {
      pageIdentity(g.memory, g.cpu, [], [0]); // the GDT at 800H; descriptor 08H has its accessed bit clear
      g.cpu.state.cr0 = (g.cpu.state.cr0 | 0x10000) >>> 0; // CR0.WP: supervisor writes honour R/W
      g.cpu.stateChanged();
    });
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(PF);
    expect(cpu.exceptionErrorCode).toBe(0b011); // supervisor write to a present page
    expect(cpu.getReg('eip')).toBe(sym('fault'));
    expect(cpu.getReg('esp')).toBe(0x8000 - (name === 'RETF' ? 8 : 12));
  });
});

describe('a far JMP through a call gate never changes privilege (SDM 2 "JMP" CALL-GATE)', () => {
  it('raises #GP(code selector) for non-conforming code whose DPL differs from the CPL', () => {
    const { cpu, stop, sym, before } = run32('fault: jmp 0x33:0\nhlt\nkernel: hlt', 3);
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(GP);
    expect(cpu.exceptionErrorCode).toBe(0x08);
    expect(cpu.getReg('eip')).toBe(sym('fault'));
    expect(callerState(cpu)).toEqual(before());
  });
});
