// VM exits around event delivery, caused by real guest code on @typevisor/cpu:
// - the monitor trap flag (SDM 3C 26.5.2): after one instruction, after an injected event,
//   after the delivery of a fault, an injected MTF ("other event", type 7), and its priority
//   over the VMX-preemption timer and the NMI window;
// - IDT-vectoring information (SDM 3C 28.2.4): an exit in the middle of delivering an event
//   records that event and saves the guest state from before it.
// Written as { name, init, guestMain, onExit }.
import { StopReason } from '@typevisor/cpu';
import { guestPhysical, type PhysicalMemory } from '@typevisor/mmu';
import { describe, expect, it } from 'vitest';
import { buildCpuMachine, prepareGuest } from '../testing/cpu-machine.ts';
import { setProcControls as proc } from '../testing/guest-exit-table.ts';
import { GUEST_HANDLER, setGate, writeGuestTables } from '../testing/guest-tables.ts';
import { buildIdentityEpt, EPT_WB, enableEpt } from '../testing/identity-ept.ts';
import { ROOT64 } from '../testing/root-context.ts';
import * as C from '../vmcs/controls.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsAccess } from '../vmcs/vmcs.ts';

const GUEST_CODE = 0x20000;
const GUEST_RSP = 0x90000;
const VALID = C.INTR_INFO_VALID >>> 0;
const EXTERNAL_0x30 = (VALID | (C.INTR_TYPE_EXTERNAL_INTERRUPT << 8) | 0x30) >>> 0;

interface DeliveryExitTest {
  readonly name: string;
  /** VMCS set-up (the guest GDT/IDT are in place; `setGate` removes a gate). */
  readonly init: (v: VmcsAccess, memory: PhysicalMemory) => void;
  /** Run the guest under an identity EPT map in which the guest stack page is read-only. */
  readonly readOnlyStackUnderEpt?: boolean;
  /** Run under an identity EPT map in which this guest-physical page has no access rights. */
  readonly noAccessPageUnderEpt?: number;
  /** Guest general registers set on the CPU before entry (they are not in the VMCS). */
  readonly registers?: Readonly<Record<string, number>>;
  readonly guestMain: string;
  readonly onExit: {
    readonly reason: number;
    /** The guest RIP the exit saved (absolute). */
    readonly rip: number;
    readonly rsp?: number;
    readonly interruption?: number;
    readonly idtVectoring?: number;
    readonly idtVectoringErrorCode?: number;
    readonly length?: number;
    /** The guest interruptibility state the exit saved. */
    readonly interruptibility?: number;
    /** Bits that must be set (`set`) and clear (`clear`) in the exit qualification. */
    readonly qualificationBits?: { readonly set: number; readonly clear: number };
    /** The guest activity state the exit saved (0 active, 1 HLT). */
    readonly activity?: number;
    /** Guest general registers after the exit (the exit leaves them on the CPU). */
    readonly registers?: Readonly<Record<string, number>>;
    /** Whether `enterGuest()` reports the guest running (false: the injection itself exited). */
    readonly entered?: boolean;
  };
}

const inject = (v: VmcsAccess, info: number, errorCode = 0) => {
  v.write(F.VM_ENTRY_INTERRUPTION_INFORMATION, info >>> 0);
  v.write(F.VM_ENTRY_EXCEPTION_ERROR_CODE, errorCode);
};

/** IRETQ with a frame whose CS is null (#GP(0)); the IRETQ is at {@link IRET_OFFSET}. */
const IRET_NULL_CS = 'push 0x10\npush 0x8000\npush 2\npush 0\npush 0\niretq';
const IRET_OFFSET = 2 + 5 + 2 + 2 + 2;
const EPT_NMI_UNBLOCKING = 1 << 12;

