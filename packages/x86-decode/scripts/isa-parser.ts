// Parses data/x86.isa (SDM-style instruction records) into flat form records the table
// builder consumes. Runs at build time only (scripts/generate.ts), never in the package.
import { FLAG_LETTERS } from '../src/cpu-flags.ts';
import { MEMORY_SIZE_BYTES, MemorySize, OperandType, RegisterClass } from '../src/operand-type.ts';
import { Register } from '../src/register.ts';

/** Opcode maps: legacy 1-byte, 0F, 0F38, 0F3A, the VEX 0F / 0F38 / 0F3A maps and the EVEX ones. */
export const MAP_NAMES = [
  'legacy',
  '0F',
  '0F38',
  '0F3A',
  'VEX.0F',
  'VEX.0F38',
  'VEX.0F3A',
  'EVEX.0F',
  'EVEX.0F38',
  'EVEX.0F3A',
  'EVEX.MAP4',
  'EVEX.MAP5',
  'EVEX.MAP6',
] as const;
/** First VEX map number (VEX.mmmmm = 1, 2, 3 -> 4, 5, 6); the EVEX maps follow. */
export const VEX_MAP0 = 4;
/** First EVEX map number (EVEX.mmm = 1, 2, 3, 5, 6 -> 7, 8, 9, 11, 12; map 4 has no forms here). */
export const EVEX_MAP0 = 7;

/**
 * Per-code EVEX facts (the generated CODE_EVEX table): 0 for every non-EVEX form. Shared with
 * src/decoder.ts and the formatters, which read the same bits.
 */
export enum EvexBits {
  /** log2 of the broadcast element size in bytes (1 = 16-bit, 2 = 32, 3 = 64); 0 = no embedded broadcast. */
  BcstMask = 3,
  /** {er}: EVEX.b on a register form selects embedded rounding (L'L = rounding control). */
  Er = 1 << 2,
  /** {sae}: EVEX.b on a register form suppresses exceptions. */
  Sae = 1 << 3,
  /** {k1}: an opmask register may be given. */
  K = 1 << 4,
  /** {z}: zeroing-masking may be asked for. */
  Z = 1 << 5,
  /** The opmask is required (gathers/scatters: EVEX.aaa = 0 is #UD). */
  KRequired = 1 << 6,
  /** The form is EVEX-encoded. */
  Evex = 1 << 7,
  /**
   * disp8*N when N is not the memory operand's size (compress/expand, tuple T1S over a full
   * vector): log2(N) + 1 in these bits; 0 = N is the memory size (or the broadcast element's).
   */
  Disp8Shift = 7 << 8,
  /** EVEX.b on a register form is accepted and has no effect (attribute `bign`; iced-x86 for exact conversions). */
  IgnoreB = 1 << 11,
  /** The destination must differ from every register source (attribute `dstdiff`; complex FP16 multiplies). */
  DstDiff = 1 << 12,
}

export interface FormRecord {
  line: number;
  /** Iced-style name, e.g. `Add_rm32_r32`. */
  name: string;
  mnemonic: string;
  map: number;
  opcode: number;
  /** Constraint per selector, -1 = any. */
  pfx: number;
  reg: number;
  mod: number; // 0 = memory, 1 = register
  rm: number;
  osz: number; // 0 = 16, 1 = 32, 2 = 64
  asz: number;
  mode: number; // 0 = 16/32-bit modes, 1 = 64-bit mode
  w: number;
  l: number;
  rexb: number;
  /** 66 prefix present (1) or absent (0), -1 = any. */
  p66: number;
  hasModrm: boolean;
  /** Operand descriptors (OperandType | class << 8 | fixed register << 16). */
  ops: number[];
  memSize: MemorySize;
  cpu: string;
  flags: [number, number, number, number, number];
  attrs: string[];
  /** `EvexBits` of an EVEX form, 0 otherwise. */
  evex: number;
}

