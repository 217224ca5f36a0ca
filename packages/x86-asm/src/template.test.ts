import { Register } from '@typevisor/x86-decode';
import { describe, expect, it } from 'vitest';
import { AsmError } from './asm-error.ts';
import { assemble } from './assembler.ts';
import { encode } from './encoder.ts';
import { formatListing } from './listing.ts';
import { imm, mem, reg } from './operand.ts';
import { asm } from './template.ts';

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

describe('asm tagged template', () => {
  it('splices numbers, negative numbers, bigints, register names and byte lists into the source', () => {
    const r = asm`
      mov ${'ecx'}, ${0x1234}
      add ecx, ${-2}
      mov rax, ${0xffff_ffff_ffff_fff0n}
      db ${[1, 2, 3]}`;
    expect(hex(r.bytes)).toBe('b9 34 12 00 00 83 c1 fe 48 c7 c0 f0 ff ff ff 01 02 03');
  });

  it('takes other defaults through asm.with', () => {
    const r = asm.with({ bits: 16, org: 0x100 })`here: jmp here`;
    expect(hex(r.bytes)).toBe('eb fe');
    expect(r.symbols.get('here')).toBe(0x100);
  });

  it('refuses a non-integer value', () => {
    expect(() => asm`mov eax, ${1.5}`).toThrow(AsmError);
  });
});

describe('assemble options', () => {
  it('exposes defines as constants', () => {
    expect(hex(assemble('mov eax, BASE + 4', { bits: 32, defines: { BASE: 0x1000 } }).bytes)).toBe('b8 04 10 00 00');
  });
});

describe('encode', () => {
  it('encodes from operand objects, relative branches from the given ip', () => {
    expect(hex(encode('mov', [reg(Register.EAX), mem({ base: Register.EBX, displacement: 4 })], { bits: 32 }))).toBe(
      '8b 43 04',
    );
    expect(hex(encode('jmp', [imm(0x1010)], { bits: 64, ip: 0x1000 }))).toBe('eb 0e');
    expect(hex(encode('add', [reg(Register.RAX), imm(-1)], { bits: 64 }))).toBe('48 83 c0 ff');
  });

  it('throws a typed error for an operand combination with no encoding', () => {
    expect(() => encode('mov', [reg(Register.AL), reg(Register.BX)])).toThrow(/no form of 'mov'/);
  });
});

describe('formatListing', () => {
  it('wraps long byte runs onto continuation rows with their addresses', () => {
    const text = formatListing(assemble('times 12 nop', { bits: 32 }).listing);
    expect(text.split('\n')).toEqual(['     1 00000000 90909090909090909090 times 12 nop', '     1 0000000a 9090']);
  });
});
