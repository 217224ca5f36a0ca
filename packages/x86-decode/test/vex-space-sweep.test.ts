// Every VEX opcode of the 0F, 0F38 and 0F3A maps under every VEX.pp, VEX.L and VEX.W, with a
// register and a memory ModRM for each ModRM.reg and VEX.vvvv both unused (1111b) and naming a
// register, in every mode: length, validity and Intel text must equal iced-x86's outside the
// documented classes. This pins the L/W/pp/vvvv/mod validity rules of each VEX form, which the
// code sweep (built only from encodings iced accepts) cannot see.
import { describe, expect, it } from 'vitest';
import { compareEach } from './iced-oracle.ts';

// 16-bit mode follows the 32-bit VEX rules (same valid set in iced); it runs with TYPEVISOR_LONG=1.
const MODES = process.env.TYPEVISOR_LONG === '1' ? ([16, 32, 64] as const) : ([32, 64] as const);
// ModRM.reg 0-7 with rm = 1 (register form) and rm = 1 ([rcx]/[ecx]/[bx+di], memory form).
const MODRMS = Array.from({ length: 16 }, (_, i) => (i < 8 ? 0xc1 | (i << 3) : ((i - 8) << 3) | 1));

describe('VEX opcode space', () => {
  it.each(MODES)('agrees with iced-x86 for every map/opcode/pp/L/W/vvvv/ModRM in %i-bit mode', (bits) => {
    const encodings: number[][] = [];
    for (let map = 1; map <= 3; map++)
      for (let opc = 0; opc < 256; opc++)
        for (let wLpp = 0; wLpp < 16; wLpp++)
          for (const vvvv of [15, 13]) {
            // C4 [R X B map] [W vvvv L pp]: R/X/B and vvvv are stored inverted.
            const b2 = ((wLpp >> 3) << 7) | (vvvv << 3) | (wLpp & 7);
            for (const modrm of MODRMS) encodings.push([0xc4, 0xe0 | map, b2, opc, modrm]);
          }
    const r = compareEach(bits, encodings);
    console.log(
      `VEX space ${bits}-bit: ${encodings.length} encodings, ${r.valid} valid for iced, known classes: ${[...r.known].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    );
    expect(r.unknown.slice(0, 40)).toEqual([]);
  });
});
