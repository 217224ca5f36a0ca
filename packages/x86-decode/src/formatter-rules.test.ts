import { describe, expect, it } from 'vitest';
import { decodeTables } from './generated/tables.ts';
import { Decoder } from './decoder.ts';
import { branchAndRepPrefixText, lockPrefixText, memorySizeNeeded, shownSegment } from './formatter-rules.ts';
import { Instruction, OperandKind } from './instruction.ts';
import { Register } from './register.ts';

function decode(bits: 16 | 32 | 64, hex: string): Instruction {
  const insn = new Instruction();
  new Decoder(bits, new Uint8Array(hex.split(' ').map((h) => Number.parseInt(h, 16)))).decodeOut(insn);
  return insn;
}
const memOperand = (insn: Instruction): number => Array.from(insn.opKind).indexOf(OperandKind.Memory);
const hasMemory = (insn: Instruction): boolean => memOperand(insn) >= 0;

describe('formatter rules shared by the Intel and AT&T formatters', () => {
  it.each([
    [64, 'c7 00 01 00 00 00', true], // mov dword [rax],1: nothing else tells the size
    [64, '89 08', false], // mov [rax],ecx: the register does
    [64, 'd3 20', true], // shl dword [rax],cl: CL is fixed and says nothing about the size
    [64, '8c 18', false], // mov [rax],ds: a segment register tells a word
    [64, '0f 28 00', false], // movaps xmm0,[rax]: vector operand
    [64, 'f2 0f 2a 00', true], // cvtsi2sd xmm0,dword [rax]: fmt:size
  ] as const)('memorySizeNeeded on %i-bit %s is %s', (bits, hex, needed) => {
    const insn = decode(bits, hex);
    expect(memorySizeNeeded(insn, memOperand(insn), decodeTables.CODE_ATTRS[insn.code]!)).toBe(needed);
  });

  it.each([
    [64, '3e 8b 00', Register.None], // DS ignored in 64-bit mode
    [64, '64 8b 00', Register.FS],
    [32, '3e 8b 00', Register.None], // DS is the default
    [32, '36 8b 00', Register.SS],
    [32, '36 8b 45 00', Register.None], // SS is the default with an EBP base
  ] as const)('shownSegment on %i-bit %s', (bits, hex, seg) => {
    expect(shownSegment(decode(bits, hex), false)).toBe(seg);
  });

  it('shows HLE hints only on a locked memory operation and the last of F2/F3 as REP', () => {
    const xacquire = decode(64, 'f2 f0 01 00');
    expect(lockPrefixText(xacquire, decodeTables.CODE_ATTRS[xacquire.code]!, hasMemory(xacquire), false)).toBe(
      'xacquire lock ',
    );
    const repne = decode(64, 'f3 f2 a6');
    expect(branchAndRepPrefixText(repne, decodeTables.CODE_ATTRS[repne.code]!, false)).toBe('repne ');
    const bnd = decode(64, 'f2 e8 00 00 00 00');
    expect(branchAndRepPrefixText(bnd, decodeTables.CODE_ATTRS[bnd.code]!, false)).toBe('bnd ');
  });
});
