// Moving state between a VMCS working copy and the processor: guest-state loading on VM
// entry (SDM 3C 27.3.2), guest-state saving (28.3) and host-state loading (28.5) on VM exit.
import type { PhysicalMemory } from '../memory/physical-memory.ts';
import * as C from '../vmcs/controls.ts';
import { slotOf } from '../vmcs/field-encoding.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsCache } from '../vmcs/vmcs.ts';
import { SEG_CS, SEG_LDTR, SEG_TR, type VmxProcessorState } from './processor-state.ts';

const SEG_NAMES = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'LDTR', 'TR'] as const;
const G_SEL = SEG_NAMES.map((n) => slotOf(F[`GUEST_${n}_SELECTOR`]));
const G_BASE = SEG_NAMES.map((n) => slotOf(F[`GUEST_${n}_BASE`]));
const G_LIMIT = SEG_NAMES.map((n) => slotOf(F[`GUEST_${n}_LIMIT`]));
const G_AR = SEG_NAMES.map((n) => slotOf(F[`GUEST_${n}_ACCESS_RIGHTS`]));
const H_SEL = (['ES', 'CS', 'SS', 'DS', 'FS', 'GS'] as const).map((n) => slotOf(F[`HOST_${n}_SELECTOR`]));
const S = (e: number) => slotOf(e);
const S_CR0 = S(F.GUEST_CR0);
const S_CR3 = S(F.GUEST_CR3);
const S_CR4 = S(F.GUEST_CR4);
const S_DR7 = S(F.GUEST_DR7);
const S_RSP = S(F.GUEST_RSP);
const S_RIP = S(F.GUEST_RIP);
const S_RFLAGS = S(F.GUEST_RFLAGS);
const S_GDTR_BASE = S(F.GUEST_GDTR_BASE);
const S_GDTR_LIMIT = S(F.GUEST_GDTR_LIMIT);
const S_IDTR_BASE = S(F.GUEST_IDTR_BASE);
const S_IDTR_LIMIT = S(F.GUEST_IDTR_LIMIT);
const S_DEBUGCTL = S(F.GUEST_IA32_DEBUGCTL);
const S_SYSENTER_CS = S(F.GUEST_IA32_SYSENTER_CS);
const S_SYSENTER_ESP = S(F.GUEST_IA32_SYSENTER_ESP);
const S_SYSENTER_EIP = S(F.GUEST_IA32_SYSENTER_EIP);
const S_PERF = S(F.GUEST_IA32_PERF_GLOBAL_CTRL);
const S_PAT = S(F.GUEST_IA32_PAT);
const S_EFER = S(F.GUEST_IA32_EFER);
const S_ACTIVITY = S(F.GUEST_ACTIVITY_STATE);
const S_INTERRUPTIBILITY = S(F.GUEST_INTERRUPTIBILITY_STATE);
const S_PENDING_DEBUG = S(F.GUEST_PENDING_DEBUG_EXCEPTIONS);
const S_PDPTE0 = S(F.GUEST_PDPTE0);
const S_PIN = S(F.PIN_BASED_CONTROLS);
const S_PROC = S(F.PRIMARY_PROCESSOR_BASED_CONTROLS);
const S_PROC2 = S(F.SECONDARY_PROCESSOR_BASED_CONTROLS);
const S_EXIT = S(F.PRIMARY_VM_EXIT_CONTROLS);
const S_ENTRY = S(F.VM_ENTRY_CONTROLS);
const S_TIMER = S(F.VMX_PREEMPTION_TIMER_VALUE);

const CR0_PG = 1 << 31;
const CR4_PAE = 1 << 5;
const EFER_LME = 1 << 8;
const EFER_LMA = 1 << 10;

function lo(v: VmcsCache, s: number): number {
  return v.data[2 * s]!;
}
function hi(v: VmcsCache, s: number): number {
  return v.data[2 * s + 1]!;
}
function put(v: VmcsCache, s: number, l: number, h: number): void {
  v.data[2 * s] = l >>> 0;
  v.data[2 * s + 1] = h >>> 0;
}

function eptOn(v: VmcsCache): boolean {
  return (lo(v, S_PROC) & C.PROC_ACTIVATE_SECONDARY_CONTROLS) !== 0 && (lo(v, S_PROC2) & C.PROC2_ENABLE_EPT) !== 0;
}

