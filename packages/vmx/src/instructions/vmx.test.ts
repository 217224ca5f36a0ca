import { ROOT64 } from '../testing/root-context.ts';
import { describe, expect, it } from 'vitest';
import { FEATURE_CONTROL_VMX_READY } from '../capabilities/capabilities.ts';
import { DEFAULT_VMX_FEATURES, type VmxFeatures } from '../capabilities/features.ts';
import { IA32_FEATURE_CONTROL, IA32_VMX_BASIC } from '../capabilities/msr-index.ts';
import { FlatPhysicalMemory } from '../memory/physical-memory.ts';
import { writeBaseline } from '../testing/baseline-vmcs.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import { VMCS_LAUNCH_STATE_OFFSET } from '../vmcs/vmcs-layout.ts';
import type { VmxInstructionContext } from './context.ts';
import { applyOutcomeToRflags, FAULT_GP0, FAULT_UD, VM_FAIL_INVALID, VM_SUCCEED, type VmxOutcome } from './outcome.ts';
import { Vmx } from './vmx.ts';

const VMXON_REGION = 0x1000;
const VMCS_A = 0x2000;
const VMCS_B = 0x3000;

function setup(features: Partial<VmxFeatures> = {}, featureControl = FEATURE_CONTROL_VMX_READY) {
  const memory = new FlatPhysicalMemory(1 << 20);
  const invalidations: string[] = [];
  const vmx = new Vmx({
    memory,
    features: { ...DEFAULT_VMX_FEATURES, ...features },
    featureControl,
    tlb: {
      invalidateEpt: (type, lo) => invalidations.push(`ept ${type} ${lo.toString(16)}`),
      invalidateVpid: (type, vpid) => invalidations.push(`vpid ${type} ${vpid}`),
    },
  });
  const rev = vmx.capabilities.basic.lo;
  for (const a of [VMXON_REGION, VMCS_A, VMCS_B]) memory.write32(a, rev);
  return { memory, vmx, invalidations };
}

/** In VMX root operation with VMCS_A current. */
function inRoot(features: Partial<VmxFeatures> = {}) {
  const s = setup(features);
  expect(s.vmx.vmxon(ROOT64, VMXON_REGION, 0)).toBe(VM_SUCCEED);
  expect(s.vmx.vmptrld(ROOT64, VMCS_A, 0)).toBe(VM_SUCCEED);
  return s;
}

const fv = (error: number) => ({ kind: 'failValid', error });
const ctx = (over: Partial<VmxInstructionContext>): VmxInstructionContext => ({ ...ROOT64, ...over });

