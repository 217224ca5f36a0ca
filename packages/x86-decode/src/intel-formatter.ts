import { CMP_PREDICATES, PCLMUL_SELECTORS } from './cmp-predicates.ts';
import {
  ATTR_BND,
  ATTR_D64,
  ATTR_F64,
  ATTR_FMT_FAR,
  ATTR_FMT_NOSIZE,
  ATTR_FMT_SHORT,
  ATTR_FMT_SIZE,
  EVEX_K_REQUIRED,
  evexBitsOf,
} from './decoder.ts';
import {
  branchAndRepPrefixText,
  broadcastText,
  isVpcmp,
  lockPrefixText,
  PADLOCK_MNEMONICS,
  ROUNDING_INTEL,
  shownSegment,
  VPCMP_PREDICATES,
  X87_IMPLICIT_ST1,
} from './formatter-rules.ts';
import { decodeTables } from './generated/tables.ts';
import { DecodeStatus, type Instruction, OperandKind, PREFIX_EVEX, PREFIX_OPERAND_SIZE } from './instruction.ts';
import { MemorySize, OperandType, RegisterClass } from './operand-type.ts';
import { Register, registerName } from './register.ts';

// The formatter's tables come from decodeTables on the first construction (build*Tables), so an
// import that never formats does not unpack them.
let CODE_ATTRS: Uint32Array;
let CODE_OPS: Uint32Array;

// iced/XED spellings that differ from the SDM mnemonic in the data file
const RENAMES: Readonly<Record<string, string>> = { retf: 'ret far', sal: 'shl', iretw: 'iret' };
// Instructions whose text does not show the operand size: iced prefixes `data16/32/64` when it is not the default.
const SIZE_HIDDEN = new Set(['push', 'pop', 'call', 'jmp', 'ret', 'ret far', 'enter', 'leave']);
// Instructions with an implicit rAX/rDI address (and the VIA PadLock ones, whose implicit rSI/rDI/rCX
// operands follow the address size): iced shows a non-default address size as a prefix.
const ADDR_SHOWN = new Set(['monitor', 'monitorx', 'maskmovq', 'maskmovdqu', 'vmaskmovdqu', ...PADLOCK_MNEMONICS]);
const CMP_PSEUDO = new Set([
  'cmpps',
  'cmppd',
  'cmpss',
  'cmpsd',
  'vcmpps',
  'vcmppd',
  'vcmpss',
  'vcmpsd',
  'vcmpph',
  'vcmpsh',
]);

// Memory size keywords as iced-x86's Intel formatter prints them.
const SIZE_KEYWORDS: string[] = [];
SIZE_KEYWORDS[MemorySize.Unknown] = '';
SIZE_KEYWORDS[MemorySize.Byte] = 'byte ptr ';
SIZE_KEYWORDS[MemorySize.Word] = 'word ptr ';
SIZE_KEYWORDS[MemorySize.Dword] = 'dword ptr ';
SIZE_KEYWORDS[MemorySize.Qword] = 'qword ptr ';
SIZE_KEYWORDS[MemorySize.Tbyte] = 'tbyte ptr ';
SIZE_KEYWORDS[MemorySize.Xmmword] = 'xmmword ptr ';
SIZE_KEYWORDS[MemorySize.Ymmword] = 'ymmword ptr ';
SIZE_KEYWORDS[MemorySize.Zmmword] = 'zmmword ptr ';
SIZE_KEYWORDS[MemorySize.FarPtr16] = 'dword ptr ';
SIZE_KEYWORDS[MemorySize.FarPtr32] = 'fword ptr ';
SIZE_KEYWORDS[MemorySize.FarPtr64] = 'tbyte ptr ';
SIZE_KEYWORDS[MemorySize.Bound16] = 'dword ptr ';
SIZE_KEYWORDS[MemorySize.Bound32] = 'qword ptr ';
SIZE_KEYWORDS[MemorySize.Fword] = 'fword ptr ';
SIZE_KEYWORDS[MemorySize.Tword] = 'tbyte ptr ';
SIZE_KEYWORDS[MemorySize.Float32] = 'dword ptr ';
SIZE_KEYWORDS[MemorySize.Float64] = 'qword ptr ';
SIZE_KEYWORDS[MemorySize.Float80] = 'tbyte ptr ';
SIZE_KEYWORDS[MemorySize.Int16] = 'word ptr ';
SIZE_KEYWORDS[MemorySize.Int32] = 'dword ptr ';
SIZE_KEYWORDS[MemorySize.Int64] = 'qword ptr ';
SIZE_KEYWORDS[MemorySize.Bcd] = 'tbyte ptr ';
SIZE_KEYWORDS[MemorySize.FpuEnv] = '';
SIZE_KEYWORDS[MemorySize.FpuState] = '';
SIZE_KEYWORDS[MemorySize.Fxsave] = '';
SIZE_KEYWORDS[MemorySize.Xsave] = '';
SIZE_KEYWORDS[MemorySize.Word2] = '';
SIZE_KEYWORDS[MemorySize.B384] = '';
SIZE_KEYWORDS[MemorySize.B512] = '';
const MEM_SIZE_BYTES_FOR_MATCH = [0, 1, 2, 4, 8, 10, 16, 32, 64];

