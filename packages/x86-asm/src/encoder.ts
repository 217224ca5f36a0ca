// Instruction -> bytes. Every form comes from the generated table (the decoder's data); the
// encoder tries each form of the mnemonic that takes the operands and keeps the shortest,
// the way NASM and llvm-mc choose (imm8 forms, short jumps, no redundant prefixes).
import { codeName, MEMORY_SIZE_BYTES, OperandType, Register } from '@typevisor/x86-decode';
import { AsmError } from './asm-error.ts';
import {
  ATTR_D64,
  ATTR_F64,
  ATTR_FAR,
  codeMnemonic,
  codesOf,
  ENCODE_CODE_COUNT,
  F_ASZ,
  F_ATTRS,
  F_HAS_MODRM,
  F_L,
  F_MAP,
  F_MEM_SIZE,
  F_MOD,
  F_MODE,
  F_OP_COUNT,
  F_OPCODE,
  F_OSZ,
  F_PFX,
  F_REG,
  F_REXB,
  F_RM,
  F_W,
  field,
  opDesc,
} from './form-table.ts';
import type { ImmediateOperand, MemoryOperand, Operand } from './operand.ts';
import { gprSize, registerClassOf, registerCode } from './registers.ts';

/** Code bitness. */
export type Bits = 16 | 32 | 64;

/** `lock` prefix requested. */
export const PREFIX_LOCK = 1;
/** `rep` / `repe` / `repz` prefix requested (F3). */
export const PREFIX_REP = 2;
/** `repne` / `repnz` prefix requested (F2). */
export const PREFIX_REPNE = 4;
/** NASM `o16`: 16-bit operand size (66h outside 16-bit code). */
export const PREFIX_O16 = 8;
/** NASM `o32`: 32-bit operand size (66h in 16-bit code). */
export const PREFIX_O32 = 16;
/** NASM `o64`: 64-bit operand size (REX.W; 64-bit code only). */
export const PREFIX_O64 = 32;
/** NASM `a16`: 16-bit address size (67h in 32-bit code; not in 64-bit code). */
export const PREFIX_A16 = 64;
/** NASM `a32`: 32-bit address size (67h in 16- and 64-bit code). */
export const PREFIX_A32 = 128;
/** NASM `a64`: 64-bit address size (64-bit code only). */
export const PREFIX_A64 = 256;
const PREFIX_OSIZE = PREFIX_O16 | PREFIX_O32 | PREFIX_O64;
const PREFIX_ASIZE = PREFIX_A16 | PREFIX_A32 | PREFIX_A64;

/** Options of {@link encode}. */
export interface EncodeOptions {
  /** Code bitness (default 64). */
  bits?: Bits;
  /** Address of the instruction, for relative branches and `[rel x]` (default 0). */
  ip?: number;
  /** `PREFIX_LOCK | PREFIX_REP | PREFIX_REPNE` and at most one `PREFIX_O*` and one `PREFIX_A*` bit. */
  prefixes?: number;
}

/** Mnemonic spellings NASM accepts that the SDM tables name differently. */
const ALIASES: Record<string, string> = {
  JZ: 'JE',
  JNZ: 'JNE',
  JC: 'JB',
  JNAE: 'JB',
  JNB: 'JAE',
  JNC: 'JAE',
  JNA: 'JBE',
  JNBE: 'JA',
  JPE: 'JP',
  JPO: 'JNP',
  JNGE: 'JL',
  JNL: 'JGE',
  JNG: 'JLE',
  JNLE: 'JG',
  RETN: 'RET',
  SAL: 'SHL',
  INT01: 'INT1',
  ICEBP: 'INT1',
  WAIT: 'FWAIT',
  XLATB: 'XLAT',
};
for (const [from, to] of Object.entries({ ...ALIASES })) {
  if (from.startsWith('J')) {
    ALIASES[`SET${from.slice(1)}`] = `SET${to.slice(1)}`;
    ALIASES[`CMOV${from.slice(1)}`] = `CMOV${to.slice(1)}`;
  }
}
/** NASM's default-operand-size spellings: index by bits 16/32/64 -> 0/1/2. */
const DEFAULT_SIZE_ALIASES: Record<string, [string, string, string]> = {
  IRET: ['IRETW', 'IRETD', 'IRETD'],
  PUSHF: ['PUSHF', 'PUSHFD', 'PUSHFQ'],
  POPF: ['POPF', 'POPFD', 'POPFQ'],
  PUSHA: ['PUSHA', 'PUSHAD', 'PUSHAD'],
  POPA: ['POPA', 'POPAD', 'POPAD'],
};

/** With `o64`: the 64-bit spellings. */
const O64_NAMES: Record<string, string> = { IRET: 'IRETQ', PUSHF: 'PUSHFQ', POPF: 'POPFQ' };

/** The table mnemonic for `iret`/`pushf`/... under an `o16`/`o32`/`o64` prefix, else the mode's. */
function prefixedMnemonic(mnemonic: string, bits: Bits, prefixes: number): string {
  const osize = prefixes & PREFIX_OSIZE;
  const m = mnemonic.toUpperCase();
  const d = DEFAULT_SIZE_ALIASES[m];
  if (osize === 0 || !d) return canonicalMnemonic(mnemonic, bits);
  return osize === PREFIX_O16 ? d[0] : osize === PREFIX_O32 ? d[1] : (O64_NAMES[m] ?? m);
}

