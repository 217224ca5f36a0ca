// Which guest instructions exit in VMX non-root operation, SDM 3C 26.1.2 (always) and
// 26.1.3 (by control), as data: the CPU looks an instruction up before executing it.
import * as C from '../vmcs/controls.ts';
import { slotOf } from '../vmcs/field-encoding.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsCache } from '../vmcs/vmcs.ts';
import * as R from './exit-reason.ts';

/** `instructionExit` result: the instruction runs normally. */
export const INSTRUCTION_RUNS = -1;
/** `instructionExit` result: the instruction raises #UD (its enable control is 0). */
export const INSTRUCTION_RAISES_UD = -2;

/** How one instruction behaves in VMX non-root operation. */
export interface InstructionExitRule {
  /** Basic exit reason when it exits. */
  readonly reason: number;
  /** Control word and bit that make it exit; absent when it always exits. */
  readonly exitsWhen?: { readonly word: 'proc' | 'proc2'; readonly bit: number };
  /** Secondary control that must be 1 for the instruction to exist (else #UD), SDM 3C 26.3. */
  readonly enabledBy?: number;
  readonly section: string;
}

/** The instructions whose exit is decided by a control bit or nothing at all. */
export const INSTRUCTION_EXITS = {
  CPUID: { reason: R.EXIT_REASON_CPUID, section: '26.1.2' },
  GETSEC: { reason: R.EXIT_REASON_GETSEC, section: '26.1.2' },
  INVD: { reason: R.EXIT_REASON_INVD, section: '26.1.2' },
  XSETBV: { reason: R.EXIT_REASON_XSETBV, section: '26.1.2' },
  HLT: { reason: R.EXIT_REASON_HLT, exitsWhen: { word: 'proc', bit: C.PROC_HLT_EXITING }, section: '26.1.3' },
  INVLPG: { reason: R.EXIT_REASON_INVLPG, exitsWhen: { word: 'proc', bit: C.PROC_INVLPG_EXITING }, section: '26.1.3' },
  INVPCID: {
    reason: R.EXIT_REASON_INVPCID,
    exitsWhen: { word: 'proc', bit: C.PROC_INVLPG_EXITING },
    enabledBy: C.PROC2_ENABLE_INVPCID,
    section: '26.1.3',
  },
  MWAIT: { reason: R.EXIT_REASON_MWAIT, exitsWhen: { word: 'proc', bit: C.PROC_MWAIT_EXITING }, section: '26.1.3' },
  MONITOR: {
    reason: R.EXIT_REASON_MONITOR,
    exitsWhen: { word: 'proc', bit: C.PROC_MONITOR_EXITING },
    section: '26.1.3',
  },
  PAUSE: { reason: R.EXIT_REASON_PAUSE, exitsWhen: { word: 'proc', bit: C.PROC_PAUSE_EXITING }, section: '26.1.3' },
  RDPMC: { reason: R.EXIT_REASON_RDPMC, exitsWhen: { word: 'proc', bit: C.PROC_RDPMC_EXITING }, section: '26.1.3' },
  RDTSC: { reason: R.EXIT_REASON_RDTSC, exitsWhen: { word: 'proc', bit: C.PROC_RDTSC_EXITING }, section: '26.1.3' },
  RDTSCP: {
    reason: R.EXIT_REASON_RDTSCP,
    exitsWhen: { word: 'proc', bit: C.PROC_RDTSC_EXITING },
    enabledBy: C.PROC2_ENABLE_RDTSCP,
    section: '26.1.3',
  },
  MOV_DR: { reason: R.EXIT_REASON_MOV_DR, exitsWhen: { word: 'proc', bit: C.PROC_MOV_DR_EXITING }, section: '26.1.3' },
  RDRAND: {
    reason: R.EXIT_REASON_RDRAND,
    exitsWhen: { word: 'proc2', bit: C.PROC2_RDRAND_EXITING },
    section: '26.1.3',
  },
  RDSEED: {
    reason: R.EXIT_REASON_RDSEED,
    exitsWhen: { word: 'proc2', bit: C.PROC2_RDSEED_EXITING },
    section: '26.1.3',
  },
  WBINVD: {
    reason: R.EXIT_REASON_WBINVD,
    exitsWhen: { word: 'proc2', bit: C.PROC2_WBINVD_EXITING },
    section: '26.1.3',
  },
  LGDT: {
    reason: R.EXIT_REASON_GDTR_IDTR_ACCESS,
    exitsWhen: { word: 'proc2', bit: C.PROC2_DESCRIPTOR_TABLE_EXITING },
    section: '26.1.3',
  },
  LIDT: {
    reason: R.EXIT_REASON_GDTR_IDTR_ACCESS,
    exitsWhen: { word: 'proc2', bit: C.PROC2_DESCRIPTOR_TABLE_EXITING },
    section: '26.1.3',
  },
  SGDT: {
    reason: R.EXIT_REASON_GDTR_IDTR_ACCESS,
    exitsWhen: { word: 'proc2', bit: C.PROC2_DESCRIPTOR_TABLE_EXITING },
    section: '26.1.3',
  },
  SIDT: {
    reason: R.EXIT_REASON_GDTR_IDTR_ACCESS,
    exitsWhen: { word: 'proc2', bit: C.PROC2_DESCRIPTOR_TABLE_EXITING },
    section: '26.1.3',
  },
  LLDT: {
    reason: R.EXIT_REASON_LDTR_TR_ACCESS,
    exitsWhen: { word: 'proc2', bit: C.PROC2_DESCRIPTOR_TABLE_EXITING },
    section: '26.1.3',
  },
  LTR: {
    reason: R.EXIT_REASON_LDTR_TR_ACCESS,
    exitsWhen: { word: 'proc2', bit: C.PROC2_DESCRIPTOR_TABLE_EXITING },
    section: '26.1.3',
  },
  SLDT: {
    reason: R.EXIT_REASON_LDTR_TR_ACCESS,
    exitsWhen: { word: 'proc2', bit: C.PROC2_DESCRIPTOR_TABLE_EXITING },
    section: '26.1.3',
  },
  STR: {
    reason: R.EXIT_REASON_LDTR_TR_ACCESS,
    exitsWhen: { word: 'proc2', bit: C.PROC2_DESCRIPTOR_TABLE_EXITING },
    section: '26.1.3',
  },
  XSAVES: {
    reason: R.EXIT_REASON_XSAVES,
    enabledBy: C.PROC2_ENABLE_XSAVES_XRSTORS,
    exitsWhen: { word: 'proc2', bit: 0 },
    section: '26.1.3',
  },
  XRSTORS: {
    reason: R.EXIT_REASON_XRSTORS,
    enabledBy: C.PROC2_ENABLE_XSAVES_XRSTORS,
    exitsWhen: { word: 'proc2', bit: 0 },
    section: '26.1.3',
  },
} as const satisfies Record<string, InstructionExitRule>;

