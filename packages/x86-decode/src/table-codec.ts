// The decoder tables' text encoding, read back at import or on first use (the writer is
// `encodeValues` in scripts/generate.ts). Each table is a string literal in one of two forms,
// whichever is shorter for its values:
//
// - a JSON number array (`[1,-2,3]`), read natively by `JSON.parse`: best for few values or
//   small values in a wide element type;
// - a storage tag and the base64 of the values as little-endian elements of the narrowest type
//   that holds them (`B` Uint8, `b` Int8, `H` Uint16, `h` Int16, `I` Uint32, `i` Int32), read
//   natively where the platform has a base64 decoder (`Uint8Array.fromBase64`, Node's
//   `Buffer`): 30% shorter than JSON for the decode tree, and about 4x faster to read.
//
// Cold start pays for every byte of the bundle (Node decodes the file's UTF-8 and V8 scans
// every literal) and for what runs at import, so both matter (README "Speed"). Earlier
// encodings (session 3's digit text) were unpacked by a loop that ran in the interpreter.

type ViewCtor = {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): ArrayLike<number>;
  BYTES_PER_ELEMENT: number;
};

const STORED: Record<string, ViewCtor> = {
  B: Uint8Array,
  b: Int8Array,
  H: Uint16Array,
  h: Int16Array,
  I: Uint32Array,
  i: Int32Array,
};

/** True where typed arrays are little-endian (every platform Node and the browsers run on today). */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

type Base64Decoders = {
  fromBase64?: (text: string) => Uint8Array;
  Buffer?: { from(text: string, encoding: 'base64'): Uint8Array };
  atob?: (text: string) => string;
};

/** The bytes of a base64 text, decoded natively where the platform can. */
export function base64Bytes(text: string): Uint8Array {
  const native = Uint8Array as unknown as Base64Decoders;
  if (native.fromBase64 !== undefined) return native.fromBase64(text);
  const g = globalThis as unknown as Base64Decoders;
  if (g.Buffer !== undefined) return g.Buffer.from(text, 'base64');
  const binary = g.atob!(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * The values of a table text (see the top of this file). The result may share memory with a
 * platform buffer pool: callers copy it into their own typed array.
 */
export function tableValues(text: string): ArrayLike<number> {
  if (text.charCodeAt(0) === 0x5b /* [ */) return JSON.parse(text) as number[];
  const view = STORED[text[0]!];
  if (view === undefined) throw new Error(`table text: unknown storage tag ${JSON.stringify(text[0])}`);
  let bytes = base64Bytes(text.slice(1));
  const size = view.BYTES_PER_ELEMENT;
  if (size > 1 && (!LITTLE_ENDIAN || bytes.byteOffset % size !== 0)) {
    bytes = bytes.slice();
    if (!LITTLE_ENDIAN) for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
  }
  return new view(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length / size);
}

/** A typed array of a table text's values. */
export function parseValues<T>(ctor: { new (values: ArrayLike<number>): T }, text: string): T {
  return new ctor(tableValues(text));
}

/** A zero-filled typed array of `length` values that starts with those of a table text. */
export function parseHead<T extends { set(values: ArrayLike<number>): void }>(
  ctor: { new (length: number): T },
  length: number,
  text: string,
): T {
  const out = new ctor(length);
  out.set(tableValues(text));
  return out;
}

/** Writes the values of a table text into `target` from index `offset` on. */
export function fillValues(
  target: { set(values: ArrayLike<number>, offset: number): void },
  offset: number,
  text: string,
): void {
  target.set(tableValues(text), offset);
}

/** A typed array of `dict[i]` for each `i` of the index (both table texts): a table of few distinct values. */
export function parseIndexed<T extends { [k: number]: number }>(
  ctor: { new (length: number): T },
  dictText: string,
  indexText: string,
): T {
  const dict = tableValues(dictText);
  const index = tableValues(indexText);
  const out = new ctor(index.length);
  for (let i = 0; i < index.length; i++) out[i] = dict[index[i]!]!;
  return out;
}

/**
 * Expands distinct rows of `width` values (a table text, or the values) and a per-code row index
 * (a table text) into one table of `width` values per code.
 */
export function parseRows<T extends Uint32Array, I extends Uint8Array | Uint16Array>(
  ctor: { new (length: number): T; new (values: ArrayLike<number>): T },
  width: number,
  rowsText: string | ArrayLike<number>,
  indexCtor: { new (values: ArrayLike<number>): I },
  indexText: string,
): T {
  const rows = typeof rowsText === 'string' ? parseValues(ctor, rowsText) : rowsText;
  const index = parseValues(indexCtor, indexText);
  const out = new ctor(index.length * width);
  for (let c = 0, o = 0; c < index.length; c++) {
    const r = index[c]! * width;
    for (let k = 0; k < width; k++) out[o++] = rows[r + k]!;
  }
  return out;
}

/**
 * Code names as patterns: `patterns` is a space-separated list in which `*` stands for the code's
 * mnemonic in title case (`VEX_*_xmm_xmmm128`), `indexText` (a table text) the pattern of each
 * code. A pattern without `*` is the name itself. One name is a few string operations; all 4,294
 * take several ms in the interpreter (and a young-generation GC), so `codeName()` asks for one.
 */
export class NamePatterns {
  private readonly list: string[];
  private readonly index: ArrayLike<number>;
  /** Number of names. */
  readonly length: number;

  constructor(patterns: string, indexText: string) {
    this.list = patterns.split(' ');
    this.index = tableValues(indexText);
    this.length = this.index.length;
  }

  /** The name of entry `i` (0 <= i < length), given each entry's mnemonic id and the mnemonic names. */
  name(i: number, codeMnemonic: ArrayLike<number>, mnemonicNames: readonly string[]): string {
    const p = this.list[this.index[i]!]!;
    const star = p.indexOf('*');
    if (star < 0) return p;
    const m = mnemonicNames[codeMnemonic[i]!]!;
    return p.slice(0, star) + m[0] + m.slice(1).toLowerCase() + p.slice(star + 1);
  }

  /** Every name. */
  all(codeMnemonic: ArrayLike<number>, mnemonicNames: readonly string[]): string[] {
    const out = new Array<string>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.name(i, codeMnemonic, mnemonicNames);
    return out;
  }
}
