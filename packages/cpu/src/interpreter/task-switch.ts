// Hardware task switching (SDM 3A ch. 8 "Task Management"): JMP/CALL to a TSS descriptor or a
// task gate, interrupts and exceptions through a task gate, IRET with NT=1; 32-bit and 16-bit
// TSS formats, busy bits, the previous-task link and NT, CR3/LDTR reload, the #TS/#NP/#SS/#GP
// checks of SDM 3A Table 8-2 and the VM exit of SDM 3C 26.4.2.
import { DescriptorFields, decodeDescriptor } from '@typevisor/mmu';
import {
  AR_UNUSABLE,
  type CpuState,
  SEG_CS,
  SEG_DS,
  SEG_ES,
  SEG_FS,
  SEG_GS,
  SEG_LDTR,
  SEG_SS,
  SEG_TR,
} from '../state/cpu-state.ts';
import { FLAG_NT, FLAG_VM } from '../state/flags.ts';

/** What started a task switch; the values are those of the VM-exit qualification bits 31:30 (SDM 3C Table 28-2). */
export const TaskSwitchSource = {
  Call: 0,
  Iret: 1,
  Jmp: 2,
  /** A task gate in the IDT (interrupt, exception, NMI, INT n). */
  IdtGate: 3,
} as const;
/** One of the {@link TaskSwitchSource} values. */
export type TaskSwitchSource = (typeof TaskSwitchSource)[keyof typeof TaskSwitchSource];

/** What the task switch needs from the cpu (implemented by `Cpu`, internal). */
export interface TaskSwitchHost {
  readonly state: CpuState;
  cpl: number;
  /** Supervisor read of a linear address (paging applies; a failed walk raises #PF and does not return). */
  systemRead(lo: number, size: 1 | 2 | 4): number;
  /** Supervisor write of a linear address. */
  systemWrite(lo: number, size: 1 | 2 | 4, value: number): void;
  /** Abandons the current operation with an exception (does not return). */
  raiseFault(vector: number, errorCode?: number): never;
  /** Recomputes mode, CPL, paging state and segment checks after the new task's state is in place. */
  stateChanged(): void;
  /** Pushes `size` bytes onto the (new) stack. */
  pushValue(size: 2 | 4, value: number): void;
  /**
   * VMX non-root operation: offers the task switch to the VMM (exit reason 9). True when a VM
   * exit happened; the switch is then abandoned with no side effect.
   */
  taskSwitchExit(selector: number, source: TaskSwitchSource, instructionLength: number): boolean;
  /**
   * Called once the new task's state is in place (the commit point): from here on a fault
   * belongs to the new task, so event delivery must not roll back to the old one.
   */
  taskCommitted(): void;
  /** Raises the #DB trap of a TSS with its T flag set (DR6.BT, SDM 3B 17.2.3); does not return. */
  taskDebugTrap(): never;
}

const VECTOR_TS = 10;
const VECTOR_NP = 11;
const VECTOR_SS = 12;
const VECTOR_GP = 13;
/** Smallest valid TSS limits (SDM 3A 8.2.1, 8.7): 67H for a 32-bit TSS, 2BH for a 16-bit one. */
const TSS32_MIN_LIMIT = 0x67;
const TSS16_MIN_LIMIT = 0x2b;
/** TSS type bits (SDM 3A Table 3-2): 1/3 16-bit available/busy, 9/B 32-bit available/busy. */
const TYPE_BUSY = 2;
const TYPE_TSS32 = 8;
/** CR0.TS (SDM 3A 2.5): set by every task switch. */
const CR0_TS = 1 << 3;
/** DR7 L0-L3: local breakpoint enables, cleared by every task switch (SDM 3B 17.2.4). */
const DR7_LOCAL_ENABLES = 0x55;

/** Offsets in a 32-bit TSS (SDM 3A Figure 8-2). */
const TSS32_CR3 = 0x1c;
const TSS32_EIP = 0x20;
const TSS32_EFLAGS = 0x24;
const TSS32_EAX = 0x28;
const TSS32_ES = 0x48;
const TSS32_LDT = 0x60;
/** The T (debug trap) flag: bit 0 of the word at 64H (SDM 3A 8.2.1). */
const TSS32_T = 0x64;
/** Offsets in a 16-bit TSS (SDM 3A Figure 8-11). */
const TSS16_IP = 0x0e;
const TSS16_FLAGS = 0x10;
const TSS16_AX = 0x12;
const TSS16_ES = 0x22;
const TSS16_LDT = 0x2a;

