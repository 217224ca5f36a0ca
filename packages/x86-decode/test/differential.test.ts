// Differential tests against iced-x86: length, validity and Intel text, position by position.
// Quick sizes run in `pnpm test`; TYPEVISOR_LONG=1 runs millions of instructions per mode.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findElfText } from '../src/elf-text.ts';
import { type Comparison, compareWithIced, randomBytes } from './iced-oracle.ts';

const LONG = process.env.TYPEVISOR_LONG === '1';
const TIMEOUT = LONG ? 60 * 60_000 : 60_000;
const hex = (s: string): Uint8Array =>
  new Uint8Array(
    s
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((h) => Number.parseInt(h, 16)),
  );

function report(name: string, r: Comparison): void {
  const pct = (n: number) => ((100 * n) / r.total).toFixed(4);
  const classes = Object.entries(r.byClass)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  const evex =
    r.evexTotal > 0 ? `, EVEX length ${r.evexSameLength}/${r.evexTotal}, decoded ${r.evexDecoded}/${r.evexTotal}` : '';
  console.log(
    `${name}: ${r.total} instructions, length+validity ${pct(r.sameLength)}%, text ${pct(r.sameText)}%${evex}${classes ? ` (known: ${classes})` : ''}`,
  );
  for (const d of r.disagreements.filter((x) => x.knownClass === '').slice(0, 10)) {
    console.log(`  ${d.hex}  iced: ${d.theirs} (${d.theirsLength})  ours: ${d.ours} (${d.oursLength})`);
  }
}