/** The table mnemonic an assembler mnemonic stands for in this mode. */
export function canonicalMnemonic(mnemonic: string, bits: Bits): string {
  const m = mnemonic.toUpperCase();
  const d = DEFAULT_SIZE_ALIASES[m];
  if (d) return d[bits >> 5];
  return ALIASES[m] ?? m;
}

const SEGMENT_PREFIX = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
/** rAX sized by the address size (VMRUN rax, CLZERO eax). */
const ADDR_SIZE_REG: number = OperandType.AddrSizeReg;
const IMPLICIT_TYPES = new Set<number>([
  ADDR_SIZE_REG,
  OperandType.StringSource,
  OperandType.StringDestination,
  OperandType.XlatMemory,
  OperandType.ImplicitMemory,
]);

// Scratch state reused by every encode (no allocation per candidate).
const scratch = new Uint8Array(32);
const best = new Uint8Array(32);
const immOps: ImmediateOperand[] = [];
const immTypes: number[] = [];

// Which user operand each form operand takes (-1 = implicit, not written), set by mapOperands.
const slot = new Int8Array(5);

/**
 * Lines the written operands up with the form's: all of them, none (string instructions,
 * MONITOR...), or all but an ST(0) (`fld dword [x]`, `fstp qword [x]`, `fxch st1`).
 */
function mapOperands(code: number, ops: readonly Operand[]): boolean {
  const n = field(code, F_OP_COUNT);
  if (ops.length === n) {
    for (let k = 0; k < n; k++) slot[k] = k;
    return true;
  }
  if (ops.length === 0 && allImplicit(code, n)) {
    slot.fill(-1);
    return true;
  }
  // implicit memory/rAX left out between written operands (`vmaskmovdqu xmm1, xmm2`, `vmrun`)
  let written = 0;
  for (let k = 0; k < n; k++) if (!IMPLICIT_TYPES.has(opDesc(code, k) & 0xff)) written++;
  if (written === ops.length && written < n) {
    let j = 0;
    for (let k = 0; k < n; k++) slot[k] = IMPLICIT_TYPES.has(opDesc(code, k) & 0xff) ? -1 : j++;
    return true;
  }
  if (ops.length === n - 1 && n === 2) {
    const st0 = OperandType.FixedReg | (Register.ST0 << 16);
    if (opDesc(code, 0) === st0) {
      slot[0] = -1;
      slot[1] = 0;
      return true;
    }
    if (opDesc(code, 1) === st0) {
      slot[0] = 0;
      slot[1] = -1;
      return true;
    }
  }
  return false;
}

/** The operand shapes a mnemonic takes in a mode, from the decoder's form names (`rm32, imm8 | ...`). */
function expectedShapes(codes: readonly number[], bits: Bits): string {
  const shapes: string[] = [];
  for (const c of codes) {
    if (!formValidIn(c, bits)) continue;
    const parts = codeName(c).split('_').slice(1);
    while (parts.length > 0 && /^(o|a)(16|32|64)$|^\d+$/.test(parts[parts.length - 1]!)) parts.pop();
    const shape = parts.length === 0 ? 'no operands' : parts.join(', ');
    if (!shapes.includes(shape)) shapes.push(shape);
  }
  if (shapes.length === 0) return `nothing: the instruction does not exist in ${bits}-bit mode`;
  return shapes.length > 12 ? `${shapes.slice(0, 12).join(' | ')} | ...` : shapes.join(' | ');
}

/** ` with o32` / ` with o16 a32` for an error message, or ''. */
function sizePrefixText(prefixes: number): string {
  const words: string[] = [];
  if (prefixes & PREFIX_OSIZE) words.push(prefixes & PREFIX_O16 ? 'o16' : prefixes & PREFIX_O32 ? 'o32' : 'o64');
  if (prefixes & PREFIX_ASIZE) words.push(prefixes & PREFIX_A16 ? 'a16' : prefixes & PREFIX_A32 ? 'a32' : 'a64');
  return words.length > 0 ? ` with ${words.join(' ')}` : '';
}

function hasImm8Sx(code: number): boolean {
  for (let k = field(code, F_OP_COUNT) - 1; k >= 0; k--)
    if ((opDesc(code, k) & 0xff) === OperandType.Imm8Sx) return true;
  return false;
}

/** Whether a form's operands are all implicit (string instructions, MONITOR...), so it may be written without them. */
function allImplicit(code: number, n: number): boolean {
  let any = false;
  for (let k = 0; k < n; k++) {
    const t = opDesc(code, k) & 0xff;
    if (IMPLICIT_TYPES.has(t)) any = true;
    else if (t !== OperandType.FixedReg) return false;
  }
  return any;
}

function memSizeMatches(m: MemoryOperand, code: number): boolean {
  const far = (field(code, F_ATTRS) & ATTR_FAR) !== 0;
  if (m.far !== far) return false;
  if (m.size === 0) return true;
  const bytes = MEMORY_SIZE_BYTES[field(code, F_MEM_SIZE)] ?? 0;
  return bytes === 0 || bytes === m.size;
}

