// RFLAGS data (the flags column of data/x86.isa) against iced-x86's per-instruction RFLAGS info,
// on one canonical encoding per code (the encodings of test/iced-code-sweep.ts): read, written,
// undefined, cleared and set must be equal on the flags iced models (OF SF ZF AF CF PF DF IF AC),
// except the classes named below, each computed by a rule, counted, and required to be hit.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { FLAG_AC, FLAG_AF, FLAG_CF, FLAG_DF, FLAG_IF, FLAG_OF, FLAG_PF, FLAG_SF, FLAG_ZF } from '../src/cpu-flags.ts';
import { Decoder } from '../src/decoder.ts';
import { Instruction } from '../src/instruction.ts';
import { sweepIcedCodes } from './iced-code-sweep.ts';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: iced-x86 ships CommonJS with wasm glue
const iced: any = require('iced-x86');

/** iced's RflagsBits (OF=1 SF=2 ZF=4 AF=8 CF=16 PF=32 DF=64 IF=128 AC=256) to our FLAG_* bits. */
const ICED_TO_OURS: readonly (readonly [number, number])[] = [
  [1, FLAG_OF],
  [2, FLAG_SF],
  [4, FLAG_ZF],
  [8, FLAG_AF],
  [16, FLAG_CF],
  [32, FLAG_PF],
  [64, FLAG_DF],
  [128, FLAG_IF],
  [256, FLAG_AC],
];
/** The flags iced models; TF, IOPL, NT, RF, VM, VIF, VIP and ID have no RflagsBits. */
const COMPARED = ICED_TO_OURS.reduce((m, [, b]) => m | b, 0);
const toOurs = (bits: number): number => ICED_TO_OURS.reduce((m, [i, b]) => (bits & i ? m | b : m), 0);

type Masks = [read: number, written: number, undefined: number, cleared: number, set: number];
const NAMES = ['read', 'written', 'undefined', 'cleared', 'set'] as const;

const FLAG_NAMES: readonly (readonly [number, string])[] = [
  [FLAG_OF, 'o'],
  [FLAG_SF, 's'],
  [FLAG_ZF, 'z'],
  [FLAG_AF, 'a'],
  [FLAG_CF, 'c'],
  [FLAG_PF, 'p'],
  [FLAG_DF, 'd'],
  [FLAG_IF, 'i'],
  [FLAG_AC, 'x'],
];
const spell = (m: Masks): string =>
  m
    .map(
      (v, i) =>
        `${NAMES[i]}:${FLAG_NAMES.filter(([b]) => v & b)
          .map(([, n]) => n)
          .join('')}`,
    )
    .join(' ');

/**
 * Shifts and rotates by an imm8 count: iced describes the one instance it decoded (count 0 changes
 * no flag, count 1 defines OF), our data describes the form for any count. The rule: compare
 * against iced with the count byte set to 2, the general case (OF and, for shifts, AF undefined).
 */
const IMM8_COUNT = /^(Rol|Ror|Rcl|Rcr|Shl|Shr|Sal|Sar|Shld|Shrd)_.*_imm8$/;
/**
 * INT n, INT3, INT1, INTO: interrupt delivery changes IF and AC (with TF, NT, RF, VM, which iced
 * has no bits for) depending on mode and gate type (SDM "INT n" Flags Affected); iced-x86 lists
 * none of them. Our data says so (`@flags INTR`), so here the two differ by exactly IF and AC
 * in "written", and nothing else.
 */
const INTERRUPT = /^(Int_imm8|Int3|Int1|Into)$/;
const INTERRUPT_FLAGS = FLAG_IF | FLAG_AC;

interface FlagCase {
  codeName: string;
  bits: number;
  hex: string;
  /** Which named class the comparison went through ('' = plain). */
  cls: '' | 'imm8-count' | 'interrupt';
  ours: Masks;
  theirs: Masks;
}

function compareAll(): FlagCase[] {
  const sweep = sweepIcedCodes();
  const out: FlagCase[] = [];
  const seen = new Set<string>();
  const theirs = new iced.Instruction();
  const ours = new Instruction();
  const buf = new Uint8Array(32);
  for (const c of sweep.cases) {
    // One canonical encoding per code: the first one both decoders agree on.
    if (!c.agrees || seen.has(c.codeName)) continue;
    seen.add(c.codeName);
    const bytes = c.hex.split(' ').map((h) => Number.parseInt(h, 16));
    const cls = IMM8_COUNT.test(c.codeName) ? 'imm8-count' : INTERRUPT.test(c.codeName) ? 'interrupt' : '';
    if (cls === 'imm8-count') bytes[bytes.length - 1] = 2;
    buf.fill(0);
    buf.set(bytes);
    const d = new iced.Decoder(c.bits, buf, iced.DecoderOptions.None);
    d.decodeOut(theirs);
    d.free?.();
    if (cls === 'imm8-count' && theirs.immediate8 !== 2) throw new Error(`${c.codeName}: count byte not at the end`);
    new Decoder(c.bits, buf).decodeAt(ours, 0, 0, 0);
    const mine = [ours.flagsRead, ours.flagsWritten, ours.flagsUndefined, ours.flagsCleared, ours.flagsSet].map(
      (v) => v & COMPARED,
    ) as Masks;
    if (cls === 'interrupt') mine[1] &= ~INTERRUPT_FLAGS;
    out.push({
      codeName: c.codeName,
      bits: c.bits,
      hex: c.hex,
      cls,
      ours: mine,
      theirs: [
        theirs.rflagsRead,
        theirs.rflagsModified,
        theirs.rflagsUndefined,
        theirs.rflagsCleared,
        theirs.rflagsSet,
      ].map(toOurs) as Masks,
    });
  }
  theirs.free?.();
  return out;
}

