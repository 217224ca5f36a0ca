import { ATTR_BND, ATTR_D64, ATTR_F64, ATTR_FMT_FAR, ATTR_FMT_NOSIZE, ATTR_FMT_SIZE } from './decoder.ts';
import { CMP_PREDICATES, PCLMUL_SELECTORS } from './cmp-predicates.ts';
import {
  branchAndRepPrefixText,
  broadcastText,
  formHasOperandType,
  gprBytes,
  isVpcmp,
  lockPrefixText,
  memorySizeNeeded,
  PADLOCK_MNEMONICS,
  ROUNDING_ATT,
  shownSegment,
  VPCMP_PREDICATES,
  X87_IMPLICIT_ST1,
} from './formatter-rules.ts';
import { decodeTables } from './generated/tables.ts';
import { DecodeStatus, type Instruction, OperandKind, PREFIX_EVEX, PREFIX_OPERAND_SIZE } from './instruction.ts';
import { MemorySize, OperandType } from './operand-type.ts';
import { Register, registerName } from './register.ts';

// AT&T (GNU as) spellings of mnemonics whose Intel name differs (SDM name -> GAS name).
const ATT_RENAMES: Readonly<Record<string, string>> = {
  cbw: 'cbtw',
  cwde: 'cwtl',
  cdqe: 'cltq',
  cwd: 'cwtd',
  cdq: 'cltd',
  cqo: 'cqto',
  retf: 'lret',
  insd: 'insl',
  outsd: 'outsl',
  fstpnce: 'fstp',
  prefetch_reserved: 'prefetch',
  prefetch_exclusive: 'prefetch',
  pcmpestri64: 'pcmpestriq',
  pcmpestrm64: 'pcmpestrmq',
  vpcmpestri64: 'vpcmpestriq',
  vpcmpestrm64: 'vpcmpestrmq',
};
// Forms with a 32-bit register destination that iced writes as the 64-bit register when
// REX.W/VEX.W is set (the upper half is zeroed either way).
const W_WIDENS_GPR32 = new Set([
  'pextrw',
  'vpextrw',
  'pextrb',
  'vpextrb',
  // iced's GAS text names the 64-bit register for VEX/EVEX.W1 VPINSRB/VPINSRW/VEXTRACTPS in
  // 64-bit mode
  'vpinsrb',
  'vpinsrw',
  'vextractps',
  'pmovmskb',
  'vpmovmskb',
  'movmskps',
  'movmskpd',
  'vmovmskps',
  'vmovmskpd',
  'pinsrw',
  'vpinsrw',
  'pinsrb',
  'vpinsrb',
  'extractps',
  'vextractps',
]);
// SVM and related instructions whose rAX/ECX operands GAS does not write (their address size
// shows as an `addrNN` prefix instead).
const IMPLICIT_OPERANDS = new Set(['vmrun', 'vmload', 'vmsave', 'invlpga', 'clzero', 'skinit', 'pvalidate', 'invlpgb']);
// Instructions with an implicit rAX/rDI address: a non-default address size is an `addrNN` prefix.
const ADDRESS_SHOWN = new Set(['monitor', 'monitorx', 'maskmovq', 'maskmovdqu', 'vmaskmovdqu', ...PADLOCK_MNEMONICS]);
// SGDT/SIDT/LGDT/LIDT: outside 64-bit mode GAS marks a 66h-changed operand size (`sgdtw`,
// `lidtl`), which selects the 24- or 32-bit base of the pseudo-descriptor (SDM 2 LGDT).
const DESCRIPTOR_TABLE = new Set(['sgdt', 'sidt', 'lgdt', 'lidt']);
// VEX conversions from a 128/256-bit memory source to an XMM register: GAS marks the source width.
const VEX_NARROWING = new Set(['vcvtpd2dq', 'vcvttpd2dq', 'vcvtpd2ps', 'vcvtneps2bf16']);
// String forms whose SSE namesakes keep their Intel name (MOVSD, CMPSD).
const STRING_D_NAMES: Readonly<Record<string, string>> = { movsd: 'movsl', cmpsd: 'cmpsl' };
// Instructions GAS writes without a size letter at the mode's default operand size and with
// `w`/`l`/`q` otherwise (the Intel names carry the size: PUSHFD, IRETQ, ...).
const SIZED_STEMS: Readonly<Record<string, string>> = {
  pushf: 'pushf',
  pushfd: 'pushf',
  pushfq: 'pushf',
  popf: 'popf',
  popfd: 'popf',
  popfq: 'popf',
  pusha: 'pusha',
  pushad: 'pusha',
  popa: 'popa',
  popad: 'popa',
  iret: 'iret',
  iretw: 'iret',
  iretd: 'iret',
  iretq: 'iret',
  retf: 'lret',
  sysret: 'sysret',
  sysretq: 'sysret',
  sysexit: 'sysexit',
  sysexitq: 'sysexit',
};
// Far transfers through memory or an immediate pointer: GAS prefixes an `l`.
const FAR_NAMES: Readonly<Record<string, string>> = { jmp: 'ljmp', call: 'lcall' };

