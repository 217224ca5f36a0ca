// Splits one source line into tokens (NASM syntax: `;` comments, 0x/h/b/o/q numbers, quoted strings).
import { AsmError } from './asm-error.ts';

/** Token kinds. `num` carries an exact 64-bit value as `lo`/`hi`. */
export type TokenKind = 'ident' | 'num' | 'str' | 'punct' | 'eol';

/** One token; `column` is 1-based. */
export interface Token {
  kind: TokenKind;
  text: string;
  column: number;
  /** Numbers: low 32 bits (unsigned) and high 32 bits (signed) of the value. */
  lo: number;
  hi: number;
}

const IDENT_START = /[A-Za-z_.$@?]/;
const IDENT_PART = /[A-Za-z0-9_.$@?#~]/;
const TWO_CHAR = new Set(['<<', '>>', '//', '%%', '==', '!=', '<=', '>=', '&&', '||']);

/** Parses a numeric literal (`0x1F`, `1Fh`, `0b101`, `101b`, `17o`, `17q`, `0o17`, `42`, `1_000`) exactly. */
export function parseNumber(text: string): { lo: number; hi: number } | null {
  const t = text.toLowerCase().replace(/_/g, '');
  let digits: string;
  let radix: number;
  if (/^0x[0-9a-f]+$/.test(t)) [digits, radix] = [t.slice(2), 16];
  else if (/^\$[0-9][0-9a-f]*$/.test(t)) [digits, radix] = [t.slice(1), 16];
  else if (/^0b[01]+$/.test(t)) [digits, radix] = [t.slice(2), 2];
  else if (/^0[oq][0-7]+$/.test(t)) [digits, radix] = [t.slice(2), 8];
  else if (/^0d[0-9]+$/.test(t)) [digits, radix] = [t.slice(2), 10];
  else if (/^[0-9][0-9a-f]*h$/.test(t)) [digits, radix] = [t.slice(0, -1), 16];
  else if (/^[01]+[by]$/.test(t)) [digits, radix] = [t.slice(0, -1), 2];
  else if (/^[0-7]+[oq]$/.test(t)) [digits, radix] = [t.slice(0, -1), 8];
  else if (/^[0-9]+d?$/.test(t)) [digits, radix] = [t.replace(/d$/, ''), 10];
  else return null;
  // Exact 64-bit accumulation in two 32-bit halves (values wrap modulo 2^64 like NASM's).
  let lo = 0;
  let hi = 0;
  for (const ch of digits) {
    const d = Number.parseInt(ch, 16);
    const l = lo * radix + d;
    const carry = Math.floor(l / 4294967296);
    lo = l >>> 0;
    hi = (hi * radix + carry) % 4294967296;
  }
  return { lo, hi: hi | 0 };
}

/** Tokenises one line (comment stripped). Throws a `syntax` AsmError with the column. */
export function tokenize(line: string, lineNo: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = line.length;
  const push = (kind: TokenKind, text: string, column: number, lo = 0, hi = 0): void => {
    out.push({ kind, text, column, lo, hi });
  };
  while (i < n) {
    const c = line[i]!;
    if (c === ';') break;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c) || (c === '$' && /[0-9]/.test(line[i + 1] ?? ''))) {
      i++;
      while (i < n && /[0-9A-Za-z_]/.test(line[i]!)) i++;
      const text = line.slice(start, i);
      const v = parseNumber(text);
      if (!v) throw new AsmError('syntax', `bad number '${text}'`, lineNo, start + 1);
      push('num', text, start + 1, v.lo, v.hi);
      continue;
    }
    if (IDENT_START.test(c)) {
      i++;
      while (i < n && IDENT_PART.test(line[i]!)) i++;
      push('ident', line.slice(start, i), start + 1);
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      i++;
      let s = '';
      while (i < n && line[i] !== c) {
        if (c === '`' && line[i] === '\\' && i + 1 < n) {
          const e = line[i + 1]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '0' ? '\0' : e;
          i += 2;
          continue;
        }
        s += line[i];
        i++;
      }
      if (i >= n) throw new AsmError('syntax', `unterminated string: expected ${c}`, lineNo, start + 1);
      i++;
      push('str', s, start + 1);
      continue;
    }
    const two = line.slice(i, i + 2);
    if (TWO_CHAR.has(two)) {
      push('punct', two, start + 1);
      i += 2;
      continue;
    }
    if ('[](),:+-*/%&|^~!<>='.includes(c)) {
      push('punct', c, start + 1);
      i++;
      continue;
    }
    throw new AsmError('syntax', `unexpected character '${c}'`, lineNo, start + 1);
  }
  push('eol', '', n + 1);
  return out;
}
