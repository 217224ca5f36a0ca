import { decodeTables, INFO_ROWS, infoOffset } from './generated/tables.ts';
import { MEMORY_SIZE_BYTES } from './operand-type.ts';
import { Register } from './register.ts';

/** Offset in FLAG_ROWS of a code's five RFLAGS masks. */
function flagRow(code: number): number {
  return INFO_ROWS[infoOffset(code) + 7]! * 5;
}

/** Outcome of one decode. An invalid or truncated instruction still has a `length` (bytes consumed). */
export enum DecodeStatus {
  /** A valid instruction. */
  Ok = 0,
  /** The bytes do not encode an instruction in this mode (`code` is `0`, `mnemonic` is `INVALID`). */
  Invalid = 1,
  /** The buffer ended before the instruction did; `length` is the number of bytes that were available. */
  Truncated = 2,
  /**
   * A well-formed encoding of a class this version recognises but does not decode yet
   * (EVEX / AVX-512): `length` is exact, `code` is 0 and there are no operands.
   */
  Unsupported = 3,
}

/** What an operand slot holds. */
export enum OperandKind {
  /** No operand in this slot. */
  None = 0,
  /** `opRegister[i]` names the register. */
  Register = 1,
  /** The instruction's memory operand, described by the `mem*` fields. */
  Memory = 2,
  /** An immediate: `immediateLo/Hi` (second immediate of ENTER/EXTRQ/INSERTQ: `immediate2`). */
  Immediate = 3,
  /** A near branch; the absolute target is `branchLo/Hi` (computed from the IP and the displacement). */
  NearBranch = 4,
  /** A far pointer `selector:offset`: `farSelector`, `farOffset`. */
  FarBranch = 5,
  /** String source `seg:[SI/ESI/RSI]` (MOVS, LODS, CMPS, OUTS); segment in `memSegment`. */
  MemoryStringSource = 6,
  /** String destination `ES:[DI/EDI/RDI]` (MOVS, STOS, SCAS, CMPS, INS). */
  MemoryStringDestination = 7,
  /** The second immediate of ENTER / EXTRQ / INSERTQ: `immediate2`. */
  Immediate2 = 8,
}

/** Prefix bits in {@link Instruction.prefixes}. */
export const PREFIX_LOCK = 0x1;
/** F3 (REP/REPE) was present. */
export const PREFIX_REP = 0x2;
/** F2 (REPNE) was present. */
export const PREFIX_REPNE = 0x4;
/** 66 (operand-size override) was present. */
export const PREFIX_OPERAND_SIZE = 0x8;
/** 67 (address-size override) was present. */
export const PREFIX_ADDRESS_SIZE = 0x10;
/** A segment override was present (the register is in `segmentPrefix`). */
export const PREFIX_SEGMENT = 0x20;
/** A REX prefix was in effect (it immediately preceded the opcode); its value is `rex`. */
export const PREFIX_REX = 0x40;
/** The instruction is VEX-encoded (C4/C5). */
export const PREFIX_VEX = 0x80;
/** The instruction is EVEX-encoded (62). */
export const PREFIX_EVEX = 0x100;

/** Maximum number of operands an instruction has. */
export const MAX_OPERANDS = 5;

/**
 * A decoded instruction. Caller-owned and reused: `decoder.decodeOut(insn)` fills it,
 * allocating nothing. Read fields directly; they are plain numbers. To stay fast the decoder
 * writes only what the instruction has: the `mem*` fields are meaningful only when an operand
 * is `Memory`/`MemoryStringSource`, `immediate*` only with an `Immediate` operand, `branch*`
 * only with a `NearBranch`, `far*` only with a `FarBranch`; after an invalid decode only
 * `status`, `code`, `mnemonic`, `opCount` and `length` are meaningful.
 *
 * 64-bit values (IP, branch targets, displacements, immediates) are split into unsigned
 * 32-bit halves `xxxLo` / `xxxHi` (value = `hi * 2**32 + lo`, two's complement over 64 bits).
 */