/**
 * Loads the guest-state area into the processor, SDM 3C 27.3.2: control and debug
 * registers, MSRs the entry controls select (EFER.LMA/LME follow "IA-32e mode guest" when
 * EFER is not loaded), segments, descriptor tables, RIP/RSP/RFLAGS, non-register state and,
 * with PAE paging, the PDPTEs (from the VMCS with EPT, from guest memory at CR3 without).
 */
export function loadGuestState(v: VmcsCache, p: VmxProcessorState, memory: PhysicalMemory): void {
  const entry = lo(v, S_ENTRY);
  p.cr0 = lo(v, S_CR0);
  p.cr3Lo = lo(v, S_CR3);
  p.cr3Hi = hi(v, S_CR3);
  p.cr4 = lo(v, S_CR4);
  if (entry & C.ENTRY_LOAD_DEBUG_CONTROLS) {
    p.dr7 = lo(v, S_DR7);
    p.debugctlLo = lo(v, S_DEBUGCTL);
    p.debugctlHi = hi(v, S_DEBUGCTL);
  }
  p.sysenterCs = lo(v, S_SYSENTER_CS);
  p.sysenterEspLo = lo(v, S_SYSENTER_ESP);
  p.sysenterEspHi = hi(v, S_SYSENTER_ESP);
  p.sysenterEipLo = lo(v, S_SYSENTER_EIP);
  p.sysenterEipHi = hi(v, S_SYSENTER_EIP);
  if (entry & C.ENTRY_LOAD_PERF_GLOBAL_CTRL) {
    p.perfGlobalCtrlLo = lo(v, S_PERF);
    p.perfGlobalCtrlHi = hi(v, S_PERF);
  }
  if (entry & C.ENTRY_LOAD_PAT) {
    p.patLo = lo(v, S_PAT);
    p.patHi = hi(v, S_PAT);
  }
  if (entry & C.ENTRY_LOAD_EFER) {
    p.efer = lo(v, S_EFER);
  } else {
    const ia32e = (entry & C.ENTRY_IA32E_MODE_GUEST) !== 0;
    let efer = p.efer & ~EFER_LMA;
    if (ia32e) efer |= EFER_LMA;
    if (p.cr0 & CR0_PG) efer = ia32e ? efer | EFER_LME : efer & ~EFER_LME;
    p.efer = efer >>> 0;
  }
  for (let i = 0; i < 8; i++) {
    const seg = p.segments[i]!;
    seg.selector = lo(v, G_SEL[i]!);
    seg.baseLo = lo(v, G_BASE[i]!);
    seg.baseHi = hi(v, G_BASE[i]!);
    seg.limit = lo(v, G_LIMIT[i]!);
    seg.accessRights = lo(v, G_AR[i]!);
  }
  p.gdtrBaseLo = lo(v, S_GDTR_BASE);
  p.gdtrBaseHi = hi(v, S_GDTR_BASE);
  p.gdtrLimit = lo(v, S_GDTR_LIMIT);
  p.idtrBaseLo = lo(v, S_IDTR_BASE);
  p.idtrBaseHi = hi(v, S_IDTR_BASE);
  p.idtrLimit = lo(v, S_IDTR_LIMIT);
  p.rspLo = lo(v, S_RSP);
  p.rspHi = hi(v, S_RSP);
  p.ripLo = lo(v, S_RIP);
  p.ripHi = hi(v, S_RIP);
  p.rflags = lo(v, S_RFLAGS);
  p.activity = lo(v, S_ACTIVITY);
  p.interruptibility = lo(v, S_INTERRUPTIBILITY);
  p.pendingDebug = lo(v, S_PENDING_DEBUG);
  if (p.cr0 & CR0_PG && p.cr4 & CR4_PAE && !(p.efer & EFER_LMA)) {
    if (eptOn(v)) {
      for (let i = 0; i < 4; i++) {
        p.pdpte[2 * i] = lo(v, S_PDPTE0 + i);
        p.pdpte[2 * i + 1] = hi(v, S_PDPTE0 + i);
      }
    } else {
      const base = p.cr3Lo & 0xffffffe0;
      for (let i = 0; i < 8; i++) p.pdpte[i] = memory.read32(base + 4 * i);
    }
  }
}

/**
 * Saves the processor state into the guest-state area, SDM 3C 28.3, and stores
 * IA32_EFER.LMA into the "IA-32e mode guest" entry control (IA32_VMX_MISC[5]).
 * `timerValue` is the VMX-preemption timer value to save when the exit control asks.
 */
