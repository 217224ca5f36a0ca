// The tagged template: asm`mov eax, ${value}` assembles with TypeScript values spliced in.
import { AsmError } from './asm-error.ts';
import { type AssembleOptions, type AssembleResult, assemble } from './assembler.ts';

/** A value that may be interpolated into assembly source. */
export type AsmValue = number | bigint | string | boolean | readonly (number | bigint)[];

/** Turns an interpolated value into source text (numbers as hex literals, arrays as `a, b, c`). */
function toSource(v: AsmValue, index: number): string {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v))
      throw new AsmError('usage', `interpolated value #${index} (${v}) is not a safe integer`);
    return v < 0 ? `(-0x${(-v).toString(16)})` : `0x${v.toString(16)}`;
  }
  if (typeof v === 'bigint') {
    const m = BigInt.asUintN(64, v);
    return `0x${m.toString(16)}`;
  }
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x, i) => toSource(x as number | bigint, i)).join(', ');
  throw new AsmError('usage', `interpolated value #${index} has an unsupported type`);
}

/** A tag function: call it with a template literal. */
export type AsmTag = (strings: TemplateStringsArray, ...values: AsmValue[]) => AssembleResult;

function tagWith(options: AssembleOptions): AsmTag {
  return (strings, ...values) => {
    let src = strings.raw[0]!;
    for (let i = 0; i < values.length; i++) src += toSource(values[i]!, i) + strings.raw[i + 1]!;
    return assemble(src, options);
  };
}

/**
 * Assembles a template literal (64-bit code at address 0 unless the source says `bits`/`org`).
 * Interpolated numbers and bigints become hex literals, strings are spliced in as source
 * text (register names, labels, whole lines), arrays of numbers become `a, b, c` lists for `db`.
 * `asm.with({ bits: 16, org: 0x7c00 })` gives a tag with other defaults.
 *
 * @example
 * ```ts
 * import { asm } from '@typevisor/x86-asm';
 * const port = 0x3f8;
 * const { bytes } = asm`
 *   mov dx, ${port}
 *   mov al, 'A'
 *   out dx, al
 *   hlt`;
 * ```
 */
export const asm: AsmTag & { with(options: AssembleOptions): AsmTag } = Object.assign(tagWith({}), {
  with: (options: AssembleOptions): AsmTag => tagWith(options),
});
