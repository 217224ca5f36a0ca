// pnpm bench: VM exit + entry round trips per second for a guest that loops on CPUID, and
// guest MIPS in VMX non-root operation as a ratio of the same loop run outside VMX, both on
// @typevisor/cpu in the same process; plus the model alone (exit + VMRESUME through the API).
import { measureRate, printLine } from '@typevisor/bench';
import { StopReason } from '@typevisor/cpu';
import { guestPhysical } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import {
  EXIT_REASON_CPUID,
  FEATURE_CONTROL_VMX_READY,
  FlatPhysicalMemory,
  VmcsField,
  Vmx,
  VmxProcessorState,
  writeFlat64Vmcs,
} from '../src/index.ts';
import {
  buildCpuMachine,
  type CpuMachine,
  enterHostMode,
  VMCS_REGION,
  VMXON_REGION,
  writeMachineVmcs,
} from '../src/testing/cpu-machine.ts';
import { ROOT64 } from '../src/testing/root-context.ts';

const ctx = ROOT64;
const CODE = 0x20000;
const LOOP_ITERATIONS = 10_000;

function machine(guest: string): CpuMachine {
  const m = buildCpuMachine();
  m.memory.writeBytes(guestPhysical(CODE), assemble(`bits 64\n${guest}`, { org: CODE }).bytes);
  m.vmx.vmxon(ROOT64, VMXON_REGION, 0);
  m.vmx.vmptrld(ROOT64, VMCS_REGION, 0);
  writeMachineVmcs(m, CODE);
  return m;
}

// 1. A guest looping on CPUID; the TypeScript hypervisor skips the instruction and resumes.
{
  const { cpu, vmx, attachment } = machine('l: cpuid\njmp l');
  if (vmx.vmlaunch(ctx).kind !== 'entered') throw new Error('VMLAUNCH failed');
  attachment.enterGuest();
  const trips = measureRate(() => {
    for (let i = 0; i < 1000; i++) {
      if (cpu.run({ maxInstructions: 100 }) !== StopReason.VmExit || vmx.exit.reason !== EXIT_REASON_CPUID)
        throw new Error('expected a CPUID exit');
      vmx.vmcs.write(VmcsField.GUEST_RIP, vmx.vmcs.read(VmcsField.GUEST_RIP) + vmx.exit.instructionLength);
      vmx.vmresume(ctx);
      attachment.enterGuest();
    }
    return 1000;
  });
  printLine('vm exit + VMRESUME round trips (guest CPUID loop)', { value: trips.perSecond, unit: 'trips/s' });
}

// 2. The same counted loop in VMX non-root operation and outside VMX: each pass sets RIP
// and runs exactly the loop's instructions (the final HLT is not reached), so both sides
// do the same work and stop the same way.
{
  const loop = `mov rcx, ${LOOP_ITERATIONS}\nl: add rax, 1\ndec rcx\njnz l\nhlt`;
  const instructions = 1 + 3 * LOOP_ITERATIONS;
  const pass = (m: CpuMachine): number => {
    m.cpu.setReg('rip', CODE);
    if (m.cpu.run({ maxInstructions: instructions }) !== StopReason.InstructionLimit)
      throw new Error('the loop stopped early');
    return instructions;
  };
  const plain = machine(loop);
  enterHostMode(plain.cpu); // the same 64-bit, 4-level-paged state the guest runs in
  const g = machine(loop);
  if (g.vmx.vmlaunch(ctx).kind !== 'entered' || !g.attachment.enterGuest()) throw new Error('VMLAUNCH failed');
  // Whichever side the JIT sees first runs several times slower until both are warm, so
  // warm both, interleaved, before measuring either.
  const warmEnd = performance.now() + 2000;
  while (performance.now() < warmEnd) pass(g) + pass(plain);
  // Then alternate, three rounds each, and keep each side's best median.
  let inside = 0;
  let outside = 0;
  for (let round = 0; round < 3; round++) {
    inside = Math.max(inside, measureRate(() => pass(g), { samples: 5 }).perSecond);
    outside = Math.max(outside, measureRate(() => pass(plain), { samples: 5 }).perSecond);
  }
  if (!g.vmx.nonRoot) throw new Error('the guest left non-root operation');
  printLine(
    'guest MIPS in VMX non-root (add/dec/jnz loop)',
    { value: inside, unit: 'instr/s' },
    { name: 'same loop outside VMX', figure: { value: outside, unit: 'instr/s' } },
  );
}

// 3. The model alone: exit + VMRESUME through the API, no CPU.
{
  const memory = new FlatPhysicalMemory(1 << 20);
  const state = new VmxProcessorState();
  const vmx = new Vmx({
    memory,
    featureControl: FEATURE_CONTROL_VMX_READY,
    processor: { state, msrs: { readMsr: () => true, writeMsr: () => true } },
  });
  memory.write32(0x1000, vmx.capabilities.basic.lo);
  memory.write32(0x2000, vmx.capabilities.basic.lo);
  vmx.vmxon(ctx, 0x1000, 0);
  vmx.vmptrld(ctx, 0x2000, 0);
  writeFlat64Vmcs(vmx.vmcs, vmx.capabilities);
  if (vmx.vmlaunch(ctx).kind !== 'entered') throw new Error('baseline VMCS does not enter');
  const roundTrips = measureRate(() => {
    for (let i = 0; i < 1000; i++) {
      vmx.exit.reset(EXIT_REASON_CPUID).instructionLength = 2;
      vmx.performExit();
      if (vmx.vmresume(ctx).kind !== 'entered') throw new Error('VMRESUME failed');
    }
    return 1000;
  });
  printLine('vm exit + VMRESUME, model only (API, no CPU)', { value: roundTrips.perSecond, unit: 'trips/s' });
  const access = measureRate(() => {
    let x = 0;
    for (let i = 0; i < 1000; i++) {
      vmx.vmwrite(ctx, VmcsField.GUEST_RSP, 0, i, 0);
      vmx.vmread(ctx, VmcsField.GUEST_RSP, 0);
      x += vmx.readLo;
    }
    return x >= 0 ? 2000 : 0;
  });
  printLine('VMREAD/VMWRITE', { value: access.perSecond, unit: 'ops/s' });
}
