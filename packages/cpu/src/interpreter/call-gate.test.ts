import { describe, expect, it } from 'vitest';
import { SEG_CS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS, SEG_TR } from '../state/cpu-state.ts';
import {
  ACC_CODE_RX,
  ACC_DATA_RW,
  descriptor,
  FLAG_DB,
  FLAG_G,
  gate,
  get32,
  protectedGuest,
  put16,
  put32,
} from '../test-support/protected-guest.ts';
import { StopReason } from './contracts.ts';

const SS = 12;
const GP = 13;
const TSS = 0x3000;
const IDT = 0x4000;

// GDT: 0x08 ring-0 code, 0x10 ring-0 data, 0x18 ring-0 data with limit 0FH (a stack with no
// room), 0x20 32-bit call gate (DPL 3, 2 parameters) to 0x08:kernel, 0x28 ring-3 code, 0x30
// ring-3 data. The caller runs at CPL 3 on 0x2b / 0x33.
function guest(source: string, ss0: number, esp0: number, setup?: (g: ReturnType<typeof protectedGuest>) => void) {
  const g = protectedGuest({
    bits: 32,
    gdt: [
      descriptor(0, 0xfffff, ACC_CODE_RX, FLAG_G | FLAG_DB),
      descriptor(0, 0xfffff, ACC_DATA_RW, FLAG_G | FLAG_DB),
      descriptor(0, 0x0f, ACC_DATA_RW, FLAG_DB),
      [0, 0],
      descriptor(0, 0xfffff, ACC_CODE_RX | 0x60, FLAG_G | FLAG_DB),
      descriptor(0, 0xfffff, ACC_DATA_RW | 0x60, FLAG_G | FLAG_DB),
    ],
    source: `bits 32\n${source}`,
  });
  const [lo, hi] = gate(0x08, g.sym('kernel'), 0xc, 3, 2);
  put32(g.memory, 0x800 + 0x20, lo);
  put32(g.memory, 0x800 + 0x24, hi);
  put32(g.memory, TSS + 4, esp0);
  put16(g.memory, TSS + 8, ss0);
  for (const seg of [SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS]) g.cpu.setSegmentRaw(seg, 0x33, 0, 0xffffffff, 0xc0f3);
  g.cpu.setSegmentRaw(SEG_CS, 0x2b, 0, 0xffffffff, 0xc0fb);
  g.cpu.setSegmentRaw(SEG_TR, 0x38, TSS, 0x67, 0x8b);
  g.cpu.state.idtrBaseLo = IDT;
  g.cpu.state.idtrLimit = 0x7ff;
  g.cpu.setReg('esp', 0x8000);
  setup?.(g);
  return { ...g, stop: g.cpu.run({ maxInstructions: 50 }) };
}

describe('far CALL through a call gate to an inner privilege level (SDM 3A 5.8.5)', () => {
  const program = `
    push 0x11
    push 0x22
    call 0x23:0
  back:
    hlt                       ; CPL 3 again: #GP stops the run
  kernel:
    mov [0x7100], esp
    mov eax, [esp + 8]
    mov [0x7104], eax         ; first parameter (the last one pushed)
    mov eax, [esp + 12]
    mov [0x7108], eax
    mov eax, [esp + 16]
    mov [0x710c], eax         ; caller ESP
    retf 8
  `;

  it('copies the parameters onto the TSS stack in order and RETF n releases them on both stacks', () => {
    const { cpu, memory, stop, sym } = guest(program, 0x10, 0x7000);
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(GP);
    expect(cpu.getReg('eip')).toBe(sym('back'));
    expect(get32(memory, 0x7100)).toBe(0x7000 - 6 * 4); // SS, ESP, 2 params, CS, EIP
    expect(get32(memory, 0x7104)).toBe(0x22);
    expect(get32(memory, 0x7108)).toBe(0x11);
    expect(get32(memory, 0x710c)).toBe(0x8000 - 8);
    expect(get32(memory, 0x7000 - 4)).toBe(0x33); // caller SS
    expect(cpu.getReg('esp')).toBe(0x8000);
    expect(cpu.cpl).toBe(3);
  });

  it('raises #SS(new SS) when the new stack cannot hold the frame, with the caller state intact', () => {
    const { cpu, stop, sym } = guest(program.replace('call 0x23:0', 'fault: call 0x23:0'), 0x18, 0x8);
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(SS);
    expect(cpu.exceptionErrorCode).toBe(0x18);
    expect(cpu.getReg('eip')).toBe(sym('fault'));
    expect(cpu.getReg('esp')).toBe(0x8000 - 8);
    expect(cpu.getReg('ss')).toBe(0x33);
    expect(cpu.cpl).toBe(3);
  });
});

describe('interrupt stack switch without room (SDM 2 "INT n")', () => {
  it.each([
    ['INT n (software: EXT clear)', 'int 0x40', 0x18],
    ['an injected external interrupt (EXT set)', 'nop', 0x19],
  ])('%s raises #SS(new SS + EXT)', (name, code, errorCode) => {
    const { cpu, stop } = guest(`${code}\nhlt\nkernel: hlt`, 0x18, 0x8, (g) => {
      const [lo, hi] = gate(0x08, g.sym('kernel'), 0xe, 3);
      put32(g.memory, IDT + 0x40 * 8, lo);
      put32(g.memory, IDT + 0x40 * 8 + 4, hi);
      if (name.includes('external')) {
        let pending = true;
        g.cpu.interrupts = {
          hasInterrupt: () => pending,
          acknowledge: () => {
            pending = false;
            return 0x40;
          },
        };
        g.cpu.setReg('eflags', 0x202);
      }
    });
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(SS);
    expect(cpu.exceptionErrorCode).toBe(errorCode);
    expect(cpu.cpl).toBe(3);
  });
});

describe('far return privilege checks (SDM 2 "RET", "IRET")', () => {
  it.each([
    ['RETF', 'push 0x08\npush 0\nfault: retf'],
    ['IRETD', 'pushfd\npush 0x08\npush 0\nfault: iretd'],
  ])('%s to a non-conforming code segment whose DPL differs from the RPL raises #GP(selector)', (_name, code) => {
    // At CPL 3, returning to 0x0b (RPL 3) whose descriptor 0x08 has DPL 0.
    const { cpu, stop, sym } = guest(`${code.replace('push 0x08', 'push 0x0b')}\nkernel: hlt`, 0x10, 0x7000);
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(GP);
    expect(cpu.exceptionErrorCode).toBe(0x08);
    expect(cpu.getReg('eip')).toBe(sym('fault'));
  });
});