/** Segment registers in TSS order: ES, CS, SS, DS, FS, GS (the SEG_* indexes happen to match). */
const TSS_SEGMENTS = [SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS];
/** Descriptor loads after LDTR, in the order this model checks them. */
const LOAD_ORDER = [SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS];

/** The new task's state, read before anything of the old task is written (no per-switch allocation). */
const incoming = new Uint32Array(18); // 0 EIP, 1 EFLAGS, 2-9 GPRs, 10-15 selectors, 16 LDT, 17 CR3
const fields = new DescriptorFields();
const scratch = new Uint32Array(2);

/** Access rights in the VMCS layout (the cpu's `segAttr`) from a descriptor's high dword. */
function accessRights(hi: number): number {
  return ((hi >>> 8) & 0xff) | ((hi >>> 8) & 0xf000);
}

/** Reads the GDT descriptor of `selector` into scratch; false when its index is beyond the GDT limit. */
function readGdtDescriptor(host: TaskSwitchHost, selector: number): boolean {
  const s = host.state;
  const index = selector & ~7;
  if (index + 7 > s.gdtrLimit) return false;
  scratch[0] = host.systemRead((s.gdtrBaseLo + index) >>> 0, 4);
  scratch[1] = host.systemRead((s.gdtrBaseLo + index + 4) >>> 0, 4);
  return true;
}

/** Reads a descriptor from the GDT or the new task's LDT into scratch; false beyond the table limit. */
function readDescriptor(host: TaskSwitchHost, selector: number): boolean {
  if ((selector & 4) === 0) return readGdtDescriptor(host, selector);
  const s = host.state;
  const index = selector & ~7;
  if (s.segAttr[SEG_LDTR]! & AR_UNUSABLE || index + 7 > s.segLimit[SEG_LDTR]!) return false;
  const base = s.segBaseLo[SEG_LDTR]!;
  scratch[0] = host.systemRead((base + index) >>> 0, 4);
  scratch[1] = host.systemRead((base + index + 4) >>> 0, 4);
  return true;
}

/** Rewrites the type field of GDT descriptor `selector` with the busy bit set or clear. */
function setBusy(host: TaskSwitchHost, selector: number, busy: boolean): void {
  const s = host.state;
  const at = (s.gdtrBaseLo + (selector & ~7) + 5) >>> 0;
  const b = host.systemRead(at, 1);
  host.systemWrite(at, 1, busy ? b | TYPE_BUSY : b & ~TYPE_BUSY);
}

/**
 * Switches to the task whose TSS selector is `selector` (SDM 3A 8.3 steps 1-14), or raises the
 * fault the SDM names. `ext` (0/1) goes into the error codes when an external event started the
 * switch; `errorCode` (>= 0) is pushed onto the new task's stack for an exception delivered
 * through a task gate. Returns false when a VMX interception took a VM exit instead (nothing
 * changed). The caller has already made the gate and privilege checks of its instruction.
 *
 * Faults up to the commit point (the new TSS read, the old TSS written) leave the old task in
 * place; faults while loading the new task's segments are taken in the new task, as the SDM says.
 */
