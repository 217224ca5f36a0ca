import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { Decoder } from './decoder.ts';
import { Instruction } from './instruction.ts';
import { IntelFormatter } from './intel-formatter.ts';

const hex = (s: string): Uint8Array => new Uint8Array(s.split(' ').map((h) => Number.parseInt(h, 16)));

function format(bits: 16 | 32 | 64, bytes: string): string {
  const insn = new Instruction();
  new Decoder(bits, hex(bytes), { ip: 0x1000 }).decodeOut(insn);
  return new IntelFormatter().format(insn);
}

describe('IntelFormatter', () => {
  it.each([
    [64, '48 8b 07', 'mov rax,[rdi]', 'no memory size where a register gives it'],
    [64, 'c7 40 08 01 00 00 00', 'mov dword ptr [rax+8],1', 'a memory size where nothing else gives it'],
    [64, '48 c7 c0 ff ff ff ff', 'mov rax,0FFFFFFFFFFFFFFFFh', 'hex with a leading 0 before a letter and an h suffix'],
    [64, 'e8 00 00 00 00', 'call 0000000000001005h', 'branch targets padded to the mode width'],
    [64, 'eb fe', 'jmp short 0000000000001000h', 'short for rel8 jumps'],
    [64, '8b 05 10 00 00 00', 'mov eax,[1016h]', 'RIP-relative operands as absolute addresses'],
    [64, '8b 4c 8d fc', 'mov ecx,[rbp+rcx*4-4]', 'negative displacements with a minus sign'],
    [64, '8b 04 cd 00 00 00 00', 'mov eax,[rcx*8]', 'scale without base'],
    [64, 'f3 a4', 'rep movsb [rdi],[rsi]', 'string operands and rep'],
    [64, 'f3 a6', 'repe cmpsb [rsi],[rdi]', 'repe on compare strings'],
    [64, 'f2 f0 01 00', 'xacquire lock add [rax],eax', 'HLE prefixes before lock'],
    [64, '3e ff 10', 'notrack call qword ptr [rax]', 'notrack'],
    [64, 'f2 c3', 'bnd ret', 'bnd'],
    [64, '2e 74 00', 'hint-not-taken je short 0000000000001003h', 'branch hints'],
    [32, '66 6a 01', 'data16 push 1', 'an operand-size prefix the text cannot show'],
    [32, '67 e2 fe', 'addr16 loop 00001001h', 'an address-size prefix on LOOP'],
    [64, 'd9 c9', 'fxch', 'x87 ST(1) forms without operands'],
    [64, 'd8 c0', 'fadd st,st(0)', 'st for the implicit top, st(0) from ModRM'],
    [64, '0f c2 c1 00', 'cmpeqps xmm0,xmm1', 'CMPPS predicate pseudo-ops'],
    [64, '66 0f 3a 44 c1 11', 'pclmulhqhqdq xmm0,xmm1', 'PCLMULQDQ pseudo-ops'],
    [64, '6b c0 05', 'imul eax,5', 'two-operand IMUL when destination and source are the same'],
    [16, 'ea 00 10 00 20', 'jmp far 1000h,2000h', 'far pointers'],
    [64, '0f 04', '(bad)', '(bad) for an invalid encoding'],
  ] as const)('%i-bit %s -> %s (%s)', (bits, bytes, text, _why) => {
    expect(format(bits, bytes)).toBe(text);
  });
});

describe('IntelFormatter hex text', () => {
  const require = createRequire(import.meta.url);
  // biome-ignore lint/suspicious/noExplicitAny: iced-x86 ships CommonJS with wasm glue
  const iced: any = require('iced-x86');
  const icedFormatter = new iced.Formatter(iced.FormatterSyntax.Intel);
  const ours = new IntelFormatter();
  it.each([
    [64, 0xffffffff, 0xfffff000, 'e8 00 00 00 00'],
    [64, 0xffffffff, 0xfffff000, 'eb 7f'],
    [64, 0x00007f12, 0x89abc000, 'e9 00 00 00 80'],
    [64, 0x00007f12, 0x89abc000, '8b 05 f0 ff ff ff'],
    [64, 0x0000000a, 0x00000000, 'e8 00 00 00 00'],
    [64, 0, 0x1000, '48 b8 ef cd ab 89 67 45 23 a1'],
    [64, 0, 0x1000, '48 b8 00 00 00 00 0f 00 00 00'],
    [64, 0, 0x1000, '48 b8 0a 00 00 00 01 00 00 00'],
    [64, 0, 0x1000, 'c7 80 00 00 00 b0 ff 0f 00 00'],
    [64, 0, 0x1000, '8b 04 25 ff ff ff 7f'],
    [32, 0, 0xa0000000, 'e9 00 00 00 00'],
    [32, 0, 0x0fff0000, 'eb fe'],
    [32, 0, 0x1000, 'b8 00 00 00 a0'],
    [16, 0, 0xa000, 'e8 00 00'],
    [16, 0, 0x0ff0, 'b8 fa 0a'],
  ] as const)('%i-bit at %s:%s: %s formats numbers as iced does', (bits, ipHi, ipLo, bytes) => {
    const data = hex(bytes);
    const insn = new Instruction();
    const decoder = new Decoder(bits, data);
    decoder.setIp(ipLo, ipHi);
    decoder.decodeOut(insn);
    const theirs = new iced.Decoder(bits, data, iced.DecoderOptions.None);
    theirs.ip = (BigInt(ipHi) << 32n) | BigInt(ipLo);
    const text = icedFormatter.format(theirs.decode());
    theirs.free();
    expect(ours.format(insn)).toBe(text);
  });
});
