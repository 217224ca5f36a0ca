// Generates src/generated/tables.ts from data/x86.isa. Run: pnpm generate.
// `generateSource()` is also used by src/generated/generated.test.ts to fail on stale output.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTables } from './build-tables.ts';
import { EVEX_MAP0, type FormRecord, parseIsa, VEX_MAP0 } from './isa-parser.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const DATA_PATH = join(here, '../data/x86.isa');
export const OUTPUT_PATH = join(here, '../src/generated/tables.ts');

/** Attribute bits per code (`CODE_ATTR_*` in the output). Append only. */
export const ATTRS = [
  'lock',
  'rep',
  'repne',
  'xacquire',
  'xrelease',
  'bnd',
  'notrack',
  'd64',
  'f64',
  'fmt:size',
  'fmt:nosize',
  'hle',
  'no66',
  'fmt:far',
  'fmt:short',
  'nolockreg',
  'nocs',
  'ignmod',
  'nof3',
] as const;

/** Values per row of the generated INFO_ROWS table. */
const INFO_STRIDE = 8;

const BYTES_PER: Record<string, number> = {
  Int32Array: 4,
  Uint32Array: 4,
  Int16Array: 2,
  Uint16Array: 2,
  Uint8Array: 1,
};

// Cold start (import + first decode) pays for every byte V8 has to read and for the work done
// at import. Each table is a string literal of the shorter of two texts (src/table-codec.ts):
// a JSON number array, or the base64 of its values as elements of the narrowest type that
// holds them; per-code tables with few distinct rows are stored once per distinct row plus a
// row index per code.

/** Storage tags of the base64 form, narrowest first: [tag, element bytes, min, max]. */
const STORAGE: [string, number, number, number][] = [
  ['B', 1, 0, 0xff],
  ['b', 1, -0x80, 0x7f],
  ['H', 2, 0, 0xffff],
  ['h', 2, -0x8000, 0x7fff],
  ['I', 4, 0, 0xffffffff],
  ['i', 4, -0x80000000, 0x7fffffff],
];

/**
 * The table text of `values` (read back by `tableValues` in src/table-codec.ts): the shorter of
 * the two forms, or with `fast` (a table read at import) the base64 form whenever one holds the
 * values, since the native base64 decode is far cheaper than `JSON.parse` (INFO_ROWS, 6,104
 * values: 0.8 ms as JSON at import, 0.4 ms as base64 including the first base64 decode's setup;
 * the 30 kB decode tree then takes 0.04 ms).
 */
export function encodeValues(values: readonly number[], fast = false): string {
  const json = `[${values.join(',')}]`;
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (!Number.isInteger(v)) throw new Error(`table value ${v} is not an integer`);
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const storage = STORAGE.find(([, , min, max]) => lo >= min && hi <= max);
  if (storage === undefined) return json;
  const [tag, size] = storage;
  const bytes = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    if (size === 1) bytes[i] = v & 0xff;
    else if (size === 2) bytes.writeUInt16LE(v & 0xffff, i * 2);
    else bytes.writeUInt32LE(v >>> 0, i * 4);
  });
  const base64 = tag + bytes.toString('base64');
  return fast || base64.length < json.length ? base64 : json;
}

/** Throws unless every value fits the element type the table is read into. */
function checkFits(name: string, type: string, values: readonly number[]): void {
  const width = BYTES_PER[type]!;
  for (const v of values) {
    const ok =
      type === 'Int16Array'
        ? v >= -32768 && v < 32768
        : type === 'Int32Array'
          ? v === (v | 0)
          : v >= 0 && v < 2 ** (8 * width);
    if (!ok) throw new Error(`${name}: ${v} does not fit ${type}`);
  }
}

/**
 * Numbers the distinct items of `items` (by `key`) in order of first appearance: the distinct
 * items, and each item's number. The generated tables store repeated rows, values and name
 * patterns this way.
 */
function numberDistinct<T>(items: readonly T[], key: (item: T) => string): { distinct: T[]; index: number[] } {
  const distinct: T[] = [];
  const at = new Map<string, number>();
  const index = items.map((item) => {
    const k = key(item);
    let i = at.get(k);
    if (i === undefined) {
      i = distinct.length;
      distinct.push(item);
      at.set(k, i);
    }
    return i;
  });
  return { distinct, index };
}

