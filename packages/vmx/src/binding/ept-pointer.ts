import { EPT_CAP_ADVANCED_EXIT_INFO } from '../capabilities/capabilities.ts';
import type { Vmx } from '../instructions/vmx.ts';
import { PROC_ACTIVATE_SECONDARY_CONTROLS, PROC2_ENABLE_EPT } from '../vmcs/controls.ts';
import { slotOf } from '../vmcs/field-encoding.ts';
import { VmcsField as F } from '../vmcs/fields.ts';

const S_PROC = slotOf(F.PRIMARY_PROCESSOR_BASED_CONTROLS);
const S_PROC2 = slotOf(F.SECONDARY_PROCESSOR_BASED_CONTROLS);
const S_EPTP = slotOf(F.EPT_POINTER);

/** The EPT configuration an MMU walks with (structurally `EptState` of @typevisor/mmu). */
export interface EptTarget {
  eptp: number;
  executeOnly: boolean;
  maxPhyAddr: number;
  pages1G: boolean;
  modeBasedExecute: boolean;
  advancedExitInfo: boolean;
}

/** A fresh {@link EptTarget} (EPT off until {@link configureEpt} fills it). */
export function createEptTarget(): EptTarget {
  return { eptp: 0, executeOnly: true, maxPhyAddr: 46, pages1G: true, modeBasedExecute: false, advancedExitInfo: true };
}

/**
 * After VM entry (and after VMFUNC EPTP switching), points the MMU's EPT state at the
 * current VMCS's EPTP and the processor's EPT capabilities. Returns false when "enable
 * EPT" is off: guest-physical addresses are then host-physical (SDM 3C 29.3).
 */
export function configureEpt(vmx: Vmx, ept: EptTarget): boolean {
  const v = vmx.current;
  const proc2 = v.lo(S_PROC) & PROC_ACTIVATE_SECONDARY_CONTROLS ? v.lo(S_PROC2) : 0;
  if ((proc2 & PROC2_ENABLE_EPT) === 0) return false;
  // EPTPs stay below 2^52, so the number is exact.
  ept.eptp = v.hi(S_EPTP) * 4294967296 + v.lo(S_EPTP);
  const caps = vmx.capabilities;
  ept.executeOnly = (caps.eptVpidCap.lo & 1) !== 0;
  ept.maxPhyAddr = caps.features.physicalAddressWidth;
  ept.pages1G = (caps.eptVpidCap.lo & (1 << 17)) !== 0;
  // Mode-based execute control is not offered (secondary control bit 22 stays 0).
  ept.modeBasedExecute = false;
  ept.advancedExitInfo = (caps.eptVpidCap.lo & EPT_CAP_ADVANCED_EXIT_INFO) !== 0;
  return true;
}
