// Every form of the shared instruction table, encoded with random operands by this package and
// decoded by @typevisor/x86-decode, must format exactly as iced-x86 formats the same bytes. This
// reaches forms that random bytes almost never hit (long VEX encodings, rare prefixes).
import { createRequire } from 'node:module';
import { AttFormatter, codeName, DecodeStatus, Decoder, Instruction, IntelFormatter } from '@typevisor/x86-decode';
import { describe, expect, it } from 'vitest';
import { encodeCodeInto } from './encoder.ts';
import { BRANCH_IP, buildCorpus } from './testing/corpus.ts';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: iced-x86 ships CommonJS with wasm glue
const iced: any = require('iced-x86');

const PER_FORM = process.env.TYPEVISOR_LONG ? 8 : 2;
const hex = (b: ArrayLike<number>): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

interface Sample {
  label: string;
  bytes: Uint8Array;
  ours: Instruction;
  // biome-ignore lint/suspicious/noExplicitAny: an iced-x86 Instruction
  theirs: any;
}

/** Every corpus line encoded, decoded by both decoders; lines they decode differently are left out. */
function samples(): Sample[] {
  const out = new Uint8Array(16);
  const list: Sample[] = [];
  for (const line of buildCorpus(PER_FORM, 7, false)) {
    const n = encodeCodeInto(out, 0, line.code, line.operands, line.bits, BRANCH_IP, 0);
    const bytes = out.slice(0, n);
    const ours = new Instruction();
    new Decoder(line.bits, bytes, { ip: BRANCH_IP }).decodeOut(ours);
    const decoder = new iced.Decoder(line.bits, bytes, iced.DecoderOptions.None);
    decoder.ip = BigInt(BRANCH_IP);
    const theirs = decoder.decode();
    // a length or validity difference is the decoder differential's business
    if (ours.status !== DecodeStatus.Ok || theirs.isInvalid || theirs.length !== n) continue;
    list.push({ label: `${line.bits}: ${codeName(ours.code)} [${hex(bytes)}]`, bytes, ours, theirs });
  }
  return list;
}

describe('decoder formatters on every encodable form', () => {
  const all = samples();

  it.each([
    ['Intel', () => new IntelFormatter(), iced.FormatterSyntax.Intel],
    ['AT&T', () => new AttFormatter(), iced.FormatterSyntax.Gas],
  ] as const)(
    `formats %s text like iced-x86 (${PER_FORM} random instances per form and mode)`,
    (name, make, syntax) => {
      const ours = make();
      const theirs = new iced.Formatter(syntax);
      const differ: string[] = [];
      for (const s of all) {
        const expected = theirs.format(s.theirs);
        const actual = ours.format(s.ours);
        if (expected !== actual) differ.push(`${s.label} iced ${expected} / ours ${actual}`);
      }
      console.log(`${name} on every form: ${all.length - differ.length}/${all.length} identical to iced-x86`);
      expect(differ.slice(0, 20)).toEqual([]);
      expect(all.length).toBeGreaterThan(10_000);
    },
  );
});
