// Sweep of every iced-x86 `Code` whose encoding is Legacy or VEX: builds canonical encodings
// from iced's own opcode description (`CodeExt.opCode`), keeps those iced decodes back to that
// very code with default DecoderOptions, and compares length, validity and Intel text with
// ours (and AT&T text with iced's GAS formatter). Used by test/iced-code-sweep.test.ts; it is the "N of M iced codes" measure of the README.
import { createRequire } from 'node:module';
import { AttFormatter } from '../src/att-formatter.ts';
import { Decoder } from '../src/decoder.ts';
import { Instruction } from '../src/instruction.ts';
import { IntelFormatter } from '../src/intel-formatter.ts';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: iced-x86 ships CommonJS with wasm glue
const iced: any = require('iced-x86');

// iced-x86 enum values (iced_x86.d.ts): EncodingKind, OpCodeTableKind, MandatoryPrefix.
const ENC_LEGACY = 0;
const ENC_VEX = 1;
const TABLE_ESCAPES: readonly (readonly number[])[] = [[], [0x0f], [0x0f, 0x38], [0x0f, 0x3a]];
const MANDATORY_PREFIX_BYTE = [0, 0, 0x66, 0xf3, 0xf2];
/** VEX.pp for MandatoryPrefix None, NP, 66, F3, F2. */
const VEX_PP = [0, 0, 1, 2, 3];
const IP = 0x1000;

/** One encoding of an iced code in one mode, and how the two decoders saw it. */
export interface SweepCase {
  code: number;
  codeName: string;
  bits: 16 | 32 | 64;
  hex: string;
  /** iced's CPUID features of the decoded instruction, by name (e.g. `AVX_NE_CONVERT`). */
  cpuid: string[];
  theirs: string;
  ours: string;
  theirsLength: number;
  oursLength: number;
  /** Same validity and length and identical Intel text. */
  agrees: boolean;
  /** AT&T text of iced's GAS formatter and ours. */
  theirsAtt: string;
  oursAtt: string;
}

export interface SweepResult {
  /** Legacy and VEX codes iced knows (excluding INVALID and the pseudo-ops). */
  codes: number;
  /** Codes iced only decodes with a non-default DecoderOptions flag (not reachable here). */
  needOptions: string[];
  /** Codes iced's default (Intel) decoder does not produce in any mode: AMD-only forms (DecoderOptions.AMD). */
  amdOnly: string[];
  /** Codes for which no candidate encoding decoded back to the code in any mode. */
  notBuilt: string[];
  /** Every encoding built and compared. */
  cases: SweepCase[];
}

const hexOf = (b: readonly number[]): string => b.map((x) => x.toString(16).padStart(2, '0')).join(' ');

/** The fields of iced's OpCodeInfo the builder reads. */
interface OpCodeFields {
  encoding: number;
  table: number;
  mandatoryPrefix: number;
  opCode: number;
  opCodeLength: number;
  opCodeString: string;
  fwait: boolean;
  isGroup: boolean;
  groupIndex: number;
  isRmGroup: boolean;
  rmGroupIndex: number;
  isLIG: boolean;
  L: number;
  W: number;
}

/** ModRM tails to try: register form, [base] form, SIB form (index 1 for VSIB uniqueness). */
function modrmTails(op: OpCodeFields) {
  if (op.isRmGroup) return [[0xc0 | (op.groupIndex << 3) | op.rmGroupIndex]];
  const g = op.isGroup ? op.groupIndex : 2;
  return [[0xc0 | (g << 3) | 1], [g << 3], [(g << 3) | 4, 0x48]];
}

