/** One listing line: where a source line landed and what it emitted. */
export interface ListingLine {
  /** Address of the first byte the line emitted (or of its label). */
  address: number;
  /** The bytes the line emitted (empty for a label-only line). */
  bytes: Uint8Array;
  /** 1-based source line number. */
  line: number;
  /** The source text of the line. */
  source: string;
}

const hex = (v: number, width: number): string => v.toString(16).padStart(width, '0');

/**
 * Formats a listing as text, NASM-style: line number, address, up to 10 bytes of hex per row, source.
 *
 * @example
 * ```ts
 * import { assemble, formatListing } from '@typevisor/x86-asm';
 * console.log(formatListing(assemble('nop\nhlt', { bits: 16 }).listing));
 * //      1 00000000 90                   nop
 * //      2 00000001 f4                   hlt
 * ```
 */
export function formatListing(listing: readonly ListingLine[]): string {
  const rows: string[] = [];
  for (const l of listing) {
    const chunks: string[] = [];
    for (let i = 0; i < l.bytes.length; i += 10)
      chunks.push([...l.bytes.subarray(i, i + 10)].map((b) => hex(b, 2)).join(''));
    if (chunks.length === 0) chunks.push('');
    chunks.forEach((c, i) => {
      const addr = hex(l.address + i * 10, 8);
      rows.push(`${String(l.line).padStart(6)} ${addr} ${c.padEnd(20)} ${i === 0 ? l.source : ''}`.trimEnd());
    });
  }
  return rows.join('\n');
}
