// Test corpus: for every form in the table, random operands in our syntax and in llvm-mc's
// Intel syntax, plus the operand objects themselves (for the decoder round trip).
// Used by the tests and the bench only; not part of the package's public surface.
import { codeName, MemorySize, OperandType, Register, RegisterClass } from '@typevisor/x86-decode';
import { type Bits, formValidIn } from '../encoder.ts';
import {
  ATTR_FAR,
  codeMnemonic,
  ENCODE_CODE_COUNT,
  F_ATTRS,
  F_MEM_SIZE,
  F_OP_COUNT,
  F_OSZ,
  field,
  opDesc,
} from '../form-table.ts';
import type { Operand } from '../operand.ts';

/** One corpus line. */
export interface CorpusLine {
  code: number;
  bits: Bits;
  /** Our syntax. */
  text: string;
  /** llvm-mc Intel syntax. */
  llvm: string;
  /** The operands as the encoder takes them (branch targets relative to address 0). */
  operands: Operand[];
  /** Whether the form has a branch displacement (llvm-mc shows it as a fixup). */
  branch: boolean;
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SIZE_WORD: Partial<Record<MemorySize, string>> = {
  [MemorySize.Byte]: 'byte',
  [MemorySize.Word]: 'word',
  [MemorySize.Dword]: 'dword',
  [MemorySize.Qword]: 'qword',
  [MemorySize.Tbyte]: 'tbyte',
  [MemorySize.Xmmword]: 'xmmword',
  [MemorySize.Ymmword]: 'ymmword',
  [MemorySize.Float32]: 'dword',
  [MemorySize.Float64]: 'qword',
  [MemorySize.Float80]: 'tbyte',
  [MemorySize.Int16]: 'word',
  [MemorySize.Int32]: 'dword',
  [MemorySize.Int64]: 'qword',
  [MemorySize.Bcd]: 'tbyte',
  [MemorySize.Word2]: 'word',
};
const SIZE_BYTES: Record<string, number> = {
  byte: 1,
  word: 2,
  dword: 4,
  qword: 8,
  tbyte: 10,
  xmmword: 16,
  ymmword: 32,
};

const GPR8_64 = [
  'al',
  'cl',
  'dl',
  'bl',
  'spl',
  'bpl',
  'sil',
  'dil',
  ...[8, 9, 10, 11, 12, 13, 14, 15].map((i) => `r${i}b`),
];
const GPR8_32 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const B16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];

const VEX_PSEUDO = new Set(['vpdpbusd', 'vpdpbusds', 'vpdpwssd', 'vpdpwssds', 'vpmadd52luq', 'vpmadd52huq']);
const ST0_IMPLIED = new Set([
  'fxch',
  'fst',
  'fstp',
  'fld',
  'fcom',
  'fcomp',
  'fucom',
  'fucomp',
  'fstpnce',
  'ffree',
  'ffreep',
]);

/** Address the round-trip corpus encodes its branches at. */
export const BRANCH_IP = 0x8000;

const hexNum = (v: number): string => (v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);

function regName(cls: RegisterClass, bits: Bits, r: () => number): [string, Register] | null {
  const n = bits === 64 ? 16 : 8;
  const pick = (k: number): number => Math.floor(r() * k);
  switch (cls) {
    case RegisterClass.Gpr8: {
      const i = pick(bits === 64 ? 16 : 8);
      const name = bits === 64 ? GPR8_64[i]! : GPR8_32[i]!;
      const reg =
        bits === 64 ? (i < 4 ? Register.AL + i : i < 8 ? Register.SPL + i - 4 : Register.R8L + i - 8) : Register.AL + i;
      return [name, reg];
    }
    case RegisterClass.Gpr16: {
      const i = pick(n);
      return [i < 8 ? B16[i]! : `r${i}w`, Register.AX + i];
    }
    case RegisterClass.Gpr32: {
      const i = pick(n);
      return [i < 8 ? `e${B16[i]}` : `r${i}d`, Register.EAX + i];
    }
    case RegisterClass.Gpr64: {
      const i = pick(16);
      return [i < 8 ? `r${B16[i]}` : `r${i}`, Register.RAX + i];
    }
    case RegisterClass.Segment: {
      const i = [0, 2, 3, 4, 5][pick(5)]!;
      return [['es', 'cs', 'ss', 'ds', 'fs', 'gs'][i]!, Register.ES + i];
    }
    case RegisterClass.Cr: {
      const i = [0, 2, 3, 4][pick(4)]!;
      return [`cr${i}`, Register.CR0 + i];
    }
    case RegisterClass.Dr: {
      const i = [0, 1, 2, 3, 6, 7][pick(6)]!;
      return [`dr${i}`, Register.DR0 + i];
    }
    case RegisterClass.Xmm: {
      const i = pick(n);
      return [`xmm${i}`, Register.XMM0 + i];
    }
    case RegisterClass.Ymm: {
      const i = pick(n);
      return [`ymm${i}`, Register.YMM0 + i];
    }
    case RegisterClass.Mm: {
      const i = pick(8);
      return [`mm${i}`, Register.MM0 + i];
    }
    case RegisterClass.K: {
      const i = pick(8);
      return [`k${i}`, Register.K0 + i];
    }
    case RegisterClass.St: {
      const i = 1 + pick(7);
      return [`st(${i})`, Register.ST0 + i];
    }
    default:
      return null;
  }
}

