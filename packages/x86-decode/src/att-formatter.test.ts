import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttFormatter } from './att-formatter.ts';
import { Decoder } from './decoder.ts';
import { Instruction } from './instruction.ts';

// Expected texts are iced-x86 1.21's `Formatter(FormatterSyntax.Gas)` output for the same bytes
// (test/att-differential.test.ts checks the formatter against iced itself on large corpora).
const formatter = new AttFormatter();
const insn = new Instruction();
function att(bits: 16 | 32 | 64, hex: string): string {
  const bytes = new Uint8Array(hex.split(' ').map((h) => Number.parseInt(h, 16)));
  new Decoder(bits, bytes).decodeOut(insn);
  return formatter.format(insn);
}

describe('AttFormatter', () => {
  it.each([
    [64, '48 8b 47 08', 'mov 8(%rdi),%rax'],
    [64, '48 89 44 24 f8', 'mov %rax,-8(%rsp)'],
    [16, '8b 46 fc', 'mov -4(%bp),%ax'],
    [64, '64 48 8b 04 25 28 00 00 00', 'mov %fs:0x28,%rax'],
    [64, '8b 05 10 00 00 00', 'mov 0x16,%eax'], // RIP-relative shown as the absolute target
    [64, 'ff 24 c5 00 10 00 00', 'jmpq *0x1000(,%rax,8)'],
    [32, '8b 44 27 08', 'mov 8(%edi),%eax'], // SIB without index, scale 1
    [32, '8b 4c a7 08', 'mov 8(%edi,),%ecx'], // SIB without index, scale 4: iced keeps the comma
  ] as const)('writes source first, %%registers and disp(base,index,scale): %i-bit %s', (bits, hex, text) => {
    expect(att(bits, hex)).toBe(text);
  });

  it.each([
    [64, 'c7 00 01 00 00 00', 'movl $1,(%rax)'],
    [64, 'dd 00', 'fldl (%rax)'],
    [64, 'df 28', 'fildll (%rax)'],
    [64, '66 0f 1f 44 00 00', 'nopw (%rax,%rax)'],
    [64, 'ff 10', 'callq *(%rax)'],
    [64, 'c5 fd e6 00', 'vcvttpd2dqy (%rax),%xmm0'],
    [64, 'f0 48 0f b1 0b', 'lock cmpxchg %rcx,(%rbx)'], // a register already tells the size
  ] as const)('adds a size suffix only where no register tells the size: %i-bit %s', (bits, hex, text) => {
    expect(att(bits, hex)).toBe(text);
  });

  it.each([
    [64, '48 b8 88 77 66 55 44 33 22 11', 'movabs $0x1122334455667788,%rax'],
    [64, 'a1 88 77 66 55 44 33 22 11', 'movabs 0x1122334455667788,%eax'],
    [64, '48 0f be c0', 'movsbq %al,%rax'],
    [64, '0f b7 07', 'movzwl (%rdi),%eax'],
    [64, '48 63 c7', 'movslq %edi,%rax'],
    [64, '48 98', 'cltq'],
    [64, '99', 'cltd'],
    [64, 'f3 48 ab', 'rep stos %rax,(%rdi)'],
    [64, 'f3 a4', 'rep movsb (%rsi),(%rdi)'],
    [32, 'ea 00 10 00 00 08 00', 'ljmp $8,$0x00001000'],
    [64, 'ff 28', 'ljmpl *(%rax)'],
    [64, 'cb', 'lretl'],
    [32, 'cf', 'iret'],
    [64, '9c', 'pushf'],
    [32, '66 e8 00 00', 'callw 4'],
    [64, '0f c2 c1 01', 'cmpltps %xmm1,%xmm0'],
    [64, '48 0f 37', 'rex.w getsec'],
    [64, '0f 01 d8', 'vmrun'],
    [64, '8e d9', 'mov %ecx,%ds'],
  ] as const)('uses the GNU as mnemonic: %i-bit %s', (bits, hex, text) => {
    expect(att(bits, hex)).toBe(text);
  });

  it.each([
    [64, 'd8 c1', 'fadd %st(1),%st'],
    [64, 'dc e9', 'fsubr %st,%st(1)'], // SDM `fsub st(1),st`: AT&T swaps fsub/fsubr with ST(i) as destination
    [64, 'de e9', 'fsubrp'],
    [64, 'dd d9', 'fstp %st(1)'],
    [64, 'd9 c9', 'fxch'],
  ] as const)('follows the AT&T x87 conventions: %i-bit %s', (bits, hex, text) => {
    expect(att(bits, hex)).toBe(text);
  });

  it.each([
    [64, 'c8 10 00 01', 'enter $0x10,$1'],
    [32, '62 08', 'bound %ecx,(%eax)'],
  ] as const)('keeps the Intel operand order of ENTER and BOUND: %i-bit %s', (bits, hex, text) => {
    expect(att(bits, hex)).toBe(text);
  });

  it.each([
    [64, '66 0f 38 14 c1', 'blendvps %xmm0,%xmm1,%xmm0'],
    [64, '0f 38 cb c1', 'sha256rnds2 %xmm0,%xmm1,%xmm0'],
  ] as const)('writes the implicit XMM0 operand that Intel syntax hides: %i-bit %s', (bits, hex, text) => {
    expect(att(bits, hex)).toBe(text);
  });

  it('writes a segment override of an implicit memory operand as a prefix', () => {
    expect(att(64, '64 0f f7 d8')).toBe('fs maskmovq %mm0,%mm3');
  });

  it.each([
    [32, '67 0f f7 f3', 'addr16 maskmovq %mm3,%mm6'],
    [32, '64 67 0f f7 f3', 'addr16 fs maskmovq %mm3,%mm6'],
    [64, '67 0f 01 c8', 'addr32 monitor'],
    [64, '67 0f 01 fc', 'addr32 clzero'],
  ] as const)('writes a non-default implicit address size as addrNN: %i-bit %s', (bits, hex, text) => {
    expect(att(bits, hex)).toBe(text);
  });

  it('writes SYSEXIT/SYSRET with a size suffix in 64-bit mode only (66h keeps the 32-bit form)', () => {
    expect(att(64, '66 0f 35')).toBe('sysexitl');
    expect(att(64, '48 0f 35')).toBe('sysexitq');
    expect(att(32, '0f 35')).toBe('sysexit');
  });

  it('writes branch hints as ,pt / ,pn after the mnemonic', () => {
    expect(att(64, '3e 74 00')).toBe('je,pt 3');
    expect(att(64, '2e 74 00')).toBe('je,pn 3');
  });

  it('prints (bad) for an invalid encoding', () => {
    expect(att(64, 'd5 0a')).toBe('(bad)');
  });

  it.each([16, 32, 64] as const)('formats whatever any byte sequence decodes to without throwing (%i-bit)', (bits) => {
    const own = new Instruction();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 15 }), (bytes) => {
        new Decoder(bits, bytes).decodeOut(own);
        const text = formatter.format(own);
        expect(text.length).toBeGreaterThan(0);
        expect(text.includes('undefined')).toBe(false);
      }),
      { numRuns: process.env.TYPEVISOR_LONG === '1' ? 200_000 : 3_000 },
    );
  });
});
