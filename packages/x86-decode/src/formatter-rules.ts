// Decisions iced-x86's formatters make the same way in every syntax: which legacy prefixes an
// instruction shows, which segment override is worth printing, and whether the operands already
// tell a memory operand's size. The Intel and AT&T formatters spell the results differently.
import { ATTR_BND, ATTR_FMT_SIZE, ATTR_HLE, ATTR_NOTRACK, ATTR_REP, ATTR_REPNE, ATTR_XRELEASE } from './decoder.ts';
import { decodeTables, INFO_ROWS, infoOffset } from './generated/tables.ts';
import { type Instruction, OperandKind, PREFIX_LOCK, PREFIX_REP, PREFIX_REPNE } from './instruction.ts';
import { MEMORY_SIZE_BYTES, OperandType, RegisterClass } from './operand-type.ts';
import { Register } from './register.ts';

/** x87 forms written without operands when the other register is ST(1) (for ...P forms: ST(i) is the destination). */
export const X87_IMPLICIT_ST1: ReadonlySet<string> = new Set([
  'fxch',
  'fcom',
  'fcomp',
  'fucom',
  'fucomp',
  'faddp',
  'fmulp',
  'fsubp',
  'fsubrp',
  'fdivp',
  'fdivrp',
]);

/**
 * VIA PadLock / Zhaoxin instructions: their operands are implicit rSI/rDI/rCX/rAX sized by the
 * address size, which both formatters show as an `addrNN` prefix when it is not the mode's default.
 */
export const PADLOCK_MNEMONICS: readonly string[] = [
  'xstore',
  'xstore_alt',
  'xcryptecb',
  'xcryptcbc',
  'xcryptctr',
  'xcryptcfb',
  'xcryptofb',
  'ccs_encrypt',
  'ccs_hash',
  'montmul',
  'xsha1',
  'xsha256',
  'xsha512',
  'xsha512_alt',
  'undoc',
];

/** Bytes of a general register (1, 2, 4, 8), 0 for any other register. */
export const gprBytes = (r: number): number =>
  r <= Register.R15L ? 1 : r <= Register.R15W ? 2 : r <= Register.R15D ? 4 : r <= Register.R15 ? 8 : 0;

/** Whether operand type `type` appears among the form's operands. */
export function formHasOperandType(code: number, type: OperandType): boolean {
  for (let k = 0; k < 5; k++) if ((decodeTables.CODE_OPS[code * 5 + k]! & 0xff) === type) return true;
  return false;
}

/**
 * `xacquire `, `xrelease ` and `lock ` as iced shows them: HLE hints only on a LOCKed memory
 * operation (or XCHG with memory, which locks implicitly) or on a releasing MOV store.
 */
export function lockPrefixText(insn: Instruction, attrs: number, hasMem: boolean, isXchg: boolean): string {
  const prefixes = insn.prefixes;
  const lock = (prefixes & PREFIX_LOCK) !== 0;
  const rep = (prefixes & PREFIX_REP) !== 0 && insn.lastRepPrefix === 0xf3;
  const repne = (prefixes & PREFIX_REPNE) !== 0 && insn.lastRepPrefix === 0xf2;
  let out = '';
  if (hasMem && (attrs & ATTR_HLE) !== 0 && (lock || isXchg)) {
    if (repne) out += 'xacquire ';
    if (rep) out += 'xrelease ';
  } else if (hasMem && (attrs & ATTR_XRELEASE) !== 0 && rep) out += 'xrelease ';
  return lock ? `${out}lock ` : out;
}

/**
 * `notrack `, `bnd ` and `rep `/`repe `/`repne ` as iced shows them; `bareRet` is a RET
 * without operands (iced shows its F3 as `rep`). iced reports only the last of F2/F3.
 */