describe('Vmx.vmxon', () => {
  it.each<[string, Partial<VmxInstructionContext>, number, VmxOutcome]>([
    ['#UD with CR4.VMXE=0', { cr4: 0x20 }, FEATURE_CONTROL_VMX_READY, FAULT_UD],
    ['#UD in real mode (CR0.PE=0)', { cr0: 0x20 }, FEATURE_CONTROL_VMX_READY, FAULT_UD],
    ['#UD in virtual-8086 mode', { v8086: true }, FEATURE_CONTROL_VMX_READY, FAULT_UD],
    ['#UD in compatibility mode', { csL: false }, FEATURE_CONTROL_VMX_READY, FAULT_UD],
    ['#GP(0) at CPL 3', { cpl: 3 }, FEATURE_CONTROL_VMX_READY, FAULT_GP0],
    ['#GP(0) when CR0.NE=0 (a FIXED0 bit)', { cr0: 0x80000011 }, FEATURE_CONTROL_VMX_READY, FAULT_GP0],
    ['#GP(0) when CR4 sets a bit FIXED1 forbids', { cr4: 0x2020 | (1 << 24) }, FEATURE_CONTROL_VMX_READY, FAULT_GP0],
    ['#GP(0) when IA32_FEATURE_CONTROL is unlocked', {}, 0x4, FAULT_GP0],
    ['#GP(0) when VMX outside SMX is disabled', {}, 0x1, FAULT_GP0],
  ])('raises %s', (_name, over, featureControl, outcome) => {
    const { vmx } = setup({}, featureControl);
    expect(vmx.vmxon(ctx(over), VMXON_REGION, 0)).toBe(outcome);
    expect(vmx.inVmxOperation).toBe(false);
  });

  it.each<[string, number, number, (m: FlatPhysicalMemory) => void]>([
    ['a pointer that is not 4K-aligned', 0x1008, 0, () => {}],
    ['a pointer beyond MAXPHYADDR', 0x1000, 0x4000, () => {}],
    ['a region with the wrong revision', 0x4000, 0, (m) => m.write32(0x4000, 7)],
    ['a region with the shadow-VMCS bit set', 0x4000, 0, (m) => m.write32(0x4000, 0x80000001)],
  ])('fails VMfailInvalid for %s', (_name, lo, hi, prepare) => {
    const { vmx, memory } = setup();
    prepare(memory);
    expect(vmx.vmxon(ROOT64, lo, hi)).toBe(VM_FAIL_INVALID);
    expect(vmx.inVmxOperation).toBe(false);
  });

  it('enters VMX root operation with no current VMCS', () => {
    const { vmx } = setup();
    expect(vmx.vmxon(ROOT64, VMXON_REGION, 0)).toBe(VM_SUCCEED);
    expect(vmx.inVmxOperation).toBe(true);
    expect(vmx.current.address).toBe(-1);
  });

  it('fails with error 15 when executed again in VMX root operation', () => {
    const { vmx } = inRoot();
    expect(vmx.vmxon(ROOT64, VMXON_REGION, 0)).toEqual(fv(15));
    expect(vmx.vmcs.read(F.VM_INSTRUCTION_ERROR)).toBe(15);
  });

  it('fails VMfailInvalid when executed again without a current VMCS', () => {
    const { vmx } = setup();
    vmx.vmxon(ROOT64, VMXON_REGION, 0);
    expect(vmx.vmxon(ROOT64, VMXON_REGION, 0)).toBe(VM_FAIL_INVALID);
  });
});

describe('the common VMX-instruction checks', () => {
  it.each<[string, (v: Vmx, c: VmxInstructionContext) => VmxOutcome]>([
    ['VMXOFF', (v, c) => v.vmxoff(c)],
    ['VMCLEAR', (v, c) => v.vmclear(c, VMCS_A, 0)],
    ['VMPTRLD', (v, c) => v.vmptrld(c, VMCS_A, 0)],
    ['VMPTRST', (v, c) => v.vmptrst(c)],
    ['VMREAD', (v, c) => v.vmread(c, F.GUEST_RIP, 0)],
    ['VMWRITE', (v, c) => v.vmwrite(c, F.GUEST_RIP, 0, 0, 0)],
    ['VMLAUNCH', (v, c) => v.vmlaunch(c)],
    ['VMRESUME', (v, c) => v.vmresume(c)],
    ['INVEPT', (v, c) => v.invept(c, 2, 0, 0, 0, 0)],
    ['INVVPID', (v, c) => v.invvpid(c, 2, 0, 0, 0, 0)],
  ])('%s raises #UD outside VMX operation and #GP(0) at CPL 3', (_name, run) => {
    const { vmx } = setup();
    expect(run(vmx, ROOT64)).toBe(FAULT_UD);
    vmx.vmxon(ROOT64, VMXON_REGION, 0);
    expect(run(vmx, ctx({ cpl: 3 }))).toBe(FAULT_GP0);
    expect(run(vmx, ctx({ csL: false }))).toBe(FAULT_UD);
  });

  it.each<[string, number, (v: Vmx) => VmxOutcome]>([
    ['VMCALL', 18, (v) => v.vmcall(ROOT64)],
    ['VMCLEAR', 19, (v) => v.vmclear(ROOT64, VMCS_A, 0)],
    ['VMLAUNCH', 20, (v) => v.vmlaunch(ROOT64)],
    ['VMPTRLD', 21, (v) => v.vmptrld(ROOT64, VMCS_A, 0)],
    ['VMPTRST', 22, (v) => v.vmptrst(ROOT64)],
    ['VMREAD', 23, (v) => v.vmread(ROOT64, F.GUEST_RIP, 0)],
    ['VMRESUME', 24, (v) => v.vmresume(ROOT64)],
    ['VMWRITE', 25, (v) => v.vmwrite(ROOT64, F.GUEST_RIP, 0, 0, 0)],
    ['VMXOFF', 26, (v) => v.vmxoff(ROOT64)],
    ['VMXON', 27, (v) => v.vmxon(ROOT64, VMXON_REGION, 0)],
    ['INVEPT', 50, (v) => v.invept(ROOT64, 2, 0, 0, 0, 0)],
    ['INVVPID', 53, (v) => v.invvpid(ROOT64, 2, 0, 0, 0, 0)],
  ])('%s in VMX non-root operation requests a VM exit with reason %i', (_name, reason, run) => {
    const { vmx } = inRoot();
    vmx.nonRoot = true;
    expect(run(vmx)).toEqual({ kind: 'exit', reason });
  });
});

