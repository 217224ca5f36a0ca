// Source lines -> statements (labels, directives, instructions with operand trees).
import { Register } from '@typevisor/x86-decode';
import { Cursor, type Expr, parseExpr } from './expression.ts';
import { tokenize } from './lexer.ts';
import { registerByName } from './registers.ts';

/** A written operand before evaluation. */
export type OperandSyntax =
  | { kind: 'reg'; reg: number; column: number }
  | { kind: 'imm'; expr: Expr; size: number; jump: '' | 'short' | 'near'; column: number }
  | { kind: 'far'; selector: Expr; offset: Expr; size: number; column: number }
  | {
      kind: 'mem';
      size: number;
      far: boolean;
      segment: number;
      rel: boolean;
      /** base/index terms and the displacement tree, split out of the bracket contents. */
      body: Expr;
      column: number;
    };

/** One data item of db/dw/dd/dq: an expression or a string. */
export type DataItem = { kind: 'expr'; expr: Expr } | { kind: 'str'; text: string };

/** A parsed statement. `times` wraps another statement. */
export type Statement =
  | { kind: 'label'; name: string; column: number }
  | { kind: 'equ'; name: string; expr: Expr; column: number }
  | { kind: 'bits'; bits: 16 | 32 | 64; column: number }
  | { kind: 'org'; expr: Expr; column: number }
  | { kind: 'data'; width: number; items: DataItem[]; column: number }
  | { kind: 'reserve'; width: number; count: Expr; column: number }
  | { kind: 'align'; expr: Expr; fill: number; column: number }
  | { kind: 'times'; count: Expr; body: Statement; column: number }
  | { kind: 'insn'; mnemonic: string; prefixes: number; operands: OperandSyntax[]; column: number };

/** A source line's statements. */
export interface ParsedLine {
  line: number;
  source: string;
  statements: Statement[];
}

const SIZE_KEYWORDS: Record<string, number> = {
  byte: 1,
  word: 2,
  dword: 4,
  fword: 6,
  qword: 8,
  tword: 10,
  tbyte: 10,
  oword: 16,
  xmmword: 16,
  yword: 32,
  ymmword: 32,
  zword: 64,
  zmmword: 64,
};
const DATA: Record<string, number> = { db: 1, dw: 2, dd: 4, dq: 8, dt: 10, do: 16, dy: 32, dz: 64 };
const RESERVE: Record<string, number> = { resb: 1, resw: 2, resd: 4, resq: 8, rest: 10, reso: 16, resy: 32, resz: 64 };
// lock/rep bits, then NASM's operand- and address-size keywords (PREFIX_O16.. in encoder.ts)
const PREFIX_WORDS: Record<string, number> = {
  lock: 1,
  rep: 2,
  repe: 2,
  repz: 2,
  repne: 4,
  repnz: 4,
  o16: 8,
  o32: 16,
  o64: 32,
  a16: 64,
  a32: 128,
  a64: 256,
};
const SIZE_PREFIXES = 8 | 16 | 32;
const ADDRESS_PREFIXES = 64 | 128 | 256;
const IGNORED = new Set(['section', 'segment', 'global', 'extern', 'default', 'cpu']);
const SEGMENTS: Record<string, number> = {
  es: Register.ES,
  cs: Register.CS,
  ss: Register.SS,
  ds: Register.DS,
  fs: Register.FS,
  gs: Register.GS,
};

const isDirectiveWord = (w: string): boolean =>
  w in DATA || w in RESERVE || w === 'equ' || w === 'times' || w === 'align' || w === 'alignb';

/** Parses every line of `source`. */
export function parseSource(source: string): ParsedLine[] {
  const lines = source.split('\n');
  return lines.map((text, i) => ({ line: i + 1, source: text.replace(/\r$/, ''), statements: parseLine(text, i + 1) }));
}

