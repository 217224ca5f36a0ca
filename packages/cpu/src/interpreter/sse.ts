import { type Instruction, OperandKind } from '@typevisor/x86-decode';
import { buildHandlerTable, MNEMONIC_ID } from './handlers.ts';
import type { Cpu } from './cpu.ts';
import { REG_INDEX, REG_KIND, RegKind } from './register-table.ts';

/**
 * The SSE/SSE2 moves and integer operations gcc -O2 emits for integer code (the issue's
 * scope; x87, floating-point SSE and AVX come in a later issue). Lanes are computed on
 * 16-byte scratch buffers with typed views, allocation-free.
 */

const SSE_LIST = [
  'MOVD',
  'MOVQ',
  'MOVDQA',
  'MOVDQU',
  'MOVAPS',
  'MOVUPS',
  'MOVAPD',
  'MOVUPD',
  'MOVNTDQ',
  'MOVNTI',
  'MOVNTPS',
  'MOVHPS',
  'MOVLPS',
  'MOVHPD',
  'MOVLPD',
  'MOVHLPS',
  'MOVLHPS',
  'LDDQU',
  'PXOR',
  'POR',
  'PAND',
  'PANDN',
  'XORPS',
  'XORPD',
  'ANDPS',
  'ANDPD',
  'ORPS',
  'ORPD',
  'ANDNPS',
  'ANDNPD',
  'PADDB',
  'PADDW',
  'PADDD',
  'PADDQ',
  'PSUBB',
  'PSUBW',
  'PSUBD',
  'PSUBQ',
  'PCMPEQB',
  'PCMPEQW',
  'PCMPEQD',
  'PCMPGTB',
  'PCMPGTW',
  'PCMPGTD',
  'PMOVMSKB',
  'MOVMSKPS',
  'MOVMSKPD',
  'PSHUFD',
  'PSHUFLW',
  'PSHUFHW',
  'SHUFPS',
  'SHUFPD',
  'PUNPCKLBW',
  'PUNPCKLWD',
  'PUNPCKLDQ',
  'PUNPCKLQDQ',
  'PUNPCKHBW',
  'PUNPCKHWD',
  'PUNPCKHDQ',
  'PUNPCKHQDQ',
  'UNPCKLPS',
  'UNPCKHPS',
  'UNPCKLPD',
  'UNPCKHPD',
  'PSLLW',
  'PSLLD',
  'PSLLQ',
  'PSRLW',
  'PSRLD',
  'PSRLQ',
  'PSRAW',
  'PSRAD',
  'PSLLDQ',
  'PSRLDQ',
  'PMULLW',
  'PMULUDQ',
  'PMULHW',
  'PMULHUW',
  'PMINUB',
  'PMAXUB',
  'PMINSW',
  'PMAXSW',
  'PAVGB',
  'PAVGW',
  'PACKUSWB',
  'PACKSSWB',
  'PACKSSDW',
  'PEXTRW',
  'PINSRW',
  'PSADBW',
  'PADDUSB',
  'PADDUSW',
  'PSUBUSB',
  'PSUBUSW',
  'PADDSB',
  'PADDSW',
  'PSUBSB',
  'PSUBSW',
  'PMADDWD',
  'STMXCSR',
  'LDMXCSR',
  'EMMS',
];
buildHandlerTable(SSE_LIST);

function id(name: string): number {
  return MNEMONIC_ID.get(name) ?? -1;
}
const M: Record<string, number> = {};
for (const n of SSE_LIST) M[n] = id(n);

const bufA = new ArrayBuffer(16);
const bufB = new ArrayBuffer(16);
const bufR = new ArrayBuffer(16);
const a32 = new Uint32Array(bufA);
const b32 = new Uint32Array(bufB);
const r32 = new Uint32Array(bufR);
const a8 = new Uint8Array(bufA);
const b8 = new Uint8Array(bufB);
const r8 = new Uint8Array(bufR);
const a16 = new Uint16Array(bufA);
const b16 = new Uint16Array(bufB);
const r16 = new Uint16Array(bufR);
const as8 = new Int8Array(bufA);
const bs8 = new Int8Array(bufB);
const as16 = new Int16Array(bufA);
const bs16 = new Int16Array(bufB);
const as32 = new Int32Array(bufA);
const bs32 = new Int32Array(bufB);