/**
 * A table as its values' text, or, for a table built on first use that has at most 256 distinct
 * values when that saves a quarter of the text, as its distinct values plus a one-byte index per
 * value (V8 scans every byte of the bundle at import). Not for the tables read at import: the
 * index loop there (INFO_ROWS, 6,104 values, 33 -> 9 kB of text) made V8 compile it with
 * TurboFan on-stack (7 ms on the compile thread, which competes for the cores), and cold start
 * got 3-4 ms slower instead of faster.
 */
const arr = (name: string, type: string, values: number[], doc: string): string => {
  checkFits(name, type, values);
  return table(name, type, valuesExpr(type, values, EAGER.has(name)), doc);
};

/** The expression that builds a typed array of `type` from `values`: see `arr`. */
function valuesExpr(type: string, values: readonly number[], fast: boolean): string {
  const plain = JSON.stringify(encodeValues(values, fast));
  const { distinct, index } = numberDistinct(values, String);
  if (!fast && distinct.length <= 256) {
    const dict = JSON.stringify(encodeValues(distinct));
    const indexText = JSON.stringify(encodeValues(index));
    if ((dict.length + indexText.length) * 4 <= plain.length * 3) return `parseIndexed(${type}, ${dict}, ${indexText})`;
  }
  return `parseValues(${type}, ${plain})`;
}

/** Text of the VEX/EVEX tails' fills (see `split`), the body of the generated `loadVexDecodeTables`. */
let lateFills: string[] = [];
/**
 * An eager table whose values from `start` on serve only VEX and EVEX: the import parses the head into a
 * zero-filled array of full length, `loadVexDecodeTables()` fills in the tail.
 */
const split = (name: string, type: string, values: number[], start: number, doc: string): string => {
  checkFits(name, type, values);
  const head = JSON.stringify(encodeValues(values.slice(0, start), true));
  lateFills.push(`  fillValues(${name}, ${start}, ${JSON.stringify(encodeValues(values.slice(start)))});`);
  return table(name, type, `parseHead(${type}, ${values.length}, ${head})`, doc);
};

/** A per-code table of `width` values per code, stored as its distinct rows + a row index per code (Uint8 while there are at most 256 rows). */
const rowsArr = (name: string, type: string, width: number, values: number[], doc: string): string => {
  checkFits(name, type, values);
  const perCode = Array.from({ length: values.length / width }, (_, c) => values.slice(c * width, (c + 1) * width));
  const { distinct, index } = numberDistinct(perCode, (row) => row.join(','));
  const indexType = distinct.length <= 256 ? 'Uint8Array' : 'Uint16Array';
  return table(
    name,
    type,
    `parseRows(${type}, ${width}, ${valuesExpr(type, distinct.flat(), false)}, ${indexType}, ${JSON.stringify(encodeValues(index))})`,
    doc,
  );
};

/**
 * The code names as patterns (`*` for the code's mnemonic in title case, `VEX_*_xmm_xmmm128`)
 * plus a pattern index per code (`NamePatterns` in src/table-codec.ts): 4,294 names are 105 kB of
 * text, their 1,000-odd patterns and index about a fifth of that. `codeName()` expands one name;
 * only CODE_NAMES (and `findCode`) expand them all (about 6-10 ms in the interpreter here).
 */
function codeNamesOf(names: readonly string[], codeMnemonic: readonly number[], mnemonics: readonly string[]): string {
  const perCode = names.map((name, c) => {
    if (/[ *]/.test(name)) throw new Error(`code name ${JSON.stringify(name)} has a space or a star`);
    const m = mnemonics[codeMnemonic[c]!]!;
    const title = m[0] + m.slice(1).toLowerCase();
    let pattern = name;
    for (let at = name.indexOf(title); at >= 0; at = name.indexOf(title, at + 1)) {
      const end = at + title.length;
      if ((at === 0 || name[at - 1] === '_') && (end === name.length || name[end] === '_')) {
        pattern = `${name.slice(0, at)}*${name.slice(end)}`;
        break;
      }
    }
    return pattern;
  });
  const { distinct: patterns, index } = numberDistinct(perCode, String);
  return (
    `let lazyCodeNamePatterns: NamePatterns | undefined;
/** The code names' patterns (CODE_NAMES without expanding every name: see {@link NamePatterns}), made on first use. */
export function codeNamePatterns(): NamePatterns {
  lazyCodeNamePatterns ??= new NamePatterns(${JSON.stringify(patterns.join(' '))}, ${JSON.stringify(encodeValues(index))});
  return lazyCodeNamePatterns;
}
` +
    table(
      'CODE_NAMES',
      'readonly string[]',
      'codeNamePatterns().all(decodeTables.CODE_MNEMONIC, decodeTables.MNEMONIC_NAMES)',
      'Code names, `Mnemonic_operands`, indexed by code.',
    )
  );
}