describe('Vmx.vmclear / vmptrld / vmptrst', () => {
  it.each<[string, number, number, number]>([
    ['VMCLEAR of a misaligned pointer', 0, 0x2004, 2],
    ['VMCLEAR of the VMXON pointer', 0, VMXON_REGION, 3],
    ['VMPTRLD of a pointer beyond MAXPHYADDR', 1, 0x2000 + 2 ** 46, 9],
    ['VMPTRLD of the VMXON pointer', 1, VMXON_REGION, 10],
    ['VMPTRLD of a region with another revision', 1, 0x5000, 11],
  ])('%s fails with error %#', (_name, which, address, error) => {
    const { vmx } = inRoot();
    const lo = address % 2 ** 32;
    const hi = Math.floor(address / 2 ** 32);
    const out = which === 0 ? vmx.vmclear(ROOT64, lo, hi) : vmx.vmptrld(ROOT64, lo, hi);
    expect(out).toEqual(fv(error));
    expect(vmx.vmcs.read(F.VM_INSTRUCTION_ERROR)).toBe(error);
  });

  it('fails VMfailInvalid, not VMfailValid, when there is no current VMCS', () => {
    const { vmx } = setup();
    vmx.vmxon(ROOT64, VMXON_REGION, 0);
    expect(vmx.vmclear(ROOT64, VMXON_REGION, 0)).toBe(VM_FAIL_INVALID);
  });

  it('writes the current VMCS back to its region on VMCLEAR and forgets it', () => {
    const { vmx, memory } = inRoot();
    vmx.vmwrite(ROOT64, F.GUEST_RIP, 0, 0x1234, 0);
    expect(vmx.vmclear(ROOT64, VMCS_A, 0)).toBe(VM_SUCCEED);
    expect(vmx.current.address).toBe(-1);
    expect(memory.read32(VMCS_A + VMCS_LAUNCH_STATE_OFFSET)).toBe(0);
    expect(vmx.vmptrld(ROOT64, VMCS_A, 0)).toBe(VM_SUCCEED);
    expect(vmx.vmread(ROOT64, F.GUEST_RIP, 0)).toBe(VM_SUCCEED);
    expect(vmx.readLo).toBe(0x1234);
  });

  it('keeps each VMCS its own data across VMPTRLD switches', () => {
    const { vmx } = inRoot();
    vmx.vmwrite(ROOT64, F.GUEST_RSP, 0, 0xaaaa, 0);
    vmx.vmptrld(ROOT64, VMCS_B, 0);
    vmx.vmwrite(ROOT64, F.GUEST_RSP, 0, 0xbbbb, 0);
    vmx.vmptrld(ROOT64, VMCS_A, 0);
    vmx.vmread(ROOT64, F.GUEST_RSP, 0);
    expect(vmx.readLo).toBe(0xaaaa);
  });

  it('stores the current-VMCS pointer, or all ones when there is none', () => {
    const { vmx } = inRoot();
    expect(vmx.vmptrst(ROOT64)).toBe(VM_SUCCEED);
    expect([vmx.pointerLo, vmx.pointerHi]).toEqual([VMCS_A, 0]);
    vmx.vmclear(ROOT64, VMCS_A, 0);
    vmx.vmptrst(ROOT64);
    expect([vmx.pointerLo, vmx.pointerHi]).toEqual([0xffffffff, 0xffffffff]);
  });
});

