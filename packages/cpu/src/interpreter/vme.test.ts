import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { SEG_CS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS, SEG_TR } from '../state/cpu-state.ts';
import { FLAG_IF, FLAG_TF, FLAG_VIF, FLAG_VIP, FLAG_VM } from '../state/flags.ts';
import {
  ACC_CODE_RX,
  ACC_DATA_RW,
  descriptor,
  FLAG_DB,
  FLAG_G,
  gate,
  get16,
  get32,
  protectedGuest,
  put16,
  put32,
} from '../test-support/protected-guest.ts';
import { StopReason } from './contracts.ts';
import { Cpu } from './cpu.ts';
import {
  CR4_PVI,
  CR4_VME,
  cliStiAccess,
  FlagAccess,
  V86Int,
  v86SoftwareInt,
  virtualFlagsImage,
  virtualPop,
} from './vme.ts';

const GP = 13;
/** The v8086 program runs at linear 20000H (CS = 2000H, IP = 0), stack SS:SP = 0:9000H. */
const V86_CS = 0x2000;
const TSS = 0x3000;
/** I/O map base 88H puts the 32-byte redirection bitmap at TSS+68H (SDM 3A Figure 20-5). */
const IOMAP = 0x88;

interface V86Options {
  cr4?: number;
  iopl?: number;
  flags?: number;
  /** Vectors whose redirection-bitmap bit is set (not redirected). */
  notRedirected?: number[];
}

/** A cpu in virtual-8086 mode at CPL 3 running `code` (16-bit); INT 21H's IVT entry points at `handler`. */
function v86Guest(code: string, o: V86Options = {}) {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x200000);
  const prog = assemble(`bits 16\n${code}\nhandler: hlt`, { bits: 16, org: 0 });
  memory.writeBytes(guestPhysical(V86_CS * 16), prog.bytes);
  put16(memory, 0x21 * 4, Number(prog.symbols.get('handler')));
  put16(memory, 0x21 * 4 + 2, V86_CS);
  put16(memory, TSS + 0x66, IOMAP);
  for (const v of o.notRedirected ?? []) {
    const at = TSS + IOMAP - 32 + (v >>> 3);
    const b = new Uint8Array(1);
    memory.readBytes(guestPhysical(at), b);
    memory.writeBytes(guestPhysical(at), new Uint8Array([b[0]! | (1 << (v & 7))]));
  }
  const cpu = new Cpu({ memory, exceptions: 'stop' });
  cpu.setMode('protected32');
  cpu.setSegmentRaw(SEG_TR, 0x18, TSS, 0x2087, 0x8b);
  cpu.state.cr4 = o.cr4 ?? 0;
  cpu.setReg('eflags', FLAG_VM | ((o.iopl ?? 0) << 12) | (o.flags ?? 0) | 2);
  for (const seg of [SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS]) cpu.setSegmentRaw(seg, 0, 0, 0xffff, 0xf3);
  cpu.setSegmentRaw(SEG_CS, V86_CS, V86_CS * 16, 0xffff, 0xfb);
  cpu.setReg('rip', 0);
  cpu.setReg('rsp', 0x9000);
  const stop = cpu.run({ maxInstructions: 20 });
  return { cpu, memory, stop, sym: (n: string) => Number(prog.symbols.get(n)) };
}

const flagsOf = (cpu: Cpu) => cpu.getReg('eflags');

describe('cliStiAccess and v86SoftwareInt (SDM 3A Tables 20-2, 20-3)', () => {
  it.each([
    ['real mode', false, 0, 0, 0, FlagAccess.Real],
    ['protected mode, CPL <= IOPL', true, 0x3000, 0, 3, FlagAccess.Real],
    ['protected mode, CPL 3 > IOPL, no PVI', true, 0, 0, 3, FlagAccess.Fault],
    ['protected mode, CPL 3 > IOPL, PVI', true, 0, CR4_PVI, 3, FlagAccess.Virtual],
    ['protected mode, CPL 2 > IOPL, PVI', true, 0, CR4_PVI, 2, FlagAccess.Fault],
    ['v8086, IOPL 3', true, FLAG_VM | 0x3000, 0, 3, FlagAccess.Real],
    ['v8086, IOPL 0, no VME', true, FLAG_VM, CR4_PVI, 3, FlagAccess.Fault],
    ['v8086, IOPL 0, VME', true, FLAG_VM, CR4_VME, 3, FlagAccess.Virtual],
  ])('CLI/STI in %s', (_name, pe, flags, cr4, cpl, access) => {
    expect(cliStiAccess(pe, flags, cr4, cpl)).toBe(access);
  });

  it.each([
    [0, 3, false, V86Int.Idt],
    [0, 0, false, V86Int.Fault],
    [CR4_VME, 0, true, V86Int.Fault],
    [CR4_VME, 3, true, V86Int.Idt],
    [CR4_VME, 3, false, V86Int.Redirect],
    [CR4_VME, 0, false, V86Int.RedirectVirtual],
  ])('INT n with CR4=%i, IOPL %i, bitmap bit %s goes by method %i', (cr4, iopl, bit, route) => {
    expect(v86SoftwareInt(FLAG_VM | (iopl << 12), cr4, bit)).toBe(route);
  });

  it('builds the virtual FLAGS image with VIF as IF and IOPL 3', () => {
    expect(virtualFlagsImage(FLAG_VIF | FLAG_VM | 2)).toBe(FLAG_IF | 0x3000 | 2);
    expect(virtualFlagsImage(FLAG_IF | 2)).toBe(0x3000 | 2);
  });

  it('pops into VIF, keeping IF and IOPL', () => {
    expect(virtualPop(FLAG_VM | FLAG_IF | 2, 0x3000 | 0x0001)).toBe(FLAG_VM | FLAG_IF | 1);
    expect(virtualPop(FLAG_VM | 2, FLAG_IF | 2)).toBe(FLAG_VM | FLAG_VIF | 2);
  });
});

