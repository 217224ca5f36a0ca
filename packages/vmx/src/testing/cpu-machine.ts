// Test and bench support: @typevisor/cpu with 2 MiB of RAM, identity-mapped 4-level paging
// (2 MiB pages over the first GiB, at PML4), VMXON and VMCS regions with our revision at
// 0x1000 and 0x2000, and the VMX model attached to the CPU.
import { Cpu } from '@typevisor/cpu';
import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { attachVmxToCpu, type VmxCpuAttachment } from '../binding/cpu-glue.ts';
import { FEATURE_CONTROL_VMX_READY } from '../capabilities/capabilities.ts';
import { Vmx } from '../instructions/vmx.ts';
import { VmxProcessorState } from '../processor/processor-state.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import { writeBaseline } from './baseline-vmcs.ts';
import { ROOT64 } from './root-context.ts';

export const PML4 = 0x70000;
export const VMXON_REGION = 0x1000;
export const VMCS_REGION = 0x2000;

export interface CpuMachine {
  readonly memory: PhysicalMemory;
  readonly cpu: Cpu;
  readonly vmx: Vmx;
  readonly state: VmxProcessorState;
  readonly attachment: VmxCpuAttachment;
}

/** `featureControl`: the IA32_FEATURE_CONTROL value at reset (default: locked, VMX outside SMX on). */
export function buildCpuMachine(featureControl = FEATURE_CONTROL_VMX_READY): CpuMachine {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 1 << 21);
  const state = new VmxProcessorState();
  const cpu = new Cpu({ memory });
  const vmx = new Vmx({
    memory,
    featureControl,
    processor: {
      state,
      msrs: { readMsr: (i, out) => cpu.readMsrValue(i, out), writeMsr: (i, lo, hi) => cpu.writeMsrValue(i, lo, hi) },
    },
  });
  const attachment = attachVmxToCpu(cpu, vmx, state);
  memory.write32(guestPhysical(PML4), (PML4 + 0x1000) | 3);
  memory.write32(guestPhysical(PML4 + 0x1000), (PML4 + 0x2000) | 3);
  for (let i = 0; i < 512; i++) memory.write32(guestPhysical(PML4 + 0x2000 + 8 * i), ((i << 21) | 0x83) >>> 0);
  memory.write32(guestPhysical(VMXON_REGION), vmx.capabilities.basic.lo);
  memory.write32(guestPhysical(VMCS_REGION), vmx.capabilities.basic.lo);
  return { memory, cpu, vmx, state, attachment };
}

/** Puts the CPU itself in the host's state: 64-bit mode, paging through PML4, CR4.VMXE. */
export function enterHostMode(cpu: Cpu): void {
  cpu.setMode('long64');
  cpu.state.cr0 = 0x80000031;
  cpu.state.cr4 = 0x2020;
  cpu.state.cr3Lo = PML4;
  cpu.stateChanged();
}

/** A flat 64-bit host and guest sharing the PML4 tables, the guest starting at `guestRip`. */
export function writeMachineVmcs(machine: CpuMachine, guestRip: number): void {
  const v = machine.vmx.vmcs;
  writeBaseline(v, machine.vmx.capabilities);
  v.write(F.HOST_CR3, PML4);
  v.write(F.GUEST_CR3, PML4);
  v.write(F.GUEST_RIP, guestRip);
  v.write(F.GUEST_RSP, 0x90000);
}

/**
 * Assembles `source` (`bits` 32 or 64) at `guestRip`, runs VMXON and VMPTRLD on the machine's
 * regions and writes the flat VMCS for a guest starting there: ready for a test's VMCS changes
 * and VMLAUNCH.
 */
export function prepareGuest(machine: CpuMachine, source: string, guestRip: number, bits: 32 | 64 = 64): void {
  const { memory, vmx } = machine;
  memory.writeBytes(guestPhysical(guestRip), assemble(`bits ${bits}\n${source}`, { org: guestRip }).bytes);
  if (vmx.vmxon(ROOT64, VMXON_REGION, 0).kind !== 'succeed' || vmx.vmptrld(ROOT64, VMCS_REGION, 0).kind !== 'succeed') {
    throw new Error('prepareGuest: VMXON or VMPTRLD failed');
  }
  writeMachineVmcs(machine, guestRip);
}