export const DELIVERY_EXIT_TESTS: DeliveryExitTest[] = [
  // ---- monitor trap flag ----
  {
    name: 'MTF: exits after the first guest instruction',
    init: (v) => proc(v, C.PROC_MONITOR_TRAP_FLAG),
    guestMain: 'mov eax, 1\nmov ebx, 2',
    onExit: { reason: 37, rip: GUEST_CODE + 5 },
  },
  {
    name: 'MTF with an injected external interrupt: exits before the handler’s first instruction',
    init: (v) => {
      proc(v, C.PROC_MONITOR_TRAP_FLAG);
      inject(v, EXTERNAL_0x30);
    },
    guestMain: 'mov eax, 1',
    onExit: { reason: 37, rip: GUEST_HANDLER, rsp: GUEST_RSP - 40 },
  },
  {
    name: 'MTF after a faulting instruction: exits once the fault (#UD) was delivered',
    init: (v) => proc(v, C.PROC_MONITOR_TRAP_FLAG),
    guestMain: 'ud2',
    onExit: { reason: 37, rip: GUEST_HANDLER, rsp: GUEST_RSP - 40 },
  },
  {
    name: 'MTF after HLT: exits at once with RIP past the HLT and activity state HLT (SDM 3C 26.5.2)',
    init: (v) => proc(v, C.PROC_MONITOR_TRAP_FLAG),
    guestMain: 'hlt\nmov eax, 1',
    onExit: { reason: 37, rip: GUEST_CODE + 1, activity: 1 },
  },
  {
    name: 'MTF on REP STOSB: exits after one iteration with RIP still on the instruction (SDM 3C 26.5.2)',
    init: (v) => proc(v, C.PROC_MONITOR_TRAP_FLAG),
    registers: { rcx: 10, rdi: 0x30000, rax: 0x5a },
    guestMain: 'rep stosb\nnop',
    onExit: { reason: 37, rip: GUEST_CODE, activity: 0, registers: { rcx: 9, rdi: 0x30001 } },
  },
  {
    name: 'MTF on the last REP iteration: exits with RIP past the instruction',
    init: (v) => proc(v, C.PROC_MONITOR_TRAP_FLAG),
    registers: { rcx: 1, rdi: 0x30000 },
    guestMain: 'rep stosb\nnop',
    onExit: { reason: 37, rip: GUEST_CODE + 2, registers: { rcx: 0, rdi: 0x30001 } },
  },
  {
    name: 'injected MTF (type 7, "other event") exits before the first instruction with the control off',
    init: (v) => inject(v, VALID | (C.INTR_TYPE_OTHER_EVENT << 8)),
    guestMain: 'mov eax, 1',
    onExit: { reason: 37, rip: GUEST_CODE },
  },
  {
    name: 'MTF has priority over a VMX-preemption timer that is also due (value 0) at that boundary',
    init: (v) => {
      proc(v, C.PROC_MONITOR_TRAP_FLAG);
      v.write(F.PIN_BASED_CONTROLS, v.read(F.PIN_BASED_CONTROLS) | C.PIN_ACTIVATE_PREEMPTION_TIMER);
      v.write(F.VMX_PREEMPTION_TIMER_VALUE, 0);
      inject(v, EXTERNAL_0x30);
    },
    guestMain: 'nop',
    onExit: { reason: 37, rip: GUEST_HANDLER },
  },
  {
    name: 'without MTF the same timer exits at that boundary, after the injected event (SDM 3C 27.7.4)',
    init: (v) => {
      v.write(F.PIN_BASED_CONTROLS, v.read(F.PIN_BASED_CONTROLS) | C.PIN_ACTIVATE_PREEMPTION_TIMER);
      v.write(F.VMX_PREEMPTION_TIMER_VALUE, 0);
      inject(v, EXTERNAL_0x30);
    },
    guestMain: 'nop',
    onExit: { reason: 52, rip: GUEST_HANDLER },
  },
  {
    name: 'the VMX-preemption timer has priority over an open NMI window',
    init: (v) => {
      v.write(
        F.PIN_BASED_CONTROLS,
        v.read(F.PIN_BASED_CONTROLS) | C.PIN_ACTIVATE_PREEMPTION_TIMER | C.PIN_NMI_EXITING | C.PIN_VIRTUAL_NMIS,
      );
      proc(v, C.PROC_NMI_WINDOW_EXITING);
      v.write(F.VMX_PREEMPTION_TIMER_VALUE, 0);
    },
    guestMain: 'nop',
    onExit: { reason: 52, rip: GUEST_CODE },
  },
  {
    name: 'the NMI window exits when the timer is not due (the control case of the row above)',
    init: (v) => {
      v.write(
        F.PIN_BASED_CONTROLS,
        v.read(F.PIN_BASED_CONTROLS) | C.PIN_ACTIVATE_PREEMPTION_TIMER | C.PIN_NMI_EXITING | C.PIN_VIRTUAL_NMIS,
      );
      proc(v, C.PROC_NMI_WINDOW_EXITING);
      v.write(F.VMX_PREEMPTION_TIMER_VALUE, 100);
    },
    guestMain: 'nop',
    onExit: { reason: 8, rip: GUEST_CODE },
  },
  // ---- IDT-vectoring information ----
  {
    name: 'INT 0x30 through a not-present gate: #NP exits with the software interrupt as IDT-vectoring information',
    init: (v, m) => {
      setGate(m, 0x30, false);
      v.write(F.EXCEPTION_BITMAP, 1 << 11);
    },
    guestMain: 'nop\nint 0x30',
    onExit: {
      reason: 0,
      rip: GUEST_CODE + 1, // on the INT: the event was not delivered
      rsp: GUEST_RSP,
      interruption: (VALID | C.INTR_INFO_DELIVER_ERROR_CODE | (3 << 8) | 11) >>> 0,
      idtVectoring: (VALID | (C.INTR_TYPE_SOFTWARE_INTERRUPT << 8) | 0x30) >>> 0,
      length: 2,
    },
  },
  {
    name: '#UD through a not-present gate: #NP exits with the #UD as IDT-vectoring information',
    init: (v, m) => {
      setGate(m, 6, false);
      v.write(F.EXCEPTION_BITMAP, 1 << 11);
    },
    guestMain: 'ud2',
    onExit: {
      reason: 0,
      rip: GUEST_CODE,
      rsp: GUEST_RSP,
      interruption: (VALID | C.INTR_INFO_DELIVER_ERROR_CODE | (3 << 8) | 11) >>> 0,
      idtVectoring: (VALID | (C.INTR_TYPE_HARDWARE_EXCEPTION << 8) | 6) >>> 0,
    },
  },
  {
    name: 'a #GP with error code delivered onto a read-only (EPT) stack: EPT violation with the #GP and its error code',
    readOnlyStackUnderEpt: true,
    init: (v) => proc(v, 0),
    guestMain: 'nop\nmov ax, 0x33\nmov ds, ax',
    onExit: {
      reason: 48,
      rip: GUEST_CODE + 1 + 4,
      rsp: GUEST_RSP,
      idtVectoring: (VALID | C.INTR_INFO_DELIVER_ERROR_CODE | (3 << 8) | 13) >>> 0,
      idtVectoringErrorCode: 0x30,
    },
  },
  {
    name: 'an injected external interrupt whose delivery hits an EPT violation: reported by enterGuest()',
    readOnlyStackUnderEpt: true,
    init: (v) => inject(v, EXTERNAL_0x30),
    guestMain: 'mov eax, 1',
    onExit: { reason: 48, rip: GUEST_CODE, rsp: GUEST_RSP, idtVectoring: EXTERNAL_0x30, entered: false },
  },
  {
    name: 'a triple fault (#UD, #DF through an empty IDT) exits with no IDT-vectoring information (SDM 3C 28.2.4)',
    init: (v) => v.write(F.GUEST_IDTR_LIMIT, 0),
    guestMain: 'nop\nud2',
    onExit: { reason: 2, rip: GUEST_CODE + 1, rsp: GUEST_RSP },
  },
  // ---- NMI unblocking due to IRET (SDM 3C 28.2.3) and virtual-NMI blocking (SDM 3C 26.7.1) ----
  {
    name: 'an IRET that unblocked NMIs faults (#GP, null CS): the #GP exit sets bit 12 and saves no NMI blocking',
    init: (v) => {
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_NMI);
      v.write(F.EXCEPTION_BITMAP, 1 << 13);
    },
    guestMain: IRET_NULL_CS,
    onExit: {
      reason: 0,
      rip: GUEST_CODE + IRET_OFFSET,
      interruption: (VALID | C.INTR_INFO_DELIVER_ERROR_CODE | (3 << 8) | 13 | C.INTR_INFO_NMI_UNBLOCKING) >>> 0,
      interruptibility: 0,
    },
  },
  {
    name: 'the same faulting IRET without NMI blocking before it: bit 12 stays 0',
    init: (v) => v.write(F.EXCEPTION_BITMAP, 1 << 13),
    guestMain: IRET_NULL_CS,
    onExit: {
      reason: 0,
      rip: GUEST_CODE + IRET_OFFSET,
      interruption: (VALID | C.INTR_INFO_DELIVER_ERROR_CODE | (3 << 8) | 13) >>> 0,
      interruptibility: 0,
    },
  },
  {
    name: 'with virtual NMIs, an IRET that removed virtual-NMI blocking and faults sets bit 12 too',
    init: (v) => {
      v.write(F.PIN_BASED_CONTROLS, v.read(F.PIN_BASED_CONTROLS) | C.PIN_NMI_EXITING | C.PIN_VIRTUAL_NMIS);
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_NMI);
      v.write(F.EXCEPTION_BITMAP, 1 << 13);
    },
    guestMain: IRET_NULL_CS,
    onExit: {
      reason: 0,
      rip: GUEST_CODE + IRET_OFFSET,
      interruption: (VALID | C.INTR_INFO_DELIVER_ERROR_CODE | (3 << 8) | 13 | C.INTR_INFO_NMI_UNBLOCKING) >>> 0,
      interruptibility: 0,
    },
  },
  {
    name: 'an IRET that unblocked NMIs pops its frame from an EPT-inaccessible page: EPT violation qualification bit 12',
    noAccessPageUnderEpt: 0x50000,
    init: (v) => v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_NMI),
    guestMain: 'mov rsp, 0x50000\niretq',
    onExit: {
      reason: 48,
      rip: GUEST_CODE + 7,
      interruptibility: 0,
      qualificationBits: { set: EPT_NMI_UNBLOCKING | 1, clear: 0 },
    },
  },
  {
    name: 'the same EPT violation on a plain load with NMIs blocked: bit 12 stays 0 and blocking is saved',
    noAccessPageUnderEpt: 0x50000,
    init: (v) => v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_NMI),
    guestMain: 'mov rax, [0x50000]',
    onExit: {
      reason: 48,
      rip: GUEST_CODE,
      interruptibility: C.INTERRUPTIBILITY_NMI,
      qualificationBits: { set: 1, clear: EPT_NMI_UNBLOCKING },
    },
  },
  {
    name: 'virtual NMIs: an injected NMI whose delivery hits an EPT violation leaves virtual-NMI blocking saved',
    readOnlyStackUnderEpt: true,
    init: (v) => {
      v.write(F.PIN_BASED_CONTROLS, v.read(F.PIN_BASED_CONTROLS) | C.PIN_NMI_EXITING | C.PIN_VIRTUAL_NMIS);
      inject(v, VALID | (C.INTR_TYPE_NMI << 8) | 2);
    },
    guestMain: 'nop',
    onExit: {
      reason: 48,
      rip: GUEST_CODE,
      idtVectoring: (VALID | (C.INTR_TYPE_NMI << 8) | 2) >>> 0,
      interruptibility: C.INTERRUPTIBILITY_NMI,
      qualificationBits: { set: 2, clear: EPT_NMI_UNBLOCKING },
      entered: false,
    },
  },
  {
    name: 'virtual NMIs: an injected NMI delivered to the guest handler is saved as virtual-NMI blocking at the next exit',
    init: (v) => {
      v.write(F.PIN_BASED_CONTROLS, v.read(F.PIN_BASED_CONTROLS) | C.PIN_NMI_EXITING | C.PIN_VIRTUAL_NMIS);
      proc(v, C.PROC_MONITOR_TRAP_FLAG);
      inject(v, VALID | (C.INTR_TYPE_NMI << 8) | 2);
    },
    guestMain: 'nop',
    onExit: { reason: 37, rip: GUEST_HANDLER, interruptibility: C.INTERRUPTIBILITY_NMI },
  },
];