/** Does user operand `o` fit descriptor `d` of `code`? (Value ranges are checked when encoding.) */
function operandMatches(o: Operand, d: number, code: number): boolean {
  const t = d & 0xff;
  const cls = (d >> 8) & 0xff;
  switch (t) {
    case OperandType.ModrmReg:
    case OperandType.ModrmRmReg:
    case OperandType.OpcodeReg:
    case OperandType.VvvvReg:
    case OperandType.Is4Reg:
      return o.kind === 'reg' && registerClassOf(o.reg) === cls;
    case OperandType.ModrmRm:
      if (o.kind === 'reg') return registerClassOf(o.reg) === cls;
      return o.kind === 'mem' && memSizeMatches(o, code);
    case OperandType.ModrmRmMem:
      return o.kind === 'mem' && memSizeMatches(o, code);
    case OperandType.FixedReg:
      return o.kind === 'reg' && o.reg === d >>> 16;
    case OperandType.Imm8:
    case OperandType.Imm8Sx:
    case OperandType.Imm16Sx:
    case OperandType.Imm8Second:
      return o.kind === 'imm' && o.jump === '' && (o.size === 0 || o.size === 1 || sizeKeywordFits(o.size, code));
    case OperandType.Imm4:
      return o.kind === 'imm' && o.jump === '' && (o.size === 0 || o.size === 1);
    case OperandType.Imm16:
    case OperandType.Imm16Zx:
    case OperandType.Imm32:
    case OperandType.Imm32Sx64:
    case OperandType.Imm64:
      return o.kind === 'imm' && o.jump === '' && (o.size === 0 || sizeKeywordFits(o.size, code));
    case OperandType.Const1:
      // a value not known yet may turn out to be 1 (the first layout pass is optimistic)
      return o.kind === 'imm' && !o.relocatable && o.jump === '' && (!o.known || (o.lo === 1 && o.hi === 0));
    case OperandType.Rel8:
      return o.kind === 'imm' && o.jump !== 'near';
    case OperandType.Rel16:
    case OperandType.Rel32:
      return o.kind === 'imm' && o.jump !== 'short';
    case OperandType.Ptr16x16:
      return o.kind === 'far' && (!o.size || o.size === 2);
    case OperandType.Ptr16x32:
      return o.kind === 'far' && (!o.size || o.size === 4);
    case OperandType.Moffs:
      return (
        o.kind === 'mem' &&
        o.base === Register.None &&
        o.index === Register.None &&
        !o.ripRelative &&
        !o.far &&
        (o.size === 0 || o.size === MEMORY_SIZE_BYTES[field(code, F_MEM_SIZE)])
      );
    case OperandType.StringSource:
    case OperandType.StringDestination:
    case OperandType.XlatMemory:
    case OperandType.ImplicitMemory:
      return o.kind === 'mem';
    case ADDR_SIZE_REG:
      // rAX of the address size (VMRUN rax, CLZERO eax): AX, EAX or RAX
      return o.kind === 'reg' && gprSize(o.reg) >= 2 && registerCode(o.reg) === 0;
    default:
      return false;
  }
}

function sizeKeywordFits(size: number, code: number): boolean {
  const osz = field(code, F_OSZ);
  return osz < 0 || 2 << osz === size;
}

// In 64-bit mode NASM and llvm-mc both make `jmp/call far [m]` the m16:64 form (REX.W).
const defaultOsz = (bits: Bits, attrs: number): number =>
  bits === 16 ? 0 : bits === 32 ? 1 : attrs & (ATTR_D64 | ATTR_F64 | ATTR_FAR) ? 2 : 1;

/**
 * Whether form `code` exists in `bits` mode: the table's mode column, which already says that
 * 64-bit operand sizes exist only in 64-bit mode and that a 66h on a near branch is ignored there.
 */
export function formValidIn(code: number, bits: Bits): boolean {
  // EVEX (AVX-512) forms, maps 7-9 of the decoder's table, are decoded but not encoded yet
  if (field(code, F_MAP) >= 7) return false;
  const mode = field(code, F_MODE);
  return !((mode === 0 && bits === 64) || (mode === 1 && bits !== 64));
}

/**
 * -1 when the form cannot take the operands; otherwise a penalty (0 best) that prefers the
 * mode's default operand/address size when no operand fixes it (`push 5`, `ret`, `jmp x`).
 */
function formPenalty(code: number, ops: readonly Operand[], bits: Bits): number {
  if (!formValidIn(code, bits)) return -1;
  const osz = field(code, F_OSZ);
  const attrs = field(code, F_ATTRS);
  const n = field(code, F_OP_COUNT);
  if (!mapOperands(code, ops)) return -1;
  for (let k = 0; k < n; k++) if (slot[k]! >= 0 && !operandMatches(ops[slot[k]!]!, opDesc(code, k), code)) return -1;
  let penalty = 0;
  if (osz >= 0 && osz !== defaultOsz(bits, attrs)) {
    const width = 2 << osz;
    let anchored = false;
    for (const o of ops) {
      if (o.kind === 'reg' && gprSize(o.reg) === width) anchored = true;
      else if ((o.kind === 'mem' || o.kind === 'imm' || o.kind === 'far') && o.size === width) anchored = true;
    }
    if (!anchored) penalty += 2;
  }
  const asz = field(code, F_ASZ);
  if (asz >= 0 && asz !== (bits === 16 ? 0 : bits === 32 ? 1 : 2)) penalty += 1;
  return penalty;
}

