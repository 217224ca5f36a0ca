/**
 * Internal operand encodings used by the generated tables. An operand descriptor is
 * `type | (registerClass << 8) | (fixedRegister << 16)`; the decoder switches on `type`.
 * Shared with the generator (scripts/) and @typevisor/x86-asm through `decodeTables`.
 */
export enum OperandType {
  None = 0,
  /** Register from ModRM.reg (+REX.R). */
  ModrmReg = 1,
  /** Register or memory from ModRM.rm. */
  ModrmRm = 2,
  /** Register from ModRM.rm only (mod = 11). */
  ModrmRmReg = 3,
  /** Memory from ModRM.rm only (mod != 11). */
  ModrmRmMem = 4,
  /** Register from the low 3 opcode bits (+REX.B). */
  OpcodeReg = 5,
  /** Register from VEX.vvvv. */
  VvvvReg = 6,
  /** Register from imm8[7:4] (VEX /is4). */
  Is4Reg = 7,
  /** A fixed register (the descriptor's fixed-register field). */
  FixedReg = 8,
  /** imm8, zero-extended. */
  Imm8 = 9,
  /** imm16. */
  Imm16 = 10,
  /** imm32 (zero-extended). */
  Imm32 = 11,
  /** imm64. */
  Imm64 = 12,
  /** imm8 sign-extended to the operand size. */
  Imm8Sx = 13,
  /** imm32 sign-extended to 64 bits. */
  Imm32Sx64 = 14,
  /** Second imm8 (ENTER, EXTRQ, INSERTQ). */
  Imm8Second = 15,
  /** The constant 1 (shift/rotate by one). */
  Const1 = 16,
  /** rel8, target wrapped to the operand size. */
  Rel8 = 17,
  /** rel16. */
  Rel16 = 18,
  /** rel32 (sign-extended to 64 in 64-bit mode). */
  Rel32 = 19,
  /** ptr16:16 far pointer. */
  Ptr16x16 = 20,
  /** ptr16:32 far pointer. */
  Ptr16x32 = 21,
  /** moffs: a displacement of the address size, no ModRM. */
  Moffs = 22,
  /** seg:[rSI] string source. */
  StringSource = 23,
  /** ES:[rDI] string destination. */
  StringDestination = 24,
  /** seg:[rBX+AL] (XLAT). */
  XlatMemory = 25,
  /** seg:[rAX] / [rDI] implicit memory with no ModRM (MONITOR, MASKMOVQ...): fixed base in the descriptor's register class field. */
  ImplicitMemory = 26,
  /** imm8 sign-extended to 16 bits shown at the operand size (PUSH imm8). */
  Imm16Sx = 27,
  /** imm16 zero-extended as displayed (RET imm16, ENTER). Same decode as Imm16. */
  Imm16Zx = 28,
  /** rAX/rCX... sized by the address size (VMRUN rAX, INVLPGA, CLZERO): fixed register field holds the 64-bit register. */
  AddrSizeReg = 29,
  /** imm8[3:0] of the /is4 byte whose high nibble names a register (VPERMIL2PS/PD's m2z field). */
  Imm4 = 30,
}

/** Register classes a register operand can draw from. */
export enum RegisterClass {
  None = 0,
  Gpr8 = 1,
  Gpr16 = 2,
  Gpr32 = 3,
  Gpr64 = 4,
  Segment = 5,
  Cr = 6,
  Dr = 7,
  Tr = 8,
  Mm = 9,
  Xmm = 10,
  Ymm = 11,
  Zmm = 12,
  K = 13,
  Bnd = 14,
  St = 15,
  Tmm = 16,
}

/**
 * The size class of a memory operand: its width and how the Intel formatter names it.
 * Stable numbering; append only.
 */
export enum MemorySize {
  Unknown = 0,
  Byte = 1,
  Word = 2,
  Dword = 3,
  Qword = 4,
  Tbyte = 5,
  Xmmword = 6,
  Ymmword = 7,
  Zmmword = 8,
  /** m16:16 far pointer. */
  FarPtr16 = 9,
  /** m16:32 far pointer. */
  FarPtr32 = 10,
  /** m16:64 far pointer. */
  FarPtr64 = 11,
  /** m16&16 (BOUND). */
  Bound16 = 12,
  /** m32&32 (BOUND). */
  Bound32 = 13,
  /** m16&32 / m16&64 descriptor-table pointer (SGDT/LGDT...). */
  Fword = 14,
  /** m16&64 (LGDT in 64-bit mode). */
  Tword = 15,
  /** x87 float32. */
  Float32 = 16,
  /** x87 float64. */
  Float64 = 17,
  /** x87 float80. */
  Float80 = 18,
  /** x87 int16. */
  Int16 = 19,
  /** x87 int32. */
  Int32 = 20,
  /** x87 int64. */
  Int64 = 21,
  /** x87 packed BCD. */
  Bcd = 22,
  /** x87 environment (14/28 bytes). */
  FpuEnv = 23,
  /** x87 state (94/108 bytes). */
  FpuState = 24,
  /** FXSAVE area (512 bytes). */
  Fxsave = 25,
  /** XSAVE area. */
  Xsave = 26,
  /** m2byte (FSTCW etc.). */
  Word2 = 27,
  /** 384-bit (KEYLOCKER). */
  B384 = 28,
  /** 64-byte (MOVDIR64B, ENQCMD). */
  B512 = 29,
}

/** Width in bytes of each `MemorySize` (0 when it depends on the mode or is unknown). */
export const MEMORY_SIZE_BYTES: readonly number[] = [
  0, 1, 2, 4, 8, 10, 16, 32, 64, 4, 6, 10, 4, 8, 6, 10, 4, 8, 10, 2, 4, 8, 10, 28, 108, 512, 0, 2, 48, 64,
];