export function saveGuestState(v: VmcsCache, p: VmxProcessorState, timerValue: number): void {
  const exit = lo(v, S_EXIT);
  put(v, S_CR0, p.cr0, 0);
  put(v, S_CR3, p.cr3Lo, p.cr3Hi);
  put(v, S_CR4, p.cr4, 0);
  if (exit & C.EXIT_SAVE_DEBUG_CONTROLS) {
    put(v, S_DR7, p.dr7, 0);
    put(v, S_DEBUGCTL, p.debugctlLo, p.debugctlHi);
  }
  put(v, S_SYSENTER_CS, p.sysenterCs, 0);
  put(v, S_SYSENTER_ESP, p.sysenterEspLo, p.sysenterEspHi);
  put(v, S_SYSENTER_EIP, p.sysenterEipLo, p.sysenterEipHi);
  if (exit & C.EXIT_SAVE_PAT) put(v, S_PAT, p.patLo, p.patHi);
  if (exit & C.EXIT_SAVE_EFER) put(v, S_EFER, p.efer, 0);
  for (let i = 0; i < 8; i++) {
    const seg = p.segments[i]!;
    put(v, G_SEL[i]!, seg.selector & 0xffff, 0);
    put(v, G_BASE[i]!, seg.baseLo, seg.baseHi);
    put(v, G_LIMIT[i]!, seg.limit, 0);
    put(v, G_AR[i]!, seg.accessRights, 0);
  }
  put(v, S_GDTR_BASE, p.gdtrBaseLo, p.gdtrBaseHi);
  put(v, S_GDTR_LIMIT, p.gdtrLimit, 0);
  put(v, S_IDTR_BASE, p.idtrBaseLo, p.idtrBaseHi);
  put(v, S_IDTR_LIMIT, p.idtrLimit, 0);
  put(v, S_RSP, p.rspLo, p.rspHi);
  put(v, S_RIP, p.ripLo, p.ripHi);
  put(v, S_RFLAGS, p.rflags, 0);
  put(v, S_ACTIVITY, p.activity, 0);
  put(v, S_INTERRUPTIBILITY, p.interruptibility, 0);
  put(v, S_PENDING_DEBUG, p.pendingDebug, 0);
  if (eptOn(v) && p.cr0 & CR0_PG && p.cr4 & CR4_PAE && !(p.efer & EFER_LMA)) {
    for (let i = 0; i < 4; i++) put(v, S_PDPTE0 + i, p.pdpte[2 * i]!, p.pdpte[2 * i + 1]!);
  }
  if (exit & C.EXIT_SAVE_PREEMPTION_TIMER && lo(v, S_PIN) & C.PIN_ACTIVATE_PREEMPTION_TIMER)
    put(v, S_TIMER, timerValue, 0);
  const entry = lo(v, S_ENTRY);
  put(v, S_ENTRY, p.efer & EFER_LMA ? entry | C.ENTRY_IA32E_MODE_GUEST : entry & ~C.ENTRY_IA32E_MODE_GUEST, 0);
}

const H = {
  CR0: S(F.HOST_CR0),
  CR3: S(F.HOST_CR3),
  CR4: S(F.HOST_CR4),
  FS_BASE: S(F.HOST_FS_BASE),
  GS_BASE: S(F.HOST_GS_BASE),
  TR_BASE: S(F.HOST_TR_BASE),
  TR_SEL: S(F.HOST_TR_SELECTOR),
  GDTR_BASE: S(F.HOST_GDTR_BASE),
  IDTR_BASE: S(F.HOST_IDTR_BASE),
  SYSENTER_CS: S(F.HOST_IA32_SYSENTER_CS),
  SYSENTER_ESP: S(F.HOST_IA32_SYSENTER_ESP),
  SYSENTER_EIP: S(F.HOST_IA32_SYSENTER_EIP),
  RSP: S(F.HOST_RSP),
  RIP: S(F.HOST_RIP),
  PAT: S(F.HOST_IA32_PAT),
  EFER: S(F.HOST_IA32_EFER),
  PERF: S(F.HOST_IA32_PERF_GLOBAL_CTRL),
};