/**
 * Encodes one instruction into `out` at `pos`, choosing the shortest form; returns its length.
 * `minLength` (layout relaxation) makes the encoder prefer forms at least that long.
 * Throws {@link AsmError} (without a source position) when nothing encodes.
 */
export function encodeInto(
  out: Uint8Array,
  pos: number,
  mnemonic: string,
  ops: readonly Operand[],
  bits: Bits,
  ip: number,
  prefixes: number,
  minLength = 0,
): number {
  const name = prefixedMnemonic(mnemonic, bits, prefixes);
  const codes = codesOf(name);
  if (codes.length === 0) throw new AsmError('unknown-mnemonic', `unknown mnemonic '${mnemonic.toLowerCase()}'`);
  let bestLen = 0;
  let bestRank = Number.POSITIVE_INFINITY;
  let bestPenalty = 0;
  let rangeFailures = 0;
  let unsizedMem = false;
  for (const o of ops) if (o.kind === 'mem' && o.size === 0 && !o.far) unsizedMem = true;
  let sizes = 0; // bit set of memory widths among the best-penalty candidates (ambiguity check)
  let sizesPenalty = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 2; pass++) {
    for (const code of codes) {
      const penalty = formPenalty(code, ops, bits);
      if (penalty < 0) continue;
      rangeFailure = false;
      const len = encodeForm(code, ops, bits, ip, prefixes, scratch, 0);
      if (len < 0) {
        if (rangeFailure) rangeFailures++;
        continue;
      }
      if (unsizedMem) {
        const w = MEMORY_SIZE_BYTES[field(code, F_MEM_SIZE)] ?? 0;
        if (penalty < sizesPenalty) {
          sizesPenalty = penalty;
          sizes = 0;
        }
        if (penalty === sizesPenalty && w !== 0) sizes |= 1 << Math.min(w, 30);
      }
      // Shortest first; between equal lengths prefer an imm8 form (NASM's and llvm-mc's
      // `83 /0 ib` over `05 iw` in 16-bit code) and a form without REX.W / VEX.W (llvm-mc's MOVQ, VMOVQ).
      let tie = lastRexW ? 2 : 0;
      if (!hasImm8Sx(code)) tie += 1;
      const rank = ((penalty * 2 + (len < minLength ? 1 : 0)) * 32 + len) * 4 + tie;
      if (rank < bestRank) {
        bestRank = rank;
        bestLen = len;
        bestPenalty = penalty;
        for (let i = 0; i < len; i++) best[i] = scratch[i]!;
      }
    }
    // XCHG is symmetric: try the operands swapped too; on a tie the swapped order wins,
    // which puts the first register in ModRM.reg as llvm-mc does.
    if (name !== 'XCHG' || ops.length !== 2) break;
    ops = [ops[1]!, ops[0]!];
    bestRank += 1;
  }
  void bestPenalty;
  if (bestLen === 0) {
    if (rangeFailures > 0)
      throw new AsmError(
        'out-of-range',
        `a value does not fit any form of '${mnemonic.toLowerCase()}' (immediate, displacement or jump distance)`,
      );
    throw new AsmError(
      'no-encoding',
      `no form of '${mnemonic.toLowerCase()}' takes these operands${sizePrefixText(prefixes)} in ${bits}-bit mode; expected ${expectedShapes(codes, bits)}`,
    );
  }
  if (unsizedMem && (sizes & (sizes - 1)) !== 0)
    throw new AsmError(
      'size-ambiguous',
      `operation size not specified: write byte/word/dword/qword before the memory operand`,
    );
  for (let i = 0; i < bestLen; i++) out[pos + i] = best[i]!;
  return bestLen;
}

/**
 * Encodes `ops` with exactly the form `code` (the decoder's instruction code) into `out` at
 * `pos`; returns the length. Throws {@link AsmError} when the form does not take the operands
 * in this mode or a value does not fit it.
 */
export function encodeCodeInto(
  out: Uint8Array,
  pos: number,
  code: number,
  ops: readonly Operand[],
  bits: Bits,
  ip: number,
  prefixes: number,
): number {
  if (!Number.isInteger(code) || code <= 0 || code >= ENCODE_CODE_COUNT)
    throw new AsmError('usage', `${code} is not an instruction code of the table`);
  if (formPenalty(code, ops, bits) < 0)
    throw new AsmError(
      'no-encoding',
      `form ${code} (${codeMnemonic(code).toLowerCase()}) does not take these operands in ${bits}-bit mode`,
    );
  rangeFailure = false;
  const n = encodeForm(code, ops, bits, ip, prefixes, scratch, 0);
  if (n < 0)
    throw new AsmError(
      rangeFailure ? 'out-of-range' : 'no-encoding',
      `form ${code} (${codeMnemonic(code).toLowerCase()}) cannot encode these operands${rangeFailure ? ': a value is out of range' : ''}`,
    );
  for (let i = 0; i < n; i++) out[pos + i] = scratch[i]!;
  return n;
}