describe('Vmx.vmread / vmwrite', () => {
  it('fail VMfailInvalid without a current VMCS', () => {
    const { vmx } = setup();
    vmx.vmxon(ROOT64, VMXON_REGION, 0);
    expect(vmx.vmread(ROOT64, F.GUEST_RIP, 0)).toBe(VM_FAIL_INVALID);
    expect(vmx.vmwrite(ROOT64, F.GUEST_RIP, 0, 1, 0)).toBe(VM_FAIL_INVALID);
  });

  it.each<[string, number, number]>([
    ['an encoding that names no field', 0x7fff, 0],
    ['the high access of a 32-bit field', F.EXCEPTION_BITMAP | 1, 0],
    ['an encoding with bits 63:32 set', F.GUEST_RIP, 1],
    ['a field of a feature the model lacks (ENCLS-exiting bitmap)', F.ENCLS_EXITING_BITMAP, 0],
  ])('fail with error 12 for %s', (_name, lo, hi) => {
    const { vmx } = inRoot();
    expect(vmx.vmread(ROOT64, lo, hi)).toEqual(fv(12));
    expect(vmx.vmwrite(ROOT64, lo, hi, 0, 0)).toEqual(fv(12));
  });

  it('reports EPT fields unsupported on a processor without EPT', () => {
    const { vmx } = inRoot({ ept: false, unrestrictedGuest: false, eptpSwitching: false });
    expect(vmx.vmwrite(ROOT64, F.EPT_POINTER, 0, 0, 0)).toEqual(fv(12));
  });

  it('fails VMWRITE of an exit-information field with error 13 unless IA32_VMX_MISC[29]', () => {
    const strict = inRoot({ vmwriteExitInformation: false });
    expect(strict.vmx.vmwrite(ROOT64, F.EXIT_QUALIFICATION, 0, 1, 0)).toEqual(fv(13));
    const relaxed = inRoot();
    expect(relaxed.vmx.vmwrite(ROOT64, F.EXIT_QUALIFICATION, 0, 1, 0)).toBe(VM_SUCCEED);
  });

  it.each<[string, number, number, number, number, number]>([
    ['truncates a 16-bit field', F.GUEST_CS_SELECTOR, 0x12345678, 0x9, 0x5678, 0],
    ['truncates a 32-bit field', F.EXCEPTION_BITMAP, 0x12345678, 0x9, 0x12345678, 0],
    ['keeps 64 bits of a natural-width field', F.GUEST_RIP, 0x12345678, 0xffff8000, 0x12345678, 0xffff8000],
    ['keeps 64 bits of a 64-bit field', F.TSC_OFFSET, 1, 0xfffffffe, 1, 0xfffffffe],
  ])('VMWRITE %s', (_name, field, lo, hi, expLo, expHi) => {
    const { vmx } = inRoot();
    expect(vmx.vmwrite(ROOT64, field, 0, lo, hi)).toBe(VM_SUCCEED);
    expect(vmx.vmread(ROOT64, field, 0)).toBe(VM_SUCCEED);
    expect([vmx.readLo, vmx.readHi]).toEqual([expLo, expHi]);
  });

  it('reads and writes the high half of a 64-bit field through its high encoding', () => {
    const { vmx } = inRoot();
    vmx.vmwrite(ROOT64, F.TSC_OFFSET, 0, 0x11111111, 0x22222222);
    vmx.vmwrite(ROOT64, F.TSC_OFFSET | 1, 0, 0x33333333, 0);
    vmx.vmread(ROOT64, F.TSC_OFFSET, 0);
    expect([vmx.readLo, vmx.readHi]).toEqual([0x11111111, 0x33333333]);
    vmx.vmread(ROOT64, F.TSC_OFFSET | 1, 0);
    expect([vmx.readLo, vmx.readHi]).toEqual([0x33333333, 0]);
  });
});

