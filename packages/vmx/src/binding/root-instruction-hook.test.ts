import type { VmxInstructionHook } from '@typevisor/cpu';
import { describe, expect, it } from 'vitest';
import { FEATURE_CONTROL_VMX_READY } from '../capabilities/capabilities.ts';
import type { VmxInstructionContext } from '../instructions/context.ts';
import { Vmx } from '../instructions/vmx.ts';
import { FlatPhysicalMemory } from '../memory/physical-memory.ts';
import { VmxProcessorState } from '../processor/processor-state.ts';
import { writeBaseline } from '../testing/baseline-vmcs.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import { NonRootExits } from './non-root-exits.ts';
import {
  createRootInstructionHook,
  HOOK_CONTINUE,
  HOOK_ENTERED,
  HOOK_FAULT,
  type RootCpuPort,
  type RootInstructionOperands,
} from './root-instruction-hook.ts';

const RAX = 0;
const RBX = 3;
const RCX = 1;

/** A stand-in CPU: GPRs, RFLAGS and identity-mapped linear memory. */
class FakeCpu implements RootCpuPort {
  context: VmxInstructionContext = {
    cr0: 0x80000031,
    cr4: 0x2020,
    cpl: 0,
    v8086: false,
    ia32e: true,
    csL: true,
    blockedByMovSs: false,
  };
  readonly gpr = new Uint32Array(32);
  rflags = 0x2;
  faults: number[] = [];
  constructor(readonly memory: FlatPhysicalMemory) {}
  readGpr(n: number, out: Uint32Array): void {
    out[0] = this.gpr[2 * n]!;
    out[1] = this.gpr[2 * n + 1]!;
  }
  writeGpr(n: number, lo: number, hi: number): void {
    this.gpr[2 * n] = lo;
    this.gpr[2 * n + 1] = hi;
  }
  readLinear(lo: number, _hi: number, size: 4 | 8, out: Uint32Array): boolean {
    if (lo >= 0xf0000) {
      this.raiseFault(14, 0);
      return false;
    }
    out[0] = this.memory.read32(lo);
    out[1] = size === 8 ? this.memory.read32(lo + 4) : 0;
    return true;
  }
  writeLinear(lo: number, _hi: number, size: 4 | 8, valueLo: number, valueHi: number): boolean {
    this.memory.write32(lo, valueLo);
    if (size === 8) this.memory.write32(lo + 4, valueHi);
    return true;
  }
  getRflags(): number {
    return this.rflags;
  }
  setRflags(value: number): void {
    this.rflags = value;
  }
  raiseFault(vector: number, _errorCode = 0): void {
    this.faults.push(vector);
  }
}

const mem = (linearLo: number): RootInstructionOperands => ({
  instructionLength: 4,
  isMemory: true,
  linearLo,
  linearHi: 0,
  rmRegister: -1,
  regRegister: -1,
  operandSize: 8,
});
const regs = (rm: number, reg: number): RootInstructionOperands => ({
  instructionLength: 3,
  isMemory: false,
  linearLo: 0,
  linearHi: 0,
  rmRegister: rm,
  regRegister: reg,
  operandSize: 8,
});
const none = regs(-1, -1);

function setup() {
  const memory = new FlatPhysicalMemory(1 << 20);
  const state = new VmxProcessorState();
  const vmx = new Vmx({
    memory,
    featureControl: FEATURE_CONTROL_VMX_READY,
    processor: { state, msrs: { readMsr: () => true, writeMsr: () => true } },
  });
  const cpu = new FakeCpu(memory);
  const hook = createRootInstructionHook(vmx, cpu);
  memory.write32(0x1000, vmx.capabilities.basic.lo);
  memory.write32(0x2000, vmx.capabilities.basic.lo);
  memory.write32(0x800, 0x1000); // m64 operand: VMXON region pointer
  memory.write32(0x808, 0x2000); // m64 operand: VMCS pointer
  return { memory, state, vmx, cpu, hook };
}