function parseLine(text: string, line: number): Statement[] {
  const c = new Cursor(tokenize(text, line), line);
  const out: Statement[] = [];
  if (c.atEnd()) return out;
  // %define NAME expr / %assign NAME expr: a constant, like equ (no textual macros)
  if (c.is('%') && c.tokens[c.pos + 1]!.kind === 'ident') {
    const directive = c.tokens[c.pos + 1]!.text.toLowerCase();
    if (directive !== 'define' && directive !== 'assign')
      throw c.error('expected %define or %assign (no other preprocessor directives)');
    c.next();
    c.next();
    const name = c.next();
    if (name.kind !== 'ident') throw c.error('expected a name', name);
    out.push({ kind: 'equ', name: name.text, expr: parseExpr(c), column: name.column });
    expectEnd(c);
    return out;
  }
  // [bits 32] style
  if (c.is('[')) {
    c.next();
    const s = parseStatement(c);
    c.expect(']', "']'");
    out.push(s);
  } else {
    const first = c.peek;
    const second = c.tokens[c.pos + 1]!;
    if (first.kind === 'ident' && second.kind === 'punct' && second.text === ':') {
      c.next();
      c.next();
      out.push({ kind: 'label', name: first.text, column: first.column });
    } else if (
      first.kind === 'ident' &&
      second.kind === 'ident' &&
      isDirectiveWord(second.text.toLowerCase()) &&
      !isDirectiveWord(first.text.toLowerCase())
    ) {
      // NASM: `msg db "hi"` / `N equ 5` (label without a colon before a data directive)
      c.next();
      if (second.text.toLowerCase() === 'equ') {
        c.next();
        out.push({ kind: 'equ', name: first.text, expr: parseExpr(c), column: first.column });
        expectEnd(c);
        return out;
      }
      out.push({ kind: 'label', name: first.text, column: first.column });
    }
    if (!c.atEnd()) out.push(parseStatement(c));
  }
  expectEnd(c);
  return out;
}

function expectEnd(c: Cursor): void {
  if (!c.atEnd()) throw c.error('expected end of line');
}

function parseStatement(c: Cursor): Statement {
  const t = c.next();
  if (t.kind !== 'ident') throw c.error('expected a mnemonic, directive or label', t);
  const w = t.text.toLowerCase();
  const column = t.column;
  if (w === 'bits' || w === 'use16' || w === 'use32' || w === 'use64') {
    let bits = Number(w.slice(3));
    if (w === 'bits') {
      const n = c.next();
      bits = n.kind === 'num' ? n.lo : Number.NaN;
      if (bits !== 16 && bits !== 32 && bits !== 64) throw c.error('expected 16, 32 or 64', n);
    }
    return { kind: 'bits', bits: bits as 16 | 32 | 64, column };
  }
  if (w === 'org') return { kind: 'org', expr: parseExpr(c), column };
  if (w in DATA) {
    const items: DataItem[] = [];
    do {
      if (c.peek.kind === 'str') {
        // a string alone is bytes; a string inside an expression is a character constant
        const s = c.peek;
        const after = c.tokens[c.pos + 1]!;
        if (after.kind === 'eol' || (after.kind === 'punct' && after.text === ',')) {
          c.next();
          items.push({ kind: 'str', text: s.text });
          continue;
        }
      }
      items.push({ kind: 'expr', expr: parseExpr(c) });
    } while (c.accept(','));
    return { kind: 'data', width: DATA[w]!, items, column };
  }
  if (w in RESERVE) return { kind: 'reserve', width: RESERVE[w]!, count: parseExpr(c), column };
  if (w === 'align' || w === 'alignb') {
    const expr = parseExpr(c);
    return { kind: 'align', expr, fill: w === 'align' ? 0x90 : 0, column };
  }
  if (w === 'times') {
    const count = parseExpr(c);
    return { kind: 'times', count, body: parseStatement(c), column };
  }
  if (IGNORED.has(w)) {
    while (!c.atEnd()) c.next();
    return { kind: 'data', width: 1, items: [], column };
  }
  let prefixes = 0;
  let mnemonic = w;
  let mcol = column;
  while (mnemonic in PREFIX_WORDS) {
    const bit = PREFIX_WORDS[mnemonic]!;
    const group = bit & SIZE_PREFIXES ? SIZE_PREFIXES : bit & ADDRESS_PREFIXES ? ADDRESS_PREFIXES : 0;
    if (group !== 0 && (prefixes & group) !== 0 && (prefixes & group) !== bit)
      throw c.error(
        `conflicting ${group === SIZE_PREFIXES ? 'operand' : 'address'}-size prefixes`,
        c.tokens[c.pos - 1]!,
      );
    prefixes |= bit;
    if (c.atEnd()) {
      if (group !== 0) throw c.error(`expected a mnemonic after '${mnemonic}'`, c.tokens[c.pos - 1]!);
      break;
    }
    const m = c.next();
    if (m.kind !== 'ident') throw c.error('expected a mnemonic after the prefix', m);
    mnemonic = m.text.toLowerCase();
    mcol = m.column;
  }
  if (mnemonic in PREFIX_WORDS && c.atEnd()) {
    // a bare prefix line: emit it as a byte
    return { kind: 'data', width: 1, items: [{ kind: 'expr', expr: prefixByte(prefixes, mcol) }], column };
  }
  const operands: OperandSyntax[] = [];
  if (!c.atEnd()) {
    do operands.push(parseOperand(c));
    while (c.accept(','));
  }
  return { kind: 'insn', mnemonic, prefixes, operands, column: mcol };
}