const MEM_SIZES: Record<string, MemorySize> = {
  m: MemorySize.Unknown,
  m8: MemorySize.Byte,
  m16: MemorySize.Word,
  m32: MemorySize.Dword,
  m64: MemorySize.Qword,
  m80: MemorySize.Tbyte,
  m128: MemorySize.Xmmword,
  m256: MemorySize.Ymmword,
  m512: MemorySize.Zmmword,
  'm16:16': MemorySize.FarPtr16,
  'm16:32': MemorySize.FarPtr32,
  'm16:64': MemorySize.FarPtr64,
  'm16&16': MemorySize.Bound16,
  'm32&32': MemorySize.Bound32,
  'm16&32': MemorySize.Fword,
  'm16&64': MemorySize.Tword,
  m32fp: MemorySize.Float32,
  m64fp: MemorySize.Float64,
  m80fp: MemorySize.Float80,
  m16int: MemorySize.Int16,
  m32int: MemorySize.Int32,
  m64int: MemorySize.Int64,
  m80bcd: MemorySize.Bcd,
  'm14/28byte': MemorySize.FpuEnv,
  'm94/108byte': MemorySize.FpuState,
  m512byte: MemorySize.Fxsave,
  mxsave: MemorySize.Xsave,
  m2byte: MemorySize.Word2,
  m384: MemorySize.B384,
  m64byte: MemorySize.B512,
};

const REG_CLASSES: Record<string, RegisterClass> = {
  r8: RegisterClass.Gpr8,
  r16: RegisterClass.Gpr16,
  r32: RegisterClass.Gpr32,
  r64: RegisterClass.Gpr64,
  sreg: RegisterClass.Segment,
  cr: RegisterClass.Cr,
  dr: RegisterClass.Dr,
  tr: RegisterClass.Tr,
  mm: RegisterClass.Mm,
  xmm: RegisterClass.Xmm,
  ymm: RegisterClass.Ymm,
  zmm: RegisterClass.Zmm,
  k: RegisterClass.K,
  bnd: RegisterClass.Bnd,
  'st(i)': RegisterClass.St,
  tmm: RegisterClass.Tmm,
};

/** Register classes whose operand always sits in ModRM.reg. */
const REG_FIELD_ONLY = new Set([RegisterClass.Segment, RegisterClass.Cr, RegisterClass.Dr, RegisterClass.Tr]);

const FIXED: Record<string, Register> = {};
{
  const n8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
  const n16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
  n8.forEach((r, i) => {
    FIXED[r] = Register.AL + i;
  });
  n16.forEach((r, i) => {
    FIXED[r] = Register.AX + i;
    FIXED[`e${r}`] = Register.EAX + i;
    FIXED[`r${r}`] = Register.RAX + i;
  });
  ['es', 'cs', 'ss', 'ds', 'fs', 'gs'].forEach((r, i) => {
    FIXED[r] = Register.ES + i;
  });
  FIXED['st(0)'] = Register.ST0;
  FIXED['<xmm0>'] = Register.XMM0;
  FIXED.xmm0 = Register.XMM0;
  FIXED.cr0 = Register.CR0;
  FIXED.cr8 = Register.CR0 + 8;
}

const desc = (type: OperandType, cls = RegisterClass.None, fixed = 0): number => type | (cls << 8) | (fixed << 16);

interface ParsedOperand {
  kind: 'reg' | 'rm' | 'mem' | 'fixed' | 'imm';
  type?: OperandType;
  cls: RegisterClass;
  mem?: MemorySize;
  fixed?: Register;
  name: string;
}

