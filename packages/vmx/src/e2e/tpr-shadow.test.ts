// "Use TPR shadow" from guest code (SDM 3C 29.3 "Virtualizing CR8-based TPR accesses", 29.1.2
// "TPR virtualization"): a 64-bit guest's MOV to/from CR8 goes to VTPR (offset 80H of the
// virtual-APIC page) instead of the CPU's CR8, and a write that takes VTPR[7:4] below the TPR
// threshold exits with reason 43 after the instruction. Written as { name, init, guestMain,
// onExit } like the other guest-exit tables.
import { StopReason } from '@typevisor/cpu';
import { guestPhysical } from '@typevisor/mmu';
import { describe, expect, it } from 'vitest';
import { buildCpuMachine, prepareGuest } from '../testing/cpu-machine.ts';
import {
  expectGuestExit,
  type GuestExitExpectation,
  type GuestExitTest,
  launchGuest,
  setProcControls as proc,
} from '../testing/guest-exit-table.ts';
import * as C from '../vmcs/controls.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsAccess } from '../vmcs/vmcs.ts';

const GUEST_CODE = 0x20000;
const VIRTUAL_APIC = 0x50000;
const VTPR = VIRTUAL_APIC + 0x80;
/** The CPU's own CR8 when the guest starts (CR8 is not part of the guest or host state area). */
const REAL_CR8 = 9;
/** VTPR before the guest runs: priority 5 in bits 7:4, and junk in bits 3:0 and 31:8. */
const VTPR_AT_ENTRY = 0xdeadbe5a;

interface TprShadowExit extends GuestExitExpectation {
  /** The 32-bit VTPR after the exit. */
  readonly vtpr: number;
  /** The CPU's CR8 after the exit. */
  readonly cr8?: number;
}

/** "Use TPR shadow" with the virtual-APIC page at VIRTUAL_APIC and TPR threshold `threshold`. */
const tprShadow = (v: VmcsAccess, threshold: number, extra = 0) => {
  proc(v, C.PROC_USE_TPR_SHADOW | extra);
  v.write(F.VIRTUAL_APIC_ADDRESS, VIRTUAL_APIC);
  v.write(F.TPR_THRESHOLD, threshold);
};

// mov eax, imm32 = 5 bytes; mov cr8, rax / mov rax, cr8 = 4 bytes (REX.R); mov rax, -1 = 7 bytes.
export const TPR_SHADOW_TESTS: GuestExitTest<TprShadowExit>[] = [
  {
    name: 'MOV to CR8 below the TPR threshold writes VTPR and exits 43 after the instruction',
    init: (v) => tprShadow(v, 5),
    guestMain: 'mov eax, 3\nmov cr8, rax\nvmcall',
    onExit: {
      reason: 43,
      at: 9,
      qualification: 0,
      vtpr: 0x30,
      check: (v) => expect(v.read(F.IDT_VECTORING_INFORMATION) & 0x80000000).toBe(0),
    },
  },
  {
    name: 'MOV to CR8 of 0 with threshold 1 exits 43',
    init: (v) => tprShadow(v, 1),
    guestMain: 'xor eax, eax\nmov cr8, rax\nhlt',
    onExit: { reason: 43, at: 6, vtpr: 0 },
  },
  {
    name: 'MOV to CR8 equal to the threshold writes VTPR without an exit',
    init: (v) => tprShadow(v, 5),
    guestMain: 'mov eax, 5\nmov cr8, rax\nvmcall',
    onExit: { reason: 18, at: 9, vtpr: 0x50 },
  },
  {
    name: 'MOV to CR8 above the threshold writes VTPR without an exit',
    init: (v) => tprShadow(v, 5),
    guestMain: 'mov eax, 15\nmov cr8, rax\nvmcall',
    onExit: { reason: 18, at: 9, vtpr: 0xf0 },
  },
  {
    name: 'MOV to CR8 with threshold 0 never exits',
    init: (v) => tprShadow(v, 0),
    guestMain: 'xor eax, eax\nmov cr8, rax\nvmcall',
    onExit: { reason: 18, at: 6, vtpr: 0 },
  },
  {
    name: 'MOV from CR8 reads VTPR[7:4] the host wrote, clearing bits 63:4',
    init: (v, m) => {
      tprShadow(v, 0);
      m.write32(guestPhysical(VTPR), 0x123456a7);
    },
    guestMain: 'mov rax, -1\nmov rax, cr8\nvmcall',
    onExit: {
      reason: 18,
      at: 11,
      vtpr: 0x123456a7,
      check: (_v, { cpu }) => expect(cpu.getReg('rax')).toBe(0xa),
    },
  },
  {
    name: 'MOV from CR8 reads back what a MOV to CR8 wrote into VTPR',
    init: (v) => tprShadow(v, 2),
    guestMain: 'mov eax, 7\nmov cr8, rax\nmov rbx, cr8\nvmcall',
    onExit: { reason: 18, at: 13, vtpr: 0x70, check: (_v, { cpu }) => expect(cpu.getReg('rbx')).toBe(7) },
  },
  {
    name: 'CR8-load exiting wins over the TPR shadow: exit 28 on the MOV, VTPR untouched',
    init: (v) => tprShadow(v, 5, C.PROC_CR8_LOAD_EXITING),
    guestMain: 'mov eax, 3\nmov cr8, rax',
    onExit: { reason: 28, at: 5, qualification: 0x8, vtpr: VTPR_AT_ENTRY },
  },
  {
    name: 'CR8-store exiting wins over the TPR shadow: exit 28 on the MOV',
    init: (v) => tprShadow(v, 5, C.PROC_CR8_STORE_EXITING),
    guestMain: 'mov rax, cr8',
    onExit: { reason: 28, at: 0, qualification: 0x18, vtpr: VTPR_AT_ENTRY },
  },
  {
    name: 'MOV to CR8 with bits 63:4 set raises #GP(0) before the TPR shadow is written',
    init: (v) => {
      tprShadow(v, 5);
      v.write(F.EXCEPTION_BITMAP, 1 << 13);
    },
    guestMain: 'mov eax, 0x13\nmov cr8, rax',
    onExit: { reason: 0, at: 5, interruption: 0x80000b0d, vtpr: VTPR_AT_ENTRY },
  },
  {
    name: 'without "use TPR shadow" MOV CR8 reads and writes the CPU\'s CR8',
    init: (v, m) => {
      v.write(F.VIRTUAL_APIC_ADDRESS, VIRTUAL_APIC);
      v.write(F.TPR_THRESHOLD, 5);
      m.write32(guestPhysical(VTPR), 0);
    },
    guestMain: 'mov rbx, cr8\nmov eax, 3\nmov cr8, rax\nmov rcx, cr8\nvmcall',
    onExit: {
      reason: 18,
      at: 17,
      vtpr: 0,
      cr8: 3,
      check: (_v, { cpu }) => {
        expect(cpu.getReg('rbx')).toBe(REAL_CR8);
        expect(cpu.getReg('rcx')).toBe(3);
      },
    },
  },
];

