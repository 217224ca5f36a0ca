import type { AccessSize, Device, DeviceState } from '../device/device.ts';
import { readState } from '../device/state.ts';

/**
 * QEMU's isa-debug-exit: a guest write of `value` asks the host to stop with exit status
 * `(value << 1) | 1`, so a test kernel can report pass/fail. Conventionally at port 0xF4, length 4
 * (QEMU's `iobase=0xf4,iosize=0x04`); any width is taken whole. Reads return all ones.
 *
 * @example
 * ```ts
 * import { IsaDebugExit } from '@typevisor/devices';
 * let status = -1;
 * const exit = new IsaDebugExit({ onExit: (code) => (status = code) });
 * exit.write(0, 1, 0x10);
 * status; // 0x21
 * ```
 */
export class IsaDebugExit implements Device {
  private exitStatus = -1;

  /** @param options.onExit receives the requested exit status; the host decides what stopping means. */
  constructor(private readonly options: { onExit?: (status: number) => void } = {}) {}

  read(_offset: number, size: AccessSize): number {
    return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  }

  write(_offset: number, _size: AccessSize, value: number): void {
    this.exitStatus = ((value << 1) | 1) >>> 0;
    this.options.onExit?.(this.exitStatus);
  }

  /** The last requested exit status, or -1 if the guest never asked. */
  get requestedStatus(): number {
    return this.exitStatus;
  }

  reset(): void {
    this.exitStatus = -1;
  }

  save(): DeviceState {
    return { kind: 'isa-debug-exit', version: 1, exitStatus: this.exitStatus };
  }

  restore(state: DeviceState): void {
    this.exitStatus = readState(state, 'isa-debug-exit', 1).int('exitStatus', -1, 0x1_ffff_ffff);
  }
}
