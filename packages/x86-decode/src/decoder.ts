import {
  CODE_COUNT,
  CODE_INFO,
  DECODE_ROOTS,
  DECODE_TREE,
  decodeTables,
  VEX_SLOT_START,
  HAS_MODRM,
  INFO_ROWS,
  INFO_STRIDE,
  loadVexDecodeTables,
} from './generated/tables.ts';
import { DecodeStatus, type Instruction, OperandKind } from './instruction.ts';
import { MEMORY_SIZE_BYTES, MemorySize, OperandType, RegisterClass } from './operand-type.ts';
import { Register } from './register.ts';

// Numeric constants the hot path reads are members of file-local enums: esbuild writes their
// values in place (in the bundle and in per-file transforms alike), where a module-level const
// or an imported binding is a context or cell load and a Smi check at every use, and a switch
// over such names compiles to a chain of compares instead of a jump table.

/** Attribute bits of the generated CODE_ATTRS table (order of ATTRS in scripts/generate.ts). */
enum Attr {
  Lock = 1 << 0,
  Rep = 1 << 1,
  Repne = 1 << 2,
  Xacquire = 1 << 3,
  Xrelease = 1 << 4,
  Bnd = 1 << 5,
  Notrack = 1 << 6,
  D64 = 1 << 7,
  F64 = 1 << 8,
  FmtSize = 1 << 9,
  FmtNosize = 1 << 10,
  Hle = 1 << 11,
  No66 = 1 << 12,
  FmtFar = 1 << 13,
  FmtShort = 1 << 14,
  Nolockreg = 1 << 15,
  /** MOV Sreg, r/m: loading CS is #UD (SDM 2 MOV). */
  Nocs = 1 << 16,
  /** MOV CR/DR: ModRM.mod is ignored and always names a register (SDM 2 MOV-Move to/from Control Registers). */
  Ignmod = 1 << 17,
  /** An F3 prefix (the last of F2/F3) makes the form #UD: MOVBE (SDM 2 MOVBE, iced-x86 agrees). */
  NoF3 = 1 << 18,
}
export const ATTR_LOCK = Attr.Lock;
export const ATTR_REP = Attr.Rep;
export const ATTR_REPNE = Attr.Repne;
export const ATTR_XACQUIRE = Attr.Xacquire;
export const ATTR_XRELEASE = Attr.Xrelease;
export const ATTR_BND = Attr.Bnd;
export const ATTR_NOTRACK = Attr.Notrack;
export const ATTR_D64 = Attr.D64;
export const ATTR_F64 = Attr.F64;
export const ATTR_FMT_SIZE = Attr.FmtSize;
export const ATTR_FMT_NOSIZE = Attr.FmtNosize;
export const ATTR_HLE = Attr.Hle;
export const ATTR_NO66 = Attr.No66;
export const ATTR_FMT_FAR = Attr.FmtFar;
export const ATTR_FMT_SHORT = Attr.FmtShort;
export const ATTR_NOLOCKREG = Attr.Nolockreg;
export const ATTR_NOCS = Attr.Nocs;
export const ATTR_IGNMOD = Attr.Ignmod;
export const ATTR_NOF3 = Attr.NoF3;

/** The PREFIX_* bits of instruction.ts (decoder.test.ts pins them equal). */
export enum Prefix {
  Lock = 0x1,
  Rep = 0x2,
  Repne = 0x4,
  OperandSize = 0x8,
  AddressSize = 0x10,
  Segment = 0x20,
  Rex = 0x40,
  Vex = 0x80,
  Evex = 0x100,
}

/** The generated CODE_EVEX table, taken from decodeTables on the first EVEX decode (cold start: not unpacked at import). */
let codeEvex: Uint16Array | null = null;
/** EVEX facts (CODE_EVEX bits) of `code`; the table is built on the first call. */
export function evexBitsOf(code: number): number {
  if (codeEvex === null) codeEvex = decodeTables.CODE_EVEX;
  return codeEvex[code]!;
}

/** CODE_EVEX bits (EvexBits in scripts/isa-parser.ts; evex.test.ts pins them equal). */
enum Ev {
  BcstMask = 3,
  Er = 1 << 2,
  Sae = 1 << 3,
  K = 1 << 4,
  Z = 1 << 5,
  KRequired = 1 << 6,
  Evex = 1 << 7,
  Disp8Shift = 7 << 8,
  IgnoreB = 1 << 11,
  DstDiff = 1 << 12,
}
/** CODE_EVEX bit: the form needs an opmask (gathers/scatters). */
export const EVEX_K_REQUIRED = Ev.KRequired;

// Tree selector kinds (scripts/build-tables.ts SELECTORS order).
enum Sel {
  Pfx = 0,
  Mode = 1,
  W = 2,
  L = 3,
  Mod = 4,
  Reg = 5,
  Rm = 6,
  RexB = 7,
  Osz = 8,
  Asz = 9,
  P66 = 10,
  OszD64 = 11,
  OszF64 = 12,
}

enum Limit {
  /** SDM 2 2.3.11: an instruction is at most 15 bytes long. */
  MaxLength = 15,
  Two32 = 4294967296,
  /** REG_OF class of Gpr8 under a REX prefix (past the last RegisterClass). */
  Gpr8Rex = 17,
}

// The per-code facts the decoder needs come from the generated INFO_ROWS, one 8-value row per
// distinct form shape: [attrs, opCount | memSize << 8, op0, op1, op2, op3, op4, flag row].
const INFO = INFO_ROWS;
if (CODE_COUNT > 0xffff) throw new Error('fast-table entries hold a code in 16 bits');
if (INFO_STRIDE !== 8) throw new Error('generated INFO_STRIDE must be 8 (decodeAt indexes rows with << 3)');

// Per (map, opcode) slot: decode-tree root << 1 | 1 if a ModRM byte follows (one load for both).
// Nearly every tree starts by asking for the mode, which a decoder fixes once, so each mode gets
// its own roots with the leading MODE nodes already taken: one tree step less per instruction.
// The VEX and EVEX slots' entries are filled with the VEX/EVEX part of the decode tables, on the
// first VEX or EVEX instruction (cold start: the import parses only the legacy maps' part, half
// of the tree; until then those slots are never read). Each mode's table is made by the first
// general-path decode in that mode (cold start: not at import; the fast path computes the root of
// the slot it fills itself).
function fillSlotInfo(out: Int32Array, mode64: number, from: number, to: number): Int32Array {
  for (let i = from; i < to; i++) out[i] = (slotRoot(i, mode64) << 1) | HAS_MODRM[i]!;
  return out;
}
/** The decode-tree root of `slot` in 64-bit mode (`mode64` 1) or 16/32-bit mode (0): its MODE nodes taken. */
function slotRoot(slot: number, mode64: number): number {
  let root = DECODE_ROOTS[slot]!;
  while (root >= 0 && DECODE_TREE[root] === Sel.Mode) root = DECODE_TREE[root + 1 + mode64]!;
  return root;
}
let slotInfoLegacy: Int32Array | null = null;
let slotInfo64: Int32Array | null = null;
let vexSlotsReady = false;
/** The slot table of 64-bit mode (`mode64` 1) or of 16/32-bit mode (0), made on first use. */
function slotTable(mode64: number): Int32Array {
  let t = mode64 !== 0 ? slotInfo64 : slotInfoLegacy;
  if (t === null) {
    t = new Int32Array(DECODE_ROOTS.length);
    fillSlotInfo(t, mode64, 0, vexSlotsReady ? DECODE_ROOTS.length : VEX_SLOT_START);
    if (mode64 !== 0) slotInfo64 = t;
    else slotInfoLegacy = t;
  }
  return t;
}
/** Loads the VEX/EVEX part of the decode tables and those slots of the slot tables made so far (once). */
function loadVexSlots(): void {
  vexSlotsReady = true;
  loadVexDecodeTables();
  if (slotInfoLegacy !== null) fillSlotInfo(slotInfoLegacy, 0, VEX_SLOT_START, DECODE_ROOTS.length);
  if (slotInfo64 !== null) fillSlotInfo(slotInfo64, 1, VEX_SLOT_START, DECODE_ROOTS.length);
}

// Prefix bytes (SDM 2 2.1.1): 1..6 segment ES..GS, then 66, 67, F0, F3, F2, REX (40..4F, 64-bit only).
enum Pk {
  Es = 1,
  Cs = 2,
  Ss = 3,
  Ds = 4,
  Fs = 5,
  Gs = 6,
  P66 = 7,
  P67 = 8,
  Lock = 9,
  F3 = 10,
  F2 = 11,
  Rex = 12,
}
const PREFIX_KIND = new Uint8Array(256);
PREFIX_KIND[0x26] = Pk.Es;
PREFIX_KIND[0x2e] = Pk.Cs;
PREFIX_KIND[0x36] = Pk.Ss;
PREFIX_KIND[0x3e] = Pk.Ds;
PREFIX_KIND[0x64] = Pk.Fs;
PREFIX_KIND[0x65] = Pk.Gs;
PREFIX_KIND[0x66] = Pk.P66;
PREFIX_KIND[0x67] = Pk.P67;
PREFIX_KIND[0xf0] = Pk.Lock;
PREFIX_KIND[0xf3] = Pk.F3;
PREFIX_KIND[0xf2] = Pk.F2;
for (let i = 0x40; i < 0x50; i++) PREFIX_KIND[i] = Pk.Rex;
// XBEGIN's mnemonic id, found on the first rel form: the names and the per-code mnemonic ids are
// built on first use (decodeTables), and the first decode of most programs needs neither.
let xbeginMnemonic = -1;
/** Whether `code` is XBEGIN, whose rel operand the fast path does not decode (SDM 2 XBEGIN). */
function isXbegin(code: number): boolean {
  if (xbeginMnemonic < 0) xbeginMnemonic = decodeTables.MNEMONIC_NAMES.indexOf('XBEGIN');
  return decodeTables.CODE_MNEMONIC[code] === xbeginMnemonic;
}

