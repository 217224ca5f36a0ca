// Random cases for the 16- and 32-bit differential (legacy-oracle.ts): the general-purpose
// templates of the 64-bit differential without REX, in 16-bit and 32-bit code with both
// operand sizes, plus the forms that exist only outside 64-bit mode (BCD, SALC, PUSHA/POPA,
// BOUND, ARPL, LDS/LES/LSS/LFS/LGS, LAR/LSL/VERR/VERW, INC/DEC r, PUSH/POP r, PUSH/POP seg).
import { codeName, Decoder, Instruction } from '@typevisor/x86-decode';
import { randomWord, Rng, type Template, templates } from './differential.ts';
import { type LegacyCase, type LegacyResult, LEGACY_MEM, SEL } from './legacy-oracle.ts';

/** What a selector operand of a generated case should hold. */
const enum Selector {
  None = 0,
  /** Any selector of the kernel's tables (and some beyond them), random RPL: LAR/LSL/VERR/VERW. */
  Any = 1,
  /** Selectors valid or invalid for DS/ES/GS. */
  Data = 2,
  /** Selectors for SS. */
  Stack = 3,
  /** FS must stay flat (the kernel's return path writes through FS). */
  Flat = 4,
}

interface LegacyTemplate extends Template {
  selector?: Selector;
}

function legacyTemplates(): LegacyTemplate[] {
  // The 64-bit differential's templates, minus the REX.W-only form (MOVSXD) and the shifts of
  // 16-bit SHLD/SHRD by more than 16 (compared with a mask like the 64-bit test does).
  const t: LegacyTemplate[] = templates().filter((x) => !x.wOnly);
  for (const op of [0x27, 0x2f, 0x37, 0x3f, 0xd6]) t.push({ op: [op], byte: true });
  t.push({ op: [0xd4], imm: 1, byte: true }, { op: [0xd5], imm: 1, byte: true });
  t.push({ op: [0x60] }, { op: [0x61] });
  // BOUND is left out: v86 treats it as a no-op (no #BR), so it is no oracle for it (unit tests pin it).
  t.push({ op: [0x63], modrm: 'r', byte: true });
  t.push({ op: [0x40], plusReg: true }, { op: [0x48], plusReg: true });
  t.push({ op: [0x50], plusReg: true }, { op: [0x58], plusReg: true });
  t.push({ op: [0x06] }, { op: [0x1e] }, { op: [0x0f, 0xa0] }, { op: [0x0f, 0xa8] });
  t.push({ op: [0x07] }, { op: [0x1f] }, { op: [0x0f, 0xa9] });
  t.push({ op: [0xc4], modrm: 'r', memOnly: true, selector: Selector.Data });
  t.push({ op: [0xc5], modrm: 'r', memOnly: true, selector: Selector.Data });
  t.push({ op: [0x0f, 0xb2], modrm: 'r', memOnly: true, selector: Selector.Stack });
  t.push({ op: [0x0f, 0xb4], modrm: 'r', memOnly: true, selector: Selector.Flat });
  t.push({ op: [0x0f, 0xb5], modrm: 'r', memOnly: true, selector: Selector.Data });
  t.push(
    { op: [0x0f, 0x02], modrm: 'r', selector: Selector.Any },
    { op: [0x0f, 0x03], modrm: 'r', selector: Selector.Any },
  );
  t.push({ op: [0x0f, 0x00], modrm: 4, byte: true, selector: Selector.Any });
  t.push({ op: [0x0f, 0x00], modrm: 5, byte: true, selector: Selector.Any });
  return t;
}

const ANY_SELECTORS = [
  0,
  3,
  ...Object.values(SEL).filter((s) => s !== SEL.ldtData && s !== SEL.ldtCode),
  SEL.ldtData,
  SEL.ldtCode,
  0x14,
  0x70,
  0x78,
  0xfff8,
];
const DATA_SELECTORS = [
  0,
  SEL.data32,
  SEL.data16,
  SEL.dataReadOnly,
  SEL.codeConforming,
  SEL.codeExecOnly,
  SEL.dataDpl3,
  SEL.tss32,
  SEL.notPresent,
  SEL.ldtData,
  0x78,
];
const STACK_SELECTORS = [0, SEL.data32, SEL.dataReadOnly, SEL.dataDpl3, SEL.codeConforming];

/**
 * A random memory operand whose effective address is `target`: the ModRM mod/rm bits (reg
 * field 0), SIB and displacement bytes, and the register values that produce the address.
 * 16-bit addressing covers all eight base/index pairs (BP-based ones through SS, which has
 * the same base here) with wrap-around at 64 KiB; 32-bit addressing covers base, SIB with
 * every scale, and disp8/disp32.
 */
