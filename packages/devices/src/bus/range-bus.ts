import type { AccessPolicy, AccessSize, Device, DeviceObserver } from '../device/device.ts';
import { DeviceError } from '../errors.ts';

const UNSUPPORTED_SPLIT = 0;
const UNSUPPORTED_IGNORE = 1;
const UNALIGNED_PASS = 0;
const UNALIGNED_SPLIT = 1;
const UNALIGNED_IGNORE = 2;

/** All ones at each width, indexed by size in bytes. */
const ONES = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

/** One registered range with its compiled width policy. */
export interface BusRange {
  readonly base: number;
  readonly length: number;
  readonly device: Device;
  /** Bit n set when width n (1, 2, 4, 8) is accepted whole. */
  readonly sizeMask: number;
  readonly unsupported: number;
  readonly unaligned: number;
}

function compilePolicy(policy: AccessPolicy | undefined, device: Device) {
  const sizes = policy?.sizes ?? [1, 2, 4];
  let sizeMask = 0;
  for (const s of sizes) {
    if (s !== 1 && s !== 2 && s !== 4 && s !== 8)
      throw new DeviceError('BAD_ARGUMENT', `access width ${s} is not 1, 2, 4 or 8`);
    sizeMask |= s;
  }
  if ((sizeMask & 8) !== 0 && (device.read64 === undefined || device.write64 === undefined)) {
    throw new DeviceError('BAD_ARGUMENT', 'width 8 needs a device with read64 and write64');
  }
  const unsupported = policy?.unsupported === 'ignore' ? UNSUPPORTED_IGNORE : UNSUPPORTED_SPLIT;
  const unaligned =
    policy?.unaligned === 'split'
      ? UNALIGNED_SPLIT
      : policy?.unaligned === 'ignore'
        ? UNALIGNED_IGNORE
        : UNALIGNED_PASS;
  return { sizeMask, unsupported, unaligned };
}

/**
 * The address-decoding core shared by {@link PortBus} and {@link MmioBus}: range registration
 * with typed errors, the per-device width policy, offsets-only dispatch and all-ones for
 * unclaimed bytes. Subclasses only supply how an address is looked up.
 */
export abstract class RangeBus {
  /** Registered ranges sorted by base. */
  protected ranges: BusRange[] = [];
  private readonly qword = new Uint32Array(2);

  /**
   * @param limit one past the highest address of the space (0x10000 for ports).
   * @param observer optional metrics: `'unclaimed-read'`/`'unclaimed-write'` with the address.
   */
  protected constructor(
    readonly limit: number,
    private readonly observer?: DeviceObserver,
    private readonly busName = 'bus',
  ) {}

  /** Index into `ranges` of the range holding `address`, or -1. */
  protected abstract find(address: number): number;

  /** Called after `ranges` changed so a subclass can rebuild its lookup structure. */
  protected abstract rebuild(): void;

  /**
   * Claims `[base, base + length)` for `device`. Throws {@link DeviceError} `RANGE_EMPTY` for a
   * zero or negative length, `RANGE_OUT_OF_BOUNDS` past the end of the space, `RANGE_OVERLAP`
   * when any address is already claimed.
   */
  register(base: number, length: number, device: Device, policy?: AccessPolicy): void {
    if (!Number.isInteger(length) || length <= 0) {
      throw new DeviceError(
        'RANGE_EMPTY',
        `${this.busName}: range length ${length} at ${hex(base)} is not a positive integer`,
      );
    }
    if (!Number.isInteger(base) || base < 0 || base + length > this.limit) {
      throw new DeviceError(
        'RANGE_OUT_OF_BOUNDS',
        `${this.busName}: range ${hex(base)}+${hex(length)} is outside [0, ${hex(this.limit)})`,
      );
    }
    for (const r of this.ranges) {
      if (base < r.base + r.length && r.base < base + length) {
        throw new DeviceError(
          'RANGE_OVERLAP',
          `${this.busName}: range ${hex(base)}+${hex(length)} overlaps ${hex(r.base)}+${hex(r.length)}`,
        );
      }
    }
    const compiled = compilePolicy(policy ?? device.accessPolicy, device);
    this.ranges.push({ base, length, device, ...compiled });
    this.ranges.sort((a, b) => a.base - b.base);
    this.rebuild();
  }

  /** Releases every range `device` holds; throws `NOT_REGISTERED` if it holds none. */
  unregister(device: Device): void {
    const before = this.ranges.length;
    this.ranges = this.ranges.filter((r) => r.device !== device);
    if (this.ranges.length === before)
      throw new DeviceError('NOT_REGISTERED', `${this.busName}: device is not registered`);
    this.rebuild();
  }

  /** The registered ranges, lowest base first (a copy). */
  list(): readonly BusRange[] {
    return [...this.ranges];
  }

  /** Reads `size` bytes at `address`; unclaimed bytes read as ones. */
  read(address: number, size: AccessSize): number {
    const i = this.find(address);
    if (i >= 0) {
      const r = this.ranges[i]!;
      const offset = address - r.base;
      // Fast path: whole access inside the range, a width the device takes, naturally aligned.
      if (
        offset + size <= r.length &&
        (r.sizeMask & size) !== 0 &&
        ((offset & (size - 1)) === 0 || r.unaligned === UNALIGNED_PASS)
      ) {
        return (r.device.read(offset, size) & ONES[size]) >>> 0;
      }
    }
    return this.slowRead(address, size);
  }

  /** Writes the low `size` bytes of `value` at `address`; unclaimed bytes are dropped. */
  write(address: number, size: AccessSize, value: number): void {
    value = (value & ONES[size]) >>> 0;
    const i = this.find(address);
    if (i >= 0) {
      const r = this.ranges[i]!;
      const offset = address - r.base;
      if (
        offset + size <= r.length &&
        (r.sizeMask & size) !== 0 &&
        ((offset & (size - 1)) === 0 || r.unaligned === UNALIGNED_PASS)
      ) {
        r.device.write(offset, size, value);
        return;
      }
    }
    this.slowWrite(address, size, value);
  }

