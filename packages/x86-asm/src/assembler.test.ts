import { describe, expect, it } from 'vitest';
import { AsmError } from './asm-error.ts';
import { assemble } from './assembler.ts';

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
const bytes = (src: string, bits: 16 | 32 | 64 = 64, org = 0): string => hex(assemble(src, { bits, org }).bytes);
const fail = (src: string, bits: 16 | 32 | 64 = 64): AsmError => {
  try {
    assemble(src, { bits });
  } catch (e) {
    if (e instanceof AsmError) return e;
    throw e;
  }
  throw new Error('expected an AsmError');
};

describe('assemble: instructions guests need (bytes checked against llvm-mc)', () => {
  it.each([
    ['mov eax, [ebx+4]', 32, '8b 43 04'],
    ['mov eax, 1', 32, 'b8 01 00 00 00'],
    ['add eax, 1', 32, '83 c0 01'],
    ['add eax, 0x1000', 32, '05 00 10 00 00'],
    ['add ebx, 0x1000', 32, '81 c3 00 10 00 00'],
    ['mov rax, 1', 64, '48 c7 c0 01 00 00 00'],
    ['mov rax, 0x123456789', 64, '48 b8 89 67 45 23 01 00 00 00'],
    ['mov rax, 0xffffffffffffffff', 64, '48 c7 c0 ff ff ff ff'],
    ['mov r9, [r12+8]', 64, '4d 8b 4c 24 08'],
    ['mov byte [rdi], 0x41', 64, 'c6 07 41'],
    ['push rbp', 64, '55'],
    ['push r15', 64, '41 57'],
    ['pop r12', 64, '41 5c'],
    ['ret', 64, 'c3'],
    ['ret', 32, 'c3'],
    ['lgdt [eax]', 32, '0f 01 10'],
    ['lidt [rax]', 64, '0f 01 18'],
    ['mov cr0, eax', 32, '0f 22 c0'],
    ['mov cr3, rax', 64, '0f 22 d8'],
    ['mov rax, cr4', 64, '0f 20 e0'],
    ['wrmsr', 64, '0f 30'],
    ['rdmsr', 32, '0f 32'],
    ['out dx, al', 16, 'ee'],
    ['in al, 0x60', 16, 'e4 60'],
    ['out 0x80, al', 32, 'e6 80'],
    ['in eax, dx', 32, 'ed'],
    ['hlt', 16, 'f4'],
    ['int 0x10', 16, 'cd 10'],
    ['int3', 64, 'cc'],
    ['iretq', 64, '48 cf'],
    ['iretd', 32, 'cf'],
    ['cli', 64, 'fa'],
    ['vmlaunch', 64, '0f 01 c2'],
    ['vmresume', 64, '0f 01 c3'],
    ['vmcall', 64, '0f 01 c1'],
    ['vmxon [rax]', 64, 'f3 0f c7 30'],
    ['vmptrld [rbx]', 64, '0f c7 33'],
    ['vmread rax, rbx', 64, '0f 78 d8'],
    ['vmwrite rbx, rax', 64, '0f 79 d8'],
    ['cpuid', 32, '0f a2'],
    ['mov ds, ax', 16, '8e d8'],
    ['mov ax, ds', 32, '66 8c d8'],
    ['lea eax, [eax*2]', 32, '8d 04 45 00 00 00 00'],
    ['mov eax, [ebp]', 32, '8b 45 00'],
    ['mov eax, [esp]', 32, '8b 04 24'],
    ['mov eax, [0x1000]', 32, 'a1 00 10 00 00'],
    ['mov eax, [0x1000]', 64, '8b 04 25 00 10 00 00'],
    ['mov ax, [bx+si+4]', 16, '8b 40 04'],
    ['mov ax, [bp]', 16, '8b 46 00'],
    ['movss xmm0, [fs:eax]', 32, '64 f3 0f 10 00'],
    ['lock add dword [eax], 1', 32, 'f0 83 00 01'],
    ['rep movsb', 32, 'f3 a4'],
    ['rep stosd', 32, 'f3 ab'],
    ['xchg ebx, eax', 32, '93'],
    ['fld st1', 32, 'd9 c1'],
    ['fld st(1)', 32, 'd9 c1'],
    ['shl eax, 1', 32, 'd1 e0'],
    ['shl eax, 4', 32, 'c1 e0 04'],
    ['test al, al', 32, '84 c0'],
    ['mov spl, al', 64, '40 88 c4'],
    ['jmp 0x08:0x1000', 16, 'ea 00 10 08 00'],
    ['jmp 0x08:0x100000', 32, 'ea 00 00 10 00 08 00'],
    ['jmp dword 0x08:0x100000', 16, '66 ea 00 00 10 00 08 00'],
    ['jmp far [eax]', 32, 'ff 28'],
    ['jmp far [rax]', 64, '48 ff 28'],
    ['jmp eax', 32, 'ff e0'],
    ['call [rax]', 64, 'ff 10'],
    ['push 5', 32, '6a 05'],
    ['push 0x1234', 16, '68 34 12'],
    ['pushf', 32, '9c'],
    ['iret', 16, 'cf'],
  ] as const)('%s (%i-bit) -> %s', (src, bits, expected) => {
    expect(bytes(src, bits)).toBe(expected);
  });
});

