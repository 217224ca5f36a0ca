import { describe, expect, it } from 'vitest';
import { codeName, mnemonicName } from './code-info.ts';
import { FLAG_AF, FLAG_CF, FLAG_OF } from './cpu-flags.ts';
import { Decoder, DecoderError, Prefix } from './decoder.ts';
import {
  DecodeStatus,
  Instruction,
  OperandKind,
  PREFIX_ADDRESS_SIZE,
  PREFIX_LOCK,
  PREFIX_OPERAND_SIZE,
  PREFIX_REP,
  PREFIX_REPNE,
  PREFIX_REX,
  PREFIX_SEGMENT,
  PREFIX_VEX,
} from './instruction.ts';
import { Register } from './register.ts';

const hex = (s: string): Uint8Array =>
  new Uint8Array(
    s
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((h) => Number.parseInt(h, 16)),
  );

function decode(bits: 16 | 32 | 64, bytes: string, ip = 0): Instruction {
  const insn = new Instruction();
  new Decoder(bits, hex(bytes), { ip }).decodeOut(insn);
  return insn;
}

describe('Decoder', () => {
  it('sets the public PREFIX_* bits through its own inlined Prefix enum', () => {
    expect([Prefix.Lock, Prefix.Rep, Prefix.Repne, Prefix.OperandSize, Prefix.AddressSize]).toEqual([
      PREFIX_LOCK,
      PREFIX_REP,
      PREFIX_REPNE,
      PREFIX_OPERAND_SIZE,
      PREFIX_ADDRESS_SIZE,
    ]);
    expect([Prefix.Segment, Prefix.Rex, Prefix.Vex]).toEqual([PREFIX_SEGMENT, PREFIX_REX, PREFIX_VEX]);
  });

  it.each([
    [64, '48 8b 07', 'Mov_r64_rm64', 3],
    [64, '01 c8', 'Add_rm32_r32', 2],
    [32, '66 01 c8', 'Add_rm16_r16', 3],
    [16, '01 c8', 'Add_rm16_r16', 2],
    [16, '66 01 c8', 'Add_rm32_r32', 3],
    [64, '48 b8 88 77 66 55 44 33 22 11', 'Mov_r64_imm64', 10],
    [64, '6a ff', 'Push_imm8_o64', 2],
    [64, 'f3 90', 'Pause', 2],
    [64, '41 90', 'Xchg_r32_eax', 2],
  ] as const)('decodes %i-bit %s as %s (%i bytes)', (bits, bytes, name, length) => {
    const insn = decode(bits, bytes);
    expect(insn.status).toBe(DecodeStatus.Ok);
    expect(codeName(insn.code)).toBe(name);
    expect(insn.length).toBe(length);
  });

  it('fills register and memory operands with SIB, REX and displacement', () => {
    const insn = decode(64, '4a 8b 4c 8d fc'); // mov rcx,[rbp+r9*4-4]
    expect(insn.rex).toBe(0x4a);
    expect(insn.prefixes & PREFIX_REX).toBe(PREFIX_REX);
    expect(insn.opKind[0]).toBe(OperandKind.Register);
    expect(insn.opRegister[0]).toBe(Register.RCX);
    expect(insn.opKind[1]).toBe(OperandKind.Memory);
    expect([insn.memBase, insn.memIndex, insn.memScale]).toEqual([Register.RBP, Register.R9, 4]);
    expect([insn.memDisplacementLo, insn.memDisplacementHi, insn.memDisplacementSize]).toEqual([
      0xfffffffc, 0xffffffff, 1,
    ]);
    expect(insn.memSegment).toBe(Register.SS);
  });

  it('resolves RIP-relative displacements to the absolute address', () => {
    const insn = decode(64, '8b 05 10 00 00 00', 0x1000);
    expect(insn.memBase).toBe(Register.RIP);
    expect(insn.memDisplacementLo).toBe(0x1016);
  });

  it('computes near branch targets from the IP, wrapped to the operand size', () => {
    expect(decode(64, 'e8 00 00 00 00', 0x1000).branchTarget).toBe(0x1005);
    expect(decode(16, 'eb fc', 0).branchTarget).toBe(0xfffe);
    const far = decode(64, 'e9 00 00 00 80', 0xffffffff_fffff000);
    expect([far.branchHi, far.branchLo]).toEqual([0xffffffff, 0x7ffff005]);
  });

  it('uses 16-bit addressing forms', () => {
    const insn = decode(16, '8b 42 02'); // mov ax,[bp+si+2]
    expect([insn.memBase, insn.memIndex, insn.memDisplacementLo, insn.memSegment]).toEqual([
      Register.BP,
      Register.SI,
      2,
      Register.SS,
    ]);
  });

  it('ignores a REX prefix that does not immediately precede the opcode', () => {
    const insn = decode(64, '48 66 01 c8');
    expect(insn.rex).toBe(0);
    expect(codeName(insn.code)).toBe('Add_rm16_r16');
  });

  it('lets the last segment override win and ignores ES/CS/SS/DS in 64-bit mode', () => {
    expect(decode(32, '26 64 8b 00').memSegment).toBe(Register.FS);
    expect(decode(64, '26 8b 00').memSegment).toBe(Register.DS);
    expect(decode(64, '65 8b 00').memSegment).toBe(Register.GS);
  });

  it('rejects LOCK on a register destination and on instructions that cannot be locked', () => {
    expect(decode(64, 'f0 01 c0').status).toBe(DecodeStatus.Invalid);
    expect(decode(64, 'f0 8b 00').status).toBe(DecodeStatus.Invalid);
    const ok = decode(64, 'f0 01 00');
    expect(ok.status).toBe(DecodeStatus.Ok);
    expect(ok.prefixes & PREFIX_LOCK).toBe(PREFIX_LOCK);
  });

  it('reports truncated input with the bytes that were available', () => {
    const insn = decode(64, '8b 05 10');
    expect(insn.status).toBe(DecodeStatus.Truncated);
    expect(insn.length).toBe(3);
  });

  it('enforces the 15-byte limit', () => {
    const insn = decode(64, `${'66 '.repeat(15)}90`);
    expect(insn.status).toBe(DecodeStatus.Invalid);
    expect(insn.length).toBe(15);
    expect(decode(64, `${'66 '.repeat(14)}90`).status).toBe(DecodeStatus.Ok);
  });

  it('rejects instructions that are invalid in 64-bit mode', () => {
    expect(decode(64, '06').status).toBe(DecodeStatus.Invalid);
    expect(decode(32, '06').status).toBe(DecodeStatus.Ok);
  });

  it('reports the flags an instruction reads, writes and leaves undefined', () => {
    const adc = decode(64, '11 c0');
    expect(adc.flagsRead).toBe(FLAG_CF);
    expect(adc.flagsWritten & (FLAG_OF | FLAG_CF)).toBe(FLAG_OF | FLAG_CF);
    const and = decode(64, '21 c0');
    expect(and.flagsUndefined).toBe(FLAG_AF);
    expect(and.flagsCleared).toBe(FLAG_OF | FLAG_CF);
    expect(mnemonicName(and.mnemonic)).toBe('AND');
  });

  it('advances position and IP by the instruction length, one byte for an invalid one', () => {
    const d = new Decoder(64, hex('90 0f 04 90'), { ip: 0x10 });
    const insn = new Instruction();
    d.decodeOut(insn);
    expect([d.position, d.ip]).toEqual([1, 0x11]);
    d.decodeOut(insn);
    expect(insn.status).toBe(DecodeStatus.Invalid);
    expect(d.position).toBeGreaterThan(1);
  });

  it('throws a DecoderError for a bad bitness', () => {
    expect(() => new Decoder(8 as 16, new Uint8Array(1))).toThrow(DecoderError);
  });
});
