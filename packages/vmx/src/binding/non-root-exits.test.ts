// VM exits through the CPU's interception interface, written the way kvm-unit-tests writes
// its VMX tests: { name, init (VMCS set-up), guest (what the guest does, as the calls the
// CPU makes for it), onExit (reason, qualification, saved guest state) }. Until
// @typevisor/cpu runs guest code, `guest` stands for the instruction the CPU would be at.
import type { VmxInterception } from '@typevisor/cpu';
import { describe, expect, it } from 'vitest';
import { FEATURE_CONTROL_VMX_READY } from '../capabilities/capabilities.ts';
import { ROOT64 } from '../testing/root-context.ts';
import { Vmx } from '../instructions/vmx.ts';
import { FlatPhysicalMemory } from '../memory/physical-memory.ts';
import { VmxProcessorState } from '../processor/processor-state.ts';
import { writeBaseline } from '../testing/baseline-vmcs.ts';
import * as C from '../vmcs/controls.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsAccess } from '../vmcs/vmcs.ts';
import { NonRootExits } from './non-root-exits.ts';

interface Machine {
  readonly vmx: Vmx;
  readonly exits: NonRootExits;
  readonly memory: FlatPhysicalMemory;
  readonly state: VmxProcessorState;
  readonly v: VmcsAccess;
  /** The guest RIP the (stand-in) CPU is at when it asks. */
  guestRip: number;
}

function machine(init: (v: VmcsAccess, m: FlatPhysicalMemory) => void): Machine {
  const memory = new FlatPhysicalMemory(1 << 20);
  const state = new VmxProcessorState();
  const vmx = new Vmx({
    memory,
    featureControl: FEATURE_CONTROL_VMX_READY,
    processor: { state, msrs: { readMsr: () => true, writeMsr: () => true } },
  });
  memory.write32(0x1000, vmx.capabilities.basic.lo);
  memory.write32(0x2000, vmx.capabilities.basic.lo);
  vmx.vmxon(ROOT64, 0x1000, 0);
  vmx.vmptrld(ROOT64, 0x2000, 0);
  writeBaseline(vmx.vmcs, vmx.capabilities);
  init(vmx.vmcs, memory);
  const m: Machine = {
    vmx,
    memory,
    state,
    v: vmx.vmcs,
    guestRip: 0x1000,
    exits: new NonRootExits(vmx, {
      // The stand-in CPU: its RIP is `guestRip` while the guest runs.
      save: () => {
        state.ripLo = m.guestRip;
      },
      restore: () => {},
    }),
  };
  expect(vmx.vmlaunch(ROOT64)).toEqual({ kind: 'entered' });
  return m;
}

const proc = (v: VmcsAccess, bits: number) =>
  v.write(F.PRIMARY_PROCESSOR_BASED_CONTROLS, (v.readLo(F.PRIMARY_PROCESSOR_BASED_CONTROLS) | bits) >>> 0);
const pin = (v: VmcsAccess, bits: number) =>
  v.write(F.PIN_BASED_CONTROLS, (v.readLo(F.PIN_BASED_CONTROLS) | bits) >>> 0);
const proc2 = (v: VmcsAccess, bits: number) =>
  v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, (v.readLo(F.SECONDARY_PROCESSOR_BASED_CONTROLS) | bits) >>> 0);

interface ExitTest {
  readonly name: string;
  readonly init: (v: VmcsAccess, m: FlatPhysicalMemory) => void;
  readonly guest: (exits: NonRootExits) => boolean;
  readonly onExit: {
    reason: number;
    qualification?: number;
    length?: number;
    interruption?: number;
    gpa?: number;
    gla?: number;
  };
}

