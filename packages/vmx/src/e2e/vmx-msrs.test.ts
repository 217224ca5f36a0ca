// RDMSR/WRMSR of the VMX MSRs executed by code in VMX root operation on @typevisor/cpu: the
// capability MSRs are read-only (WRMSR raises #GP(0), SDM 3D App. A) and IA32_FEATURE_CONTROL
// is writable until its lock bit is set (SDM 3C 24.7), after which WRMSR raises #GP(0).
import { StopReason } from '@typevisor/cpu';
import { guestPhysical } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { FEATURE_CONTROL_VMX_READY } from '../capabilities/capabilities.ts';
import { buildCpuMachine, enterHostMode } from '../testing/cpu-machine.ts';

const HOST_CODE = 0x30000;

/** Runs `code` (64-bit, CPL 0) to its HLT or first exception; exceptions stop the run. */
function runHost(code: string, featureControl = FEATURE_CONTROL_VMX_READY) {
  const machine = buildCpuMachine(featureControl);
  const { memory, cpu } = machine;
  memory.writeBytes(guestPhysical(HOST_CODE), assemble(`bits 64\n${code}\nhlt`, { org: HOST_CODE }).bytes);
  enterHostMode(cpu);
  cpu.exceptionPolicy = 'stop';
  cpu.setReg('rip', HOST_CODE);
  cpu.setReg('rsp', 0x80000);
  const stop = cpu.run({ maxInstructions: 100 });
  return { stop, cpu, vmx: machine.vmx };
}

const wrmsr = (index: number, value: number) => `mov ecx, ${index}\nmov eax, ${value}\nxor edx, edx\nwrmsr`;

describe('the VMX MSRs under RDMSR/WRMSR', () => {
  it.each([
    ['IA32_VMX_BASIC', 0x480],
    ['IA32_VMX_PINBASED_CTLS', 0x481],
    ['IA32_VMX_CR0_FIXED0', 0x486],
    ['IA32_VMX_EPT_VPID_CAP', 0x48c],
    ['IA32_VMX_TRUE_ENTRY_CTLS', 0x490],
  ])('WRMSR to %s (read-only) raises #GP(0)', (_name, index) => {
    const { stop, cpu } = runHost(wrmsr(index, 0));
    expect(stop).toBe(StopReason.Exception);
    expect([cpu.exceptionVector, cpu.exceptionErrorCode]).toEqual([13, 0]);
  });

  it('RDMSR of IA32_VMX_BASIC returns the model’s value (revision identifier, region size)', () => {
    const { stop, cpu, vmx } = runHost('mov ecx, 0x480\nrdmsr');
    expect(stop).toBe(StopReason.Halt);
    expect([cpu.getReg('eax'), cpu.getReg('edx')]).toEqual([vmx.capabilities.basic.lo, vmx.capabilities.basic.hi]);
  });

  it('WRMSR to a locked IA32_FEATURE_CONTROL raises #GP(0)', () => {
    const { stop, cpu } = runHost(wrmsr(0x3a, 5));
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(13);
  });

  it('an unlocked IA32_FEATURE_CONTROL takes one write that sets the lock, then refuses the next', () => {
    const first = runHost(`${wrmsr(0x3a, 5)}\nmov ecx, 0x3a\nrdmsr\nmov ebx, eax`, 0);
    expect(first.stop).toBe(StopReason.Halt);
    expect(first.cpu.getReg('ebx')).toBe(5);
    expect(first.vmx.featureControl).toBe(5);
    const second = runHost(`${wrmsr(0x3a, 1)}\n${wrmsr(0x3a, 5)}`, 0);
    expect(second.stop).toBe(StopReason.Exception);
    expect(second.cpu.exceptionVector).toBe(13);
    expect(second.vmx.featureControl).toBe(1);
  });

  it('WRMSR of reserved IA32_FEATURE_CONTROL bits raises #GP(0) even while unlocked', () => {
    const { stop, cpu } = runHost(wrmsr(0x3a, 0x10000), 0);
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(13);
  });
});