/** Random memory operand text (without size) and its fields, for the mode's address size. */
function memory(
  bits: Bits,
  r: () => number,
): { text: string; base: Register; index: Register; scale: number; disp: number } {
  const pick = (k: number): number => Math.floor(r() * k);
  const disps = [0, pick(120) + 1, -(pick(120) + 1), 0x1000 + pick(0x10000), -0x2000];
  const disp = disps[pick(disps.length)]!;
  const dtext = disp === 0 ? '' : disp < 0 ? ` - ${hexNum(-disp)}` : ` + ${hexNum(disp)}`;
  if (bits === 16) {
    const forms: [string, Register, Register][] = [
      ['bx + si', Register.BX, Register.SI],
      ['bx + di', Register.BX, Register.DI],
      ['bp + si', Register.BP, Register.SI],
      ['bp + di', Register.BP, Register.DI],
      ['si', Register.SI, Register.None],
      ['di', Register.DI, Register.None],
      ['bp', Register.BP, Register.None],
      ['bx', Register.BX, Register.None],
    ];
    const [t, b, x] = forms[pick(forms.length)]!;
    const d = Math.max(-0x8000, Math.min(0x7fff, disp));
    const dt = d === 0 ? '' : d < 0 ? ` - ${hexNum(-d)}` : ` + ${hexNum(d)}`;
    return { text: `[${t}${dt}]`, base: x === Register.None ? b : b, index: x, scale: 1, disp: d };
  }
  const n = bits === 64 ? 16 : 8;
  const name = (i: number): string => (bits === 64 ? (i < 8 ? `r${B16[i]}` : `r${i}`) : `e${B16[i]}`);
  const first = bits === 64 ? Register.RAX : Register.EAX;
  const shape = pick(6);
  if (shape === 0) {
    // absolute
    const a = 0x1000 + pick(0x100000);
    return { text: `[${hexNum(a)}]`, base: Register.None, index: Register.None, scale: 1, disp: a };
  }
  if (shape === 1 && bits === 64)
    return { text: `[rip${dtext}]`, base: Register.RIP, index: Register.None, scale: 1, disp };
  const b = pick(n);
  if (shape <= 3) return { text: `[${name(b)}${dtext}]`, base: first + b, index: Register.None, scale: 1, disp };
  let x = pick(n);
  if (x === 4) x = 5;
  const scale = [1, 2, 4, 8][pick(4)]!;
  return { text: `[${name(b)} + ${name(x)}*${scale}${dtext}]`, base: first + b, index: first + x, scale, disp };
}

function immediate(t: number, osz: number, r: () => number): number | [number, number] {
  const pick = (k: number): number => Math.floor(r() * k);
  switch (t) {
    case OperandType.Imm8:
    case OperandType.Imm8Second:
      return pick(256);
    case OperandType.Imm8Sx:
    case OperandType.Imm16Sx:
      return pick(256) - 128;
    case OperandType.Imm16:
    case OperandType.Imm16Zx:
      return pick(2) ? pick(0x10000) : pick(100);
    case OperandType.Imm32:
      return osz === 0 ? pick(0x10000) : pick(2) ? pick(2 ** 32) : pick(100);
    case OperandType.Imm32Sx64:
      return pick(2) ? pick(2 ** 32) - 2 ** 31 : pick(100);
    case OperandType.Imm64:
      return pick(2) ? [pick(2 ** 32), pick(2 ** 32) | 0] : pick(2 ** 32);
    default:
      return 0;
  }
}

/**
 * One random instance of form `code` in `bits` mode, or null when the form is outside what
 * the corpus covers (EVEX/MPX/AMX/TR registers) or not valid in that mode.
 */
