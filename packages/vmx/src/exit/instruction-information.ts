// The VM-exit instruction-information field (SDM 3C 28.2.5, Tables 28-9 to 28-14) and the
// displacement exit qualification (SDM 3C 28.2.1) of the instructions that report their
// operands: VMCLEAR, VMPTRLD, VMPTRST, VMXON, VMREAD, VMWRITE, INVEPT, INVVPID, INVPCID, the
// descriptor-table instructions and RDRAND/RDSEED. Bits the SDM leaves undefined are 0.

/** The decoded operands the CPU reports (structurally @typevisor/cpu's `VmxOperands`). */
export interface DecodedOperands {
  readonly instructionLength: number;
  readonly isMemory: boolean;
  readonly linearLo: number;
  readonly linearHi: number;
  /** GPR of a register r/m operand (Reg1), or -1. */
  readonly rmRegister?: number;
  /** GPR of the ModRM.reg operand (Reg2), or -1. */
  readonly regRegister?: number;
  /** Operand size in bytes. */
  readonly operandSize?: number;
  /** Address size in bytes (2, 4, 8). */
  readonly addressSize?: number;
  /** Segment register of the memory operand (0 ES .. 5 GS). */
  readonly segment?: number;
  /** Base and index GPRs (-1 = none) and log2 of the scale. */
  readonly baseRegister?: number;
  readonly indexRegister?: number;
  readonly scale?: number;
  /** The displacement sign-extended to 64 bits (RIP-relative: plus the next instruction's RIP). */
  readonly displacementLo?: number;
  readonly displacementHi?: number;
}

/** Bit 10 of the field: the operand is a register (1) or memory (0). */
export const INSTRUCTION_INFO_REGISTER = 1 << 10;
/** Bit 22: no index register. */
export const INSTRUCTION_INFO_INDEX_INVALID = 1 << 22;
/** Bit 27: no base register. */
export const INSTRUCTION_INFO_BASE_INVALID = 1 << 27;

/**
 * The memory-operand part every table shares: scaling 1:0, address size 9:7 (0 = 16-bit,
 * 1 = 32-bit, 2 = 64-bit), segment 17:15, index 21:18 with its invalid bit 22, base 26:23 with
 * its invalid bit 27.
 */
export function memoryOperandInformation(o: DecodedOperands): number {
  const addressSize = o.addressSize === 8 ? 2 : o.addressSize === 4 ? 1 : 0;
  const index = o.indexRegister ?? -1;
  const base = o.baseRegister ?? -1;
  let info = (addressSize << 7) | ((o.segment ?? 0) << 15);
  info |= index < 0 ? INSTRUCTION_INFO_INDEX_INVALID : ((o.scale ?? 0) & 3) | (index << 18);
  info |= base < 0 ? INSTRUCTION_INFO_BASE_INVALID : base << 23;
  return info >>> 0;
}

/**
 * The r/m operand of an instruction whose operand may be a register: memory form as
 * {@link memoryOperandInformation}, register form bit 10 with the register as Reg1 (6:3).
 */
function rmOperandInformation(o: DecodedOperands): number {
  if (o.isMemory) return memoryOperandInformation(o);
  return (INSTRUCTION_INFO_REGISTER | (((o.rmRegister ?? 0) & 15) << 3)) >>> 0;
}

/** The VMX instructions as the CPU numbers them (`VmxOperation`). */
const VMCLEAR = 1;
const VMPTRLD = 3;
const VMPTRST = 4;
const VMREAD = 5;
const VMWRITE = 7;
const VMXON = 9;
const INVEPT = 10;
const INVVPID = 11;

/**
 * Instruction information of a VMX instruction exit (SDM 3C Tables 28-9, 28-13 and 28-14):
 * VMCLEAR/VMPTRLD/VMPTRST/VMXON their memory operand; VMREAD/VMWRITE their r/m operand and
 * the field register as Reg2 (31:28); INVEPT/INVVPID the descriptor and the type register as
 * Reg2. VMCALL, VMLAUNCH, VMRESUME, VMXOFF and VMFUNC report none (0).
 */
export function vmxInstructionInformation(op: number, o: DecodedOperands): number {
  const reg2 = ((o.regRegister ?? 0) & 15) << 28;
  switch (op) {
    case VMCLEAR:
    case VMPTRLD:
    case VMPTRST:
    case VMXON:
      return memoryOperandInformation(o);
    case VMREAD:
    case VMWRITE:
      return (rmOperandInformation(o) | reg2) >>> 0;
    case INVEPT:
    case INVVPID:
      return (memoryOperandInformation(o) | reg2) >>> 0;
    default:
      return 0;
  }
}

/** INVPCID (SDM 3C Table 28-13): the descriptor operand and the type register as Reg2. */
export function invpcidInformation(o: DecodedOperands): number {
  return (memoryOperandInformation(o) | (((o.regRegister ?? 0) & 15) << 28)) >>> 0;
}

/** Descriptor-table instructions as the CPU's `ConditionalExit` numbers them. */
const LGDT = 6;
const LIDT = 7;
const SGDT = 8;
const SIDT = 9;
const LLDT = 10;
const LTR = 11;
const SLDT = 12;
const STR = 13;
const RDRAND = 4;
const RDSEED = 5;

/**
 * Instruction information of a conditional exit that has one (`kind` as the CPU's
 * `ConditionalExit`): LGDT/LIDT/SGDT/SIDT (Table 28-10: memory operand, operand size 11 = 1
 * for 32-bit, instruction identity 29:28 SGDT 0, SIDT 1, LGDT 2, LIDT 3), LLDT/LTR/SLDT/STR
 * (Table 28-11: r/m operand, identity SLDT 0, STR 1, LLDT 2, LTR 3), RDRAND/RDSEED (Table
 * 28-12: destination register 6:3, operand size 12:11 = 0/1/2 for 16/32/64-bit); else 0.
 */
export function conditionalInstructionInformation(kind: number, o: DecodedOperands): number {
  switch (kind) {
    case SGDT:
    case SIDT:
    case LGDT:
    case LIDT: {
      const identity = kind === SGDT ? 0 : kind === SIDT ? 1 : kind === LGDT ? 2 : 3;
      const size32 = o.operandSize === 4 ? 1 << 11 : 0;
      return (memoryOperandInformation(o) | size32 | (identity << 28)) >>> 0;
    }
    case SLDT:
    case STR:
    case LLDT:
    case LTR: {
      const identity = kind === SLDT ? 0 : kind === STR ? 1 : kind === LLDT ? 2 : 3;
      return (rmOperandInformation(o) | (identity << 28)) >>> 0;
    }
    case RDRAND:
    case RDSEED: {
      const size = o.operandSize === 8 ? 2 : o.operandSize === 4 ? 1 : 0;
      return ((((o.rmRegister ?? 0) & 15) << 3) | (size << 11)) >>> 0;
    }
    default:
      return 0;
  }
}

/**
 * The exit qualification of an instruction with a memory operand (SDM 3C 28.2.1): its
 * displacement sign-extended to 64 bits, 0 for a register operand. Writes lo/hi into `out`.
 */
export function displacementQualification(o: DecodedOperands, out: Uint32Array): void {
  out[0] = o.isMemory ? (o.displacementLo ?? 0) >>> 0 : 0;
  out[1] = o.isMemory ? (o.displacementHi ?? 0) >>> 0 : 0;
}