/** An instruction {@link INSTRUCTION_EXITS} knows. */
export type ExitingInstruction = keyof typeof INSTRUCTION_EXITS;

const S_PROC = slotOf(F.PRIMARY_PROCESSOR_BASED_CONTROLS);
const S_PROC2 = slotOf(F.SECONDARY_PROCESSOR_BASED_CONTROLS);

/**
 * What an instruction does in VMX non-root operation under the current controls: its exit
 * reason, {@link INSTRUCTION_RUNS}, or {@link INSTRUCTION_RAISES_UD}. XSAVES/XRSTORS exit
 * by the XSS-exiting bitmap, which this model does not offer, so they only ever run or #UD.
 */
export function instructionExit(vmcs: VmcsCache, instruction: ExitingInstruction): number {
  const rule: InstructionExitRule = INSTRUCTION_EXITS[instruction];
  const proc = vmcs.data[2 * S_PROC]!;
  const proc2 = proc & C.PROC_ACTIVATE_SECONDARY_CONTROLS ? vmcs.data[2 * S_PROC2]! : 0;
  if (rule.enabledBy !== undefined && (proc2 & rule.enabledBy) === 0) return INSTRUCTION_RAISES_UD;
  const when = rule.exitsWhen;
  if (when === undefined) return rule.reason;
  return ((when.word === 'proc' ? proc : proc2) & when.bit) !== 0 ? rule.reason : INSTRUCTION_RUNS;
}

const S_CR0_MASK = slotOf(F.CR0_GUEST_HOST_MASK);
const S_CR0_SHADOW = slotOf(F.CR0_READ_SHADOW);
const CR0_PE = 1;
const CR0_TS = 1 << 3;

/** CLTS exits when CR0.TS is host-owned and its read shadow is 1 (SDM 3C 26.1.3). */
export function cltsExits(vmcs: VmcsCache): boolean {
  return (vmcs.data[2 * S_CR0_MASK]! & CR0_TS) !== 0 && (vmcs.data[2 * S_CR0_SHADOW]! & CR0_TS) !== 0;
}

/**
 * LMSW exits when it would set a host-owned CR0.PE the shadow shows clear, or change a
 * host-owned MP/EM/TS away from the shadow (SDM 3C 26.1.3). LMSW cannot clear PE.
 */
export function lmswExits(vmcs: VmcsCache, source: number): boolean {
  const mask = vmcs.data[2 * S_CR0_MASK]!;
  const shadow = vmcs.data[2 * S_CR0_SHADOW]!;
  if (mask & CR0_PE && !(shadow & CR0_PE) && source & CR0_PE) return true;
  return ((source ^ shadow) & mask & 0xe) !== 0;
}

/** MOV from CR3 exits with "CR3-store exiting" (SDM 3C 26.1.3). */
export function cr3StoreExits(vmcs: VmcsCache): boolean {
  return (vmcs.data[2 * S_PROC]! & C.PROC_CR3_STORE_EXITING) !== 0;
}

/** MOV to (`write`) or from CR8 exits with "CR8-load/store exiting" (SDM 3C 26.1.3). */
export function cr8Exits(vmcs: VmcsCache, write: boolean): boolean {
  return (vmcs.data[2 * S_PROC]! & (write ? C.PROC_CR8_LOAD_EXITING : C.PROC_CR8_STORE_EXITING)) !== 0;
}