/** A space-separated name list, split on first use. */
const namesOf = (name: string, names: readonly string[], doc: string): string =>
  table(name, 'readonly string[]', `${JSON.stringify(names.join(' '))}.split(' ')`, doc);

// Cold start: a table is unpacked at import only if the first decode needs it (the decode tree
// and the per-code INFO rows); every other one is built on first use through a getter of
// `decodeTables`, whose string literal sits in the getter's body, where V8 only pre-parses it.
// A table a hand-written module reads at import must be named here.
const EAGER = new Set(['INFO_ROWS', 'CODE_INFO', 'DECODE_TREE', 'DECODE_ROOTS', 'HAS_MODRM']);
/** Eager tables with a VEX/EVEX tail (`split`): `decodeTables` reads them through a getter that fills it. */
const SPLIT = new Set(['INFO_ROWS', 'CODE_INFO', 'DECODE_TREE', 'DECODE_ROOTS', 'HAS_MODRM']);

/** The `DecodeTables` interface members and the `decodeTables` object's constants and getters, in file order. */
let members: string[] = [];
let getters: string[] = [];
/**
 * One table: `export const` unpacked at import when EAGER, else a module-level cache and a
 * getter of `decodeTables` that fills it on first use. Returns the text to append to the file.
 */
function table(name: string, type: string, init: string, doc: string): string {
  if (EAGER.has(name)) {
    members.push(`  /** ${doc} */\n  readonly ${name}: ${type};`);
    return `/** ${doc} */\nexport const ${name}: ${type} = /* @__PURE__ */ ${init};\n`;
  }
  const cache = `lazy${name
    .toLowerCase()
    .split('_')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')}`;
  members.push(`  /** ${doc} Built on first use. */\n  readonly ${name}: ${type};`);
  getters.push(`  get ${name}(): ${type} {\n    ${cache} ??= ${init};\n    return ${cache};\n  },`);
  return `let ${cache}: ${type} | undefined;\n`;
}
/** A number constant, exported and a member of `decodeTables`. */
function constant(name: string, value: number, doc: string): string {
  members.push(`  /** ${doc} */\n  readonly ${name}: typeof ${name};`);
  getters.push(`  ${name},`);
  return `/** ${doc} */\nexport const ${name} = ${value};\n\n`;
}

const PRELUDE =
  "import { fillValues, NamePatterns, parseHead, parseIndexed, parseRows, parseValues } from '../table-codec.ts';\n\n";

