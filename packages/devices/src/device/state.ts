import { DeviceError } from '../errors.ts';

/**
 * Checks that `state` is a plain object of `kind` at `version` and returns it as a field reader;
 * every getter throws {@link DeviceError} `BAD_STATE` for a missing or mistyped field, so a
 * device's `restore` validates everything before it changes anything.
 */
export function readState(state: unknown, kind: string, version: number): StateReader {
  if (typeof state !== 'object' || state === null) {
    throw new DeviceError('BAD_STATE', `${kind}: saved state is not an object`);
  }
  const record = state as Record<string, unknown>;
  if (record.kind !== kind) {
    throw new DeviceError('STATE_KIND', `${kind}: cannot restore a state of kind ${String(record.kind)}`);
  }
  if (record.version !== version) {
    throw new DeviceError('STATE_VERSION', `${kind}: state version ${String(record.version)}, expected ${version}`);
  }
  return new StateReader(kind, record);
}

/** Typed, validating access to the fields of a saved state. */
export class StateReader {
  constructor(
    private readonly kind: string,
    private readonly record: Record<string, unknown>,
  ) {}

  private fail(field: string, what: string): never {
    throw new DeviceError('BAD_STATE', `${this.kind}: field ${field} is not ${what}`);
  }

  /** An integer in [min, max]. */
  int(field: string, min: number, max: number): number {
    const v = this.record[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      this.fail(field, `an integer in [${min}, ${max}]`);
    return v;
  }

  /** Any finite number (times, possibly fractional). */
  num(field: string): number {
    const v = this.record[field];
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, 'a finite number');
    return v;
  }

  /** A finite number or null. */
  numOrNull(field: string): number | null {
    const v = this.record[field];
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, 'a finite number or null');
    return v;
  }

  bool(field: string): boolean {
    const v = this.record[field];
    if (typeof v !== 'boolean') this.fail(field, 'a boolean');
    return v;
  }

  /** An array of integers in [min, max], of exactly `length` elements when given, else at most `maxLength`. */
  ints(field: string, min: number, max: number, length?: number, maxLength = 1 << 16): number[] {
    const v = this.record[field];
    if (!Array.isArray(v)) this.fail(field, 'an array');
    if (length !== undefined ? v.length !== length : v.length > maxLength)
      this.fail(field, 'an array of the right length');
    for (const x of v) {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max)
        this.fail(field, `an array of integers in [${min}, ${max}]`);
    }
    return v as number[];
  }

  /** A nested object, for composite devices. */
  object(field: string): unknown {
    const v = this.record[field];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'an object');
    return v;
  }
}