// Formatting traits per mnemonic id, computed once so format() does no string tests.
const M_SIZE_HIDDEN = 1; // the text hides the operand size: `dataNN` prefix when not default
const M_LOOP = 2; // LOOPcc / JrCXZ: address size matters
const M_ADDR_SHOWN = 4; // implicit rAX/rDI address: `addrNN` when not default
const M_X87_ST1 = 8; // omits operands when the other register is ST(1)
const M_CMP = 16; // CMPPS-style predicate pseudo-ops
const M_PCLMUL = 32;
const M_JCC = 64; // `j*` but not JMP: branch hints
const M_RET = 128;
const M_XCHG = 256;
const M_IMUL = 512;
const M_POP_ST = 1024; // x87 ...P forms (ST(i), ST(0) order)
const M_LEA = 2048;
const M_VEX_CMP = 4096;
const M_XBEGIN = 8192;
const M_CALL = 16384;
const M_VPCMP = 32768; // EVEX vpcmp[u]{b,w,d,q} predicate pseudo-ops
// Built on the first `new IntelFormatter()`, not at import: a decoder-only user never pays for them.
let FORMAT_MNEMONIC: string[] = [];
let MNEMONIC_TRAITS: number[] = [];
const REG_NAMES: string[] = [];
/** `es:` ... `gs:`, indexed by Register. */
const SEGMENT_TEXT: string[] = [];
function buildFormatTables(): void {
  if (REG_NAMES.length !== 0) return;
  for (let r = 0; r < 249; r++) REG_NAMES.push(registerName(r));
  for (let r = Register.ES; r <= Register.GS; r++) SEGMENT_TEXT[r] = `${registerName(r)}:`;
  CODE_ATTRS = decodeTables.CODE_ATTRS;
  CODE_OPS = decodeTables.CODE_OPS;
  FORMAT_MNEMONIC = decodeTables.MNEMONIC_NAMES.map((m) => RENAMES[m.toLowerCase()] ?? m.toLowerCase());
  MNEMONIC_TRAITS = FORMAT_MNEMONIC.map(mnemonicTraits);
}

function mnemonicTraits(m: string): number {
  let t = 0;
  if (SIZE_HIDDEN.has(m)) t |= M_SIZE_HIDDEN;
  const loop = m.startsWith('loop') || m === 'jcxz' || m === 'jecxz' || m === 'jrcxz';
  if (loop) t |= M_LOOP;
  if (ADDR_SHOWN.has(m)) t |= M_ADDR_SHOWN;
  if (X87_IMPLICIT_ST1.has(m)) t |= M_X87_ST1;
  if (CMP_PSEUDO.has(m)) t |= M_CMP | (m.startsWith('v') ? M_VEX_CMP : 0);
  if (m === 'pclmulqdq' || m === 'vpclmulqdq') t |= M_PCLMUL;
  if (m.startsWith('j') && m !== 'jmp' && !loop) t |= M_JCC;
  if (m === 'ret') t |= M_RET;
  if (m === 'xchg') t |= M_XCHG;
  if (m === 'imul') t |= M_IMUL;
  if (m.endsWith('p')) t |= M_POP_ST;
  if (m === 'lea') t |= M_LEA;
  if (m === 'xbegin') t |= M_XBEGIN;
  if (m === 'call') t |= M_CALL;
  if (isVpcmp(m)) t |= M_VPCMP;
  return t;
}

// Small numbers are most of what a listing prints: cache their text.
const HEX_CACHE: string[] = [];