/** Splits an SDM operand spelling (`r/m32`, `xmm2/m128`, `imm8`, `AL`, `rel32`...) into its parts. */
function parseOperand(raw: string, where: string): ParsedOperand {
  const s = raw.trim().toLowerCase();
  const name = s.replace(/[/:&]/g, '').replace(/[()<>]/g, '');
  if (s in FIXED) return { kind: 'fixed', cls: RegisterClass.None, fixed: FIXED[s]!, name: s.replace(/[()<>]/g, '') };
  const imm: Record<string, OperandType> = {
    imm8: OperandType.Imm8,
    imm16: OperandType.Imm16,
    imm32: OperandType.Imm32,
    imm64: OperandType.Imm64,
    ibs: OperandType.Imm8Sx,
    'imm32>64': OperandType.Imm32Sx64,
    'imm8>16': OperandType.Imm16Sx,
    imm8b: OperandType.Imm8Second,
    imm4: OperandType.Imm4,
    '1': OperandType.Const1,
    rel8: OperandType.Rel8,
    rel16: OperandType.Rel16,
    rel32: OperandType.Rel32,
    'ptr16:16': OperandType.Ptr16x16,
    'ptr16:32': OperandType.Ptr16x32,
  };
  if (s in imm)
    return {
      kind: 'imm',
      type: imm[s]!,
      cls: RegisterClass.None,
      name: s === 'ibs' ? 'imm8' : s === '1' ? '1' : s.replace(/[>:].*$|b$/, '').replace(':', ''),
    };
  let m = /^moffs(8|16|32|64)$/.exec(s);
  if (m)
    return {
      kind: 'imm',
      type: OperandType.Moffs,
      cls: RegisterClass.None,
      mem: MEM_SIZES[`m${m[1]}`]!,
      name: `moffs${m[1]}`,
    };
  m = /^(src|dst|xlat)(8|16|32|64)$/.exec(s);
  if (m) {
    const type =
      m[1] === 'src'
        ? OperandType.StringSource
        : m[1] === 'dst'
          ? OperandType.StringDestination
          : OperandType.XlatMemory;
    return { kind: 'imm', type, cls: RegisterClass.None, mem: MEM_SIZES[`m${m[2]}`]!, name: `m${m[2]}` };
  }
  // implicit memory through a fixed base register, e.g. `[rax]m` or `[rdi]m64`
  m = /^\[(e?r?[a-z]{2})\](m\w*)$/.exec(s);
  if (m) {
    return {
      kind: 'imm',
      type: OperandType.ImplicitMemory,
      cls: RegisterClass.None,
      fixed: FIXED[m[1]!]!,
      mem: MEM_SIZES[m[2]!]!,
      name: m[2]!,
    };
  }
  if (s in MEM_SIZES) return { kind: 'mem', cls: RegisterClass.None, mem: MEM_SIZES[s]!, name };
  // a.rax: rAX sized by the address size (SVM instructions, CLZERO)
  m = /^a\.(r[a-z]{2})$/.exec(s);
  if (m)
    return { kind: 'imm', type: OperandType.AddrSizeReg, cls: RegisterClass.None, fixed: FIXED[m[1]!]!, name: m[1]! };
  // VSIB memory (gathers): the index is a vector register
  m = /^vm(32|64)([xyz])$/.exec(s);
  if (m) {
    return {
      kind: 'mem',
      cls: m[2] === 'x' ? RegisterClass.Xmm : m[2] === 'y' ? RegisterClass.Ymm : RegisterClass.Zmm,
      mem: m[1] === '32' ? MemorySize.Dword : MemorySize.Qword,
      name,
    };
  }
  // r/m8, r32/m16, xmm2/m64, mm/m64, st(i)
  m = /^(r\/m|[a-z]+(?:\(i\))?)(\d*)(?:\/(m[\w:&/]*))?$/.exec(s);
  if (m) {
    let base = m[1]!;
    const size = m[2]!;
    let mem = m[3];
    if (base === 'r/m') {
      mem = `m${size}`;
      base = 'r';
    }
    const clsName = base === 'r' ? `r${size}` : base;
    const cls = REG_CLASSES[clsName];
    if (cls !== undefined) {
      if (mem !== undefined) {
        const ms = MEM_SIZES[mem];
        if (ms === undefined) throw new Error(`${where}: unknown memory size ${mem}`);
        return { kind: 'rm', cls, mem: ms, name: base === 'r' && m[1] === 'r/m' ? `rm${size}` : name };
      }
      return { kind: 'reg', cls, name: base === 'r' ? `r${size}` : base.replace(/[()]/g, '') };
    }
    void size;
  }
  throw new Error(`${where}: unknown operand ${raw}`);
}

const parseFlags = (text: string, where: string): [number, number, number, number, number] => {
  const f: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  for (const part of text.split(/\s+/).filter(Boolean)) {
    const [k, letters] = part.split(':');
    const idx = { r: 0, w: 1, u: 2, '0': 3, '1': 4 }[k!];
    if (idx === undefined || letters === undefined) throw new Error(`${where}: bad flags ${part}`);
    for (const ch of letters) {
      const bit = FLAG_LETTERS[ch];
      if (bit === undefined) throw new Error(`${where}: bad flag letter ${ch}`);
      f[idx] |= bit;
    }
  }
  // "written" means modified in any way.
  f[1] |= f[2] | f[3] | f[4];
  return f;
};

