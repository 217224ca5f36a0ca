/**
 * The guest-physical memory the VMX model reads and writes: VMXON and VMCS regions, MSR
 * areas, bitmaps, EPT-pointer lists. Physical addresses are plain numbers (MAXPHYADDR is at
 * most 52, so they stay below 2^53). Accesses are 4-byte, little-endian, naturally aligned
 * by every caller in this package.
 *
 * Typed structurally so that `@typevisor/mmu`'s physical memory (or any object with these
 * two methods) can be passed in.
 */
export interface PhysicalMemory {
  /** Reads the 32-bit little-endian value at `address`. */
  read32(address: number): number;
  /** Writes the low 32 bits of `value` at `address`, little-endian. */
  write32(address: number, value: number): void;
}

/**
 * A flat `PhysicalMemory` over one `Uint8Array`, starting at physical address 0. Meant
 * for tests and small set-ups; reads beyond the end return all ones and writes are dropped,
 * as on a bus with nothing behind it.
 *
 * @example
 * ```ts
 * import { FlatPhysicalMemory } from '@typevisor/vmx';
 * const mem = new FlatPhysicalMemory(1 << 20);
 * mem.write32(0x1000, 0xdeadbeef);
 * mem.read32(0x1000); // 0xdeadbeef
 * ```
 */
export class FlatPhysicalMemory implements PhysicalMemory {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  read32(address: number): number {
    if (address < 0 || address + 4 > this.bytes.length) return 0xffffffff;
    return this.view.getUint32(address, true);
  }

  write32(address: number, value: number): void {
    if (address < 0 || address + 4 > this.bytes.length) return;
    this.view.setUint32(address, value >>> 0, true);
  }
}
