// AT&T text against iced-x86's GAS formatter, position by position, on the same corpora as the
// Intel differential (test/differential.test.ts): the Node.js .text and random bytes in all three
// modes. Positions where the two decoders disagree on length or validity are a decoder matter,
// measured and classified by the Intel differential; here they are counted and skipped.
// Quick sizes run in `pnpm test`; TYPEVISOR_LONG=1 runs the whole .text and 12 MB per mode.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AttFormatter } from '../src/att-formatter.ts';
import { Decoder } from '../src/decoder.ts';
import { findElfText } from '../src/elf-text.ts';
import { DecodeStatus, Instruction } from '../src/instruction.ts';
import { randomBytes } from './iced-oracle.ts';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: iced-x86 ships CommonJS with wasm glue
const iced: any = require('iced-x86');

const LONG = process.env.TYPEVISOR_LONG === '1';
const TIMEOUT = LONG ? 60 * 60_000 : 60_000;

interface AttComparison {
  /** Positions walked (iced's length, one byte after an invalid encoding). */
  total: number;
  /** Positions where both decoders agree on validity and length: the formatter comparison. */
  compared: number;
  /** Of those, identical text (both invalid counts as identical). */
  same: number;
  /** The first differing lines, for the test output. */
  examples: string[];
}

function compareAtt(bitness: 16 | 32 | 64, bytes: Uint8Array, ip: number): AttComparison {
  const theirsDecoder = new iced.Decoder(bitness, bytes, iced.DecoderOptions.None);
  theirsDecoder.ip = BigInt(ip);
  const gas = new iced.Formatter(iced.FormatterSyntax.Gas);
  const theirs = new iced.Instruction();
  const ours = new Instruction();
  const decoder = new Decoder(bitness, bytes);
  const att = new AttFormatter();
  const r: AttComparison = { total: 0, compared: 0, same: 0, examples: [] };
  let offset = 0;
  while (offset < bytes.length) {
    theirsDecoder.position = offset;
    theirsDecoder.ip = BigInt(ip + offset);
    theirsDecoder.decodeOut(theirs);
    const at = ip + offset;
    decoder.decodeAt(ours, offset, at >>> 0, Math.floor(at / 4294967296));
    const theirsValid = !theirs.isInvalid;
    const oursValid = ours.status === DecodeStatus.Ok;
    r.total++;
    if (theirsValid === oursValid && (!theirsValid || theirs.length === ours.length)) {
      r.compared++;
      const expected = theirsValid ? gas.format(theirs) : '(bad)';
      const actual = att.format(ours);
      if (expected === actual) r.same++;
      else if (r.examples.length < 10) {
        const hex = Array.from(bytes.subarray(offset, offset + ours.length), (b) => b.toString(16).padStart(2, '0'));
        r.examples.push(`${hex.join(' ')}  iced: ${expected}  ours: ${actual}`);
      }
    }
    offset += theirsValid ? theirs.length : 1;
  }
  return r;
}

function report(name: string, r: AttComparison): void {
  const pct = ((100 * r.same) / r.compared).toFixed(4);
  console.log(`${name}: ${r.total} instructions, ${r.compared} decoded alike, AT&T text identical ${r.same} (${pct}%)`);
  for (const line of r.examples) console.log(`  ${line}`);
}

describe('AT&T agreement with iced-x86 (FormatterSyntax.Gas)', () => {
  it(
    'formats the .text of the Node.js binary running the tests like iced (64-bit)',
    () => {
      const text = findElfText(new Uint8Array(readFileSync(process.execPath)));
      expect(text).toBeDefined();
      const bytes = LONG ? text!.bytes : text!.bytes.subarray(0, 1 << 20);
      const r = compareAtt(64, bytes, text!.address);
      report('att node .text 64', r);
      expect(r.examples).toEqual([]);
      expect(r.compared).toBeGreaterThan(0.99 * r.total);
    },
    TIMEOUT,
  );

  it.each([16, 32, 64] as const)(
    'formats random bytes in %i-bit mode like iced',
    (bits) => {
      const r = compareAtt(bits, randomBytes(LONG ? 12_000_000 : 300_000, 0xa77 + bits), 0x1000);
      report(`att random ${bits}`, r);
      expect(r.examples).toEqual([]);
      expect(r.compared).toBeGreaterThan(0.99 * r.total);
    },
    TIMEOUT,
  );
});