/** EVEX `VL` template sizes: vector length, full / half / quarter / eighth vector memory. */
const EVEX_VL = [
  { l: '128', v: 'xmm', vh: 'xmm', mv: 'm128', mh: 'm64', mq: 'm32', mo: 'm16', vsib: 'x' },
  { l: '256', v: 'ymm', vh: 'xmm', mv: 'm256', mh: 'm128', mq: 'm64', mo: 'm32', vsib: 'y' },
  { l: '512', v: 'zmm', vh: 'ymm', mv: 'm512', mh: 'm256', mq: 'm128', mo: 'm64', vsib: 'z' },
] as const;

/**
 * Expands an `EVEX.VL...` record into its 128/256/512-bit forms: `v`/`v1`.. -> xmm/ymm/zmm,
 * `vh` (half width register) -> xmm/xmm/ymm, `mv` -> m128/m256/m512, `mh`/`mq`/`mo` -> half,
 * quarter and eighth of the vector in memory, `vm32v`/`vm64v` -> VSIB with an x/y/z index and
 * `vm32h` -> an index register of half the width; the 128/256-bit forms need AVX512VL too.
 */
function expandEvexVl(opcode: string, instr: string, cpu: string): Array<[string, string, string]> {
  return EVEX_VL.map((vl, i) => [
    opcode.replace('.VL.', `.${vl.l}.`),
    // embedded rounding / SAE exist at 512 bits only (EVEX.b on a register form means 512)
    (i < 2 ? instr.replace(/\{(er|sae)\}/g, '') : instr)
      .replace(/\bvh(\d?)\b/g, `${vl.vh}$1`)
      .replace(/\bv(\d?)\b/g, `${vl.v}$1`)
      .replace(/\bmv\b/g, vl.mv)
      .replace(/\bmh\b/g, vl.mh)
      .replace(/\bmq\b/g, vl.mq)
      .replace(/\bmo\b/g, vl.mo)
      .replace(/\bvm(32|64)v\b/g, `vm$1${vl.vsib}`)
      .replace(/\bvm32h\b/g, `vm32${EVEX_VL[Math.max(0, i - 1)]!.vsib}`),
    i < 2 ? `AVX512VL+${cpu}` : cpu,
  ]);
}

/** Expands `ov` (o16/o32/o64) and `oy` (o32/o64) record templates. */
function expand(opcode: string, instr: string, modes: string, attrs: string[]): Array<[string, string, string]> {
  const tok = opcode.split(/\s+/);
  const sizes = tok.includes('ov')
    ? [16, 32, 64]
    : tok.includes('oy')
      ? [32, 64]
      : tok.includes('ow')
        ? [16, 32]
        : null;
  if (!sizes) return [[opcode, instr, modes]];
  const d64 = attrs.includes('d64') || attrs.includes('f64');
  return sizes.map((sz) => {
    const op = tok.map((t) => (t === 'ov' || t === 'oy' || t === 'ow' ? `o${sz}` : t)).join(' ');
    const v = String(sz);
    const z = sz === 16 ? 'imm16' : sz === 32 ? 'imm32' : 'imm32>64';
    const rel = sz === 16 ? 'rel16' : 'rel32';
    const ax = sz === 16 ? 'AX' : sz === 32 ? 'EAX' : 'RAX';
    const ins = instr
      .replace(/^([A-Z0-9]+)v\b/, (_m, p: string) => p + (sz === 16 ? 'W' : sz === 32 ? 'D' : 'Q'))
      .replace(/\bimmz\b/g, z)
      .replace(/\brelz\b/g, rel)
      .replace(/\brAX\b/g, ax)
      .replace(/\bimmv\b/g, sz === 64 ? 'imm64' : `imm${v}`)
      .replace(/\b(r\/m|r|m|src|dst|moffs)v\b/g, `$1${v}`)
      .replace(/\br\/mv\b/g, `r/m${v}`);
    let md = modes;
    // SDM Vol. 1 3.6.1: a 64-bit operand size exists only in 64-bit mode; with d64 a 32-bit one
    // cannot be encoded there, and with f64 (near branches) Intel ignores 66h in 64-bit mode,
    // so the 16-bit form cannot be either (iced-x86's default decoder agrees).
    if (sz === 64) md = modes === '16/32' ? 'none' : '64';
    if (sz === 32 && d64) md = modes === '64' ? 'none' : '16/32';
    if (sz === 16 && attrs.includes('f64')) md = modes === '64' ? 'none' : '16/32';
    return [op, ins, md];
  });
}