// AT&T x87 quirk (GNU as, SysV): with ST(i) as the destination the non-commutative
// arithmetic names are swapped (`fsub st(i),st` is written `fsubr %st,%st(i)`).
const X87_SWAPPED: Readonly<Record<string, string>> = {
  fsub: 'fsubr',
  fsubr: 'fsub',
  fdiv: 'fdivr',
  fdivr: 'fdiv',
  fsubp: 'fsubrp',
  fsubrp: 'fsubp',
  fdivp: 'fdivrp',
  fdivrp: 'fdivp',
};
// x87 forms written with the ST(i) operand only.
const X87_ONE_OPERAND = new Set(['fld', 'fst', 'fstp', 'fstpnce', 'fxch', 'fcom', 'fcomp', 'fucom', 'fucomp']);

// Per-register and per-mnemonic tables, built on the first `new AttFormatter()` so that importing
// the package (which most users do for the decoder alone) pays nothing for them.
const REG_TEXT: string[] = [];

// GAS mnemonic size suffix per memory size (SDM widths; x87 uses s/l/t for floats, s/l/ll for integers).
const SUFFIX: string[] = [];
SUFFIX[MemorySize.Byte] = 'b';
SUFFIX[MemorySize.Word] = 'w';
SUFFIX[MemorySize.Dword] = 'l';
SUFFIX[MemorySize.Qword] = 'q';
SUFFIX[MemorySize.Tbyte] = 't';
SUFFIX[MemorySize.Float32] = 's';
SUFFIX[MemorySize.Float64] = 'l';
SUFFIX[MemorySize.Float80] = 't';
SUFFIX[MemorySize.Int16] = 's';
SUFFIX[MemorySize.Int32] = 'l';
SUFFIX[MemorySize.Int64] = 'll';
const VECTOR_SUFFIX: string[] = [];
VECTOR_SUFFIX[MemorySize.Xmmword] = 'x';
VECTOR_SUFFIX[MemorySize.Ymmword] = 'y';
VECTOR_SUFFIX[MemorySize.Zmmword] = 'z';

const OS_SUFFIX = ['', '', 'w', '', 'l', '', '', '', 'q'];

// Formatting traits per mnemonic id, computed once.
const T_STRING_REG = 1; // STOS/LODS/SCAS/INS/OUTS: the implicit register is printed
const T_CALL_JMP = 2; // indirect operand gets `*`
const T_JCC = 4;
const T_LOOP = 8;
const T_RET = 16;
const T_XCHG = 32;
const T_IMUL = 64;
const T_SIZE_HIDDEN = 128; // push/pop/call/ret/enter/leave: a non-default operand size is a suffix
const T_MOVSX = 256;
const T_MOVZX = 512;
const T_MOVSXD = 1024;
const T_LEA = 2048;
const T_MOV = 4096;
const T_SIZED_STEM = 8192; // see SIZED_STEMS
const T_KEEP_ORDER = 16384; // BOUND, ENTER: GAS keeps the Intel operand order
const T_NOP = 32768;
const T_X87_SWAP = 1 << 16;
const T_X87_ONE = 1 << 17;
const T_X87_ST1 = 1 << 18;
const T_POP_ST = 1 << 19;
const T_PUSHF = 1 << 20;
const T_CMP = 1 << 21; // CMPPS-style predicate pseudo-ops
const T_VEX_CMP = 1 << 22;
const T_PCLMUL = 1 << 23;
const T_AAM = 1 << 24; // AAM/AAD: the default base 10 is not written
const T_XBEGIN = 1 << 25;
const T_JCXZ = 1 << 26;
const T_JMP = 1 << 27;
const T_STRING_D = 1 << 28;
const T_SYS = 1 << 29; // SYSRET/SYSEXIT: a size suffix in 64-bit mode only
const T_W_WIDENS = 1 << 30;
// second trait word
const U_IMPLICIT_OPS = 1;
const U_VEX_NARROW = 2;
const U_GETSEC = 4;
const U_ADDRESS_SHOWN = 8;
const U_DESCRIPTOR_TABLE = 32;
/** LKGS: GAS names the 16-bit selector register whatever the operand size (`lkgs %r15w`). */
const U_SELECTOR16 = 16;
const U_VPCMP = 64; // EVEX vpcmp[u]{b,w,d,q} predicate pseudo-ops

