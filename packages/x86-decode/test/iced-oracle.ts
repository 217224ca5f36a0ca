// Differential harness: decodes the same bytes with iced-x86 and with this package and
// reports where they disagree. Used by the differential tests and scripts/diff.ts.
import { createRequire } from 'node:module';
import { AttFormatter } from '../src/att-formatter.ts';
import { Decoder } from '../src/decoder.ts';
import { DecodeStatus, Instruction } from '../src/instruction.ts';
import { IntelFormatter } from '../src/intel-formatter.ts';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: iced-x86 ships CommonJS with wasm glue
const iced: any = require('iced-x86');

export interface Disagreement {
  offset: number;
  /** A disagreement class we know and document (README), or '' when it is a new one. */
  knownClass: string;
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
  /** Disagreements outside the known classes (must stay 0). */
  unknown: number;
  /** EVEX instructions iced decodes, how many of them we measure to the same length, and how many we decode (Ok). */
  evexTotal: number;
  evexSameLength: number;
  evexDecoded: number;
  /** Disagreements per known class. */
  byClass: Record<string, number>;
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
  const result: Comparison = {
    total: 0,
    sameLength: 0,
    sameText: 0,
    unknown: 0,
    evexTotal: 0,
    evexSameLength: 0,
    evexDecoded: 0,
    byClass: {},
    disagreements: [],
  };
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
    if (!theirInvalid && theirs.encoding === 2) {
      result.evexTotal++;
      if (ours.length === theirs.length) result.evexSameLength++;
      if (ours.status === DecodeStatus.Ok) result.evexDecoded++;
    }
    const tText = theirInvalid ? '(bad)' : f.format(theirs);
    const oText = fmt.format(ours);
    if (lenOk && tText === oText) result.sameText++;
    else {
      // an EVEX form we decode (status Ok or Invalid) must agree; only EVEX encodings we leave
      // Unsupported (exact length) are a known class
      const known =
        theirInvalid || (theirs.encoding === 2 && ours.status !== DecodeStatus.Unsupported)
          ? ''
          : knownClass(theirs.encoding);
      if (known === '') result.unknown++;
      else result.byClass[known] = (result.byClass[known] ?? 0) + 1;
      // keep every unknown one (up to maxReport) even after the known ones filled the list
      if (result.disagreements.length >= maxReport && (known !== '' || result.unknown > maxReport)) {
        pos += tLen;
        continue;
      }
      const n = Math.max(theirInvalid ? 1 : theirs.length, Math.min(ours.length, 15));
      result.disagreements.push({
        offset: pos,
        knownClass: known,
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

// iced-x86 EncodingKind: Legacy 0, VEX 1, EVEX 2, XOP 3, D3NOW 4, MVEX 5
/**
 * The documented class of an instruction we do not decode yet (README "Known disagreements"),
 * or '' for a disagreement no class explains. Every Legacy and VEX instruction iced decodes with
 * default options is decoded here (test/iced-code-sweep.test.ts), so only the encodings the
 * issue leaves out remain.
 */
export function knownClass(encoding: number): string {
  if (encoding === 2) return 'EVEX (AVX-512) not decoded';
  if (encoding === 3) return 'XOP (AMD)';
  if (encoding === 4) return '3DNow! (AMD)';
  if (encoding === 5) return 'MVEX';
  return '';
}

export interface EachComparison {
  /** Encodings iced decodes as valid. */
  valid: number;
  /** Disagreements per known class (knownClass). */
  known: Map<string, number>;
  /** Disagreements outside the known classes, as `bytes: iced text (len) / ours text (len)`. */
  unknown: string[];
}

/**
 * Prefix combinations the opcode-space sweeps put in front of every encoding: none, each
 * mandatory prefix, two of them in both orders (the last of F2/F3 wins, 66 yields to both), 67,
 * LOCK, and REX.W alone and after a mandatory prefix (REX.W mixes are skipped outside 64-bit mode).
 */
export const PREFIX_MIXES: readonly (readonly number[])[] = [
  [],
  [0x66],
  [0xf3],
  [0xf2],
  [0x66, 0xf3],
  [0xf3, 0x66],
  [0x66, 0xf2],
  [0xf2, 0xf3],
  [0xf3, 0xf2],
  [0x67],
  [0xf0],
  [0x48],
  [0xf3, 0x48],
  [0x66, 0x48],
  [0xf2, 0x48],
];

/**
 * Decodes each encoding on its own (zero bytes after it) with iced-x86 and with this package and
 * compares validity, length, Intel text and, where those agree, AT&T text (iced's GAS formatter). For exhaustive sweeps of an opcode space, where a
 * walk over one buffer would desynchronise at the first invalid encoding.
 */
export function compareEach(bitness: 16 | 32 | 64, encodings: readonly (readonly number[])[]): EachComparison {
  const SLOT = 16;
  const buf = new Uint8Array(encodings.length * SLOT);
  encodings.forEach((e, i) => {
    buf.set(e, i * SLOT);
  });
  const d = new iced.Decoder(bitness, buf, iced.DecoderOptions.None);
  const f = new iced.Formatter(iced.FormatterSyntax.Intel);
  const theirs = new iced.Instruction();
  const ours = new Instruction();
  const dec = new Decoder(bitness, buf);
  const fmt = new IntelFormatter();
  const gas = new iced.Formatter(iced.FormatterSyntax.Gas);
  const att = new AttFormatter();
  const result: EachComparison = { valid: 0, known: new Map(), unknown: [] };
  for (let i = 0; i < encodings.length; i++) {
    const pos = i * SLOT;
    d.position = pos;
    d.ip = 0x1000n;
    d.decodeOut(theirs);
    dec.setBuffer(buf, pos, pos + SLOT);
    dec.decodeAt(ours, pos, 0x1000, 0);
    const tInvalid = theirs.isInvalid;
    const oInvalid = ours.status !== 0;
    if (!tInvalid) result.valid++;
    if (tInvalid && oInvalid) continue;
    const tText = tInvalid ? '(bad)' : f.format(theirs);
    const oText = oInvalid ? '(bad)' : fmt.format(ours);
    if (!tInvalid && !oInvalid && ours.length === theirs.length && tText === oText) {
      const tAtt = gas.format(theirs);
      const oAtt = att.format(ours);
      if (tAtt !== oAtt)
        result.unknown.push(
          `${encodings[i]!.map((x) => x.toString(16).padStart(2, '0')).join(' ')}: iced GAS ${tAtt} / ours ${oAtt}`,
        );
      continue;
    }
    const cls = tInvalid ? '' : knownClass(theirs.encoding);
    if (cls !== '') result.known.set(cls, (result.known.get(cls) ?? 0) + 1);
    else
      result.unknown.push(
        `${encodings[i]!.map((x) => x.toString(16).padStart(2, '0')).join(' ')}: iced ${tText} (${tInvalid ? 0 : theirs.length}) / ours ${oText} (${oInvalid ? 0 : ours.length})`,
      );
  }
  theirs.free?.();
  d.free?.();
  f.free?.();
  gas.free?.();
  return result;
}

/** Deterministic pseudo-random bytes (LCG), so failures reproduce. */
export function randomBytes(count: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(count);
  let x = seed >>> 0;
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}
