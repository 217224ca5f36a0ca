import { EptState } from '@typevisor/mmu';
import { describe, expect, it } from 'vitest';
import { Vmx } from '../instructions/vmx.ts';
import { FlatPhysicalMemory } from '../memory/physical-memory.ts';
import { PROC_ACTIVATE_SECONDARY_CONTROLS, PROC2_ENABLE_EPT } from '../vmcs/controls.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import { configureEpt } from './ept-pointer.ts';

describe('configureEpt', () => {
  it('points @typevisor/mmu’s EptState at the VMCS EPTP when EPT is enabled', () => {
    const vmx = new Vmx({ memory: new FlatPhysicalMemory(4096) });
    const ept = new EptState();
    expect(configureEpt(vmx, ept)).toBe(false);
    vmx.vmcs.write(F.PRIMARY_PROCESSOR_BASED_CONTROLS, PROC_ACTIVATE_SECONDARY_CONTROLS);
    vmx.vmcs.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, PROC2_ENABLE_EPT);
    vmx.vmcs.write(F.EPT_POINTER, 0x1_2345_601e);
    expect(configureEpt(vmx, ept)).toBe(true);
    expect([ept.eptp, ept.executeOnly, ept.maxPhyAddr, ept.pages1G]).toEqual([0x1_2345_601e, true, 46, true]);
  });
});