export function sampleForm(
  code: number,
  bits: Bits,
  r: () => number,
  label: string,
  forLlvm = true,
): CorpusLine | null {
  if (!formValidIn(code, bits)) return null;
  const vsib = /_vm(32|64)([xy])/.exec(codeName(code));
  const n = field(code, F_OP_COUNT);
  const osz = field(code, F_OSZ);
  const far = (field(code, F_ATTRS) & ATTR_FAR) !== 0;
  const memSize = field(code, F_MEM_SIZE) as MemorySize;
  let mn = codeMnemonic(code).toLowerCase();
  if (mn === 'sal' && forLlvm) return null; // the /6 alias: `sal` means SHL (/4) in NASM and llvm-mc
  const ours: string[] = [];
  const theirs: string[] = [];
  const operands: Operand[] = [];
  let branch = false;
  let implicit = false;
  for (let k = 0; k < n; k++) {
    const d = opDesc(code, k);
    const t = d & 0xff;
    const cls = (d >> 8) & 0xff;
    if (t === OperandType.StringSource || t === OperandType.StringDestination || t === OperandType.XlatMemory) {
      implicit = true;
      continue;
    }
    if (t === OperandType.ImplicitMemory || t === OperandType.AddrSizeReg) continue;
    switch (t) {
      case OperandType.ModrmReg:
      case OperandType.ModrmRmReg:
      case OperandType.OpcodeReg:
      case OperandType.VvvvReg:
      case OperandType.Is4Reg:
      case OperandType.ModrmRm:
      case OperandType.ModrmRmMem: {
        const useMem = t === OperandType.ModrmRmMem || (t === OperandType.ModrmRm && r() < 0.5);
        if (vsib && !useMem) {
          // VSIB: destination, index and mask must differ (#UD otherwise): use v1, v2/v10, v3
          const v = k === 0 ? 1 : 3;
          const y = cls === RegisterClass.Ymm;
          ours.push(`${y ? 'ymm' : 'xmm'}${v}`);
          theirs.push(`${y ? 'ymm' : 'xmm'}${v}`);
          operands.push({ kind: 'reg', reg: (y ? Register.YMM0 : Register.XMM0) + v });
          break;
        }
        if (!useMem) {
          const rn = regName(cls, bits, r);
          if (!rn) return null;
          ours.push(rn[0]);
          theirs.push(rn[0]);
          operands.push({ kind: 'reg', reg: rn[1] });
          break;
        }
        const m = memory(bits, r);
        if (vsib) {
          const x = bits === 64 && r() < 0.5 ? 10 : 2;
          const vx = vsib[2] === 'y' ? 'ymm' : 'xmm';
          const a32 = bits !== 64;
          m.base = a32 ? Register.EAX : Register.RAX;
          m.index = (vsib[2] === 'y' ? Register.YMM0 : Register.XMM0) + x;
          m.scale = 4;
          m.text = `[${a32 ? 'eax' : 'rax'} + ${vx}${x}*4${m.disp ? ` + ${hexNum(Math.abs(m.disp))}` : ''}]`;
          m.disp = Math.abs(m.disp);
        }
        const sw = SIZE_WORD[memSize];
        const sizeText = far ? '' : sw ? `${sw} ptr ` : '';
        ours.push(`${far ? 'far ' : ''}${sizeText}${m.text}`);
        theirs.push(`${sizeText}${m.text}`);
        operands.push({
          kind: 'mem',
          size: sw ? SIZE_BYTES[sw]! : 0,
          segment: Register.None,
          base: m.base,
          index: m.index,
          scale: m.scale,
          displacement: m.disp,
          relocatable: false,
          ripRelative: false,
          far,
        });
        break;
      }
      case OperandType.FixedReg: {
        const reg = d >>> 16;
        if (reg === Register.ST0 && n === 2) {
          const other = opDesc(code, 1 - k) & 0xff;
          // `fld dword [x]`, `fstp st1`: llvm-mc and NASM leave the ST(0) operand out
          if (other !== OperandType.ModrmRmReg || ST0_IMPLIED.has(mn)) continue;
        }
        const name = reg === Register.ST0 ? 'st(0)' : registerText(reg);
        if (!name) return null;
        ours.push(name);
        theirs.push(name);
        operands.push({ kind: 'reg', reg });
        break;
      }
      case OperandType.Const1:
        ours.push('1');
        theirs.push('1');
        operands.push({ kind: 'imm', lo: 1, hi: 0, size: 0, relocatable: false, known: true, jump: '' });
        break;
      case OperandType.Rel8:
      case OperandType.Rel16:
      case OperandType.Rel32:
        if (!forLlvm) {
          // a numeric target near BRANCH_IP, reachable by this form
          const reach = t === OperandType.Rel8 ? 100 : 0x3000;
          const target = BRANCH_IP + Math.floor(r() * 2 * reach) - reach;
          ours.push(hexNum(target));
          theirs.push(hexNum(target));
          operands.push({ kind: 'imm', lo: target >>> 0, hi: 0, size: 0, relocatable: false, known: true, jump: '' });
          branch = true;
          break;
        }
        if (t !== OperandType.Rel8) return null; // llvm-mc's Intel syntax cannot force a near branch
        branch = true;
        ours.push(label);
        theirs.push(label);
        operands.push({ kind: 'imm', lo: 0, hi: 0, size: 0, relocatable: true, known: true, jump: '' });
        break;
      case OperandType.Ptr16x16:
      case OperandType.Ptr16x32: {
        const sel = Math.floor(r() * 0x10000);
        const off = Math.floor(r() * (t === OperandType.Ptr16x16 ? 0x10000 : 2 ** 32));
        ours.push(`${hexNum(sel)}:${hexNum(off)}`);
        theirs.push(`${hexNum(sel)}, ${hexNum(off)}`);
        mn = mn === 'jmp' ? 'ljmp' : 'lcall';
        operands.push({ kind: 'far', selector: sel, offset: off });
        break;
      }
      case OperandType.Moffs: {
        const a = 0x1000 + Math.floor(r() * (bits === 16 ? 0xe000 : 0x100000));
        const sw = SIZE_WORD[memSize] ?? '';
        ours.push(`${sw} ptr [${hexNum(a)}]`);
        theirs.push(`${sw} ptr [${hexNum(a)}]`);
        operands.push({
          kind: 'mem',
          size: SIZE_BYTES[sw] ?? 0,
          segment: Register.None,
          base: Register.None,
          index: Register.None,
          scale: 1,
          displacement: a,
          relocatable: false,
          ripRelative: false,
          far: false,
        });
        break;
      }
      default: {
        const v = immediate(t, osz, r);
        const [lo, hi] = typeof v === 'number' ? [v >>> 0, Math.floor(v / 2 ** 32) | 0] : v;
        const text =
          typeof v === 'number' ? hexNum(v) : `0x${(v[1] >>> 0).toString(16)}${v[0].toString(16).padStart(8, '0')}`;
        ours.push(text);
        theirs.push(text);
        operands.push({ kind: 'imm', lo, hi, size: 0, relocatable: false, known: true, jump: '' });
      }
    }
  }
  if (implicit && ours.length > 0) {
    // string forms are written bare (`movsb`, `outsd`): drop the fixed registers too
    ours.length = 0;
    theirs.length = 0;
    operands.length = 0;
  }
  let ourMn = mn;
  let theirMn = mn;
  if (far && mn !== 'ljmp' && mn !== 'lcall') theirMn = mn === 'jmp' ? 'ljmp' : mn === 'call' ? 'lcall' : mn;
  if (mn === 'ljmp' || mn === 'lcall') ourMn = mn.slice(1);
  const text = `${label}: ${ourMn}${ours.length ? ` ${ours.join(', ')}` : ''}`;
  // llvm-mc 14 spells the VEX forms of AVX-VNNI/AVX-IFMA with a {vex} pseudo-prefix (EVEX otherwise)
  if (VEX_PSEUDO.has(theirMn)) theirMn = `{vex} ${theirMn}`;
  const llvm = `${label}: ${theirMn}${theirs.length ? ` ${theirs.join(', ')}` : ''}`;
  return { code, bits, text, llvm, operands, branch };
}

