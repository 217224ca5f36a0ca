import type { AccessSize, DeviceObserver } from '../device/device.ts';
import { RangeBus } from './range-bus.ts';

/** Size of the x86 I/O port space. */
export const PORT_SPACE_SIZE = 0x10000;

/**
 * The x86 I/O port space (64 KiB of ports) as a bus of devices. It satisfies the CPU's `PortIo`
 * contract: `readPort(port, size)` / `writePort(port, size, value)`. Lookup is one typed-array
 * load per access.
 *
 * @example
 * ```ts
 * import { ByteCollector, DebugConsole, PortBus } from '@typevisor/devices';
 * const out = new ByteCollector();
 * const ports = new PortBus();
 * ports.register(0xe9, 1, new DebugConsole({ output: out }));
 * ports.writePort(0xe9, 1, 0x41);
 * out.text(); // 'A'
 * ports.readPort(0x1234, 2); // 0xffff: nobody claims it
 * ```
 */
export class PortBus extends RangeBus {
  /** Range index + 1 for each port, 0 when unclaimed. */
  private readonly owner = new Uint16Array(PORT_SPACE_SIZE);

  constructor(options: { observer?: DeviceObserver } = {}) {
    super(PORT_SPACE_SIZE, options.observer, 'port-bus');
  }

  protected find(address: number): number {
    return address >= 0 && address < PORT_SPACE_SIZE ? this.owner[address]! - 1 : -1;
  }

  protected rebuild(): void {
    this.owner.fill(0);
    this.ranges.forEach((r, i) => {
      this.owner.fill(i + 1, r.base, r.base + r.length);
    });
  }

  /** `PortIo.readPort`: an IN of `size` bytes. */
  readPort(port: number, size: AccessSize): number {
    return this.read(port, size);
  }

  /** `PortIo.writePort`: an OUT of `size` bytes. */
  writePort(port: number, size: AccessSize, value: number): void {
    this.write(port, size, value);
  }
}