const EXIT_TESTS: ExitTest[] = [
  { name: 'CPUID always exits', init: () => {}, guest: (x) => x.cpuid(0, 0, 2), onExit: { reason: 10, length: 2 } },
  {
    name: 'GETSEC always exits',
    init: () => {},
    guest: (x) => x.unconditional(0, 3),
    onExit: { reason: 11, length: 3 },
  },
  { name: 'INVD always exits', init: () => {}, guest: (x) => x.unconditional(1, 2), onExit: { reason: 13 } },
  { name: 'XSETBV always exits', init: () => {}, guest: (x) => x.unconditional(2, 3), onExit: { reason: 55 } },
  {
    name: 'VMPTRLD in the guest exits with its operand address',
    init: () => {},
    guest: (x) => x.vmxInstruction(3, { instructionLength: 5, isMemory: true, linearLo: 0x3000, linearHi: 0 }),
    onExit: { reason: 21, length: 5, gla: 0x3000 },
  },
  {
    name: 'VMCALL exits',
    init: () => {},
    guest: (x) => x.vmxInstruction(0, { instructionLength: 3, isMemory: false, linearLo: 0, linearHi: 0 }),
    onExit: { reason: 18, length: 3 },
  },
  {
    name: 'HLT with HLT exiting',
    init: (v) => proc(v, C.PROC_HLT_EXITING),
    guest: (x) => x.hlt(1),
    onExit: { reason: 12, length: 1 },
  },
  {
    name: 'INVLPG with INVLPG exiting reports the address',
    init: (v) => proc(v, C.PROC_INVLPG_EXITING),
    guest: (x) => x.invlpg(0xdead000, 0, 3),
    onExit: { reason: 14, qualification: 0xdead000 },
  },
  {
    name: 'RDPMC with RDPMC exiting',
    init: (v) => proc(v, C.PROC_RDPMC_EXITING),
    guest: (x) => x.rdpmc(2),
    onExit: { reason: 15 },
  },
  {
    name: 'RDTSC with RDTSC exiting',
    init: (v) => proc(v, C.PROC_RDTSC_EXITING),
    guest: (x) => x.rdtsc(false, 2),
    onExit: { reason: 16 },
  },
  {
    name: 'RDTSCP with RDTSC exiting',
    init: (v) => proc(v, C.PROC_RDTSC_EXITING),
    guest: (x) => x.rdtsc(true, 3),
    onExit: { reason: 51 },
  },
  { name: 'RDMSR without MSR bitmaps', init: () => {}, guest: (x) => x.rdmsr(0x10, 2), onExit: { reason: 31 } },
  { name: 'WRMSR without MSR bitmaps', init: () => {}, guest: (x) => x.wrmsr(0x10, 0, 0, 2), onExit: { reason: 32 } },
  {
    name: 'MOV to CR0 clearing a host-owned bit',
    init: (v) => {
      v.write(F.CR0_GUEST_HOST_MASK, 0x20);
      v.write(F.CR0_READ_SHADOW, 0x20);
    },
    guest: (x) => x.movToCr(0, 0, 0x80000011, 0, 3, 3),
    onExit: { reason: 28, qualification: 0x300 },
  },
  {
    name: 'MOV to CR3 outside the target list',
    init: (v) => proc(v, C.PROC_CR3_LOAD_EXITING),
    guest: (x) => x.movToCr(3, 0, 0x9000, 0, 0, 3),
    onExit: { reason: 28, qualification: 0x3 },
  },
  {
    name: 'MOV from CR3 with CR3-store exiting',
    init: (v) => proc(v, C.PROC_CR3_STORE_EXITING),
    guest: (x) => x.movFromCr(3, 1, 3),
    onExit: { reason: 28, qualification: 0x113 },
  },
  {
    name: 'MOV to CR8 with CR8-load exiting',
    init: (v) => proc(v, C.PROC_CR8_LOAD_EXITING),
    guest: (x) => x.movToCr(8, 0, 1, 0, 2, 4),
    onExit: { reason: 28, qualification: 0x208 },
  },
  {
    name: 'CLTS with TS host-owned and shadowed',
    init: (v) => {
      v.write(F.CR0_GUEST_HOST_MASK, 8);
      v.write(F.CR0_READ_SHADOW, 8);
    },
    guest: (x) => x.movToCr(0, 2, 0, 0, -1, 2),
    onExit: { reason: 28, qualification: 0x20 },
  },
  {
    name: 'MOV to DR7 with MOV-DR exiting',
    init: (v) => proc(v, C.PROC_MOV_DR_EXITING),
    guest: (x) => x.movDr(7, true, 0, 3),
    onExit: { reason: 29, qualification: 0x7 },
  },
  {
    name: 'OUT DX, AL with unconditional I/O exiting',
    init: (v) => proc(v, C.PROC_UNCONDITIONAL_IO_EXITING),
    guest: (x) => x.io(0x3f8, 1, false, false, false, false, 1),
    onExit: { reason: 30, qualification: 0x3f80000, length: 1 },
  },
  {
    name: 'IN AL, 0x60 through I/O bitmap A',
    init: (v, m) => {
      proc(v, C.PROC_USE_IO_BITMAPS);
      v.write(F.IO_BITMAP_A, 0x5000);
      v.write(F.IO_BITMAP_B, 0x6000);
      m.write32(0x5000 + 0x60 / 8, 1);
    },
    guest: (x) => x.io(0x60, 1, true, false, false, true, 2),
    onExit: { reason: 30, qualification: 0x600048 },
  },
  {
    name: 'MONITOR with MONITOR exiting',
    init: (v) => proc(v, C.PROC_MONITOR_EXITING),
    guest: (x) => x.conditional(0, 3),
    onExit: { reason: 39 },
  },
  {
    name: 'MWAIT with MWAIT exiting',
    init: (v) => proc(v, C.PROC_MWAIT_EXITING),
    guest: (x) => x.conditional(1, 3),
    onExit: { reason: 36 },
  },
  {
    name: 'PAUSE with PAUSE exiting',
    init: (v) => proc(v, C.PROC_PAUSE_EXITING),
    guest: (x) => x.conditional(2, 2),
    onExit: { reason: 40 },
  },
  {
    name: 'WBINVD with WBINVD exiting',
    init: (v) => proc2(v, C.PROC2_WBINVD_EXITING),
    guest: (x) => x.conditional(3, 2),
    onExit: { reason: 54 },
  },
  {
    name: 'RDRAND with RDRAND exiting',
    init: (v) => proc2(v, C.PROC2_RDRAND_EXITING),
    guest: (x) => x.conditional(4, 3),
    onExit: { reason: 57 },
  },
  {
    name: 'RDSEED with RDSEED exiting',
    init: (v) => proc2(v, C.PROC2_RDSEED_EXITING),
    guest: (x) => x.conditional(5, 3),
    onExit: { reason: 61 },
  },
  {
    name: 'LGDT with descriptor-table exiting',
    init: (v) => proc2(v, C.PROC2_DESCRIPTOR_TABLE_EXITING),
    guest: (x) => x.conditional(6, 3),
    onExit: { reason: 46 },
  },
  {
    name: 'LTR with descriptor-table exiting',
    init: (v) => proc2(v, C.PROC2_DESCRIPTOR_TABLE_EXITING),
    guest: (x) => x.conditional(11, 3),
    onExit: { reason: 47 },
  },
  {
    name: '#GP in the exception bitmap',
    init: (v) => v.write(F.EXCEPTION_BITMAP, 1 << 13),
    guest: (x) => x.exception(13, 0x18, true, 3),
    onExit: { reason: 0, interruption: 0x80000b0d },
  },
  {
    name: '#BP (INT3) as a software exception',
    init: (v) => v.write(F.EXCEPTION_BITMAP, 1 << 3),
    guest: (x) => x.exception(3, 0, false, 6, 1),
    onExit: { reason: 0, interruption: 0x80000603 },
  },
  { name: 'triple fault', init: () => {}, guest: (x) => x.tripleFault(), onExit: { reason: 2 } },
  {
    name: 'external interrupt acknowledged on exit',
    init: (v) => {
      pin(v, C.PIN_EXTERNAL_INTERRUPT_EXITING);
      v.write(
        F.PRIMARY_VM_EXIT_CONTROLS,
        (v.readLo(F.PRIMARY_VM_EXIT_CONTROLS) | C.EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT) >>> 0,
      );
    },
    guest: (x) => x.externalInterrupt({ hasInterrupt: () => true, acknowledge: () => 0x30 }),
    onExit: { reason: 1, interruption: 0x80000030 },
  },
  {
    name: 'NMI with NMI exiting',
    init: (v) => pin(v, C.PIN_NMI_EXITING),
    guest: (x) => x.nmi(),
    onExit: { reason: 0, interruption: 0x80000202 },
  },
  {
    name: 'interrupt window',
    init: (v) => proc(v, C.PROC_INTERRUPT_WINDOW_EXITING),
    guest: (x) => x.window(true, true),
    onExit: { reason: 7 },
  },
  {
    name: 'NMI window',
    init: (v) => {
      pin(v, C.PIN_NMI_EXITING | C.PIN_VIRTUAL_NMIS);
      proc(v, C.PROC_NMI_WINDOW_EXITING);
    },
    guest: (x) => x.window(false, true),
    onExit: { reason: 8 },
  },
  {
    name: 'VMX-preemption timer expiring',
    init: (v) => {
      pin(v, C.PIN_ACTIVATE_PREEMPTION_TIMER);
      v.write(F.VMX_PREEMPTION_TIMER_VALUE, 2);
    },
    guest: (x) => x.timer(32) || x.timer(32),
    onExit: { reason: 52 },
  },
  {
    name: 'EPT violation with its addresses',
    init: () => {},
    guest: (x) => x.ept(false, 0x181, 0x123456, 0x7000, 0),
    onExit: { reason: 48, qualification: 0x181, gpa: 0x123456, gla: 0x7000 },
  },
  {
    name: 'EPT misconfiguration',
    init: () => {},
    guest: (x) => x.ept(true, 0, 0x5000, 0, 0),
    onExit: { reason: 49, gpa: 0x5000 },
  },
  { name: 'INIT signal', init: () => {}, guest: (x) => x.init(), onExit: { reason: 3 } },
  {
    name: 'SIPI in wait-for-SIPI',
    init: () => {},
    guest: (x) => x.sipi(0x9a, C.ACTIVITY_WAIT_FOR_SIPI),
    onExit: { reason: 4, qualification: 0x9a },
  },
  {
    name: 'task switch through a CALL',
    init: () => {},
    guest: (x) => x.taskSwitch(0x28, 0, 5),
    onExit: { reason: 9, qualification: 0x28 },
  },
];

