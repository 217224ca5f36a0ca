// NASM expressions: numbers, symbols, `$`, `$$`, character constants, registers (inside
// memory operands) and the operators | ^ & << >> + - * / % // %% unary - + ~ !, with NASM's precedence.
import { AsmError } from './asm-error.ts';
import type { Token } from './lexer.ts';
import { registerByName } from './registers.ts';

/** An expression tree. `reg` leaves only make sense inside `[...]`. */
export type Expr =
  | { op: 'num'; lo: number; hi: number; column: number }
  | { op: 'sym'; name: string; column: number }
  | { op: 'here'; column: number }
  | { op: 'start'; column: number }
  | { op: 'reg'; reg: number; column: number }
  | { op: 'neg' | 'not' | 'lnot'; a: Expr; column: number }
  | { op: 'bin'; operator: string; a: Expr; b: Expr; column: number };

/** A token cursor over one line. */
export class Cursor {
  pos = 0;
  constructor(
    readonly tokens: Token[],
    readonly line: number,
  ) {}
  get peek(): Token {
    return this.tokens[this.pos]!;
  }
  /** At the end of the line? */
  atEnd(): boolean {
    return this.tokens[this.pos]!.kind === 'eol';
  }
  next(): Token {
    const t = this.tokens[this.pos]!;
    if (t.kind !== 'eol') this.pos++;
    return t;
  }
  is(text: string): boolean {
    const t = this.tokens[this.pos]!;
    return (t.kind === 'punct' || t.kind === 'ident') && t.text.toLowerCase() === text;
  }
  accept(text: string): boolean {
    if (!this.is(text)) return false;
    this.pos++;
    return true;
  }
  expect(text: string, what = `'${text}'`): Token {
    if (!this.is(text)) throw this.error(`expected ${what}`);
    return this.next();
  }
  error(message: string, t: Token = this.peek): AsmError {
    const found = t.kind === 'eol' ? 'end of line' : `'${t.text}'`;
    return new AsmError('syntax', `${message}, found ${found}`, this.line, t.column);
  }
}

const BINARY_LEVELS: string[][] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%', '//', '%%']];

/** Parses an expression at the cursor. `allowRegisters` admits register leaves (memory operands). */
export function parseExpr(c: Cursor, allowRegisters = false): Expr {
  return parseLevel(c, 0, allowRegisters);
}

function parseLevel(c: Cursor, level: number, regs: boolean): Expr {
  if (level === BINARY_LEVELS.length) return parseUnary(c, regs);
  let a = parseLevel(c, level + 1, regs);
  for (;;) {
    const t = c.peek;
    if (t.kind !== 'punct' || !BINARY_LEVELS[level]!.includes(t.text)) return a;
    c.next();
    const b = parseLevel(c, level + 1, regs);
    a = { op: 'bin', operator: t.text, a, b, column: t.column };
  }
}

function parseUnary(c: Cursor, regs: boolean): Expr {
  const t = c.peek;
  if (t.kind === 'punct') {
    if (t.text === '-' || t.text === '~' || t.text === '!') {
      c.next();
      return { op: t.text === '-' ? 'neg' : t.text === '~' ? 'not' : 'lnot', a: parseUnary(c, regs), column: t.column };
    }
    if (t.text === '+') {
      c.next();
      return parseUnary(c, regs);
    }
    if (t.text === '(') {
      c.next();
      const e = parseLevel(c, 0, regs);
      c.expect(')', "')'");
      return e;
    }
  }
  if (t.kind === 'num') {
    c.next();
    return { op: 'num', lo: t.lo, hi: t.hi, column: t.column };
  }
  if (t.kind === 'str') {
    // NASM character constant: little-endian bytes of the string.
    c.next();
    if (t.text.length > 8) throw new AsmError('syntax', 'character constant longer than 8 bytes', c.line, t.column);
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < t.text.length; i++) {
      const b = t.text.charCodeAt(i) & 0xff;
      if (i < 4) lo += b * 2 ** (8 * i);
      else hi += b * 2 ** (8 * (i - 4));
    }
    return { op: 'num', lo: lo >>> 0, hi: hi | 0, column: t.column };
  }
  if (t.kind === 'ident') {
    c.next();
    if (t.text === '$') return { op: 'here', column: t.column };
    if (t.text === '$$') return { op: 'start', column: t.column };
    const lower = t.text.toLowerCase();
    const r = registerByName(lower);
    if (r !== 0) {
      if (!regs)
        throw new AsmError('syntax', `register '${t.text}' cannot appear in an expression here`, c.line, t.column);
      return { op: 'reg', reg: r, column: t.column };
    }
    return { op: 'sym', name: t.text, column: t.column };
  }
  throw c.error('expected an expression');
}