function runDeliveryGuest(t: DeliveryExitTest) {
  const machine = buildCpuMachine();
  const { memory, cpu, vmx, attachment } = machine;
  prepareGuest(machine, t.guestMain, GUEST_CODE);
  const v = vmx.vmcs;
  writeGuestTables(memory, v);
  v.write(F.GUEST_RFLAGS, 0x202);
  if (t.readOnlyStackUnderEpt || t.noAccessPageUnderEpt !== undefined) {
    const ept = buildIdentityEpt(memory);
    if (t.readOnlyStackUnderEpt) ept.map(GUEST_RSP - 0x1000, 0, GUEST_RSP - 0x1000, 1 | EPT_WB);
    const page = t.noAccessPageUnderEpt;
    if (page !== undefined) ept.map(page, 0, page, EPT_WB);
    enableEpt(v, ept.root);
  }
  t.init(v, memory);
  expect(vmx.vmlaunch(ROOT64).kind).toBe('entered');
  const entered = attachment.enterGuest();
  for (const [name, value] of Object.entries(t.registers ?? {})) cpu.setReg(name as 'rax', value);
  const stop = entered ? cpu.run({ maxInstructions: 100 }) : StopReason.VmExit;
  return { stop, entered, vmx, cpu };
}

describe('VM exits around event delivery', () => {
  it.each(DELIVERY_EXIT_TESTS.map((t) => [t.name, t] as const))('%s', (_name, t) => {
    const { stop, entered, vmx, cpu } = runDeliveryGuest(t);
    expect(entered).toBe(t.onExit.entered ?? true);
    expect(stop).toBe(StopReason.VmExit);
    const v = vmx.vmcs;
    expect(v.read(F.EXIT_REASON)).toBe(t.onExit.reason);
    expect(v.read(F.GUEST_RIP)).toBe(t.onExit.rip);
    if (t.onExit.rsp !== undefined) expect(v.read(F.GUEST_RSP)).toBe(t.onExit.rsp);
    if (t.onExit.interruption !== undefined)
      expect(v.read(F.VM_EXIT_INTERRUPTION_INFORMATION)).toBe(t.onExit.interruption);
    expect(v.read(F.IDT_VECTORING_INFORMATION)).toBe(t.onExit.idtVectoring ?? 0);
    if (t.onExit.idtVectoringErrorCode !== undefined)
      expect(v.read(F.IDT_VECTORING_ERROR_CODE)).toBe(t.onExit.idtVectoringErrorCode);
    if (t.onExit.length !== undefined) expect(v.read(F.VM_EXIT_INSTRUCTION_LENGTH)).toBe(t.onExit.length);
    if (t.onExit.interruptibility !== undefined)
      expect(v.read(F.GUEST_INTERRUPTIBILITY_STATE)).toBe(t.onExit.interruptibility);
    const bits = t.onExit.qualificationBits;
    if (bits !== undefined) {
      expect(v.read(F.EXIT_QUALIFICATION) & bits.set).toBe(bits.set);
      expect(v.read(F.EXIT_QUALIFICATION) & bits.clear).toBe(0);
    }
    if (t.onExit.activity !== undefined) expect(v.read(F.GUEST_ACTIVITY_STATE)).toBe(t.onExit.activity);
    for (const [name, value] of Object.entries(t.onExit.registers ?? {})) expect(cpu.getReg(name as 'rax')).toBe(value);
    // The guest's segments as the event found them, then the host state on the CPU.
    expect(v.read(F.GUEST_CS_SELECTOR)).toBe(0x08);
    expect(cpu.getReg('rip')).toBe(0x401000);
    expect(vmx.nonRoot).toBe(false);
  });
});