function runGuest(t: GuestExitTest<TprShadowExit>) {
  const machine = buildCpuMachine();
  prepareGuest(machine, t.guestMain, GUEST_CODE);
  machine.memory.write32(guestPhysical(VTPR), VTPR_AT_ENTRY);
  t.init(machine.vmx.vmcs, machine.memory);
  machine.cpu.setReg('cr8', REAL_CR8);
  return { stop: launchGuest(machine, 1000), machine };
}

describe('use TPR shadow in guest code', () => {
  it.each(TPR_SHADOW_TESTS.map((t) => [t.name, t] as const))('%s', (_name, t) => {
    const { stop, machine } = runGuest(t);
    expectGuestExit(stop, machine, t.onExit, GUEST_CODE);
    expect(machine.memory.read32(guestPhysical(VTPR))).toBe(t.onExit.vtpr);
    // The shadow never reaches the CPU's own TPR.
    expect(machine.cpu.getReg('cr8')).toBe(t.onExit.cr8 ?? REAL_CR8);
  });
});

describe('TPR-below-threshold exit and the single-step trap', () => {
  it('saves the MOV to CR8 single-step trap as pending debug exceptions (BS), the exit taking priority', () => {
    const machine = buildCpuMachine();
    const { memory, cpu, vmx } = machine;
    prepareGuest(machine, 'mov cr8, rax\nnop', GUEST_CODE);
    memory.write32(guestPhysical(VTPR), VTPR_AT_ENTRY);
    tprShadow(vmx.vmcs, 5);
    vmx.vmcs.write(F.GUEST_RFLAGS, vmx.vmcs.read(F.GUEST_RFLAGS) | 0x100);
    cpu.setReg('rax', 2);
    expect(launchGuest(machine, 100)).toBe(StopReason.VmExit);
    const v = vmx.vmcs;
    expect(v.read(F.EXIT_REASON)).toBe(43);
    expect(v.read(F.GUEST_RIP)).toBe(GUEST_CODE + 4);
    expect(v.read(F.GUEST_PENDING_DEBUG_EXCEPTIONS)).toBe(0x4000);
    expect(memory.read32(guestPhysical(VTPR))).toBe(0x20);
    expect(cpu.pendingDebugTraps).toBe(0);
  });
});