/** iced-style hex: `0FFh`, small values (0..9) in decimal (also when padding is asked for), else zero-padded to `digits`. */
function hex(lo: number, hi: number, digits: number): string {
  // iced-x86 1.21 tests "small enough for decimal" on the low 32 bits only, so 100000001h
  // prints as `1`; we mirror it so the two stay diffable line by line (see README).
  if (lo <= 9) return String(lo);
  if (hi === 0 && digits === 0 && lo < 4096) {
    let cached = HEX_CACHE[lo];
    if (cached === undefined) {
      cached = hexText(lo, 0, 0);
      HEX_CACHE[lo] = cached;
    }
    return cached;
  }
  return hexText(lo, hi, digits);
}

// Upper-case hex text from one String.fromCharCode call: Number#toString(16) takes V8's slow
// double path for values above 2^31 (most addresses), and piecewise concatenation allocates a
// string per digit pair; this is ~8x faster than either for a 16-digit branch target.
const HEX_CHAR = new Uint8Array(16);
for (let i = 0; i < 16; i++) HEX_CHAR[i] = '0123456789ABCDEF'.charCodeAt(i);
const CHAR_H = 0x68;

function hexText(lo: number, hi: number, digits: number): string {
  // significant nibbles, at least `digits`
  let n = hi !== 0 ? 16 - (Math.clz32(hi) >> 2) : lo !== 0 ? 8 - (Math.clz32(lo) >> 2) : 1;
  if (n < digits) n = digits;
  const lead = n > 8 ? (hi >>> ((n - 9) << 2)) & 15 : (lo >>> ((n - 1) << 2)) & 15;
  // iced: a leading letter digit gets a 0 in front so the text reads as a number; the digit
  // left of the leading one is 0 whenever there is one, so slicing one further gives it
  const width = n > 8 ? 16 : 8;
  const start = width - n - (lead >= 10 ? 1 : 0);
  const text =
    n > 8
      ? String.fromCharCode(
          HEX_CHAR[hi >>> 28]!,
          HEX_CHAR[(hi >>> 24) & 15]!,
          HEX_CHAR[(hi >>> 20) & 15]!,
          HEX_CHAR[(hi >>> 16) & 15]!,
          HEX_CHAR[(hi >>> 12) & 15]!,
          HEX_CHAR[(hi >>> 8) & 15]!,
          HEX_CHAR[(hi >>> 4) & 15]!,
          HEX_CHAR[hi & 15]!,
          HEX_CHAR[lo >>> 28]!,
          HEX_CHAR[(lo >>> 24) & 15]!,
          HEX_CHAR[(lo >>> 20) & 15]!,
          HEX_CHAR[(lo >>> 16) & 15]!,
          HEX_CHAR[(lo >>> 12) & 15]!,
          HEX_CHAR[(lo >>> 8) & 15]!,
          HEX_CHAR[(lo >>> 4) & 15]!,
          HEX_CHAR[lo & 15]!,
          CHAR_H,
        )
      : String.fromCharCode(
          HEX_CHAR[lo >>> 28]!,
          HEX_CHAR[(lo >>> 24) & 15]!,
          HEX_CHAR[(lo >>> 20) & 15]!,
          HEX_CHAR[(lo >>> 16) & 15]!,
          HEX_CHAR[(lo >>> 12) & 15]!,
          HEX_CHAR[(lo >>> 8) & 15]!,
          HEX_CHAR[(lo >>> 4) & 15]!,
          HEX_CHAR[lo & 15]!,
          CHAR_H,
        );
  if (start < 0) return `0${text}`;
  return start === 0 ? text : text.slice(start);
}

const isStringKind = (k: number): boolean =>
  k === OperandKind.MemoryStringSource || k === OperandKind.MemoryStringDestination;

/**
 * Formats instructions in Intel syntax, character for character as iced-x86's default
 * `Formatter(FormatterSyntax.Intel)` does (lowercase, no space after commas, `0FFh` hex,
 * branch targets zero-padded to the mode's width).
 *
 * @example
 * ```ts
 * const insn = new Instruction();
 * new Decoder(64, new Uint8Array([0x48, 0x8b, 0x07])).decodeOut(insn);
 * new IntelFormatter().format(insn); // 'mov rax,[rdi]'
 * ```
 */
export class IntelFormatter {
  constructor() {
    buildFormatTables();
  }