export interface IsaFile {
  forms: FormRecord[];
  cpuFeatures: string[];
}

export function parseIsa(text: string): IsaFile {
  const forms: FormRecord[] = [];
  const cpuFeatures: string[] = ['NONE'];
  const macros = new Map<string, string>();
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!.replace(/\s+#.*$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `x86.isa:${ln + 1}`;
    const mm = /^@flags\s+(\w+)\s*=\s*(.*)$/.exec(line);
    if (mm) {
      macros.set(mm[1]!, mm[2]!);
      continue;
    }
    const cols = line.split('|').map((c) => c.trim());
    if (cols.length < 2) throw new Error(`${where}: expected opcode | instruction | cpuid | modes | flags | attrs`);
    const [opcodeCol, instrCol, cpu = '', modesCol = '', flagsColRaw = '', attrsCol = ''] = cols;
    const flagsCol = flagsColRaw
      .split(/\s+/)
      .map((t) => macros.get(t) ?? t)
      .join(' ');
    const attrs = attrsCol.split(/\s+/).filter(Boolean);
    const variants: Array<[string, string, string]> = /^EVEX\.VL\./.test(opcodeCol!)
      ? expandEvexVl(opcodeCol!, instrCol!, cpu)
      : [[opcodeCol!, instrCol!, cpu]];
    for (const [opcodeV, instrV, cpuV] of variants) {
      if (cpuV && !cpuFeatures.includes(cpuV)) cpuFeatures.push(cpuV);
      for (const [opc, ins, md] of expand(opcodeV, instrV, modesCol, attrs)) {
        if (md === 'none') continue;
        forms.push(buildForm(opc, ins, cpuV, md, flagsCol, attrs, ln + 1, where));
      }
    }
  }
  return { forms, cpuFeatures };
}

