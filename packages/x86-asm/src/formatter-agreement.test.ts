// Every form of the shared instruction table, encoded with random operands by this package and
// decoded by @typevisor/x86-decode, must format exactly as iced-x86 formats the same bytes. This
// reaches forms that random bytes almost never hit (long VEX encodings, rare prefixes).
import { createRequire } from 'node:module';
import { AttFormatter, codeName, DecodeStatus, Decoder, Instruction } from '@typevisor/x86-decode';
import { describe, expect, it } from 'vitest';
import { encodeCodeInto } from './encoder.ts';
import { BRANCH_IP, buildCorpus } from './testing/corpus.ts';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: iced-x86 ships CommonJS with wasm glue
const iced: any = require('iced-x86');

const PER_FORM = process.env.TYPEVISOR_LONG ? 8 : 2;
const hex = (b: ArrayLike<number>): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

describe('decoder formatters on every encodable form', () => {
  it(`formats AT&T text like iced-x86's GAS formatter (${PER_FORM} random instances per form and mode)`, () => {
    const out = new Uint8Array(16);
    const insn = new Instruction();
    const att = new AttFormatter();
    const gas = new iced.Formatter(iced.FormatterSyntax.Gas);
    let compared = 0;
    const differ: string[] = [];
    for (const line of buildCorpus(PER_FORM, 7, false)) {
      const n = encodeCodeInto(out, 0, line.code, line.operands, line.bits, BRANCH_IP, 0);
      const bytes = out.slice(0, n);
      new Decoder(line.bits, bytes, { ip: BRANCH_IP }).decodeOut(insn);
      const decoder = new iced.Decoder(line.bits, bytes, iced.DecoderOptions.None);
      decoder.ip = BigInt(BRANCH_IP);
      const theirs = decoder.decode();
      // EVEX-free table, so both decode; a length or validity difference is the decoder's business
      if (insn.status !== DecodeStatus.Ok || theirs.isInvalid || theirs.length !== n) continue;
      compared++;
      const expected = gas.format(theirs);
      const actual = att.format(insn);
      if (expected !== actual)
        differ.push(`${line.bits}: ${codeName(insn.code)} [${hex(bytes)}] iced ${expected} / ours ${actual}`);
    }
    console.log(`AT&T on every form: ${compared - differ.length}/${compared} identical to iced-x86`);
    expect(differ.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(10_000);
  });
});