// ---- the common-form fast path ----
// Real code is mostly one-byte and 0F-map opcodes with at most a REX prefix and one of a few
// operand layouts (MOV/ALU r/m with a register or an immediate, LEA, PUSH/POP, CALL/Jcc). For
// those, `fastDecode` finds the form with one two-word load from a per-mode table indexed by
// (slot, REX.W, ModRM.mod = 11, ModRM.reg) - the only inputs a decode-tree walk can ask for once
// 66/67/F2/F3 are absent, besides REX.B for NOP - and fills the instruction in a module function
// that calls nothing on its hot path. Everything else (other prefixes, VEX/EVEX, 16-bit code,
// rarer operands) goes through the general path, which the fast path agrees with field for field.

/** Operand layout of a fast-path code; the first four have a ModRM r/m operand. */
enum Shape {
  None = 0,
  RmReg = 1,
  RegRm = 2,
  Rm = 3,
  RmImm = 4,
  NoOperands = 5,
  Rel = 6,
  OpReg = 7,
  OpRegImm = 8,
  /** A fixed register and an immediate (ADD AL, imm8; CMP rAX, immz). */
  FixedRegImm = 9,
  /** One immediate (PUSH imm8/immz, INT imm8). */
  Imm = 10,
}

/** Register classes whose every ModRM/opcode encoding names a register (no validity test needed). */
function plainClass(cls: number): boolean {
  return (
    (cls >= RegisterClass.Gpr8 && cls <= RegisterClass.Gpr64) || cls === RegisterClass.Mm || cls === RegisterClass.Xmm
  );
}

function isRmType(d: number): boolean {
  const t = d & 0xff;
  const cls = (d >> 8) & 0xff;
  if (t === OperandType.ModrmRmMem) return cls === 0; // a vector class here is VSIB
  return (t === OperandType.ModrmRm || t === OperandType.ModrmRmReg) && (cls === 0 || plainClass(cls));
}

function isImmType(d: number): boolean {
  const t = d & 0xff;
  return (
    t === OperandType.Imm8 ||
    t === OperandType.Imm8Sx ||
    t === OperandType.Imm16 ||
    t === OperandType.Imm32 ||
    t === OperandType.Imm32Sx64 ||
    t === OperandType.Imm64
  );
}

/** The fast-path layout of `code`, or Shape.None when only the general path decodes it. */
function fastShape(code: number): Shape {
  const info = CODE_INFO[code]! << 3;
  if ((INFO[info]! & (Attr.Nocs | Attr.Ignmod)) !== 0) return Shape.None;
  const n = INFO[info + 1]! & 0xff;
  const d0 = INFO[info + 2]!;
  const d1 = INFO[info + 3]!;
  const reg = (d: number) => (d & 0xff) === OperandType.ModrmReg && plainClass((d >> 8) & 0xff);
  const opReg = (d: number) => (d & 0xff) === OperandType.OpcodeReg && plainClass((d >> 8) & 0xff);
  if (n === 0) return Shape.NoOperands;
  if (n === 1) {
    if (isRmType(d0)) return Shape.Rm;
    if ((d0 & 0xff) === OperandType.Rel8 || (d0 & 0xff) === OperandType.Rel32)
      return isXbegin(code) ? Shape.None : Shape.Rel;
    if (isImmType(d0)) return Shape.Imm;
    return opReg(d0) ? Shape.OpReg : Shape.None;
  }
  if (n !== 2) return Shape.None;
  if (isRmType(d0) && reg(d1)) return Shape.RmReg;
  if (reg(d0) && isRmType(d1)) return Shape.RegRm;
  if (isRmType(d0) && isImmType(d1)) return Shape.RmImm;
  if (opReg(d0) && isImmType(d1)) return Shape.OpRegImm;
  if ((d0 & 0xff) === OperandType.FixedReg && d0 >>> 16 <= 0xff && isImmType(d1)) return Shape.FixedRegImm;
  return Shape.None;
}

/** How a fast-path register operand turns its encoding number `n` (0..15) into a Register. */
enum RegKind {
  /** `base + n` (GPR16/32/64, XMM). */
  Plain = 0,
  /** `base + (n & 7)`: MMX ignores REX.B/REX.R. */
  Low3 = 1,
  /** 8-bit GPRs: AL + n, and under any REX prefix 4..7 name SPL..DIL, so 4..15 move up by 4 (SDM 2 3.7.2.1). */
  Gpr8 = 2,
}

/** Immediate (or rel) encoding of a fast-path form, in bits 25-27 of an entry's first word. */
enum ImmKind {
  None = 0,
  Imm8 = 1,
  Imm8Sx = 2,
  Imm16 = 3,
  Imm32 = 4,
  Imm32Sx64 = 5,
  Imm64 = 6,
  Rel8 = 7,
}

/** Bit layout of a fast entry's first word (the second holds the memory size and the register fields). */
enum Entry {
  ShapeShift = 16,
  Size8 = 1 << 20,
  HasModrm = 1 << 21,
  CountShift = 22,
  ImmShift = 25,
  /** The form needs REX.B = 0 (NOP; with REX.B it is XCHG r8, rAX): the general path takes the others. */
  RexB0 = 1 << 28,
  /** Operand size 16 (after 66). */
  Size2 = 1 << 29,
  /** Second word: first register field (r/m or opcode register) at bit 8, the ModRM.reg one at bit 19. */
  RegAShift = 8,
  RegBShift = 19,
}

/** The 11-bit register field of a fast entry for an operand descriptor `d`: base register | RegKind << 8. */
function regField(d: number): number {
  const cls = (d >> 8) & 0xff;
  if (cls === RegisterClass.Gpr8) return Register.AL | (RegKind.Gpr8 << 8);
  if (cls === RegisterClass.Mm) return Register.MM0 | (RegKind.Low3 << 8);
  return REG_OF[cls << 5]! | (RegKind.Plain << 8);
}

/** ImmKind of an immediate or rel operand descriptor. */
function immKind(d: number): ImmKind {
  switch (d & 0xff) {
    case OperandType.Imm8:
      return ImmKind.Imm8;
    case OperandType.Imm8Sx:
      return ImmKind.Imm8Sx;
    case OperandType.Imm16:
      return ImmKind.Imm16;
    case OperandType.Imm32:
    case OperandType.Rel32:
      return ImmKind.Imm32;
    case OperandType.Imm32Sx64:
      return ImmKind.Imm32Sx64;
    case OperandType.Imm64:
      return ImmKind.Imm64;
    case OperandType.Rel8:
      return ImmKind.Rel8;
  }
  return ImmKind.None;
}

/**
 * Per-mode fast table of two 32-bit words per key `(slot << 5) | (REX.W << 4) | (mod == 11) << 3 |
 * ModRM.reg`, for the one-byte and 0F maps. The key is formed from the byte after the opcode
 * whether or not it is a ModRM byte (a form without one has the same entry under all 16 of its
 * keys), so one load finds the form. First word: `code | shape << 16 | (operand size 8) << 20 |
 * (has ModRM) << 21 | opCount << 22 | ImmKind << 25 | (needs REX.B = 0) << 28`, or Fill.General
 * where the general path must decode; second word: `memory size | register field of the r/m,
 * opcode or fixed register << 8 | ModRM.reg register field << 19` (see regField). Everything the fast path needs is here: it reads no other table. Filled one slot
 * at a time, the first time a decoder of the mode meets the slot (Fill.Unfilled marks the others): a
 * cold start pays for a few slots, not for 16,384 tree walks.
 */
enum Fill {
  /** The general path decodes the key. */
  General = -1,
  /** The key's slot is not filled yet. */
  Unfilled = 0,
}
class FastTable {
  readonly entries = new Int32Array(512 << 6).fill(Fill.Unfilled);
  /** 32 or 64: a number, not the boolean mode64, which V8 tests as an arbitrary value at every use. */
  readonly bits: number;
  /** `PREFIX_*` bits of the table's prefix (OperandSize, Rep or Repne), and the F2/F3 byte or 0. */
  readonly prefixBits: number;
  readonly lastRep: number;
  /**
   * The tables of the same mode for forms after one 66, F3 or F2 prefix (index 1, 2, 3: the
   * decode tree's Pfx values), made on first use; only the unprefixed table has them.
   */
  readonly prefixed: (FastTable | null)[] = [null, null, null, null];
  /**
   * @param pfx 0 for no prefix, else the one 66 (1), F3 (2) or F2 (3) prefix before the
   *   (REX and) opcode that this table's forms have.
   */
  constructor(
    readonly mode64: boolean,
    readonly pfx = 0,
  ) {
    this.bits = mode64 ? 64 : 32;
    this.prefixBits = pfx === 1 ? Prefix.OperandSize : pfx === 2 ? Prefix.Rep : pfx === 3 ? Prefix.Repne : 0;
    this.lastRep = pfx === 2 ? 0xf3 : pfx === 3 ? 0xf2 : 0;
  }

  /** The table for forms after the prefix byte `c` (66, F3 or F2). */
  withPrefix(c: number): FastTable {
    const pfx = c === 0x66 ? 1 : c === 0xf3 ? 2 : 3;
    let t = this.prefixed[pfx];
    if (t == null) {
      t = new FastTable(this.mode64, pfx);
      this.prefixed[pfx] = t;
    }
    return t;
  }

