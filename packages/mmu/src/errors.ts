/** Why an {@link MmuError} was thrown: always API misuse, never a guest fault. */
export type MmuErrorCode =
  | 'REGION_OVERLAP'
  | 'REGION_MISALIGNED'
  | 'REGION_EMPTY'
  | 'ADDRESS_OUT_OF_RANGE'
  | 'BAD_ARGUMENT';

/**
 * Thrown when the host program misuses the MMU API (overlapping regions, an address that
 * no number can hold, an impossible configuration). Architectural faults (#PF, #GP, EPT
 * violations) are never thrown: they are returned as data.
 */
export class MmuError extends Error {
  /** Machine-readable reason. */
  readonly code: MmuErrorCode;

  constructor(code: MmuErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MmuError';
    this.code = code;
  }
}
