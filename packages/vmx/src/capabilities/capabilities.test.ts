import { describe, expect, it } from 'vitest';
import * as C from '../vmcs/controls.ts';
import { VMCS_FIELDS } from '../vmcs/field-encoding.ts';
import { VmxCapabilities } from './capabilities.ts';
import { DEFAULT_VMX_FEATURES, type VmxFeatures } from './features.ts';
import * as M from './msr-index.ts';

const caps = (f: Partial<VmxFeatures> = {}) => new VmxCapabilities({ ...DEFAULT_VMX_FEATURES, ...f });

describe('VmxCapabilities', () => {
  it('reports IA32_VMX_BASIC: revision, 4 KiB regions, WB, INS/OUTS info, TRUE controls', () => {
    const b = caps({ revisionId: 0x12 }).readMsr(M.IA32_VMX_BASIC)!;
    expect(b.lo).toBe(0x12);
    expect(b.hi & 0x1fff).toBe(4096); // bits 44:32
    expect((b.hi >>> 18) & 0xf).toBe(6); // bits 53:50
    expect((b.hi >>> 22) & 1).toBe(1); // bit 54
    expect((b.hi >>> 23) & 1).toBe(1); // bit 55
    expect(caps({ trueControls: false }).basic.hi & (1 << 23)).toBe(0);
  });

  it.each<[string, number, number]>([
    ['PINBASED', M.IA32_VMX_PINBASED_CTLS, C.PIN_DEFAULT1],
    ['PROCBASED', M.IA32_VMX_PROCBASED_CTLS, C.PROC_DEFAULT1],
    ['EXIT', M.IA32_VMX_EXIT_CTLS, C.EXIT_DEFAULT1],
    ['ENTRY', M.IA32_VMX_ENTRY_CTLS, C.ENTRY_DEFAULT1],
  ])('reports the %s default1 bits as must-be-one and may-be-one', (_n, index, default1) => {
    const v = caps().readMsr(index)!;
    expect(v.lo).toBe(default1);
    expect((v.hi & default1) >>> 0).toBe(default1);
  });

  it.each<[string, number, number]>([
    ['TRUE_PROCBASED lets CR3-load/store exiting be 0', M.IA32_VMX_TRUE_PROCBASED_CTLS, C.PROC_TRUE_RELAXED],
    ['TRUE_EXIT lets "save debug controls" be 0', M.IA32_VMX_TRUE_EXIT_CTLS, C.EXIT_TRUE_RELAXED],
    ['TRUE_ENTRY lets "load debug controls" be 0', M.IA32_VMX_TRUE_ENTRY_CTLS, C.ENTRY_TRUE_RELAXED],
  ])('%s', (_n, index, relaxed) => {
    const v = caps().readMsr(index)!;
    expect(v.lo & relaxed).toBe(0);
    expect(v.hi & relaxed).toBe(relaxed);
  });

  it('has no TRUE_ MSRs when BASIC[55] is 0, and VM entry then enforces the plain ones', () => {
    const c = caps({ trueControls: false });
    expect(c.readMsr(M.IA32_VMX_TRUE_PROCBASED_CTLS)).toBeUndefined();
    expect(c.allowed('proc').mustBeOne).toBe(C.PROC_DEFAULT1);
  });

  it.each<[keyof VmxFeatures, 'procbased2' | 'pinbased' | 'procbased', number]>([
    ['ept', 'procbased2', C.PROC2_ENABLE_EPT],
    ['vpid', 'procbased2', C.PROC2_ENABLE_VPID],
    ['unrestrictedGuest', 'procbased2', C.PROC2_UNRESTRICTED_GUEST],
    ['preemptionTimer', 'pinbased', C.PIN_ACTIVATE_PREEMPTION_TIMER],
    ['virtualNmis', 'pinbased', C.PIN_VIRTUAL_NMIS],
    ['monitorTrapFlag', 'procbased', C.PROC_MONITOR_TRAP_FLAG],
    ['tprShadow', 'procbased', C.PROC_USE_TPR_SHADOW],
  ])('offers the control for %s only when the feature is on', (feature, msr, bit) => {
    expect(caps()[msr].hi & bit).toBe(bit);
    expect(caps({ [feature]: false })[msr].hi & bit).toBe(0);
  });

  it('reports MISC: timer rate, activity states, 4 CR3 targets, VMWRITE to exit information', () => {
    const m = caps().misc.lo;
    expect(m & 0x1f).toBe(5);
    expect((m >>> 6) & 7).toBe(7);
    expect((m >>> 16) & 0x1ff).toBe(4);
    expect((m >>> 29) & 1).toBe(1);
    expect((caps({ activityShutdown: false }).misc.lo >>> 6) & 7).toBe(5);
  });

  it('fixes CR0.PE, NE, PG and CR4.VMXE', () => {
    const c = caps();
    expect(c.cr0Fixed0.lo).toBe(0x80000021);
    expect(c.cr4Fixed0.lo).toBe(0x2000);
    expect(c.cr4Fixed1.lo & 0x2000).toBe(0x2000);
  });

  it('reports in VMCS_ENUM the highest index of a supported field', () => {
    const max = Math.max(
      ...VMCS_FIELDS.filter((f) => f.feature === undefined || f.feature === 'ept').map((f) => f.index),
    );
    expect(caps().vmcsEnum.lo >>> 1).toBeGreaterThanOrEqual(max);
  });

  it('reports EPT and VPID capabilities, none without the features', () => {
    const c = caps();
    expect(c.eptVpidCap.lo & (1 << 6)).not.toBe(0);
    expect(c.eptVpidCap.hi & 1).toBe(1);
    const none = caps({ ept: false, vpid: false });
    expect([none.eptVpidCap.lo, none.eptVpidCap.hi]).toEqual([0, 0]);
  });

  it('reports EPTP switching in IA32_VMX_VMFUNC', () => {
    expect(caps().vmfunc.lo).toBe(1);
    expect(caps({ eptpSwitching: false }).vmfunc.lo).toBe(0);
  });

  it('rejects a physical-address width outside 36..52', () => {
    expect(() => caps({ physicalAddressWidth: 60 })).toThrow(RangeError);
  });

  it('tells addresses within MAXPHYADDR from those beyond it', () => {
    const c = caps({ physicalAddressWidth: 39 });
    expect(c.physicalAddressValid(0, 0x7f)).toBe(true);
    expect(c.physicalAddressValid(0, 0x80)).toBe(false);
  });
});
