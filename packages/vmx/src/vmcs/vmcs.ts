import { VmxError } from '../errors.ts';
import type { PhysicalMemory } from '../memory/physical-memory.ts';
import { isHighAccess, slotOf, VMCS_FIELD_COUNT, VMCS_FIELDS } from './field-encoding.ts';
import { LAUNCH_STATE_CLEAR, LAUNCH_STATE_LAUNCHED, VMCS_LAUNCH_STATE_OFFSET, slotOffset } from './vmcs-layout.ts';

const TWO_32 = 4294967296;

/**
 * The processor's working copy of one VMCS, the way hardware caches the current VMCS
 * on-chip (SDM 3C 25.11.1): loaded from its region by VMPTRLD, written back by VMCLEAR
 * (and by VMPTRLD of another VMCS or VMXOFF). Values live as lo/hi 32-bit halves in one
 * `Uint32Array`, indexed by slot; no BigInt, no allocation on reads or writes.
 *
 * This is storage without VMX semantics: the {@link Vmx} instructions add the checks
 * (supported field, read-only field, current VMCS).
 */
export class VmcsCache {
  /** lo at `2 * slot`, hi at `2 * slot + 1`. */
  readonly data = new Uint32Array(2 * VMCS_FIELD_COUNT);
  /** Physical address of the region this copy belongs to, or -1. */
  address = -1;
  launched = false;

  /** Reads a region into this copy. */
  load(memory: PhysicalMemory, address: number): void {
    const d = this.data;
    for (let s = 0; s < VMCS_FIELD_COUNT; s++) {
      const off = address + slotOffset(s);
      d[2 * s] = memory.read32(off);
      d[2 * s + 1] = memory.read32(off + 4);
    }
    this.launched = memory.read32(address + VMCS_LAUNCH_STATE_OFFSET) === LAUNCH_STATE_LAUNCHED;
    this.address = address;
  }

  /** Writes this copy back to its region. */
  flush(memory: PhysicalMemory): void {
    const a = this.address;
    if (a < 0) return;
    const d = this.data;
    for (let s = 0; s < VMCS_FIELD_COUNT; s++) {
      const off = a + slotOffset(s);
      memory.write32(off, d[2 * s]!);
      memory.write32(off + 4, d[2 * s + 1]!);
    }
    memory.write32(a + VMCS_LAUNCH_STATE_OFFSET, this.launched ? LAUNCH_STATE_LAUNCHED : LAUNCH_STATE_CLEAR);
  }

  /** Low 32 bits of a field by slot. */
  lo(slot: number): number {
    return this.data[2 * slot]!;
  }

  /** High 32 bits of a field by slot. */
  hi(slot: number): number {
    return this.data[2 * slot + 1]!;
  }

  /** Stores a value by slot, truncated to the field's width (SDM 3C 31.3 VMWRITE). */
  set(slot: number, lo: number, hi: number): void {
    const w = VMCS_FIELDS[slot]!.width;
    this.data[2 * slot] = w === '16' ? lo & 0xffff : lo >>> 0;
    this.data[2 * slot + 1] = w === '16' || w === '32' ? 0 : hi >>> 0;
  }
}

/**
 * Convenient field access for a hypervisor written in TypeScript, over a {@link VmcsCache}:
 * by encoding, with plain numbers. No VMX instruction semantics (use {@link Vmx} for those).
 *
 * @example
 * ```ts
 * import { VmcsAccess, VmcsCache, VmcsField } from '@typevisor/vmx';
 * const vmcs = new VmcsAccess(new VmcsCache());
 * vmcs.write(VmcsField.GUEST_RIP, 0x7c00);
 * vmcs.read(VmcsField.GUEST_RIP); // 0x7c00
 * ```
 */
export class VmcsAccess {
  readonly cache: VmcsCache;

  constructor(cache: VmcsCache) {
    this.cache = cache;
  }

  private slot(encoding: number): number {
    const s = slotOf(encoding);
    if (s < 0) throw new VmxError('UNKNOWN_FIELD', `0x${encoding.toString(16)} is not a VMCS field encoding`);
    return s;
  }

  /** Low 32 bits of a field (or the high half of a 64-bit field through its high encoding). */
  readLo(encoding: number): number {
    const s = this.slot(encoding);
    return isHighAccess(encoding) ? this.cache.hi(s) : this.cache.lo(s);
  }

  /** High 32 bits of a 64-bit or natural-width field (0 for a high access or a narrower field). */
  readHi(encoding: number): number {
    const s = this.slot(encoding);
    return isHighAccess(encoding) ? 0 : this.cache.hi(s);
  }

  /** A field's value as a number; throws `VALUE_NOT_SAFE_INTEGER` when it is 2^53 or more. */
  read(encoding: number): number {
    const hi = this.readHi(encoding);
    if (hi > 0x1fffff) {
      throw new VmxError(
        'VALUE_NOT_SAFE_INTEGER',
        `field 0x${encoding.toString(16)} holds a value above 2^53; use readLo/readHi`,
      );
    }
    return hi * TWO_32 + this.readLo(encoding);
  }

  /** Writes a non-negative safe integer (negative numbers are taken as 64-bit two's complement). */
  write(encoding: number, value: number): void {
    if (!Number.isSafeInteger(value)) {
      throw new VmxError('VALUE_NOT_SAFE_INTEGER', `${value} is not a safe integer; use writePair`);
    }
    let lo: number;
    let hi: number;
    if (value >= 0) {
      lo = value >>> 0;
      hi = Math.floor(value / TWO_32) >>> 0;
    } else {
      const m = -value;
      lo = -(m >>> 0) >>> 0;
      hi = (~Math.floor(m / TWO_32) + (lo === 0 ? 1 : 0)) >>> 0;
    }
    this.writePair(encoding, lo, hi);
  }

  /** Writes a value given as two 32-bit halves, truncated to the field's width. */
  writePair(encoding: number, lo: number, hi: number): void {
    const s = this.slot(encoding);
    if (isHighAccess(encoding)) this.cache.set(s, this.cache.lo(s), lo);
    else this.cache.set(s, lo, hi);
  }
}
