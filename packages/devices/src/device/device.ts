/** Width of one bus access in bytes, as the CPU and MMU contracts pass it. */
export type AccessSize = 1 | 2 | 4;

/**
 * What a bus does with an access a device does not take as is. Given at registration (or as a
 * device's own `accessPolicy`); the defaults are `sizes: [1, 2, 4]`, `unsupported: 'split'`,
 * `unaligned: 'pass'`.
 */
export interface AccessPolicy {
  /** The widths the device accepts whole. 8 means it implements `read64`/`write64`. */
  readonly sizes?: readonly (1 | 2 | 4 | 8)[];
  /**
   * A width outside `sizes`: `'split'` into the widest naturally aligned supported pieces,
   * little-endian, lowest address first (bytes no piece fits read as ones and drop on write);
   * `'ignore'` reads all ones and drops writes.
   */
  readonly unsupported?: 'split' | 'ignore';
  /** An access not aligned to its own width: `'pass'` it to the device, `'split'` it, or `'ignore'` it. */
  readonly unaligned?: 'pass' | 'split' | 'ignore';
}

/**
 * The device contract: anything with `read` and `write` at offsets relative to the start of the
 * range it is registered at. A device never learns where it sits in the address space.
 *
 * `read` returns the value zero-extended to `size` bytes (the bus masks it anyway); `write`
 * receives `value` already masked to `size` bytes. Neither may throw for any offset inside the
 * registered length and any width the policy lets through.
 *
 * @example
 * ```ts
 * import type { Device } from '@typevisor/devices';
 * // A one-register scratch device.
 * class Scratch implements Device {
 *   value = 0;
 *   read() { return this.value; }
 *   write(_offset: number, _size: 1 | 2 | 4, value: number) { this.value = value; }
 * }
 * ```
 */
export interface Device {
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
  /** Optional whole 8-byte read: fills `out[0]` (low 32 bits) and `out[1]` (high 32 bits). */
  read64?(offset: number, out: Uint32Array): void;
  /** Optional whole 8-byte write. */
  write64?(offset: number, lo: number, hi: number): void;
  /** Back to the power-on state; injected lines, sinks and clocks stay connected. */
  reset?(): void;
  /** The device's state as a plain, JSON-serialisable object with its kind and version. */
  save?(): DeviceState;
  /** Loads a state from `save`; throws {@link DeviceError} for a wrong kind, version or shape. */
  restore?(state: DeviceState): void;
  /** The device's own width policy; a policy given at registration wins over it. */
  readonly accessPolicy?: AccessPolicy;
}

/**
 * A saved device state: a plain object (numbers, strings, booleans, arrays of numbers and nested
 * plain objects) that survives `JSON.stringify`/`JSON.parse`, tagged with the device kind and a
 * format version so a restore can refuse what it cannot read.
 */
export interface DeviceState {
  readonly kind: string;
  readonly version: number;
  readonly [field: string]: unknown;
}

/**
 * An interrupt line driven by a device, with level semantics: `setLevel(true)` asserts it,
 * `setLevel(false)` deasserts it. An edge is a raise followed by a lower (see {@link pulseLine}).
 * Devices call it only when the level they drive changes.
 */
export interface InterruptLine {
  setLevel(high: boolean): void;
}

/** Where a device's output bytes go (a UART's transmitter, the 0xE9 console). */
export interface ByteSink {
  writeByte(byte: number): void;
}

/**
 * An optional metrics observer: devices report named events (`'tx'`, `'irq'`, `'overrun'`...)
 * with a number. Never needed for correct operation.
 */
export interface DeviceObserver {
  onEvent(device: string, event: string, value: number): void;
}