function buildForm(
  opcodeCol: string,
  instrCol: string,
  cpu: string,
  modes: string,
  flagsCol: string,
  attrs: string[],
  line: number,
  where: string,
): FormRecord {
  const f: FormRecord = {
    line,
    name: '',
    mnemonic: '',
    map: 0,
    opcode: -1,
    pfx: -1,
    reg: -1,
    mod: -1,
    rm: -1,
    osz: -1,
    asz: -1,
    mode: -1,
    w: -1,
    l: -1,
    rexb: -1,
    p66: -1,
    hasModrm: false,
    ops: [],
    memSize: MemorySize.Unknown,
    cpu,
    flags: parseFlags(flagsCol, where),
    attrs,
    evex: 0,
  };
  const toks = opcodeCol.split(/\s+/).filter(Boolean);
  let vex = false;
  let evex = false;
  let opcodeReg = false;
  let modrmPlusI = false; // `D8 C0+i`: ModRM mod=11 with a fixed reg field and ST(i) in rm
  let sawEscape = false;
  const bytes: number[] = [];
  for (const t of toks) {
    const vm = /^VEX\.(.*)$/.exec(t);
    if (vm) {
      vex = true;
      for (const p of vm[1]!.split('.')) {
        if (p === '128' || p === 'L0' || p === 'LZ') f.l = 0;
        else if (p === '256' || p === 'L1') f.l = 1;
        else if (p === 'LIG') f.l = -1;
        else if (p === 'NP') f.pfx = 0;
        else if (p === '66') f.pfx = 1;
        else if (p === 'F3') f.pfx = 2;
        else if (p === 'F2') f.pfx = 3;
        else if (p === '0F') f.map = 4;
        else if (p === '0F38') f.map = 5;
        else if (p === '0F3A') f.map = 6;
        else if (p === 'W0') f.w = 0;
        else if (p === 'W1') f.w = 1;
        else if (p === 'WIG') f.w = -1;
        else throw new Error(`${where}: bad VEX part ${p}`);
      }
      if (f.pfx < 0) f.pfx = 0;
      continue;
    }
    const em = /^EVEX\.(.*)$/.exec(t);
    if (em) {
      vex = true;
      evex = true;
      for (const p of em[1]!.split('.')) {
        if (p === '128') f.l = 0;
        else if (p === '256') f.l = 1;
        else if (p === '512') f.l = 2;
        else if (p === 'LIG') f.l = -1;
        else if (p === 'NP') f.pfx = 0;
        else if (p === '66') f.pfx = 1;
        else if (p === 'F3') f.pfx = 2;
        else if (p === 'F2') f.pfx = 3;
        else if (p === '0F') f.map = EVEX_MAP0;
        else if (p === '0F38') f.map = EVEX_MAP0 + 1;
        else if (p === '0F3A') f.map = EVEX_MAP0 + 2;
        else if (p === 'MAP5') f.map = EVEX_MAP0 + 4;
        else if (p === 'MAP6') f.map = EVEX_MAP0 + 5;
        else if (p === 'W0') f.w = 0;
        else if (p === 'W1') f.w = 1;
        else if (p === 'WIG') f.w = -1;
        else if (p !== 'NDS' && p !== 'NDD' && p !== 'DDS') throw new Error(`${where}: bad EVEX part ${p}`);
      }
      if (f.pfx < 0) f.pfx = 0;
      continue;
    }
    const digit = /^\/([0-7])$/.exec(t);
    const plusReg = /^([0-9A-F]{2})\+(rb|rw|rd|ro|r|i)$/.exec(t);
    if (t === 'o16' || t === 'o32' || t === 'o64') f.osz = (Number(t.slice(1)) >> 5) as number;
    else if (t === 'a16' || t === 'a32' || t === 'a64') f.asz = Number(t.slice(1)) >> 5;
    else if (t === 'REX.W' || t === 'REX.W+' || t === '+') {
      if (t !== '+') f.w = 1;
    } else if (t === 'W0') f.w = 0;
    else if (t === 'rex.b=0') f.rexb = 0;
    else if (t === 'no66') f.p66 = 0;
    else if (t === 'mod=mem') f.mod = 0;
    else if (t === 'mod=reg') f.mod = 1;
    else if (/^rm=[0-7]$/.test(t)) f.rm = Number(t[3]);
    else if (t === 'NP' && bytes.length === 0) f.pfx = 0;
    else if ((t === '66' || t === 'F3' || t === 'F2') && bytes.length === 0 && !sawEscape && !vex)
      f.pfx = t === '66' ? 1 : t === 'F3' ? 2 : 3;
    else if (digit) {
      f.reg = Number(digit[1]);
      f.hasModrm = true;
    } else if (t === '/r') f.hasModrm = true;
    else if (/^(ib|iw|id|io|iz|cb|cw|cd|cp|\/is4)$/.test(t)) {
      // immediates are described by the operands
    } else if (plusReg) {
      bytes.push(Number.parseInt(plusReg[1]!, 16));
      if (plusReg[2] === 'i') modrmPlusI = true;
      else opcodeReg = true;
    } else if (/^[0-9A-F]{2}$/.test(t)) {
      bytes.push(Number.parseInt(t, 16));
      if (t === '0F') sawEscape = true;
    } else throw new Error(`${where}: bad opcode token ${t}`);
  }
  // map escapes
  let i = 0;
  if (!vex) {
    if (bytes[0] === 0x0f) {
      i = 1;
      f.map = 1;
      if (bytes[1] === 0x38) {
        f.map = 2;
        i = 2;
      } else if (bytes[1] === 0x3a) {
        f.map = 3;
        i = 2;
      }
    }
  }
  f.opcode = bytes[i]!;
  if (f.opcode === undefined) throw new Error(`${where}: no opcode byte`);
  if (bytes.length > i + 1) {
    // a full ModRM byte: mod=11, reg, rm fixed
    const modrm = bytes[i + 1]!;
    f.hasModrm = true;
    f.mod = modrm >> 6 === 3 ? 1 : 0;
    f.reg = (modrm >> 3) & 7;
    f.rm = modrmPlusI ? -1 : modrm & 7;
  }
  if (f.map === 2 || f.map === 3 || f.map === 5 || f.map === 6 || evex) f.hasModrm = true; // 0F38/0F3A and EVEX always have ModRM
  if (modes === '16/32') f.mode = 0;
  else if (modes === '64') f.mode = 1;
  else if (modes !== '') throw new Error(`${where}: bad modes ${modes}`);

  // instruction: MNEMONIC op, op, ...
  const sp = instrCol.indexOf(' ');
  f.mnemonic = sp < 0 ? instrCol : instrCol.slice(0, sp);
  const opText = sp < 0 ? '' : instrCol.slice(sp + 1).trim();
  // EVEX decorations (SDM 2.7): {k1} opmask, {z} zeroing, /mNNbcst embedded broadcast,
  // {er} embedded rounding, {sae} suppress all exceptions
  const decorated: string[] = [];
  let bcstBits = 0;
  for (const raw of opText === '' ? [] : opText.split(',')) {
    let o = raw;
    let suffix = '';
    o = o.replace(/\{k[1-7]\}/g, () => {
      f.evex |= EvexBits.K;
      suffix += '_k1';
      return '';
    });
    o = o.replace(/\{z\}/g, () => {
      f.evex |= EvexBits.Z;
      suffix += 'z';
      return '';
    });
    o = o.replace(/\{(er|sae)\}/g, (_m, what: string) => {
      f.evex |= what === 'er' ? EvexBits.Er : EvexBits.Sae;
      return '';
    });
    o = o.replace(/\/m(16|32|64)bcst/, (_m, bits: string) => {
      bcstBits = Number(bits);
      suffix += `b${bits}`;
      return '';
    });
    // SDM operand numbers (zmm1, k2) only document the order: drop them from the name
    decorated.push(`${o.trim().replace(/\b(xmm|ymm|zmm|k)\d\b/g, '$1')}#${suffix}`);
  }
  if (!evex && (f.evex !== 0 || bcstBits !== 0)) throw new Error(`${where}: EVEX decorations on a non-EVEX form`);
  const parsed = decorated.map((o) => {
    const [text, suffix] = o.split('#');
    const p = parseOperand(text!, where);
    p.name += suffix!;
    return p;
  });
  // Assign locations (SDM Op/En): explicit `en:XYZ` attribute, else by kind.
  const en = attrs.find((a) => a.startsWith('en:'))?.slice(3);
  const locs: string[] = new Array(parsed.length).fill('');
  if (en) {
    if (en.length !== parsed.length) throw new Error(`${where}: en:${en} does not match ${parsed.length} operands`);
    for (let k = 0; k < en.length; k++) locs[k] = en[k]!;
  } else {
    const regTaken = f.reg >= 0 && f.hasModrm;
    let haveR = regTaken;
    let haveM = false;
    // a VEX form with only two register/memory operands leaves VEX.vvvv unused (Op/En RM or MR)
    const rmOperands = parsed.filter((p) => p.kind !== 'fixed' && p.kind !== 'imm').length;
    let haveV = !vex || (rmOperands === 2 && !regTaken);
    parsed.forEach((p, k) => {
      if (p.kind === 'fixed' || p.kind === 'imm') locs[k] = p.kind === 'fixed' ? 'Z' : 'I';
      else if (p.kind === 'rm' || p.kind === 'mem') {
        locs[k] = 'M';
        haveM = true;
      } else if (REG_FIELD_ONLY.has(p.cls)) {
        locs[k] = 'R';
        haveR = true;
      }
    });
    parsed.forEach((p, k) => {
      if (locs[k] !== '') return;
      if (opcodeReg) {
        locs[k] = 'O';
        opcodeReg = false;
      } else if (modrmPlusI) {
        locs[k] = 'M';
        haveM = true;
      } else if (!haveR) {
        locs[k] = 'R';
        haveR = true;
      } else if (!haveV) {
        locs[k] = 'V';
        haveV = true;
      } else if (!haveM) {
        locs[k] = 'M';
        haveM = true;
      } else if (vex) locs[k] = 'L';
      else throw new Error(`${where}: cannot place operand ${p.name}`);
    });
  }
  parsed.forEach((p, k) => {
    const loc = locs[k]!;
    switch (loc) {
      case 'Z':
        f.ops.push(desc(OperandType.FixedReg, RegisterClass.None, p.fixed!));
        break;
      case 'I':
        if (p.mem !== undefined) f.memSize = p.mem;
        f.ops.push(desc(p.type!, RegisterClass.None, p.fixed ?? 0));
        break;
      case 'R':
        f.ops.push(desc(OperandType.ModrmReg, p.cls));
        f.hasModrm = true;
        break;
      case 'V':
        f.ops.push(desc(OperandType.VvvvReg, p.cls));
        break;
      case 'L':
        f.ops.push(desc(OperandType.Is4Reg, p.cls));
        break;
      case 'O':
        f.ops.push(desc(OperandType.OpcodeReg, p.cls));
        break;
      case 'M':
        f.hasModrm = true;
        if (p.kind === 'mem') {
          f.ops.push(desc(OperandType.ModrmRmMem, p.cls));
          f.memSize = p.mem!;
          if (f.mod < 0) f.mod = 0;
        } else if (p.kind === 'rm') {
          f.ops.push(desc(OperandType.ModrmRm, p.cls));
          f.memSize = p.mem!;
        } else {
          f.ops.push(desc(OperandType.ModrmRmReg, p.cls));
          if (f.mod < 0 && !attrs.includes('ignmod')) f.mod = 1;
        }
        break;
      default:
        throw new Error(`${where}: bad operand location ${loc}`);
    }
  });
  if (evex) {
    if (attrs.includes('bign')) f.evex |= EvexBits.IgnoreB;
    if (attrs.includes('dstdiff')) f.evex |= EvexBits.DstDiff;
    f.evex |= EvexBits.Evex | (bcstBits === 0 ? 0 : Math.log2(bcstBits / 8));
    if (parsed.some((p) => p.kind === 'mem' && p.cls !== RegisterClass.None) && (f.evex & EvexBits.K) !== 0)
      f.evex |= EvexBits.KRequired;
    checkTuple(f, attrs, bcstBits, where);
  }
  const suffix = parsed.map((p) => p.name).join('_');
  f.name = `${evex ? 'EVEX_' : ''}${f.mnemonic[0]}${f.mnemonic.slice(1).toLowerCase()}${suffix ? `_${suffix}` : ''}${f.asz >= 0 ? `_a${16 << f.asz}` : ''}`;
  return f;
}