  fill(slot: number): void {
    this.entries.fill(Fill.General, slot << 6, (slot + 1) << 6);
    // escapes and prefixes are the general path's: 0F, 62 (EVEX), C4/C5 (VEX), 0F 38 / 0F 3A
    if (slot === 0x0f || slot === 0x62 || slot === 0xc4 || slot === 0xc5 || slot === 0x138 || slot === 0x13a) return;
    if (slot < 256 && PREFIX_KIND[slot] !== 0) return;
    const mode64 = this.mode64;
    const pfx = this.pfx;
    const osz66 = pfx === 1;
    // the fast path needs no slot table
    const root = slotRoot(slot, mode64 ? 1 : 0);
    const hasModrm = HAS_MODRM[slot] !== 0;
    for (let key = 0; key < 32; key++) {
      const rexW = key >> 4;
      if (rexW !== 0 && !mode64) continue;
      let node = root;
      let rexB0 = false;
      while (node >= 0) {
        let v = 0;
        switch (DECODE_TREE[node]) {
          case Sel.Mode:
            v = mode64 ? 1 : 0;
            break;
          case Sel.W:
            v = rexW;
            break;
          case Sel.Mod:
            v = (key >> 3) & 1;
            break;
          case Sel.Reg:
            v = key & 7;
            break;
          // the operand-size selectors as decodeFull computes them (0, 1, 2: 16, 32, 64 bits)
          case Sel.Osz:
            v = mode64 && rexW !== 0 ? 2 : osz66 ? 0 : 1;
            break;
          case Sel.OszD64:
            v = mode64 ? (rexW !== 0 || !osz66 ? 2 : 0) : osz66 ? 0 : 1;
            break;
          case Sel.OszF64:
            v = mode64 ? 2 : osz66 ? 0 : 1;
            break;
          case Sel.Asz:
            v = mode64 ? 2 : 1;
            break;
          case Sel.Pfx:
            v = pfx;
            break;
          case Sel.P66:
            v = osz66 ? 1 : 0;
            break;
          case Sel.RexB:
            rexB0 = true; // the entry is checked against REX.B at decode time
            break;
          case Sel.Rm:
            v = -1; // depends on more than the key: general path
            break;
          // L: 0 outside VEX
        }
        if (v < 0) break;
        node = DECODE_TREE[node + 1 + v]!;
      }
      if (node >= 0 || node === ~0) continue;
      const code = ~node;
      const shape = fastShape(code);
      if (shape === Shape.None) continue;
      // with 66 a near branch has a 16-bit operand size (rel16, IP wrapped): the general path's
      if (pfx !== 0 && shape === Shape.Rel) continue;
      const row = CODE_INFO[code]! << 3;
      const counts = INFO[row + 1]!;
      const d0 = INFO[row + 2]!;
      const d1 = INFO[row + 3]!;
      // an m-only r/m operand with ModRM.mod = 11 is invalid, as the general path reports
      if (shape <= Shape.RmImm && (key & 8) !== 0 && (((shape === Shape.RegRm ? d1 : d0) >> 8) & 0xff) === 0) continue;
      // a ModRM byte that names memory but no operand: the general path measures it
      if (hasModrm && shape > Shape.RmImm && (key & 8) === 0) continue;
      let regA = 0;
      let regB = 0;
      let imm = ImmKind.None;
      if (shape === Shape.RmReg || shape === Shape.Rm || shape === Shape.RmImm) regA = regField(d0);
      if (shape === Shape.RmReg) regB = regField(d1);
      if (shape === Shape.RegRm) {
        regA = regField(d1);
        regB = regField(d0);
      }
      if (shape === Shape.OpReg || shape === Shape.OpRegImm) regA = regField(d0);
      if (shape === Shape.FixedRegImm) regA = d0 >>> 16;
      if (shape === Shape.RmImm || shape === Shape.OpRegImm || shape === Shape.FixedRegImm) imm = immKind(d1);
      if (shape === Shape.Imm) imm = immKind(d0);
      if (shape === Shape.Rel) imm = immKind(d0);
      // SDM 1 3.6.1 (64-bit mode): REX.W, or a form fixed at 64 bits, or one that defaults to
      // 64 bits without 66; else 66 selects 16 bits
      const attrs = INFO[row]!;
      const size8 = mode64 && (rexW !== 0 || (attrs & Attr.F64) !== 0 || ((attrs & Attr.D64) !== 0 && !osz66));
      const size2 = !size8 && osz66;
      const w0 =
        code |
        (shape << Entry.ShapeShift) |
        (size8 ? Entry.Size8 : 0) |
        (hasModrm ? Entry.HasModrm : 0) |
        ((counts & 7) << Entry.CountShift) |
        (imm << Entry.ImmShift) |
        (rexB0 ? Entry.RexB0 : 0) |
        (size2 ? Entry.Size2 : 0);
      const w1 = (counts >> 8) | (regA << Entry.RegAShift) | (regB << Entry.RegBShift);
      // (without a ModRM byte the tree asks for neither mod nor reg: all 16 keys get this entry)
      this.entries[((slot << 5) | key) << 1] = w0;
      this.entries[(((slot << 5) | key) << 1) + 1] = w1;
    }
  }
}
/** Register of a fast-path operand: `field` is regField()'s value (in its low 11 bits), `n` the encoding 0..15. */
function fastReg(field: number, n: number, rex: number): number {
  const kind = (field >> 8) & 3;
  const base = field & 0xff;
  if (kind === RegKind.Plain) return base + n;
  if (kind === RegKind.Low3) return base + (n & 7);
  return base + (rex !== 0 && n >= 4 ? n + 4 : n);
}
const fastTables: (FastTable | null)[] = [null, null];
/** The fast path's zero-padded copy of a window's last (fewer than 16) bytes. */
const TAIL = new Uint8Array(16);
/** The fast table of 32- or 64-bit decoders, shared by all of them. */
function fastTable(mode64: boolean): FastTable {
  const i = mode64 ? 1 : 0;
  let t = fastTables[i];
  if (t == null) {
    t = new FastTable(mode64);
    fastTables[i] = t;
  }
  return t;
}

// 16-bit addressing (SDM 2 Table 2-1): base and index per ModRM.rm.
const BASE16 = [Register.BX, Register.BX, Register.BP, Register.BP, Register.SI, Register.DI, Register.BP, Register.BX];
const INDEX16 = [Register.SI, Register.DI, Register.SI, Register.DI, 0, 0, 0, 0];

/**
 * The fast path: decodes a common form (see FastTable) at `b[start]`, which must have 16
 * readable bytes, into `insn`, and returns its length, or 0 (writing nothing) when only the
 * general path decodes the form. It calls nothing on its hot path (the one call, filling a
 * slot, is followed by nothing but a retry), so V8 keeps its values in registers.
 */
/** Puts an instruction's EVEX decoration fields back to their defaults (a non-EVEX decode follows). */
function clearEvexDecorations(insn: Instruction): void {
  insn.evexDecorated = false;
  insn.opmask = Register.None;
  insn.zeroingMasking = false;
  insn.broadcast = false;
  insn.roundingControl = 0;
  insn.suppressAllExceptions = false;
}

