import { describe, expect, it } from 'vitest';
import * as C from '../vmcs/controls.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import { VmcsAccess, VmcsCache } from '../vmcs/vmcs.ts';
import { type BoundaryEvents, boundaryExit, NO_EXIT, preemptionTimerAfter } from './event-exits.ts';
import {
  cltsExits,
  cr3StoreExits,
  cr8Exits,
  type ExitingInstruction,
  INSTRUCTION_EXITS,
  INSTRUCTION_RAISES_UD,
  INSTRUCTION_RUNS,
  type InstructionExitRule,
  instructionExit,
  lmswExits,
} from './instruction-exits.ts';

function vmcs(proc = 0, proc2 = 0, pin = 0) {
  const cache = new VmcsCache();
  const v = new VmcsAccess(cache);
  v.write(F.PIN_BASED_CONTROLS, pin);
  v.write(F.PRIMARY_PROCESSOR_BASED_CONTROLS, (proc | (proc2 ? C.PROC_ACTIVATE_SECONDARY_CONTROLS : 0)) >>> 0);
  v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, proc2);
  return { cache, v };
}

describe('instructionExit', () => {
  it.each<[ExitingInstruction, number]>([
    ['CPUID', 10],
    ['GETSEC', 11],
    ['INVD', 13],
    ['XSETBV', 55],
  ])('%s always exits with reason %i', (instruction, reason) => {
    expect(instructionExit(vmcs().cache, instruction)).toBe(reason);
  });

  const conditional = (Object.keys(INSTRUCTION_EXITS) as ExitingInstruction[]).filter((k) => {
    const r: InstructionExitRule = INSTRUCTION_EXITS[k];
    return r.exitsWhen !== undefined && r.exitsWhen.bit !== 0;
  });

  it.each(conditional)('%s runs without its control and exits with it', (instruction) => {
    const rule = INSTRUCTION_EXITS[instruction] as {
      reason: number;
      exitsWhen: { word: string; bit: number };
      enabledBy?: number;
    };
    const enable = rule.enabledBy ?? 0;
    const off = vmcs(0, enable);
    expect(instructionExit(off.cache, instruction)).toBe(INSTRUCTION_RUNS);
    const on = rule.exitsWhen.word === 'proc' ? vmcs(rule.exitsWhen.bit, enable) : vmcs(0, rule.exitsWhen.bit | enable);
    expect(instructionExit(on.cache, instruction)).toBe(rule.reason);
  });

  it.each<ExitingInstruction>(['RDTSCP', 'INVPCID', 'XSAVES', 'XRSTORS'])(
    '%s raises #UD unless its secondary control enables it',
    (instruction) => {
      expect(instructionExit(vmcs(C.PROC_RDTSC_EXITING | C.PROC_INVLPG_EXITING).cache, instruction)).toBe(
        INSTRUCTION_RAISES_UD,
      );
    },
  );
});

describe('CR access exits', () => {
  it('CLTS exits only when CR0.TS is host-owned and shadowed as 1', () => {
    const { cache, v } = vmcs();
    v.write(F.CR0_GUEST_HOST_MASK, 8);
    expect(cltsExits(cache)).toBe(false);
    v.write(F.CR0_READ_SHADOW, 8);
    expect(cltsExits(cache)).toBe(true);
  });

  it.each<[number, number, number, boolean]>([
    [1, 0, 1, true], // sets a host-owned PE the shadow shows clear
    [1, 1, 0, false], // LMSW cannot clear PE
    [8, 0, 8, true], // changes a host-owned TS
    [8, 8, 8, false],
    [0, 0, 0xf, false],
  ])('LMSW with mask %#x, shadow %#x, source %#x exits: %s', (mask, shadow, source, exits) => {
    const { cache, v } = vmcs();
    v.write(F.CR0_GUEST_HOST_MASK, mask);
    v.write(F.CR0_READ_SHADOW, shadow);
    expect(lmswExits(cache, source)).toBe(exits);
  });

  it('MOV from CR3 and MOV to/from CR8 follow their exiting controls', () => {
    expect(cr3StoreExits(vmcs(C.PROC_CR3_STORE_EXITING).cache)).toBe(true);
    expect(cr3StoreExits(vmcs().cache)).toBe(false);
    expect(cr8Exits(vmcs(C.PROC_CR8_LOAD_EXITING).cache, true)).toBe(true);
    expect(cr8Exits(vmcs(C.PROC_CR8_LOAD_EXITING).cache, false)).toBe(false);
  });
});