describe('IOPL-sensitive instructions in virtual-8086 mode at IOPL 0', () => {
  it.each([
    ['CLI', 'cli'],
    ['STI', 'sti'],
    ['PUSHF', 'pushf'],
    ['POPF', 'popf'],
    ['INT n', 'int 0x21'],
    ['IRET', 'iret'],
  ])('%s raises #GP(0) without CR4.VME', (_name, insn) => {
    const g = v86Guest(`fault: ${insn}`);
    expect(g.stop).toBe(StopReason.Exception);
    expect(g.cpu.exceptionVector).toBe(GP);
    expect(g.cpu.exceptionErrorCode).toBe(0);
    expect(g.cpu.getReg('ip')).toBe(g.sym('fault'));
  });

  it.each([
    ['PUSHFD (32-bit operand)', 'pushfd'],
    ['POPFD (32-bit operand)', 'popfd'],
    ['IRETD (32-bit operand)', 'iretd'],
    ['STI while VIP is set', 'sti'],
    ['POPF of a value with TF set', 'push word 0x0102\npopf'],
    ['POPF of a value with IF set while VIP is set', 'push word 0x0202\npopf'],
  ])('%s raises #GP(0) with CR4.VME', (name, code) => {
    const g = v86Guest(`${code.replace(/([^\n]*)$/, 'fault: $1')}`, {
      cr4: CR4_VME,
      flags: name.includes('VIP') ? FLAG_VIP : 0,
    });
    expect(g.stop).toBe(StopReason.Exception);
    expect(g.cpu.exceptionVector).toBe(GP);
    expect(g.cpu.getReg('ip')).toBe(g.sym('fault'));
    expect(g.cpu.getReg('sp')).toBe(code.startsWith('push word') ? 0x8ffe : 0x9000);
  });

  it('CLI and STI work on VIF and leave IF alone', () => {
    const g = v86Guest('sti\nmov ax, 1\nhlt', { cr4: CR4_VME, flags: FLAG_IF });
    // HLT at CPL 3 faults; by then STI has set VIF.
    expect(flagsOf(g.cpu) & (FLAG_VIF | FLAG_IF)).toBe(FLAG_VIF | FLAG_IF);
    const h = v86Guest('cli\nhlt', { cr4: CR4_VME, flags: FLAG_IF | FLAG_VIF });
    expect(flagsOf(h.cpu) & (FLAG_VIF | FLAG_IF)).toBe(FLAG_IF);
  });

  it('PUSHF pushes IF = VIF and IOPL = 3; POPF loads VIF from the popped IF', () => {
    const g = v86Guest('pushf\npop ax\npush word 0x0246\npopf\nhlt', { cr4: CR4_VME, flags: FLAG_VIF });
    expect(g.cpu.getReg('ax') & 0x3200).toBe(0x3200);
    const f = flagsOf(g.cpu);
    expect(f & FLAG_VIF).toBe(FLAG_VIF);
    expect(f & FLAG_IF).toBe(0);
    expect(f & 0x3000).toBe(0); // IOPL unchanged
    expect(f & 0x40).toBe(0x40); // ZF from the popped value
  });

  it('IRET (16-bit) returns and loads VIF from the popped IF', () => {
    const g = v86Guest('push word 0x0200\npush word 0x2000\npush word target\niret\ntarget: hlt', { cr4: CR4_VME });
    expect(g.cpu.getReg('ip')).toBe(g.sym('target'));
    expect(flagsOf(g.cpu) & (FLAG_VIF | FLAG_IF)).toBe(FLAG_VIF);
  });
});

