// Every VEX opcode of the 0F, 0F38 and 0F3A maps under every VEX.pp, VEX.L and VEX.W, with a
// register and a memory ModRM for each ModRM.reg and VEX.vvvv both unused (1111b) and naming a
// register, in every mode: length, validity and Intel text must equal iced-x86's outside the
// documented classes. This pins the L/W/pp/vvvv/mod validity rules of each VEX form, which the
// code sweep (built only from encodings iced accepts) cannot see.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Decoder } from '../src/decoder.ts';
import { Instruction } from '../src/instruction.ts';
import { IntelFormatter } from '../src/intel-formatter.ts';
import { knownClass } from './iced-oracle.ts';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: iced-x86 ships CommonJS with wasm glue
const iced: any = require('iced-x86');

const SLOT = 16;
// ModRM.reg 0-7 with rm = 1 (register form) and rm = 1 ([rcx]/[ecx]/[bx+di], memory form).
const MODRMS = Array.from({ length: 16 }, (_, i) => (i < 8 ? 0xc1 | (i << 3) : ((i - 8) << 3) | 1));

describe('VEX opcode space', () => {
  it.each([16, 32, 64] as const)(
    'agrees with iced-x86 for every map/opcode/pp/L/W/vvvv/ModRM in %i-bit mode',
    (bits) => {
      const cases: number[][] = [];
      for (let map = 1; map <= 3; map++)
        for (let opc = 0; opc < 256; opc++)
          for (let wLpp = 0; wLpp < 16; wLpp++)
            for (const vvvv of [15, 13]) {
              // C4 [R X B map] [W vvvv L pp]: R/X/B and vvvv are stored inverted.
              const b2 = ((wLpp >> 3) << 7) | (vvvv << 3) | (wLpp & 7);
              for (const modrm of MODRMS) cases.push([0xc4, 0xe0 | map, b2, opc, modrm]);
            }
      const buf = new Uint8Array(cases.length * SLOT);
      cases.forEach((c, i) => {
        buf.set(c, i * SLOT);
      });
      const d = new iced.Decoder(bits, buf, iced.DecoderOptions.None);
      const f = new iced.Formatter(iced.FormatterSyntax.Intel);
      const theirs = new iced.Instruction();
      const ours = new Instruction();
      const dec = new Decoder(bits, buf);
      const fmt = new IntelFormatter();
      const unknown: string[] = [];
      const known = new Map<string, number>();
      let valid = 0;
      for (let i = 0; i < cases.length; i++) {
        const pos = i * SLOT;
        d.position = pos;
        d.ip = 0x1000n;
        d.decodeOut(theirs);
        dec.setBuffer(buf, pos, pos + SLOT);
        dec.decodeAt(ours, pos, 0x1000, 0);
        const tInvalid = theirs.isInvalid;
        const oInvalid = ours.status !== 0;
        if (!tInvalid) valid++;
        if (tInvalid && oInvalid) continue;
        const tText = tInvalid ? '(bad)' : f.format(theirs);
        const oText = oInvalid ? '(bad)' : fmt.format(ours);
        if (!tInvalid && !oInvalid && ours.length === theirs.length && tText === oText) continue;
        const cls = tInvalid ? '' : knownClass(theirs.encoding);
        if (cls !== '') known.set(cls, (known.get(cls) ?? 0) + 1);
        else
          unknown.push(
            `${cases[i]!.map((x) => x.toString(16).padStart(2, '0')).join(' ')}: iced ${tText} (${tInvalid ? 0 : theirs.length}) / ours ${oText} (${oInvalid ? 0 : ours.length})`,
          );
      }
      theirs.free?.();
      d.free?.();
      f.free?.();
      console.log(
        `VEX space ${bits}-bit: ${cases.length} encodings, ${valid} valid for iced, known classes: ${[...known].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
      );
      expect(unknown.slice(0, 40)).toEqual([]);
    },
  );
});
