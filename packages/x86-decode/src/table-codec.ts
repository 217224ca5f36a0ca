// The decoder tables' text encoding, read back at import or on first use (the writers are arr and
// rowsArr in scripts/generate.ts): each table is a JSON number array in a string literal, which
// `JSON.parse` reads natively. The earlier digit text was a third shorter, but its unpack loop
// ran in the interpreter at import and then had V8 compile it with TurboFan (about 40 M machine
// instructions more for import + first decode; README "Speed").

/** A typed array of the values of a JSON number array (`"[1,-2,3]"`). */
export function parseValues<T>(ctor: { new (values: ArrayLike<number>): T }, json: string): T {
  return new ctor(JSON.parse(json) as number[]);
}

/** A zero-filled typed array of `length` values that starts with those of a JSON number array. */
export function parseHead<T extends { set(values: ArrayLike<number>): void }>(
  ctor: { new (length: number): T },
  length: number,
  json: string,
): T {
  const out = new ctor(length);
  out.set(JSON.parse(json) as number[]);
  return out;
}

/** Writes the values of a JSON number array into `target` from index `offset` on. */
export function fillValues(
  target: { set(values: ArrayLike<number>, offset: number): void },
  offset: number,
  json: string,
): void {
  target.set(JSON.parse(json) as number[], offset);
}

/**
 * Expands distinct rows of `width` values and a per-code row index (both JSON number arrays)
 * into one table of `width` values per code.
 */
export function parseRows<T extends Uint32Array, I extends Uint8Array | Uint16Array>(
  ctor: { new (length: number): T; new (values: ArrayLike<number>): T },
  width: number,
  rowsJson: string,
  indexCtor: { new (values: ArrayLike<number>): I },
  indexJson: string,
): T {
  const rows = parseValues(ctor, rowsJson);
  const index = parseValues(indexCtor, indexJson);
  const out = new ctor(index.length * width);
  for (let c = 0, o = 0; c < index.length; c++) {
    const r = index[c]! * width;
    for (let k = 0; k < width; k++) out[o++] = rows[r + k]!;
  }
  return out;
}
