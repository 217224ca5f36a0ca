/** Why an API call into the VMX model was rejected. Architectural outcomes never use this. */
export type VmxErrorCode =
  | 'UNKNOWN_FIELD'
  | 'VALUE_NOT_SAFE_INTEGER'
  | 'INVALID_ARGUMENT'
  | 'NO_CURRENT_VMCS'
  | 'NOT_IN_VMX_OPERATION';

/**
 * Thrown for misuse of the `@typevisor/vmx` API (an encoding that names no VMCS field, a
 * value that cannot be represented). Architectural failures — #UD, #GP, VMfailInvalid,
 * VMfailValid, VM-entry failures — are returned as data, never thrown.
 *
 * @example
 * ```ts
 * import { VmxError, fieldByEncoding } from '@typevisor/vmx';
 * try { fieldByEncoding(0x7fff, true); } catch (e) { console.log(e instanceof VmxError, (e as VmxError).code); }
 * ```
 */
export class VmxError extends Error {
  override readonly name = 'VmxError';
  readonly code: VmxErrorCode;

  constructor(code: VmxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