/**
 * Loads the host-state area into the processor, SDM 3C 28.5: CR0/CR3/CR4, DR7 = 400H,
 * DEBUGCTL cleared, the MSRs the exit controls select (EFER.LMA/LME follow "host
 * address-space size" otherwise), flat segments built from the host selectors, LDTR
 * unusable, GDTR/IDTR limits FFFFH, RIP/RSP from the host fields and RFLAGS = 2.
 */
export function loadHostState(v: VmcsCache, p: VmxProcessorState): void {
  const exit = lo(v, S_EXIT);
  const size64 = (exit & C.EXIT_HOST_ADDRESS_SPACE_SIZE) !== 0;
  p.cr0 = lo(v, H.CR0);
  p.cr3Lo = lo(v, H.CR3);
  p.cr3Hi = hi(v, H.CR3);
  p.cr4 = lo(v, H.CR4);
  p.dr7 = 0x400;
  p.debugctlLo = 0;
  p.debugctlHi = 0;
  p.sysenterCs = lo(v, H.SYSENTER_CS);
  p.sysenterEspLo = lo(v, H.SYSENTER_ESP);
  p.sysenterEspHi = hi(v, H.SYSENTER_ESP);
  p.sysenterEipLo = lo(v, H.SYSENTER_EIP);
  p.sysenterEipHi = hi(v, H.SYSENTER_EIP);
  if (exit & C.EXIT_LOAD_PERF_GLOBAL_CTRL) {
    p.perfGlobalCtrlLo = lo(v, H.PERF);
    p.perfGlobalCtrlHi = hi(v, H.PERF);
  }
  if (exit & C.EXIT_LOAD_PAT) {
    p.patLo = lo(v, H.PAT);
    p.patHi = hi(v, H.PAT);
  }
  if (exit & C.EXIT_LOAD_EFER) p.efer = lo(v, H.EFER);
  else p.efer = (size64 ? p.efer | EFER_LMA | EFER_LME : p.efer & ~(EFER_LMA | EFER_LME)) >>> 0;

  // SDM 3C 28.5.2: CS is a 64-bit (or 32-bit) flat accessed code segment; SS, DS, ES, FS,
  // GS are flat read/write data segments or unusable when their selector is null.
  for (let i = 0; i < 6; i++) {
    const seg = p.segments[i]!;
    seg.selector = lo(v, H_SEL[i]!);
    seg.baseLo = 0;
    seg.baseHi = 0;
    seg.limit = 0xffffffff;
    if (i === SEG_CS) {
      seg.accessRights = 0xb | C.AR_S | C.AR_P | C.AR_G | (size64 ? C.AR_L : C.AR_DB);
    } else if (seg.selector === 0) {
      seg.accessRights = C.AR_UNUSABLE;
    } else {
      seg.accessRights = 0x3 | C.AR_S | C.AR_P | C.AR_DB | C.AR_G;
    }
  }
  const fs = p.segments[4]!;
  fs.baseLo = lo(v, H.FS_BASE);
  fs.baseHi = hi(v, H.FS_BASE);
  const gs = p.segments[5]!;
  gs.baseLo = lo(v, H.GS_BASE);
  gs.baseHi = hi(v, H.GS_BASE);
  const tr = p.segments[SEG_TR]!;
  tr.selector = lo(v, H.TR_SEL);
  tr.baseLo = lo(v, H.TR_BASE);
  tr.baseHi = hi(v, H.TR_BASE);
  tr.limit = 0x67;
  tr.accessRights = 0xb | C.AR_P;
  const ldtr = p.segments[SEG_LDTR]!;
  ldtr.selector = 0;
  ldtr.accessRights = C.AR_UNUSABLE;
  p.gdtrBaseLo = lo(v, H.GDTR_BASE);
  p.gdtrBaseHi = hi(v, H.GDTR_BASE);
  p.gdtrLimit = 0xffff;
  p.idtrBaseLo = lo(v, H.IDTR_BASE);
  p.idtrBaseHi = hi(v, H.IDTR_BASE);
  p.idtrLimit = 0xffff;
  p.rspLo = lo(v, H.RSP);
  p.rspHi = hi(v, H.RSP);
  p.ripLo = lo(v, H.RIP);
  p.ripHi = hi(v, H.RIP);
  p.rflags = 2;
  p.activity = 0;
  // Blocking by NMI survives a VM exit (SDM 3C 28.5.5 / 28.6); STI and MOV SS blocking do not.
  p.interruptibility &= C.INTERRUPTIBILITY_NMI;
  p.pendingDebug = 0;
}
