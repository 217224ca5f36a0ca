import { PhysicalMemory as MmuPhysicalMemory, guestPhysical } from '@typevisor/mmu';
import { describe, expect, it } from 'vitest';
import { FEATURE_CONTROL_VMX_READY } from '../capabilities/capabilities.ts';
import { Vmx } from '../instructions/vmx.ts';
import { FlatPhysicalMemory, type PhysicalMemory } from './physical-memory.ts';

describe('PhysicalMemory', () => {
  it('is satisfied by @typevisor/mmu’s PhysicalMemory, so VMX regions live in guest RAM', () => {
    const ram = new MmuPhysicalMemory();
    ram.addRam(guestPhysical(0), 1 << 20);
    const memory: PhysicalMemory = ram;
    const vmx = new Vmx({ memory, featureControl: FEATURE_CONTROL_VMX_READY });
    memory.write32(0x1000, vmx.capabilities.basic.lo);
    const ctx = { cr0: 0x80000031, cr4: 0x2020, cpl: 0, v8086: false, ia32e: true, csL: true, blockedByMovSs: false };
    expect(vmx.vmxon(ctx, 0x1000, 0).kind).toBe('succeed');
  });

  it('reads all ones and drops writes outside a FlatPhysicalMemory', () => {
    const m = new FlatPhysicalMemory(16);
    m.write32(16, 5);
    expect(m.read32(16)).toBe(0xffffffff);
    m.write32(12, 0x80000000);
    expect(m.read32(12)).toBe(0x80000000);
  });
});