describe('Vmx.vmlaunch / vmresume', () => {
  function launchable() {
    const s = inRoot();
    writeBaseline(s.vmx.vmcs, s.vmx.capabilities);
    return s;
  }

  it('fail VMfailInvalid without a current VMCS', () => {
    const { vmx } = setup();
    vmx.vmxon(ROOT64, VMXON_REGION, 0);
    expect(vmx.vmlaunch(ROOT64)).toBe(VM_FAIL_INVALID);
  });

  it('fail with error 26 when events are blocked by MOV SS', () => {
    const { vmx } = launchable();
    expect(vmx.vmlaunch(ctx({ blockedByMovSs: true }))).toEqual(fv(26));
  });

  it('VMRESUME of a clear VMCS fails with error 5', () => {
    const { vmx } = launchable();
    expect(vmx.vmresume(ROOT64)).toEqual(fv(5));
  });

  it('VMLAUNCH enters the guest and marks the VMCS launched; a second VMLAUNCH fails with error 4', () => {
    const { vmx } = launchable();
    expect(vmx.vmlaunch(ROOT64)).toEqual({ kind: 'entered' });
    expect(vmx.nonRoot).toBe(true);
    expect(vmx.current.launched).toBe(true);
    vmx.nonRoot = false;
    expect(vmx.vmlaunch(ROOT64)).toEqual(fv(4));
    expect(vmx.vmresume(ROOT64)).toEqual({ kind: 'entered' });
  });

  it('fails with error 7 and names the control check', () => {
    const { vmx } = launchable();
    vmx.vmcs.write(F.CR3_TARGET_COUNT, 9);
    expect(vmx.vmlaunch(ROOT64)).toEqual(fv(7));
    expect(vmx.lastEntryFailure?.id).toBe('ctl.cr3-target-count');
    expect(vmx.current.launched).toBe(false);
  });

  it('fails with error 8 and names the host-state check', () => {
    const { vmx } = launchable();
    vmx.vmcs.write(F.HOST_TR_SELECTOR, 0);
    expect(vmx.vmlaunch(ROOT64)).toEqual(fv(8));
    expect(vmx.lastEntryFailure?.section).toBe('27.2.3');
  });

  it('reports an invalid guest state as a VM-entry failure exit 33 in the VMCS', () => {
    const { vmx } = launchable();
    vmx.vmcs.write(F.GUEST_RFLAGS, 0);
    expect(vmx.vmlaunch(ROOT64)).toEqual({ kind: 'entryFailed', exitReason: 0x80000021, qualification: 0 });
    expect(vmx.vmcs.read(F.EXIT_REASON)).toBe(0x80000021);
    expect(vmx.lastEntryFailure?.id).toBe('guest.rflags.reserved');
    expect(vmx.nonRoot).toBe(false);
  });
});

describe('Vmx.invept / invvpid', () => {
  it('INVEPT raises #UD on a processor without EPT', () => {
    const { vmx } = inRoot({ ept: false, unrestrictedGuest: false, eptpSwitching: false });
    expect(vmx.invept(ROOT64, 2, 0, 0, 0, 0)).toBe(FAULT_UD);
  });

  it.each<[string, number, number]>([
    ['an unsupported type', 3, 0x801e],
    ['type 0', 0, 0x801e],
    ['a single-context descriptor with an invalid EPTP', 1, 0x8001],
  ])('INVEPT fails with error 28 for %s', (_name, type, eptp) => {
    const { vmx } = inRoot();
    expect(vmx.invept(ROOT64, type, eptp, 0, 0, 0)).toEqual(fv(28));
  });

  it('INVEPT passes the invalidation to the TLB port', () => {
    const { vmx, invalidations } = inRoot();
    expect(vmx.invept(ROOT64, 1, 0x801e, 0, 0, 0)).toBe(VM_SUCCEED);
    expect(vmx.invept(ROOT64, 2, 0, 0, 0, 0)).toBe(VM_SUCCEED);
    expect(invalidations).toEqual(['ept 1 801e', 'ept 2 0']);
  });

  it.each<[string, number, number, number, number]>([
    ['type 4', 4, 1, 0, 0],
    ['VPID 0 with a single-context type', 1, 0, 0, 0],
    ['reserved descriptor bits set', 2, 0x10001, 0, 0],
    ['a non-canonical address for an individual-address type', 0, 1, 0, 0x8000],
  ])('INVVPID fails with error 28 for %s', (_name, type, d0, d2, d3) => {
    const { vmx } = inRoot();
    expect(vmx.invvpid(ROOT64, type, d0, 0, d2, d3)).toEqual(fv(28));
  });

  it('INVVPID passes the invalidation to the TLB port', () => {
    const { vmx, invalidations } = inRoot();
    expect(vmx.invvpid(ROOT64, 0, 5, 0, 0x1000, 0xffff8000)).toBe(VM_SUCCEED);
    expect(invalidations).toEqual(['vpid 0 5']);
  });
});