const idle: BoundaryEvents = {
  rflags: 0x202,
  interruptibility: 0,
  mtfPending: false,
  timerExpired: false,
  nmiPending: false,
  interruptPending: false,
};

describe('boundaryExit', () => {
  it.each<[string, number, number, Partial<BoundaryEvents>, number]>([
    ['nothing pending', 0, 0, {}, NO_EXIT],
    ['MTF pending', C.PROC_MONITOR_TRAP_FLAG, 0, { mtfPending: true }, 37],
    ['preemption timer expired', 0, C.PIN_ACTIVATE_PREEMPTION_TIMER, { timerExpired: true }, 52],
    [
      'MTF over the timer',
      C.PROC_MONITOR_TRAP_FLAG,
      C.PIN_ACTIVATE_PREEMPTION_TIMER,
      { mtfPending: true, timerExpired: true },
      37,
    ],
    ['NMI window open', C.PROC_NMI_WINDOW_EXITING, C.PIN_NMI_EXITING | C.PIN_VIRTUAL_NMIS, {}, 8],
    [
      'NMI window closed by virtual-NMI blocking',
      C.PROC_NMI_WINDOW_EXITING,
      C.PIN_NMI_EXITING | C.PIN_VIRTUAL_NMIS,
      { interruptibility: 8 },
      NO_EXIT,
    ],
    ['NMI with NMI exiting', 0, C.PIN_NMI_EXITING, { nmiPending: true }, 0],
    ['NMI blocked by MOV SS', 0, C.PIN_NMI_EXITING, { nmiPending: true, interruptibility: 2 }, NO_EXIT],
    ['interrupt window open', C.PROC_INTERRUPT_WINDOW_EXITING, 0, {}, 7],
    ['interrupt window closed by IF=0', C.PROC_INTERRUPT_WINDOW_EXITING, 0, { rflags: 2 }, NO_EXIT],
    ['interrupt window closed by STI blocking', C.PROC_INTERRUPT_WINDOW_EXITING, 0, { interruptibility: 1 }, NO_EXIT],
    [
      'external interrupt with external-interrupt exiting',
      0,
      C.PIN_EXTERNAL_INTERRUPT_EXITING,
      { interruptPending: true },
      1,
    ],
    ['external interrupt without exiting (delivered to the guest)', 0, 0, { interruptPending: true }, NO_EXIT],
    [
      'NMI before an external interrupt',
      0,
      C.PIN_NMI_EXITING | C.PIN_EXTERNAL_INTERRUPT_EXITING,
      { nmiPending: true, interruptPending: true },
      0,
    ],
  ])('%s', (_name, proc, pin, events, reason) => {
    expect(boundaryExit(vmcs(proc, 0, pin).cache, { ...idle, ...events })).toBe(reason);
  });
});

describe('preemptionTimerAfter', () => {
  it('counts down once per change of TSC bit `rate` and stops at 0', () => {
    expect(preemptionTimerAfter(10, 5, 0, 31)).toBe(10);
    expect(preemptionTimerAfter(10, 5, 31, 32)).toBe(9);
    expect(preemptionTimerAfter(10, 5, 0, 32 * 4)).toBe(6);
    expect(preemptionTimerAfter(3, 0, 0, 100)).toBe(0);
  });
});
