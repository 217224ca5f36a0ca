// Differential harness: decodes the same bytes with iced-x86 and with this package and
// reports where they disagree. Used by the differential tests and scripts/diff.ts.
import { createRequire } from 'node:module';
import { Decoder } from '../src/decoder.ts';
import { Instruction } from '../src/instruction.ts';
import { IntelFormatter } from '../src/intel-formatter.ts';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: iced-x86 ships CommonJS with wasm glue
const iced: any = require('iced-x86');

export interface Disagreement {
  offset: number;
  hex: string;
  ours: string;
  theirs: string;
  oursLength: number;
  theirsLength: number;
}

export interface Comparison {
  /** Instructions compared (positions iced decoded; an invalid byte counts as one). */
  total: number;
  /** Same validity and, when valid, same length. */
  sameLength: number;
  /** Same formatted text (or both invalid). */
  sameText: number;
  disagreements: Disagreement[];
}

/**
 * Walks `bytes` the way a disassembler does (iced's length, or one byte when iced finds it
 * invalid) and compares every position.
 */
export function compareWithIced(bitness: 16 | 32 | 64, bytes: Uint8Array, ip: number, maxReport = 50): Comparison {
  const d = new iced.Decoder(bitness, bytes, iced.DecoderOptions.None);
  const f = new iced.Formatter(iced.FormatterSyntax.Intel);
  const theirs = new iced.Instruction();
  const ours = new Instruction();
  const dec = new Decoder(bitness, bytes);
  const fmt = new IntelFormatter();
  const result: Comparison = { total: 0, sameLength: 0, sameText: 0, disagreements: [] };
  let pos = 0;
  while (pos < bytes.length) {
    d.position = pos;
    d.ip = BigInt(ip + pos);
    d.decodeOut(theirs);
    const theirInvalid = theirs.isInvalid;
    const tLen = theirInvalid ? 1 : theirs.length;
    dec.decodeAt(ours, pos, (ip + pos) >>> 0, Math.floor((ip + pos) / 4294967296));
    const ourInvalid = ours.status !== 0;
    result.total++;
    const lenOk = theirInvalid ? ourInvalid : !ourInvalid && ours.length === theirs.length;
    if (lenOk) result.sameLength++;
    const tText = theirInvalid ? '(bad)' : f.format(theirs);
    const oText = fmt.format(ours);
    if (lenOk && tText === oText) result.sameText++;
    else if (result.disagreements.length < maxReport) {
      const n = Math.max(theirInvalid ? 1 : theirs.length, Math.min(ours.length, 15));
      result.disagreements.push({
        offset: pos,
        hex: Array.from(bytes.subarray(pos, pos + n), (x) => x.toString(16).padStart(2, '0')).join(''),
        ours: oText,
        theirs: tText,
        oursLength: ours.length,
        theirsLength: theirInvalid ? 0 : theirs.length,
      });
    }
    pos += tLen;
  }
  theirs.free?.();
  d.free?.();
  f.free?.();
  return result;
}