function fastDecode(
  insn: Instruction,
  b: Uint8Array,
  start: number,
  ipLo: number,
  ipHi: number,
  fast: FastTable,
): number {
  const bits = fast.bits;
  const mode64 = bits === 64;
  let p = start;
  let c = b[p]!;
  let table = fast;
  if (c === 0x66 || (c & 0xfe) === 0xf2) {
    // one 66, F3 or F2 prefix (SSE's mandatory prefixes, 16-bit operands, padding NOPs): the
    // forms after it have their own table; a second prefix is the general path's
    const sub = fast.prefixed[c === 0x66 ? 1 : c === 0xf3 ? 2 : 3]!;
    if (sub === null) {
      fast.withPrefix(c);
      return fastDecode(insn, b, start, ipLo, ipHi, fast);
    }
    table = sub;
    c = b[++p]!;
  }
  let rex = 0;
  if (mode64 && (c & 0xf0) === 0x40) {
    rex = c;
    c = b[++p]!;
  }
  p++;
  const slot = c === 0x0f ? 0x100 | b[p++]! : c;
  // the key takes mod and reg from the next byte; the entry says whether it is a ModRM byte
  const next = b[p]!;
  const key = ((slot << 5) | ((rex & 8) << 1) | (next >= 0xc0 ? 8 : 0) | ((next >> 3) & 7)) << 1;
  const entries = table.entries;
  const e = entries[key]!;
  if (e <= Fill.Unfilled) {
    if (e === Fill.General) return 0;
    // nothing is live after this call, so the hot path keeps its values in registers
    table.fill(slot);
    return fastDecode(insn, b, start, ipLo, ipHi, fast);
  }
  if ((e & Entry.RexB0) !== 0 && (rex & 1) !== 0) return 0;
  const x = entries[key + 1]!;
  const shape = (e >> Entry.ShapeShift) & 15;
  const operandSize = (e & Entry.Size8) !== 0 ? 8 : (e & Entry.Size2) !== 0 ? 2 : 4;
  const opKind = insn.opKind;
  const opReg = insn.opRegister;
  let ripRel = false;
  if ((e & Entry.HasModrm) !== 0) p++;
  if (shape <= Shape.RmImm) {
    // ---- the ModRM r/m operand: a register, or memory with 32/64-bit addressing ----
    const k = shape === Shape.RegRm ? 1 : 0;
    const rm = next & 7;
    const rexB = rex & 1;
    if (next >= 0xc0) {
      opKind[k] = OperandKind.Register;
      opReg[k] = fastReg(x >> Entry.RegAShift, rm | (rexB << 3), rex);
    } else {
      const mod = next >> 6;
      let base = rm;
      let index = -1;
      let scale = 1;
      if (rm === 4) {
        const sib = b[p++]!;
        scale = 1 << (sib >> 6);
        index = ((sib >> 3) & 7) | ((rex & 2) << 2);
        if (index === 4) index = -1;
        base = sib & 7;
        if (base === 5 && mod === 0) base = -1;
        else base |= rexB << 3;
      } else if (rm === 5 && mod === 0) {
        base = -1;
        ripRel = mode64;
      } else base |= rexB << 3;
      const regBase = mode64 ? Register.RAX : Register.EAX;
      const memBase = ripRel ? Register.RIP : base >= 0 ? regBase + base : Register.None;
      let disp = 0;
      let dispSize = 0;
      if (mod === 1) {
        disp = (b[p++]! << 24) >> 24;
        dispSize = 1;
      } else if (mod === 2 || base === -1) {
        disp = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
        p += 4;
        dispSize = 4;
      }
      insn.memDisplacementLo = disp >>> 0;
      insn.memDisplacementHi = mode64 && disp < 0 ? 0xffffffff : 0;
      insn.memBase = memBase;
      insn.memIndex = index >= 0 ? regBase + index : Register.None;
      insn.memScale = scale;
      insn.memDisplacementSize = dispSize;
      // SDM 1 3.7.4: SS for an rBP/rSP base, else DS
      insn.memSegment = base === 4 || base === 5 ? Register.SS : Register.DS;
      insn.memSizeKind = x & 0xff;
      opKind[k] = OperandKind.Memory;
      opReg[k] = 0;
    }
    if (shape <= Shape.RegRm) {
      // ---- the ModRM reg operand, in the other slot ----
      opKind[1 - k] = OperandKind.Register;
      opReg[1 - k] = fastReg(x >> Entry.RegBShift, ((next >> 3) & 7) | ((rex & 4) << 1), rex);
    }
  } else if (shape === Shape.Rel) {
    let rel: number;
    if (((e >> Entry.ImmShift) & 7) === ImmKind.Rel8) rel = (b[p++]! << 24) >> 24;
    else {
      rel = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
      p += 4;
    }
    // next IP + displacement over 64 bits (the sum is within (-2^31, 2^33)), wrapped to EIP
    // with a 32-bit operand size
    const sum = ipLo + (p - start) + rel;
    insn.branchLo = sum >>> 0;
    insn.branchHi = operandSize === 4 ? 0 : sum >= Limit.Two32 ? (ipHi + 1) >>> 0 : sum < 0 ? (ipHi - 1) >>> 0 : ipHi;
    opKind[0] = OperandKind.NearBranch;
    opReg[0] = 0;
  } else if (shape === Shape.OpReg || shape === Shape.OpRegImm) {
    opKind[0] = OperandKind.Register;
    opReg[0] = fastReg(x >> Entry.RegAShift, (slot & 7) | ((rex & 1) << 3), rex);
  } else if (shape === Shape.FixedRegImm) {
    opKind[0] = OperandKind.Register;
    opReg[0] = (x >> Entry.RegAShift) & 0xff;
  }
  if (shape === Shape.RmImm || shape >= Shape.OpRegImm) {
    // ---- the immediate: the only operand (Imm) or the second ----
    const t = (e >> Entry.ImmShift) & 7;
    let lo: number;
    let hi = 0;
    let size = 4;
    if (t === ImmKind.Imm8) {
      lo = b[p++]!;
      size = 1;
    } else if (t === ImmKind.Imm8Sx) {
      const v = (b[p++]! << 24) >> 24;
      lo = operandSize === 2 ? v & 0xffff : v >>> 0;
      hi = operandSize === 8 && v < 0 ? 0xffffffff : 0;
      size = 1;
    } else if (t === ImmKind.Imm16) {
      lo = b[p]! | (b[p + 1]! << 8);
      p += 2;
      size = 2;
    } else {
      const v = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
      p += 4;
      lo = v >>> 0;
      if (t === ImmKind.Imm32Sx64) hi = v < 0 ? 0xffffffff : 0;
      else if (t === ImmKind.Imm64) {
        hi = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
        p += 4;
        size = 8;
      }
    }
    insn.immediateLo = lo;
    insn.immediateHi = hi;
    insn.immediateSize = size;
    const k = shape === Shape.Imm ? 0 : 1;
    opKind[k] = OperandKind.Immediate;
    opReg[k] = 0;
  }
  const length = p - start;
  if (ripRel) {
    // RIP-relative: the displacement becomes the absolute address (next IP + disp32)
    const sum = ipLo + length + (insn.memDisplacementLo | 0);
    insn.memDisplacementLo = sum >>> 0;
    insn.memDisplacementHi = sum >= Limit.Two32 ? (ipHi + 1) >>> 0 : sum < 0 ? (ipHi - 1) >>> 0 : ipHi;
  }
  insn.bitness = bits;
  insn.ipLo = ipLo;
  insn.ipHi = ipHi;
  insn.operandSize = operandSize;
  insn.addressSize = mode64 ? 8 : 4;
  insn.status = DecodeStatus.Ok;
  insn.code = e & 0xffff;
  insn.length = length;
  insn.opCount = (e >> Entry.CountShift) & 7;
  insn.prefixes = table.prefixBits | (rex !== 0 ? Prefix.Rex : 0);
  insn.segmentPrefix = Register.None;
  insn.lastRepPrefix = table.lastRep;
  insn.rex = rex;
  insn.vectorLength = 0;
  return length;
}

/** Options for {@link Decoder}. */
export interface DecoderOptions {
  /** Address of the first byte (a number below 2^53); default 0. */
  ip?: number;
  /** First byte of `bytes` to decode; default 0. */
  offset?: number;
  /** One past the last byte to decode; default `bytes.length`. */
  end?: number;
}

/** Thrown for API misuse (bad bitness, bad offsets); decoding itself never throws. */
export class DecoderError extends Error {
  readonly code: string;
  override readonly cause: unknown;
  constructor(code: string, message: string, cause?: unknown) {
    super(message);
    this.name = 'DecoderError';
    this.code = code;
    this.cause = cause;
  }
}

/**
 * A table-driven x86 decoder over a byte buffer. Decoding never throws and never reads
 * outside `[offset, end)`; an invalid or truncated encoding yields a status, not an exception.
 *
 * @example
 * ```ts
 * const decoder = new Decoder(64, new Uint8Array([0x48, 0x8b, 0x07]), { ip: 0x1000 });
 * const insn = new Instruction();
 * decoder.decodeOut(insn); // insn.length === 3, mnemonicName(insn.mnemonic) === 'MOV'
 * ```
 */
export class Decoder {
  /** 16, 32 or 64. */
  readonly bitness: 16 | 32 | 64;
  private bytes: Uint8Array;
  /** Offset of the next byte to decode. */
  position: number;
  private end: number;
  /** The slot table of this decoder's mode (`slotTable`), fetched by the first general-path decode. */
  private slots: Int32Array | null = null;
  /** The fast-path table of this mode; null for 16-bit code (no fast path). */
  private readonly fast: FastTable | null;
  /** IP of the next instruction, low/high 32 bits. */
  ipLo: number;
  ipHi: number;

  constructor(bitness: 16 | 32 | 64, bytes: Uint8Array, options: DecoderOptions = {}) {
    if (bitness !== 16 && bitness !== 32 && bitness !== 64) {
      throw new DecoderError('BAD_BITNESS', `bitness must be 16, 32 or 64, got ${String(bitness)}`);
    }
    this.bitness = bitness;
    this.fast = bitness === 16 ? null : fastTable(bitness === 64);
    this.bytes = bytes;
    this.position = 0;
    this.end = 0;
    this.ipLo = 0;
    this.ipHi = 0;
    this.setBuffer(bytes, options.offset ?? 0, options.end ?? bytes.length);
    this.ip = options.ip ?? 0;
  }

  /** Points the decoder at a new buffer window `[offset, end)` without allocating. */
  setBuffer(bytes: Uint8Array, offset = 0, end = bytes.length): void {
    if (!(offset >= 0 && end <= bytes.length && offset <= end)) {
      throw new DecoderError('BAD_RANGE', `bad buffer window [${offset}, ${end}) of ${bytes.length} bytes`);
    }
    this.bytes = bytes;
    this.position = offset;
    this.end = end;
  }

  /** IP of the next instruction as a number (exact below 2^53). */
  get ip(): number {
    return this.ipHi * Limit.Two32 + this.ipLo;
  }

  set ip(value: number) {
    this.ipLo = value >>> 0;
    this.ipHi = Math.floor(value / Limit.Two32) >>> 0;
  }

  /** Sets the IP from 32-bit halves (for 64-bit addresses above 2^53). */
  setIp(lo: number, hi: number): void {
    this.ipLo = lo >>> 0;
    this.ipHi = hi >>> 0;
  }

  /** True while bytes remain in the window. */
  get canDecode(): boolean {
    return this.position < this.end;
  }