function isXmm(insn: Instruction, i: number): boolean {
  return insn.opKind[i] === OperandKind.Register && REG_KIND[insn.opRegister[i]!] === RegKind.Xmm;
}

function xmmIndex(insn: Instruction, i: number): number {
  return REG_INDEX[insn.opRegister[i]!]!;
}

function satS(v: number, bits: number): number {
  const max = 2 ** (bits - 1) - 1;
  return v > max ? max : Math.max(v, -max - 1);
}

function satU(v: number, bits: number): number {
  const max = 2 ** bits - 1;
  return v > max ? max : Math.max(v, 0);
}

/** Executes one SSE instruction (internal; called by the interpreter). */
export function executeSse(cpu: Cpu, insn: Instruction): void {
  const mn = insn.mnemonic;
  const x = cpu.xmm;
  // SDM 2 2.5: SSE with CR0.EM=1 is #UD; CR0.TS=1 is #NM.
  if (cpu.state.cr0 & 4) cpu.sseFault(6);
  if (cpu.state.cr0 & 8) cpu.sseFault(7);
  if (mn === M.EMMS) return;
  if (mn === M.STMXCSR || mn === M.LDMXCSR) {
    if (mn === M.STMXCSR) {
      r32[0] = cpu.mxcsr;
      cpu.sseWriteRm(insn, 0, r32, 1);
    } else {
      cpu.sseReadRm(insn, 0, a32, 1);
      if (a32[0]! & 0xffff0000) cpu.sseFault(13);
      cpu.mxcsr = a32[0]!;
    }
    return;
  }
  // ---- moves
  if (mn === M.MOVD || mn === M.MOVQ || mn === M.MOVNTI) {
    const lanes = mn === M.MOVD ? 1 : insn.operandSize === 8 || mn === M.MOVQ ? 2 : 1;
    if (mn === M.MOVNTI) {
      cpu.sseReadRm(insn, 1, a32, 2);
      cpu.sseWriteRm(insn, 0, a32, insn.memSize === 8 ? 2 : 1);
      return;
    }
    const n =
      insn.memSize === 8 ||
      (insn.opKind[1] === OperandKind.Register && !isXmm(insn, 1) && insn.operandSize === 8) ||
      (mn === M.MOVQ && insn.operandSize !== 8)
        ? 2
        : lanes;
    const laneCount =
      mn === M.MOVD && !(gprSide(insn, 0) ? insn.operandSize === 8 : gprSide(insn, 1) && insn.operandSize === 8)
        ? 1
        : n;
    cpu.sseReadRm(insn, 1, a32, laneCount);
    if (isXmm(insn, 0)) {
      const d = xmmIndex(insn, 0) * 4;
      x[d] = a32[0]!;
      x[d + 1] = laneCount === 2 ? a32[1]! : 0;
      x[d + 2] = 0;
      x[d + 3] = 0;
    } else {
      if (laneCount === 1) a32[1] = 0;
      cpu.sseWriteRm(insn, 0, a32, laneCount);
    }
    return;
  }
  if (
    mn === M.MOVDQA ||
    mn === M.MOVDQU ||
    mn === M.MOVAPS ||
    mn === M.MOVUPS ||
    mn === M.MOVAPD ||
    mn === M.MOVUPD ||
    mn === M.MOVNTDQ ||
    mn === M.MOVNTPS ||
    mn === M.LDDQU
  ) {
    if (mn === M.MOVDQA || mn === M.MOVAPS || mn === M.MOVAPD || mn === M.MOVNTDQ || mn === M.MOVNTPS)
      cpu.sseAlignCheck(insn);
    cpu.sseReadRm(insn, 1, a32, 4);
    cpu.sseWriteRm(insn, 0, a32, 4);
    return;
  }
  if (mn === M.MOVHPS || mn === M.MOVHPD || mn === M.MOVLPS || mn === M.MOVLPD) {
    const high = mn === M.MOVHPS || mn === M.MOVHPD;
    if (isXmm(insn, 0)) {
      cpu.sseReadRm(insn, 1, a32, 2);
      const d = xmmIndex(insn, 0) * 4 + (high ? 2 : 0);
      x[d] = a32[0]!;
      x[d + 1] = a32[1]!;
    } else {
      const s = xmmIndex(insn, 1) * 4 + (high ? 2 : 0);
      a32[0] = x[s]!;
      a32[1] = x[s + 1]!;
      cpu.sseWriteRm(insn, 0, a32, 2);
    }
    return;
  }
  if (mn === M.MOVHLPS || mn === M.MOVLHPS) {
    const d = xmmIndex(insn, 0) * 4;
    const s = xmmIndex(insn, 1) * 4;
    if (mn === M.MOVHLPS) {
      x[d] = x[s + 2]!;
      x[d + 1] = x[s + 3]!;
    } else {
      x[d + 2] = x[s]!;
      x[d + 3] = x[s + 1]!;
    }
    return;
  }
  if (mn === M.PMOVMSKB || mn === M.MOVMSKPS || mn === M.MOVMSKPD) {
    cpu.sseReadRm(insn, 1, a32, 4);
    let m = 0;
    if (mn === M.PMOVMSKB) for (let i = 0; i < 16; i++) m |= (a8[i]! >> 7) << i;
    else if (mn === M.MOVMSKPS) for (let i = 0; i < 4; i++) m |= (a32[i]! >>> 31) << i;
    else m = (a32[1]! >>> 31) | ((a32[3]! >>> 31) << 1);
    r32[0] = m;
    r32[1] = 0;
    cpu.sseWriteRm(insn, 0, r32, 2);
    return;
  }
  if (mn === M.PEXTRW) {
    cpu.sseReadRm(insn, 1, a32, 4);
    r32[0] = a16[insn.immediateLo & 7]!;
    r32[1] = 0;
    cpu.sseWriteRm(insn, 0, r32, 2);
    return;
  }
  if (mn === M.PINSRW) {
    cpu.sseReadRm(insn, 1, b32, 1);
    const d = xmmIndex(insn, 0) * 4;
    for (let i = 0; i < 4; i++) a32[i] = x[d + i]!;
    a16[insn.immediateLo & 7] = b32[0]! & 0xffff;
    for (let i = 0; i < 4; i++) x[d + i] = a32[i]!;
    return;
  }
  // ---- two-operand xmm, xmm/m128 operations (with an optional imm8)
  const d = xmmIndex(insn, 0) * 4;
  for (let i = 0; i < 4; i++) a32[i] = x[d + i]!;
  const shiftImm = insn.opKind[1] === OperandKind.Immediate;
  if (shiftImm) {
    b32.fill(0);
    b32[0] = insn.immediateLo & 0xff;
  } else {
    if (insn.opKind[1] === OperandKind.Memory && !isAligned16Exempt(mn)) cpu.sseAlignCheck(insn);
    cpu.sseReadRm(insn, 1, b32, 4);
  }
  const imm = insn.immediateLo & 0xff;
  switch (mn) {
    case M.PXOR:
    case M.XORPS:
    case M.XORPD:
      for (let i = 0; i < 4; i++) r32[i] = a32[i]! ^ b32[i]!;
      break;
    case M.POR:
    case M.ORPS:
    case M.ORPD:
      for (let i = 0; i < 4; i++) r32[i] = a32[i]! | b32[i]!;
      break;
    case M.PAND:
    case M.ANDPS:
    case M.ANDPD:
      for (let i = 0; i < 4; i++) r32[i] = a32[i]! & b32[i]!;
      break;
    case M.PANDN:
    case M.ANDNPS:
    case M.ANDNPD:
      for (let i = 0; i < 4; i++) r32[i] = ~a32[i]! & b32[i]!;
      break;
    case M.PADDB:
      for (let i = 0; i < 16; i++) r8[i] = a8[i]! + b8[i]!;
      break;
    case M.PADDW:
      for (let i = 0; i < 8; i++) r16[i] = a16[i]! + b16[i]!;
      break;
    case M.PADDD:
      for (let i = 0; i < 4; i++) r32[i] = a32[i]! + b32[i]!;
      break;
    case M.PADDQ:
    case M.PSUBQ:
      for (let i = 0; i < 4; i += 2) {
        const sub = mn === M.PSUBQ;
        const lo = sub ? a32[i]! - b32[i]! : a32[i]! + b32[i]!;
        r32[i] = lo >>> 0;
        r32[i + 1] = sub
          ? a32[i + 1]! - b32[i + 1]! - (lo < 0 ? 1 : 0)
          : a32[i + 1]! + b32[i + 1]! + (lo > 0xffffffff ? 1 : 0);
      }
      break;
    case M.PSUBB:
      for (let i = 0; i < 16; i++) r8[i] = a8[i]! - b8[i]!;
      break;
    case M.PSUBW:
      for (let i = 0; i < 8; i++) r16[i] = a16[i]! - b16[i]!;
      break;
    case M.PSUBD:
      for (let i = 0; i < 4; i++) r32[i] = a32[i]! - b32[i]!;
      break;
    case M.PADDUSB:
      for (let i = 0; i < 16; i++) r8[i] = satU(a8[i]! + b8[i]!, 8);
      break;
    case M.PADDUSW:
      for (let i = 0; i < 8; i++) r16[i] = satU(a16[i]! + b16[i]!, 16);
      break;
    case M.PSUBUSB:
      for (let i = 0; i < 16; i++) r8[i] = satU(a8[i]! - b8[i]!, 8);
      break;
    case M.PSUBUSW:
      for (let i = 0; i < 8; i++) r16[i] = satU(a16[i]! - b16[i]!, 16);
      break;
    case M.PADDSB:
      for (let i = 0; i < 16; i++) r8[i] = satS(as8[i]! + bs8[i]!, 8);
      break;
    case M.PADDSW:
      for (let i = 0; i < 8; i++) r16[i] = satS(as16[i]! + bs16[i]!, 16);
      break;
    case M.PSUBSB:
      for (let i = 0; i < 16; i++) r8[i] = satS(as8[i]! - bs8[i]!, 8);
      break;
    case M.PSUBSW:
      for (let i = 0; i < 8; i++) r16[i] = satS(as16[i]! - bs16[i]!, 16);
      break;
    case M.PCMPEQB:
      for (let i = 0; i < 16; i++) r8[i] = a8[i] === b8[i] ? 0xff : 0;
      break;
    case M.PCMPEQW:
      for (let i = 0; i < 8; i++) r16[i] = a16[i] === b16[i] ? 0xffff : 0;
      break;
    case M.PCMPEQD:
      for (let i = 0; i < 4; i++) r32[i] = a32[i] === b32[i] ? 0xffffffff : 0;
      break;
    case M.PCMPGTB:
      for (let i = 0; i < 16; i++) r8[i] = as8[i]! > bs8[i]! ? 0xff : 0;
      break;
    case M.PCMPGTW:
      for (let i = 0; i < 8; i++) r16[i] = as16[i]! > bs16[i]! ? 0xffff : 0;
      break;
    case M.PCMPGTD:
      for (let i = 0; i < 4; i++) r32[i] = as32[i]! > bs32[i]! ? 0xffffffff : 0;
      break;
    case M.PMINUB:
      for (let i = 0; i < 16; i++) r8[i] = Math.min(a8[i]!, b8[i]!);
      break;
    case M.PMAXUB:
      for (let i = 0; i < 16; i++) r8[i] = Math.max(a8[i]!, b8[i]!);
      break;
    case M.PMINSW:
      for (let i = 0; i < 8; i++) r16[i] = Math.min(as16[i]!, bs16[i]!);
      break;
    case M.PMAXSW:
      for (let i = 0; i < 8; i++) r16[i] = Math.max(as16[i]!, bs16[i]!);
      break;
    case M.PAVGB:
      for (let i = 0; i < 16; i++) r8[i] = (a8[i]! + b8[i]! + 1) >> 1;
      break;
    case M.PAVGW:
      for (let i = 0; i < 8; i++) r16[i] = (a16[i]! + b16[i]! + 1) >> 1;
      break;
    case M.PMULLW:
      for (let i = 0; i < 8; i++) r16[i] = Math.imul(as16[i]!, bs16[i]!);
      break;
    case M.PMULHW:
      for (let i = 0; i < 8; i++) r16[i] = (as16[i]! * bs16[i]!) >> 16;
      break;
    case M.PMULHUW:
      for (let i = 0; i < 8; i++) r16[i] = (a16[i]! * b16[i]!) >>> 16;
      break;
    case M.PMADDWD:
      for (let i = 0; i < 4; i++) r32[i] = as16[2 * i]! * bs16[2 * i]! + as16[2 * i + 1]! * bs16[2 * i + 1]!;
      break;
    case M.PMULUDQ:
      for (let i = 0; i < 4; i += 2) {
        const p1 = (a32[i]! & 0xffff) * b32[i]!;
        const p2 = (a32[i]! >>> 16) * b32[i]!;
        r32[i] = Math.imul(a32[i]!, b32[i]!);
        r32[i + 1] = Math.floor((p2 + Math.floor(p1 / 65536)) / 65536);
      }
      break;
    case M.PSADBW:
      for (let q = 0; q < 2; q++) {
        let sum = 0;
        for (let i = 0; i < 8; i++) sum += Math.abs(a8[q * 8 + i]! - b8[q * 8 + i]!);
        r32[q * 2] = sum;
        r32[q * 2 + 1] = 0;
      }
      break;
    case M.PACKUSWB:
      for (let i = 0; i < 8; i++) {
        r8[i] = satU(as16[i]!, 8);
        r8[i + 8] = satU(bs16[i]!, 8);
      }
      break;
    case M.PACKSSWB:
      for (let i = 0; i < 8; i++) {
        r8[i] = satS(as16[i]!, 8);
        r8[i + 8] = satS(bs16[i]!, 8);
      }
      break;
    case M.PACKSSDW:
      for (let i = 0; i < 4; i++) {
        r16[i] = satS(as32[i]!, 16);
        r16[i + 4] = satS(bs32[i]!, 16);
      }
      break;
    case M.PSHUFD:
      for (let i = 0; i < 4; i++) r32[i] = b32[(imm >> (2 * i)) & 3]!;
      break;
    case M.PSHUFLW:
      for (let i = 0; i < 4; i++) r16[i] = b16[(imm >> (2 * i)) & 3]!;
      r32[2] = b32[2]!;
      r32[3] = b32[3]!;
      break;
    case M.PSHUFHW:
      r32[0] = b32[0]!;
      r32[1] = b32[1]!;
      for (let i = 0; i < 4; i++) r16[4 + i] = b16[4 + ((imm >> (2 * i)) & 3)]!;
      break;
    case M.SHUFPS:
      r32[0] = a32[imm & 3]!;
      r32[1] = a32[(imm >> 2) & 3]!;
      r32[2] = b32[(imm >> 4) & 3]!;
      r32[3] = b32[(imm >> 6) & 3]!;
      break;
    case M.SHUFPD:
      r32[0] = a32[(imm & 1) * 2]!;
      r32[1] = a32[(imm & 1) * 2 + 1]!;
      r32[2] = b32[((imm >> 1) & 1) * 2]!;
      r32[3] = b32[((imm >> 1) & 1) * 2 + 1]!;
      break;
    case M.PUNPCKLBW:
      for (let i = 0; i < 8; i++) {
        r8[2 * i] = a8[i]!;
        r8[2 * i + 1] = b8[i]!;
      }
      break;
    case M.PUNPCKHBW:
      for (let i = 0; i < 8; i++) {
        r8[2 * i] = a8[8 + i]!;
        r8[2 * i + 1] = b8[8 + i]!;
      }
      break;
    case M.PUNPCKLWD:
      for (let i = 0; i < 4; i++) {
        r16[2 * i] = a16[i]!;
        r16[2 * i + 1] = b16[i]!;
      }
      break;
    case M.PUNPCKHWD:
      for (let i = 0; i < 4; i++) {
        r16[2 * i] = a16[4 + i]!;
        r16[2 * i + 1] = b16[4 + i]!;
      }
      break;
    case M.PUNPCKLDQ:
    case M.UNPCKLPS:
      r32[0] = a32[0]!;
      r32[1] = b32[0]!;
      r32[2] = a32[1]!;
      r32[3] = b32[1]!;
      break;
    case M.PUNPCKHDQ:
    case M.UNPCKHPS:
      r32[0] = a32[2]!;
      r32[1] = b32[2]!;
      r32[2] = a32[3]!;
      r32[3] = b32[3]!;
      break;
    case M.PUNPCKLQDQ:
    case M.UNPCKLPD:
      r32[0] = a32[0]!;
      r32[1] = a32[1]!;
      r32[2] = b32[0]!;
      r32[3] = b32[1]!;
      break;
    case M.PUNPCKHQDQ:
    case M.UNPCKHPD:
      r32[0] = a32[2]!;
      r32[1] = a32[3]!;
      r32[2] = b32[2]!;
      r32[3] = b32[3]!;
      break;
    case M.PSLLDQ:
    case M.PSRLDQ: {
      const n = Math.min(imm, 16);
      r32.fill(0);
      for (let i = 0; i < 16; i++) {
        const src = mn === M.PSLLDQ ? i - n : i + n;
        r8[i] = src >= 0 && src < 16 ? a8[src]! : 0;
      }
      break;
    }
    case M.PSLLW:
    case M.PSRLW:
    case M.PSRAW:
    case M.PSLLD:
    case M.PSRLD:
    case M.PSRAD:
    case M.PSLLQ:
    case M.PSRLQ: {
      // The count is the low 64 bits of the source (or imm8); counts >= width clear (or sign-fill).
      const cnt = b32[1] !== 0 ? 64 : b32[0]!;
      if (mn === M.PSLLW || mn === M.PSRLW || mn === M.PSRAW) {
        for (let i = 0; i < 8; i++) {
          if (mn === M.PSRAW) r16[i] = as16[i]! >> Math.min(cnt, 15);
          else r16[i] = cnt > 15 ? 0 : mn === M.PSLLW ? a16[i]! << cnt : a16[i]! >>> cnt;
        }
      } else if (mn === M.PSLLD || mn === M.PSRLD || mn === M.PSRAD) {
        for (let i = 0; i < 4; i++) {
          if (mn === M.PSRAD) r32[i] = as32[i]! >> Math.min(cnt, 31);
          else r32[i] = cnt > 31 ? 0 : mn === M.PSLLD ? a32[i]! << cnt : a32[i]! >>> cnt;
        }
      } else {
        for (let i = 0; i < 4; i += 2) {
          const lo = a32[i]!;
          const hi = a32[i + 1]!;
          if (cnt > 63) {
            r32[i] = 0;
            r32[i + 1] = 0;
          } else if (mn === M.PSLLQ) {
            r32[i] = cnt >= 32 ? 0 : lo << cnt;
            r32[i + 1] = cnt === 0 ? hi : cnt >= 32 ? lo << (cnt - 32) : (hi << cnt) | (lo >>> (32 - cnt));
          } else {
            r32[i + 1] = cnt >= 32 ? 0 : hi >>> cnt;
            r32[i] = cnt === 0 ? lo : cnt >= 32 ? hi >>> (cnt - 32) : (lo >>> cnt) | (hi << (32 - cnt));
          }
        }
      }
      break;
    }
    default:
      cpu.sseFault(6);
  }
  for (let i = 0; i < 4; i++) x[d + i] = r32[i]!;
}

function isAligned16Exempt(_mn: number): boolean {
  // Legacy-SSE 128-bit memory operands must be 16-byte aligned (SDM 2 2.4), except these.
  return (
    _mn === M.PSLLW ||
    _mn === M.PSRLW ||
    _mn === M.PSRAW ||
    _mn === M.PSLLD ||
    _mn === M.PSRLD ||
    _mn === M.PSRAD ||
    _mn === M.PSLLQ ||
    _mn === M.PSRLQ
  );
}

/** Operand i is a general-purpose register (the GPR side of MOVD/MOVQ). */
function gprSide(insn: Instruction, i: number): boolean {
  return insn.opKind[i] === OperandKind.Register && !isXmm(insn, i);
}