// The formatter's tables come from decodeTables on the first construction (build*Tables), so an
// import that never formats does not unpack them.
let CODE_ATTRS: Uint32Array;
let CODE_OPS: Uint32Array;

const ATT_MNEMONIC: string[] = [];
const ATT_TRAITS: number[] = [];
const ATT_TRAITS2: number[] = [];

function buildAttTables(): void {
  for (let r = 0; r < 249; r++) REG_TEXT.push(`%${registerName(r)}`);
  CODE_ATTRS = decodeTables.CODE_ATTRS;
  CODE_OPS = decodeTables.CODE_OPS;
  for (const raw of decodeTables.MNEMONIC_NAMES) addMnemonic(raw.toLowerCase());
}

function addMnemonic(m: string): void {
  ATT_MNEMONIC.push(SIZED_STEMS[m] ?? ATT_RENAMES[m] ?? m);
  let t = 0;
  if (SIZED_STEMS[m] !== undefined) t |= T_SIZED_STEM;
  if (m === 'bound' || m === 'enter') t |= T_KEEP_ORDER;
  if (m === 'nop') t |= T_NOP;
  if (X87_SWAPPED[m] !== undefined) t |= T_X87_SWAP;
  if (X87_ONE_OPERAND.has(m)) t |= T_X87_ONE;
  if (X87_IMPLICIT_ST1.has(m)) t |= T_X87_ST1;
  if (m.startsWith('f') && m.endsWith('p')) t |= T_POP_ST;
  if (m.startsWith('pushf') || m.startsWith('popf')) t |= T_PUSHF;
  if (/^v?cmp[ps][sd]$|^vcmp[ps]h$/.test(m)) t |= T_CMP | (m.startsWith('v') ? T_VEX_CMP : 0);
  if (m === 'pclmulqdq' || m === 'vpclmulqdq') t |= T_PCLMUL;
  if (m === 'aam' || m === 'aad') t |= T_AAM;
  if (m === 'xbegin') t |= T_XBEGIN;
  if (m === 'jcxz' || m === 'jecxz' || m === 'jrcxz') t |= T_JCXZ;
  if (m === 'jmp') t |= T_JMP;
  if (STRING_D_NAMES[m] !== undefined) t |= T_STRING_D;
  if (m.startsWith('sysret') || m.startsWith('sysexit')) t |= T_SYS;
  if (W_WIDENS_GPR32.has(m)) t |= T_W_WIDENS;
  let u = 0;
  if (IMPLICIT_OPERANDS.has(m)) u |= U_IMPLICIT_OPS;
  if (VEX_NARROWING.has(m)) u |= U_VEX_NARROW;
  if (m === 'getsecq') u |= U_GETSEC;
  if (ADDRESS_SHOWN.has(m)) u |= U_ADDRESS_SHOWN;
  if (m === 'lkgs') u |= U_SELECTOR16;
  if (DESCRIPTOR_TABLE.has(m)) u |= U_DESCRIPTOR_TABLE;
  if (isVpcmp(m)) u |= U_VPCMP;
  ATT_TRAITS2.push(u);
  if (/^(stos|lods|scas|ins|outs)[bwdq]$/.test(m)) t |= T_STRING_REG;
  if (m === 'call' || m === 'jmp') t |= T_CALL_JMP;
  const loop = m.startsWith('loop') || m === 'jcxz' || m === 'jecxz' || m === 'jrcxz';
  if (loop) t |= T_LOOP;
  else if (m.startsWith('j') && m !== 'jmp') t |= T_JCC;
  if (m === 'ret') t |= T_RET;
  if (m === 'xchg') t |= T_XCHG;
  if (m === 'imul') t |= T_IMUL;
  if (m === 'push' || m === 'pop' || m === 'call' || m === 'ret') t |= T_SIZE_HIDDEN;
  if (m === 'enter' || m === 'leave') t |= T_SIZE_HIDDEN;
  if (m === 'movsx') t |= T_MOVSX;
  if (m === 'movzx') t |= T_MOVZX;
  if (m === 'movsxd') t |= T_MOVSXD;
  if (m === 'lea') t |= T_LEA;
  if (m === 'mov') t |= T_MOV;
  ATT_TRAITS.push(t);
}