  /**
   * Decodes the instruction at `position` into `insn` and advances `position` and `ip` by
   * its length (at least 1 byte, also when invalid). Returns the status.
   */
  decodeOut(insn: Instruction): DecodeStatus {
    // decodeAt's dispatch, written out so that the common case passes the length back in a
    // register and keeps the IP arithmetic in small integers
    const pos = this.position;
    const ipLo = this.ipLo;
    const fast = this.fast;
    if (insn.evexDecorated) clearEvexDecorations(insn);
    let len = fast !== null && this.end - pos >= 16 ? fastDecode(insn, this.bytes, pos, ipLo, this.ipHi, fast) : 0;
    let status = DecodeStatus.Ok;
    if (len === 0) {
      status = this.decodeSlow(insn, pos, ipLo, this.ipHi);
      len = insn.length;
    }
    this.position = pos + len;
    const lo = ipLo + len;
    if (lo < Limit.Two32) this.ipLo = lo;
    else {
      this.ipLo = lo - Limit.Two32;
      this.ipHi = (this.ipHi + 1) >>> 0;
    }
    return status;
  }

  /**
   * Decodes the instruction at `offset` of the current buffer, with the given IP, into `insn`
   * without moving the decoder. `insn.length` is at least 1 (1 for an empty window: truncated).
   */
  decodeAt(insn: Instruction, offset: number, ipLo: number, ipHi: number): DecodeStatus {
    // The fast path (fastDecode) for the common forms; everything else goes to decodeFull. A
    // fast form is at most 13 bytes, so no read there needs a bound test: with fewer than 16
    // bytes left, it reads a zero-padded copy of the tail (TAIL), and a form longer than the
    // bytes left goes to the general path (then only the general path can say truncated).
    // A short buffer (a cold start's first decode) thus does not compile the general path.
    // Fields written before a hand-over are rewritten by the general path.
    const fast = this.fast;
    if (insn.evexDecorated) clearEvexDecorations(insn);
    if (fast !== null && this.end - offset >= 16 && fastDecode(insn, this.bytes, offset, ipLo, ipHi, fast) !== 0) {
      return DecodeStatus.Ok;
    }
    return this.decodeSlow(insn, offset, ipLo, ipHi);
  }

  /** Whatever decodeAt does not do inline: the fast path on the window's last bytes, and the general path. */
  private decodeSlow(insn: Instruction, offset: number, ipLo: number, ipHi: number): DecodeStatus {
    const fast = this.fast;
    const avail = this.end - offset;
    if (fast !== null && avail < 16) {
      const b = this.bytes;
      for (let i = 0; i < 16; i++) TAIL[i] = i < avail ? b[offset + i]! : 0;
      const len = fastDecode(insn, TAIL, 0, ipLo, ipHi, fast);
      if (len !== 0 && len <= avail) return DecodeStatus.Ok;
    }
    return this.decodeFull(insn, offset, ipLo, ipHi);
  }

