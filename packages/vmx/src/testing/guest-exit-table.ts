// Test support: the { name, init, guestMain, onExit } table shape in which the e2e tests write
// one VM exit per guest (the way kvm-unit-tests writes its VMX tests), the launch that runs
// such a guest on the CPU, the checks every table shares, and the VMCS control setters the
// tables' `init` functions use.
import { StopReason } from '@typevisor/cpu';
import type { PhysicalMemory } from '@typevisor/mmu';
import { expect } from 'vitest';
import * as C from '../vmcs/controls.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsAccess } from '../vmcs/vmcs.ts';
import type { CpuMachine } from './cpu-machine.ts';
import { ROOT64 } from './root-context.ts';

/** What every guest-exit table checks after the exit (further fields are per table). */
export interface GuestExitExpectation {
  readonly reason: number;
  /** Offset of the saved guest RIP from the guest's start. */
  readonly at: number;
  /** VM-exit instruction length. */
  readonly length?: number;
  readonly qualification?: number;
  /** VM-exit interruption information. */
  readonly interruption?: number;
  /** VM-exit instruction-information field (SDM 3C 28.2.5). */
  readonly info?: number;
  /** The guest pending debug exceptions the exit saved. */
  readonly pendingDebug?: number;
  /** The guest interruptibility state the exit saved. */
  readonly interruptibility?: number;
  /** Whether `enterGuest()` reports the guest running (false: the entry's own event exited). */
  readonly entered?: boolean;
  /** Further checks on the VMCS and the machine after the exit. */
  readonly check?: (v: VmcsAccess, machine: CpuMachine) => void;
}

/** One row of a guest-exit table; `Init` is the set-up's signature, `Exit` what the exit must show. */
export interface GuestExitTest<
  Exit extends GuestExitExpectation = GuestExitExpectation,
  Init = (v: VmcsAccess, memory: PhysicalMemory) => void,
> {
  readonly name: string;
  /** VMCS (and memory) set-up after the flat 64-bit baseline. */
  readonly init: Init;
  /** The guest, in x86-asm syntax. */
  readonly guestMain: string;
  readonly onExit: Exit;
}

/**
 * VMLAUNCH from the 64-bit host, enters the guest and runs it until it stops (no run when the
 * entry's own event already exited, `entered === false`).
 */
export function launchGuest(machine: CpuMachine, maxInstructions: number, entered = true): StopReason {
  expect(machine.vmx.vmlaunch(ROOT64).kind).toBe('entered');
  expect(machine.attachment.enterGuest()).toBe(entered);
  return entered ? machine.cpu.run({ maxInstructions }) : StopReason.VmExit;
}

/**
 * The checks every guest-exit table shares: the run stopped on a VM exit with the expected
 * reason and saved RIP (`ripBase + at`), the optional exit fields, the row's own checks, and the
 * CPU back in the host (its RIP, VMX root operation).
 */
export function expectGuestExit(
  stop: StopReason,
  machine: CpuMachine,
  onExit: GuestExitExpectation,
  ripBase: number,
): void {
  expect(stop).toBe(StopReason.VmExit);
  const v = machine.vmx.vmcs;
  expect(v.read(F.EXIT_REASON)).toBe(onExit.reason);
  expect(v.read(F.GUEST_RIP)).toBe(ripBase + onExit.at);
  if (onExit.length !== undefined) expect(v.read(F.VM_EXIT_INSTRUCTION_LENGTH)).toBe(onExit.length);
  if (onExit.qualification !== undefined) expect(v.read(F.EXIT_QUALIFICATION)).toBe(onExit.qualification);
  if (onExit.interruption !== undefined) expect(v.read(F.VM_EXIT_INTERRUPTION_INFORMATION)).toBe(onExit.interruption);
  if (onExit.info !== undefined) expect(v.read(F.VM_EXIT_INSTRUCTION_INFORMATION)).toBe(onExit.info);
  if (onExit.pendingDebug !== undefined) expect(v.read(F.GUEST_PENDING_DEBUG_EXCEPTIONS)).toBe(onExit.pendingDebug);
  if (onExit.interruptibility !== undefined)
    expect(v.read(F.GUEST_INTERRUPTIBILITY_STATE)).toBe(onExit.interruptibility);
  onExit.check?.(v, machine);
  expect(machine.cpu.getReg('rip')).toBe(0x401000);
  expect(machine.vmx.nonRoot).toBe(false);
}

/** Sets `bits` in the primary processor-based VM-execution controls. */
export const setProcControls = (v: VmcsAccess, bits: number): void =>
  v.write(F.PRIMARY_PROCESSOR_BASED_CONTROLS, (v.readLo(F.PRIMARY_PROCESSOR_BASED_CONTROLS) | bits) >>> 0);

/** Sets `bits` in the secondary controls (without activating them: see {@link setProc2Controls}). */
export const orSecondaryControls = (v: VmcsAccess, bits: number): void =>
  v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, (v.readLo(F.SECONDARY_PROCESSOR_BASED_CONTROLS) | bits) >>> 0);

/** Activates the secondary processor-based controls and sets `bits` in them. */
export const setProc2Controls = (v: VmcsAccess, bits: number): void => {
  setProcControls(v, C.PROC_ACTIVATE_SECONDARY_CONTROLS);
  orSecondaryControls(v, bits);
};

/** Sets `bits` in the pin-based VM-execution controls. */
export const setPinControls = (v: VmcsAccess, bits: number): void =>
  v.write(F.PIN_BASED_CONTROLS, (v.readLo(F.PIN_BASED_CONTROLS) | bits) >>> 0);
