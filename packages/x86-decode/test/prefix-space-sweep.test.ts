// The opcode spaces where mandatory prefixes (none/66/F3/F2), REX.W, 67 and LOCK pick between
// system and newer instructions (0F 00, 0F 01, 0F AE, 0F C7, VIA PadLock 0F A6/A7, 0F 38 D8-FC
// with MOVBE/CRC32 at F0/F1, 0F 3A F0): every ModRM byte under every prefix combination, in every mode, must decode with the
// same length, validity and Intel text as iced-x86. Random bytes reach these encodings too rarely
// to pin the validity of each form; the code sweep (iced-code-sweep.test.ts) only builds
// encodings iced accepts, so this is where "we decode what iced rejects" would show.
import { describe, expect, it } from 'vitest';
import { compareEach, PREFIX_MIXES } from './iced-oracle.ts';

const OPCODES: readonly (readonly number[])[] = [
  [0x0f, 0x00],
  [0x0f, 0x01],
  [0x0f, 0xae],
  [0x0f, 0xc7],
  [0x0f, 0xa6],
  [0x0f, 0xa7],
  ...[0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xf0, 0xf1, 0xf5, 0xf6, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc].map((b) => [
    0x0f,
    0x38,
    b,
  ]),
  [0x0f, 0x3a, 0xf0],
];
// the shared mixes, plus 67 and LOCK next to a mandatory prefix
const PREFIXES: readonly (readonly number[])[] = [...PREFIX_MIXES, [0x67, 0xf3], [0x67, 0x66], [0xf0, 0xf3]];
describe('prefix spaces of system and newer instructions', () => {
  it.each([16, 32, 64] as const)('agree with iced-x86 at every ModRM under every prefix in %i-bit mode', (bits) => {
    const encodings: number[][] = [];
    for (const opc of OPCODES)
      for (const pfx of PREFIXES) {
        if (bits !== 64 && pfx.includes(0x48)) continue;
        for (let modrm = 0; modrm < 256; modrm++) encodings.push([...pfx, ...opc, modrm]);
      }
    const r = compareEach(bits, encodings);
    console.log(
      `prefix spaces ${bits}-bit: ${encodings.length} encodings, ${r.valid} valid for iced, known classes: ${[...r.known].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    );
    expect(r.unknown.slice(0, 40)).toEqual([]);
  });
});