function memoryOperand(rng: Rng, addr16: boolean, target: number): { bytes: number[]; regs: [number, number][] } {
  const mod = rng.below(3);
  if (addr16) {
    const rm = rng.below(8);
    if (mod === 0 && rm === 6) return { bytes: [0x06, target & 0xff, target >>> 8], regs: [] };
    const disp = mod === 1 ? rng.below(256) : mod === 2 ? rng.below(0x10000) : 0;
    const dispValue = mod === 1 ? (disp << 24) >> 24 : disp;
    const dispBytes = mod === 1 ? [disp] : mod === 2 ? [disp & 0xff, disp >>> 8] : [];
    // rm: [bx+si] [bx+di] [bp+si] [bp+di] [si] [di] [bp] [bx] (register numbers 3, 5, 6, 7).
    const pair = [[3, 6], [3, 7], [5, 6], [5, 7], [6], [7], [5], [3]][rm]!;
    const regs: [number, number][] = [];
    let rest = (target - dispValue) & 0xffff;
    if (pair.length === 2) {
      const v = rng.below(0x10000);
      regs.push([pair[1]!, v]);
      rest = (rest - v) & 0xffff;
    }
    regs.push([pair[0]!, rest]);
    return { bytes: [(mod << 6) | rm, ...dispBytes], regs };
  }
  const dispValue = mod === 1 ? rng.below(256) - 128 : mod === 2 ? rng.below(0x10000) - 0x8000 : 0;
  const dispBytes =
    mod === 1 ? [dispValue & 0xff] : mod === 2 ? [0, 1, 2, 3].map((i) => (dispValue >>> (i * 8)) & 0xff) : [];
  const pickBase = () => {
    let r: number;
    do r = rng.below(8);
    while (r === 4 || (r === 5 && mod === 0));
    return r;
  };
  const base = pickBase();
  if (rng.below(2) === 0)
    return { bytes: [(mod << 6) | base, ...dispBytes], regs: [[base, (target - dispValue) >>> 0]] };
  let index: number;
  do index = rng.below(8);
  while (index === 4 || index === base);
  const scale = rng.below(4);
  const x = rng.below(16);
  const regs: [number, number][] = [
    [index, x],
    [base, (target - dispValue - x * (1 << scale)) >>> 0],
  ];
  return { bytes: [(mod << 6) | 4, (scale << 6) | (index << 3) | base, ...dispBytes], regs };
}

/** A generated legacy case with the decoded form it exercises. */
export interface GeneratedLegacyCase extends LegacyCase {
  formCode: number;
  formName: string;
  flagsUndefined: number;
  /** 16-bit SHLD/SHRD: a count above 16 leaves the result undefined. */
  shiftDouble16: boolean;
}

