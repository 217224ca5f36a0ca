// EVEX (AVX-512) against iced-x86: random encodings of every EVEX form in data/x86.isa, in
// every mode, must agree in length, validity, Intel text and AT&T text. Each sample keeps the
// form's map, pp, W and L'L and randomises the rest (registers, R/X/B/R'/V', aaa, z, b, ModRM,
// SIB, displacement, immediate, and now and then a legacy prefix or a flipped fixed bit), so
// the opmask, zeroing, broadcast, rounding, disp8*N and #UD rules are all exercised.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { AttFormatter } from '../src/att-formatter.ts';
import { Decoder } from '../src/decoder.ts';
import { CODE_COUNT, decodeTables } from '../src/generated/tables.ts';
import { DecodeStatus, Instruction } from '../src/instruction.ts';
import { IntelFormatter } from '../src/intel-formatter.ts';
import { parseIsa } from '../scripts/isa-parser.ts';
import { readFileSync } from 'node:fs';
import { DATA_PATH } from '../scripts/generate.ts';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: iced-x86 ships CommonJS with wasm glue
const iced: any = require('iced-x86');
const LONG = process.env.TYPEVISOR_LONG === '1';
const PER_FORM = LONG ? 400 : 24;

interface Sweep {
  total: number;
  /** Encodings of forms the table does not have (iced decodes them, we say Unsupported with its length). */
  unsupported: number;
  decoded: Set<number>;
  differences: string[];
}

function sweep(bits: 16 | 32 | 64, seed: number): Sweep {
  const { forms } = parseIsa(readFileSync(DATA_PATH, 'utf8'));
  let x = seed >>> 0;
  const rnd = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x >>> 24;
  };
  const ours = new Instruction();
  const intel = new IntelFormatter();
  const att = new AttFormatter();
  const theirs = new iced.Instruction();
  const icedIntel = new iced.Formatter(iced.FormatterSyntax.Intel);
  const icedGas = new iced.Formatter(iced.FormatterSyntax.Gas);
  const bytes = new Uint8Array(16);
  const dec = new Decoder(bits, bytes, { ip: 0x1000 });
  const r: Sweep = { total: 0, unsupported: 0, decoded: new Set(), differences: [] };
  for (const f of forms) {
    if ((f.evex & 0x80) === 0) continue;
    for (let i = 0; i < PER_FORM; i++) {
      for (let j = 0; j < 16; j++) bytes[j] = rnd();
      // P0: R X B R' 0 m m m; P1: W vvvv 1 pp; P2: z L'L b V' aaa (SDM 2 2.7.1)
      let p0 = (bytes[1]! & 0xf0) | (f.map - 6);
      if (bits !== 64) p0 |= 0xc0; // else 62 is BOUND
      let p1 = (bytes[2]! & 0x78) | 4 | f.pfx | ((f.w < 0 ? rnd() & 1 : f.w) << 7);
      if (rnd() < 128) p1 |= 0x78; // vvvv = 1111 (unused) half of the time
      if (rnd() < 24) p1 ^= 0x80; // the other W: another form, or #UD
      let p2 = bytes[3]!;
      if (f.l >= 0 && rnd() < 200) p2 = (p2 & 0x9f) | (f.l << 5);
      if (rnd() < 100) p2 |= 8; // V' = 1: registers 0-15
      if (rnd() < 80) p2 &= ~0x10; // b = 0
      if (rnd() < 60) p2 &= ~0x80; // z = 0
      // half of the samples respect the form's constraints, so that rare valid shapes occur
      if (rnd() < 128) {
        if ((f.evex & 0x10) === 0) p2 &= ~0x87; // no opmask, no zeroing
        if (!f.ops.some((d) => (d & 0xff) === 6)) {
          p1 |= 0x78; // vvvv unused: 1111
          p2 |= 8;
        }
      }
      let modrm = f.reg >= 0 ? (bytes[5]! & 0xc7) | (f.reg << 3) : bytes[5]!;
      if ((f.evex & 0x40) !== 0 && rnd() < 192) {
        // gathers/scatters: a SIB byte, an opmask, no zeroing or broadcast
        modrm = ((modrm & 0xf8) | 4) & (modrm >= 0xc0 ? 0x7f : 0xff);
        p2 = (p2 & ~0x90) | ((p2 & 7) === 0 ? 1 : 0);
      }
      bytes.set([0x62, p0, p1, p2, f.opcode, f.mod === 1 ? modrm | 0xc0 : modrm], 0);
      if (rnd() < 8) bytes[1]! ^= 8; // reserved P0 bit
      if (rnd() < 8) bytes[2]! ^= 4; // fixed P1 bit
      if (rnd() < 20) {
        bytes.copyWithin(1, 0, 15);
        bytes[0] = [0x67, 0x2e, 0x64, 0x66, 0xf3, 0x48][rnd() % 6]!;
      }
      // iced's decoder copies its input: one per sample
      const icedDec = new iced.Decoder(bits, bytes, iced.DecoderOptions.None);
      icedDec.ip = 0x1000n;
      icedDec.decodeOut(theirs);
      icedDec.free?.();
      dec.decodeAt(ours, 0, 0x1000, 0);
      r.total++;
      if (ours.status === DecodeStatus.Ok) r.decoded.add(ours.code);
      const tInvalid = theirs.isInvalid;
      const sameLength = tInvalid
        ? ours.status !== DecodeStatus.Ok
        : ours.status === DecodeStatus.Ok && ours.length === theirs.length;
      // another form of the slot that the table does not have yet: the known class
      if (!tInvalid && ours.status === DecodeStatus.Unsupported && ours.length === theirs.length) {
        r.unsupported++;
        continue;
      }
      const tText = tInvalid ? '(bad)' : `${icedIntel.format(theirs)} | ${icedGas.format(theirs)}`;
      const oText = ours.status !== DecodeStatus.Ok ? '(bad)' : `${intel.format(ours)} | ${att.format(ours)}`;
      if (!sameLength || tText !== oText) {
        const hex = Array.from(bytes.subarray(0, 15), (v) => v.toString(16).padStart(2, '0')).join('');
        r.differences.push(
          `${bits} ${hex} ${f.name}: iced ${tText} (${tInvalid ? '-' : theirs.length}), ours ${oText} (${ours.length}, status ${ours.status})`,
        );
      }
    }
  }
  theirs.free?.();
  icedIntel.free?.();
  icedGas.free?.();
  return r;
}

