// Named re-exports only: the public surface of @typevisor/x86-asm is exactly what this file names.
export { AsmError, type AsmErrorCode } from './asm-error.ts';
export { type AssembleOptions, type AssembleResult, assemble } from './assembler.ts';
export { encodeInstruction, operandsOf } from './encode-instruction.ts';
export {
  type Bits,
  canonicalMnemonic,
  type EncodeOptions,
  encode,
  encodeCodeInto,
  encodeInto,
  formValidIn,
  PREFIX_A16,
  PREFIX_A32,
  PREFIX_A64,
  PREFIX_LOCK,
  PREFIX_O16,
  PREFIX_O32,
  PREFIX_O64,
  PREFIX_REP,
  PREFIX_REPNE,
} from './encoder.ts';
export { formatListing, type ListingLine } from './listing.ts';
export {
  type FarPointerOperand,
  type ImmediateOperand,
  imm,
  immValue,
  type MemoryOperand,
  mem,
  type Operand,
  type RegisterOperand,
  reg,
} from './operand.ts';
export { registerByName } from './registers.ts';
export { type AsmTag, type AsmValue, asm } from './template.ts';