  /**
   * An 8-byte read into `out` (`out[0]` low, `out[1]` high). Devices that accept width 8 get it
   * whole; otherwise it is two 4-byte accesses, low half first, as the MMU contract splits them.
   */
  read64(address: number, out: Uint32Array): void {
    const i = this.find(address);
    if (i >= 0) {
      const r = this.ranges[i]!;
      const offset = address - r.base;
      if ((r.sizeMask & 8) !== 0 && offset + 8 <= r.length && (offset & 7) === 0) {
        r.device.read64!(offset, out);
        return;
      }
    }
    const lo = this.read(address, 4);
    out[1] = this.read(address + 4, 4);
    out[0] = lo;
  }

  /** An 8-byte write, whole to devices that accept width 8, else low half then high half. */
  write64(address: number, lo: number, hi: number): void {
    const i = this.find(address);
    if (i >= 0) {
      const r = this.ranges[i]!;
      const offset = address - r.base;
      if ((r.sizeMask & 8) !== 0 && offset + 8 <= r.length && (offset & 7) === 0) {
        r.device.write64!(offset, lo >>> 0, hi >>> 0);
        return;
      }
    }
    this.write(address, 4, lo);
    this.write(address + 4, 4, hi);
  }

  /** A convenience for host code: an 8-byte read as two numbers. */
  readQword(address: number): { lo: number; hi: number } {
    this.read64(address, this.qword);
    return { lo: this.qword[0]!, hi: this.qword[1]! };
  }

  private slowRead(address: number, size: AccessSize): number {
    const i = this.find(address);
    if (i < 0 || address - this.ranges[i]!.base + size > this.ranges[i]!.length) {
      if (i < 0 && size === 1) {
        this.observer?.onEvent(this.busName, 'unclaimed-read', address);
        return 0xff;
      }
      // Straddles a range boundary or starts unclaimed: each byte is decoded on its own.
      let value = 0;
      for (let b = size - 1; b >= 0; b--) value = value * 256 + this.readByteAnywhere(address + b);
      return value;
    }
    const r = this.ranges[i]!;
    const offset = address - r.base;
    const policyKind =
      (r.sizeMask & size) === 0
        ? r.unsupported === UNSUPPORTED_IGNORE
          ? 2
          : 1
        : r.unaligned === UNALIGNED_IGNORE
          ? 2
          : 1;
    if (policyKind === 2) return ONES[size];
    return readPieces(r, offset, size);
  }

  private slowWrite(address: number, size: AccessSize, value: number): void {
    const i = this.find(address);
    if (i < 0 || address - this.ranges[i]!.base + size > this.ranges[i]!.length) {
      if (i < 0 && size === 1) {
        this.observer?.onEvent(this.busName, 'unclaimed-write', address);
        return;
      }
      for (let b = 0; b < size; b++) this.writeByteAnywhere(address + b, Math.floor(value / 2 ** (8 * b)) & 0xff);
      return;
    }
    const r = this.ranges[i]!;
    const offset = address - r.base;
    const ignore = (r.sizeMask & size) === 0 ? r.unsupported === UNSUPPORTED_IGNORE : r.unaligned === UNALIGNED_IGNORE;
    if (ignore) return;
    writePieces(r, offset, size, value);
  }

  private readByteAnywhere(address: number): number {
    if (address >= this.limit) return 0xff;
    const i = this.find(address);
    if (i < 0) {
      this.observer?.onEvent(this.busName, 'unclaimed-read', address);
      return 0xff;
    }
    const r = this.ranges[i]!;
    const offset = address - r.base;
    if ((r.sizeMask & 1) === 0) return r.unsupported === UNSUPPORTED_IGNORE ? 0xff : readPieces(r, offset, 1);
    return r.device.read(offset, 1) & 0xff;
  }

  private writeByteAnywhere(address: number, byte: number): void {
    if (address >= this.limit) return;
    const i = this.find(address);
    if (i < 0) {
      this.observer?.onEvent(this.busName, 'unclaimed-write', address);
      return;
    }
    const r = this.ranges[i]!;
    if ((r.sizeMask & 1) === 0) return;
    r.device.write(address - r.base, 1, byte);
  }
}

/** Splits an access into the widest naturally aligned supported pieces; bytes no piece fits read as ones. */
function readPieces(r: BusRange, offset: number, size: number): number {
  let value = 0;
  let pos = offset;
  const end = offset + size;
  while (pos < end) {
    const w = pieceWidth(r.sizeMask, pos, end);
    const shift = 2 ** (8 * (pos - offset));
    const piece = w === 0 ? 0xff : (r.device.read(pos, w as AccessSize) & ONES[w as AccessSize]) >>> 0;
    value += piece * shift;
    pos += w === 0 ? 1 : w;
  }
  return value;
}

function writePieces(r: BusRange, offset: number, size: number, value: number): void {
  let pos = offset;
  const end = offset + size;
  while (pos < end) {
    const w = pieceWidth(r.sizeMask, pos, end);
    if (w === 0) {
      pos++;
      continue;
    }
    const piece = Math.floor(value / 2 ** (8 * (pos - offset))) % 2 ** (8 * w);
    r.device.write(pos, w as AccessSize, piece);
    pos += w;
  }
}

function pieceWidth(sizeMask: number, pos: number, end: number): number {
  for (let w = 4; w >= 1; w >>= 1) {
    if ((sizeMask & w) !== 0 && pos % w === 0 && pos + w <= end) return w;
  }
  return 0;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
