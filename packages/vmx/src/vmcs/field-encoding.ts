import { VmxError } from '../errors.ts';
import type { VmxFeatures } from '../capabilities/features.ts';
import { FIELD_FEATURE, VmcsField, type VmcsFieldName } from './fields.ts';

/** Field width, encoding bits 14:13. SDM 3C 25.11.2 Table 25-21. */
export const FIELD_WIDTH_16 = 0;
export const FIELD_WIDTH_64 = 1;
export const FIELD_WIDTH_32 = 2;
export const FIELD_WIDTH_NATURAL = 3;
/** Field type, encoding bits 11:10. SDM 3C 25.11.2 Table 25-21. */
export const FIELD_TYPE_CONTROL = 0;
export const FIELD_TYPE_EXIT_INFORMATION = 1;
export const FIELD_TYPE_GUEST = 2;
export const FIELD_TYPE_HOST = 3;

/** The width of a VMCS field. */
export type FieldWidth = '16' | '32' | '64' | 'natural';
/** The type of a VMCS field: what area of the VMCS it belongs to. */
export type FieldType = 'control' | 'exit-information' | 'guest' | 'host';

/** What a VMCS field encoding means. */
export interface FieldInfo {
  readonly name: VmcsFieldName;
  /** Encoding of the field (of its full access for a 64-bit field). */
  readonly encoding: number;
  readonly width: FieldWidth;
  readonly type: FieldType;
  /** Index, encoding bits 9:1. */
  readonly index: number;
  /** Read-only unless IA32_VMX_MISC[29] (only VM-exit information fields are). */
  readonly readOnly: boolean;
  /** Slot of the field in our VMCS region layout: its data sits at `VMCS_DATA_OFFSET + 8 * slot`. */
  readonly slot: number;
  /** Feature the field depends on, if any. */
  readonly feature: string | undefined;
}

const WIDTHS: readonly FieldWidth[] = ['16', '64', '32', 'natural'];
const TYPES: readonly FieldType[] = ['control', 'exit-information', 'guest', 'host'];

const names = Object.keys(VmcsField) as VmcsFieldName[];

/** Every field, in Appendix B order, each with its slot in our VMCS layout. */
export const VMCS_FIELDS: readonly FieldInfo[] = Object.freeze(
  names.map((name, slot) => {
    const encoding = VmcsField[name];
    const type = (encoding >> 10) & 3;
    return Object.freeze({
      name,
      encoding,
      width: WIDTHS[(encoding >> 13) & 3]!,
      type: TYPES[type]!,
      index: (encoding >> 1) & 0x1ff,
      readOnly: type === FIELD_TYPE_EXIT_INFORMATION,
      slot,
      feature: FIELD_FEATURE[name],
    });
  }),
);

/** Number of fields, hence slots, in our VMCS layout. */
export const VMCS_FIELD_COUNT = VMCS_FIELDS.length;

// Encoding (15 bits) -> slot + 1 (0 = no field); bit 15 of the entry marks a 64-bit field's high access.
const SLOT_BY_ENCODING = new Uint16Array(0x8000);
const HIGH_ACCESS = 0x8000;
for (const f of VMCS_FIELDS) {
  SLOT_BY_ENCODING[f.encoding] = f.slot + 1;
  if (f.width === '64') SLOT_BY_ENCODING[f.encoding | 1] = (f.slot + 1) | HIGH_ACCESS;
}

/**
 * The slot of a field encoding in our layout, or -1 when the encoding names no field of
 * Appendix B. A 64-bit field's high access (`encoding | 1`) gives the same slot; ask
 * {@link isHighAccess} to tell them apart. Bits above 14 make any encoding invalid.
 */
export function slotOf(encoding: number): number {
  if (encoding < 0 || encoding > 0x7fff) return -1;
  const e = SLOT_BY_ENCODING[encoding]!;
  return e === 0 ? -1 : (e & 0x7fff) - 1;
}

/** Whether `encoding` is the high-half access of a 64-bit field (access type bit 0 = 1). SDM 3C 25.11.2. */
export function isHighAccess(encoding: number): boolean {
  return encoding >= 0 && encoding <= 0x7fff && (SLOT_BY_ENCODING[encoding]! & HIGH_ACCESS) !== 0;
}

/**
 * The field an encoding names. `undefined` for an unknown encoding, or throws a
 * {@link VmxError} `UNKNOWN_FIELD` when `strict`.
 *
 * @example
 * ```ts
 * import { fieldByEncoding } from '@typevisor/vmx';
 * fieldByEncoding(0x681e)?.name; // 'GUEST_RIP'
 * ```
 */
export function fieldByEncoding(encoding: number, strict = false): FieldInfo | undefined {
  const slot = slotOf(encoding);
  if (slot < 0) {
    if (strict) throw new VmxError('UNKNOWN_FIELD', `0x${encoding.toString(16)} is not a VMCS field encoding`);
    return undefined;
  }
  return VMCS_FIELDS[slot];
}

/**
 * Per-processor table of which field slots exist, from its features: a field whose
 * feature is absent is "unsupported" (VMREAD/VMWRITE fail with error 12). SDM 3C 31.3.
 */
export function supportedSlots(features: VmxFeatures): Uint8Array {
  const out = new Uint8Array(VMCS_FIELD_COUNT);
  for (const f of VMCS_FIELDS) {
    const need = f.feature;
    out[f.slot] = need === undefined ? 1 : need === 'unmodelled' ? 0 : features[need as keyof VmxFeatures] ? 1 : 0;
  }
  return out;
}

/** The highest field index among supported fields, for IA32_VMX_VMCS_ENUM. SDM 3D A.9. */
export function highestSupportedIndex(features: VmxFeatures): number {
  const ok = supportedSlots(features);
  let max = 0;
  for (const f of VMCS_FIELDS) if (ok[f.slot] && f.index > max) max = f.index;
  return max;
}