  /** The general path: every prefix, map and operand form. */
  private decodeFull(insn: Instruction, offset: number, ipLo: number, ipHi: number): DecodeStatus {
    const b = this.bytes;
    const bitness = this.bitness;
    const mode64 = bitness === 64;
    const start = offset;
    const bufEnd = this.end;
    const lim = bufEnd - start > Limit.MaxLength ? start + Limit.MaxLength : bufEnd;
    let p = start;
    insn.bitness = bitness;
    insn.ipLo = ipLo;
    insn.ipHi = ipHi;
    // ---- legacy prefixes and REX (SDM 2 2.1, 2.2.1) ----
    let prefixes = 0;
    let seg: Register = Register.None;
    let rex = 0;
    let repKind = 0; // last of F2/F3: 2 = F3, 3 = F2
    let c = 0;
    for (;;) {
      if (p >= lim) return this.fail(insn, start, p, lim);
      c = b[p]!;
      const kind = PREFIX_KIND[c]!;
      if (kind === 0) break;
      if (kind === Pk.Rex) {
        if (!mode64) break;
        rex = c;
        p++;
        continue;
      }
      if (kind <= Pk.Gs) {
        // 64-bit mode ignores ES/CS/SS/DS overrides: they do not displace an FS/GS prefix
        if (!mode64 || kind >= Pk.Fs || seg < Register.FS) seg = Register.ES + kind - 1;
        prefixes |= Prefix.Segment;
      } else if (kind === Pk.P66) prefixes |= Prefix.OperandSize;
      else if (kind === Pk.P67) prefixes |= Prefix.AddressSize;
      else if (kind === Pk.Lock) prefixes |= Prefix.Lock;
      else if (kind === Pk.F3) {
        prefixes |= Prefix.Rep;
        repKind = 2;
      } else {
        prefixes |= Prefix.Repne;
        repKind = 3;
      }
      // a legacy prefix after REX cancels it: REX must immediately precede the opcode
      rex = 0;
      p++;
    }
    if (rex !== 0) prefixes |= Prefix.Rex;
    // the segment a memory operand uses when overridden (64-bit mode honours only FS/GS)
    const segOv = seg !== Register.None && (!mode64 || seg >= Register.FS) ? seg : Register.None;
    const osz66 = (prefixes & Prefix.OperandSize) !== 0;
    const asz67 = (prefixes & Prefix.AddressSize) !== 0;
    let pfx = repKind !== 0 ? repKind : osz66 ? 1 : 0;
    let rexW = (rex >> 3) & 1;
    let rexR = (rex >> 2) & 1;
    let rexX = (rex >> 1) & 1;
    let rexB = rex & 1;
    let vvvv = 0;
    let vvvvFull = 0; // before 16/32-bit masking: an unused VEX.vvvv must be 1111b in every mode
    let vexL = 0;
    let isVex = false;
    // EVEX (SDM 2 2.7.1): R' / V' (4th register bit), P2's z, b, aaa and the bytes' position
    let evexAt = -1;
    let rexR2 = 0;
    let rexX4 = 0; // EVEX.X as the 5th bit of a vector register in ModRM.rm
    let vPrime = 0;
    let evexP2 = 0;
    const addrSize = mode64 ? (asz67 ? 4 : 8) : (bitness === 32) !== asz67 ? 4 : 2;

    // ---- opcode and map ----
    p++;
    let map = 0;
    let op = c;
    if (c === 0x0f) {
      if (p >= lim) return this.fail(insn, start, p, lim);
      op = b[p++]!;
      map = 1;
      if (op === 0x38 || op === 0x3a) {
        map = op === 0x38 ? 2 : 3;
        if (p >= lim) return this.fail(insn, start, p, lim);
        op = b[p++]!;
      }
    } else if (c === 0x62 && (mode64 || (p < lim && b[p]! >= 0xc0))) {
      // EVEX (SDM 2 2.7). What the tables do not have (other maps, malformed prefixes, forms
      // not in the data yet) goes to evex(), which measures the length.
      // (P0-P2, opcode and ModRM are all needed before the tree walk)
      if (p + 5 > lim) return this.evex(insn, start, p, lim, prefixes, rex);
      const p0 = b[p]!;
      const p1 = b[p + 1]!;
      const mmm = p0 & 7;
      if (
        (p0 & 8) !== 0 ||
        (p1 & 4) === 0 ||
        mmm === 0 ||
        mmm === 4 ||
        mmm === 7 ||
        rex !== 0 ||
        (prefixes & (Prefix.OperandSize | Prefix.Rep | Prefix.Repne | Prefix.Lock)) !== 0
      )
        return this.evex(insn, start, p, lim, prefixes, rex);
      if (!vexSlotsReady) loadVexSlots();
      evexAt = p;
      evexP2 = b[p + 2]!;
      isVex = true;
      prefixes |= Prefix.Evex;
      rexR = (~p0 >> 7) & 1;
      rexX = (~p0 >> 6) & 1;
      rexB = (~p0 >> 5) & 1;
      rexR2 = (~p0 >> 4) & 1;
      rexW = p1 >> 7;
      vvvv = (~p1 >> 3) & 15;
      vPrime = (~evexP2 >> 3) & 1;
      vvvvFull = vvvv | (vPrime << 4);
      pfx = p1 & 3;
      vexL = (evexP2 >> 5) & 3;
      // EVEX.b on a register form: L'L is the rounding control and the vector length is 512
      // bits (iced's rule; a form without {er}/{sae} is rejected below)
      if ((evexP2 & 0x10) !== 0 && b[p + 4]! >= 0xc0) vexL = 2;
      // L'L = 3 is reserved (#UD) for every form, also the LIG ones
      else if (vexL === 3) return this.invalid(insn, start, p + 4);
      if (!mode64) {
        rexR = 0;
        rexX = 0;
        rexB = 0;
        rexR2 = 0;
        vvvv &= 7;
      }
      rexX4 = rexX << 4;
      map = 6 + mmm;
      op = b[p + 3]!;
      p += 4;
    } else if (c === 0xc4 || c === 0xc5) {
      // VEX (SDM 2 2.3.5): in 16/32-bit mode C4/C5 are LES/LDS unless ModRM.mod = 11
      if (p >= lim) return this.fail(insn, start, p, lim);
      const v1 = b[p]!;
      if (mode64 || v1 >= 0xc0) {
        if ((prefixes & (Prefix.OperandSize | Prefix.Rep | Prefix.Repne | Prefix.Lock)) !== 0 || rex !== 0) {
          return this.invalid(insn, start, Math.min(p + 1, lim));
        }
        if (!vexSlotsReady) loadVexSlots();
        isVex = true;
        prefixes |= Prefix.Vex;
        p++;
        let v2 = v1;
        if (c === 0xc5) {
          rexR = (~v1 >> 7) & 1;
          rexX = 0;
          rexB = 0;
          rexW = 0;
          map = 4;
        } else {
          if (p >= lim) return this.fail(insn, start, p, lim);
          v2 = b[p++]!;
          rexR = (~v1 >> 7) & 1;
          rexX = (~v1 >> 6) & 1;
          rexB = (~v1 >> 5) & 1;
          rexW = v2 >> 7;
          const mm = v1 & 0x1f;
          if (mm < 1 || mm > 3) return this.invalid(insn, start, p);
          map = 3 + mm;
        }
        vvvv = (~v2 >> 3) & 15;
        vvvvFull = vvvv;
        vexL = (v2 >> 2) & 1;
        pfx = v2 & 3;
        if (!mode64) {
          rexR = 0;
          rexX = 0;
          rexB = 0;
          vvvv &= 7;
        }
        if (p >= lim) return this.fail(insn, start, p, lim);
        op = b[p++]!;
      }
    }

    // ---- ModRM and the decode tree ----
    const slot = (map << 8) | op;
    let modrm = 0;
    let slots = this.slots;
    if (slots === null) {
      slots = slotTable(this.bitness === 64 ? 1 : 0);
      this.slots = slots;
    }
    const slotInfo = slots[slot]!;
    if ((slotInfo & 1) !== 0) {
      if (p >= lim) return this.fail(insn, start, p, lim);
      modrm = b[p++]!;
    }
    let mod = modrm >> 6;
    const reg = (modrm >> 3) & 7;
    const rm = modrm & 7;
    const oszIndex = mode64 ? (rexW !== 0 ? 2 : osz66 ? 0 : 1) : (bitness === 32) !== osz66 ? 1 : 0;
    let node = slotInfo >> 1;
    while (node >= 0) {
      let v = 0;
      switch (DECODE_TREE[node]) {
        case Sel.Pfx:
          v = pfx;
          break;
        case Sel.Mode:
          v = mode64 ? 1 : 0;
          break;
        case Sel.W:
          v = rexW;
          break;
        case Sel.L:
          v = vexL;
          break;
        case Sel.Mod:
          v = mod === 3 ? 1 : 0;
          break;
        case Sel.Reg:
          v = reg;
          break;
        case Sel.Rm:
          v = rm;
          break;
        case Sel.RexB:
          v = rexB;
          break;
        case Sel.Osz:
          v = oszIndex;
          break;
        case Sel.Asz:
          v = addrSize >> 2;
          break;
        case Sel.P66:
          v = osz66 ? 1 : 0;
          break;
        case Sel.OszD64:
          v = mode64 ? (rexW !== 0 || !osz66 ? 2 : 0) : oszIndex;
          break;
        case Sel.OszF64:
          v = mode64 ? 2 : oszIndex;
          break;
      }
      node = DECODE_TREE[node + 1 + v]!;
    }
    const code = ~node;
    if (code === 0)
      return evexAt >= 0 ? this.evex(insn, start, evexAt, lim, prefixes, rex) : this.invalid(insn, start, p);
    const info = CODE_INFO[code]! << 3;
    const attrs = INFO[info]!;
    if ((prefixes & Prefix.Lock) !== 0 || (attrs & (Attr.Nocs | Attr.Ignmod | Attr.NoF3)) !== 0) {
      if ((attrs & Attr.NoF3) !== 0 && pfx === 2) return this.invalid(insn, start, p);
      if ((prefixes & Prefix.Lock) !== 0 && ((attrs & Attr.Lock) === 0 || mod === 3))
        return this.invalid(insn, start, p);
      if ((attrs & Attr.Nocs) !== 0 && reg === 1) return this.invalid(insn, start, p);
      if ((attrs & Attr.Ignmod) !== 0) mod = 3;
    }

    // ---- operands ----
    const operandSize = mode64
      ? (attrs & Attr.F64) !== 0 || rexW !== 0
        ? 8
        : osz66
          ? 2
          : (attrs & Attr.D64) !== 0
            ? 8
            : 4
      : oszIndex === 1
        ? 4
        : 2;
    insn.operandSize = operandSize;
    insn.addressSize = addrSize;
    const opCount = INFO[info + 1]! & 0xff;
    let memSizeKind = INFO[info + 1]! >> 8;
    // ---- EVEX: opmask, zeroing, broadcast / rounding / SAE validity (iced-x86's #UD rules) ----
    let disp8N = 1;
    if (evexAt >= 0) {
      const ev = evexBitsOf(code);
      const aaa = evexP2 & 7;
      const zeroing = evexP2 & 0x80;
      const bBit = evexP2 & 0x10;
      // outside 64-bit mode only registers 0-7 exist: EVEX.V' must be 1 (inverted 0)
      if (!mode64 && vPrime !== 0) return this.invalid(insn, start, p);
      if (aaa === 0 ? (ev & Ev.KRequired) !== 0 || zeroing !== 0 : (ev & Ev.K) === 0)
        return this.invalid(insn, start, p);
      if (zeroing !== 0 && (ev & Ev.Z) === 0) return this.invalid(insn, start, p);
      let rc = 0;
      let sae = false;
      let bcst = false;
      if (bBit !== 0) {
        if (mod === 3) {
          if ((ev & (Ev.Er | Ev.Sae)) !== 0) {
            sae = true;
            if ((ev & Ev.Er) !== 0) rc = ((evexP2 >> 5) & 3) + 1;
          } else if ((ev & Ev.IgnoreB) === 0) return this.invalid(insn, start, p);
        } else {
          if ((ev & Ev.BcstMask) === 0) return this.invalid(insn, start, p);
          bcst = true;
          memSizeKind = BCST_SIZE[ev & Ev.BcstMask]!;
        }
      }
      // SDM 2 2.7.5: an 8-bit displacement counts in units of N bytes
      if (mod !== 3) {
        const shift = (ev & Ev.Disp8Shift) >> 8;
        disp8N = shift !== 0 && !bcst ? 1 << (shift - 1) : MEMORY_SIZE_BYTES[memSizeKind]!;
      }
      insn.evexDecorated = true;
      insn.opmask = aaa === 0 ? Register.None : Register.K0 + aaa;
      insn.zeroingMasking = zeroing !== 0;
      insn.broadcast = bcst;
      insn.roundingControl = rc;
      insn.suppressAllExceptions = sae;
    }
    let usesVvvv = false;
    let vsibUsed = false;
    let ripRel = 0; // 0 none, 8 = RIP, 4 = EIP
    let rel = 0; // branch displacement, applied once the length is known
    let hasRel = false;
    let is4Slot = -1;
    let is4Cls = 0;
    const opKind = insn.opKind;
    const opReg = insn.opRegister;
    for (let k = 0; k < opCount; k++) {
      const d = INFO[info + 2 + k]!;
      const cls = (d >> 8) & 0xff;
      const cls8 = cls === RegisterClass.Gpr8 && rex !== 0 ? Limit.Gpr8Rex : cls;
      let kind = OperandKind.Register;
      let r = 0;
      switch (d & 0xff) {
        case OperandType.ModrmReg:
          r = REG_OF[(cls8 << 5) | reg | (rexR << 3) | (rexR2 << 4)]!;
          if (r === 0) return this.invalid(insn, start, p);
          break;
        case OperandType.ModrmRm:
        case OperandType.ModrmRmReg:
        case OperandType.ModrmRmMem:
          if (mod === 3) {
            // VEX.B does not extend an opmask register in ModRM.rm (iced/SDM: k0-k7 only)
            // EVEX.X is the 5th bit of a vector register in ModRM.rm (SDM 2 2.7.2)
            r =
              REG_OF[
                (cls8 << 5) |
                  (cls === RegisterClass.K
                    ? rm
                    : rm | (rexB << 3) | (cls >= RegisterClass.Xmm && cls <= RegisterClass.Zmm ? rexX4 : 0))
              ]!;
            if (r === 0) return this.invalid(insn, start, p);
            break;
          }
          kind = OperandKind.Memory;
          {
            // ---- memory operand (SDM 2 2.1.5); every mem* field is written exactly once ----
            let memBase: Register = Register.None;
            let memIndex: Register = Register.None;
            let scale = 1;
            let disp = 0;
            let dispSize = 0;
            if (addrSize === 2) {
              // VSIB needs a SIB byte, which 16-bit addressing does not have (iced: invalid)
              if ((d & 0xff) === OperandType.ModrmRmMem && cls !== 0) return this.invalid(insn, start, p);
              if (!(rm === 6 && mod === 0)) memBase = BASE16[rm]!;
              memIndex = INDEX16[rm]!;
              if (mod === 1) {
                if (p >= lim) return this.fail(insn, start, p, lim);
                disp = (((b[p++]! << 24) >> 24) * disp8N) & 0xffff;
                dispSize = 1;
              } else if (mod === 2 || (mod === 0 && rm === 6)) {
                if (p + 2 > lim) return this.fail(insn, start, p, lim);
                disp = b[p]! | (b[p + 1]! << 8);
                p += 2;
                dispSize = 2;
              }
              insn.memDisplacementLo = disp;
              insn.memDisplacementHi = 0;
            } else {
              let base = rm;
              let index = -1;
              // VSIB (gathers): a ModrmRmMem operand with a vector class needs a SIB byte
              const vsib = (d & 0xff) === OperandType.ModrmRmMem && cls !== 0;
              vsibUsed = vsib;
              if (vsib && rm !== 4) return this.invalid(insn, start, p);
              if (rm === 4) {
                if (p >= lim) return this.fail(insn, start, p, lim);
                const sib = b[p++]!;
                scale = 1 << (sib >> 6);
                index = ((sib >> 3) & 7) | (rexX << 3);
                if (index === 4 && !vsib) index = -1;
                else if (vsib) index |= vPrime << 4; // EVEX.V' extends a VSIB index to 32 registers
                base = sib & 7;
                if (base === 5 && mod === 0) base = -1;
                else base |= rexB << 3;
              } else if (rm === 5 && mod === 0) {
                base = -1;
                if (mode64) ripRel = addrSize;
              } else base |= rexB << 3;
              const regBase = addrSize === 8 ? Register.RAX : Register.EAX;
              if (ripRel !== 0) memBase = ripRel === 8 ? Register.RIP : Register.EIP;
              else if (base >= 0) memBase = regBase + base;
              if (index >= 0) {
                memIndex = vsib ? VSIB_BASE[cls]! + index : regBase + index;
              }
              if (mod === 1) {
                if (p >= lim) return this.fail(insn, start, p, lim);
                disp = ((b[p++]! << 24) >> 24) * disp8N;
                dispSize = 1;
              } else if (mod === 2 || base === -1) {
                if (p + 4 > lim) return this.fail(insn, start, p, lim);
                disp = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
                p += 4;
                dispSize = 4;
              }
              insn.memDisplacementLo = disp >>> 0;
              insn.memDisplacementHi = addrSize === 8 && disp < 0 ? 0xffffffff : 0;
            }
            insn.memBase = memBase;
            insn.memIndex = memIndex;
            insn.memScale = scale;
            insn.memDisplacementSize = dispSize;
            insn.memSegment = segOv !== Register.None ? segOv : DEFAULT_SEG[memBase]!;
            insn.memSizeKind = memSizeKind;
          }
          break;
        case OperandType.OpcodeReg:
          r = REG_OF[(cls8 << 5) | (op & 7) | (rexB << 3)]!;
          break;
        case OperandType.VvvvReg:
          usesVvvv = true;
          r = REG_OF[(cls8 << 5) | vvvv | (vPrime << 4)]!;
          if (r === 0) return this.invalid(insn, start, p);
          break;
        case OperandType.Is4Reg:
          // imm8[7:4] is the instruction's last byte even when the operand comes before the
          // ModRM one (FMA4 VEX.W1 forms): read once every other operand byte is consumed.
          is4Slot = k;
          is4Cls = cls8;
          break;
        case OperandType.Imm4:
          // VPERMIL2PS/PD: imm8[3:0] of that same byte, read with it below
          kind = OperandKind.Immediate;
          break;
        case OperandType.FixedReg:
          r = d >>> 16;
          break;
        case OperandType.AddrSizeReg:
          r =
            (addrSize === 8 ? Register.RAX : addrSize === 4 ? Register.EAX : Register.AX) +
            (((d >>> 16) - Register.RAX) & 15);
          break;
        case OperandType.Imm8:
        case OperandType.Imm8Sx:
        case OperandType.Imm16Sx: {
          if (p >= lim) return this.fail(insn, start, p, lim);
          const v = b[p++]!;
          kind = OperandKind.Immediate;
          insn.immediateSize = 1;
          insn.immediateHi = 0;
          if ((d & 0xff) === OperandType.Imm8) insn.immediateLo = v;
          else {
            const s = (v << 24) >> 24;
            const width = (d & 0xff) === OperandType.Imm16Sx ? 2 : operandSize;
            insn.immediateLo = width === 2 ? s & 0xffff : s >>> 0;
            insn.immediateHi = width === 8 && s < 0 ? 0xffffffff : 0;
          }
          break;
        }
        case OperandType.Imm16:
        case OperandType.Imm16Zx:
          if (p + 2 > lim) return this.fail(insn, start, p, lim);
          kind = OperandKind.Immediate;
          insn.immediateLo = b[p]! | (b[p + 1]! << 8);
          insn.immediateHi = 0;
          insn.immediateSize = 2;
          p += 2;
          break;
        case OperandType.Imm32:
        case OperandType.Imm32Sx64: {
          if (p + 4 > lim) return this.fail(insn, start, p, lim);
          kind = OperandKind.Immediate;
          const v = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
          insn.immediateLo = v >>> 0;
          insn.immediateHi = (d & 0xff) === OperandType.Imm32Sx64 && v < 0 ? 0xffffffff : 0;
          insn.immediateSize = 4;
          p += 4;
          break;
        }
        case OperandType.Imm64:
          if (p + 8 > lim) return this.fail(insn, start, p, lim);
          kind = OperandKind.Immediate;
          insn.immediateLo = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
          insn.immediateHi = (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24)) >>> 0;
          insn.immediateSize = 8;
          p += 8;
          break;
        case OperandType.Imm8Second:
          if (p >= lim) return this.fail(insn, start, p, lim);
          kind = OperandKind.Immediate2;
          insn.immediate2 = b[p++]!;
          break;
        case OperandType.Const1:
          kind = OperandKind.Immediate;
          insn.immediateLo = 1;
          insn.immediateHi = 0;
          insn.immediateSize = 0;
          break;
        case OperandType.Rel8:
          if (p >= lim) return this.fail(insn, start, p, lim);
          kind = OperandKind.NearBranch;
          rel = (b[p++]! << 24) >> 24;
          hasRel = true;
          break;
        case OperandType.Rel16:
        case OperandType.Rel32:
          kind = OperandKind.NearBranch;
          hasRel = true;
          if (operandSize === 2) {
            if (p + 2 > lim) return this.fail(insn, start, p, lim);
            rel = ((b[p]! | (b[p + 1]! << 8)) << 16) >> 16;
            p += 2;
          } else {
            if (p + 4 > lim) return this.fail(insn, start, p, lim);
            rel = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
            p += 4;
          }
          break;
        case OperandType.Ptr16x16:
        case OperandType.Ptr16x32: {
          const n = (d & 0xff) === OperandType.Ptr16x16 ? 2 : 4;
          if (p + n + 2 > lim) return this.fail(insn, start, p, lim);
          kind = OperandKind.FarBranch;
          insn.farOffset =
            n === 2
              ? b[p]! | (b[p + 1]! << 8)
              : (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
          p += n;
          insn.farSelector = b[p]! | (b[p + 1]! << 8);
          p += 2;
          break;
        }
        case OperandType.Moffs:
          kind = OperandKind.Memory;
          clearMemory(insn);
          if (p + addrSize > lim) return this.fail(insn, start, p, lim);
          if (addrSize === 2) insn.memDisplacementLo = b[p]! | (b[p + 1]! << 8);
          else insn.memDisplacementLo = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
          if (addrSize === 8)
            insn.memDisplacementHi = (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24)) >>> 0;
          insn.memDisplacementSize = addrSize;
          p += addrSize;
          insn.memSegment = defaultSegment(Register.None, seg, mode64);
          insn.memSizeKind = memSizeKind;
          break;
        case OperandType.StringSource:
        case OperandType.StringDestination:
        case OperandType.XlatMemory:
        case OperandType.ImplicitMemory: {
          const t = d & 0xff;
          const gpr = addrSize === 8 ? Register.RAX : addrSize === 4 ? Register.EAX : Register.AX;
          kind =
            t === OperandType.StringSource
              ? OperandKind.MemoryStringSource
              : t === OperandType.StringDestination
                ? OperandKind.MemoryStringDestination
                : OperandKind.Memory;
          // ES:[rDI] is implied by the kind; the mem* fields describe the other memory operand
          if (t !== OperandType.StringDestination) {
            clearMemory(insn);
            const base =
              t === OperandType.StringSource
                ? gpr + 6
                : t === OperandType.XlatMemory
                  ? gpr + 3
                  : gpr + (((d >>> 16) - Register.RAX) & 15);
            insn.memBase = base;
            insn.memSegment = segOv !== Register.None ? segOv : DEFAULT_SEG[base]!;
          }
          insn.memSizeKind = memSizeKind;
          break;
        }
      }
      opKind[k] = kind;
      opReg[k] = r;
    }
    if (is4Slot >= 0) {
      if (p >= lim) return this.fail(insn, start, p, lim);
      const is4 = b[p++]!;
      opReg[is4Slot] = REG_OF[(is4Cls << 5) | ((is4 >> 4) & (mode64 ? 15 : 7))]!;
      insn.immediateLo = is4 & 15;
      insn.immediateHi = 0;
      insn.immediateSize = 1;
    }
    // (with a VSIB operand EVEX.V' belongs to the index, so only vvvv itself must be 1111b)
    if (isVex && !usesVvvv && (vsibUsed ? vvvvFull & 15 : vvvvFull) !== 0) return this.invalid(insn, start, p);
    if (evexAt >= 0) {
      // EVEX: zeroing-masking is for register destinations only (iced: #UD with a memory one)
      if ((evexP2 & 0x80) !== 0 && opKind[0] === OperandKind.Memory) return this.invalid(insn, start, p);
      // complex FP16 multiplies: #UD when the destination is also a source (SDM 2 VFMULCPH)
      if ((evexBitsOf(code) & Ev.DstDiff) !== 0) {
        for (let k = 1; k < opCount; k++) {
          if (opKind[k] === OperandKind.Register && opReg[k] === opReg[0]) return this.invalid(insn, start, p);
        }
      }
    }
    // SDM 2 VPGATHERDD: #UD if destination, index and mask registers are not all different
    // (EVEX: destination and index; the mask is an opmask)
    if (vsibUsed && opCount === 2 && opKind[0] === OperandKind.Register) {
      if (((insn.memIndex - Register.XMM0) & 31) === ((opReg[0]! - Register.XMM0) & 31))
        return this.invalid(insn, start, p);
    } else if (vsibUsed && opCount === 3) {
      const idx = (insn.memIndex - Register.XMM0) & 31;
      const dst = (opReg[0]! - Register.XMM0) & 31;
      const mask = (opReg[2]! - Register.XMM0) & 31;
      if (idx === dst || idx === mask || dst === mask) return this.invalid(insn, start, p);
    }
    // SDM 2 TDPBSSD and the other AMX dot products: #UD unless the three TMM registers differ
    if (opCount === 3 && opReg[0]! >= Register.TMM0) {
      const a = opReg[0]!;
      const c = opReg[1]!;
      const v = opReg[2]!;
      if (a === c || a === v || c === v) return this.invalid(insn, start, p);
    }