const HEX_CACHE: string[] = [];

/** GAS-style number as iced prints it: decimal 0..9, else `0x` and upper-case hex, zero-padded to `digits`. */
function num(lo: number, hi: number, digits: number): string {
  // iced-x86 1.21 decides "small" on the low 32 bits only (see the Intel formatter and README).
  if (lo <= 9) return String(lo);
  if (hi === 0 && digits === 0 && lo < 4096) {
    let cached = HEX_CACHE[lo];
    if (cached === undefined) {
      cached = `0x${lo.toString(16).toUpperCase()}`;
      HEX_CACHE[lo] = cached;
    }
    return cached;
  }
  let s =
    hi !== 0
      ? hi.toString(16).toUpperCase() + lo.toString(16).toUpperCase().padStart(8, '0')
      : lo.toString(16).toUpperCase();
  if (s.length < digits) s = s.padStart(digits, '0');
  return `0x${s}`;
}

const isStringKind = (k: number): boolean =>
  k === OperandKind.MemoryStringSource || k === OperandKind.MemoryStringDestination;

/** The general register with the same number as `r` and `size` bytes wide. */
function gprOfSize(r: number, size: number): number {
  const n = r <= Register.R15W ? r - Register.AX : r <= Register.R15D ? r - Register.EAX : r - Register.RAX;
  return (size === 2 ? Register.AX : size === 4 ? Register.EAX : Register.RAX) + n;
}

/**
 * Formats instructions in AT&T (GNU as) syntax, character for character as iced-x86's
 * `Formatter(FormatterSyntax.Gas)` does: source operands first, `%` registers, `$`
 * immediates, `disp(base,index,scale)` memory operands, `0x` hex, and a size suffix on the
 * mnemonic only where no register operand tells the size (`movl $0,(%rax)`).
 *
 * @example
 * ```ts
 * const insn = new Instruction();
 * new Decoder(64, new Uint8Array([0x48, 0x8b, 0x47, 0x08])).decodeOut(insn);
 * new AttFormatter().format(insn); // 'mov 8(%rdi),%rax'
 * ```
 */
export class AttFormatter {
  constructor() {
    if (ATT_MNEMONIC.length === 0) buildAttTables();
  }