describe('INT n redirection through the TSS bitmap (CR4.VME)', () => {
  it('redirects to the 8086 IVT at IOPL < 3, pushing IF = VIF and clearing VIF, not IF', () => {
    const g = v86Guest('int 0x21\nafter: nop', { cr4: CR4_VME, flags: FLAG_VIF | FLAG_IF });
    expect(g.stop).toBe(StopReason.Exception); // the handler's HLT faults at CPL 3
    expect(g.cpu.getReg('ip')).toBe(g.sym('handler'));
    expect(g.cpu.getReg('cs')).toBe(V86_CS);
    expect(g.cpu.getReg('sp')).toBe(0x9000 - 6);
    expect(get16(g.memory, 0x9000 - 6)).toBe(g.sym('after'));
    expect(get16(g.memory, 0x9000 - 4)).toBe(V86_CS);
    expect(get16(g.memory, 0x9000 - 2) & 0x3200).toBe(0x3200);
    const f = flagsOf(g.cpu);
    expect(f & (FLAG_VIF | FLAG_IF | FLAG_VM)).toBe(FLAG_IF | FLAG_VM);
  });

  it('redirects at IOPL 3, clearing IF and TF', () => {
    const g = v86Guest('int 0x21', { cr4: CR4_VME, iopl: 3, flags: FLAG_IF | FLAG_TF });
    expect(g.cpu.getReg('ip')).toBe(g.sym('handler'));
    expect(flagsOf(g.cpu) & (FLAG_IF | FLAG_TF)).toBe(0);
    expect(get16(g.memory, 0x9000 - 2) & FLAG_IF).toBe(FLAG_IF);
  });

  it('sends a vector whose bitmap bit is set to the IDT at IOPL 3', () => {
    // (exceptions: 'stop' stops at software interrupts below 32 instead of delivering them)
    const g = v86Guest('int 0x10', { cr4: CR4_VME, iopl: 3, notRedirected: [0x10] });
    expect(g.stop).toBe(StopReason.Exception);
    expect(g.cpu.exceptionVector).toBe(0x10);
  });

  it('raises #GP(0) for a vector whose bitmap bit is set at IOPL < 3', () => {
    const g = v86Guest('fault: int 0x21', { cr4: CR4_VME, notRedirected: [0x21] });
    expect(g.cpu.exceptionVector).toBe(GP);
    expect(g.cpu.getReg('ip')).toBe(g.sym('fault'));
  });
});

describe('protected-mode virtual interrupts (CR4.PVI)', () => {
  function ring3(cr4: number) {
    const g = protectedGuest({ bits: 32, source: 'bits 32\ncli\nmov eax, 1\nsti\nmov ebx, 2\nfault: hlt' });
    g.cpu.setMode('protected32', 3);
    g.cpu.state.cr4 = cr4;
    g.cpu.setReg('eflags', FLAG_IF | FLAG_VIF | 2);
    return { ...g, stop: g.cpu.run({ maxInstructions: 10 }) };
  }

  it('CLI/STI at CPL 3 > IOPL toggle VIF with PVI', () => {
    const g = ring3(CR4_PVI);
    expect(g.cpu.getReg('ebx')).toBe(2);
    expect(g.cpu.getReg('eip')).toBe(g.sym('fault'));
    expect(flagsOf(g.cpu) & (FLAG_VIF | FLAG_IF)).toBe(FLAG_VIF | FLAG_IF);
  });

  it('CLI at CPL 3 > IOPL raises #GP(0) without PVI', () => {
    const g = ring3(0);
    expect(g.cpu.exceptionVector).toBe(GP);
    expect(g.cpu.getReg('eax')).toBe(0);
  });
});

