// TYPEVISOR_LONG=1 only (about a minute per mode): every opcode of the one-byte, 0F, 0F38 and
// 0F3A maps under 17 combinations of 66/F2/F3/67/LOCK/REX, with every ModRM byte, must decode
// with the same validity, length, Intel and AT&T text as iced-x86. This is how MOVBE's F3 rule
// was found; the quick prefix-space sweep keeps the spaces where mandatory prefixes matter most.
import { describe, expect, it } from 'vitest';
import { compareEach, PREFIX_MIXES } from './iced-oracle.ts';

const LONG = process.env.TYPEVISOR_LONG === '1';
const MAPS: readonly (readonly number[])[] = [[], [0x0f], [0x0f, 0x38], [0x0f, 0x3a]];
// the shared mixes, plus REX.B and REX.R alone
const PREFIXES: readonly (readonly number[])[] = [...PREFIX_MIXES, [0x41], [0x44]];
// One-byte opcodes that are prefixes themselves (and 0F, the escape) are covered as prefixes.
const PREFIX_BYTES = new Set([0x0f, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);

describe.skipIf(!LONG)('legacy opcode space (TYPEVISOR_LONG=1)', () => {
  it.each([16, 32, 64] as const)(
    'agrees with iced-x86 for every map/opcode/prefix/ModRM in %i-bit mode',
    (bits) => {
      const unknown: string[] = [];
      for (const map of MAPS) {
        const encodings: number[][] = [];
        for (let opc = 0; opc < 256; opc++) {
          if (map.length === 0 && (PREFIX_BYTES.has(opc) || (bits === 64 && (opc & 0xf0) === 0x40))) continue;
          for (const pfx of PREFIXES) {
            if (bits !== 64 && pfx.some((x) => (x & 0xf0) === 0x40)) continue;
            for (let modrm = 0; modrm < 256; modrm++) encodings.push([...pfx, ...map, opc, modrm]);
          }
        }
        const r = compareEach(bits, encodings);
        console.log(
          `legacy space ${bits}-bit map [${map.map((x) => x.toString(16)).join(' ')}]: ${encodings.length} encodings, ${r.valid} valid for iced`,
        );
        unknown.push(...r.unknown.slice(0, 20));
      }
      expect(unknown).toEqual([]);
    },
    30 * 60_000,
  );
});