  /** Text of one instruction; `(bad)` for an invalid, truncated or unsupported one. */
  format(insn: Instruction): string {
    if (insn.status !== DecodeStatus.Ok) return '(bad)';
    const code = insn.code;
    const attrs = CODE_ATTRS[code]!;
    const mnemonicId = insn.mnemonic;
    const mnemonic = FORMAT_MNEMONIC[mnemonicId]!;
    const traits = MNEMONIC_TRAITS[mnemonicId]!;
    const seg = insn.segmentPrefix;
    let hasMem = false;
    let hasString = false;
    for (let k = 0; k < insn.opCount; k++) {
      const kind = insn.opKind[k]!;
      if (kind === OperandKind.Memory) hasMem = true;
      else if (isStringKind(kind)) hasString = true;
    }

    // ---- prefixes, in iced's order ----
    let out = '';
    const isLoopLike = (traits & M_LOOP) !== 0;
    const defaultAsz = insn.bitness === 16 ? 2 : insn.bitness === 32 ? 4 : 8;
    if ((traits & (M_SIZE_HIDDEN | M_LOOP)) !== 0 || ((traits & M_JCC) !== 0 && (attrs & ATTR_BND) !== 0)) {
      let hidden = true;
      for (let k = 0; k < insn.opCount; k++) {
        const kind = insn.opKind[k]!;
        if (kind === OperandKind.Memory) hidden = false;
        else if (kind === OperandKind.Register && insn.opRegister[k]! <= Register.R15) hidden = false;
      }
      const def = insn.bitness === 16 ? 2 : (attrs & (ATTR_D64 | ATTR_F64)) !== 0 && insn.bitness === 64 ? 8 : 4;
      if (hidden && insn.operandSize !== def) out += `data${insn.operandSize * 8} `;
    }
    if (
      (isLoopLike && mnemonic.charCodeAt(0) !== 106) /* j */ ||
      (traits & M_ADDR_SHOWN) !== 0 ||
      (hasMem && insn.memBase === Register.None && insn.memIndex === Register.None)
    ) {
      if (insn.addressSize !== defaultAsz && ((traits & (M_ADDR_SHOWN | M_LOOP)) !== 0 || isMoffs(insn)))
        out += `addr${insn.addressSize * 8} `;
    }
    out += lockPrefixText(insn, attrs, hasMem, (traits & M_XCHG) !== 0);
    const isJcc = (traits & M_JCC) !== 0 && (attrs & ATTR_BND) !== 0;
    if (isJcc && seg === Register.CS) out += 'hint-not-taken ';
    else if (isJcc && seg === Register.DS) out += 'hint-taken ';
    out += branchAndRepPrefixText(insn, attrs, (traits & M_RET) !== 0 && insn.opCount === 0);
    // pseudo-ops: `cmpps x,y,0` -> `cmpeqps x,y`, `pclmulqdq x,y,0` -> `pclmullqlqdq x,y`
    let opCount = insn.opCount;
    let name = mnemonic;
    if ((traits & (M_CMP | M_PCLMUL | M_VPCMP)) !== 0 && insn.opKind[opCount - 1] === OperandKind.Immediate) {
      const imm = insn.immediateLo;
      if ((traits & M_CMP) !== 0 && imm < ((traits & M_VEX_CMP) !== 0 ? 32 : 8)) {
        const stem = mnemonic.length === 5 ? 3 : 4; // cmp|ps or vcmp|ps
        name = mnemonic.slice(0, stem) + CMP_PREDICATES[imm] + mnemonic.slice(stem);
        opCount--;
      } else if ((traits & M_VPCMP) !== 0 && imm < 8) {
        name = `vpcmp${VPCMP_PREDICATES[imm]}${mnemonic.slice(5)}`;
        opCount--;
      } else if ((traits & M_PCLMUL) !== 0 && (imm & 0xee) === 0) {
        name = `${mnemonic.slice(0, -3)}${PCLMUL_SELECTORS[(imm & 1) | ((imm >> 3) & 2)]}dq`;
        opCount--;
      }
    }
    out += name;
    if ((attrs & ATTR_FMT_FAR) !== 0) out += ' far';

    // ---- operands ----
    if (insn.opCount === 2 && (traits & M_X87_ST1) !== 0 && insn.opKind[0] === OperandKind.Register) {
      const a = insn.opRegister[0]!;
      const b = insn.opRegister[1]!;
      if (
        (a === Register.ST0 && b === Register.ST0 + 1) ||
        (b === Register.ST0 && a === Register.ST0 + 1 && (traits & M_POP_ST) !== 0)
      ) {
        return out;
      }
    }
    let first = true;
    const memSeg = this.memorySegmentText(insn, hasString);
    let implicitSeg = '';
    for (let k = 0; k < opCount; k++) {
      const kind = insn.opKind[k]!;
      if ((CODE_OPS[code * 5 + k]! & 0xff) === OperandType.ImplicitMemory) {
        // iced prints an overriding segment of the implicit [rDI] (MASKMOVQ) as a last operand
        if (memSeg !== '') implicitSeg = memSeg.slice(0, -1);
        continue;
      }
      // the implicit <XMM0> of BLENDVPS / PBLENDVB / SHA256RNDS2 is not printed
      if (CODE_OPS[code * 5 + k]! >>> 16 === Register.XMM0 && (CODE_OPS[code * 5 + k]! & 0xff) === OperandType.FixedReg)
        continue;
      // string instructions name only their memory operands and DX (iced/XED style)
      if (hasString && kind === OperandKind.Register && insn.opRegister[k] !== Register.DX) continue;
      // XED style: `imul eax,eax,5` prints as `imul eax,5`
      if (k === 1 && insn.opCount === 3 && (traits & M_IMUL) !== 0 && kind === OperandKind.Register) {
        if (insn.opKind[0] === OperandKind.Register && insn.opRegister[0] === insn.opRegister[1]) continue;
      }
      let text: string;
      switch (kind) {
        case OperandKind.Register: {
          const r = insn.opRegister[k]!;
          // ST(i) from ModRM prints as st(0); the implicit top of stack as st
          text =
            r === Register.ST0 && (CODE_OPS[code * 5 + k]! & 0xff) !== OperandType.FixedReg ? 'st(0)' : REG_NAMES[r]!;
          break;
        }
        case OperandKind.Memory:
          text = this.memorySizeText(insn, k, attrs) + memSeg + this.memoryText(insn);
          if ((insn.prefixes & PREFIX_EVEX) !== 0 && insn.broadcast) text += broadcastText(insn);
          break;
        case OperandKind.MemoryStringSource:
          text = `${memSeg}[${REG_NAMES[insn.memBase]}]`;
          break;
        case OperandKind.MemoryStringDestination: {
          const di = insn.addressSize === 8 ? 'rdi' : insn.addressSize === 4 ? 'edi' : 'di';
          text = memSeg !== '' ? `es:[${di}]` : `[${di}]`;
          break;
        }
        case OperandKind.Immediate:
          text = hex(insn.immediateLo, insn.immediateHi, 0);
          break;
        case OperandKind.Immediate2:
          text = hex(insn.immediate2, 0, 0);
          break;
        case OperandKind.NearBranch: {
          const digits =
            insn.operandSize === 8 || ((traits & M_XBEGIN) !== 0 && insn.bitness === 64)
              ? 16
              : (traits & M_XBEGIN) !== 0
                ? 8
                : insn.operandSize * 2;
          text = hex(insn.branchLo, insn.branchHi, digits);
          if (this.isShortBranch(insn, traits, attrs)) {
            text = `short ${text}`;
          }
          break;
        }
        case OperandKind.FarBranch:
          text = `${hex(insn.farOffset, 0, insn.operandSize === 2 ? 4 : 8)},${hex(insn.farSelector, 0, 4)}`;
          break;
        default:
          text = '';
      }
      if (first && (insn.prefixes & PREFIX_EVEX) !== 0) {
        // EVEX decorations follow the destination: zmm1{k1}{z}{rd-sae}; a gather's or
        // scatter's (required) opmask is an operand of its own: `vpgatherdd zmm1,k1,[...]`
        if (insn.opmask !== Register.None)
          text +=
            (evexBitsOf(code) & EVEX_K_REQUIRED) !== 0 ? `,${REG_NAMES[insn.opmask]}` : `{${REG_NAMES[insn.opmask]}}`;
        if (insn.zeroingMasking) text += '{z}';
        if (insn.roundingControl !== 0) text += ROUNDING_INTEL[insn.roundingControl]!;
        else if (insn.suppressAllExceptions) text += '{sae}';
      }
      out += first ? ' ' : ',';
      first = false;
      out += text;
    }
    if (implicitSeg !== '') out += `,${implicitSeg}`;
    return out;
  }