describe('interrupts from virtual-8086 mode through the IDT', () => {
  it('INT n at IOPL 3 switches to the ring-0 stack from the TSS, pushes GS..ES and the v8086 frame, IRETD returns', () => {
    const kernel = protectedGuest({
      bits: 32,
      exceptions: 'deliver',
      gdt: [
        descriptor(0, 0xfffff, ACC_CODE_RX, FLAG_G | FLAG_DB),
        descriptor(0, 0xfffff, ACC_DATA_RW, FLAG_G | FLAG_DB),
      ],
      source:
        'bits 32\nhandler:\nmov ax, ds\nmov cx, 0x10\nmov ds, cx\nmov [0x7100], esp\nmov [0x7104], ax\nmov dword [0x7108], 0x80\niretd',
    });
    const { cpu, memory } = kernel;
    const v86 = assemble('bits 16\nint 0x80\nmov bx, 0x1234\nspin: jmp spin', { bits: 16, org: 0 });
    memory.writeBytes(guestPhysical(V86_CS * 16), v86.bytes);
    // TSS: SS0:ESP0 = 10H:7000H; IDT vector 80H: 32-bit interrupt gate, DPL 3, to 08H:handler.
    put32(memory, TSS + 4, 0x7000);
    put16(memory, TSS + 8, 0x10);
    const [lo, hi] = gate(0x08, kernel.sym('handler'), 0xe, 3);
    put32(memory, 0x4000 + 0x80 * 8, lo);
    put32(memory, 0x4000 + 0x80 * 8 + 4, hi);
    cpu.state.idtrBaseLo = 0x4000;
    cpu.state.idtrLimit = 0x7ff;
    cpu.setSegmentRaw(SEG_TR, 0x18, TSS, 0x67, 0x8b);
    cpu.setReg('eflags', FLAG_VM | 0x3000 | 2);
    for (const seg of [SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS]) cpu.setSegmentRaw(seg, 0x50, 0x500, 0xffff, 0xf3);
    cpu.setSegmentRaw(SEG_CS, V86_CS, V86_CS * 16, 0xffff, 0xfb);
    cpu.setReg('rip', 0);
    cpu.setReg('rsp', 0x1000);
    expect(cpu.run({ maxInstructions: 30 })).toBe(StopReason.InstructionLimit);
    expect(get32(memory, 0x7108)).toBe(0x80);
    expect(get32(memory, 0x7100)).toBe(0x7000 - 9 * 4); // GS FS DS ES SS ESP EFLAGS CS EIP
    expect(get16(memory, 0x7104)).toBe(0); // DS was nulled on the way in
    expect(get32(memory, 0x7000 - 4)).toBe(0x50); // GS
    expect(get32(memory, 0x7000 - 20)).toBe(0x50); // SS
    expect(get32(memory, 0x7000 - 24)).toBe(0x1000); // ESP
    expect(get32(memory, 0x7000 - 28) & FLAG_VM).toBe(FLAG_VM);
    expect(get32(memory, 0x7000 - 32)).toBe(V86_CS);
    // Back in virtual-8086 mode after IRETD with the v8086 segments restored.
    expect(cpu.getReg('bx')).toBe(0x1234);
    expect(cpu.getReg('ds')).toBe(0x50);
    expect(cpu.state.segBaseLo[SEG_DS]).toBe(0x500);
    expect(cpu.getReg('esp')).toBe(0x1000);
  });
});

describe('IRETD to virtual-8086 mode (SDM 2 "IRET" RETURN-TO-VIRTUAL-8086-MODE)', () => {
  /** A ring-0 IRETD with a v8086 frame (CS 3000H, SS:ESP 100H:2000H) returning to `eip`; a HLT at 3000:FFFFH. */
  function iretToV86(eip: number) {
    const g = protectedGuest({
      bits: 32,
      gdt: [
        descriptor(0, 0xfffff, ACC_CODE_RX, FLAG_G | FLAG_DB),
        descriptor(0, 0xfffff, ACC_DATA_RW, FLAG_G | FLAG_DB),
      ],
      source: `bits 32
        mov esp, 0x8000
        push 0
        push 0
        push 0
        push 0
        push 0x100
        push 0x2000
        push ${FLAG_VM | 2}
        push 0x3000
        push ${eip}
      fault:
        iretd`,
    });
    g.memory.writeBytes(guestPhysical(0x3ffff), new Uint8Array([0xf4]));
    const stop = g.cpu.run({ maxInstructions: 20 });
    return { ...g, stop };
  }

  it('raises #GP(0) when the EIP popped is past the v8086 CS limit (FFFFH), before anything changes', () => {
    const { cpu, stop, sym } = iretToV86(0x1ffff);
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(GP);
    expect(cpu.exceptionErrorCode).toBe(0);
    expect(cpu.getReg('eip')).toBe(sym('fault'));
    expect(cpu.getReg('esp')).toBe(0x8000 - 9 * 4);
    expect(flagsOf(cpu) & FLAG_VM).toBe(0);
    expect(cpu.cpl).toBe(0);
    expect(cpu.getReg('cs')).toBe(0x08);
  });

  it('returns to the last byte inside the limit, EIP FFFFH (whose HLT, at CPL 3, then raises #GP(0))', () => {
    const { cpu, stop } = iretToV86(0xffff);
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(GP);
    expect(cpu.getReg('eip')).toBe(0xffff);
    expect(flagsOf(cpu) & FLAG_VM).toBe(FLAG_VM);
    expect(cpu.getReg('cs')).toBe(0x3000);
    expect(cpu.getReg('ss')).toBe(0x100);
    expect(cpu.getReg('esp')).toBe(0x2000);
  });
});