describe('assemble: labels, relaxation and directives', () => {
  it('uses a short jump backwards and a near one when the target is out of reach', () => {
    expect(bytes('top: nop\njmp top', 32)).toBe('90 eb fd');
    expect(bytes('top: times 200 nop\njmp top', 32).endsWith('e9 33 ff ff ff')).toBe(true);
  });

  it('relaxes a forward jump to short once the target is known', () => {
    expect(bytes('jmp done\nnop\ndone: hlt', 32)).toBe('eb 01 90 f4');
    expect(bytes('jz done\ntimes 300 nop\ndone: hlt', 32).slice(0, 17)).toBe('0f 84 2c 01 00 00');
  });

  it('gives a constant defined later its shortest form (the first pass is optimistic)', () => {
    expect(bytes('add eax, N\nshl ebx, ONE\nN equ 5\nONE equ 1', 32)).toBe('83 c0 05 d1 e3');
    expect(bytes('add eax, N\nN equ 500', 32)).toBe('05 f4 01 00 00');
    expect(bytes('mov eax, [ebx + OFF]\nOFF equ end - start\nstart: nop\nend:', 32)).toBe('8b 43 01 90');
  });

  it('resolves local labels against the last global label', () => {
    const r = assemble('a:\n.l: jmp .l\nb:\n.l: jmp .l', { bits: 32 });
    expect(r.symbols.get('a.l')).toBe(0);
    expect(r.symbols.get('b.l')).toBe(2);
    expect(hex(r.bytes)).toBe('eb fe eb fe');
  });

  it('honours org, $ and $$ (boot sector padding)', () => {
    const r = assemble('org 0x7c00\nbits 16\nstart: jmp start\ntimes 510-($-$$) db 0\ndw 0xaa55');
    expect(r.bytes.length).toBe(512);
    expect(r.origin).toBe(0x7c00);
    expect(hex(r.bytes.subarray(0, 2))).toBe('eb fe');
    expect(hex(r.bytes.subarray(510))).toBe('55 aa');
    expect(r.symbols.get('start')).toBe(0x7c00);
  });

  it('emits db/dw/dd/dq values and strings, and pads strings to the item width', () => {
    expect(bytes('db 1, 2, "ab", 0\ndw 0x1234, "a"\ndd -1\ndq 0x8000000000000000')).toBe(
      '01 02 61 62 00 34 12 61 00 ff ff ff ff 00 00 00 00 00 00 00 80',
    );
  });

  it('takes NASM data labels without a colon and equ constants', () => {
    const r = assemble('N equ 4 * 2\nmsg db "hi"\nmov eax, N\nmov esi, msg', { bits: 32 });
    expect(hex(r.bytes)).toBe('68 69 b8 08 00 00 00 be 00 00 00 00');
    expect(r.symbols.get('N')).toBe(8);
  });

  it('takes %define and %assign as constants', () => {
    expect(bytes('%define PORT 0x3f8\n%assign N PORT + 5\nmov dx, N', 32)).toBe('66 ba fd 03');
  });

  it('pads align with nop and alignb with zeros', () => {
    expect(bytes('nop\nalign 4\nhlt', 32)).toBe('90 90 90 90 f4');
    expect(bytes('nop\nalignb 4', 32)).toBe('90 00 00 00');
  });

  it('uses the full-width immediate for a label value, like NASM and llvm-mc', () => {
    expect(bytes('x: push x', 32)).toBe('68 00 00 00 00');
  });

  it('evaluates expressions with NASM precedence, character constants and shifts', () => {
    expect(bytes("mov eax, 1 + 2 * 3 << 1 | 'A'", 32)).toBe('b8 4f 00 00 00');
    expect(bytes('mov rax, 1 << 40', 64)).toBe('48 b8 00 00 00 00 00 01 00 00');
  });

  it('assembles [rel label] RIP-relative in 64-bit mode', () => {
    expect(bytes('lea rax, [rel data]\ndata: dq 0', 64).slice(0, 20)).toBe('48 8d 05 00 00 00 00');
  });

  it('assembles the real-mode to protected-mode switch of a boot sector', () => {
    const r = assemble(
      `bits 16
      org 0x7c00
        cli
        lgdt [gdt_desc]
        mov eax, cr0
        or eax, 1
        mov cr0, eax
        jmp dword 0x08:pm
      bits 32
      pm:
        mov ax, 0x10
        mov ds, ax
        hlt
      gdt: dq 0, 0x00cf9a000000ffff, 0x00cf92000000ffff
      gdt_desc: dw gdt_desc - gdt - 1
        dd gdt`,
    );
    expect(hex(r.bytes.subarray(0, 0x1f))).toBe(
      'fa 0f 01 16 37 7c 0f 20 c0 66 83 c8 01 0f 22 c0 66 ea 18 7c 00 00 08 00 66 b8 10 00 8e d8 f4',
    );
    expect(hex(r.bytes.subarray(0x37))).toBe('17 00 1f 7c 00 00');
  });

  it('switches mode with bits and [bits n]', () => {
    expect(bytes('bits 16\nmov eax, 1\n[bits 32]\nmov ax, 1', 64)).toBe('66 b8 01 00 00 00 66 b8 01 00');
  });

  it('produces a listing with address, bytes and source per line', () => {
    const r = assemble('start:\n  mov eax, 1 ; one\n  hlt', { bits: 32, org: 0x100 });
    expect(r.listing.map((l) => [l.address, hex(l.bytes), l.line, l.source])).toEqual([
      [0x100, '', 1, 'start:'],
      [0x100, 'b8 01 00 00 00', 2, '  mov eax, 1 ; one'],
      [0x105, 'f4', 3, '  hlt'],
    ]);
  });
});