/** `perForm` random cases for every template in 16- and 32-bit code with both operand sizes. */
export function generateLegacyCases(perForm: number, seed: number): GeneratedLegacyCase[] {
  const rng = new Rng(seed);
  const insn = new Instruction();
  const out: GeneratedLegacyCase[] = [];
  const pick = () => {
    let r: number;
    do r = rng.below(8);
    while (r === 4);
    return r;
  };
  for (const bits of [16, 32] as const) {
    const decoder = new Decoder(bits, new Uint8Array(16));
    for (const t of legacyTemplates()) {
      if (t.vex && bits === 16) continue; // VEX in 16-bit protected mode works, but keep the 16-bit set to legacy forms
      const sizes = t.byte ? [0] : t.no16 || t.vex ? [0, 0x48] : [0, 0x66];
      for (const sz of sizes) {
        const memForms = t.modrm === undefined ? [false] : t.regOnly ? [false] : t.memOnly ? [true] : [false, true];
        for (const mem of memForms) {
          for (let k = 0; k < perForm; k++) {
            const bytes: number[] = [];
            // A quarter of the memory forms use the other address size (67h).
            const a67 = mem && rng.below(4) === 0;
            const addr16 = (bits === 16) !== a67;
            // 16-bit addresses and 16-bit code use the 16-bit data segment (base MEM) for DS/ES/SS.
            const seg16 = bits === 16 || a67;
            const operand = mem ? memoryOperand(rng, addr16, seg16 ? 16 : LEGACY_MEM + 16) : undefined;
            if (a67) bytes.push(0x67);
            if (sz === 0x66) bytes.push(0x66);
            if (t.mandatory !== undefined) bytes.push(t.mandatory);
            const regField = t.modrm === 'r' ? pick() : (t.modrm ?? 0);
            const rmReg = pick();
            let opLast = t.op[t.op.length - 1]!;
            if (t.plusReg) opLast += pick();
            if (t.vex) {
              const v = t.vex.vvvv ? pick() : 0;
              bytes.push(0xc4, 0xe0 | t.vex.map, (sz === 0x48 ? 0x80 : 0) | ((~v & 15) << 3) | t.vex.pp, opLast);
            } else bytes.push(...t.op.slice(0, -1), opLast);
            if (operand !== undefined) bytes.push(operand.bytes[0]! | ((regField & 7) << 3), ...operand.bytes.slice(1));
            else if (t.modrm !== undefined) bytes.push(0xc0 | ((regField & 7) << 3) | rmReg);
            const opsz = bits === 16 ? (sz === 0x66 ? 4 : 2) : sz === 0x66 ? 2 : 4;
            const immSize = t.imm === 'z' ? opsz : (t.imm ?? 0);
            for (let i = 0; i < immSize; i++)
              bytes.push(rng.below(4) === 0 ? [0, 1, 0xff, 0x80, 0x7f, 10, 16][rng.below(7)]! : rng.below(256));
            const code = new Uint8Array(bytes);
            decoder.setBuffer(code, 0, code.length);
            decoder.decodeAt(insn, 0, 0, 0);
            if (insn.status !== 0 || insn.length !== code.length) break;
            const regs = new Uint32Array(8);
            for (let r = 0; r < 8; r++) regs[r] = randomWord(rng);
            if (rng.below(2) === 0) regs[1] = rng.below(40); // CL shift counts
            // The stack sits in the 64 memory bytes: SP = 32 (pushes fill 0..31, pops read 32..63).
            regs[4] = seg16 ? 32 : LEGACY_MEM + 32;
            if (operand !== undefined)
              for (const [r, v] of operand.regs) regs[r] = addr16 ? (regs[r]! & 0xffff0000) | v : v;
            const memory = new Uint8Array(64);
            for (let i = 0; i < 64; i++) memory[i] = rng.below(256);
            if (t.selector !== undefined && t.selector !== Selector.None) {
              const list =
                t.selector === Selector.Any
                  ? ANY_SELECTORS
                  : t.selector === Selector.Data
                    ? DATA_SELECTORS
                    : t.selector === Selector.Stack
                      ? STACK_SELECTORS
                      : [SEL.data32];
              let sel = list[rng.below(list.length)]!;
              if (t.selector === Selector.Any) sel |= rng.below(4);
              if (t.selector === Selector.Any && !mem) {
                // The selector is the r/m register (LAR/LSL/VERR/VERW read it as 16 bits).
                regs[rmReg] = (regs[rmReg]! & 0xffff0000) | sel;
              } else {
                const at = t.selector === Selector.Any ? 16 : 16 + opsz;
                memory[at] = sel & 0xff;
                memory[at + 1] = sel >>> 8;
              }
            }
            const flags = rng.next() & 0x8d5;
            const name = codeName(insn.code);
            out.push({
              code,
              regs,
              flags,
              bits,
              dataSelector: seg16 ? SEL.data16 : SEL.data32,
              memory,
              formCode: insn.code,
              formName: `${bits}:${name}${a67 ? (addr16 ? '/a16' : '/a32') : ''}`,
              flagsUndefined: insn.flagsUndefined,
              shiftDouble16: (name.startsWith('Shld') || name.startsWith('Shrd')) && insn.operandSize === 2,
            });
          }
        }
      }
    }
  }
  return out;
}

/** How two legacy results differ ('' = they agree on everything the SDM defines). */
export function compareLegacy(c: GeneratedLegacyCase, a: LegacyResult, b: LegacyResult): string {
  if (a.vector !== b.vector) return `vector v86=${a.vector} ours=${b.vector}`;
  if (a.vector !== -1) return '';
  if (c.shiftDouble16) {
    const usesCl = c.formName.includes('_cl');
    const count = usesCl ? c.regs[1]! : c.code[c.code.length - 1]!;
    if ((count & 31) > 16) return '';
  }
  // BSWAP r16 is undefined (SDM 2 "BSWAP"): v86 swaps all 32 bits, processors (and we) clear the low 16.
  const skip = c.formName.endsWith('Bswap_r16') ? c.code[c.code.length - 1]! & 7 : -1;
  for (let r = 0; r < 8; r++)
    if (r !== skip && a.regs[r] !== b.regs[r])
      return `reg ${r} v86=${a.regs[r]!.toString(16)} ours=${b.regs[r]!.toString(16)}`;
  const defined = 0x8d5 & ~c.flagsUndefined;
  if ((a.flags & defined) !== (b.flags & defined))
    return `flags v86=${(a.flags & defined).toString(16)} ours=${(b.flags & defined).toString(16)} (mask ${defined.toString(16)})`;
  for (let k = 0; k < 5; k++)
    if (a.selectors[k] !== b.selectors[k])
      return `selector ${['ds', 'es', 'fs', 'gs', 'ss'][k]} v86=${a.selectors[k]!.toString(16)} ours=${b.selectors[k]!.toString(16)}`;
  for (let i = 0; i < 64; i++) if (a.memory[i] !== b.memory[i]) return `memory byte ${i}`;
  return '';
}
