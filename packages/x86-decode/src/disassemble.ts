import { AttFormatter } from './att-formatter.ts';
import { Decoder } from './decoder.ts';
import { DecodeStatus, Instruction } from './instruction.ts';
import { IntelFormatter } from './intel-formatter.ts';

/** Options for {@link disassembleLines}. */
export interface DisassembleOptions {
  /** 16, 32 or 64; default 64. */
  bitness?: 16 | 32 | 64;
  /** Address of the first byte (below 2^53); default 0. */
  ip?: number;
  /** `intel` (default, iced-x86's Intel text) or `att` (iced-x86's GNU as text). */
  syntax?: 'intel' | 'att';
}

const hex2 = (b: number): string => (b < 16 ? '0' : '') + b.toString(16);

/**
 * Disassembles a buffer objdump-style: one line per instruction,
 * `offset<TAB>length<TAB>hex bytes<TAB>text` (offset as 8 lowercase hex digits). An invalid or
 * truncated encoding prints `(bad)` for one byte and decoding resumes at the next byte.
 *
 * @example
 * ```ts
 * disassembleLines(new Uint8Array([0x90, 0x48, 0x8b, 0x07]));
 * // ['00000000\t1\t90\tnop', '00000001\t3\t48 8b 07\tmov rax,[rdi]']
 * ```
 */
export function disassembleLines(bytes: Uint8Array, options: DisassembleOptions = {}): string[] {
  const lines: string[] = [];
  disassembleEach(bytes, options, (line) => lines.push(line));
  return lines;
}

/**
 * Streaming form of {@link disassembleLines}: calls `onLine` for each line. The printed
 * offset is the address (`ip` + offset in `bytes`).
 */
export function disassembleEach(bytes: Uint8Array, options: DisassembleOptions, onLine: (line: string) => void): void {
  const decoder = new Decoder(options.bitness ?? 64, bytes, { ip: options.ip ?? 0 });
  const insn = new Instruction();
  const formatter = options.syntax === 'att' ? new AttFormatter() : new IntelFormatter();
  let offset = 0;
  while (offset < bytes.length) {
    const ip = (options.ip ?? 0) + offset;
    decoder.decodeAt(insn, offset, ip >>> 0, Math.floor(ip / 4294967296));
    const ok = insn.status === DecodeStatus.Ok;
    const len = ok ? insn.length : 1;
    let hex = '';
    for (let i = 0; i < len; i++) hex += (i === 0 ? '' : ' ') + hex2(bytes[offset + i]!);
    onLine(`${ip.toString(16).padStart(8, '0')}\t${len}\t${hex}\t${ok ? formatter.format(insn) : '(bad)'}`);
    offset += len;
  }
}
