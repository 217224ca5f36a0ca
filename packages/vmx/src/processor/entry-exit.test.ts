import { describe, expect, it } from 'vitest';
import { FEATURE_CONTROL_VMX_READY } from '../capabilities/capabilities.ts';
import { EXIT_REASON_CPUID, EXIT_REASON_IO_INSTRUCTION } from '../exit/exit-reason.ts';
import { ROOT64 } from '../testing/root-context.ts';
import { VM_SUCCEED } from '../instructions/outcome.ts';
import { Vmx } from '../instructions/vmx.ts';
import { FlatPhysicalMemory } from '../memory/physical-memory.ts';
import { writeBaseline } from '../testing/baseline-vmcs.ts';
import * as C from '../vmcs/controls.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import { SEG_CS, SEG_LDTR, SEG_SS, SEG_TR, type VmxMsrPort, VmxProcessorState } from './processor-state.ts';

class MapMsrs implements VmxMsrPort {
  readonly values = new Map<number, [number, number]>();
  readonly readOnly = new Set<number>();
  readMsr(index: number, out: Uint32Array): boolean {
    const v = this.values.get(index);
    if (!v) return false;
    out[0] = v[0];
    out[1] = v[1];
    return true;
  }
  writeMsr(index: number, lo: number, hi: number): boolean {
    if (this.readOnly.has(index)) return false;
    this.values.set(index, [lo >>> 0, hi >>> 0]);
    return true;
  }
}

function machine() {
  const memory = new FlatPhysicalMemory(1 << 20);
  const state = new VmxProcessorState();
  const msrs = new MapMsrs();
  const vmx = new Vmx({ memory, featureControl: FEATURE_CONTROL_VMX_READY, processor: { state, msrs } });
  memory.write32(0x1000, vmx.capabilities.basic.lo);
  memory.write32(0x2000, vmx.capabilities.basic.lo);
  expect(vmx.vmxon(ROOT64, 0x1000, 0)).toBe(VM_SUCCEED);
  expect(vmx.vmptrld(ROOT64, 0x2000, 0)).toBe(VM_SUCCEED);
  writeBaseline(vmx.vmcs, vmx.capabilities);
  return { memory, state, msrs, vmx, v: vmx.vmcs };
}

describe('VM entry with a processor', () => {
  it('loads the guest state: registers, segments, EFER.LMA/LME from "IA-32e mode guest"', () => {
    const { vmx, state } = machine();
    expect(vmx.vmlaunch(ROOT64)).toEqual({ kind: 'entered' });
    expect([state.ripLo, state.rspLo, state.cr3Lo, state.rflags]).toEqual([0x1000, 0x8000, 0x2000, 2]);
    expect(state.segments[SEG_CS]!.accessRights).toBe(0xa09b);
    expect(state.segments[SEG_TR]!.limit).toBe(0x67);
    expect(state.efer & 0x500).toBe(0x500);
  });

  it('writes the VM-entry MSR-load area through the MSR port', () => {
    const { vmx, v, memory, msrs } = machine();
    memory.write32(0xf000, 0x174);
    memory.write32(0xf008, 0x33);
    v.write(F.VM_ENTRY_MSR_LOAD_ADDRESS, 0xf000);
    v.write(F.VM_ENTRY_MSR_LOAD_COUNT, 1);
    expect(vmx.vmlaunch(ROOT64)).toEqual({ kind: 'entered' });
    expect(msrs.values.get(0x174)).toEqual([0x33, 0]);
  });

  it('fails with exit 34 naming the entry whose WRMSR would #GP, and loads host state', () => {
    const { vmx, v, memory, msrs, state } = machine();
    msrs.readOnly.add(0x10);
    for (const [i, index] of [0x174, 0x10].entries()) memory.write32(0xf000 + 16 * i, index);
    v.write(F.VM_ENTRY_MSR_LOAD_ADDRESS, 0xf000);
    v.write(F.VM_ENTRY_MSR_LOAD_COUNT, 2);
    expect(vmx.vmlaunch(ROOT64)).toEqual({ kind: 'entryFailed', exitReason: 0x80000022, qualification: 2 });
    expect(state.ripLo).toBe(0x401000);
    expect(vmx.current.launched).toBe(false);
    expect(vmx.nonRoot).toBe(false);
  });

  it('hands the event to inject to the CPU', () => {
    const { vmx, v } = machine();
    v.write(F.VM_ENTRY_INTERRUPTION_INFORMATION, (C.INTR_INFO_VALID | (C.INTR_TYPE_HARDWARE_EXCEPTION << 8) | 6) >>> 0);
    vmx.vmlaunch(ROOT64);
    expect(vmx.injectionInfo).toBe(0x80000306);
  });

  it('loads the PDPTEs of a PAE guest from guest memory when EPT is off', () => {
    const { vmx, v, memory, state } = machine();
    v.write(F.VM_ENTRY_CONTROLS, vmx.capabilities.allowed('entry').mustBeOne);
    v.write(F.GUEST_CS_ACCESS_RIGHTS, 0xc09b);
    v.write(F.GUEST_CR3, 0x3000);
    memory.write32(0x3000, 0x4001);
    memory.write32(0x3018, 0x7001);
    expect(vmx.vmlaunch(ROOT64)).toEqual({ kind: 'entered' });
    expect([state.pdpte[0], state.pdpte[6]]).toEqual([0x4001, 0x7001]);
  });
});