/**
 * Encodes one instruction and returns its bytes.
 *
 * @example
 * ```ts
 * import { encode, imm, reg } from '@typevisor/x86-asm';
 * import { Register } from '@typevisor/x86-decode';
 * encode('add', [reg(Register.EAX), imm(1)], { bits: 32 }); // Uint8Array [0x83, 0xc0, 0x01]
 * ```
 */
export function encode(mnemonic: string, operands: readonly Operand[], options: EncodeOptions = {}): Uint8Array {
  const out = new Uint8Array(16);
  const n = encodeInto(out, 0, mnemonic, operands, options.bits ?? 64, options.ip ?? 0, options.prefixes ?? 0);
  return out.slice(0, n);
}

// Why the last encodeForm call failed: a value out of its field's range, or no encoding at all.
let rangeFailure = false;
// Whether the last successful encodeForm used REX.W (a tie-breaker between equal lengths).
let lastRexW = false;
const outOfRange = (): number => {
  rangeFailure = true;
  return -1;
};

/** Writes `size` bytes of a hi:lo value little-endian. */
function putValue(out: Uint8Array, pos: number, lo: number, hi: number, size: number): number {
  for (let i = 0; i < size && i < 4; i++) out[pos + i] = (lo >>> (8 * i)) & 0xff;
  for (let i = 4; i < size; i++) out[pos + i] = (hi >>> (8 * (i - 4))) & 0xff;
  return pos + size;
}

/** Whether a 64-bit hi:lo value, read at `width` bytes, is a sign-extended imm8. */
function fitsS8(lo: number, hi: number, width: number): boolean {
  if (width === 8) return (hi === 0 && lo <= 0x7f) || (hi === -1 && lo >= 0xffffff80);
  if (!fitsWidth(lo, hi, width)) return false;
  const v = width === 4 ? lo | 0 : width === 2 ? (lo << 16) >> 16 : (lo << 24) >> 24;
  return v >= -128 && v <= 127;
}

/** Whether a hi:lo value is representable in `width` bytes (signed or unsigned). */
function fitsWidth(lo: number, hi: number, width: number): boolean {
  if (width >= 8) return true;
  if (width === 4) return hi === 0 || (hi === -1 && lo >= 0x80000000);
  const lim = width === 2 ? 0x10000 : 0x100;
  return (hi === 0 && lo < lim) || (hi === -1 && lo >= 2 ** 32 - lim / 2);
}

const fitsS32 = (lo: number, hi: number): boolean => (hi === 0 && lo < 0x80000000) || (hi === -1 && lo >= 0x80000000);

/** VSIB (gathers): an XMM/YMM index register. */
const isVectorIndex = (r: Register): boolean => r >= Register.XMM0 && r < Register.K0;

/** Address size a base or index register implies: 2/4/8, 0 for none (or a VSIB index), -1 invalid. */
function addressRegisterSize(r: Register): number {
  if (r === Register.None || isVectorIndex(r)) return 0;
  const s = r === Register.RIP ? 8 : r === Register.EIP ? 4 : gprSize(r);
  return s < 2 ? -1 : s;
}

function addressSizeOf(m: MemoryOperand, bits: Bits): number {
  if (m.ripRelative) return m.base === Register.EIP ? 4 : 8;
  const b = addressRegisterSize(m.base);
  const x = addressRegisterSize(m.index);
  if (b < 0 || x < 0 || (b !== 0 && x !== 0 && b !== x)) return -1;
  return b || x || bits >> 3;
}

/**
 * Encodes `ops` with form `code` into `out` at `pos`; returns the length, or -1 when a
 * value does not fit this form (imm8, rel8, displacement range, REX conflicts).
 */