function prefixByte(p: number, column: number): Expr {
  const b = p & 1 ? 0xf0 : p & 2 ? 0xf3 : 0xf2;
  return { op: 'num', lo: b, hi: 0, column };
}

function parseOperand(c: Cursor): OperandSyntax {
  const column = c.peek.column;
  let size = 0;
  let jump: '' | 'short' | 'near' = '';
  let far = false;
  for (;;) {
    const w = c.peek.kind === 'ident' ? c.peek.text.toLowerCase() : '';
    if (w in SIZE_KEYWORDS && !isRegisterNext(c)) {
      c.next();
      size = SIZE_KEYWORDS[w]!;
      c.accept('ptr');
    } else if (w === 'short' || w === 'near') {
      c.next();
      jump = w;
    } else if (w === 'far') {
      c.next();
      far = true;
    } else break;
  }
  // segment override written before the bracket: fs:[eax]
  let segment = 0;
  const w = c.peek.kind === 'ident' ? c.peek.text.toLowerCase() : '';
  if (w in SEGMENTS && c.tokens[c.pos + 1]!.text === ':' && c.tokens[c.pos + 2]!.text === '[') {
    c.next();
    c.next();
    segment = SEGMENTS[w]!;
  }
  if (c.accept('[')) {
    let rel = false;
    if (c.is('rel')) {
      c.next();
      rel = true;
    } else if (c.is('abs')) c.next();
    const s = c.peek.kind === 'ident' ? c.peek.text.toLowerCase() : '';
    if (s in SEGMENTS && c.tokens[c.pos + 1]!.text === ':') {
      c.next();
      c.next();
      segment = SEGMENTS[s]!;
    }
    const body = parseExpr(c, true);
    c.expect(']', "']'");
    return { kind: 'mem', size, far, segment, rel, body, column };
  }
  if (c.peek.kind === 'ident') {
    const name = c.peek.text.toLowerCase();
    // st(1) / st1 / st
    if (name === 'st' && c.tokens[c.pos + 1]!.text === '(') {
      c.next();
      c.next();
      const n = c.next();
      if (n.kind !== 'num' || n.lo > 7) throw c.error('expected an x87 register number 0-7', n);
      c.expect(')', "')'");
      return { kind: 'reg', reg: registerByName(`st${n.lo}`), column };
    }
    const r = registerByName(name);
    if (r !== 0 && (c.tokens[c.pos + 1]!.kind === 'eol' || c.tokens[c.pos + 1]!.text === ',')) {
      c.next();
      return { kind: 'reg', reg: r, column };
    }
  }
  const expr = parseExpr(c);
  if (c.accept(':')) return { kind: 'far', selector: expr, offset: parseExpr(c), size, column };
  return { kind: 'imm', expr, size, jump, column };
}

/** `word` etc. followed by `,`/end is not a size keyword but a symbol; never the case for registers. */
function isRegisterNext(c: Cursor): boolean {
  const n = c.tokens[c.pos + 1]!;
  return n.kind === 'eol' || (n.kind === 'punct' && n.text === ',');
}
