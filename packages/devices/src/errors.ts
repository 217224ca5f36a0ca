/** Why a {@link DeviceError} was thrown: always host-side API misuse, never something a guest did. */
export type DeviceErrorCode =
  | 'RANGE_EMPTY'
  | 'RANGE_OVERLAP'
  | 'RANGE_OUT_OF_BOUNDS'
  | 'NOT_REGISTERED'
  | 'STATE_KIND'
  | 'STATE_VERSION'
  | 'BAD_STATE'
  | 'TIME_BACKWARDS'
  | 'BAD_DEADLINE'
  | 'BAD_ARGUMENT';

/**
 * Thrown when the host program misuses the devices API: a zero-sized or overlapping range, a
 * saved state of the wrong device or version, virtual time moving backwards. A guest can never
 * make a device throw: whatever it reads or writes, at any width, is handled as the hardware
 * would (unclaimed reads return all ones, unsupported writes are dropped).
 *
 * @example
 * ```ts
 * import { DeviceError, PortBus, DebugConsole } from '@typevisor/devices';
 * const bus = new PortBus();
 * bus.register(0xe9, 1, new DebugConsole());
 * try {
 *   bus.register(0xe9, 1, new DebugConsole());
 * } catch (e) {
 *   if (e instanceof DeviceError) console.log(e.code); // 'RANGE_OVERLAP'
 * }
 * ```
 */
export class DeviceError extends Error {
  /** Machine-readable reason. */
  readonly code: DeviceErrorCode;

  constructor(code: DeviceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeviceError';
    this.code = code;
  }
}