const VL_BYTES = [16, 32, 64];

/**
 * EVEX disp8*N (SDM 2 2.7.5): the decoder scales an 8-bit displacement by N = the broadcast
 * element size with EVEX.b, else the memory operand's size. That holds for every tuple type, so
 * the tables need no tuple column; the data still names each form's tuple type (`tt:FV`...) and
 * this checks that the memory size agrees with it.
 */
function checkTuple(f: FormRecord, attrs: string[], bcstBits: number, where: string): void {
  const hasMem = f.ops.some((d) => {
    const t = d & 0xff;
    return t === OperandType.ModrmRm || t === OperandType.ModrmRmMem;
  });
  const ttFull = attrs.find((a) => a.startsWith('tt:'))?.slice(3);
  // `tt:T1S:4`: a tuple whose N (here 4 bytes) is an element, not the memory operand
  const [tt, elem] = ttFull === undefined ? [undefined, undefined] : ttFull.split(':');
  if (elem !== undefined) {
    if (tt !== 'T1S' || !['1', '2', '4', '8'].includes(elem)) throw new Error(`${where}: bad tuple ${ttFull}`);
    f.evex |= (Math.log2(Number(elem)) + 1) << 8;
    return;
  }
  if (!hasMem) {
    if (tt !== undefined && tt !== 'NONE') throw new Error(`${where}: tt:${tt} on a form without memory`);
    return;
  }
  if (tt === undefined) throw new Error(`${where}: EVEX form with memory needs a tuple type (tt:FV...)`);
  const mem = MEMORY_SIZE_BYTES[f.memSize]!;
  const vl = f.l >= 0 ? VL_BYTES[f.l]! : 0;
  const want: Record<string, number> = {
    FV: vl,
    FVM: vl,
    HV: vl / 2,
    HVM: vl / 2,
    QV: vl / 4,
    QVM: vl / 4,
    OVM: vl / 8,
    M128: 16,
  };
  if (tt === 'DUP') want.DUP = vl === 16 ? 8 : vl;
  if ((tt === 'FV' || tt === 'HV' || tt === 'QV') !== (bcstBits !== 0))
    throw new Error(`${where}: tt:${tt} and broadcast disagree`);
  if (tt in want) {
    if (want[tt] !== mem) throw new Error(`${where}: tt:${tt} wants a ${want[tt]}-byte memory operand, not ${mem}`);
  } else if (!['T1S', 'T1F', 'T2', 'T4', 'T8', 'T1_4X'].includes(tt))
    throw new Error(`${where}: unknown tuple type ${tt}`);
}