  /** Text of one instruction; `(bad)` for an invalid, truncated or unsupported one. */
  format(insn: Instruction): string {
    if (insn.status !== DecodeStatus.Ok) return '(bad)';
    const code = insn.code;
    const attrs = CODE_ATTRS[code]!;
    const mnemonicId = insn.mnemonic;
    const traits = ATT_TRAITS[mnemonicId]!;
    const traits2 = ATT_TRAITS2[mnemonicId]!;
    let name = ATT_MNEMONIC[mnemonicId]!;
    const prefixes = insn.prefixes;
    const evex = (prefixes & PREFIX_EVEX) !== 0;
    const seg = insn.segmentPrefix;
    const opCount = insn.opCount;
    let hasMem = false;
    let hasString = false;
    let hasGpr = false;
    for (let k = 0; k < opCount; k++) {
      const kind = insn.opKind[k]!;
      if (kind === OperandKind.Memory) hasMem = true;
      else if (isStringKind(kind)) hasString = true;
      else if (kind === OperandKind.Register && insn.opRegister[k]! <= Register.R15) hasGpr = true;
    }

    // ---- prefixes ----
    let out = '';
    const defaultAsz = insn.bitness === 16 ? 2 : insn.bitness === 32 ? 4 : 8;
    const isJcc = (traits & T_JCC) !== 0 && (attrs & ATTR_BND) !== 0;
    const nearJmp = (traits & T_JMP) !== 0 && insn.opKind[0] === OperandKind.NearBranch;
    if ((traits & T_LOOP) !== 0 || isJcc || nearJmp) {
      const def = insn.bitness === 16 ? 2 : insn.bitness === 64 ? 8 : 4;
      // iced writes a 66h on LOOPcc/JrCXZ as a raw byte
      if (insn.operandSize !== def) out += (traits & T_LOOP) !== 0 ? '.byte 0x66; ' : `data${insn.operandSize * 8} `;
    }
    if (
      insn.addressSize !== defaultAsz &&
      ((traits2 & U_ADDRESS_SHOWN) !== 0 ||
        ((traits2 & U_IMPLICIT_OPS) !== 0 && formHasOperandType(code, OperandType.AddrSizeReg)))
    )
      out += `addr${insn.addressSize * 8} `;
    // an overriding segment of an implicit [rDI] (MASKMOVQ) is written as a prefix
    if ((traits2 & U_ADDRESS_SHOWN) !== 0 && formHasOperandType(code, OperandType.ImplicitMemory)) {
      const implicitSeg = shownSegment(insn, false);
      if (implicitSeg !== Register.None) out += `${REG_TEXT[implicitSeg]!.slice(1)} `;
    }
    if ((traits2 & U_GETSEC) !== 0) {
      out += 'rex.w ';
      name = 'getsec';
    }
    if (
      hasMem &&
      insn.memBase === Register.None &&
      insn.memIndex === Register.None &&
      insn.addressSize !== defaultAsz
    ) {
      if (formHasOperandType(code, OperandType.Moffs)) out += `addr${insn.addressSize * 8} `;
    }
    out += lockPrefixText(insn, attrs, hasMem, (traits & T_XCHG) !== 0);
    out += branchAndRepPrefixText(insn, attrs, (traits & T_RET) !== 0 && opCount === 0);

    // ---- mnemonic ----
    const far = (attrs & ATTR_FMT_FAR) !== 0;
    if (far) {
      name = FAR_NAMES[name] ?? name;
      if (hasMem) {
        // m16:16 / m16:32 / m16:64: the size is a suffix unless it is the mode's default;
        // iced writes the 64-bit one as a `rex.w` prefix
        const size = insn.operandSize;
        if (size === 8) out += 'rex.w ';
        else if (insn.bitness === 64 || size !== (insn.bitness === 16 ? 2 : 4)) name += OS_SUFFIX[size]!;
      } else if (insn.operandSize !== (insn.bitness === 16 ? 2 : 4)) name += OS_SUFFIX[insn.operandSize]!;
    } else if (
      (traits & T_X87_SWAP) !== 0 &&
      insn.opKind[0] === OperandKind.Register &&
      (CODE_OPS[code * 5]! & 0xff) !== OperandType.FixedReg
    ) {
      name = X87_SWAPPED[name]!;
    } else if ((traits & (T_MOVSX | T_MOVZX)) !== 0) {
      const src = insn.opKind[1] === OperandKind.Register ? gprBytes(insn.opRegister[1]!) : insn.memSize;
      const dst = gprBytes(insn.opRegister[0]!);
      // movzbl / movswq; a 16-bit source into a 16-bit register is movzxw / movsxw
      if (src === 2 && dst === 2) name = (traits & T_MOVSX) !== 0 ? 'movsxw' : 'movzxw';
      else name = `${(traits & T_MOVSX) !== 0 ? 'movs' : 'movz'}${src === 1 ? 'b' : 'w'}${OS_SUFFIX[dst]}`;
    } else if ((traits & T_LOOP) !== 0 && (traits & T_JCXZ) === 0) {
      if (insn.addressSize !== defaultAsz) name += OS_SUFFIX[insn.addressSize]!;
    } else if ((traits & T_MOVSXD) !== 0) {
      const dst = gprBytes(insn.opRegister[0]!);
      name = dst === 8 ? 'movslq' : `movsxd`;
    } else if ((traits & T_MOV) !== 0 && insn.opKind[1] === OperandKind.Immediate && insn.immediateSize === 8) {
      name = 'movabs';
    } else if (
      (traits & T_MOV) !== 0 &&
      hasMem &&
      insn.addressSize === 8 &&
      formHasOperandType(code, OperandType.Moffs)
    ) {
      name = 'movabs';
    } else if ((traits & T_STRING_REG) !== 0 && hasString) {
      for (let k = 0; k < opCount; k++) {
        if (insn.opKind[k] === OperandKind.Register && insn.opRegister[k] !== Register.DX) {
          name = name.slice(0, -1);
          break;
        }
      }
    } else if ((traits & T_NOP) !== 0 && hasMem && !hasGpr) {
      name += OS_SUFFIX[insn.operandSize]!;
    } else if (hasMem && (insn.memSizeKind === MemorySize.FpuEnv || insn.memSizeKind === MemorySize.FpuState)) {
      // only an operand-size prefix makes iced name the 16- or 32-bit x87 environment layout
      if ((prefixes & PREFIX_OPERAND_SIZE) !== 0 && insn.operandSize !== 8) name += insn.operandSize === 2 ? 's' : 'l';
    } else if ((traits2 & U_DESCRIPTOR_TABLE) !== 0) {
      if (insn.bitness !== 64 && insn.operandSize !== (insn.bitness === 16 ? 2 : 4))
        name += OS_SUFFIX[insn.operandSize]!;
    } else if (
      evex &&
      hasMem &&
      (attrs & ATTR_FMT_SIZE) !== 0 &&
      (insn.broadcast || VECTOR_SUFFIX[insn.memSizeKind] !== undefined)
    ) {
      // EVEX forms whose registers do not tell the memory width (vfpclassps, narrowing
      // conversions): x/y/z, none with a broadcast
      if (!insn.broadcast) name += VECTOR_SUFFIX[insn.memSizeKind];
    } else if ((traits2 & U_VEX_NARROW) !== 0 && hasMem && !evex) {
      name += insn.vectorLength === 0 ? 'x' : 'y';
    } else if (hasMem && this.memoryNeedsSuffix(insn, attrs)) {
      name += SUFFIX[insn.memSizeKind]!;
    } else if ((traits & T_SIZED_STEM) !== 0) {
      // 64-bit mode: PUSHF/POPF default to 64 bits, IRET/LRET always carry a suffix
      const def = insn.bitness === 16 ? 2 : insn.bitness === 32 ? 4 : (traits & T_PUSHF) !== 0 ? 8 : 0;
      if ((traits & T_SYS) !== 0) {
        // 64-bit mode only, where a 66h still means the 32-bit form
        if (insn.bitness === 64) name += insn.operandSize === 8 ? 'q' : 'l';
      } else if (insn.operandSize !== def) name += OS_SUFFIX[insn.operandSize]!;
    } else if ((traits & T_STRING_D) !== 0 && hasString) {
      name = STRING_D_NAMES[name]!;
    } else if ((traits & T_SIZE_HIDDEN) !== 0 && !hasMem && !hasGpr) {
      const def = insn.bitness === 16 ? 2 : (attrs & (ATTR_D64 | ATTR_F64)) !== 0 && insn.bitness === 64 ? 8 : 4;
      if (insn.operandSize !== def) name += OS_SUFFIX[insn.operandSize]!;
    }
    let opCount2 = (traits2 & U_IMPLICIT_OPS) !== 0 ? 0 : opCount;
    if ((traits & (T_CMP | T_PCLMUL)) !== 0 && insn.opKind[opCount - 1] === OperandKind.Immediate) {
      const imm = insn.immediateLo;
      if ((traits & T_CMP) !== 0 && imm < ((traits & T_VEX_CMP) !== 0 ? 32 : 8)) {
        const stem = name.length === 5 ? 3 : 4; // cmp|ps or vcmp|ps
        name = name.slice(0, stem) + CMP_PREDICATES[imm] + name.slice(stem);
        opCount2--;
      } else if ((traits & T_PCLMUL) !== 0 && (imm & 0xee) === 0) {
        name = `${name.slice(0, -3)}${PCLMUL_SELECTORS[(imm & 1) | ((imm >> 3) & 2)]}dq`;
        opCount2--;
      }
    } else if ((traits & T_AAM) !== 0 && insn.immediateLo === 10) opCount2 = 0;
    else if ((traits2 & U_VPCMP) !== 0 && insn.opKind[opCount - 1] === OperandKind.Immediate && insn.immediateLo < 8) {
      name = `vpcmp${VPCMP_PREDICATES[insn.immediateLo]}${name.slice(5)}`;
      opCount2--;
    }
    out += name;
    if (isJcc && seg === Register.CS) out += ',pn';
    else if (isJcc && seg === Register.DS) out += ',pt';

    // ---- operands, source first ----
    if (
      (traits & (T_X87_ONE | T_X87_ST1)) !== 0 &&
      opCount === 2 &&
      insn.opKind[0] === OperandKind.Register &&
      insn.opKind[1] === OperandKind.Register
    ) {
      const a = insn.opRegister[0]!;
      const b = insn.opRegister[1]!;
      if ((traits & T_X87_ST1) !== 0) {
        if (
          (a === Register.ST0 && b === Register.ST0 + 1 && (CODE_OPS[code * 5]! & 0xff) === OperandType.FixedReg) ||
          (b === Register.ST0 && a === Register.ST0 + 1 && (traits & T_POP_ST) !== 0)
        )
          return out;
      }
      if ((traits & T_X87_ONE) !== 0) {
        const fixedFirst = (CODE_OPS[code * 5]! & 0xff) === OperandType.FixedReg;
        const reg = fixedFirst ? b : a;
        return `${out} ${reg === Register.ST0 ? '%st(0)' : REG_TEXT[reg]}`;
      }
    }
    const memSeg = this.segmentText(insn, hasString);
    let first = true;
    // embedded rounding / SAE is an operand of its own before the first register or memory
    // operand (after the immediates): `vcmppd $0x41,{sae},%zmm0,...`, `vaddps {rd-sae},%zmm3,...`
    let roundingText = '';
    if (evex && insn.suppressAllExceptions)
      roundingText = insn.roundingControl !== 0 ? ROUNDING_ATT[insn.roundingControl]! : '{sae}';
    const keepOrder = (traits & T_KEEP_ORDER) !== 0;
    for (let j = 0; j < opCount2; j++) {
      const k = keepOrder ? j : opCount2 - 1 - j;
      const kind = insn.opKind[k]!;
      const desc = CODE_OPS[code * 5 + k]!;
      const type = desc & 0xff;
      if (type === OperandType.ImplicitMemory) continue;
      // x87: the implicit ST(0) next to a memory operand is not written
      if (hasMem && type === OperandType.FixedReg && desc >>> 16 === Register.ST0) continue;
      if (
        hasString &&
        kind === OperandKind.Register &&
        (traits & T_STRING_REG) === 0 &&
        insn.opRegister[k] !== Register.DX
      )
        continue;
      if (k === 1 && opCount === 3 && (traits & T_IMUL) !== 0 && kind === OperandKind.Register) {
        if (insn.opKind[0] === OperandKind.Register && insn.opRegister[0] === insn.opRegister[1]) continue;
      }
      let text: string;
      switch (kind) {
        case OperandKind.Register:
          text = REG_TEXT[insn.opRegister[k]!]!;
          // ST(i) from ModRM prints as %st(0); the implicit top of stack as %st
          if (insn.opRegister[k] === Register.ST0 && type !== OperandType.FixedReg) text = '%st(0)';
          else if (
            (traits & T_W_WIDENS) !== 0 &&
            insn.operandSize === 8 &&
            insn.opRegister[k]! >= Register.EAX &&
            insn.opRegister[k]! <= Register.R15D
          )
            text = REG_TEXT[gprOfSize(insn.opRegister[k]!, 8)]!;
          // `mov sreg, r` names the general register at the operand size (`mov %ecx,%ds`)
          else if (
            (traits & T_MOV) !== 0 &&
            k === 1 &&
            insn.opRegister[0]! >= Register.ES &&
            insn.opRegister[0]! <= Register.GS
          )
            text = REG_TEXT[gprOfSize(insn.opRegister[1]!, insn.operandSize)]!;
          else if ((traits2 & U_SELECTOR16) !== 0) text = REG_TEXT[gprOfSize(insn.opRegister[k]!, 2)]!;
          if ((traits & T_CALL_JMP) !== 0) text = `*${text}`;
          break;
        case OperandKind.Memory:
          text = memSeg + this.memoryText(insn);
          if ((traits & T_CALL_JMP) !== 0) text = `*${text}`;
          else if (evex && insn.broadcast) text += broadcastText(insn);
          break;
        case OperandKind.MemoryStringSource:
          text = `${memSeg}(${REG_TEXT[insn.memBase]})`;
          break;
        case OperandKind.MemoryStringDestination: {
          const di = insn.addressSize === 8 ? '%rdi' : insn.addressSize === 4 ? '%edi' : '%di';
          text = memSeg !== '' ? `%es:(${di})` : `(${di})`;
          break;
        }
        case OperandKind.Immediate:
          text = `$${num(insn.immediateLo, insn.immediateHi, 0)}`;
          break;
        case OperandKind.Immediate2:
          text = `$${num(insn.immediate2, 0, 0)}`;
          break;
        case OperandKind.NearBranch: {
          const xbegin = (traits & T_XBEGIN) !== 0;
          const digits =
            insn.operandSize === 8 || (xbegin && insn.bitness === 64) ? 16 : xbegin ? 8 : insn.operandSize * 2;
          text = num(insn.branchLo, insn.branchHi, digits);
          break;
        }
        case OperandKind.FarBranch:
          text = `$${num(insn.farSelector, 0, 4)},$${num(insn.farOffset, 0, insn.operandSize === 2 ? 4 : 8)}`;
          break;
        default:
          text = '';
      }
      if (k === 0 && evex) {
        // the destination's opmask and zeroing: %zmm1{%k1}{z}
        if (insn.opmask !== Register.None) text += `{${REG_TEXT[insn.opmask]}}`;
        if (insn.zeroingMasking) text += '{z}';
      }
      // (GAS puts it after the immediates and a general-register source: `%eax,{rn-sae},%xmm0`)
      if (
        roundingText !== '' &&
        kind !== OperandKind.Immediate &&
        !(kind === OperandKind.Register && insn.opRegister[k]! <= Register.R15)
      ) {
        text = `${roundingText},${text}`;
        roundingText = '';
      }
      out += first ? ' ' : ',';
      first = false;
      out += text;
    }
    return out;
  }

