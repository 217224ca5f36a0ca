/**
 * Every register an operand can name. The numbering is grouped so that a register's
 * number within its class is `reg - first-of-class` (e.g. `Register.RAX + 3` is RBX);
 * it is stable across releases (new registers are appended, never inserted).
 */
export enum Register {
  None = 0,
  // 8-bit: the legacy AL..BH, then the REX-only SPL..DIL, then R8L..R15L.
  AL = 1,
  CL,
  DL,
  BL,
  AH,
  CH,
  DH,
  BH,
  SPL,
  BPL,
  SIL,
  DIL,
  R8L,
  R9L,
  R10L,
  R11L,
  R12L,
  R13L,
  R14L,
  R15L,
  AX = 21,
  CX,
  DX,
  BX,
  SP,
  BP,
  SI,
  DI,
  R8W,
  R9W,
  R10W,
  R11W,
  R12W,
  R13W,
  R14W,
  R15W,
  EAX = 37,
  ECX,
  EDX,
  EBX,
  ESP,
  EBP,
  ESI,
  EDI,
  R8D,
  R9D,
  R10D,
  R11D,
  R12D,
  R13D,
  R14D,
  R15D,
  RAX = 53,
  RCX,
  RDX,
  RBX,
  RSP,
  RBP,
  RSI,
  RDI,
  R8,
  R9,
  R10,
  R11,
  R12,
  R13,
  R14,
  R15,
  EIP = 69,
  RIP = 70,
  ES = 71,
  CS,
  SS,
  DS,
  FS,
  GS,
  XMM0 = 77,
  YMM0 = 109,
  ZMM0 = 141,
  K0 = 173,
  BND0 = 181,
  CR0 = 185,
  DR0 = 201,
  TR0 = 217,
  ST0 = 225,
  MM0 = 233,
  TMM0 = 241,
}

/** First register number of each class, and how many the class holds. */
export const REGISTER_CLASSES = [
  ['gpr8', Register.AL, 20],
  ['gpr16', Register.AX, 16],
  ['gpr32', Register.EAX, 16],
  ['gpr64', Register.RAX, 16],
  ['ip', Register.EIP, 2],
  ['segment', Register.ES, 6],
  ['xmm', Register.XMM0, 32],
  ['ymm', Register.YMM0, 32],
  ['zmm', Register.ZMM0, 32],
  ['k', Register.K0, 8],
  ['bnd', Register.BND0, 4],
  ['cr', Register.CR0, 16],
  ['dr', Register.DR0, 16],
  ['tr', Register.TR0, 8],
  ['st', Register.ST0, 8],
  ['mm', Register.MM0, 8],
  ['tmm', Register.TMM0, 8],
] as const;

/** Number of register values (one past the last). */
export const REGISTER_COUNT = 249;

// Built by the first registerName() (the formatters' first construction), not at import.
let names: string[] | undefined;
function buildNames(): string[] {
  const n: string[] = new Array(REGISTER_COUNT).fill('');
  const gpr8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh', 'spl', 'bpl', 'sil', 'dil'];
  const base16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
  for (let i = 0; i < 12; i++) n[Register.AL + i] = gpr8[i]!;
  for (let i = 8; i < 16; i++) {
    n[Register.AL + i + 4] = `r${i}b`;
    n[Register.AX + i] = `r${i}w`;
    n[Register.EAX + i] = `r${i}d`;
    n[Register.RAX + i] = `r${i}`;
  }
  for (let i = 0; i < 8; i++) {
    n[Register.AX + i] = base16[i]!;
    n[Register.EAX + i] = `e${base16[i]}`;
    n[Register.RAX + i] = `r${base16[i]}`;
    n[Register.K0 + i] = `k${i}`;
    n[Register.TR0 + i] = `tr${i}`;
    n[Register.ST0 + i] = i === 0 ? 'st' : `st(${i})`;
    n[Register.MM0 + i] = `mm${i}`;
    n[Register.TMM0 + i] = `tmm${i}`;
  }
  n[Register.EIP] = 'eip';
  n[Register.RIP] = 'rip';
  const segs = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
  for (let i = 0; i < 6; i++) n[Register.ES + i] = segs[i]!;
  for (let i = 0; i < 32; i++) {
    n[Register.XMM0 + i] = `xmm${i}`;
    n[Register.YMM0 + i] = `ymm${i}`;
    n[Register.ZMM0 + i] = `zmm${i}`;
  }
  for (let i = 0; i < 4; i++) n[Register.BND0 + i] = `bnd${i}`;
  for (let i = 0; i < 16; i++) {
    n[Register.CR0 + i] = `cr${i}`;
    n[Register.DR0 + i] = `dr${i}`;
  }
  return n;
}

/** The register's lowercase name as the Intel formatter prints it (`rax`, `r8d`, `st(1)`, `xmm3`). */
export function registerName(reg: Register): string {
  names ??= buildNames();
  return names[reg] ?? '';
}

/**
 * The register's number within its class, as encoded in ModRM/REX/VEX (RAX->0, R9D->9, XMM17->17).
 * For 8-bit registers this is the encoding number *with* a REX prefix (SPL->4, R8L->8) except
 * AH..BH which give 4..7 (their no-REX encoding).
 */
export function registerNumber(reg: Register): number {
  if (reg >= Register.AL && reg <= Register.R15L) {
    if (reg <= Register.BH) return reg - Register.AL;
    return reg - Register.AL - 4;
  }
  for (const [, first, count] of REGISTER_CLASSES) {
    if (reg >= first && reg < first + count) return reg - first;
  }
  return -1;
}

/** The register's width in bytes (gpr 1/2/4/8, xmm 16, ymm 32, zmm 64, segment 2, st 10, mm 8); 0 for None. */
export function registerSize(reg: Register): number {
  if (reg === Register.None) return 0;
  if (reg <= Register.R15L) return 1;
  if (reg <= Register.R15W) return 2;
  if (reg <= Register.R15D) return 4;
  if (reg <= Register.R15) return 8;
  if (reg === Register.EIP) return 4;
  if (reg === Register.RIP) return 8;
  if (reg <= Register.GS) return 2;
  if (reg < Register.YMM0) return 16;
  if (reg < Register.ZMM0) return 32;
  if (reg < Register.K0) return 64;
  if (reg < Register.BND0) return 8;
  if (reg < Register.CR0) return 16;
  if (reg < Register.TR0) return 8;
  if (reg < Register.ST0) return 4;
  if (reg < Register.MM0) return 10;
  if (reg < Register.TMM0) return 8;
  return 1024;
}