    // ---- finish ----
    const length = p - start;
    insn.status = DecodeStatus.Ok;
    insn.code = code;
    insn.length = length;
    insn.opCount = opCount;
    insn.prefixes = prefixes;
    insn.segmentPrefix = seg;
    insn.lastRepPrefix = repKind === 2 ? 0xf3 : repKind === 3 ? 0xf2 : 0;
    insn.rex = rex;
    insn.vectorLength = vexL;
    if (ripRel !== 0 || hasRel) {
      // next IP + displacement, over 64 bits
      const disp = ripRel !== 0 ? insn.memDisplacementLo | 0 : rel;
      const sum = ipLo + length + disp;
      let lo = sum >>> 0;
      // sum is within (-2^31, 2^33): carry or borrow into the high half without a division
      let hi = sum >= Limit.Two32 ? (ipHi + 1) >>> 0 : sum < 0 ? (ipHi - 1) >>> 0 : ipHi;
      // XBEGIN's target is computed in EIP even with a 16-bit operand size (SDM 2 XBEGIN)
      const width = ripRel !== 0 ? ripRel : operandSize === 2 && isXbegin(code) ? (mode64 ? 8 : 4) : operandSize;
      if (width === 4) hi = 0;
      else if (width === 2) {
        hi = 0;
        lo &= 0xffff;
      }
      if (ripRel !== 0) {
        insn.memDisplacementLo = lo;
        insn.memDisplacementHi = hi;
      } else {
        insn.branchLo = lo;
        insn.branchHi = hi;
      }
    }
    return DecodeStatus.Ok;
  }

  /**
   * EVEX-encoded (AVX-512) instruction at `p` (just after the 62h byte): checks the fixed
   * EVEX bits and measures the length (ModRM, SIB, displacement - disp8 stays one byte under
   * disp8*N compression - and imm8 where the opcode map has one), and reports `Unsupported`.
   */
  private evex(insn: Instruction, start: number, p: number, lim: number, prefixes: number, rex: number): DecodeStatus {
    const b = this.bytes;
    if (p + 5 > lim) return this.fail(insn, start, Math.max(p, lim), lim);
    const p0 = b[p]!;
    const p1 = b[p + 1]!;
    const map = p0 & 7;
    const op = b[p + 3]!;
    const modrm = b[p + 4]!;
    p += 5;
    // P0 bit 3 reserved 0, P1 bit 2 fixed 1, maps 1/2/3/5/6; no 66/F2/F3/LOCK/REX before EVEX
    const bad =
      (p0 & 8) !== 0 ||
      (p1 & 4) === 0 ||
      map === 0 ||
      map === 4 ||
      map === 7 ||
      rex !== 0 ||
      (prefixes & (Prefix.OperandSize | Prefix.Rep | Prefix.Repne | Prefix.Lock)) !== 0;
    const mod = modrm >> 6;
    const rm = modrm & 7;
    if (mod !== 3) {
      const asz =
        this.bitness === 64
          ? (prefixes & Prefix.AddressSize) !== 0
            ? 4
            : 8
          : (this.bitness === 32) !== ((prefixes & Prefix.AddressSize) !== 0)
            ? 4
            : 2;
      if (asz === 2) p += mod === 1 ? 1 : mod === 2 || (mod === 0 && rm === 6) ? 2 : 0;
      else {
        let base = rm;
        if (rm === 4) {
          if (p >= lim) return this.fail(insn, start, p, lim);
          base = b[p++]! & 7;
        }
        p += mod === 1 ? 1 : mod === 2 || (mod === 0 && base === 5) ? 4 : 0;
      }
    }
    if (map === 3 || (map === 1 && ((op >= 0x70 && op <= 0x73) || op === 0xc2 || (op >= 0xc4 && op <= 0xc6)))) p++;
    if (p > lim) return this.fail(insn, start, lim, lim);
    this.invalid(insn, start, p);
    if (!bad) insn.status = DecodeStatus.Unsupported;
    return insn.status;
  }

  private invalid(insn: Instruction, start: number, p: number): DecodeStatus {
    insn.status = DecodeStatus.Invalid;
    insn.code = 0;
    insn.opCount = 0;
    insn.length = p > start ? p - start : 1;
    return DecodeStatus.Invalid;
  }

  /** Ran out of bytes at `p`: truncated if the buffer ended, invalid if the 15-byte limit did. */
  private fail(insn: Instruction, start: number, p: number, lim: number): DecodeStatus {
    if (lim < this.end || p - start >= Limit.MaxLength) {
      this.invalid(insn, start, Limit.MaxLength + start);
      return DecodeStatus.Invalid;
    }
    this.invalid(insn, start, this.end);
    insn.status = DecodeStatus.Truncated;
    if (insn.length === 0) insn.length = 1;
    return DecodeStatus.Truncated;
  }
}