describe('agreement with iced-x86', () => {
  it(
    'matches on the .text of the Node.js binary running the tests (64-bit)',
    () => {
      const text = findElfText(new Uint8Array(readFileSync(process.execPath)));
      expect(text).toBeDefined();
      const bytes = LONG ? text!.bytes : text!.bytes.subarray(0, 1 << 20);
      const r = compareWithIced(64, bytes, text!.address);
      report('node .text 64', r);
      expect(r.unknown).toBe(0);
      expect(r.sameText).toBe(r.total - Object.values(r.byClass).reduce((a, b) => a + b, 0));
      expect(r.evexSameLength).toBe(r.evexTotal);
    },
    TIMEOUT,
  );

  it.each([16, 32, 64] as const)(
    'matches on random bytes in %i-bit mode, except the documented classes',
    (bits) => {
      const r = compareWithIced(bits, randomBytes(LONG ? 12_000_000 : 300_000, 0x5eed + bits), 0x1000);
      report(`random ${bits}`, r);
      expect(r.unknown).toBe(0);
      expect(r.evexSameLength).toBe(r.evexTotal);
    },
    TIMEOUT,
  );

  // Corner cases from the SDM prefix and encoding rules; each must agree exactly.
  it.each([
    [64, '48 66 01 c8'], // REX before a legacy prefix is ignored
    [64, '66 48 01 c8'], // REX.W wins over 66
    [64, '26 64 8b 00'], // FS after ES
    [64, '64 26 8b 00'], // ES after FS is ignored in 64-bit mode
    [32, '26 64 8b 00'], // last segment override wins
    [64, '2e 8b 00'], // CS override ignored in 64-bit mode
    [64, 'f3 f2 a4'], // last of F2/F3 decides
    [64, 'f2 f3 a6'],
    [64, 'f3 0f b8 c0'], // F3 as mandatory prefix (POPCNT)
    [64, '66 f3 0f b8 c0'], // 66 still sizes POPCNT
    [64, 'f2 66 0f 10 00'], // F2 beats 66 as mandatory prefix
    [64, '66 0f 10 00'],
    [64, 'f3 90'],
    [64, 'f3 41 90'],
    [64, '41 90'],
    [64, '66 90'],
    [16, '66 90'],
    [64, '8b 05 10 00 00 00'], // RIP-relative
    [64, '67 8b 05 10 00 00 00'], // EIP-relative
    [16, '8b 46 fc'], // 16-bit addressing
    [16, '67 8b 44 8d fc'], // 32-bit addressing in 16-bit mode
    [32, '67 8b 46 fc'], // 16-bit addressing in 32-bit mode
    [64, '8b 04 25 78 56 34 12'], // SIB without base or index
    [64, '8b 04 e5 00 00 00 00'], // SIB index=100 (none), no base
    [64, '42 8b 04 e5 00 00 00 00'], // REX.X makes index r12
    [64, '41 8b 04 24'], // r12 base needs SIB
    [64, '41 8b 45 00'], // r13 base needs disp8
    [64, '48 b8 88 77 66 55 44 33 22 11'], // imm64
    [64, 'a1 88 77 66 55 44 33 22 11'], // moffs64
    [32, 'a1 78 56 34 12'],
    [64, '67 a1 78 56 34 12'],
    [64, `${'66 '.repeat(14)}90`], // exactly 15 bytes
    [64, `${'66 '.repeat(15)}90`], // 16 bytes: invalid
    [64, 'f0 01 00'],
    [64, 'f0 01 c0'], // LOCK with register destination
    [64, 'f2 f0 01 00'], // xacquire lock
    [64, 'f3 88 00'], // xrelease mov
    [64, '3e ff 10'], // notrack
    [64, 'f2 e8 00 00 00 00'], // bnd call
    [64, '2e 74 00'], // branch hints
    [64, '3e 0f 84 00 00 00 00'],
    [64, '66 e8 00 00 00 00'], // 66 ignored on near branches (Intel)
    [32, '66 e8 00 00'],
    [16, 'e8 fd ff'],
    [32, '67 e2 fe'], // addr16 loop
    [64, '67 e3 fe'], // jecxz
    [32, 'c4 e2 7d 18 44 24 08'], // VEX in 32-bit mode
    [32, 'c4 00'], // LES in 32-bit mode
    [64, 'c5 f8 77'],
    [64, 'c5 fc 77'],
    [64, 'c4 e2 75 90 04 88'], // gather with VSIB
    [64, 'c4 e2 7d 90 c0'], // gather without memory: invalid
    [16, 'c4 e2 51 93 1a'], // VSIB with 16-bit addressing (no SIB byte exists): invalid
    [32, '67 c4 e2 51 93 1a'],
    [16, '67 c4 e2 51 93 1c 24'], // VSIB with 32-bit addressing in 16-bit mode
    [64, '67 0f f7 f3'], // addr32 maskmovq: implicit [rdi] address size is shown
    [32, '67 26 66 0f f7 ca'], // addr16 maskmovdqu with its segment override
    [64, '67 c5 f9 f7 ca'], // addr32 vmaskmovdqu
    [32, '67 0f 01 c8'], // addr16 monitor
    [64, '67 0f 01 fa'], // addr32 monitorx
    [64, '0f 20 c0'],
    [64, '44 0f 20 c0'], // cr8
    [64, '0f 20 c8'], // cr1: invalid
    [64, '8e c8'], // mov cs: invalid
    [64, 'd9 c9'],
    [64, 'de c1'],
    [64, 'dd c0'],
    [64, 'df e0'],
    [64, '0f 1f 44 00 00'],
    [64, '66 2e 0f 1f 84 00 00 00 00 00'],
    [64, 'f3 0f 1e fa'],
    [64, '0f 01 c1'],
    [64, '0f 01 d8'],
    [64, '66 0f 38 80 00'],
    [64, '48 0f c7 08'],
    [64, '69 c0 78 56 34 12'],
    [64, '6b c1 05'],
    [64, '6a ff'],
    [64, '66 6a ff'],
    [64, '48 ca 08 00'],
    [16, 'ea 00 10 00 20'],
    [64, 'c7 f8 00 00 00 00'],
    [16, 'c7 f8 00 00'],
    [64, 'c4 e3 f9 68 54 48 10 30'], // FMA4 W1: is4 register byte after SIB and disp8
    [64, 'c4 e3 79 68 54 48 10 30'], // FMA4 W0: the same with r/m third
    [32, 'c4 e3 e9 6b c1 f0'], // FMA4 scalar, is4 bit 7 ignored outside 64-bit mode
    [64, 'c4 e3 f1 48 54 48 10 32'], // vpermil2ps W1: register in imm8[7:4], m2z 2 in imm8[3:0]
    [32, 'c4 e3 6d 49 c1 f3'], // vpermil2pd ymm, is4 bit 7 ignored outside 64-bit mode
    [64, 'c4 e2 72 5c d0'], // tdpbf16ps tmm2,tmm0,tmm1
    [64, 'c4 e2 72 5c d1'], // tdpbf16ps with tmm1 twice: invalid
    [64, 'c4 e2 7b 4b 0c 48'], // tileloadd: tile memory with a SIB byte
    [64, 'c4 e2 7b 4b 08'], // tileloadd without a SIB byte: invalid
    [64, 'c4 e2 79 e0 10'], // cmpoxadd
    [64, 'c4 e2 79 e0 d0'], // cmpoxadd with a register destination: invalid
  ] as const)('agrees on %i-bit %s', (bits, bytes) => {
    const r = compareWithIced(bits, hex(bytes), 0x1000);
    expect(r.disagreements.map((d) => `${d.hex}: iced ${d.theirs} / ours ${d.ours}`)).toEqual([]);
  });
});
