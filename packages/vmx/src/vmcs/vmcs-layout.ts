// Our VMCS region layout in guest memory. SDM 3C 25.2 fixes only the first 8 bytes
// (revision identifier with the shadow-VMCS indicator, then the VMX-abort indicator);
// the rest is "implementation-specific" and documented here and in the README.

/** Size of a VMXON or VMCS region, reported in IA32_VMX_BASIC[44:32]. */
export const VMCS_REGION_SIZE = 4096;
/** Bytes 3:0: revision identifier (bits 30:0) and shadow-VMCS indicator (bit 31). SDM 3C 25.2. */
export const VMCS_REVISION_OFFSET = 0;
/** Bytes 7:4: VMX-abort indicator, written by a VMX abort. SDM 3C 25.2, 28.7. */
export const VMCS_ABORT_OFFSET = 4;
/** Bytes 11:8 (ours): launch state, 0 = clear, 1 = launched. SDM 3C 25.1. */
export const VMCS_LAUNCH_STATE_OFFSET = 8;
/** Bytes 15:12 (ours): reserved, zero. */
export const VMCS_RESERVED_OFFSET = 12;
/** Byte 16 on (ours): one 8-byte slot per field in Appendix B order, low dword first. */
export const VMCS_DATA_OFFSET = 16;
/** Shadow-VMCS indicator, bit 31 of the revision dword. SDM 3C 25.2. */
export const VMCS_SHADOW_INDICATOR = 0x80000000;

/** Launch-state values as stored at {@link VMCS_LAUNCH_STATE_OFFSET}. */
export const LAUNCH_STATE_CLEAR = 0;
export const LAUNCH_STATE_LAUNCHED = 1;

/** Byte offset of a field slot in the VMCS region. */
export function slotOffset(slot: number): number {
  return VMCS_DATA_OFFSET + 8 * slot;
}