function registerText(reg: number): string | null {
  if (reg >= Register.AL && reg <= Register.BH) return GPR8_32[reg - Register.AL]!;
  if (reg >= Register.AX && reg <= Register.DI) return B16[reg - Register.AX]!;
  if (reg >= Register.EAX && reg <= Register.EDI) return `e${B16[reg - Register.EAX]}`;
  if (reg >= Register.RAX && reg <= Register.RDI) return `r${B16[reg - Register.RAX]}`;
  if (reg >= Register.ES && reg <= Register.GS) return ['es', 'cs', 'ss', 'ds', 'fs', 'gs'][reg - Register.ES]!;
  if (reg === Register.XMM0) return 'xmm0';
  if (reg >= Register.CR0 && reg < Register.DR0) return `cr${reg - Register.CR0}`;
  return null;
}

/** `perForm` random lines for every form valid in each of the three modes. */
export function buildCorpus(perForm: number, seed = 1, forLlvm = true): CorpusLine[] {
  const r = prng(seed);
  const out: CorpusLine[] = [];
  let n = 0;
  for (const bits of [16, 32, 64] as const) {
    for (let code = 1; code < ENCODE_CODE_COUNT; code++) {
      for (let k = 0; k < perForm; k++) {
        const line = sampleForm(code, bits, r, `L${n}`, forLlvm);
        if (line) {
          out.push(line);
          n++;
        }
      }
    }
  }
  return out;
}