describe('Vmx.performExit', () => {
  function entered() {
    const m = machine();
    expect(m.vmx.vmlaunch(ROOT64)).toEqual({ kind: 'entered' });
    return m;
  }

  it('records the exit information the hypervisor reads with VMREAD', () => {
    const { vmx } = entered();
    vmx.exit.reset(EXIT_REASON_IO_INSTRUCTION, 0x3f80000).instructionLength = 1;
    expect(vmx.performExit().kind).toBe('exited');
    expect(vmx.nonRoot).toBe(false);
    vmx.vmread(ROOT64, F.EXIT_REASON, 0);
    expect(vmx.readLo).toBe(30);
    vmx.vmread(ROOT64, F.EXIT_QUALIFICATION, 0);
    expect(vmx.readLo).toBe(0x3f80000);
    vmx.vmread(ROOT64, F.VM_EXIT_INSTRUCTION_LENGTH, 0);
    expect(vmx.readLo).toBe(1);
  });

  it('saves the guest state the CPU left and loads the flat host state', () => {
    const { vmx, state, v } = entered();
    state.ripLo = 0x1234;
    state.rflags = 0x246;
    state.segments[SEG_SS]!.selector = 0x2b;
    vmx.exit.reset(EXIT_REASON_CPUID);
    vmx.performExit();
    expect([v.read(F.GUEST_RIP), v.read(F.GUEST_RFLAGS), v.read(F.GUEST_SS_SELECTOR)]).toEqual([0x1234, 0x246, 0x2b]);
    expect([state.ripLo, state.rspLo, state.rflags, state.dr7]).toEqual([0x401000, 0x80000, 2, 0x400]);
    expect(state.segments[SEG_CS]).toMatchObject({ selector: 8, baseLo: 0, limit: 0xffffffff, accessRights: 0xa09b });
    expect(state.segments[SEG_TR]).toMatchObject({ selector: 0x18, limit: 0x67, accessRights: 0x8b });
    expect(state.segments[SEG_LDTR]!.accessRights).toBe(C.AR_UNUSABLE);
    expect(state.efer & 0x500).toBe(0x500);
  });

  it('clears the valid bit of the VM-entry interruption information', () => {
    const { vmx, v } = machine();
    v.write(F.VM_ENTRY_INTERRUPTION_INFORMATION, (C.INTR_INFO_VALID | (C.INTR_TYPE_NMI << 8) | 2) >>> 0);
    vmx.vmlaunch(ROOT64);
    vmx.exit.reset(EXIT_REASON_CPUID);
    vmx.performExit();
    expect(v.read(F.VM_ENTRY_INTERRUPTION_INFORMATION)).toBe(0x202);
  });

  it('stores MSRs into the MSR-store area and loads the host MSR-load area', () => {
    const { vmx, v, memory, msrs } = entered();
    msrs.values.set(0x176, [0xabc, 0]);
    memory.write32(0xe000, 0x176);
    v.write(F.VM_EXIT_MSR_STORE_ADDRESS, 0xe000);
    v.write(F.VM_EXIT_MSR_STORE_COUNT, 1);
    memory.write32(0xe100, 0x175);
    memory.write32(0xe108, 0x9000);
    v.write(F.VM_EXIT_MSR_LOAD_ADDRESS, 0xe100);
    v.write(F.VM_EXIT_MSR_LOAD_COUNT, 1);
    vmx.exit.reset(EXIT_REASON_CPUID);
    expect(vmx.performExit().kind).toBe('exited');
    expect(memory.read32(0xe008)).toBe(0xabc);
    expect(msrs.values.get(0x175)).toEqual([0x9000, 0]);
  });

  it('aborts with indicator 1 when an MSR-store entry cannot be read, writing it to the VMCS region', () => {
    const { vmx, v, memory } = entered();
    memory.write32(0xe000, 0x12345);
    v.write(F.VM_EXIT_MSR_STORE_ADDRESS, 0xe000);
    v.write(F.VM_EXIT_MSR_STORE_COUNT, 1);
    vmx.exit.reset(EXIT_REASON_CPUID);
    expect(vmx.performExit()).toEqual({ kind: 'abort', indicator: 1 });
    expect(memory.read32(0x2004)).toBe(1);
  });

  it('lets VMRESUME re-enter the guest after an exit', () => {
    const { vmx, state } = entered();
    state.ripLo = 0x1002;
    vmx.exit.reset(EXIT_REASON_CPUID);
    vmx.performExit();
    expect(vmx.vmresume(ROOT64)).toEqual({ kind: 'entered' });
    expect(state.ripLo).toBe(0x1002);
  });
});