// ---- task switches from a 32-bit protected-mode guest (task gates exist only outside IA-32e mode) ----
const GDT32 = 0x40000;
const IDT32 = 0x41000;
const PD32 = 0x74000;
const NEW_TSS = 0x45000;

/** A 32-bit paged guest (4 MiB pages) with a GDT holding a busy TSS (18H, TR) and an available one (20H). */
function runTaskSwitchGuest(
  source: string,
  gate: boolean,
  init: (v: VmcsAccess, memory: PhysicalMemory) => void = () => {},
) {
  const machine = buildCpuMachine();
  const { memory, cpu, vmx, attachment } = machine;
  prepareGuest(machine, source, GUEST_CODE, 32);
  for (let i = 0; i < 4; i++) memory.write32(guestPhysical(PD32 + 4 * i), ((i << 22) | 0x83) >>> 0);
  const descriptor = (selector: number, lo: number, hi: number) => {
    memory.write32(guestPhysical(GDT32 + selector), lo >>> 0);
    memory.write32(guestPhysical(GDT32 + selector + 4), hi >>> 0);
  };
  descriptor(0x08, 0x0000ffff, 0x00cf9a00);
  descriptor(0x10, 0x0000ffff, 0x00cf9200);
  descriptor(0x18, 0x44000067, 0x00008b00); // busy 32-bit TSS at 44000H
  descriptor(0x20, ((NEW_TSS & 0xffff) << 16) | 0x67, ((NEW_TSS >>> 16) & 0xff) | 0x8900); // available TSS
  // IDT vector 30H: a task gate for TSS selector 20H.
  memory.write32(guestPhysical(IDT32 + 0x30 * 8), 0x20 << 16);
  memory.write32(guestPhysical(IDT32 + 0x30 * 8 + 4), gate ? 0x8500 : 0x0500);
  const v = vmx.vmcs;
  v.write(F.VM_ENTRY_CONTROLS, v.read(F.VM_ENTRY_CONTROLS) & ~C.ENTRY_IA32E_MODE_GUEST);
  v.write(F.GUEST_CR3, PD32);
  v.write(F.GUEST_CR4, 0x2010); // VMXE, PSE
  v.write(F.GUEST_CS_ACCESS_RIGHTS, 0xc09b);
  v.write(F.GUEST_TR_BASE, 0x44000);
  v.write(F.GUEST_GDTR_BASE, GDT32);
  v.write(F.GUEST_GDTR_LIMIT, 0x27);
  v.write(F.GUEST_IDTR_BASE, IDT32);
  v.write(F.GUEST_IDTR_LIMIT, 0x7ff);
  init(v, memory);
  expect(vmx.vmlaunch(ROOT64).kind).toBe('entered');
  expect(attachment.enterGuest()).toBe(true);
  const stop = cpu.run({ maxInstructions: 100 });
  return { stop, vmx, cpu };
}

