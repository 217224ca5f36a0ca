import { guestPhysical, type PhysicalMemory } from '@typevisor/mmu';
import { describe, expect, it } from 'vitest';
import { buildCpuMachine, PML4, prepareGuest } from '../testing/cpu-machine.ts';
import {
  expectGuestExit,
  type GuestExitTest,
  launchGuest,
  setPinControls as pin,
  setProc2Controls as proc2,
  setProcControls as proc,
} from '../testing/guest-exit-table.ts';
import { buildIdentityEpt, enableEpt } from '../testing/identity-ept.ts';
import * as C from '../vmcs/controls.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsAccess } from '../vmcs/vmcs.ts';

const GUEST_CODE = 0x20000;
/** Where buildIdentityEpt puts the EPT PML4, and an EPTP list for VMFUNC. */
const EPT_ROOT = 0x100000;
const EPTP_LIST = 0x7000;

export const GUEST_EXIT_TESTS: GuestExitTest[] = [
  { name: 'CPUID', init: () => {}, guestMain: 'nop\ncpuid', onExit: { reason: 10, at: 1, length: 2 } },
  {
    name: 'HLT with HLT exiting',
    init: (v) => proc(v, C.PROC_HLT_EXITING),
    guestMain: 'hlt',
    onExit: { reason: 12, at: 0, length: 1 },
  },
  {
    name: 'OUT imm8 with unconditional I/O exiting',
    init: (v) => proc(v, C.PROC_UNCONDITIONAL_IO_EXITING),
    guestMain: 'mov al, 1\nout 0x80, al',
    onExit: { reason: 30, at: 2, length: 2, qualification: 0x800040 },
  },
  {
    name: 'IN from DX through I/O bitmap A',
    init: (v, m) => {
      proc(v, C.PROC_USE_IO_BITMAPS);
      v.write(F.IO_BITMAP_A, 0x40000);
      v.write(F.IO_BITMAP_B, 0x41000);
      m.write32(guestPhysical(0x40000 + (0x3f8 >> 3)), 1);
    },
    guestMain: 'mov dx, 0x3f8\nin al, dx',
    onExit: { reason: 30, at: 4, length: 1, qualification: (0x3f8 << 16) | 8 },
  },
  {
    name: 'RDMSR without MSR bitmaps',
    init: () => {},
    guestMain: 'mov ecx, 0x10\nrdmsr',
    onExit: { reason: 31, at: 5, length: 2 },
  },
  {
    name: 'WRMSR without MSR bitmaps',
    init: () => {},
    guestMain: 'mov ecx, 0x10\nwrmsr',
    onExit: { reason: 32, at: 5, length: 2 },
  },
  {
    name: 'MOV to CR3 with CR3-load exiting',
    init: (v) => proc(v, C.PROC_CR3_LOAD_EXITING),
    guestMain: `mov rbx, ${PML4}\nmov cr3, rbx`,
    onExit: { reason: 28, at: 7, length: 3, qualification: 0x303 },
  },
  {
    name: 'MOV to CR0 clearing a host-owned bit (read through the shadow first)',
    init: (v) => {
      v.write(F.CR0_GUEST_HOST_MASK, 0x20);
      v.write(F.CR0_READ_SHADOW, 0x20);
    },
    guestMain: 'mov rbx, cr0\nand ebx, 0xffffffdf\nmov cr0, rbx',
    onExit: { reason: 28, at: 6, length: 3, qualification: 0x300 },
  },
  {
    name: 'RDTSC with RDTSC exiting',
    init: (v) => proc(v, C.PROC_RDTSC_EXITING),
    guestMain: 'rdtsc',
    onExit: { reason: 16, at: 0, length: 2 },
  },
  {
    name: 'PAUSE with PAUSE exiting',
    init: (v) => proc(v, C.PROC_PAUSE_EXITING),
    guestMain: 'pause',
    onExit: { reason: 40, at: 0, length: 2 },
  },
  {
    name: 'INVLPG with INVLPG exiting',
    init: (v) => proc(v, C.PROC_INVLPG_EXITING),
    guestMain: 'mov rax, 0x5000\ninvlpg [rax]',
    onExit: { reason: 14, at: 7, length: 3, qualification: 0x5000 },
  },
  {
    name: 'MOV from DR7 with MOV-DR exiting',
    init: (v) => proc(v, C.PROC_MOV_DR_EXITING),
    guestMain: 'mov rax, dr7',
    onExit: { reason: 29, at: 0, length: 3, qualification: 0x17 },
  },
  {
    name: '#UD in the exception bitmap',
    init: (v) => v.write(F.EXCEPTION_BITMAP, 1 << 6),
    guestMain: 'nop\nud2',
    onExit: { reason: 0, at: 1, interruption: 0x80000306 },
  },
  { name: 'VMCALL', init: () => {}, guestMain: 'vmcall', onExit: { reason: 18, at: 0, length: 3 } },
  { name: 'VMXOFF in the guest', init: () => {}, guestMain: 'vmxoff', onExit: { reason: 26, at: 0, length: 3 } },
  { name: 'INVD', init: () => {}, guestMain: 'invd', onExit: { reason: 13, at: 0, length: 2 } },
  {
    name: 'XSETBV',
    // CR4.OSXSAVE: without it XSETBV raises #UD, which has priority over the exit (SDM 3C 26.1.1).
    init: (v) => v.write(F.GUEST_CR4, v.read(F.GUEST_CR4) | 0x40000),
    guestMain: 'xor ecx, ecx\nxsetbv',
    onExit: { reason: 55, at: 2, length: 3 },
  },
  {
    name: 'WBINVD with WBINVD exiting',
    init: (v) => proc2(v, C.PROC2_WBINVD_EXITING),
    guestMain: 'wbinvd',
    onExit: { reason: 54, at: 0, length: 2 },
  },
  {
    name: 'RDRAND with RDRAND exiting',
    init: (v) => proc2(v, C.PROC2_RDRAND_EXITING),
    guestMain: 'rdrand eax',
    onExit: { reason: 57, at: 0, length: 3 },
  },
  {
    name: 'RDSEED with RDSEED exiting',
    init: (v) => proc2(v, C.PROC2_RDSEED_EXITING),
    guestMain: 'rdseed eax',
    onExit: { reason: 61, at: 0, length: 3 },
  },
  {
    name: 'SGDT with descriptor-table exiting',
    init: (v) => proc2(v, C.PROC2_DESCRIPTOR_TABLE_EXITING),
    guestMain: 'mov rax, 0x6000\nsgdt [rax]',
    onExit: { reason: 46, at: 7, length: 3 },
  },
  {
    name: 'STR with descriptor-table exiting',
    init: (v) => proc2(v, C.PROC2_DESCRIPTOR_TABLE_EXITING),
    guestMain: 'str eax',
    onExit: { reason: 47, at: 0, length: 3 },
  },
  {
    name: 'MONITOR with MONITOR exiting',
    init: (v) => proc(v, C.PROC_MONITOR_EXITING),
    guestMain: 'monitor',
    onExit: { reason: 39, at: 0, length: 3 },
  },
  {
    name: 'MWAIT with MWAIT exiting',
    init: (v) => proc(v, C.PROC_MWAIT_EXITING),
    guestMain: 'mwait',
    onExit: { reason: 36, at: 0, length: 3 },
  },
  {
    name: 'RDPMC with RDPMC exiting',
    init: (v) => proc(v, C.PROC_RDPMC_EXITING),
    guestMain: 'rdpmc',
    onExit: { reason: 15, at: 0, length: 2 },
  },
  {
    name: 'RDTSCP with RDTSC exiting and RDTSCP enabled',
    init: (v) => {
      proc(v, C.PROC_RDTSC_EXITING);
      proc2(v, C.PROC2_ENABLE_RDTSCP);
    },
    guestMain: 'rdtscp',
    onExit: { reason: 51, at: 0, length: 3 },
  },
  {
    name: 'MOV to CR8 with CR8-load exiting',
    init: (v) => proc(v, C.PROC_CR8_LOAD_EXITING),
    guestMain: 'xor eax, eax\nmov cr8, rax',
    onExit: { reason: 28, at: 2, qualification: 0x8 },
  },
  {
    name: 'CLTS with CR0.TS owned by the host and shadowed as 1',
    init: (v) => {
      v.write(F.CR0_GUEST_HOST_MASK, 8);
      v.write(F.CR0_READ_SHADOW, 8);
    },
    guestMain: 'clts',
    onExit: { reason: 28, at: 0, length: 2, qualification: 0x20 },
  },
  {
    name: 'a triple fault (#UD with an empty IDT)',
    init: (v) => v.write(F.GUEST_IDTR_LIMIT, 0),
    guestMain: 'ud2',
    onExit: { reason: 2, at: 0 },
  },
  {
    name: 'INVEPT in the guest',
    init: () => {},
    guestMain: 'mov rax, 0x6000\nmov ebx, 2\ninvept rbx, [rax]',
    onExit: { reason: 50, at: 12 },
  },
  {
    name: 'interrupt window with RFLAGS.IF=1',
    init: (v) => {
      proc(v, C.PROC_INTERRUPT_WINDOW_EXITING);
      v.write(F.GUEST_RFLAGS, 0x202);
    },
    guestMain: 'nop\nnop',
    onExit: { reason: 7, at: 0 },
  },
  {
    name: 'VMX-preemption timer',
    init: (v) => {
      pin(v, C.PIN_ACTIVATE_PREEMPTION_TIMER);
      v.write(F.VMX_PREEMPTION_TIMER_VALUE, 1);
    },
    guestMain: 'spin:\njmp spin',
    onExit: { reason: 52, at: 0 },
  },
  // ---- exception exits with their exit qualification (SDM 3C 28.1, 28.2.1) ----
  {
    name: '#PF in the exception bitmap: the linear address is the qualification, CR2 is not written',
    init: (v) => v.write(F.EXCEPTION_BITMAP, 1 << 14),
    // 2 GiB: PDPT entry 2 is not present in the guest's tables.
    guestMain: 'mov rbx, 0x80000010\nmov eax, [rbx]',
    onExit: {
      reason: 0,
      at: 10,
      qualification: 0x80000010,
      interruption: 0x80000b0e,
      check: (v, { cpu }) => {
        expect(v.read(F.VM_EXIT_INTERRUPTION_ERROR_CODE)).toBe(0); // not present, read, supervisor
        expect(cpu.getReg('cr2')).toBe(0x5a5a000);
      },
    },
  },
  {
    name: '#DB from DR7.GD in the exception bitmap: BD in the qualification, DR6 and DR7.GD untouched',
    init: (v) => {
      v.write(F.EXCEPTION_BITMAP, 1 << 1);
      // "load debug controls" / "save debug controls": DR7 goes to the guest and back into the VMCS.
      v.write(F.VM_ENTRY_CONTROLS, v.read(F.VM_ENTRY_CONTROLS) | C.ENTRY_LOAD_DEBUG_CONTROLS);
      v.write(F.PRIMARY_VM_EXIT_CONTROLS, v.read(F.PRIMARY_VM_EXIT_CONTROLS) | C.EXIT_SAVE_DEBUG_CONTROLS);
      v.write(F.GUEST_DR7, 0x2400);
    },
    guestMain: 'nop\nmov rax, dr0',
    onExit: {
      reason: 0,
      at: 1,
      qualification: 0x2000,
      interruption: 0x80000301,
      check: (v, { cpu }) => {
        expect(v.read(F.GUEST_DR7)).toBe(0x2400);
        expect(cpu.state.dr[12]! & 0x2000).toBe(0); // DR6.BD
      },
    },
  },
  {
    name: 'INT3 in the exception bitmap: a software exception with RIP on the INT3 and its length',
    init: (v) => v.write(F.EXCEPTION_BITMAP, 1 << 3),
    guestMain: 'nop\nint3',
    onExit: { reason: 0, at: 1, length: 1, interruption: 0x80000603 },
  },
  {
    name: 'INT1 (ICEBP) in the exception bitmap: a privileged software exception',
    init: (v) => v.write(F.EXCEPTION_BITMAP, 1 << 1),
    guestMain: 'int1',
    onExit: { reason: 0, at: 0, length: 1, interruption: 0x80000501 },
  },
  {
    name: '#DB single-step trap (RFLAGS.TF) in the exception bitmap: BS in the qualification, RIP past the stepped instruction',
    init: (v) => v.write(F.EXCEPTION_BITMAP, 1 << 1),
    // The POPFQ that sets TF does not trap; the NOP after it does (SDM 3B 17.3.1.4).
    guestMain: 'pushfq\nor qword [rsp], 0x100\npopfq\nnop\nnop',
    onExit: {
      reason: 0,
      at: 11,
      qualification: 0x4000,
      interruption: 0x80000301,
      check: (v, { cpu }) => {
        expect(cpu.state.dr[12]! & 0x4000).toBe(0); // the exit leaves DR6 alone (SDM 3C 28.1)
        expect(Number(v.read(F.GUEST_RFLAGS)) & 0x100).toBe(0x100);
      },
    },
  },
  {
    name: '#DB data breakpoint (DR0, R/W = 01, 4 bytes) in the exception bitmap: B0 in the qualification after the store',
    init: (v) => {
      v.write(F.EXCEPTION_BITMAP, 1 << 1);
      v.write(F.VM_ENTRY_CONTROLS, v.read(F.VM_ENTRY_CONTROLS) | C.ENTRY_LOAD_DEBUG_CONTROLS);
      v.write(F.GUEST_DR7, 0x000d0401); // L0, R/W0 = 01 (writes), LEN0 = 11 (4 bytes)
    },
    guestMain: 'mov eax, 0x30000\nmov dr0, rax\nmov byte [rax+2], 1\nnop',
    onExit: { reason: 0, at: 12, qualification: 0x1, interruption: 0x80000301 },
  },
  // ---- VM-exit instruction information (SDM 3C 28.2.5) and displacement qualifications ----
  {
    name: 'VMPTRLD [rax+rbx*4+0x10]: scale, 64-bit address size, DS, index RBX, base RAX',
    init: () => {},
    guestMain: 'mov eax, 0x6000\nxor ebx, ebx\nvmptrld [rax+rbx*4+0x10]',
    // scaling 2 | address size 2 << 7 | DS (3) << 15 | index 3 << 18 | base 0 << 23
    onExit: { reason: 21, at: 7, length: 5, qualification: 0x10, info: 2 | (2 << 7) | (3 << 15) | (3 << 18) },
  },
  {
    name: 'VMCLEAR [rsp-8] in 64-bit mode: SS, no index, negative displacement sign-extended',
    init: () => {},
    guestMain: 'vmclear [rsp-8]',
    onExit: {
      reason: 19,
      at: 0,
      info: (2 << 7) | (2 << 15) | (1 << 22) | (4 << 23),
      check: (v) =>
        expect([v.readLo(F.EXIT_QUALIFICATION), v.readHi(F.EXIT_QUALIFICATION)]).toEqual([0xfffffff8, 0xffffffff]),
    },
  },
  {
    name: 'VMREAD rbx, rcx (register form): Reg1 = RBX, Reg2 = RCX, bit 10 set',
    init: () => {},
    guestMain: 'vmread rbx, rcx',
    onExit: { reason: 23, at: 0, length: 3, qualification: 0, info: (3 << 3) | (1 << 10) | (1 << 28) },
  },
  {
    name: 'VMWRITE rdx, [r9] : memory source, base R9, Reg2 = RDX',
    init: () => {},
    guestMain: 'mov r9, 0x6000\nvmwrite rdx, [r9]',
    onExit: { reason: 25, at: 7, info: (2 << 7) | (3 << 15) | (1 << 22) | (9 << 23) | (2 << 28) },
  },
  {
    name: 'INVEPT rbx, [rax+0x20]: descriptor operand and the type register as Reg2',
    init: () => {},
    guestMain: 'mov rax, 0x6000\nmov ebx, 2\ninvept rbx, [rax+0x20]',
    onExit: { reason: 50, at: 12, qualification: 0x20, info: (2 << 7) | (3 << 15) | (1 << 22) | (3 << 28) },
  },
  {
    name: 'LIDT [rbx+0x8] with descriptor-table exiting: identity LIDT (3)',
    init: (v) => proc2(v, C.PROC2_DESCRIPTOR_TABLE_EXITING),
    guestMain: 'mov rbx, 0x6000\nlidt [rbx+0x8]',
    onExit: { reason: 46, at: 7, qualification: 8, info: (2 << 7) | (3 << 15) | (1 << 22) | (3 << 23) | (3 << 28) },
  },
  {
    name: 'SLDT ax with descriptor-table exiting: register form, Reg1 = RAX, identity SLDT (0)',
    init: (v) => proc2(v, C.PROC2_DESCRIPTOR_TABLE_EXITING),
    guestMain: 'sldt ax',
    onExit: { reason: 47, at: 0, qualification: 0, info: 1 << 10 },
  },
  {
    name: 'LTR [rel tss] with descriptor-table exiting: RIP-relative, the qualification is the address',
    init: (v) => proc2(v, C.PROC2_DESCRIPTOR_TABLE_EXITING),
    guestMain: 'ltr [rel tss]\ntss: dw 0x18',
    onExit: {
      reason: 47,
      at: 0,
      length: 7,
      qualification: GUEST_CODE + 7,
      info: (2 << 7) | (3 << 15) | (1 << 22) | (1 << 27) | (3 << 28),
    },
  },
  {
    name: 'RDRAND r10d: destination register and 32-bit operand size',
    init: (v) => proc2(v, C.PROC2_RDRAND_EXITING),
    guestMain: 'rdrand r10d',
    onExit: { reason: 57, at: 0, info: (10 << 3) | (1 << 11) },
  },
  {
    name: 'RDSEED rcx: 64-bit operand size',
    init: (v) => proc2(v, C.PROC2_RDSEED_EXITING),
    guestMain: 'rdseed rcx',
    onExit: { reason: 61, at: 0, info: (1 << 3) | (2 << 11) },
  },
  // ---- LMSW (SDM 3C 26.1.3, 26.3) ----
  {
    name: 'LMSW setting a host-owned bit (TS) the shadow has clear exits with the source data',
    init: (v) => {
      v.write(F.CR0_GUEST_HOST_MASK, 8);
      v.write(F.CR0_READ_SHADOW, 0);
    },
    guestMain: 'mov eax, 0x9\nlmsw ax',
    // access type 3 (LMSW), register operand, source data 0x9 in bits 31:16
    onExit: { reason: 28, at: 5, length: 3, qualification: (9 << 16) | (3 << 4) },
  },
  {
    name: 'LMSW [rbx] (memory operand) setting host-owned TS: source data, memory bit 6 and the guest-linear address',
    init: (v, m) => {
      v.write(F.CR0_GUEST_HOST_MASK, 8);
      v.write(F.CR0_READ_SHADOW, 0);
      m.write32(guestPhysical(0x6010), 0xfff9);
    },
    guestMain: 'mov ebx, 0x6010\nlmsw [rbx]',
    // access type 3 (LMSW), operand type 1 (memory), all 16 source bits in 31:16 (SDM 3C Table 28-3)
    onExit: {
      reason: 28,
      at: 5,
      length: 3,
      qualification: ((0xfff9 << 16) | (1 << 6) | (3 << 4)) >>> 0,
      check: (v) => expect(v.read(F.GUEST_LINEAR_ADDRESS)).toBe(0x6010),
    },
  },
  {
    name: 'LMSW ax (register operand) leaves the guest-linear address field 0',
    init: (v) => {
      v.write(F.CR0_GUEST_HOST_MASK, 8);
      v.write(F.CR0_READ_SHADOW, 0);
    },
    guestMain: 'mov ebx, 0x6010\nmov eax, 0x9\nlmsw ax',
    onExit: { reason: 28, at: 10, check: (v) => expect(v.read(F.GUEST_LINEAR_ADDRESS)).toBe(0) },
  },
  // ---- instructions a secondary control enables (SDM 3C 26.3): #UD, before any exit or other fault ----
  {
    name: 'RDTSCP without "enable RDTSCP" raises #UD even with RDTSC exiting',
    init: (v) => {
      v.write(F.EXCEPTION_BITMAP, 1 << 6);
      proc(v, C.PROC_RDTSC_EXITING);
    },
    guestMain: 'nop\nrdtscp',
    onExit: { reason: 0, at: 1, interruption: 0x80000306 },
  },
  {
    name: 'RDPID without "enable RDTSCP" raises #UD',
    init: (v) => v.write(F.EXCEPTION_BITMAP, 1 << 6),
    guestMain: 'rdpid rax',
    onExit: { reason: 0, at: 0, interruption: 0x80000306 },
  },
  {
    name: 'INVPCID without "enable INVPCID" raises #UD even with INVLPG exiting',
    init: (v) => {
      v.write(F.EXCEPTION_BITMAP, 1 << 6);
      proc(v, C.PROC_INVLPG_EXITING);
    },
    guestMain: 'mov eax, 0x6000\nmov ecx, 2\ninvpcid rcx, [rax]',
    onExit: { reason: 0, at: 10, interruption: 0x80000306 },
  },
  {
    name: 'INVPCID with "enable INVPCID" and INVLPG exiting exits (58)',
    init: (v) => {
      proc(v, C.PROC_INVLPG_EXITING);
      proc2(v, C.PROC2_ENABLE_INVPCID);
    },
    guestMain: 'mov eax, 0x6000\nmov ecx, 2\ninvpcid rcx, [rax]',
    onExit: { reason: 58, at: 10, length: 5 },
  },
  // ---- VMFUNC (SDM 3C 25.5.6, 26.1.2; SDM 2 "VMFUNC") ----
  {
    name: 'VMFUNC without "enable VM functions" raises #UD',
    init: (v) => v.write(F.EXCEPTION_BITMAP, 1 << 6),
    guestMain: 'xor eax, eax\nvmfunc',
    onExit: { reason: 0, at: 2, interruption: 0x80000306 },
  },
  {
    name: 'VMFUNC of a function the VM-function controls leave off exits (59) with its length',
    init: (v, m) => enableVmFunctions(v, m, 1),
    guestMain: 'mov eax, 1\nxor ecx, ecx\nvmfunc',
    onExit: { reason: 59, at: 7, length: 3, qualification: 0 },
  },
  {
    name: 'VMFUNC 0 (EPTP switching) with ECX = 512 exits (59), the EPTP unchanged',
    init: (v, m) => enableVmFunctions(v, m, 1),
    guestMain: 'xor eax, eax\nmov ecx, 512\nvmfunc',
    onExit: { reason: 59, at: 7, length: 3, check: (v) => expect(v.read(F.EPTP_INDEX)).toBe(0) },
  },
  {
    name: 'VMFUNC 0 with an invalid EPTP-list entry (memory type 2) exits (59)',
    init: (v, m) => {
      enableVmFunctions(v, m, 1);
      m.write32(guestPhysical(EPTP_LIST + 8 * 5), (EPT_ROOT | (3 << 3) | 2) >>> 0);
    },
    guestMain: 'xor eax, eax\nmov ecx, 5\nvmfunc',
    onExit: { reason: 59, at: 7, length: 3 },
  },
  // ---- PAUSE-loop exiting (SDM 3C 26.1.3): PAUSEs 3 TSC ticks (instructions) apart ----
  {
    name: 'PAUSE-loop exiting: PAUSEs within PLE_Gap exit once the loop outlasts PLE_Window (the 12th PAUSE, 33 > 30 ticks)',
    init: (v) => ple(v, 3, 30),
    guestMain: 'mov ecx, 100\nspin:\npause\ndec ecx\njnz spin\nvmcall',
    onExit: {
      reason: 40,
      at: 5,
      length: 2,
      check: (_v, { cpu }) => expect(cpu.getReg('rcx')).toBe(100 - 11),
    },
  },
  {
    name: 'PAUSE-loop exiting: one more tick of PLE_Window lets one more PAUSE run (the 13th exits)',
    init: (v) => ple(v, 3, 33),
    guestMain: 'mov ecx, 100\nspin:\npause\ndec ecx\njnz spin\nvmcall',
    onExit: { reason: 40, at: 5, check: (_v, { cpu }) => expect(cpu.getReg('rcx')).toBe(100 - 12) },
  },
];

