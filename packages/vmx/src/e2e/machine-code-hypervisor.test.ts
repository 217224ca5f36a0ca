// The model as hardware: a hypervisor written in x86 machine code (assembled by
// @typevisor/x86-asm) runs on @typevisor/cpu, executes VMXON, VMCLEAR, VMPTRLD, VMWRITEs,
// VMLAUNCH and an exit loop with VMREAD/VMRESUME, and runs a 64-bit guest that loops on
// CPUID until the hypervisor has seen five exits.
import { StopReason } from '@typevisor/cpu';
import { guestPhysical } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { writeBaseline } from '../testing/baseline-vmcs.ts';
import { buildCpuMachine, enterHostMode, PML4, VMCS_REGION, VMXON_REGION } from '../testing/cpu-machine.ts';
import { VMCS_FIELDS } from '../vmcs/field-encoding.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import { VmcsAccess, VmcsCache } from '../vmcs/vmcs.ts';

const HOST_CODE = 0x10000;
const GUEST_CODE = 0x20000;
const FIELD_TABLE = 0x3000;

const HYPERVISOR = `
bits 64
  mov ecx, 0x480          ; IA32_VMX_BASIC: the VMCS revision identifier in bits 30:0
  rdmsr
  and eax, 0x7fffffff
  mov [0x1000], eax       ; VMXON region
  mov [0x2000], eax       ; VMCS region
  mov rax, 0x800
  vmxon [rax]
  jbe fail
  mov rax, 0x808
  vmclear [rax]
  vmptrld [rax]
  jbe fail
  mov rsi, ${FIELD_TABLE}
  mov rcx, [rsi]
  add rsi, 8
setup:
  mov rax, [rsi]
  mov rbx, [rsi+8]
  vmwrite rax, rbx
  jbe fail
  add rsi, 16
  dec rcx
  jnz setup
  vmlaunch
fail:
  mov r15, 0xbad
  hlt
exit_handler:
  mov rax, 0x4402
  vmread rbx, rax
  inc r12
  cmp r12, 5
  je done
  mov rax, 0x440c
  vmread rcx, rax
  mov rax, 0x681e
  vmread rdx, rax
  add rdx, rcx
  vmwrite rax, rdx
  vmresume
  jmp fail
done:
  hlt
`;

const GUEST = `
bits 64
guest:
  inc r13
  cpuid
  jmp guest
`;

function buildMachine() {
  const machine = buildCpuMachine();
  const { memory, cpu, vmx } = machine;
  // The hypervisor writes the revision identifiers itself, from RDMSR IA32_VMX_BASIC.
  memory.write32(guestPhysical(VMXON_REGION), 0);
  memory.write32(guestPhysical(VMCS_REGION), 0);
  memory.write32(guestPhysical(0x800), VMXON_REGION); // the two m64 pointer operands
  memory.write32(guestPhysical(0x808), VMCS_REGION);
  const hv = assemble(HYPERVISOR, { org: HOST_CODE });
  const guest = assemble(GUEST, { org: GUEST_CODE });
  memory.writeBytes(guestPhysical(HOST_CODE), hv.bytes);
  memory.writeBytes(guestPhysical(GUEST_CODE), guest.bytes);

  // The (field, value) table the hypervisor VMWRITEs: a flat 64-bit host and guest.
  const scratch = new VmcsAccess(new VmcsCache());
  writeBaseline(scratch, vmx.capabilities);
  scratch.write(F.HOST_CR3, PML4);
  scratch.write(F.GUEST_CR3, PML4);
  scratch.write(F.HOST_RIP, hv.symbols.get('exit_handler')!);
  scratch.write(F.HOST_RSP, 0x80000);
  scratch.write(F.GUEST_RIP, GUEST_CODE);
  scratch.write(F.GUEST_RSP, 0x90000);
  const rows = VMCS_FIELDS.filter(
    (f) => vmx.supported[f.slot] && !f.readOnly && (scratch.readLo(f.encoding) || scratch.readHi(f.encoding)),
  );
  memory.write32(guestPhysical(FIELD_TABLE), rows.length);
  rows.forEach((f, i) => {
    const at = FIELD_TABLE + 8 + 16 * i;
    memory.write32(guestPhysical(at), f.encoding);
    memory.write32(guestPhysical(at + 8), scratch.readLo(f.encoding));
    memory.write32(guestPhysical(at + 12), scratch.readHi(f.encoding));
  });

  enterHostMode(cpu);
  cpu.setReg('rip', HOST_CODE);
  cpu.setReg('rsp', 0x80000);
  return { cpu, vmx, memory, hv };
}

describe('a hypervisor in x86 machine code', () => {
  it('enters a guest with VMLAUNCH and handles five CPUID exits with VMREAD/VMWRITE/VMRESUME', () => {
    const { cpu, vmx, memory } = buildMachine();
    const stops: StopReason[] = [];
    let stop = cpu.run({ maxInstructions: 100_000 });
    stops.push(stop);
    while (stop === StopReason.VmExit && stops.length < 20) {
      stop = cpu.run({ maxInstructions: 100_000 });
      stops.push(stop);
    }
    expect(cpu.getReg('r15')).not.toBe(0xbad);
    expect(stop).toBe(StopReason.Halt);
    expect(stops.filter((s) => s === StopReason.VmExit)).toHaveLength(5);
    expect(cpu.getReg('r12')).toBe(5); // exits the hypervisor counted
    expect(cpu.getReg('rbx')).toBe(10); // the last exit reason it read: CPUID
    expect(cpu.getReg('r13')).toBe(5); // guest iterations
    expect(vmx.nonRoot).toBe(false);
    expect(vmx.vmcs.read(F.GUEST_RIP)).toBe(GUEST_CODE + 3); // at the CPUID of the fifth pass
    expect(memory.read32(guestPhysical(VMCS_REGION))).toBe(vmx.capabilities.basic.lo);
  });
});