/** An evaluated value: a safe integer plus how many label addresses it carries (0 = constant). */
export interface Value {
  value: number;
  /** Exact 64-bit halves; equal to `value` unless the value came from a literal beyond 2^53. */
  lo: number;
  hi: number;
  /** Net count of label/`$` terms (label - label = 0): non-zero values are relocatable. */
  reloc: number;
  /** False when a symbol is not (yet) defined. */
  known: boolean;
}

/** Resolves a symbol for {@link evaluate}. */
export interface Scope {
  here: number;
  start: number;
  lookup(name: string, column: number): { value: number; reloc: number; known: boolean };
}

const TWO32 = 4294967296;

function val(value: number, reloc: number, known: boolean): Value {
  return { value, lo: value >>> 0, hi: Math.floor(value / TWO32) | 0, reloc, known };
}

/** Splits a safe integer into 32-bit halves, applies a 32-bit operation to each, and joins them. */
function bitwise(a: number, b: number, f: (x: number, y: number) => number): number {
  const hi = f(Math.floor(a / TWO32) | 0, Math.floor(b / TWO32) | 0);
  const lo = f(a >>> 0, b >>> 0) >>> 0;
  return hi * TWO32 + lo;
}

/** Evaluates an expression; register leaves are an error here (memory operands split them out first). */
export function evaluate(e: Expr, scope: Scope, line: number): Value {
  switch (e.op) {
    case 'num': {
      const v = e.hi * TWO32 + e.lo;
      return { value: v, lo: e.lo, hi: e.hi, reloc: 0, known: true };
    }
    case 'here':
      return val(scope.here, 1, true);
    case 'start':
      return val(scope.start, 1, true);
    case 'sym': {
      const s = scope.lookup(e.name, e.column);
      return val(s.value, s.reloc, s.known);
    }
    case 'reg':
      throw new AsmError('syntax', 'a register cannot be part of this expression', line, e.column);
  }
  const a = evaluate(e.a, scope, line);
  if (e.op === 'neg') {
    // exact for big literals too
    const lo = (~a.lo + 1) >>> 0;
    const hi = (~a.hi + (lo === 0 ? 1 : 0)) | 0;
    return { value: -a.value, lo, hi, reloc: -a.reloc, known: a.known };
  }
  if (e.op === 'not') return { value: -a.value - 1, lo: ~a.lo >>> 0, hi: ~a.hi, reloc: 0, known: a.known };
  if (e.op === 'lnot') return val(a.value === 0 ? 1 : 0, 0, a.known);
  const u = e as Extract<Expr, { op: 'bin' }>;
  const b = evaluate(u.b, scope, line);
  const known = a.known && b.known;
  let v: number;
  let reloc = 0;
  switch (u.operator) {
    case '+':
      v = a.value + b.value;
      reloc = a.reloc + b.reloc;
      break;
    case '-':
      v = a.value - b.value;
      reloc = a.reloc - b.reloc;
      break;
    case '*':
      v = a.value * b.value;
      reloc = a.reloc !== 0 || b.reloc !== 0 ? 1 : 0;
      break;
    case '/':
    case '//':
    case '%':
    case '%%':
      if (b.value === 0) {
        if (!known) return val(0, 0, false);
        throw new AsmError('syntax', 'division by zero', line, u.column);
      }
      if (u.operator === '/' || u.operator === '//') v = Math.trunc(a.value / b.value);
      else v = a.value % b.value;
      break;
    case '<<':
      v = a.value * 2 ** (b.value & 63);
      break;
    case '>>':
      v = Math.floor(a.value / 2 ** (b.value & 63));
      break;
    case '&':
      v = bitwise(a.value, b.value, (x, y) => x & y);
      break;
    case '|':
      v = bitwise(a.value, b.value, (x, y) => x | y);
      break;
    case '^':
      v = bitwise(a.value, b.value, (x, y) => x ^ y);
      break;
    default:
      throw new AsmError('syntax', `unknown operator ${u.operator}`, line, u.column);
  }
  if (!Number.isSafeInteger(v)) {
    if (!known) return val(0, reloc, false);
    throw new AsmError('out-of-range', 'value beyond 2^53: write such constants as a single literal', line, u.column);
  }
  return val(v, reloc, known);
}