export class Instruction {
  /** Decode status; `code` and `mnemonic` are 0 unless `Ok`. */
  status: DecodeStatus = DecodeStatus.Invalid;
  /** Stable number of the instruction form (see `Code` / `codeName`); 0 = invalid. */
  code = 0;
  /** Length in bytes (1..15 when Ok). */
  length = 0;
  /** Decoding mode: 16, 32 or 64. */
  bitness = 64;
  /** Address of the first byte, low/high halves. */
  ipLo = 0;
  ipHi = 0;
  /** Number of operands in `opKind`. */
  opCount = 0;
  /** Kind of each operand (`OperandKind`), Intel order (destination first). */
  readonly opKind: Uint8Array = new Uint8Array(MAX_OPERANDS);
  /** Register of each `Register` operand. */
  readonly opRegister: Uint16Array = new Uint16Array(MAX_OPERANDS);
  /** Effective operand size in bytes (2, 4, 8) as selected by mode/66/REX.W, for forms where it applies. */
  operandSize = 4;
  /** Effective address size in bytes (2, 4, 8). */
  addressSize = 4;
  /** Memory operand: effective segment register (after overrides and 64-bit rules). */
  memSegment: Register = Register.None;
  /** Memory operand: base register (`RIP`/`EIP` for RIP-relative; then the displacement is the absolute target). */
  memBase: Register = Register.None;
  /** Memory operand: index register. */
  memIndex: Register = Register.None;
  /** Memory operand: scale 1, 2, 4 or 8. */
  memScale = 1;
  /**
   * Memory operand: displacement, sign-extended to the address size and stored as a
   * 64-bit two's-complement lo/hi pair (for 16/32-bit addressing `memDisplacementHi` is 0 and
   * `memDisplacementLo` is the value truncated to the address size). For RIP-relative
   * operands this is the absolute address (next IP + disp32), as iced-x86 reports it.
   */
  memDisplacementLo = 0;
  memDisplacementHi = 0;
  /** Size in bytes of the encoded displacement (0, 1, 2, 4, 8). */
  memDisplacementSize = 0;
  /** Memory operand size class (`MemorySize`), which also tells the formatter how to name it. */
  memSizeKind = 0;
  /** Immediate value (sign- or zero-extended to the operand width as the instruction defines), lo/hi. */
  immediateLo = 0;
  immediateHi = 0;
  /** Size in bytes of the encoded immediate. */
  immediateSize = 0;
  /** Second immediate (ENTER's nesting level, EXTRQ/INSERTQ index). */
  immediate2 = 0;
  /** Near branch target, lo/hi (already wrapped to the operand size). */
  branchLo = 0;
  branchHi = 0;
  /** Far pointer selector and offset (`JMP/CALL ptr16:16/32`). */
  farSelector = 0;
  farOffset = 0;
  /** `PREFIX_*` bits. */
  prefixes = 0;
  /** Segment override prefix register (last one wins), `None` if none. */
  segmentPrefix: Register = Register.None;
  /** The last of the F2/F3 prefixes (0xf2 or 0xf3), 0 if neither: it decides REP vs REPNE. */
  lastRepPrefix = 0;
  /** REX byte value in effect (0x40..0x4f), or 0. */
  rex = 0;
  /** VEX.L / EVEX.L'L vector length: 0 = 128, 1 = 256, 2 = 512 (512 under EVEX embedded rounding / SAE). */
  vectorLength = 0;
  // EVEX (AVX-512) decorations: set by EVEX-encoded instructions (`prefixes` has PREFIX_EVEX);
  // every other decode leaves them at their defaults (no opmask, merging, no broadcast/rounding).
  /**
   * True while the EVEX decoration fields below may hold non-default values; the decoder resets
   * them before the next decode into this object. Internal bookkeeping: read the fields instead.
   */
  evexDecorated = false;
  /** EVEX: the opmask register `{k1}`..`{k7}` (`Register.K1`..), or `Register.None` for EVEX.aaa = 0 (no masking). */
  opmask: Register = Register.None;
  /** EVEX: `{z}` zeroing-masking (EVEX.z) instead of merging-masking. */
  zeroingMasking = false;
  /**
   * EVEX: embedded broadcast `{1toN}` (EVEX.b with a memory operand): the memory operand is one
   * element, broadcast to every lane; `memSizeKind` is then the element's size (Word/Dword/Qword).
   */
  broadcast = false;
  /**
   * EVEX: embedded rounding (EVEX.b on a register form of an `{er}` instruction): 1 = round to
   * nearest `{rn-sae}`, 2 = down `{rd-sae}`, 3 = up `{ru-sae}`, 4 = toward zero `{rz-sae}`; 0 = none.
   * The numbering is iced-x86's `RoundingControl`.
   */
  roundingControl = 0;
  /** EVEX: exceptions suppressed (`{sae}`, also implied by embedded rounding). */
  suppressAllExceptions = false;
  // Per-form facts are looked up from `code` on demand, so decoding does not copy them.

  /** Mnemonic id (`mnemonicName(id)`); 0 = invalid. */
  get mnemonic(): number {
    return decodeTables.CODE_MNEMONIC[this.code]!;
  }

  /** RFLAGS bits (`FLAG_*`) the instruction reads. */
  get flagsRead(): number {
    return decodeTables.FLAG_ROWS[flagRow(this.code)]!;
  }

  /** RFLAGS bits the instruction modifies in any way (includes cleared, set and undefined). */
  get flagsWritten(): number {
    return decodeTables.FLAG_ROWS[flagRow(this.code) + 1]!;
  }

  /** RFLAGS bits left undefined. */
  get flagsUndefined(): number {
    return decodeTables.FLAG_ROWS[flagRow(this.code) + 2]!;
  }

  /** RFLAGS bits always cleared. */
  get flagsCleared(): number {
    return decodeTables.FLAG_ROWS[flagRow(this.code) + 3]!;
  }

  /** RFLAGS bits always set. */
  get flagsSet(): number {
    return decodeTables.FLAG_ROWS[flagRow(this.code) + 4]!;
  }

  /** Size in bytes of the memory operand (0 for `m` operands without a size, e.g. LEA, INVLPG). */
  get memSize(): number {
    return MEMORY_SIZE_BYTES[this.memSizeKind]!;
  }

  /** CPUID feature the form needs (`cpuFeatureName(id)`). */
  get cpuFeature(): number {
    return decodeTables.CODE_CPU[this.code]!;
  }

  /** Address of the next instruction as a number; exact when below 2^53. */
  get nextIp(): number {
    return this.ipHi * 4294967296 + this.ipLo + this.length;
  }

  /** The immediate as a number (exact below 2^53; negative values for sign-extended 64-bit immediates are not reinterpreted). */
  get immediate(): number {
    return this.immediateHi * 4294967296 + this.immediateLo;
  }

  /** The near branch target as a number (exact below 2^53). */
  get branchTarget(): number {
    return this.branchHi * 4294967296 + this.branchLo;
  }
}
