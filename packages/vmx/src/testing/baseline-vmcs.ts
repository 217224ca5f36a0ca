// A VMCS that passes every VM-entry check, for tests to break one check at a time and for
// examples: a 64-bit host and a 64-bit guest with flat segments, nothing optional enabled.
import { VmxCapabilities } from '../capabilities/capabilities.ts';
import { DEFAULT_VMX_FEATURES, type VmxFeatures } from '../capabilities/features.ts';
import {
  ENTRY_IA32E_MODE_GUEST,
  EXIT_HOST_ADDRESS_SPACE_SIZE,
  PROC_ACTIVATE_SECONDARY_CONTROLS,
} from '../vmcs/controls.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import { FlatPhysicalMemory } from '../memory/physical-memory.ts';
import { VmcsAccess, VmcsCache } from '../vmcs/vmcs.ts';

export interface Baseline {
  readonly caps: VmxCapabilities;
  readonly memory: FlatPhysicalMemory;
  readonly cache: VmcsCache;
  readonly vmcs: VmcsAccess;
}

/**
 * Writes a VMCS that passes every VM-entry check (exported as `writeFlat64Vmcs`): controls
 * at their required minimum, a 64-bit host (CS 08H, SS/DS/ES/FS/GS 10H, TR 18H, RIP
 * 401000H, RSP 80000H, CR3 1000H) and a 64-bit guest with flat segments (RIP 1000H,
 * RSP 8000H, CR3 2000H). Change the fields you care about afterwards.
 *
 * @example
 * ```ts
 * import { VmcsAccess, VmcsCache, VmxCapabilities, DEFAULT_VMX_FEATURES, runEntryChecks, writeFlat64Vmcs, FlatPhysicalMemory } from '@typevisor/vmx';
 * const caps = new VmxCapabilities(DEFAULT_VMX_FEATURES);
 * const cache = new VmcsCache();
 * writeFlat64Vmcs(new VmcsAccess(cache), caps);
 * runEntryChecks(cache, caps, new FlatPhysicalMemory(4096), true); // undefined: no check fails
 * ```
 */
export function writeBaseline(vmcs: VmcsAccess, caps: VmxCapabilities): void {
  vmcs.write(F.PIN_BASED_CONTROLS, caps.allowed('pin').mustBeOne);
  vmcs.write(F.PRIMARY_PROCESSOR_BASED_CONTROLS, caps.allowed('proc').mustBeOne | PROC_ACTIVATE_SECONDARY_CONTROLS);
  vmcs.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, 0);
  vmcs.write(F.PRIMARY_VM_EXIT_CONTROLS, caps.allowed('exit').mustBeOne | EXIT_HOST_ADDRESS_SPACE_SIZE);
  vmcs.write(F.VM_ENTRY_CONTROLS, caps.allowed('entry').mustBeOne | ENTRY_IA32E_MODE_GUEST);
  vmcs.write(F.VMCS_LINK_POINTER, 0);
  vmcs.writePair(F.VMCS_LINK_POINTER, 0xffffffff, 0xffffffff);

  vmcs.write(F.HOST_CR0, 0x80000031);
  vmcs.write(F.HOST_CR3, 0x1000);
  vmcs.write(F.HOST_CR4, 0x2020);
  vmcs.write(F.HOST_CS_SELECTOR, 0x08);
  for (const f of [
    F.HOST_SS_SELECTOR,
    F.HOST_DS_SELECTOR,
    F.HOST_ES_SELECTOR,
    F.HOST_FS_SELECTOR,
    F.HOST_GS_SELECTOR,
  ]) {
    vmcs.write(f, 0x10);
  }
  vmcs.write(F.HOST_TR_SELECTOR, 0x18);
  vmcs.write(F.HOST_RIP, 0x401000);
  vmcs.write(F.HOST_RSP, 0x80000);

  vmcs.write(F.GUEST_CR0, 0x80000031);
  vmcs.write(F.GUEST_CR3, 0x2000);
  vmcs.write(F.GUEST_CR4, 0x2020);
  vmcs.write(F.GUEST_DR7, 0x400);
  vmcs.write(F.GUEST_CS_SELECTOR, 0x08);
  vmcs.write(F.GUEST_CS_LIMIT, 0xffffffff);
  vmcs.write(F.GUEST_CS_ACCESS_RIGHTS, 0xa09b);
  for (const seg of ['SS', 'DS', 'ES', 'FS', 'GS'] as const) {
    vmcs.write(F[`GUEST_${seg}_SELECTOR`], 0x10);
    vmcs.write(F[`GUEST_${seg}_LIMIT`], 0xffffffff);
    vmcs.write(F[`GUEST_${seg}_ACCESS_RIGHTS`], 0xc093);
  }
  vmcs.write(F.GUEST_TR_SELECTOR, 0x18);
  vmcs.write(F.GUEST_TR_LIMIT, 0x67);
  vmcs.write(F.GUEST_TR_ACCESS_RIGHTS, 0x8b);
  vmcs.write(F.GUEST_LDTR_ACCESS_RIGHTS, 0x10000);
  vmcs.write(F.GUEST_GDTR_LIMIT, 0xffff);
  vmcs.write(F.GUEST_IDTR_LIMIT, 0xfff);
  vmcs.write(F.GUEST_RIP, 0x1000);
  vmcs.write(F.GUEST_RSP, 0x8000);
  vmcs.write(F.GUEST_RFLAGS, 0x2);
}

/** A processor, 1 MiB of memory and a baseline VMCS in a working copy. */
export function makeBaseline(features: Partial<VmxFeatures> = {}): Baseline {
  const caps = new VmxCapabilities({ ...DEFAULT_VMX_FEATURES, ...features });
  const memory = new FlatPhysicalMemory(1 << 20);
  const cache = new VmcsCache();
  const vmcs = new VmcsAccess(cache);
  writeBaseline(vmcs, caps);
  return { caps, memory, cache, vmcs };
}
