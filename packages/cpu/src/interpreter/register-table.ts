import { Register } from '@typevisor/x86-decode';

/** How a decoder `Register` maps onto the state (internal). */
export const enum RegKind {
  None = 0,
  Gpr8Low = 1,
  Gpr8High = 2,
  Gpr16 = 3,
  Gpr32 = 4,
  Gpr64 = 5,
  Segment = 6,
  Xmm = 7,
  Cr = 8,
  Dr = 9,
  Ip = 10,
}

/** `REG_KIND[reg]`: {@link RegKind} of each decoder register. */
export const REG_KIND = new Uint8Array(256);
/** `REG_INDEX[reg]`: GPR number (0..15), segment index (ES=0..GS=5), XMM/CR/DR number. */
export const REG_INDEX = new Uint8Array(256);

for (let i = 0; i < 20; i++) {
  const r = Register.AL + i;
  if (i < 4) {
    REG_KIND[r] = RegKind.Gpr8Low;
    REG_INDEX[r] = i;
  } else if (i < 8) {
    REG_KIND[r] = RegKind.Gpr8High;
    REG_INDEX[r] = i - 4;
  } else {
    REG_KIND[r] = RegKind.Gpr8Low;
    REG_INDEX[r] = i - 4;
  }
}
for (let i = 0; i < 16; i++) {
  REG_KIND[Register.AX + i] = RegKind.Gpr16;
  REG_INDEX[Register.AX + i] = i;
  REG_KIND[Register.EAX + i] = RegKind.Gpr32;
  REG_INDEX[Register.EAX + i] = i;
  REG_KIND[Register.RAX + i] = RegKind.Gpr64;
  REG_INDEX[Register.RAX + i] = i;
  REG_KIND[Register.XMM0 + i] = RegKind.Xmm;
  REG_INDEX[Register.XMM0 + i] = i;
  REG_KIND[Register.CR0 + i] = RegKind.Cr;
  REG_INDEX[Register.CR0 + i] = i;
  REG_KIND[Register.DR0 + i] = RegKind.Dr;
  REG_INDEX[Register.DR0 + i] = i;
}
for (let i = 0; i < 6; i++) {
  REG_KIND[Register.ES + i] = RegKind.Segment;
  REG_INDEX[Register.ES + i] = i;
}
REG_KIND[Register.EIP] = RegKind.Ip;
REG_KIND[Register.RIP] = RegKind.Ip;

/** GPR names for the register-by-name API: 64-bit names, then 32/16/8-bit aliases. */
export const GPR64_NAMES = [
  'rax',
  'rcx',
  'rdx',
  'rbx',
  'rsp',
  'rbp',
  'rsi',
  'rdi',
  'r8',
  'r9',
  'r10',
  'r11',
  'r12',
  'r13',
  'r14',
  'r15',
];
export const GPR32_NAMES = [
  'eax',
  'ecx',
  'edx',
  'ebx',
  'esp',
  'ebp',
  'esi',
  'edi',
  'r8d',
  'r9d',
  'r10d',
  'r11d',
  'r12d',
  'r13d',
  'r14d',
  'r15d',
];
export const GPR16_NAMES = [
  'ax',
  'cx',
  'dx',
  'bx',
  'sp',
  'bp',
  'si',
  'di',
  'r8w',
  'r9w',
  'r10w',
  'r11w',
  'r12w',
  'r13w',
  'r14w',
  'r15w',
];
export const GPR8_NAMES = [
  'al',
  'cl',
  'dl',
  'bl',
  'spl',
  'bpl',
  'sil',
  'dil',
  'r8b',
  'r9b',
  'r10b',
  'r11b',
  'r12b',
  'r13b',
  'r14b',
  'r15b',
];
export const GPR8H_NAMES = ['ah', 'ch', 'dh', 'bh'];
export const SEGMENT_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'];

/** Register names -> `kind << 5 | index` (kind 0 = 64-bit, 1 = 32, 2 = 16, 3 = 8 low, 4 = 8 high, 5 = segment). */
export const NAMED_REGISTERS = new Map<string, number>();
[GPR64_NAMES, GPR32_NAMES, GPR16_NAMES, GPR8_NAMES, GPR8H_NAMES, SEGMENT_NAMES].forEach((names, kind) => {
  names.forEach((name, i) => {
    NAMED_REGISTERS.set(name, (kind << 5) | i);
  });
});
