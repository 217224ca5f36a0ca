import type { AccessSize, ByteSink, Device, DeviceObserver, DeviceState } from '../device/device.ts';
import { NULL_SINK } from '../device/lines.ts';
import { readState } from '../device/state.ts';

/**
 * The Bochs/QEMU debug console at port 0xE9: every byte written goes to the output sink; a read
 * returns 0xE9 so a guest can detect the port (the Bochs "port e9 hack").
 *
 * @example
 * ```ts
 * import { ByteCollector, DebugConsole } from '@typevisor/devices';
 * const out = new ByteCollector();
 * const e9 = new DebugConsole({ output: out });
 * e9.write(0, 1, 0x4f);
 * e9.write(0, 1, 0x4b);
 * out.text(); // 'OK'
 * ```
 */
export class DebugConsole implements Device {
  private readonly output: ByteSink;
  private readonly events: DeviceObserver | undefined;
  private written = 0;
  readonly accessPolicy = { sizes: [1] as const };

  constructor(options: { output?: ByteSink; events?: DeviceObserver } = {}) {
    this.output = options.output ?? NULL_SINK;
    this.events = options.events;
  }

  read(_offset: number, _size: AccessSize): number {
    return 0xe9;
  }

  write(_offset: number, _size: AccessSize, value: number): void {
    this.written++;
    this.events?.onEvent('debug-console', 'tx', value & 0xff);
    this.output.writeByte(value & 0xff);
  }

  /** Bytes written since power-on (kept in the saved state so a restored run counts on). */
  get bytesWritten(): number {
    return this.written;
  }

  reset(): void {
    this.written = 0;
  }

  save(): DeviceState {
    return { kind: 'debug-console', version: 1, written: this.written };
  }

  restore(state: DeviceState): void {
    this.written = readState(state, 'debug-console', 1).int('written', 0, Number.MAX_SAFE_INTEGER);
  }
}
