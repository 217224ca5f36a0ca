/** What went wrong, as a stable machine-readable code. */
export type AsmErrorCode =
  /** The source text does not parse (bad token, missing operand, unbalanced bracket...). */
  | 'syntax'
  /** The mnemonic is not one the instruction table knows. */
  | 'unknown-mnemonic'
  /** No encodable form of the mnemonic takes these operands in this mode. */
  | 'no-encoding'
  /** A memory operand without a size keyword matches forms of different sizes. */
  | 'size-ambiguous'
  /** A value does not fit the field it must go in (immediate, displacement, short jump). */
  | 'out-of-range'
  /** A symbol is used but never defined, or defined twice. */
  | 'symbol'
  /** Layout did not settle (jump relaxation kept changing sizes). */
  | 'layout'
  /** API misuse: a bad option value. */
  | 'usage';

/**
 * The one error @typevisor/x86-asm throws: API misuse, a syntax error, or an operand
 * combination with no encoding. `line`/`column` (1-based) point into the assembled source
 * when there is one, 0 otherwise; the message repeats them as `line:column`.
 *
 * @example
 * ```ts
 * try { assemble('mov al, bx'); } catch (e) { if (e instanceof AsmError) console.log(e.code, e.line); }
 * ```
 */
export class AsmError extends Error {
  override readonly name = 'AsmError';
  constructor(
    readonly code: AsmErrorCode,
    message: string,
    readonly line = 0,
    readonly column = 0,
    options?: { cause?: unknown },
  ) {
    super(line > 0 ? `${line}:${column}: ${message}` : message, options);
  }
}