export function switchTask(
  host: TaskSwitchHost,
  selector: number,
  source: TaskSwitchSource,
  ext: number,
  errorCode: number,
  instructionLength: number,
): boolean {
  const s = host.state;
  const sel = selector & 0xffff;
  const err = (sel & ~3) | ext;
  // IRET reports a bad back link as #TS; JMP, CALL and task gates report a bad TSS as #GP (SDM 2 "IRET", "JMP", "INT n").
  const badTss = source === TaskSwitchSource.Iret ? VECTOR_TS : VECTOR_GP;
  if (sel & 4 || !readGdtDescriptor(host, sel)) host.raiseFault(badTss, err);
  const lo = scratch[0]!;
  const hi = scratch[1]!;
  decodeDescriptor(lo, hi, fields);
  const type = fields.type;
  if (fields.s || (type & 5) !== 1) host.raiseFault(badTss, err);
  const busy = (type & TYPE_BUSY) !== 0;
  if (source === TaskSwitchSource.Iret ? !busy : busy) host.raiseFault(badTss, err);
  if (!fields.present) host.raiseFault(VECTOR_NP, err);
  const is32 = (type & TYPE_TSS32) !== 0;
  const newBase = fields.base;
  const newLimit = fields.effectiveLimit();
  if (newLimit < (is32 ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT)) host.raiseFault(VECTOR_TS, err);
  if (!host.taskSwitchExit(sel, source, instructionLength)) return false;

  // Read the whole incoming state first: a #PF here leaves the old task untouched (SDM 3A 8.3 step 5).
  if (is32) {
    incoming[17] = host.systemRead((newBase + TSS32_CR3) >>> 0, 4);
    incoming[0] = host.systemRead((newBase + TSS32_EIP) >>> 0, 4);
    incoming[1] = host.systemRead((newBase + TSS32_EFLAGS) >>> 0, 4);
    for (let i = 0; i < 8; i++) incoming[2 + i] = host.systemRead((newBase + TSS32_EAX + 4 * i) >>> 0, 4);
    for (let i = 0; i < 6; i++) incoming[10 + i] = host.systemRead((newBase + TSS32_ES + 4 * i) >>> 0, 2);
    incoming[16] = host.systemRead((newBase + TSS32_LDT) >>> 0, 2);
  } else {
    incoming[17] = s.cr3Lo;
    incoming[0] = host.systemRead((newBase + TSS16_IP) >>> 0, 2);
    incoming[1] = host.systemRead((newBase + TSS16_FLAGS) >>> 0, 2);
    for (let i = 0; i < 8; i++) incoming[2 + i] = host.systemRead((newBase + TSS16_AX + 2 * i) >>> 0, 2);
    for (let i = 0; i < 4; i++) incoming[10 + i] = host.systemRead((newBase + TSS16_ES + 2 * i) >>> 0, 2);
    incoming[14] = 0; // a 16-bit TSS has no FS/GS: they are loaded null
    incoming[15] = 0;
    incoming[16] = host.systemRead((newBase + TSS16_LDT) >>> 0, 2);
  }

  // Save the outgoing task into its own TSS (SDM 3A 8.3 steps 6-8), after probing both ends of
  // the area it writes so a #PF there comes before anything has changed (step 5).
  const oldSel = s.segSelector[SEG_TR]!;
  const oldBase = s.segBaseLo[SEG_TR]!;
  const old32 = (s.segAttr[SEG_TR]! & TYPE_TSS32) !== 0;
  const first = (oldBase + (old32 ? TSS32_EIP : TSS16_IP)) >>> 0;
  const last = (oldBase + (old32 ? TSS32_ES + 20 : TSS16_ES + 6)) >>> 0;
  host.systemWrite(first, 2, host.systemRead(first, 2));
  host.systemWrite(last, 2, host.systemRead(last, 2));
  // The new TSS's previous-task link is written too when the switch nests; probe it as well
  // (its first bytes may lie on a page of their own, below the state read above).
  const nests = source === TaskSwitchSource.Call || source === TaskSwitchSource.IdtGate;
  if (nests) host.systemWrite(newBase >>> 0, 2, host.systemRead(newBase >>> 0, 2));
  let flags = s.getFlags();
  if (source === TaskSwitchSource.Iret) flags &= ~FLAG_NT;
  if (source === TaskSwitchSource.Jmp || source === TaskSwitchSource.Iret) setBusy(host, oldSel, false);
  const g = s.gpr32;
  if (old32) {
    host.systemWrite((oldBase + TSS32_EIP) >>> 0, 4, s.ripLo);
    host.systemWrite((oldBase + TSS32_EFLAGS) >>> 0, 4, flags);
    for (let i = 0; i < 8; i++) host.systemWrite((oldBase + TSS32_EAX + 4 * i) >>> 0, 4, g[2 * i]!);
    for (let i = 0; i < 6; i++)
      host.systemWrite((oldBase + TSS32_ES + 4 * i) >>> 0, 2, s.segSelector[TSS_SEGMENTS[i]!]!);
  } else {
    host.systemWrite((oldBase + TSS16_IP) >>> 0, 2, s.ripLo);
    host.systemWrite((oldBase + TSS16_FLAGS) >>> 0, 2, flags);
    for (let i = 0; i < 8; i++) host.systemWrite((oldBase + TSS16_AX + 2 * i) >>> 0, 2, g[2 * i]!);
    for (let i = 0; i < 4; i++)
      host.systemWrite((oldBase + TSS16_ES + 2 * i) >>> 0, 2, s.segSelector[TSS_SEGMENTS[i]!]!);
  }

  // Nesting (SDM 3A 8.4): CALL and task gates link back to the old task and set NT.
  let newFlags = incoming[1]!;
  if (!is32) newFlags = (s.getFlags() & 0xffff0000) | (newFlags & 0xffff);
  if (nests) {
    host.systemWrite(newBase >>> 0, 2, oldSel);
    newFlags |= FLAG_NT;
  }
  if (source !== TaskSwitchSource.Iret) setBusy(host, sel, true);

  // Commit: TR, CR3, EFLAGS, EIP, GPRs and the selectors (SDM 3A 8.3 steps 11-12).
  s.segSelector[SEG_TR] = sel;
  s.segBaseLo[SEG_TR] = newBase;
  s.segBaseHi[SEG_TR] = 0;
  s.segLimit[SEG_TR] = newLimit;
  s.segAttr[SEG_TR] = accessRights(hi) | TYPE_BUSY;
  if (is32) {
    s.cr3Lo = incoming[17]!;
    s.cr3Hi = 0;
  }
  s.cr0 |= CR0_TS;
  s.dr[14] = (s.dr[14]! & ~DR7_LOCAL_ENABLES) >>> 0;
  s.setFlags(newFlags);
  s.ripLo = is32 ? incoming[0]! : incoming[0]! & 0xffff;
  s.ripHi = 0;
  for (let i = 0; i < 8; i++) {
    if (is32) g[2 * i] = incoming[2 + i]!;
    else s.gpr16[4 * i] = incoming[2 + i]!;
    g[2 * i + 1] = 0;
  }
  const v86 = (newFlags & FLAG_VM) !== 0;
  for (let i = 0; i < 6; i++) {
    // Selectors first with unusable hidden parts: a fault below is taken with them loaded (SDM 3A 8.3 step 12).
    const seg = TSS_SEGMENTS[i]!;
    s.segSelector[seg] = incoming[10 + i]!;
    if (!v86) s.segAttr[seg] = AR_UNUSABLE;
  }
  // The new CPL is CS.RPL; parking it in CS's DPL lets stateChanged() derive it (SDM 3A 8.3 step 12).
  const newCpl = v86 ? 3 : incoming[11]! & 3;
  if (!v86) s.segAttr[SEG_CS] = AR_UNUSABLE | (newCpl << 5);
  s.segSelector[SEG_LDTR] = incoming[16]!;
  s.segAttr[SEG_LDTR] = AR_UNUSABLE;
  host.stateChanged();
  host.cpl = newCpl;
  host.taskCommitted();

  // Qualify the new descriptors (SDM 3A Table 8-2): LDTR, then CS, SS, DS, ES, FS, GS.
  loadLdt(host, incoming[16]!, ext);
  if (v86) {
    for (const seg of TSS_SEGMENTS) {
      s.segBaseLo[seg] = (s.segSelector[seg]! << 4) >>> 0;
      s.segBaseHi[seg] = 0;
      s.segLimit[seg] = 0xffff;
      s.segAttr[seg] = seg === SEG_CS ? 0xfb : 0xf3;
    }
  } else {
    for (const seg of LOAD_ORDER) loadSegment(host, seg, s.segSelector[seg]!, ext);
  }
  host.stateChanged();
  host.cpl = newCpl;

  // An exception delivered through a task gate pushes its error code on the new stack (SDM 3A 6.12.2).
  if (errorCode >= 0) host.pushValue(is32 ? 4 : 2, errorCode);
  // SDM 2 "JMP", "CALL", "INT n", "IRET": the new EIP must lie within the new CS limit.
  if (s.ripLo > s.segLimit[SEG_CS]!) host.raiseFault(VECTOR_GP, v86 ? 0 : ext);
  // A 32-bit TSS with T set traps into #DB once the switch is complete (SDM 3A 8.2.1).
  if (is32 && host.systemRead((newBase + TSS32_T) >>> 0, 2) & 1) host.taskDebugTrap();
  return true;
}

