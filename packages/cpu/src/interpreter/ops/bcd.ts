// Decimal-arithmetic adjustments and SALC (SDM 2 "DAA", "DAS", "AAA", "AAS", "AAM", "AAD").
// They work on AL/AH of the state directly. Flags the SDM leaves undefined get fixed,
// documented values: OF cleared by DAA/DAS; SF/ZF/PF from the final AL and OF cleared by
// AAA/AAS; OF/AF/CF cleared by AAM/AAD. The host differential masks them.
import { type CpuState, parityFlag } from '../../state/cpu-state.ts';
import { FLAG_AF, FLAG_CF, FLAG_OF, FLAG_PF, FLAG_SF, FLAG_ZF } from '../../state/flags.ts';

const ARITH = FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF;

function szp8(al: number): number {
  return parityFlag(al) | (al === 0 ? FLAG_ZF : 0) | (al & 0x80 ? FLAG_SF : 0);
}

function setArith(s: CpuState, flags: number): void {
  s.setFlags((s.getFlags() & ~ARITH) | flags);
}

/**
 * DAA (sign 1) and DAS (sign -1): adjust each decimal digit of AL by 6 / 60H on a decimal
 * carry or borrow. The SDM gives DAA an ELSE clause that clears CF in the second step and
 * DAS none (its CF from the first step survives).
 */
function decimalAdjust(s: CpuState, sign: 1 | -1): void {
  const f = s.getFlags();
  const oldAl = s.gpr8[0]!;
  const oldCf = f & FLAG_CF;
  let al = oldAl;
  let cf = 0;
  let af = 0;
  if ((al & 0x0f) > 9 || f & FLAG_AF) {
    const t = al + 6 * sign;
    al = t & 0xff;
    cf = oldCf | (t > 0xff || t < 0 ? FLAG_CF : 0);
    af = FLAG_AF;
  }
  if (oldAl > 0x99 || oldCf) {
    al = (al + 0x60 * sign) & 0xff;
    cf = FLAG_CF;
  } else if (sign > 0) cf = 0;
  s.gpr8[0] = al;
  setArith(s, cf | af | szp8(al));
}

/** DAA: decimal adjust AL after addition. */
export function daa(s: CpuState): void {
  decimalAdjust(s, 1);
}

/** DAS: decimal adjust AL after subtraction. */
export function das(s: CpuState): void {
  decimalAdjust(s, -1);
}

/** AAA: ASCII adjust after addition (AX + 106H on a decimal carry, then AL &= 0FH). */
export function aaa(s: CpuState): void {
  const f = s.getFlags();
  let adj = 0;
  if ((s.gpr8[0]! & 0x0f) > 9 || f & FLAG_AF) {
    s.gpr16[0] = (s.gpr16[0]! + 0x106) & 0xffff;
    adj = FLAG_AF | FLAG_CF;
  }
  const al = s.gpr8[0]! & 0x0f;
  s.gpr8[0] = al;
  setArith(s, adj | szp8(al));
}

/** AAS: ASCII adjust after subtraction (AX - 6 and AH - 1 on a decimal borrow, then AL &= 0FH). */
export function aas(s: CpuState): void {
  const f = s.getFlags();
  let adj = 0;
  if ((s.gpr8[0]! & 0x0f) > 9 || f & FLAG_AF) {
    s.gpr16[0] = (s.gpr16[0]! - 6) & 0xffff;
    s.gpr8[1] = (s.gpr8[1]! - 1) & 0xff;
    adj = FLAG_AF | FLAG_CF;
  }
  const al = s.gpr8[0]! & 0x0f;
  s.gpr8[0] = al;
  setArith(s, adj | szp8(al));
}

/** AAM imm8: AH = AL / base, AL = AL mod base. Returns false for base 0 (the caller raises #DE). */
export function aam(s: CpuState, base: number): boolean {
  if (base === 0) return false;
  const t = s.gpr8[0]!;
  const al = t % base;
  s.gpr8[1] = (t / base) | 0;
  s.gpr8[0] = al;
  setArith(s, szp8(al));
  return true;
}

/** AAD imm8: AL = (AL + AH * base) & FFH, AH = 0. */
export function aad(s: CpuState, base: number): void {
  const al = (s.gpr8[0]! + s.gpr8[1]! * base) & 0xff;
  s.gpr16[0] = al;
  setArith(s, szp8(al));
}

/** SALC (undocumented by Intel, listed by AMD): AL = CF ? FFH : 00H, flags unchanged. */
export function salc(s: CpuState): void {
  s.gpr8[0] = s.carry() ? 0xff : 0;
}