  /** `jmp short` / `jcc short` for rel8 encodings (iced's ShortBranch flow control). */
  private isShortBranch(insn: Instruction, traits: number, attrs: number): boolean {
    if (((attrs & ATTR_BND) === 0 && (attrs & ATTR_FMT_SHORT) === 0) || (traits & M_CALL) !== 0) return false;
    const d = CODE_OPS[insn.code * 5]!;
    return (d & 0xff) === OperandType.Rel8;
  }

  private memorySegmentText(insn: Instruction, hasString: boolean): string {
    if ((MNEMONIC_TRAITS[insn.mnemonic]! & M_LEA) !== 0) return '';
    const seg = shownSegment(insn, hasString);
    return seg === Register.None ? '' : SEGMENT_TEXT[seg]!;
  }

  private memorySizeText(insn: Instruction, k: number, attrs: number): string {
    const kind = insn.memSizeKind;
    if (kind === MemorySize.FpuEnv || kind === MemorySize.FpuState) {
      // only an operand-size prefix makes iced name the x87 environment/state layout
      if ((insn.prefixes & PREFIX_OPERAND_SIZE) === 0 || insn.operandSize === 8) return '';
      const small = insn.operandSize === 2;
      return kind === MemorySize.FpuEnv ? `fpuenv${small ? 14 : 28} ptr ` : `fpustate${small ? 94 : 108} ptr `;
    }
    if ((attrs & ATTR_FMT_NOSIZE) !== 0 || ((insn.prefixes & PREFIX_EVEX) !== 0 && insn.broadcast)) return '';
    const kw = SIZE_KEYWORDS[kind] ?? '';
    if ((attrs & ATTR_FMT_SIZE) !== 0) return kw;
    if (kw === '') return '';
    const d = CODE_OPS[insn.code * 5 + k]!;
    const cls = (d >> 8) & 0xff;
    const t = d & 0xff;
    // vector register-or-memory operands never need a size; GP ones do unless a GP register names it
    if (cls >= RegisterClass.Mm && cls !== RegisterClass.St) return '';
    if (t === OperandType.Moffs) return '';
    const bytes = MEM_SIZE_BYTES_FOR_MATCH[kind] ?? -1;
    for (let j = 0; j < insn.opCount; j++) {
      if (j === k || insn.opKind[j] !== OperandKind.Register) continue;
      if ((CODE_OPS[insn.code * 5 + j]! & 0xff) === OperandType.FixedReg) continue;
      const r = insn.opRegister[j]!;
      if (r >= Register.MM0 || (r >= Register.XMM0 && r < Register.BND0)) return '';
      if (r <= Register.R15 && regBytes(r) === bytes) return '';
      if (r >= Register.ES && r <= Register.GS && bytes === 2) return '';
    }
    return kw;
  }