export function branchAndRepPrefixText(insn: Instruction, attrs: number, bareRet: boolean): string {
  const prefixes = insn.prefixes;
  const rep = (prefixes & PREFIX_REP) !== 0 && insn.lastRepPrefix === 0xf3;
  const repne = (prefixes & PREFIX_REPNE) !== 0 && insn.lastRepPrefix === 0xf2;
  let out = '';
  // NOTRACK is a DS prefix on an indirect CALL/JMP
  if ((attrs & ATTR_NOTRACK) !== 0 && insn.segmentPrefix === Register.DS) out += 'notrack ';
  const bnd = (attrs & ATTR_BND) !== 0 && repne;
  if (bnd) out += 'bnd ';
  if (rep && ((attrs & ATTR_REP) !== 0 || bareRet)) out += (attrs & ATTR_REPNE) !== 0 ? 'repe ' : 'rep ';
  if (!bnd && repne && (attrs & ATTR_REP) !== 0) out += 'repne ';
  return out;
}

/**
 * The segment override to print on a memory operand, or `Register.None`: in 64-bit mode only
 * FS/GS count, elsewhere any segment other than the operand's default (SS for rBP/ESP bases).
 */
export function shownSegment(insn: Instruction, hasString: boolean): Register {
  const seg = insn.segmentPrefix;
  if (seg === Register.None) return Register.None;
  if (insn.bitness === 64) return seg === Register.FS || seg === Register.GS ? seg : Register.None;
  const b = insn.memBase;
  const def = !hasString && (b === Register.BP || b === Register.EBP || b === Register.ESP) ? Register.SS : Register.DS;
  return seg !== def ? seg : Register.None;
}

/**
 * Whether a formatter must say the size of memory operand `k` (a size keyword, a mnemonic
 * suffix): always for `fmt:size` forms, else not for a vector or moffs operand nor when another operand (a general register of the same width, a segment register for a
 * word, any vector register) already tells it.
 */
export function memorySizeNeeded(insn: Instruction, k: number, attrs: number): boolean {
  if ((attrs & ATTR_FMT_SIZE) !== 0) return true;
  const code = insn.code;
  const d = decodeTables.CODE_OPS[code * 5 + k]!;
  const cls = (d >> 8) & 0xff;
  if (cls >= RegisterClass.Mm && cls !== RegisterClass.St) return false;
  if ((d & 0xff) === OperandType.Moffs) return false;
  const bytes = MEMORY_SIZE_BYTES[insn.memSizeKind] ?? -1;
  for (let j = 0; j < insn.opCount; j++) {
    if (j === k || insn.opKind[j] !== OperandKind.Register) continue;
    if ((decodeTables.CODE_OPS[code * 5 + j]! & 0xff) === OperandType.FixedReg) continue;
    const r = insn.opRegister[j]!;
    if (r >= Register.MM0 || (r >= Register.XMM0 && r < Register.BND0)) return false;
    if (r <= Register.R15 && gprBytes(r) === bytes) return false;
    if (r >= Register.ES && r <= Register.GS && bytes === 2) return false;
  }
  return true;
}

/** `vpcmp{b,w,d,q,ub,uw,ud,uq}` predicate pseudo-ops (imm8 0-7) as iced prints them: `vpcmpltub`. */
export const VPCMP_PREDICATES: readonly string[] = ['eq', 'lt', 'le', 'false', 'neq', 'nlt', 'nle', 'true'];

/** Whether `m` (lowercase) is one of the EVEX integer compares with an imm8 predicate. */
export const isVpcmp = (m: string): boolean => /^vpcmpu?[bwdq]$/.test(m);

/** Embedded rounding `{rn-sae}`... by `Instruction.roundingControl`, Intel spelling (iced: `rne`). */
export const ROUNDING_INTEL: readonly string[] = ['', '{rne-sae}', '{rd-sae}', '{ru-sae}', '{rz-sae}'];
/** The same in AT&T spelling (iced's GAS formatter: `rn`). */
export const ROUNDING_ATT: readonly string[] = ['', '{rn-sae}', '{rd-sae}', '{ru-sae}', '{rz-sae}'];

/** `{1toN}` of an embedded broadcast: N = the form's memory operand size over the element size. */
export function broadcastText(insn: Instruction): string {
  const full = MEMORY_SIZE_BYTES[INFO_ROWS[infoOffset(insn.code) + 1]! >> 8]!;
  return `{1to${full / MEMORY_SIZE_BYTES[insn.memSizeKind]!}}`;
}