describe('task-switch exits (SDM 3C 26.2, 28.2.1 Table 28-2)', () => {
  it('JMP to a TSS exits with the selector and source 2 (JMP), no IDT-vectoring information', () => {
    const { stop, vmx, cpu } = runTaskSwitchGuest('nop\njmp 0x20:0', true);
    expect(stop).toBe(StopReason.VmExit);
    const v = vmx.vmcs;
    expect(v.read(F.EXIT_REASON)).toBe(9);
    expect(v.read(F.EXIT_QUALIFICATION)).toBe(((2 << 30) | 0x20) >>> 0);
    expect(v.read(F.GUEST_RIP)).toBe(GUEST_CODE + 1);
    expect(v.read(F.VM_EXIT_INSTRUCTION_LENGTH)).toBe(7);
    expect(v.read(F.IDT_VECTORING_INFORMATION)).toBe(0);
    expect(cpu.getReg('rip')).toBe(0x401000); // the host runs on
  });

  it('INT 30H through a task gate exits with source 3 and the INT as IDT-vectoring information', () => {
    const { stop, vmx, cpu } = runTaskSwitchGuest('nop\nint 0x30', true);
    expect(stop).toBe(StopReason.VmExit);
    const v = vmx.vmcs;
    expect(v.read(F.EXIT_REASON)).toBe(9);
    expect(v.read(F.EXIT_QUALIFICATION)).toBe(((3 << 30) | 0x20) >>> 0);
    expect(v.read(F.IDT_VECTORING_INFORMATION)).toBe((VALID | (C.INTR_TYPE_SOFTWARE_INTERRUPT << 8) | 0x30) >>> 0);
    expect(v.read(F.VM_EXIT_INSTRUCTION_LENGTH)).toBe(2);
    expect(v.read(F.GUEST_RIP)).toBe(GUEST_CODE + 1); // on the INT: the event was not delivered
    expect(v.read(F.GUEST_RSP)).toBe(GUEST_RSP);
    expect(cpu.getReg('rip')).toBe(0x401000);
  });

  it('IRET with RFLAGS.NT exits with the back-link selector and source 1 (IRET)', () => {
    const { stop, vmx, cpu } = runTaskSwitchGuest('nop\niretd', true, (v, m) => {
      m.write32(guestPhysical(0x44000), 0x20); // the current TSS's previous-task link
      m.write32(guestPhysical(GDT32 + 0x20 + 4), ((NEW_TSS >>> 16) & 0xff) | 0x8b00); // IRET returns to a busy TSS
      v.write(F.GUEST_RFLAGS, 0x4002); // NT
    });
    expect(stop).toBe(StopReason.VmExit);
    const v = vmx.vmcs;
    expect(v.read(F.EXIT_REASON)).toBe(9);
    expect(v.read(F.EXIT_QUALIFICATION)).toBe(((1 << 30) | 0x20) >>> 0);
    expect(v.read(F.GUEST_RIP)).toBe(GUEST_CODE + 1);
    expect(v.read(F.IDT_VECTORING_INFORMATION)).toBe(0);
    expect(cpu.getReg('rip')).toBe(0x401000);
  });
});