function encodeForm(
  code: number,
  ops: readonly Operand[],
  bits: Bits,
  ip: number,
  prefixes: number,
  out: Uint8Array,
  pos: number,
): number {
  const map = field(code, F_MAP);
  const vex = map >= 4;
  const osz = field(code, F_OSZ);
  const attrs = field(code, F_ATTRS);
  const n = field(code, F_OP_COUNT);
  mapOperands(code, ops);
  const formReg = field(code, F_REG);
  const formRm = field(code, F_RM);
  let regField = Math.max(formReg, 0);
  let rmField = Math.max(formRm, 0);
  let rexW = field(code, F_W) === 1 ? 1 : 0;
  let rexR = 0;
  let rexX = 0;
  let rexB = 0;
  let needRex = false;
  let highByte = false;
  let vvvv = 0;
  let is4 = -1;
  let imm4 = 0;
  let opcodeAdd = 0;
  let memory: MemoryOperand | null = null;
  let farOp: Operand | null = null;
  let stringSegment: Register = Register.None;
  let addressFromRegister = 0;
  immOps.length = 0;
  immTypes.length = 0;

  for (let k = 0; k < n; k++) {
    if (slot[k]! < 0) continue;
    const d = opDesc(code, k);
    const t = d & 0xff;
    const o = ops[slot[k]!]!;
    switch (t) {
      case OperandType.ModrmReg: {
        if (o.kind !== 'reg') return -1;
        const c = registerCode(o.reg);
        regField = c & 7;
        rexR = (c >> 3) & 1;
        if (o.reg >= Register.SPL && o.reg <= Register.DIL) needRex = true;
        else if (o.reg >= Register.AH && o.reg <= Register.BH) highByte = true;
        break;
      }
      case OperandType.ModrmRm:
      case OperandType.ModrmRmReg:
      case OperandType.ModrmRmMem:
        if (o.kind === 'reg') {
          const c = registerCode(o.reg);
          rmField = c & 7;
          rexB = (c >> 3) & 1;
          if (o.reg >= Register.SPL && o.reg <= Register.DIL) needRex = true;
          else if (o.reg >= Register.AH && o.reg <= Register.BH) highByte = true;
        } else if (o.kind === 'mem') memory = o;
        else return -1;
        break;
      case OperandType.OpcodeReg: {
        if (o.kind !== 'reg') return -1;
        const c = registerCode(o.reg);
        opcodeAdd = c & 7;
        rexB = (c >> 3) & 1;
        if (o.reg >= Register.SPL && o.reg <= Register.DIL) needRex = true;
        else if (o.reg >= Register.AH && o.reg <= Register.BH) highByte = true;
        break;
      }
      case OperandType.VvvvReg:
        if (o.kind !== 'reg') return -1;
        vvvv = registerCode(o.reg);
        break;
      case OperandType.Is4Reg:
        if (o.kind !== 'reg') return -1;
        is4 = registerCode(o.reg) << 4;
        break;
      case OperandType.Imm4:
        // VPERMIL2PS/PD: the low nibble of the /is4 byte
        if (o.kind !== 'imm' || o.hi !== 0 || o.lo > 15) return -1;
        imm4 = o.lo;
        break;
      case OperandType.FixedReg:
      case OperandType.Const1:
        break;
      case OperandType.StringSource:
      case OperandType.StringDestination:
      case OperandType.XlatMemory:
      case OperandType.ImplicitMemory:
        if (o.kind === 'mem' && o.segment !== Register.None) stringSegment = o.segment;
        break;
      case ADDR_SIZE_REG:
        if (o.kind === 'reg') addressFromRegister = gprSize(o.reg);
        break;
      case OperandType.Ptr16x16:
      case OperandType.Ptr16x32:
        farOp = o;
        immTypes.push(t);
        immOps.push(null as unknown as ImmediateOperand);
        break;
      case OperandType.Moffs:
        if (o.kind !== 'mem') return -1;
        memory = o;
        immTypes.push(t);
        immOps.push(null as unknown as ImmediateOperand);
        break;
      default:
        if (o.kind !== 'imm') return -1;
        immTypes.push(t);
        immOps.push(o);
    }
  }
  if (!vex && field(code, F_REXB) === 0 && rexB) return -1;

  // Operand size: 66h or REX.W against the mode's default (SDM Vol. 1 3.6 / 2 2.2.1.2).
  let opsize66 = false;
  if (osz === 0) opsize66 = bits !== 16;
  else if (osz === 1) opsize66 = bits === 16;
  else if (osz === 2 && !(attrs & (ATTR_D64 | ATTR_F64))) rexW = 1;
  // NASM o16/o32/o64: a form with an operand size must have that one; a form without one gets
  // the prefix anyway (`o16 stosb`, `o16 fnstenv [eax]`), as NASM emits it
  const wantedOsz = prefixes & PREFIX_OSIZE ? (prefixes & PREFIX_O16 ? 0 : prefixes & PREFIX_O32 ? 1 : 2) : -1;
  if (wantedOsz >= 0) {
    if (osz >= 0 && osz !== wantedOsz) return -1;
    if (osz < 0) {
      if (wantedOsz === 2) {
        if (bits !== 64 || vex) return -1;
        rexW = 1;
      } else opsize66 = (wantedOsz === 0) !== (bits === 16);
    }
  }
  const operandBytes = osz >= 0 ? 2 << osz : wantedOsz >= 0 ? 2 << wantedOsz : bits === 16 ? 2 : 4;

  // Address size: from the memory operand's registers, or the form's own (JCXZ, LOOP).
  let addrBytes = bits >> 3;
  if (memory) {
    addrBytes = addressSizeOf(memory, bits);
    if (addrBytes < 0) return -1;
  } else if (addressFromRegister) addrBytes = addressFromRegister;
  else if (field(code, F_ASZ) >= 0) addrBytes = 2 << field(code, F_ASZ);
  // NASM a16/a32/a64: sizes an absolute address or an implicit one (string instructions, XLAT,
  // LOOP); registers that name another address size conflict with it
  if (prefixes & PREFIX_ASIZE) {
    const wanted = prefixes & PREFIX_A16 ? 2 : prefixes & PREFIX_A32 ? 4 : 8;
    const free =
      memory === null
        ? addressFromRegister === 0 && field(code, F_ASZ) < 0
        : !memory.ripRelative && memory.base === Register.None && memory.index === Register.None;
    if (free) addrBytes = wanted;
    else if (addrBytes !== wanted) return -1;
  }
  if (bits === 64 && addrBytes === 2) return -1;
  if (bits !== 64 && addrBytes === 8) return -1;
  const addr67 = addrBytes !== bits >> 3;

  // ModRM / SIB / displacement into a side area of `out` (copied after the opcode).
  let modrmLen = 0;
  let modrm = 0;
  let sib = -1;
  let dispSize = 0;
  let dispLo = 0;
  let dispHi = 0;
  let ripPatch = false;
  let ripTarget = 0;
  let moffs = false;
  for (const t of immTypes) if (t === OperandType.Moffs) moffs = true;
  if (memory && moffs) {
    const m: MemoryOperand = memory;
    const v = m.displacement;
    dispLo = v >>> 0;
    dispHi = Math.floor(v / 4294967296) | 0;
    if (!fitsWidth(dispLo, dispHi, addrBytes)) return outOfRange();
  } else if (field(code, F_HAS_MODRM)) {
    modrmLen = 1;
    if (memory) {
      const m: MemoryOperand = memory;
      if (field(code, F_MOD) === 1) return -1;
      const d = m.displacement;
      const reloc = m.relocatable;
      let mod = 0;
      if (addrBytes === 2) {
        if (m.scale !== 1) return -1;
        let b = m.base;
        let x = m.index;
        if (b === Register.SI || b === Register.DI) [b, x] = [x, b];
        if (!(b === Register.None || b === Register.BX || b === Register.BP)) return -1;
        if (!(x === Register.None || x === Register.SI || x === Register.DI)) return -1;
        if (d < -32768 || d > 0xffff) return outOfRange();
        const d16 = (d << 16) >> 16;
        if (b === Register.None && x === Register.None) {
          rmField = 6;
          dispSize = 2;
        } else {
          rmField =
            x === Register.None
              ? b === Register.BP
                ? 6
                : 7
              : (b === Register.None ? 4 : b === Register.BX ? 0 : 2) + (x === Register.DI ? 1 : 0);
          if (d16 === 0 && !reloc && rmField !== 6) mod = 0;
          else if (d16 >= -128 && d16 <= 127 && !reloc) {
            mod = 1;
            dispSize = 1;
          } else {
            mod = 2;
            dispSize = 2;
          }
        }
        dispLo = d >>> 0;
      } else {
        let b = m.base;
        let x = m.index;
        const scale = m.scale;
        if (x === Register.ESP || x === Register.RSP) {
          if (scale !== 1 || b === Register.ESP || b === Register.RSP) return -1;
          [b, x] = [x, b];
        }
        if (b === Register.None && x !== Register.None && scale === 1 && !reloc && !isVectorIndex(x)) {
          b = x;
          x = Register.None;
        }
        if (scale !== 1 && scale !== 2 && scale !== 4 && scale !== 8) return -1;
        if (addrBytes === 8) {
          if (!Number.isSafeInteger(d)) return outOfRange();
          dispLo = d >>> 0;
          dispHi = Math.floor(d / 4294967296) | 0;
          if (!m.ripRelative && !fitsS32(dispLo, dispHi)) return outOfRange();
        } else {
          if (d < -0x80000000 || d > 0xffffffff) return outOfRange();
          dispLo = d >>> 0;
          dispHi = 0;
        }
        const d32 = dispLo | 0;
        if (m.ripRelative || b === Register.RIP || b === Register.EIP) {
          if (bits !== 64 || x !== Register.None) return -1;
          mod = 0;
          rmField = 5;
          dispSize = 4;
          if (m.ripRelative) {
            ripPatch = true;
            ripTarget = d;
          }
        } else if (b === Register.None && x === Register.None) {
          dispSize = 4;
          if (bits === 64) {
            rmField = 4;
            sib = 0x25;
          } else rmField = 5;
        } else {
          const bc = b === Register.None ? 5 : registerCode(b);
          if (x !== Register.None || (bc & 7) === 4 || b === Register.None) {
            const xc = x === Register.None ? 4 : registerCode(x);
            rexX = (xc >> 3) & 1;
            sib = ((31 - Math.clz32(scale)) << 6) | ((xc & 7) << 3) | (bc & 7);
            rmField = 4;
          } else rmField = bc & 7;
          rexB = b === Register.None ? 0 : (bc >> 3) & 1;
          if (b === Register.None) {
            mod = 0;
            dispSize = 4;
          } else if (d32 === 0 && !reloc && (bc & 7) !== 5) mod = 0;
          else if (d32 >= -128 && d32 <= 127 && !reloc) {
            mod = 1;
            dispSize = 1;
          } else {
            mod = 2;
            dispSize = 4;
          }
        }
      }
      modrm = (mod << 6) | (regField << 3) | rmField;
    } else {
      if (field(code, F_MOD) === 0) return -1;
      modrm = 0xc0 | (regField << 3) | rmField;
    }
  }

  // VEX.W is a plain opcode bit; REX bits exist only in 64-bit mode.
  if (bits !== 64 && (rexR || rexX || rexB || needRex || (rexW && !vex))) return -1;
  lastRexW = rexW === 1;
  const rex = rexW || rexR || rexX || rexB || needRex;
  if (rex && highByte && !vex) return -1;

  // Prefixes, in llvm-mc's order: rep, segment, 67, 66, lock, mandatory prefix, REX/VEX.
  let p = pos;
  if (prefixes & 2) out[p++] = 0xf3;
  if (prefixes & 4) out[p++] = 0xf2;
  const segment = memory ? memory.segment : stringSegment;
  if (segment !== Register.None) out[p++] = SEGMENT_PREFIX[segment - Register.ES]!;
  if (addr67) out[p++] = 0x67;
  const pfx = field(code, F_PFX);
  if (opsize66 && !(pfx === 1 && !vex)) out[p++] = 0x66;
  if (prefixes & 1) out[p++] = 0xf0;
  if (vex) {
    const l = field(code, F_L) === 1 ? 1 : 0;
    const mmmmm = map - 3;
    const pp = Math.max(pfx, 0);
    if (mmmmm === 1 && rexW === 0 && rexX === 0 && rexB === 0) {
      out[p++] = 0xc5;
      out[p++] = ((rexR ^ 1) << 7) | ((~vvvv & 15) << 3) | (l << 2) | pp;
    } else {
      out[p++] = 0xc4;
      out[p++] = ((rexR ^ 1) << 7) | ((rexX ^ 1) << 6) | ((rexB ^ 1) << 5) | mmmmm;
      out[p++] = (rexW << 7) | ((~vvvv & 15) << 3) | (l << 2) | pp;
    }
  } else {
    if (pfx === 1) out[p++] = 0x66;
    else if (pfx === 2) out[p++] = 0xf3;
    else if (pfx === 3) out[p++] = 0xf2;
    if (rex) out[p++] = 0x40 | (rexW << 3) | (rexR << 2) | (rexX << 1) | rexB;
    if (map >= 1) out[p++] = 0x0f;
    if (map === 2) out[p++] = 0x38;
    else if (map === 3) out[p++] = 0x3a;
  }
  out[p++] = field(code, F_OPCODE) + opcodeAdd;
  if (modrmLen) {
    out[p++] = modrm;
    if (sib >= 0) out[p++] = sib;
  }
  const dispPos = p;
  p = putValue(out, p, dispLo, dispHi, dispSize);

  // Immediates in operand order; branch displacements need the final length, so size first.
  let immBytes = 0;
  for (let k = 0; k < immTypes.length; k++) immBytes += immediateWidth(immTypes[k]!, operandBytes, addrBytes);
  if (is4 >= 0) immBytes += 1;
  const end = p + immBytes;
  const next = ip + (end - pos);
  for (let k = 0; k < immTypes.length; k++) {
    const t = immTypes[k]!;
    const o = immOps[k]!;
    const w = immediateWidth(t, operandBytes, addrBytes);
    switch (t) {
      case OperandType.Rel8:
      case OperandType.Rel16:
      case OperandType.Rel32: {
        if (!o.known) {
          // target not known yet (first layout pass): assume it is in reach; layout grows it later
          p = putValue(out, p, 0, 0, w);
          break;
        }
        const target = o.hi * 4294967296 + o.lo;
        let rel = target - next;
        if (t === OperandType.Rel8) {
          if (operandBytes === 2 && bits !== 64) rel = (rel << 16) >> 16;
          else if (operandBytes === 4 && bits !== 64) rel |= 0;
          if (rel < -128 || rel > 127) return outOfRange();
        } else if (w === 2) rel = (rel << 16) >> 16;
        else if (bits !== 64) rel |= 0;
        else if (rel < -0x80000000 || rel > 0x7fffffff) return outOfRange();
        p = putValue(out, p, rel >>> 0, rel < 0 ? -1 : 0, w);
        break;
      }
      case OperandType.Ptr16x16:
      case OperandType.Ptr16x32: {
        const f = farOp as { selector: number; offset: number };
        p = putValue(out, p, f.offset >>> 0, 0, w - 2);
        p = putValue(out, p, f.selector & 0xffff, 0, 2);
        break;
      }
      case OperandType.Moffs:
        p = putValue(out, p, dispLo, dispHi, w);
        break;
      default: {
        const lo = o.lo;
        const hi = o.hi;
        if (t === OperandType.Imm8Sx || t === OperandType.Imm16Sx) {
          if (o.relocatable || !fitsS8(lo, hi, operandBytes)) return outOfRange();
        } else if (t === OperandType.Imm32Sx64) {
          if (!fitsS32(lo, hi)) return outOfRange();
        } else if (!fitsWidth(lo, hi, w)) return outOfRange();
        p = putValue(out, p, lo, hi, w);
      }
    }
  }
  if (is4 >= 0) out[p++] = is4 | imm4;
  if (ripPatch) {
    const rel = ripTarget - (ip + (p - pos));
    if (rel < -0x80000000 || rel > 0x7fffffff) return outOfRange();
    putValue(out, dispPos, rel >>> 0, 0, 4);
  }
  return p - pos;
}

function immediateWidth(t: number, operandBytes: number, addrBytes: number): number {
  switch (t) {
    case OperandType.Imm8:
    case OperandType.Imm8Sx:
    case OperandType.Imm16Sx:
    case OperandType.Imm8Second:
    case OperandType.Rel8:
      return 1;
    case OperandType.Imm16:
    case OperandType.Imm16Zx:
    case OperandType.Rel16:
      return 2;
    case OperandType.Imm32:
    case OperandType.Imm32Sx64:
    case OperandType.Rel32:
      return 4;
    case OperandType.Imm64:
      return 8;
    case OperandType.Ptr16x16:
      return 4;
    case OperandType.Ptr16x32:
      return 6;
    case OperandType.Moffs:
      return addrBytes;
    default:
      return operandBytes;
  }
}
