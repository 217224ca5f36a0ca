// Named re-exports only: the public surface of @typevisor/x86-decode is exactly what this file names.
export {
  FLAG_AC,
  FLAG_AF,
  FLAG_CF,
  FLAG_DF,
  FLAG_ID,
  FLAG_IF,
  FLAG_IOPL,
  FLAG_NT,
  FLAG_OF,
  FLAG_PF,
  FLAG_RF,
  FLAG_SF,
  FLAG_TF,
  FLAG_VIF,
  FLAG_VIP,
  FLAG_VM,
  FLAG_ZF,
} from './cpu-flags.ts';
export { Decoder, DecoderError, type DecoderOptions } from './decoder.ts';
export {
  DecodeStatus,
  Instruction,
  MAX_OPERANDS,
  OperandKind,
  PREFIX_ADDRESS_SIZE,
  PREFIX_EVEX,
  PREFIX_LOCK,
  PREFIX_OPERAND_SIZE,
  PREFIX_REP,
  PREFIX_REPNE,
  PREFIX_REX,
  PREFIX_SEGMENT,
  PREFIX_VEX,
} from './instruction.ts';
export { codeName, CODE_COUNT, cpuFeatureName, findCode, mnemonicName, findMnemonic } from './code-info.ts';
export { MEMORY_SIZE_BYTES, MemorySize } from './operand-type.ts';
export { Register, REGISTER_COUNT, registerName, registerNumber, registerSize } from './register.ts';
export { IntelFormatter } from './intel-formatter.ts';
export { AttFormatter } from './att-formatter.ts';
export { type ElfText, findElfText, isElf } from './elf-text.ts';
export { OperandType, RegisterClass } from './operand-type.ts';
export { type DecodeTables, decodeTables } from './generated/tables.ts';
export { type DisassembleOptions, disassembleEach, disassembleLines } from './disassemble.ts';
