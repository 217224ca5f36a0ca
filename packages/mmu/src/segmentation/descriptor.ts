// Segment and gate descriptors (SDM 3A 3.4.5, 5.8.3, 6.11, 6.14.1, 8.2.2).

/** Descriptor type field values for system descriptors (S=0), SDM 3A table 3-2. */
export const SystemType = {
  Tss16Available: 0x1,
  Ldt: 0x2,
  Tss16Busy: 0x3,
  CallGate16: 0x4,
  TaskGate: 0x5,
  InterruptGate16: 0x6,
  TrapGate16: 0x7,
  /** 32-bit TSS, or the 64-bit TSS in IA-32e mode. */
  TssAvailable: 0x9,
  TssBusy: 0xb,
  /** 32-bit call gate, or the 64-bit one in IA-32e mode. */
  CallGate: 0xc,
  InterruptGate: 0xe,
  TrapGate: 0xf,
} as const;

/** Code/data type bits (S=1): bit 0 accessed. */
export const TYPE_ACCESSED = 1 << 0;
/** Data: writable. Code: readable. */
export const TYPE_WRITABLE_OR_READABLE = 1 << 1;
/** Data: expand-down. Code: conforming. */
export const TYPE_EXPAND_DOWN_OR_CONFORMING = 1 << 2;
/** Set for code segments. */
export const TYPE_CODE = 1 << 3;

/**
 * The fields of an 8-byte descriptor, decoded in place by {@link decodeDescriptor} (no allocation)
 * and written back by {@link encodeDescriptor}. Segment and gate fields share the object; which
 * ones mean something depends on `s` and `type`.
 */
export class DescriptorFields {
  /** Segment base (32 bits; 16-byte system descriptors add {@link baseHigh}). */
  base = 0;
  /** Bits 63:32 of a 16-byte system descriptor's base (LDT/TSS in IA-32e mode). */
  baseHigh = 0;
  /** The raw 20-bit limit field. */
  limit = 0;
  /** 4-bit type field. */
  type = 0;
  /** S: 1 = code or data, 0 = system. */
  s = false;
  /** Descriptor privilege level. */
  dpl = 0;
  /** P: present. */
  present = false;
  /** AVL: available to software. */
  avl = false;
  /** L: 64-bit code segment. */
  long = false;
  /** D/B: default operation size / big / expand-down upper bound. */
  db = false;
  /** G: limit in 4 KiB units. */
  granularity = false;
  /** Gates: target code-segment selector (or TSS selector for a task gate). */
  selector = 0;
  /** Gates: entry-point offset bits 31:0 (and {@link offsetHigh} for 64-bit gates). */
  offset = 0;
  offsetHigh = 0;
  /** Call gates: parameter count (bits 4:0). */
  paramCount = 0;
  /** 64-bit interrupt/trap gates: interrupt stack table index (bits 2:0). */
  ist = 0;

  /** Limit in bytes as the processor uses it: scaled by 4 KiB with G=1. */
  effectiveLimit(): number {
    return this.granularity ? ((this.limit << 12) | 0xfff) >>> 0 : this.limit;
  }

  /** Whether this is a gate (call, task, interrupt or trap). */
  isGate(): boolean {
    if (this.s) return false;
    const t = this.type & 7;
    return t === 4 || t === 5 || t === 6 || t === 7;
  }
}

/**
 * Decodes an 8-byte descriptor given as its low and high dwords. For a 16-byte IA-32e system
 * descriptor or 64-bit gate pass the third dword as `upper` (bits 63:32 of base or offset).
 */
export function decodeDescriptor(lo: number, hi: number, out: DescriptorFields, upper = 0): void {
  out.type = (hi >>> 8) & 0xf;
  out.s = (hi & (1 << 12)) !== 0;
  out.dpl = (hi >>> 13) & 3;
  out.present = (hi & (1 << 15)) !== 0;
  out.limit = (lo & 0xffff) | (hi & 0xf0000);
  out.base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  out.avl = (hi & (1 << 20)) !== 0;
  out.long = (hi & (1 << 21)) !== 0;
  out.db = (hi & (1 << 22)) !== 0;
  out.granularity = (hi & (1 << 23)) !== 0;
  out.baseHigh = upper >>> 0;
  out.selector = lo >>> 16;
  out.offset = ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0;
  out.offsetHigh = upper >>> 0;
  out.paramCount = hi & 0x1f;
  out.ist = hi & 7;
}

/**
 * Encodes `d` into `out[0]` (low dword) and `out[1]` (high dword); for gates pass `gate = true`
 * so selector/offset/paramCount/ist are used instead of base/limit. `out[2]` receives the upper
 * dword of a 16-byte form (baseHigh or offsetHigh) when `out` has room for it.
 */
export function encodeDescriptor(d: DescriptorFields, out: Uint32Array, gate = false): void {
  const attrs = ((d.type & 0xf) << 8) | (d.s ? 1 << 12 : 0) | ((d.dpl & 3) << 13) | (d.present ? 1 << 15 : 0);
  if (gate) {
    out[0] = ((d.offset & 0xffff) | ((d.selector & 0xffff) << 16)) >>> 0;
    const low = (d.type & 7) === 4 ? d.paramCount & 0x1f : d.ist & 7;
    out[1] = ((d.offset & 0xffff0000) | attrs | low) >>> 0;
    if (out.length > 2) out[2] = d.offsetHigh >>> 0;
  } else {
    out[0] = ((d.limit & 0xffff) | ((d.base & 0xffff) << 16)) >>> 0;
    out[1] =
      (((d.base >>> 16) & 0xff) |
        attrs |
        (d.limit & 0xf0000) |
        (d.avl ? 1 << 20 : 0) |
        (d.long ? 1 << 21 : 0) |
        (d.db ? 1 << 22 : 0) |
        (d.granularity ? 1 << 23 : 0) |
        (d.base & 0xff000000)) >>>
      0;
    if (out.length > 2) out[2] = d.baseHigh >>> 0;
  }
  if (out.length > 3) out[3] = 0;
}

/** Builds a code/data segment descriptor's two dwords (for tests, loaders and GDT builders). */
export function makeSegmentDescriptor(
  base: number,
  limit: number,
  type: number,
  options: { s?: boolean; dpl?: number; present?: boolean; long?: boolean; db?: boolean; granularity?: boolean } = {},
): [number, number] {
  const d = new DescriptorFields();
  d.base = base;
  d.limit = limit;
  d.type = type;
  d.s = options.s ?? true;
  d.dpl = options.dpl ?? 0;
  d.present = options.present ?? true;
  d.long = options.long ?? false;
  d.db = options.db ?? true;
  d.granularity = options.granularity ?? false;
  const out = new Uint32Array(2);
  encodeDescriptor(d, out);
  return [out[0]!, out[1]!];
}