/** Resets the memory-operand fields; called only when the instruction has a memory operand. */
function clearMemory(insn: Instruction): void {
  insn.memSegment = Register.None;
  insn.memBase = Register.None;
  insn.memIndex = Register.None;
  insn.memScale = 1;
  insn.memDisplacementLo = 0;
  insn.memDisplacementHi = 0;
  insn.memDisplacementSize = 0;
}

// Register of class `cls` with encoding number `n` (0..31) at REG_OF[cls << 5 | n]; 0 when that
// encoding names no register. Class Limit.Gpr8Rex (past the last RegisterClass) is Gpr8 under a REX
// prefix, where 4..7 name SPL..DIL instead of AH..BH (SDM 2 3.7.2.1).
const REG_OF = new Uint8Array(18 << 5);
// one loop, no calls (cold start: it runs once, in the interpreter)
for (let n = 0; n < 32; n++) {
  const r8 = n < 16 ? Register.AL + n + 4 : 0;
  REG_OF[(RegisterClass.Gpr8 << 5) | n] = n < 8 ? Register.AL + n : r8;
  REG_OF[(Limit.Gpr8Rex << 5) | n] = n < 4 ? Register.AL + n : n < 8 ? Register.SPL + n - 4 : r8;
  REG_OF[(RegisterClass.Gpr16 << 5) | n] = n < 16 ? Register.AX + n : 0;
  REG_OF[(RegisterClass.Gpr32 << 5) | n] = n < 16 ? Register.EAX + n : 0;
  REG_OF[(RegisterClass.Gpr64 << 5) | n] = n < 16 ? Register.RAX + n : 0;
  REG_OF[(RegisterClass.Segment << 5) | n] = (n & 7) < 6 ? Register.ES + (n & 7) : 0;
  REG_OF[(RegisterClass.Cr << 5) | n] = n === 0 || n === 2 || n === 3 || n === 4 || n === 8 ? Register.CR0 + n : 0;
  REG_OF[(RegisterClass.Dr << 5) | n] = n < 8 ? Register.DR0 + n : 0;
  REG_OF[(RegisterClass.Tr << 5) | n] = Register.TR0 + (n & 7);
  REG_OF[(RegisterClass.Mm << 5) | n] = Register.MM0 + (n & 7);
  REG_OF[(RegisterClass.Xmm << 5) | n] = Register.XMM0 + n;
  REG_OF[(RegisterClass.Ymm << 5) | n] = Register.YMM0 + n;
  REG_OF[(RegisterClass.Zmm << 5) | n] = Register.ZMM0 + n;
  REG_OF[(RegisterClass.K << 5) | n] = n < 8 ? Register.K0 + n : 0;
  REG_OF[(RegisterClass.Bnd << 5) | n] = n < 4 ? Register.BND0 + n : 0;
  REG_OF[(RegisterClass.St << 5) | n] = Register.ST0 + (n & 7);
  REG_OF[(RegisterClass.Tmm << 5) | n] = Register.TMM0 + (n & 7);
}

/** First register of a VSIB index's class (gathers/scatters), indexed by RegisterClass. */
const VSIB_BASE = new Uint8Array(RegisterClass.Zmm + 1);
VSIB_BASE[RegisterClass.Xmm] = Register.XMM0;
VSIB_BASE[RegisterClass.Ymm] = Register.YMM0;
VSIB_BASE[RegisterClass.Zmm] = Register.ZMM0;

/** Memory size of one broadcast element by the EVEX bits' element-size code (16/32/64 bits). */
const BCST_SIZE = [MemorySize.Unknown, MemorySize.Word, MemorySize.Dword, MemorySize.Qword];

/** SDM 1 3.7.4: a memory operand's default segment by base register: SS for rBP/rSP, else DS. */
const DEFAULT_SEG = new Uint8Array(256).fill(Register.DS);
for (const r of [Register.BP, Register.SP, Register.EBP, Register.ESP, Register.RBP, Register.RSP])
  DEFAULT_SEG[r] = Register.SS;

/** SDM 1 3.7.4: SS for rBP/rSP bases, else DS; an override wins (only FS/GS in 64-bit mode). */
function defaultSegment(base: Register, seg: Register, mode64: boolean): Register {
  if (seg !== Register.None && (!mode64 || seg >= Register.FS)) return seg;
  if (
    base === Register.BP ||
    base === Register.SP ||
    base === Register.EBP ||
    base === Register.ESP ||
    base === Register.RBP ||
    base === Register.RSP
  ) {
    return Register.SS;
  }
  return Register.DS;
}