describe('assemble: errors name the line, the column and what was expected', () => {
  it.each([
    ['nop\nmov eax, [ebx', 'syntax', 2, 14, "expected ']'"],
    ['nop\n  frob eax', 'unknown-mnemonic', 2, 3, "unknown mnemonic 'frob'"],
    ['mov al, bx', 'no-encoding', 1, 1, "no form of 'mov'"],
    ['inc [eax]', 'size-ambiguous', 1, 1, 'operation size not specified'],
    ['jmp nowhere', 'symbol', 1, 5, "undefined symbol 'nowhere'"],
    ['x: nop\nx: nop', 'symbol', 2, 1, 'defined twice'],
    ['jmp short far_away\ntimes 200 nop\nfar_away: hlt', 'out-of-range', 1, 1, 'does not fit'],
    ['mov ah, sil', 'no-encoding', 1, 1, 'no form'],
    ['mov eax, 5 5', 'syntax', 1, 12, 'expected end of line'],
    ['db 300', 'out-of-range', 1, 1, 'does not fit'],
    ['push eax', 'no-encoding', 1, 1, 'in 64-bit mode'],
  ] as const)('%j -> %s at %i:%i', (src, code, line, column, text) => {
    const e = fail(src);
    expect([e.code, e.line, e.column]).toEqual([code, line, column]);
    expect(e.message).toContain(text);
  });

  it('rejects bad options as usage errors', () => {
    expect(() => assemble('nop', { bits: 8 as 16 })).toThrow(AsmError);
  });
});
