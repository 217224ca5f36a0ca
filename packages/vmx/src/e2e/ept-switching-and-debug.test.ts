import { guestPhysical, type PageTableBuilder, type PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { buildCpuMachine, prepareGuest } from '../testing/cpu-machine.ts';
import {
  expectGuestExit,
  type GuestExitExpectation,
  type GuestExitTest,
  launchGuest,
  orSecondaryControls as proc2,
} from '../testing/guest-exit-table.ts';
import { writeGuestTables } from '../testing/guest-tables.ts';
import { buildIdentityEpt, EPT_RWX_WB, EPT_WB, enableEpt } from '../testing/identity-ept.ts';
import * as C from '../vmcs/controls.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsAccess } from '../vmcs/vmcs.ts';

const GUEST_CODE = 0x20000;
const GUEST_RSP = 0x90000;
const EPT_ROOT = 0x100000;
/** A second EPT hierarchy, for EPTP switching. */
const EPT2_ROOT = 0x180000;
const EPTP_LIST = 0x7000;
/** EPTP: write-back, 4-level. */
const eptp = (root: number) => (root | 6 | (3 << 3)) >>> 0;

/** `init` gets the identity EPT map's builder as well. */
type GuestTest = GuestExitTest<
  GuestExitExpectation,
  (v: VmcsAccess, memory: PhysicalMemory, ept: PageTableBuilder) => void
> & {
  /** 16 for a real-mode guest (the CS base is GUEST_CODE, RIP offsets from it), 32 or 64 (flat). */
  readonly bits?: 16 | 32 | 64;
};

/** Real-address mode under "unrestricted guest": CS = GUEST_CODE >> 4, other segments 0, paging and protection off. */
function realModeGuest(v: VmcsAccess): void {
  proc2(v, C.PROC2_UNRESTRICTED_GUEST);
  v.write(F.VM_ENTRY_CONTROLS, v.read(F.VM_ENTRY_CONTROLS) & ~C.ENTRY_IA32E_MODE_GUEST);
  v.write(F.GUEST_CR0, 0x20); // NE only: PE = PG = 0
  v.write(F.GUEST_CR4, 0x2000);
  v.write(F.GUEST_CS_SELECTOR, GUEST_CODE >>> 4);
  v.write(F.GUEST_CS_BASE, GUEST_CODE);
  v.write(F.GUEST_CS_LIMIT, 0xffff);
  v.write(F.GUEST_CS_ACCESS_RIGHTS, 0x9b);
  for (const seg of ['SS', 'DS', 'ES', 'FS', 'GS'] as const) {
    v.write(F[`GUEST_${seg}_SELECTOR`], 0);
    v.write(F[`GUEST_${seg}_LIMIT`], 0xffff);
    v.write(F[`GUEST_${seg}_ACCESS_RIGHTS`], 0x93);
  }
  v.write(F.GUEST_RIP, 0);
  v.write(F.GUEST_RSP, 0x8000);
}

/** Protected mode with paging off under "unrestricted guest": CR0.PE = 1, PG = 0, flat 32-bit segments. */
function unpagedProtectedGuest(v: VmcsAccess): void {
  proc2(v, C.PROC2_UNRESTRICTED_GUEST);
  v.write(F.VM_ENTRY_CONTROLS, v.read(F.VM_ENTRY_CONTROLS) & ~C.ENTRY_IA32E_MODE_GUEST);
  v.write(F.GUEST_CR0, 0x21); // PE, NE
  v.write(F.GUEST_CR4, 0x2000);
  v.write(F.GUEST_CS_ACCESS_RIGHTS, 0xc09b);
}

const Q_READ = 1;
const Q_WRITE = 2;
const Q_READABLE = 1 << 3;
const Q_WRITABLE = 1 << 4;
const Q_LINEAR_VALID = 1 << 7;
const Q_TRANSLATED = 1 << 8;
const DB_EXIT = (C.INTR_INFO_VALID | (C.INTR_TYPE_HARDWARE_EXCEPTION << 8) | 1) >>> 0;
const loadDebugControls = (v: VmcsAccess, dr7: number) => {
  v.write(F.VM_ENTRY_CONTROLS, v.read(F.VM_ENTRY_CONTROLS) | C.ENTRY_LOAD_DEBUG_CONTROLS);
  v.write(F.GUEST_DR7, dr7);
};

export const EPT_AND_DEBUG_TESTS: GuestTest[] = [
  // ---- VMFUNC 0: EPTP switching in the guest (SDM 3C 25.5.6.3) ----
  {
    name: 'VMFUNC 0 switches to the EPTP at list index 1 without a VM exit; the next read goes through the new EPT',
    init: (v, m) => {
      // Guest-physical 55000H is host 55000H under the first EPT and host 56000H under the second.
      buildIdentityEpt(m, EPT2_ROOT).map(0x55000, 0, 0x56000, EPT_RWX_WB);
      m.write32(guestPhysical(0x55000), 0x11111111);
      m.write32(guestPhysical(0x56000), 0x22222222);
      proc2(v, C.PROC2_ENABLE_VM_FUNCTIONS);
      v.write(F.VM_FUNCTION_CONTROLS, 1);
      v.write(F.EPTP_LIST_ADDRESS, EPTP_LIST);
      m.write32(guestPhysical(EPTP_LIST), eptp(EPT_ROOT));
      m.write32(guestPhysical(EPTP_LIST + 8), eptp(EPT2_ROOT));
    },
    // The first read fills the TLB through the first EPT: VMFUNC must not leave it in use.
    guestMain: 'mov rbx, 0x55000\nmov esi, [rbx]\nxor eax, eax\nmov ecx, 1\nvmfunc\nmov edx, [rbx]\nvmcall',
    onExit: {
      reason: 18,
      at: 21,
      check: (v, { cpu }) => {
        expect([cpu.getReg('rsi'), cpu.getReg('rdx')]).toEqual([0x11111111, 0x22222222]);
        expect([v.read(F.EPT_POINTER), v.read(F.EPTP_INDEX)]).toEqual([eptp(EPT2_ROOT), 1]);
      },
    },
  },
  // ---- EPT with the guest's paging off (unrestricted guest in real-address mode) ----
  {
    name: 'a real-mode guest reading a page EPT does not map: EPT violation, guest-physical = linear, linear valid',
    bits: 16,
    init: (v, _m, ept) => {
      realModeGuest(v);
      ept.map(0x50000, 0, 0x50000, EPT_WB);
    },
    guestMain: 'mov ax, 0x5000\nmov ds, ax\nmov al, [0x10]\nvmcall',
    onExit: {
      reason: 48,
      at: 5,
      qualification: Q_READ | Q_LINEAR_VALID | Q_TRANSLATED,
      check: (v) => {
        expect(v.read(F.GUEST_PHYSICAL_ADDRESS)).toBe(0x50010);
        expect(v.read(F.GUEST_LINEAR_ADDRESS)).toBe(0x50010);
        expect(v.read(F.GUEST_CS_BASE)).toBe(GUEST_CODE);
      },
    },
  },
  {
    name: 'a real-mode guest fetching from an execute-disabled page: EPT violation on the fetch',
    bits: 16,
    init: (v, _m, ept) => {
      realModeGuest(v);
      ept.map(GUEST_CODE, 0, GUEST_CODE, 3 | EPT_WB); // read/write, no execute
    },
    guestMain: 'nop',
    onExit: {
      reason: 48,
      at: 0,
      qualification: (1 << 2) | Q_READABLE | Q_WRITABLE | Q_LINEAR_VALID | Q_TRANSLATED,
      check: (v) => expect(v.read(F.GUEST_PHYSICAL_ADDRESS)).toBe(GUEST_CODE),
    },
  },
  {
    name: 'a real-mode guest reads through EPT: guest-physical 50000H mapped to host 56000H',
    bits: 16,
    init: (v, m, ept) => {
      realModeGuest(v);
      ept.map(0x50000, 0, 0x56000, EPT_RWX_WB);
      m.write32(guestPhysical(0x50010), 0x1111);
      m.write32(guestPhysical(0x56010), 0x2222);
    },
    guestMain: 'mov ax, 0x5000\nmov ds, ax\nmov bx, [0x10]\nvmcall',
    onExit: {
      reason: 18,
      at: 9,
      check: (v, { cpu }) => {
        expect(cpu.getReg('rbx') & 0xffff).toBe(0x2222);
        expect(v.read(F.GUEST_CR0) & 0x80000001).toBe(0);
      },
    },
  },
  {
    name: 'a 32-bit protected-mode guest with paging off writing a read-only EPT page: EPT violation on the write',
    bits: 32,
    init: (v, _m, ept) => {
      unpagedProtectedGuest(v);
      ept.map(0x52000, 0, 0x52000, 1 | EPT_WB);
    },
    guestMain: 'mov eax, 7\nmov [0x52004], eax\nvmcall',
    onExit: {
      reason: 48,
      at: 5,
      qualification: Q_WRITE | Q_READABLE | Q_LINEAR_VALID | Q_TRANSLATED,
      check: (v) => {
        expect(v.read(F.GUEST_PHYSICAL_ADDRESS)).toBe(0x52004);
        expect(v.read(F.GUEST_LINEAR_ADDRESS)).toBe(0x52004);
      },
    },
  },
  // ---- blocking by STI / MOV SS at VM entry (SDM 3C 26.6.1) ----
  {
    name: 'entry with blocking by STI holds the interrupt window until the first instruction completed',
    init: (v) => {
      v.write(
        F.PRIMARY_PROCESSOR_BASED_CONTROLS,
        v.read(F.PRIMARY_PROCESSOR_BASED_CONTROLS) | C.PROC_INTERRUPT_WINDOW_EXITING,
      );
      v.write(F.GUEST_RFLAGS, 0x202);
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_STI);
    },
    guestMain: 'nop\nnop',
    onExit: { reason: 7, at: 1, interruptibility: 0 },
  },
  {
    name: 'entry with blocking by MOV SS: an interrupt-window exit at the first boundary cannot happen',
    init: (v) => {
      v.write(
        F.PRIMARY_PROCESSOR_BASED_CONTROLS,
        v.read(F.PRIMARY_PROCESSOR_BASED_CONTROLS) | C.PROC_INTERRUPT_WINDOW_EXITING,
      );
      v.write(F.GUEST_RFLAGS, 0x202);
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_MOV_SS);
    },
    guestMain: 'nop\nnop',
    onExit: { reason: 7, at: 1 },
  },
  {
    name: 'an MTF exit before the first instruction keeps the entry’s STI blocking in the saved state',
    init: (v) => {
      v.write(F.VM_ENTRY_INTERRUPTION_INFORMATION, (C.INTR_INFO_VALID | (C.INTR_TYPE_OTHER_EVENT << 8)) >>> 0);
      v.write(F.GUEST_RFLAGS, 0x202);
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_STI);
    },
    guestMain: 'nop',
    onExit: { reason: 37, at: 0, interruptibility: C.INTERRUPTIBILITY_STI },
  },
  // ---- blocking by STI / MOV SS saved by a VM exit (SDM 3C 28.3.4) ----
  {
    name: 'an exit on the instruction after STI (IF was 0) saves blocking by STI',
    init: () => {},
    guestMain: 'sti\ncpuid',
    onExit: { reason: 10, at: 1, interruptibility: C.INTERRUPTIBILITY_STI },
  },
  {
    name: 'an exit on the instruction after MOV SS saves blocking by MOV SS (no trap pending)',
    init: (v, m) => {
      writeGuestTables(m, v);
      m.write32(guestPhysical(GUEST_RSP), 0x10);
    },
    guestMain: 'mov ss, [rsp]\ncpuid',
    onExit: { reason: 10, at: 3, interruptibility: C.INTERRUPTIBILITY_MOV_SS, pendingDebug: 0 },
  },
  {
    name: 'STI with IF already 1 opens no shadow',
    init: (v) => v.write(F.GUEST_RFLAGS, 0x202),
    guestMain: 'sti\ncpuid',
    onExit: { reason: 10, at: 1, interruptibility: 0 },
  },
  {
    name: 'the STI shadow ends after one instruction',
    init: () => {},
    guestMain: 'sti\nnop\ncpuid',
    onExit: { reason: 10, at: 2, interruptibility: 0 },
  },
  {
    name: 'the STI shadow ends when the instruction in it faults and the fault is delivered',
    init: (v, m) => writeGuestTables(m, v, 'cpuid'),
    guestMain: 'sti\nud2',
    onExit: { reason: 10, at: 0x42000 - GUEST_CODE, interruptibility: 0 },
  },
  {
    name: 'an MTF exit at the boundary after STI saves blocking by STI',
    init: (v) =>
      v.write(
        F.PRIMARY_PROCESSOR_BASED_CONTROLS,
        v.read(F.PRIMARY_PROCESSOR_BASED_CONTROLS) | C.PROC_MONITOR_TRAP_FLAG,
      ),
    guestMain: 'sti\nnop',
    onExit: { reason: 37, at: 1, interruptibility: C.INTERRUPTIBILITY_STI },
  },
  // ---- pending debug exceptions saved by a VM exit (SDM 3C 28.3.4) ----
  {
    name: 'a single-step trap of MOV SS held over a CPUID that exits: BS pending, blocking by MOV SS saved',
    init: (v, m) => {
      writeGuestTables(m, v);
      v.write(F.GUEST_RFLAGS, 0x102); // TF
      m.write32(guestPhysical(GUEST_RSP), 0x10);
    },
    guestMain: 'mov ss, [rsp]\ncpuid',
    onExit: {
      reason: 10,
      at: 3,
      pendingDebug: C.PENDING_DEBUG_BS,
      interruptibility: C.INTERRUPTIBILITY_MOV_SS,
      check: (_v, { cpu }) => expect(cpu.pendingDebugTraps).toBe(0),
    },
  },
  {
    name: 'a data breakpoint MOV SS hit, held over a CPUID that exits: B0 and the enabled-breakpoint bit pending',
    init: (v, m) => {
      writeGuestTables(m, v);
      loadDebugControls(v, 0x000f0401); // L0, R/W0 = 11 (reads and writes), LEN0 = 11 (4 bytes) at DR0
      m.write32(guestPhysical(GUEST_RSP), 0x10);
    },
    guestMain: `mov rax, ${GUEST_RSP}\nmov dr0, rax\nmov ss, [rsp]\ncpuid`,
    onExit: {
      reason: 10,
      at: 13,
      pendingDebug: C.PENDING_DEBUG_ENABLED_BREAKPOINT | 1,
      interruptibility: C.INTERRUPTIBILITY_MOV_SS,
    },
  },
  {
    name: 'an exit with no trap held saves no pending debug exceptions and no MOV SS blocking',
    init: (v) => v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_MOV_SS),
    guestMain: 'nop\ncpuid',
    onExit: { reason: 10, at: 1, pendingDebug: 0, interruptibility: 0 },
  },
  // ---- pending debug exceptions at VM entry (SDM 3C 26.6.3) ----
  {
    name: 'entry with BS pending and no blocking delivers #DB before the first instruction (exception bitmap: exit)',
    init: (v) => {
      v.write(F.GUEST_PENDING_DEBUG_EXCEPTIONS, C.PENDING_DEBUG_BS);
      v.write(F.EXCEPTION_BITMAP, 1 << 1);
    },
    guestMain: 'nop\nnop',
    onExit: { reason: 0, at: 0, qualification: C.PENDING_DEBUG_BS, interruption: DB_EXIT, entered: false },
  },
  {
    name: 'entry with BS pending delivers #DB through the guest IDT, DR6.BS set, when #DB does not exit',
    init: (v, m) => {
      writeGuestTables(m, v, 'mov rcx, dr6\nvmcall');
      v.write(F.GUEST_PENDING_DEBUG_EXCEPTIONS, C.PENDING_DEBUG_BS);
    },
    guestMain: 'mov eax, 1\nvmcall',
    onExit: {
      reason: 18,
      at: 0x42000 + 3 - GUEST_CODE, // the handler's VMCALL
      check: (_v, { cpu }) => {
        expect(cpu.getReg('rcx') & 0x4000).toBe(0x4000);
        expect(cpu.getReg('rax')).toBe(0); // the guest's first instruction never ran
      },
    },
  },
  {
    name: 'entry with B0 pending under blocking by MOV SS holds the #DB until the first instruction completed',
    init: (v) => {
      loadDebugControls(v, 0x401); // L0 (an instruction breakpoint at DR0 = 0, never reached)
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_MOV_SS);
      v.write(F.GUEST_PENDING_DEBUG_EXCEPTIONS, C.PENDING_DEBUG_ENABLED_BREAKPOINT | 1);
      v.write(F.EXCEPTION_BITMAP, 1 << 1);
    },
    guestMain: 'nop\nnop',
    onExit: { reason: 0, at: 1, qualification: 1, interruption: DB_EXIT },
  },
  {
    name: 'entry with B0 pending under blocking by MOV SS and no DR7 enable or TF still delivers the #DB after the first instruction',
    init: (v) => {
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_MOV_SS);
      v.write(F.GUEST_PENDING_DEBUG_EXCEPTIONS, C.PENDING_DEBUG_ENABLED_BREAKPOINT | 1);
      v.write(F.EXCEPTION_BITMAP, 1 << 1);
    },
    guestMain: 'nop\nnop\nvmcall',
    onExit: {
      reason: 0,
      at: 1,
      qualification: 1,
      interruption: DB_EXIT,
      check: (_v, { cpu }) => expect(cpu.pendingDebugTraps).toBe(0),
    },
  },
  {
    name: 'entry with B0 pending under blocking by MOV SS, TF and DR7 clear, delivers #DB (DR6.B0) through the guest IDT after the first instruction',
    init: (v, m) => {
      writeGuestTables(m, v, 'mov rcx, dr6\nvmcall');
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_MOV_SS);
      v.write(F.GUEST_PENDING_DEBUG_EXCEPTIONS, C.PENDING_DEBUG_ENABLED_BREAKPOINT | 1);
    },
    guestMain: 'mov eax, 1\nmov ebx, 2\nvmcall',
    onExit: {
      reason: 18,
      at: 0x42000 + 3 - GUEST_CODE, // the handler's VMCALL
      check: (_v, { cpu }) => {
        expect(cpu.getReg('rcx') & 0xf).toBe(1); // B0
        expect(cpu.getReg('rax')).toBe(1); // the first instruction ran
        expect(cpu.getReg('rbx')).toBe(0); // the second did not: the #DB came between them
      },
    },
  },
  {
    name: 'pending debug exceptions without BS or bit 12 are not valid: nothing is delivered',
    init: (v) => {
      v.write(F.GUEST_PENDING_DEBUG_EXCEPTIONS, 1);
      v.write(F.EXCEPTION_BITMAP, 1 << 1);
    },
    guestMain: 'nop\nvmcall',
    onExit: { reason: 18, at: 1 },
  },
  {
    name: 'an injected INT3 under blocking by MOV SS is followed by the pending #DB (SDM 3C 26.6.3)',
    init: (v, m) => {
      writeGuestTables(m, v);
      v.write(F.GUEST_RFLAGS, 0x102); // TF: BS pending is then required under MOV SS blocking
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_MOV_SS);
      v.write(F.GUEST_PENDING_DEBUG_EXCEPTIONS, C.PENDING_DEBUG_BS);
      v.write(F.EXCEPTION_BITMAP, 1 << 1);
      v.write(
        F.VM_ENTRY_INTERRUPTION_INFORMATION,
        (C.INTR_INFO_VALID | (C.INTR_TYPE_SOFTWARE_EXCEPTION << 8) | 3) >>> 0,
      );
      v.write(F.VM_ENTRY_INSTRUCTION_LENGTH, 1);
    },
    guestMain: 'nop',
    onExit: {
      reason: 0,
      at: 0x42000 - GUEST_CODE, // the #BP handler, reached before the #DB
      qualification: C.PENDING_DEBUG_BS,
      interruption: DB_EXIT,
      entered: false,
      check: (v) => {
        expect(v.read(F.GUEST_RSP)).toBe(GUEST_RSP - 40); // the #BP frame
        expect(v.read(F.IDT_VECTORING_INFORMATION)).toBe(0);
      },
    },
  },
  {
    name: 'an injected #UD (a hardware exception) drops the pending debug exceptions under MOV SS blocking',
    init: (v, m) => {
      writeGuestTables(m, v, 'vmcall');
      v.write(F.GUEST_RFLAGS, 0x102);
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_MOV_SS);
      v.write(F.GUEST_PENDING_DEBUG_EXCEPTIONS, C.PENDING_DEBUG_BS);
      v.write(F.EXCEPTION_BITMAP, 1 << 1);
      v.write(
        F.VM_ENTRY_INTERRUPTION_INFORMATION,
        (C.INTR_INFO_VALID | (C.INTR_TYPE_HARDWARE_EXCEPTION << 8) | 6) >>> 0,
      );
    },
    guestMain: 'nop',
    onExit: { reason: 18, at: 0x42000 - GUEST_CODE },
  },
  {
    name: 'a vectoring entry (injected external interrupt) drops the pending debug exceptions',
    init: (v, m) => {
      writeGuestTables(m, v, 'vmcall');
      v.write(F.GUEST_PENDING_DEBUG_EXCEPTIONS, C.PENDING_DEBUG_BS);
      v.write(F.EXCEPTION_BITMAP, 1 << 1);
      v.write(F.VM_ENTRY_INTERRUPTION_INFORMATION, (C.INTR_INFO_VALID | 0x30) >>> 0);
      v.write(F.GUEST_RFLAGS, 0x202); // an injected external interrupt needs IF = 1 (SDM 3C 27.3.1.4)
    },
    guestMain: 'nop',
    onExit: { reason: 18, at: 0x42000 - GUEST_CODE, pendingDebug: 0 },
  },
];

function runGuest(t: GuestTest) {
  const machine = buildCpuMachine();
  const { memory, vmx } = machine;
  prepareGuest(machine, '', GUEST_CODE);
  const bits = t.bits ?? 64;
  memory.writeBytes(
    guestPhysical(GUEST_CODE),
    assemble(`bits ${bits}\n${t.guestMain}`, { org: bits === 16 ? 0 : GUEST_CODE }).bytes,
  );
  const v = vmx.vmcs;
  v.write(F.GUEST_RSP, GUEST_RSP);
  const ept = buildIdentityEpt(memory);
  enableEpt(v, EPT_ROOT);
  t.init(v, memory, ept);
  return { stop: launchGuest(machine, 1000, t.onExit.entered ?? true), machine };
}

describe('EPTP switching, EPT with paging off, pending debug exceptions (guest code)', () => {
  it.each(EPT_AND_DEBUG_TESTS.map((t) => [t.name, t] as const))('%s', (_name, t) => {
    const { stop, machine } = runGuest(t);
    expectGuestExit(stop, machine, t.onExit, t.bits === 16 ? 0 : GUEST_CODE);
    // Back in the host, without EPT.
    expect(machine.cpu.paging.ept).toBe(null);
  });
});
