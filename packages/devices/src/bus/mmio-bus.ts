import type { DeviceObserver } from '../device/device.ts';
import { RangeBus } from './range-bus.ts';

/** Highest physical address width x86 defines (52 bits); every address stays below 2^53. */
export const MMIO_SPACE_SIZE = 2 ** 52;

/**
 * A memory-mapped I/O bus. Registered with the MMU as one MMIO region, it is itself an
 * `MmioHandler`: `read(offset, size)` / `write(offset, size, value)` where offsets are relative to
 * the bus's own base (`0` by default, so offsets equal physical addresses). Lookup is a binary
 * search over sorted ranges behind a one-entry cache.
 *
 * @example
 * ```ts
 * import { IoApic, MmioBus } from '@typevisor/devices';
 * const mmio = new MmioBus();
 * mmio.register(0xfec00000, 0x1000, new IoApic());
 * mmio.write(0xfec00000, 4, 1); // IOREGSEL = version register
 * mmio.read(0xfec00010, 4); // 0x00170011
 * ```
 */
export class MmioBus extends RangeBus {
  private bases = new Float64Array(0);
  private ends = new Float64Array(0);
  private lastHit = -1;

  constructor(options: { observer?: DeviceObserver; size?: number } = {}) {
    super(options.size ?? MMIO_SPACE_SIZE, options.observer, 'mmio-bus');
  }

  protected find(address: number): number {
    const last = this.lastHit;
    if (last >= 0 && address >= this.bases[last]! && address < this.ends[last]!) return last;
    let lo = 0;
    let hi = this.bases.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (address < this.bases[mid]!) hi = mid - 1;
      else if (address >= this.ends[mid]!) lo = mid + 1;
      else {
        this.lastHit = mid;
        return mid;
      }
    }
    return -1;
  }

  protected rebuild(): void {
    this.bases = Float64Array.from(this.ranges, (r) => r.base);
    this.ends = Float64Array.from(this.ranges, (r) => r.base + r.length);
    this.lastHit = -1;
  }
}