describe('EVEX forms against iced-x86', () => {
  const decoded = new Set<number>();
  it.each([64, 32, 16] as const)(
    'agrees on random encodings of every EVEX form in %i-bit mode (length, validity, Intel and AT&T text)',
    (bits) => {
      const r = sweep(bits, 0xe7e0 + bits);
      console.log(
        `EVEX sweep ${bits}: ${r.total} encodings, ${r.decoded.size} forms decoded, ${r.unsupported} of forms not in the table, ${r.differences.length} differences`,
      );
      for (const c of r.decoded) decoded.add(c);
      expect(r.differences.slice(0, process.env.EVEX_SHOW ? 100 : 10)).toEqual([]);
    },
    LONG ? 30 * 60_000 : 60_000,
  );

  it('decoded every EVEX form of the table at least once in the sweeps above', () => {
    const missing: number[] = [];
    for (let c = 1; c < CODE_COUNT; c++) if (decodeTables.CODE_EVEX[c] !== 0 && !decoded.has(c)) missing.push(c);
    expect(missing).toEqual([]);
  });

  it.each(LONG ? ([64, 32, 16] as const) : ([64, 32] as const))(
    "finds no EVEX slot (map x opcode x pp x W x L'L) where iced decodes an encoding that we leave Unsupported, and no validity difference (%i-bit)",
    (bits) => {
      let x = 0x51075 + bits;
      const rnd = (): number => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return x >>> 24;
      };
      const ours = new Instruction();
      const theirs = new iced.Instruction();
      const bytes = new Uint8Array(16);
      const dec = new Decoder(bits, bytes);
      const found: string[] = [];
      let samples = 0;
      for (const mmm of [1, 2, 3, 5, 6])
        for (let op = 0; op < 256; op++)
          for (let pp = 0; pp < 4; pp++)
            for (let w = 0; w < 2; w++)
              for (let l = 0; l < 3; l++)
                for (let i = 0; i < (LONG ? 8 : 2); i++) {
                  for (let j = 0; j < 16; j++) bytes[j] = rnd();
                  // registers 0-15, no opmask on odd samples; ModRM register form on the first two
                  bytes.set([0x62, 0xf0 | mmm, (w << 7) | 0x7c | pp, (l << 5) | 8 | (i & 1), op], 0);
                  bytes[5] = i < 2 !== ((rnd() & 1) === 0) ? 0xc0 | (bytes[5]! & 0x3f) : bytes[5]! & 0xbf;
                  const icedDec = new iced.Decoder(bits, bytes, iced.DecoderOptions.None);
                  icedDec.decodeOut(theirs);
                  icedDec.free?.();
                  dec.decodeAt(ours, 0, 0, 0);
                  samples++;
                  const theirsOk = !theirs.isInvalid;
                  if (theirsOk !== (ours.status === DecodeStatus.Ok)) {
                    const hex = Array.from(bytes.subarray(0, 8), (v) => v.toString(16).padStart(2, '0')).join('');
                    found.push(`${hex}: iced ${theirsOk ? 'valid' : 'invalid'}, ours status ${ours.status}`);
                  }
                }
      theirs.free?.();
      console.log(`EVEX slot sweep ${bits}: ${samples} encodings, ${found.length} differences`);
      expect(found.slice(0, 10)).toEqual([]);
    },
    LONG ? 30 * 60_000 : 60_000,
  );
});