describe('NonRootExits', () => {
  it('is a VmxInterception for @typevisor/cpu', () => {
    const m = machine(() => {});
    const interception: VmxInterception = m.exits;
    expect(interception.windowsArmed).toBe(false);
  });

  it('arms boundary checks only when a window or the preemption timer is on, from the last refresh', () => {
    const m = machine((v) => proc(v, C.PROC_INTERRUPT_WINDOW_EXITING));
    expect(m.exits.windowsArmed).toBe(false);
    m.exits.refresh();
    expect(m.exits.windowsArmed).toBe(true);
  });

  it.each(EXIT_TESTS.map((t) => [t.name, t] as const))('%s', (_name, t) => {
    const m = machine(t.init);
    m.guestRip = 0x1040;
    expect(t.guest(m.exits)).toBe(true);
    const e = m.vmx.exit;
    expect(e.reason).toBe(t.onExit.reason);
    expect(m.v.read(F.EXIT_REASON)).toBe(t.onExit.reason);
    if (t.onExit.qualification !== undefined) expect(m.v.read(F.EXIT_QUALIFICATION)).toBe(t.onExit.qualification);
    if (t.onExit.length !== undefined) expect(m.v.read(F.VM_EXIT_INSTRUCTION_LENGTH)).toBe(t.onExit.length);
    if (t.onExit.interruption !== undefined)
      expect(m.v.read(F.VM_EXIT_INTERRUPTION_INFORMATION)).toBe(t.onExit.interruption);
    if (t.onExit.gpa !== undefined) expect(m.v.read(F.GUEST_PHYSICAL_ADDRESS)).toBe(t.onExit.gpa);
    if (t.onExit.gla !== undefined) expect(m.v.read(F.GUEST_LINEAR_ADDRESS)).toBe(t.onExit.gla);
    // Saved guest state: the RIP the guest was at; the processor is back at the host.
    expect(m.v.read(F.GUEST_RIP)).toBe(0x1040);
    expect(m.state.ripLo).toBe(0x401000);
    expect(m.vmx.nonRoot).toBe(false);
  });

  it.each<[string, (x: NonRootExits) => boolean]>([
    ['HLT', (x) => x.hlt(1)],
    ['RDTSC', (x) => x.rdtsc(false, 2)],
    ['MOV to CR0 within the shadow', (x) => x.movToCr(0, 0, 0x80000031, 0, 0, 3)],
    ['MOV to CR3', (x) => x.movToCr(3, 0, 0x9000, 0, 0, 3)],
    ['OUT', (x) => x.io(0x80, 1, false, false, false, true, 2)],
    ['#PF not in the bitmap', (x) => x.exception(14, 2, true, 3)],
    ['an external interrupt', (x) => x.externalInterrupt({ hasInterrupt: () => true, acknowledge: () => 0x20 })],
    ['an NMI', (x) => x.nmi()],
    ['a window', (x) => x.window(true, true)],
    ['a SIPI in the active state', (x) => x.sipi(0x10, 0)],
    ['PAUSE without PAUSE exiting or PAUSE-loop exiting', (x) => x.pause(0, 100, 2)],
  ])('lets %s run in the guest when no control selects its exit', (_name, guest) => {
    const m = machine(() => {});
    expect(guest(m.exits)).toBe(false);
    expect(m.vmx.nonRoot).toBe(true);
  });

  it('ignores PAUSE-loop exiting at CPL > 0 and restarts loop detection at every VM entry (SDM 3C 26.1.3)', () => {
    const m = machine((v) => {
      proc(v, C.PROC_ACTIVATE_SECONDARY_CONTROLS);
      v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, C.PROC2_PAUSE_LOOP_EXITING);
      v.write(F.PLE_GAP, 10);
      v.write(F.PLE_WINDOW, 0);
    });
    m.exits.refresh();
    expect(m.exits.pause(3, 100, 2)).toBe(false);
    expect(m.exits.pause(3, 105, 2)).toBe(false);
    expect(m.exits.pause(0, 110, 2)).toBe(false); // the first at CPL 0 starts a loop
    m.exits.refresh();
    expect(m.exits.pause(0, 112, 2)).toBe(false); // a new entry: first again
    expect(m.exits.pause(0, 114, 2)).toBe(true);
    expect(m.v.read(F.EXIT_REASON)).toBe(40);
    expect(m.v.read(F.VM_EXIT_INSTRUCTION_LENGTH)).toBe(2);
  });

  it.each<[string, number, boolean]>([
    ['RDTSCP', 0, false],
    ['RDPID', 1, false],
    ['INVPCID', 2, false],
  ])('reports %s disabled (#UD) without its enable control', (_name, kind, enabled) => {
    const m = machine(() => {});
    expect(m.exits.instructionEnabled(kind)).toBe(enabled);
  });

  it.each<[string, number, number]>([
    ['RDTSCP', 0, C.PROC2_ENABLE_RDTSCP],
    ['RDPID', 1, C.PROC2_ENABLE_RDTSCP],
    ['INVPCID', 2, C.PROC2_ENABLE_INVPCID],
  ])('reports %s enabled with its enable control', (_name, kind, control) => {
    const m = machine((v) => {
      proc(v, C.PROC_ACTIVATE_SECONDARY_CONTROLS);
      v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, control);
    });
    expect(m.exits.instructionEnabled(kind)).toBe(true);
  });

  it('answers VMFUNC with #UD (2) without "enable VM functions", staying in the guest', () => {
    const m = machine(() => {});
    expect(m.exits.vmfunc(0, 0, 3)).toBe(2);
    expect(m.vmx.nonRoot).toBe(true);
  });

  it('returns shadowed CR0/CR4 reads and offset TSC values', () => {
    const m = machine((v) => {
      v.write(F.CR4_GUEST_HOST_MASK, 0x2000);
      proc(v, C.PROC_USE_TSC_OFFSETTING);
      v.write(F.TSC_OFFSET, 100);
    });
    expect(m.exits.readShadowedCr(4, 0x2020)).toBe(0x20);
    const out = new Uint32Array(2);
    m.exits.guestTsc(5, 0, out);
    expect(out[0]).toBe(105);
  });
});