describe('createRootInstructionHook', () => {
  it('has the shape of @typevisor/cpu’s VmxInstructionHook', () => {
    const hook: VmxInstructionHook = setup().hook;
    expect(typeof hook).toBe('function');
  });

  it('runs a hypervisor’s sequence: VMXON, VMCLEAR, VMPTRLD, VMWRITE, VMLAUNCH, exit, VMREAD', () => {
    const { vmx, cpu, hook, state } = setup();
    expect(hook(9, mem(0x800))).toBe(HOOK_CONTINUE); // VMXON [0x800]
    expect(hook(1, mem(0x808))).toBe(HOOK_CONTINUE); // VMCLEAR [0x808]
    expect(hook(3, mem(0x808))).toBe(HOOK_CONTINUE); // VMPTRLD [0x808]
    expect(cpu.rflags & 0x41).toBe(0);
    writeBaseline(vmx.vmcs, vmx.capabilities);
    cpu.writeGpr(RAX, F.GUEST_RIP, 0);
    cpu.writeGpr(RBX, 0x7c00, 0);
    expect(hook(7, regs(RBX, RAX))).toBe(HOOK_CONTINUE); // VMWRITE rax, rbx
    expect(hook(2, none)).toBe(HOOK_ENTERED); // VMLAUNCH
    expect(state.ripLo).toBe(0x7c00);
    // The guest executes CPUID; the CPU asks the installed interception.
    const exits = new NonRootExits(vmx, { save() {}, restore() {} });
    expect(exits.cpuid(0, 0, 2)).toBe(true);
    cpu.writeGpr(RAX, F.EXIT_REASON, 0);
    expect(hook(5, regs(RCX, RAX))).toBe(HOOK_CONTINUE); // VMREAD rcx, rax
    expect(cpu.gpr[2 * RCX]).toBe(10);
    cpu.writeGpr(RBX, 0x900, 0);
    expect(hook(4, mem(0x900))).toBe(HOOK_CONTINUE); // VMPTRST [0x900]
    expect(cpu.memory.read32(0x900)).toBe(0x2000);
  });

  it('sets CF for VMfailInvalid and ZF for VMfailValid', () => {
    const { cpu, hook } = setup();
    hook(9, mem(0x800));
    expect(hook(6, none)).toBe(HOOK_CONTINUE); // VMRESUME without a current VMCS
    expect(cpu.rflags & 1).toBe(1);
    hook(3, mem(0x808));
    expect(hook(6, none)).toBe(HOOK_CONTINUE); // VMRESUME of a clear VMCS: error 5
    expect(cpu.rflags & 0x41).toBe(0x40);
  });

  it('raises #GP(0) at CPL 3 before touching a faulting memory operand', () => {
    const { cpu, hook } = setup();
    hook(9, mem(0x800));
    cpu.context = { ...cpu.context, cpl: 3 };
    expect(hook(3, mem(0xf0000))).toBe(HOOK_FAULT);
    expect(cpu.faults).toEqual([13]);
  });

  it('raises the operand’s fault when the pointer cannot be read', () => {
    const { cpu, hook } = setup();
    hook(9, mem(0x800));
    expect(hook(3, mem(0xf0000))).toBe(HOOK_FAULT);
    expect(cpu.faults).toEqual([14]);
  });

  it.each<[string, number, RootInstructionOperands]>([
    ['VMPTRLD with a register operand', 3, regs(0, -1)],
    ['VMFUNC in root operation', 12, none],
  ])('raises #UD for %s', (_name, op, operands) => {
    const { cpu, hook } = setup();
    hook(9, mem(0x800));
    expect(hook(op, operands)).toBe(HOOK_FAULT);
    expect(cpu.faults).toEqual([6]);
  });

  it('reads INVEPT’s type register and 128-bit descriptor', () => {
    const { cpu, hook, memory } = setup();
    hook(9, mem(0x800));
    hook(3, mem(0x808));
    cpu.writeGpr(RAX, 1, 0);
    memory.write32(0xa00, 0x801e);
    expect(hook(10, { ...mem(0xa00), regRegister: RAX })).toBe(HOOK_CONTINUE);
    expect(cpu.rflags & 0x41).toBe(0);
    memory.write32(0xa00, 0x8001);
    hook(10, { ...mem(0xa00), regRegister: RAX });
    expect(cpu.rflags & 0x40).toBe(0x40); // error 28
  });
});