/** iced-x86 EncodingKind.EVEX and the VEX-style pp of MandatoryPrefix None, NP, 66, F3, F2. */
const ENC_EVEX = 2;
const EVEX_PP = [0, 0, 1, 2, 3];

/**
 * EVEX forms (not in the Legacy/VEX code sweep): one 64-bit encoding per iced EVEX code (L'L
 * 0..2, register then memory ModRM, no masking), kept when iced decodes it back to that code and
 * we decode it too; returns the codes compared and those whose masks differ.
 */
function compareEvex(): { compared: number; nonZero: number; differ: string[] } {
  const r = { compared: 0, nonZero: 0, differ: [] as string[] };
  const theirs = new iced.Instruction();
  const ours = new Instruction();
  const buf = new Uint8Array(16);
  for (const name of Object.keys(iced.Code)) {
    if (!Number.isNaN(Number(name))) continue;
    const code = iced.Code[name] as number;
    const op = iced.CodeExt.opCode(code);
    try {
      if (op.encoding !== ENC_EVEX || !op.isInstruction) continue;
      const reg = op.isGroup ? op.groupIndex : 2;
      found: for (const ll of [0, 1, 2])
        for (const modrm of [0xc0 | (reg << 3) | 1, reg << 3]) {
          buf.fill(0);
          // 62, P0 = R X B R' 0 mmm (inverted R/X/B/R'), P1 = W vvvv=1111 1 pp, P2 = z L'L b V'=1 aaa=0
          buf.set([0x62, 0xf0 | op.table, (op.W << 7) | 0x7c | EVEX_PP[op.mandatoryPrefix]!, 0x08 | (ll << 5)]);
          buf.set([op.opCode & 0xff, modrm], 4);
          const d = new iced.Decoder(64, buf, iced.DecoderOptions.None);
          d.decodeOut(theirs);
          d.free?.();
          if (theirs.isInvalid || theirs.code !== code) continue;
          new Decoder(64, buf).decodeAt(ours, 0, 0, 0);
          if (ours.status !== 0) continue;
          r.compared++;
          const a = [ours.flagsRead, ours.flagsWritten, ours.flagsUndefined, ours.flagsCleared, ours.flagsSet].map(
            (v) => v & COMPARED,
          ) as Masks;
          const b = [
            theirs.rflagsRead,
            theirs.rflagsModified,
            theirs.rflagsUndefined,
            theirs.rflagsCleared,
            theirs.rflagsSet,
          ].map(toOurs) as Masks;
          if (b.some((v) => v !== 0)) r.nonZero++;
          if (a.some((v, i) => v !== b[i])) r.differ.push(`${name}: ours ${spell(a)} / iced ${spell(b)}`);
          break found;
        }
    } finally {
      op.free?.();
    }
  }
  theirs.free?.();
  return r;
}

describe('RFLAGS data (read, written, undefined, cleared, set) against iced-x86', () => {
  const cases = compareAll();
  const differs = (c: FlagCase): boolean => c.ours.some((v, i) => v !== c.theirs[i]);

  it('covers every code the iced code sweep builds (one encoding each)', () => {
    expect(cases.length).toBeGreaterThan(2600);
  });

  it('agrees on every code, the two named classes included', () => {
    const diff = cases
      .filter(differs)
      .map((c) => `${c.codeName} (${c.bits}) ${c.hex}: ours ${spell(c.ours)} / iced ${spell(c.theirs)}`);
    expect(diff).toEqual([]);
  });

  it.each([
    ['imm8-count', 38],
    ['interrupt', 4],
  ] as const)('named class %s holds exactly %i codes', (cls, n) => {
    expect(cases.filter((c) => c.cls === cls).length).toBe(n);
  });

  it('the interrupt class is real: our INT forms write IF and AC where iced lists no flag', () => {
    const ours = new Instruction();
    new Decoder(64, Uint8Array.of(0xcd, 0x80)).decodeAt(ours, 0, 0, 0);
    expect(ours.flagsWritten & INTERRUPT_FLAGS).toBe(INTERRUPT_FLAGS);
    expect(ours.flagsCleared & FLAG_IF).toBe(0);
  });

  it.each([
    ['shl eax, 1 defines OF', 'd1 e0', FLAG_AF],
    ['shl eax, cl leaves OF undefined', 'd3 e0', FLAG_AF | FLAG_OF],
    ['shl eax, 2 leaves OF undefined', 'c1 e0 02', FLAG_AF | FLAG_OF],
    ['rol eax, 1 defines OF', 'd1 c0', 0],
    ['bt eax, ecx leaves ZF unchanged', '0f a3 c8', FLAG_OF | FLAG_SF | FLAG_AF | FLAG_PF],
  ])('%s', (_name, hex, undef) => {
    const ours = new Instruction();
    new Decoder(64, Uint8Array.from(hex.split(' ').map((h) => Number.parseInt(h, 16)))).decodeAt(ours, 0, 0, 0);
    expect(ours.flagsUndefined & COMPARED).toBe(undef);
  });

  it('agrees on one encoding of every EVEX code both decode (VCOMISS, VUCOMISS... carry flags)', () => {
    const r = compareEvex();
    expect(r.differ).toEqual([]);
    expect(r.compared).toBeGreaterThan(1400);
    expect(r.nonZero).toBeGreaterThan(0);
  });
});