/** EPT on (identity map at 1 MiB), "enable VM functions" with these VM-function controls, the EPTP list at EPTP_LIST. */
function enableVmFunctions(v: VmcsAccess, m: PhysicalMemory, functions: number): void {
  buildIdentityEpt(m);
  enableEpt(v, EPT_ROOT);
  proc2(v, C.PROC2_ENABLE_VM_FUNCTIONS);
  v.write(F.VM_FUNCTION_CONTROLS, functions);
  v.write(F.EPTP_LIST_ADDRESS, EPTP_LIST);
}

/** "PAUSE-loop exiting" with PLE_Gap and PLE_Window. */
function ple(v: VmcsAccess, gap: number, window: number): void {
  proc2(v, C.PROC2_PAUSE_LOOP_EXITING);
  v.write(F.PLE_GAP, gap);
  v.write(F.PLE_WINDOW, window);
}

/** Guests that must run to their VMCALL: the exit conditions above must NOT fire. */
const NO_EXIT_TESTS: GuestExitTest[] = [
  {
    name: 'LMSW writing host-owned bits equal to the shadow does not exit, and leaves them as the host set them',
    init: (v) => {
      v.write(F.CR0_GUEST_HOST_MASK, 8); // the host owns TS, shadowed as 1, real value 0
      v.write(F.CR0_READ_SHADOW, 8);
    },
    guestMain: 'mov eax, 0xb\nlmsw ax\nvmcall',
    onExit: { reason: 18, at: 8, check: (v) => expect(v.read(F.GUEST_CR0) & 0xf).toBe(0x3) },
  },
  {
    name: 'LMSW cannot clear PE (guest-owned)',
    init: () => {},
    guestMain: 'xor eax, eax\nlmsw ax\nvmcall',
    onExit: { reason: 18, at: 5, check: (v) => expect(v.read(F.GUEST_CR0) & 1).toBe(1) },
  },
  {
    name: 'INT n never consults the exception bitmap (a software interrupt)',
    init: (v) => {
      v.write(F.EXCEPTION_BITMAP, 0xffffffff);
      v.write(F.GUEST_IDTR_LIMIT, 0); // the INT 3 gate is missing: its #GP then exits
    },
    guestMain: 'int 3',
    onExit: {
      reason: 0,
      at: 0,
      interruption: 0x80000b0d,
      check: (v) => expect(v.read(F.VM_EXIT_INTERRUPTION_ERROR_CODE)).toBe(0x1a),
    },
  },
  {
    name: 'RDTSCP with "enable RDTSCP" and no RDTSC exiting runs',
    init: (v) => proc2(v, C.PROC2_ENABLE_RDTSCP),
    guestMain: 'rdtscp\nvmcall',
    onExit: { reason: 18, at: 3 },
  },
  {
    name: 'RDPID with "enable RDTSCP" runs',
    init: (v) => proc2(v, C.PROC2_ENABLE_RDTSCP),
    guestMain: 'rdpid rax\nvmcall',
    onExit: { reason: 18, at: 4 },
  },
  {
    name: 'INVPCID with "enable INVPCID" and no INVLPG exiting runs',
    init: (v) => proc2(v, C.PROC2_ENABLE_INVPCID),
    guestMain: 'mov eax, 0x6000\nmov ecx, 2\ninvpcid rcx, [rax]\nvmcall',
    onExit: { reason: 18, at: 15 },
  },
  {
    name: 'PAUSE-loop exiting: PAUSEs further apart than PLE_Gap each start a new loop and never exit',
    init: (v) => ple(v, 2, 0),
    guestMain: 'mov ecx, 100\nspin:\npause\ndec ecx\njnz spin\nvmcall',
    onExit: { reason: 18, at: 11, check: (_v, { cpu }) => expect(cpu.getReg('rcx')).toBe(0) },
  },
];
GUEST_EXIT_TESTS.push(...NO_EXIT_TESTS);

function runGuest(t: GuestExitTest) {
  const machine = buildCpuMachine();
  prepareGuest(machine, t.guestMain, GUEST_CODE);
  t.init(machine.vmx.vmcs, machine.memory);
  machine.cpu.setReg('cr2', 0x5a5a000);
  return { stop: launchGuest(machine, 10_000), machine };
}

describe('VM exits caused by guest code', () => {
  it.each(GUEST_EXIT_TESTS.map((t) => [t.name, t] as const))('%s', (_name, t) => {
    const { stop, machine } = runGuest(t);
    expectGuestExit(stop, machine, t.onExit, GUEST_CODE);
  });
});
