// Register names as written in NASM/Intel syntax, mapped onto the decoder's Register numbers.
import { Register, RegisterClass } from '@typevisor/x86-decode';

/** Lower-case register name -> the decoder's `Register` value. */
const BY_NAME = new Map<string, Register>();
{
  const gpr8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh', 'spl', 'bpl', 'sil', 'dil'];
  const base = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
  gpr8.forEach((n, i) => {
    BY_NAME.set(n, Register.AL + i);
  });
  base.forEach((n, i) => {
    BY_NAME.set(n, Register.AX + i);
    BY_NAME.set(`e${n}`, Register.EAX + i);
    BY_NAME.set(`r${n}`, Register.RAX + i);
  });
  for (let i = 8; i < 16; i++) {
    BY_NAME.set(`r${i}b`, Register.AL + 4 + i);
    BY_NAME.set(`r${i}l`, Register.AL + 4 + i);
    BY_NAME.set(`r${i}w`, Register.AX + i);
    BY_NAME.set(`r${i}d`, Register.EAX + i);
    BY_NAME.set(`r${i}`, Register.RAX + i);
  }
  ['es', 'cs', 'ss', 'ds', 'fs', 'gs'].forEach((n, i) => {
    BY_NAME.set(n, Register.ES + i);
  });
  for (let i = 0; i < 32; i++) {
    BY_NAME.set(`xmm${i}`, Register.XMM0 + i);
    BY_NAME.set(`ymm${i}`, Register.YMM0 + i);
    BY_NAME.set(`zmm${i}`, Register.ZMM0 + i);
  }
  for (let i = 0; i < 16; i++) {
    BY_NAME.set(`cr${i}`, Register.CR0 + i);
    BY_NAME.set(`dr${i}`, Register.DR0 + i);
  }
  for (let i = 0; i < 8; i++) {
    BY_NAME.set(`k${i}`, Register.K0 + i);
    BY_NAME.set(`mm${i}`, Register.MM0 + i);
    BY_NAME.set(`st${i}`, Register.ST0 + i);
    BY_NAME.set(`tr${i}`, Register.TR0 + i);
    BY_NAME.set(`tmm${i}`, Register.TMM0 + i);
  }
  for (let i = 0; i < 4; i++) BY_NAME.set(`bnd${i}`, Register.BND0 + i);
  BY_NAME.set('st', Register.ST0);
  BY_NAME.set('rip', Register.RIP);
  BY_NAME.set('eip', Register.EIP);
}

/** The register a (lower-case) name spells, or `Register.None`. `st(3)` is spelled `st3` here. */
export function registerByName(name: string): Register {
  return BY_NAME.get(name) ?? Register.None;
}

/** The register class (as the instruction tables name it) of a register. */
export function registerClassOf(r: Register): RegisterClass {
  if (r >= Register.AL && r < Register.AX) return RegisterClass.Gpr8;
  if (r >= Register.AX && r < Register.EAX) return RegisterClass.Gpr16;
  if (r >= Register.EAX && r < Register.RAX) return RegisterClass.Gpr32;
  if (r >= Register.RAX && r < Register.EIP) return RegisterClass.Gpr64;
  if (r >= Register.ES && r < Register.XMM0) return RegisterClass.Segment;
  if (r >= Register.XMM0 && r < Register.YMM0) return RegisterClass.Xmm;
  if (r >= Register.YMM0 && r < Register.ZMM0) return RegisterClass.Ymm;
  if (r >= Register.ZMM0 && r < Register.K0) return RegisterClass.Zmm;
  if (r >= Register.K0 && r < Register.BND0) return RegisterClass.K;
  if (r >= Register.BND0 && r < Register.CR0) return RegisterClass.Bnd;
  if (r >= Register.CR0 && r < Register.DR0) return RegisterClass.Cr;
  if (r >= Register.DR0 && r < Register.TR0) return RegisterClass.Dr;
  if (r >= Register.TR0 && r < Register.ST0) return RegisterClass.Tr;
  if (r >= Register.ST0 && r < Register.MM0) return RegisterClass.St;
  if (r >= Register.MM0 && r < Register.TMM0) return RegisterClass.Mm;
  if (r >= Register.TMM0) return RegisterClass.Tmm;
  return RegisterClass.None;
}

/** The 4/5-bit number a register has in ModRM/REX/VEX fields. SPL..DIL are 4..7 (they need REX). */
export function registerCode(r: Register): number {
  if (r >= Register.AL && r < Register.AX) return r < Register.SPL ? r - Register.AL : r - Register.AL - 4;
  if (r >= Register.AX && r < Register.EAX) return r - Register.AX;
  if (r >= Register.EAX && r < Register.RAX) return r - Register.EAX;
  if (r >= Register.RAX && r < Register.EIP) return r - Register.RAX;
  if (r >= Register.ES && r < Register.XMM0) return r - Register.ES;
  if (r >= Register.XMM0 && r < Register.YMM0) return r - Register.XMM0;
  if (r >= Register.YMM0 && r < Register.ZMM0) return r - Register.YMM0;
  if (r >= Register.ZMM0 && r < Register.K0) return r - Register.ZMM0;
  if (r >= Register.K0 && r < Register.BND0) return r - Register.K0;
  if (r >= Register.BND0 && r < Register.CR0) return r - Register.BND0;
  if (r >= Register.CR0 && r < Register.DR0) return r - Register.CR0;
  if (r >= Register.DR0 && r < Register.TR0) return r - Register.DR0;
  if (r >= Register.TR0 && r < Register.ST0) return r - Register.TR0;
  if (r >= Register.ST0 && r < Register.MM0) return r - Register.ST0;
  if (r >= Register.MM0 && r < Register.TMM0) return r - Register.MM0;
  return r - Register.TMM0;
}

/** Width in bytes of a general-purpose register, 0 for any other register. */
export function gprSize(r: Register): number {
  const c = registerClassOf(r);
  return c === RegisterClass.Gpr8
    ? 1
    : c === RegisterClass.Gpr16
      ? 2
      : c === RegisterClass.Gpr32
        ? 4
        : c === RegisterClass.Gpr64
          ? 8
          : 0;
}
