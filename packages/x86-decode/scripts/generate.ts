// Generates src/generated/tables.ts from data/x86.isa. Run: pnpm generate.
// `generateSource()` is also used by src/generated/generated.test.ts to fail on stale output.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTables } from './build-tables.ts';
import { type FormRecord, parseIsa } from './isa-parser.ts';

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

/** Little-endian bytes of `values` stored as `type`. */
const bytesOf = (type: string, values: number[]): Buffer => {
  const width = BYTES_PER[type]!;
  const bytes = Buffer.alloc(values.length * width);
  values.forEach((v, i) => {
    if (width === 4) bytes.writeUInt32LE(v >>> 0, i * 4);
    else if (width === 2) bytes.writeUInt16LE(v & 0xffff, i * 2);
    else bytes.writeUInt8(v, i);
  });
  return bytes;
};

/**
 * `bytes` as a JavaScript string literal of 16-bit units (little-endian byte pairs, the last
 * padded), then its byte count: printable ASCII stands for itself, other units are \xNN or
 * \uNNNN escapes, so the source stays ASCII and V8's scanner, not a JavaScript loop, turns the
 * text into code units; unpacking is one charCodeAt per two bytes (base64 needed four table
 * lookups per three bytes, the bulk of the import time).
 */
const unitsOf = (type: string, values: number[]): string => {
  const bytes = bytesOf(type, values);
  let text = '';
  for (let i = 0; i < bytes.length; i += 2) {
    const u = bytes[i]! | ((bytes[i + 1] ?? 0) << 8);
    if (u >= 0x20 && u < 0x7f && u !== 0x22 && u !== 0x5c) text += String.fromCharCode(u);
    else if (u < 0x100) text += `\\x${u.toString(16).padStart(2, '0')}`;
    else text += `\\u${u.toString(16).padStart(4, '0')}`;
  }
  return `"${text}", ${bytes.length}`;
};

// Cold start (import + first decode) is dominated by the bytes V8 has to read and unpack, so
// the tables are emitted as strings of their little-endian bytes (a string literal parses far
// faster than number literals), in the narrowest element type that holds them, and per-code
// tables with few distinct rows are stored once per distinct row plus a one-byte row index.
const arr = (name: string, type: string, values: number[], doc: string): string => {
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
  return `/** ${doc} */\nexport const ${name}: ${type} = /* @__PURE__ */ unpack(${type}, ${unitsOf(type, values)});\n`;
};

/** A per-code table of `width` values per code, stored as its distinct rows + a row index per code (Uint8 while there are at most 256 rows). */
const rowsArr = (name: string, type: string, width: 1 | 5, values: number[], doc: string): string => {
  const rows: string[] = [];
  const rowIndex = new Map<string, number>();
  const index: number[] = [];
  const flat: number[] = [];
  for (let i = 0; i < values.length; i += width) {
    const row = values.slice(i, i + width);
    const k = row.join(',');
    let r = rowIndex.get(k);
    if (r === undefined) {
      r = rows.length;
      rows.push(k);
      rowIndex.set(k, r);
      flat.push(...row);
    }
    index.push(r);
  }
  const indexType = rows.length <= 256 ? 'Uint8Array' : 'Uint16Array';
  return `/** ${doc} */\nexport const ${name}: ${type} = /* @__PURE__ */ unpackRows(${type}, ${width}, ${unitsOf(type, flat)}, ${indexType}, ${unitsOf(indexType, index)});\n`;
};

const PRELUDE = `// Little-endian bytes (every platform JavaScript runs on), two per string code unit.
function unpack<T>(
  ctor: { new (buffer: ArrayBuffer, offset: number, length: number): T; BYTES_PER_ELEMENT: number },
  units: string,
  size: number,
): T {
  const out = new Uint16Array(units.length);
  for (let i = 0; i < units.length; i++) out[i] = units.charCodeAt(i);
  return new ctor(out.buffer, 0, size / ctor.BYTES_PER_ELEMENT);
}
/** Expands distinct rows of \`width\` values and a per-code row index into one value table. */
function unpackRows<T extends Uint32Array, I extends Uint8Array | Uint16Array>(
  ctor: { new (buffer: ArrayBuffer, offset: number, length: number): T; new (length: number): T; BYTES_PER_ELEMENT: number },
  width: number,
  rowUnits: string,
  rowSize: number,
  indexCtor: { new (buffer: ArrayBuffer, offset: number, length: number): I; BYTES_PER_ELEMENT: number },
  indexUnits: string,
  indexSize: number,
): T {
  const rows = unpack(ctor, rowUnits, rowSize);
  const index = unpack(indexCtor, indexUnits, indexSize);
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

`;

