// VM-entry event injection (SDM 3C 27.6) end to end: a TypeScript hypervisor writes the
// VM-entry interruption-information field, VMLAUNCHes, and @typevisor/cpu delivers the
// event through the guest's IDT before the guest's first instruction.
import { StopReason } from '@typevisor/cpu';
import { guestPhysical } from '@typevisor/mmu';
import { describe, expect, it } from 'vitest';
import { buildCpuMachine, prepareGuest } from '../testing/cpu-machine.ts';
import { writeGuestTables } from '../testing/guest-tables.ts';
import { ROOT64 } from '../testing/root-context.ts';
import * as C from '../vmcs/controls.ts';
import { VmcsField as F } from '../vmcs/fields.ts';

const GUEST_CODE = 0x20000;
const GUEST_RSP = 0x90000;

function runInjected(info: number, errorCode: number) {
  const machine = buildCpuMachine();
  const { memory, cpu, vmx, attachment } = machine;
  prepareGuest(machine, 'mov eax, 1\nhlt', GUEST_CODE);
  const v = vmx.vmcs;
  writeGuestTables(memory, v);
  v.write(F.GUEST_RFLAGS, 0x202);
  v.write(F.VM_ENTRY_INTERRUPTION_INFORMATION, info >>> 0);
  v.write(F.VM_ENTRY_EXCEPTION_ERROR_CODE, errorCode);
  expect(vmx.vmlaunch(ROOT64).kind).toBe('entered');
  expect(attachment.enterGuest()).toBe(true);
  const stop = cpu.run({ maxInstructions: 100 });
  const rsp = cpu.getReg('r8');
  const frame = (i: number) => memory.read32(guestPhysical(rsp + 8 * i));
  return { stop, cpu, rsp, frame };
}

describe('VM-entry event injection delivered by the CPU', () => {
  it('delivers an injected external interrupt through the guest IDT before its first instruction', () => {
    const { stop, cpu, rsp, frame } = runInjected(C.INTR_INFO_VALID | (C.INTR_TYPE_EXTERNAL_INTERRUPT << 8) | 0x30, 0);
    expect(stop).toBe(StopReason.Halt);
    expect(rsp).toBe(GUEST_RSP - 5 * 8); // RIP, CS, RFLAGS, RSP, SS: no error code
    expect([frame(0), frame(1), frame(2), frame(3), frame(4)]).toEqual([GUEST_CODE, 0x08, 0x202, GUEST_RSP, 0x10]);
    expect(cpu.getReg('eax')).toBe(0); // the guest's first instruction had not run
  });

  it('delivers an injected #GP with its error code', () => {
    const { stop, rsp, frame } = runInjected(
      C.INTR_INFO_VALID | C.INTR_INFO_DELIVER_ERROR_CODE | (C.INTR_TYPE_HARDWARE_EXCEPTION << 8) | 13,
      0x1238,
    );
    expect(stop).toBe(StopReason.Halt);
    expect(rsp).toBe(GUEST_RSP - 6 * 8);
    expect([frame(0), frame(1), frame(2)]).toEqual([0x1238, GUEST_CODE, 0x08]);
  });
});