/** Loads the new task's LDTR: null is allowed; otherwise a present LDT descriptor in the GDT, else #TS(selector). */
function loadLdt(host: TaskSwitchHost, selector: number, ext: number): void {
  const s = host.state;
  if ((selector & ~3) === 0) return;
  const err = (selector & ~3) | ext;
  if (selector & 4 || !readGdtDescriptor(host, selector)) host.raiseFault(VECTOR_TS, err);
  decodeDescriptor(scratch[0]!, scratch[1]!, fields);
  if (fields.s || fields.type !== 2 || !fields.present) host.raiseFault(VECTOR_TS, err);
  s.segBaseLo[SEG_LDTR] = fields.base;
  s.segBaseHi[SEG_LDTR] = 0;
  s.segLimit[SEG_LDTR] = fields.effectiveLimit();
  s.segAttr[SEG_LDTR] = accessRights(scratch[1]!);
}

/**
 * Loads segment register `seg` of the new task with the checks of SDM 3A Table 8-2: invalid
 * selectors and wrong types or privileges are #TS(selector), a not-present SS is #SS(selector),
 * any other not-present segment #NP(selector). CPL is already the new CS.RPL.
 */
function loadSegment(host: TaskSwitchHost, seg: number, selector: number, ext: number): void {
  const s = host.state;
  const cpl = host.cpl;
  const rpl = selector & 3;
  const err = (selector & ~3) | ext;
  if ((selector & ~3) === 0) {
    if (seg === SEG_CS || seg === SEG_SS) host.raiseFault(VECTOR_TS, err);
    s.segAttr[seg] = AR_UNUSABLE;
    return;
  }
  if (!readDescriptor(host, selector)) host.raiseFault(VECTOR_TS, err);
  const lo = scratch[0]!;
  const hi = scratch[1]!;
  decodeDescriptor(lo, hi, fields);
  const code = (fields.type & 8) !== 0;
  const readableOrWritable = (fields.type & 2) !== 0;
  const conforming = code && (fields.type & 4) !== 0;
  if (!fields.s) host.raiseFault(VECTOR_TS, err);
  if (seg === SEG_CS) {
    if (!code || (conforming ? fields.dpl > rpl : fields.dpl !== rpl)) host.raiseFault(VECTOR_TS, err);
    if (!fields.present) host.raiseFault(VECTOR_NP, err);
  } else if (seg === SEG_SS) {
    if (code || !readableOrWritable || fields.dpl !== cpl || rpl !== cpl) host.raiseFault(VECTOR_TS, err);
    if (!fields.present) host.raiseFault(VECTOR_SS, err);
  } else {
    if (code && !readableOrWritable) host.raiseFault(VECTOR_TS, err);
    if (!conforming && (fields.dpl < cpl || fields.dpl < rpl)) host.raiseFault(VECTOR_TS, err);
    if (!fields.present) host.raiseFault(VECTOR_NP, err);
  }
  // Mark the descriptor accessed, as every segment load does (SDM 3A 3.4.5.1).
  if ((fields.type & 1) === 0) {
    const base = selector & 4 ? s.segBaseLo[SEG_LDTR]! : s.gdtrBaseLo;
    const at = (base + (selector & ~7) + 5) >>> 0;
    host.systemWrite(at, 1, host.systemRead(at, 1) | 1);
  }
  s.segBaseLo[seg] = fields.base;
  s.segBaseHi[seg] = 0;
  s.segLimit[seg] = fields.effectiveLimit();
  s.segAttr[seg] = accessRights(hi) | 1;
}

/** Whether a system-descriptor type (S=0) is a TSS (available or busy, 16- or 32-bit). */
export function isTssType(type: number): boolean {
  return (type & 5) === 1;
}