export function generateSource(): string {
  members = [];
  getters = [];
  lateFills = [];
  const { forms, cpuFeatures } = parseIsa(readFileSync(DATA_PATH, 'utf8'));
  // code 0 is INVALID; forms get codes in file order, so codes are stable while the file is appended to.
  const codeOf = new Map<FormRecord, number>();
  const names: string[] = ['INVALID'];
  const counts = new Map<string, number>();
  for (const f of forms) counts.set(f.name, (counts.get(f.name) ?? 0) + 1);
  const seen = new Map<string, number>();
  forms.forEach((f, i) => {
    codeOf.set(f, i + 1);
    let n = f.name;
    // same operands at several operand sizes (PUSH ibs, RET): name the size
    if (counts.get(n)! > 1 && f.osz >= 0) n = `${n}_o${16 << f.osz}`;
    const k = seen.get(n) ?? 0;
    seen.set(n, k + 1);
    if (k > 0) n = `${n}_${k + 1}`;
    names.push(n);
  });
  const mnemonics = ['INVALID', ...[...new Set(forms.map((f) => f.mnemonic))].sort()];
  const mnemonicIndex = new Map(mnemonics.map((m, i) => [m, i]));
  const { tree, roots, hasModrm, vexTreeStart } = buildTables(forms, codeOf);
  const vexSlot0 = VEX_MAP0 * 256;
  const n = forms.length + 1;
  const mnem = [0];
  const opCount = [0];
  const ops = [0, 0, 0, 0, 0];
  const memSize = [0];
  const flags = [0, 0, 0, 0, 0];
  const cpu = [0];
  const attrs = [0];
  for (const f of forms) {
    if (f.ops.length > 5) throw new Error(`x86.isa:${f.line}: more than 5 operands`);
    mnem.push(mnemonicIndex.get(f.mnemonic)!);
    opCount.push(f.ops.length);
    for (let k = 0; k < 5; k++) ops.push(f.ops[k] ?? 0);
    memSize.push(f.memSize);
    flags.push(...f.flags);
    cpu.push(cpuFeatures.indexOf(f.cpu || 'NONE'));
    let a = 0;
    for (const at of f.attrs) {
      if (at.startsWith('en:') || at.startsWith('tt:') || at === 'bign' || at === 'dstdiff') continue;
      const bit = (ATTRS as readonly string[]).indexOf(at);
      if (bit < 0) throw new Error(`x86.isa:${f.line}: unknown attribute ${at}`);
      a |= 1 << bit;
    }
    attrs.push(a);
  }
  let out = `// generated by scripts/generate.ts from data/x86.isa, do not edit\n\n${PRELUDE}`;
  out += constant('CODE_COUNT', n, 'Number of instruction codes (code 0 is INVALID).');
  out += namesOf('MNEMONIC_NAMES', mnemonics, 'Mnemonics in SDM spelling, indexed by mnemonic id.');
  out += namesOf('CPU_FEATURE_NAMES', cpuFeatures, 'CPUID feature names, indexed by feature id.');
  out += namesOf('ATTR_NAMES', ATTRS, 'Attribute bit names, bit i = 1 << i in CODE_ATTRS.');
  out += codeNamesOf(names, mnem, mnemonics);
  out += arr('CODE_MNEMONIC', 'Uint16Array', mnem, 'Mnemonic id per code.');
  out += arr('CODE_CPU', 'Uint8Array', cpu, 'CPUID feature id per code.');
  // The decoder's per-code facts as distinct rows, so an instruction touches one 32-byte row
  // and the import unpacks a few kB instead of expanding per-code tables.
  // RFLAGS rows in code order
  const flagsOf = (c: number): number[] => flags.slice(c * 5, c * 5 + 5);
  const flagRowsOf = numberDistinct(
    Array.from({ length: n }, (_, c) => flagsOf(c)),
    (row) => row.join(','),
  );
  const flagRows = flagRowsOf.distinct.flat();
  // A code is late if its form is in a VEX or EVEX map (map >= VEX_MAP0): its row is read only
  // after a VEX/EVEX decode has loaded the tables' tails. Rows are numbered legacy codes first,
  // so the rows only late codes use are INFO_ROWS' tail; CODE_INFO's tail is the EVEX codes
  // (the last forms of the data file).
  const late = (c: number): boolean => c > 0 && forms[c - 1]!.map >= VEX_MAP0;
  const all = Array.from({ length: n }, (_, c) => c);
  const legacy = all.filter((c) => !late(c));
  const order = [...legacy, ...all.filter(late)];
  const infoRowsOf = numberDistinct(
    order.map((c) => [
      attrs[c]!,
      opCount[c]! | (memSize[c]! << 8),
      ...ops.slice(c * 5, c * 5 + 5),
      flagRowsOf.index[c]!,
    ]),
    (row) => row.join(','),
  );
  const infoRows = infoRowsOf.distinct.flat();
  const codeInfo: number[] = new Array(n).fill(0);
  order.forEach((c, i) => {
    codeInfo[c] = infoRowsOf.index[i]!;
  });
  // legacy codes come first, so their rows are the first ones numbered
  const lateInfoRow = new Set(infoRowsOf.index.slice(0, legacy.length)).size;
  const evexCodeStart = forms.findIndex((f) => f.map >= EVEX_MAP0) + 1;
  forms.forEach((f, i) => {
    if (i + 1 >= evexCodeStart && f.map < EVEX_MAP0)
      throw new Error(`x86.isa:${f.line}: a non-EVEX form after the first EVEX form`);
  });
  out += constant('INFO_STRIDE', INFO_STRIDE, 'Values per row of INFO_ROWS.');
  out += split(
    'INFO_ROWS',
    'Int32Array',
    infoRows,
    lateInfoRow * INFO_STRIDE,
    'Distinct per-code rows: [attrs, opCount | memSize << 8, five operand descriptors, FLAG_ROWS row].',
  );
  out += split('CODE_INFO', 'Uint16Array', codeInfo, evexCodeStart, 'INFO_ROWS row of each code.');
  out += arr('FLAG_ROWS', 'Uint32Array', flagRows, 'Distinct RFLAGS rows: read, written, undefined, cleared, set.');
  out += rowsArr('CODE_OPS', 'Uint32Array', 5, ops, 'Five operand descriptors per code (see src/operand-type.ts).');
  out += arr('CODE_ATTRS', 'Uint32Array', attrs, 'Attribute bits per code (ATTR_NAMES).');
  out += arr(
    'CODE_EVEX',
    'Uint16Array',
    [0, ...forms.map((f) => f.evex)],
    'EVEX facts per code (EvexBits in scripts/isa-parser.ts); 0 for non-EVEX forms.',
  );
  // VEX and EVEX (maps VEX_MAP0 on, the last slots and the last tree nodes) are read on the first
  // VEX or EVEX instruction: the import parses only the legacy maps' part of the decode tables.
  out += split(
    'DECODE_TREE',
    'Int16Array',
    tree,
    vexTreeStart,
    'Decode tree nodes: selector kind, then its children (>= 0 node, < 0 ~code).',
  );
  out += split('DECODE_ROOTS', 'Int16Array', roots, vexSlot0, 'Tree root per (map * 256 + opcode); ~0 = invalid.');
  out += split('HAS_MODRM', 'Uint8Array', hasModrm, vexSlot0, '1 if the (map, opcode) slot has a ModRM byte.');
  out += `/** First (map * 256 + opcode) slot of the VEX maps (the EVEX maps follow): the DECODE_ROOTS/HAS_MODRM entries from here on and the tree nodes only they reach are filled by {@link loadVexDecodeTables}. */
export const VEX_SLOT_START = ${vexSlot0};

let vexLoaded = false;
/** Fills the VEX and EVEX part of DECODE_TREE, DECODE_ROOTS and HAS_MODRM (once; the decoder calls it on its first VEX or EVEX instruction). */
export function loadVexDecodeTables(): void {
  if (vexLoaded) return;
  vexLoaded = true;
${lateFills.join('\n')}
}

/**
 * Offset in INFO_ROWS of a code's row (CODE_INFO[code] * INFO_STRIDE), for readers that may see a
 * code no decode has produced yet: the rows of VEX/EVEX codes are loaded first. The decoder reads
 * CODE_INFO directly (it loads them before it decodes a VEX or EVEX instruction).
 */
export function infoOffset(code: number): number {
  if (!vexLoaded && (code >= ${evexCodeStart} || CODE_INFO[code]! >= ${lateInfoRow})) loadVexDecodeTables();
  return CODE_INFO[code]! * INFO_STRIDE;
}
`;
  return out + tablesObject();
}

/** The `DecodeTables` interface and the frozen `decodeTables` object over every table above. */
function tablesObject(): string {
  const eager = [...EAGER].map((name) =>
    SPLIT.has(name) ? `  get ${name}() {\n    loadVexDecodeTables();\n    return ${name};\n  },` : `  ${name},`,
  );
  return `
/**
 * Every generated table, for encoders and tools. The ones the decoder needs are unpacked at
 * import; each other one is built on its first read (a getter), so an import that only decodes
 * never pays for names, formatter operand tables, CPUID features or RFLAGS rows.
 */
export interface DecodeTables {
${members.join('\n')}
}

/** The generated tables (see {@link DecodeTables}); read-only typed arrays and name lists. */
export const decodeTables: DecodeTables = /* @__PURE__ */ Object.freeze({
${[...getters.filter((g) => !g.includes('get ')), ...eager, ...getters.filter((g) => g.includes('get '))].join('\n')}
});
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(OUTPUT_PATH, generateSource());
  console.log(`wrote ${OUTPUT_PATH}`);
}