describe('Vmx.vmcall in VMX root operation', () => {
  it('raises #UD outside VMX operation', () => {
    expect(setup().vmx.vmcall(ROOT64)).toBe(FAULT_UD);
  });

  it('fails with error 1 with a clear current VMCS and 19 with a launched one', () => {
    const { vmx } = inRoot();
    expect(vmx.vmcall(ROOT64)).toEqual(fv(1));
    vmx.current.launched = true;
    expect(vmx.vmcall(ROOT64)).toEqual(fv(19));
  });
});

describe('Vmx.vmxoff', () => {
  it('leaves VMX operation and writes the current VMCS back', () => {
    const { vmx, memory } = inRoot();
    vmx.vmwrite(ROOT64, F.GUEST_RIP, 0, 0x5555, 0);
    expect(vmx.vmxoff(ROOT64)).toBe(VM_SUCCEED);
    expect(vmx.inVmxOperation).toBe(false);
    expect(vmx.vmxon(ROOT64, VMXON_REGION, 0)).toBe(VM_SUCCEED);
    vmx.vmptrld(ROOT64, VMCS_A, 0);
    vmx.vmread(ROOT64, F.GUEST_RIP, 0);
    expect(vmx.readLo).toBe(0x5555);
    expect(memory.read32(VMCS_A)).toBe(vmx.capabilities.basic.lo);
  });
});

describe('VMX MSRs', () => {
  it('lets IA32_FEATURE_CONTROL be written until it is locked, then #GP', () => {
    const { vmx } = setup({}, 0);
    expect(vmx.writeMsr(IA32_FEATURE_CONTROL, 5, 0)).toBe(true);
    expect(vmx.readMsr(IA32_FEATURE_CONTROL)?.lo).toBe(5);
    expect(vmx.writeMsr(IA32_FEATURE_CONTROL, 0, 0)).toBe(false);
  });

  it('makes the capability MSRs read-only', () => {
    const { vmx } = setup();
    expect(vmx.readMsr(IA32_VMX_BASIC)?.lo).toBe(1);
    expect(vmx.writeMsr(IA32_VMX_BASIC, 0, 0)).toBe(false);
    expect(vmx.readMsr(0x10)).toBeUndefined();
  });
});

describe('applyOutcomeToRflags', () => {
  it.each<[string, VmxOutcome, number]>([
    ['VMsucceed clears CF PF AF ZF SF OF', VM_SUCCEED, 0x202],
    ['VMfailInvalid sets only CF', VM_FAIL_INVALID, 0x203],
    ['VMfailValid sets only ZF', { kind: 'failValid', error: 7 }, 0x242],
    ['a fault leaves RFLAGS alone', FAULT_UD, 0xad7],
  ])('%s', (_name, outcome, expected) => {
    expect(applyOutcomeToRflags(0xad7, outcome)).toBe(expected);
  });
});

describe('Vmx.vmfunc (EPTP switching)', () => {
  function guestWithVmfunc() {
    const s = inRoot();
    const v = s.vmx.vmcs;
    writeBaseline(v, s.vmx.capabilities);
    v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, (1 << 1) | (1 << 13));
    v.write(F.EPT_POINTER, 0x801e);
    v.write(F.VM_FUNCTION_CONTROLS, 1);
    v.write(F.EPTP_LIST_ADDRESS, 0x6000);
    s.memory.write32(0x6000 + 8 * 3, 0x901e);
    expect(s.vmx.vmlaunch(ROOT64)).toEqual({ kind: 'entered' });
    return s;
  }

  it('raises #UD in VMX root operation', () => {
    expect(inRoot().vmx.vmfunc(0, 0)).toBe(FAULT_UD);
  });

  it('switches to the EPTP at the list index and records the index', () => {
    const { vmx } = guestWithVmfunc();
    expect(vmx.vmfunc(0, 3)).toEqual({ kind: 'done' });
    expect([vmx.vmcs.read(F.EPT_POINTER), vmx.vmcs.read(F.EPTP_INDEX)]).toEqual([0x901e, 3]);
  });

  it.each<[string, number, number]>([
    ['a function that is not enabled', 1, 0],
    ['an index of 512 or more', 0, 512],
    ['an invalid EPTP-list entry', 0, 4],
  ])('exits with reason 59 for %s', (_name, eax, ecx) => {
    const { vmx } = guestWithVmfunc();
    expect(vmx.vmfunc(eax, ecx)).toEqual({ kind: 'exit', reason: 59 });
    expect(vmx.vmcs.read(F.EPT_POINTER)).toBe(0x801e);
  });
});