function candidates(op: OpCodeFields, bits: number): number[][] {
  const out: number[][] = [];
  const opc: number[] = op.opCodeLength === 2 ? [(op.opCode >> 8) & 0xff, op.opCode & 0xff] : [op.opCode & 0xff];
  // `90+rw` with register 0 is NOP, not XCHG: name register 1 in the low opcode bits as well.
  const opcodes = /\+r|\+i/.test(op.opCodeString) ? [opc, [...opc.slice(0, -1), opc[opc.length - 1]! + 1]] : [opc];
  // FSTENV, FINIT, ... are the waiting forms: 9B before the FNxxx opcode.
  const fwait = op.fwait ? [0x9b] : [];
  // A two-byte opcode in an escape table or the one-byte table carries its ModRM (0F 01 D8, DF C0).
  const tails = op.opCodeLength === 2 ? [[]] : modrmTails(op);
  const sizes = [[], [0x66], [0x67], [0x66, 0x67]];
  if (op.encoding === ENC_LEGACY) {
    const mp = MANDATORY_PREFIX_BYTE[op.mandatoryPrefix]!;
    const rexes = bits === 64 ? [[], [0x48]] : [[]];
    for (const o of opcodes)
      for (const tail of tails)
        for (const rex of rexes)
          for (const size of sizes)
            out.push([...fwait, ...size, ...(mp ? [mp] : []), ...rex, ...TABLE_ESCAPES[op.table]!, ...o, ...tail]);
  } else {
    const vex2 = (op.W << 7) | 0x78 | ((op.isLIG ? 0 : op.L) << 2) | VEX_PP[op.mandatoryPrefix]!;
    for (const o of opcodes)
      for (const tail of tails)
        for (const size of [[], [0x67]]) out.push([...size, 0xc4, 0xe0 | op.table, vex2, ...o, ...tail]);
  }
  return out;
}

/** Builds and compares every Legacy/VEX iced code in every mode it is valid in. */
export function sweepIcedCodes(): SweepResult {
  const result: SweepResult = { codes: 0, needOptions: [], amdOnly: [], notBuilt: [], cases: [] };
  const theirs = new iced.Instruction();
  const f = new iced.Formatter(iced.FormatterSyntax.Intel);
  const gas = new iced.Formatter(iced.FormatterSyntax.Gas);
  const att = new AttFormatter();
  const ours = new Instruction();
  const fmt = new IntelFormatter();
  // Bytes after the candidate are zeros: immediates, displacements and is4 operands read 0.
  const buf = new Uint8Array(32);
  const decoders = new Map<number, Decoder>();
  for (const bits of [16, 32, 64] as const) decoders.set(bits, new Decoder(bits, buf));
  const cpuidName = (n: number): string => iced.CpuidFeature[n] as string;
  for (const name of Object.keys(iced.Code)) {
    if (!Number.isNaN(Number(name))) continue;
    const code = iced.Code[name] as number;
    const op = iced.CodeExt.opCode(code);
    try {
      if (!op.isInstruction || (op.encoding !== ENC_LEGACY && op.encoding !== ENC_VEX)) continue;
      result.codes++;
      if (op.decoderOption !== 0) {
        result.needOptions.push(name);
        continue;
      }
      const intel = [op.intelDecoder16, op.intelDecoder32, op.intelDecoder64] as boolean[];
      if (!intel.some((x) => x)) {
        result.amdOnly.push(name);
        continue;
      }
      let built = 0;
      for (const bits of [16, 32, 64] as const) {
        if (!op.isAvailableInMode(bits) || !intel[bits >> 5]) continue;
        const us = decoders.get(bits)!;
        const seen = new Set<string>();
        for (const cand of candidates(op, bits)) {
          buf.fill(0);
          buf.set(cand);
          // iced's decoder copies its input: a fresh one per candidate.
          const d = new iced.Decoder(bits, buf, iced.DecoderOptions.None);
          d.ip = BigInt(IP);
          d.decodeOut(theirs);
          d.free?.();
          if (theirs.isInvalid || theirs.code !== code) continue;
          const bytes = Array.from(buf.subarray(0, theirs.length));
          const key = hexOf(bytes);
          if (seen.has(key)) continue;
          seen.add(key);
          built++;
          us.setBuffer(buf);
          us.decodeAt(ours, 0, IP, 0);
          const ourOk = ours.status === 0;
          const tText = f.format(theirs);
          const oText = fmt.format(ours);
          result.cases.push({
            code,
            codeName: name,
            bits,
            hex: key,
            cpuid: Array.from(theirs.cpuidFeatures() as ArrayLike<number>, cpuidName),
            theirs: tText,
            ours: oText,
            theirsLength: theirs.length,
            oursLength: ourOk ? ours.length : 0,
            agrees: ourOk && ours.length === theirs.length && tText === oText,
            theirsAtt: gas.format(theirs),
            oursAtt: att.format(ours),
          });
        }
      }
      if (built === 0) result.notBuilt.push(name);
    } finally {
      op.free?.();
    }
  }
  theirs.free?.();
  f.free?.();
  gas.free?.();
  return result;
}
