// The decoder's Instruction model -> bytes: the encoder's inverse of Decoder.decodeOut.
import { type Instruction, OperandKind, PREFIX_LOCK, PREFIX_REP, PREFIX_REPNE, Register } from '@typevisor/x86-decode';
import { AsmError } from './asm-error.ts';
import { type Bits, encodeCodeInto } from './encoder.ts';
import { ATTR_FAR, F_ATTRS, F_MAP, F_PFX, field } from './form-table.ts';
import type { Operand } from './operand.ts';

const out = new Uint8Array(16);

/** The encoder operands that describe a decoded instruction's operands, in order. */
export function operandsOf(insn: Instruction): Operand[] {
  const ops: Operand[] = [];
  for (let k = 0; k < insn.opCount; k++) {
    switch (insn.opKind[k]) {
      case OperandKind.Register:
        ops.push({ kind: 'reg', reg: insn.opRegister[k]! });
        break;
      case OperandKind.Memory:
      case OperandKind.MemoryStringSource:
      case OperandKind.MemoryStringDestination: {
        const rip = insn.memBase === Register.RIP || insn.memBase === Register.EIP;
        const disp = (insn.memDisplacementHi | 0) * 4294967296 + insn.memDisplacementLo;
        ops.push({
          kind: 'mem',
          size: 0,
          segment: insn.segmentPrefix,
          base: insn.memBase === Register.RIP ? Register.None : insn.memBase,
          index: insn.memIndex,
          scale: insn.memScale,
          displacement: disp,
          relocatable: false,
          ripRelative: rip,
          far: (field(insn.code, F_ATTRS) & ATTR_FAR) !== 0,
        });
        break;
      }
      case OperandKind.Immediate:
        ops.push({
          kind: 'imm',
          lo: insn.immediateLo,
          hi: insn.immediateHi | 0,
          size: 0,
          relocatable: false,
          known: true,
          jump: '',
        });
        break;
      case OperandKind.Immediate2:
        ops.push({ kind: 'imm', lo: insn.immediate2 >>> 0, hi: 0, size: 0, relocatable: false, known: true, jump: '' });
        break;
      case OperandKind.NearBranch:
        ops.push({
          kind: 'imm',
          lo: insn.branchLo,
          hi: insn.branchHi | 0,
          size: 0,
          relocatable: false,
          known: true,
          jump: '',
        });
        break;
      case OperandKind.FarBranch:
        ops.push({ kind: 'far', selector: insn.farSelector, offset: insn.farOffset });
        break;
      default:
        throw new AsmError('usage', `operand ${k} has an unknown kind ${insn.opKind[k]}`);
    }
  }
  return ops;
}

/**
 * Encodes a decoded instruction (the decoder's `Instruction`) back to bytes with the same
 * form (`insn.code`), operands, LOCK/REP prefixes and segment override, at `insn`'s address.
 *
 * @example
 * ```ts
 * import { Decoder, Instruction } from '@typevisor/x86-decode';
 * import { encodeInstruction } from '@typevisor/x86-asm';
 * const insn = new Instruction();
 * new Decoder(64, new Uint8Array([0x48, 0x01, 0xd8])).decodeOut(insn);
 * encodeInstruction(insn); // Uint8Array [0x48, 0x01, 0xd8]
 * ```
 */
export function encodeInstruction(insn: Instruction): Uint8Array {
  // An F3/F2 that is the form's mandatory prefix (PAUSE, SUBSS, POPCNT) is not a REP prefix.
  const mandatoryRep = field(insn.code, F_PFX) >= 2 && field(insn.code, F_MAP) < 4;
  const prefixes =
    (insn.prefixes & PREFIX_LOCK ? 1 : 0) |
    (insn.prefixes & PREFIX_REP && !mandatoryRep ? 2 : 0) |
    (insn.prefixes & PREFIX_REPNE && !mandatoryRep ? 4 : 0);
  const ip = insn.ipHi * 4294967296 + insn.ipLo;
  const n = encodeCodeInto(out, 0, insn.code, operandsOf(insn), insn.bitness as Bits, ip, prefixes);
  return out.slice(0, n);
}