  /** Whether the memory operand's size must be spelled as a mnemonic suffix (GAS has one for it and the operands do not tell it). */
  private memoryNeedsSuffix(insn: Instruction, attrs: number): boolean {
    if (SUFFIX[insn.memSizeKind] === undefined || (attrs & ATTR_FMT_NOSIZE) !== 0) return false;
    let memOp = 0;
    for (let k = 0; k < insn.opCount; k++) if (insn.opKind[k] === OperandKind.Memory) memOp = k;
    return memorySizeNeeded(insn, memOp, attrs);
  }

  private segmentText(insn: Instruction, hasString: boolean): string {
    if ((ATT_TRAITS[insn.mnemonic]! & T_LEA) !== 0) return '';
    const seg = shownSegment(insn, hasString);
    return seg === Register.None ? '' : `${REG_TEXT[seg]}:`;
  }

  private memoryText(insn: Instruction): string {
    const base = insn.memBase;
    const index = insn.memIndex;
    const asz = insn.addressSize;
    if (base === Register.RIP || base === Register.EIP) return num(insn.memDisplacementLo, insn.memDisplacementHi, 0);
    const lo = insn.memDisplacementLo;
    const hi = insn.memDisplacementHi;
    let disp = '';
    if (base === Register.None && index === Register.None) return num(lo, asz === 8 ? hi : 0, 0);
    if (insn.memDisplacementSize !== 0 && (lo !== 0 || hi !== 0)) {
      if (asz === 2) disp = lo & 0x8000 ? `-${num((0x10000 - lo) & 0xffff, 0, 0)}` : num(lo, 0, 0);
      else if ((lo | 0) < 0 && (asz === 4 || hi === 0xffffffff)) disp = `-${num(-(lo | 0) >>> 0, 0, 0)}`;
      else disp = num(lo, asz === 8 ? hi : 0, 0);
    }
    // iced prints the SIB scale whenever its bits are non-zero, even with no index (`(%edi,)`)
    const useScale = insn.memScale !== 1 && asz !== 2;
    if (index === Register.None && !useScale) return `${disp}(${REG_TEXT[base]})`;
    let s = `${disp}(`;
    if (base !== Register.None) s += REG_TEXT[base];
    s += ',';
    if (index !== Register.None) {
      s += REG_TEXT[index];
      if (useScale) s += `,${insn.memScale}`;
    }
    return `${s})`;
  }
}