  private memoryText(insn: Instruction): string {
    const base = insn.memBase;
    const index = insn.memIndex;
    const asz = insn.addressSize;
    if (base === Register.RIP || base === Register.EIP) {
      // iced shows RIP-relative operands as the absolute target
      return `[${hex(insn.memDisplacementLo, insn.memDisplacementHi, 0)}]`;
    }
    let s = '[';
    let needPlus = false;
    if (base !== Register.None) {
      s += REG_NAMES[base];
      needPlus = true;
    }
    if (index !== Register.None) {
      if (needPlus) s += '+';
      s += REG_NAMES[index];
      // without a base the SIB scale is always shown, also *1
      if (insn.memScale !== 1 || base === Register.None) s += `*${insn.memScale}`;
      needPlus = true;
    }
    const lo = insn.memDisplacementLo;
    const hi = insn.memDisplacementHi;
    if (!needPlus) {
      s += hex(lo, asz === 8 ? hi : 0, 0);
    } else if (insn.memDisplacementSize !== 0 && (lo !== 0 || hi !== 0)) {
      let neg = false;
      let v = lo;
      if (asz === 2) {
        if (lo & 0x8000) {
          neg = true;
          v = (0x10000 - lo) & 0xffff;
        }
      } else if (lo | 0) {
        if ((lo | 0) < 0 && (asz === 4 || hi === 0xffffffff)) {
          neg = true;
          v = -(lo | 0);
        }
      }
      s += neg ? `-${hex(v >>> 0, 0, 0)}` : `+${hex(v, 0, 0)}`;
    }
    return `${s}]`;
  }
}

function isMoffs(insn: Instruction): boolean {
  for (let k = 0; k < insn.opCount; k++) {
    if ((CODE_OPS[insn.code * 5 + k]! & 0xff) === OperandType.Moffs) return true;
  }
  return false;
}

function regBytes(r: number): number {
  if (r <= Register.R15L) return 1;
  if (r <= Register.R15W) return 2;
  if (r <= Register.R15D) return 4;
  return 8;
}