export function generateSource(): string {
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
  const { tree, roots, hasModrm } = buildTables(forms, codeOf);
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
      if (at.startsWith('en:')) continue;
      const bit = (ATTRS as readonly string[]).indexOf(at);
      if (bit < 0) throw new Error(`x86.isa:${f.line}: unknown attribute ${at}`);
      a |= 1 << bit;
    }
    attrs.push(a);
  }
  let out = `// generated by scripts/generate.ts from data/x86.isa, do not edit\n\n${PRELUDE}`;
  out += `/** Number of instruction codes (code 0 is INVALID). */\nexport const CODE_COUNT = ${n};\n\n`;
  out += `/** Code names, \`Mnemonic_operands\`, indexed by code. */\nexport const CODE_NAMES: readonly string[] = ${JSON.stringify(names.join(' '))}.split(' ');\n\n`;
  out += `/** Mnemonics in SDM spelling, indexed by mnemonic id. */\nexport const MNEMONIC_NAMES: readonly string[] = ${JSON.stringify(mnemonics.join(' '))}.split(' ');\n\n`;
  out += `/** CPUID feature names, indexed by feature id. */\nexport const CPU_FEATURE_NAMES: readonly string[] = ${JSON.stringify(cpuFeatures.join(' '))}.split(' ');\n\n`;
  out += `/** Attribute bit names, bit i = 1 << i in CODE_ATTRS. */\nexport const ATTR_NAMES: readonly string[] = ${JSON.stringify(ATTRS.join(' '))}.split(' ');\n\n`;
  out += arr('CODE_MNEMONIC', 'Uint16Array', mnem, 'Mnemonic id per code.');
  out += arr('CODE_CPU', 'Uint8Array', cpu, 'CPUID feature id per code.');
  // The decoder's per-code facts as distinct rows, so an instruction touches one 32-byte row
  // and the import unpacks a few kB instead of expanding per-code tables.
  const flagRowIndex = new Map<string, number>();
  const flagRows: number[] = [];
  const infoRowIndex = new Map<string, number>();
  const infoRows: number[] = [];
  const codeInfo: number[] = [];
  for (let c = 0; c < n; c++) {
    const fk = flags.slice(c * 5, c * 5 + 5);
    let fr = flagRowIndex.get(fk.join(','));
    if (fr === undefined) {
      fr = flagRowIndex.size;
      flagRowIndex.set(fk.join(','), fr);
      flagRows.push(...fk);
    }
    const row = [attrs[c]!, opCount[c]! | (memSize[c]! << 8), ...ops.slice(c * 5, c * 5 + 5), fr];
    let r = infoRowIndex.get(row.join(','));
    if (r === undefined) {
      r = infoRowIndex.size;
      infoRowIndex.set(row.join(','), r);
      infoRows.push(...row);
    }
    codeInfo.push(r);
  }
  out += `/** Values per row of INFO_ROWS. */\nexport const INFO_STRIDE = ${INFO_STRIDE};\n\n`;
  out += arr(
    'INFO_ROWS',
    'Int32Array',
    infoRows,
    'Distinct per-code rows: [attrs, opCount | memSize << 8, five operand descriptors, FLAG_ROWS row].',
  );
  out += arr('CODE_INFO', 'Uint16Array', codeInfo, 'INFO_ROWS row of each code.');
  out += arr('FLAG_ROWS', 'Uint32Array', flagRows, 'Distinct RFLAGS rows: read, written, undefined, cleared, set.');
  out += rowsArr('CODE_OPS', 'Uint32Array', 5, ops, 'Five operand descriptors per code (see src/operand-type.ts).');
  out += rowsArr('CODE_ATTRS', 'Uint32Array', 1, attrs, 'Attribute bits per code (ATTR_NAMES).');
  out += arr(
    'DECODE_TREE',
    'Int16Array',
    tree,
    'Decode tree nodes: selector kind, then its children (>= 0 node, < 0 ~code).',
  );
  out += arr('DECODE_ROOTS', 'Int16Array', roots, 'Tree root per (map * 256 + opcode); ~0 = invalid.');
  out += arr('HAS_MODRM', 'Uint8Array', hasModrm, '1 if the (map, opcode) slot has a ModRM byte.');
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(OUTPUT_PATH, generateSource());
  console.log(`wrote ${OUTPUT_PATH}`);
}
