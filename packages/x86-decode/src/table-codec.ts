// The decoder tables' text encodings, read back at import or on first use (the writers are arr
// and digitsOf in scripts/generate.ts). Tables unpacked at import are JSON number arrays. The
// tables built on first use are digit text: each value is a run of printable characters from
// '#' (0x23): digits 46..91 continue the number, a digit 0..45 ends it (base 46, most
// significant first); signed tables are zigzag-coded.

/** A typed array of the values of a JSON number array (`"[1,-2,3]"`), parsed natively by `JSON.parse`. */
export function parseValues<T>(ctor: { new (values: ArrayLike<number>): T }, json: string): T {
  return new ctor(JSON.parse(json) as number[]);
}

/** A typed array of `count` values from their digit text (see digitsOf in scripts/generate.ts). */
export function unpack<T extends { [i: number]: number }>(
  ctor: { new (length: number): T },
  text: string,
  count: number,
  signed: boolean,
): T {
  const out = new ctor(count);
  for (let i = 0, j = 0; i < count; i++) {
    let d = text.charCodeAt(j++) - 0x23;
    let v = 0;
    while (d >= 46) {
      v = v * 46 + d - 46;
      d = text.charCodeAt(j++) - 0x23;
    }
    v = v * 46 + d;
    out[i] = !signed ? v : v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }
  return out;
}
/** Expands distinct rows of `width` values and a per-code row index into one value table. */
export function unpackRows<T extends Uint32Array, I extends Uint8Array | Uint16Array>(
  ctor: { new (length: number): T },
  width: number,
  rowText: string,
  rowCount: number,
  indexCtor: { new (length: number): I },
  indexText: string,
  indexCount: number,
): T {
  const rows = unpack(ctor, rowText, rowCount, false);
  const index = unpack(indexCtor, indexText, indexCount, false);
  const out = new ctor(index.length * width);
  if (width === 1) {
    for (let c = 0; c < index.length; c++) out[c] = rows[index[c]!]!;
    return out;
  }
  // width 5 (operand descriptors, flag masks), unrolled: this runs once, cold, at import
  for (let c = 0, o = 0; c < index.length; c++, o += 5) {
    const r = index[c]! * 5;
    out[o] = rows[r]!;
    out[o + 1] = rows[r + 1]!;
    out[o + 2] = rows[r + 2]!;
    out[o + 3] = rows[r + 3]!;
    out[o + 4] = rows[r + 4]!;
  }
  return out;
}
