import type { VmxCapabilities } from '../capabilities/capabilities.ts';

/** Whether a 64-bit value (halves) is canonical for a linear-address width of 48 or 57. */
export function canonical(_lo: number, hi: number, width: 48 | 57): boolean {
  const top = width - 32; // bits of the high half that are address bits
  const sign = (hi >> (top - 1)) & 1;
  const upper = hi >>> (top - 1); // bits hi[31:top-1]; `lo` holds no bit that matters
  return sign === 0 ? upper === 0 : upper === 0xffffffff >>> (top - 1);
}

/** EPTP checks shared by VM entry and INVEPT, SDM 3C 27.2.1.1. */
export function eptPointerValid(lo: number, hi: number, caps: VmxCapabilities): boolean {
  const ept = caps.eptVpidCap.lo;
  const memType = lo & 7;
  if (!((memType === 0 && (ept & (1 << 8)) !== 0) || (memType === 6 && (ept & (1 << 14)) !== 0))) return false;
  const walk = (lo >> 3) & 7;
  if (!((walk === 3 && (ept & (1 << 6)) !== 0) || (walk === 4 && (ept & (1 << 7)) !== 0))) return false;
  if ((lo & (1 << 6)) !== 0 && (ept & (1 << 21)) === 0) return false;
  // Bits 11:7 reserved (bit 7 is supervisor shadow-stack control, not offered).
  if ((lo & 0xf80) !== 0) return false;
  return (hi & caps.physicalHighMask) === 0;
}
