// NASM's operand- and address-size prefix keywords o16/o32/o64 and a16/a32/a64. The expected
// bytes are NASM 2.16's (`nasm -f bin`); when nasm is installed the same lines are also
// assembled by it at test time and must match byte for byte.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AsmError } from './asm-error.ts';
import { assemble } from './assembler.ts';

const NASM = process.env.NASM ?? 'nasm';
const hasNasm = spawnSync(NASM, ['-v']).status === 0;

type Bits = 16 | 32 | 64;
const hex = (b: ArrayLike<number>): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

// [bits, line, bytes]: every line is assembled after a label `x:` at offset 0
const CASES: [Bits, string, string][] = [
  [16, 'o16 ret', 'c3'],
  [16, 'o32 ret', '66 c3'],
  [16, 'o16 push 5', '6a 05'],
  [16, 'o32 iret', '66 cf'],
  [16, 'o32 popf', '66 9d'],
  [16, 'o16 stosb', 'aa'],
  [16, 'o32 jmp x', '66 eb fd'],
  [16, 'a32 loop x', '67 e2 fd'],
  [16, 'o16 fnstenv [eax]', '67 d9 30'],
  [16, 'a32 rep movsb', 'f3 67 a4'],
  [32, 'o16 ret', '66 c3'],
  [32, 'o16 push 5', '66 6a 05'],
  [32, 'o16 iret', '66 cf'],
  [32, 'o16 pushf', '66 9c'],
  [32, 'o16 stosb', '66 aa'],
  [32, 'o16 nop', '66 90'],
  [32, 'o16 fnstenv [eax]', '66 d9 30'],
  [32, 'o16 xlatb', '66 d7'],
  [32, 'o16 leave', '66 c9'],
  [32, 'o16 sysret', '66 0f 07'],
  [32, 'o16 in ax,dx', '66 ed'],
  [32, 'a16 stosb', '67 aa'],
  [32, 'a16 xlatb', '67 d7'],
  [32, 'a16 loop x', '67 e2 fd'],
  [32, 'a16 mov al,[0x10]', '67 a0 10 00'],
  [64, 'o16 push 5', '66 6a 05'],
  [64, 'o64 push 5', '6a 05'],
  [64, 'o64 iret', '48 cf'],
  [64, 'o16 iret', '66 cf'],
  [64, 'o32 iret', 'cf'],
  [64, 'o16 retf', '66 cb'],
  [64, 'o64 retf', '48 cb'],
  [64, 'o16 stosb', '66 aa'],
  [64, 'o64 lodsb', '48 ac'],
  [64, 'o64 nop', '48 90'],
  [64, 'a32 stosb', '67 aa'],
  [64, 'a64 stosb', 'aa'],
  [64, 'a32 xlatb', '67 d7'],
  [64, 'a32 loop x', '67 e2 fd'],
  [64, 'a32 mov al,[0x10]', '67 a0 10 00 00 00'],
];

function nasmBytes(bits: Bits, line: string, dir: string): string | null {
  const src = join(dir, 'p.asm');
  const out = join(dir, 'p.bin');
  writeFileSync(src, `bits ${bits}\nx:\n${line}\n`);
  const r = spawnSync(NASM, ['-f', 'bin', '-w-all', '-o', out, src], { encoding: 'utf8' });
  return r.status === 0 ? hex(readFileSync(out)) : null;
}

describe('o16/o32/o64 and a16/a32/a64 prefixes', () => {
  it.each(CASES)('%i-bit `%s` assembles to %s', (bits, line, bytes) => {
    expect(hex(assemble(`x:\n${line}`, { bits }).bytes)).toBe(bytes);
  });

  it.runIf(hasNasm)('agrees with nasm on every case above', () => {
    const dir = mkdtempSync(join(tmpdir(), 'typevisor-prefix-'));
    try {
      const differ = CASES.filter(([bits, line, bytes]) => nasmBytes(bits, line, dir) !== bytes);
      expect(differ).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [16, 'o32 mov ax, bx'], // the operands say 16 bits (NASM warns and emits mov eax, ebx)
    [16, 'o32 movsw'],
    [32, 'a16 mov eax, [ebx]'], // the register says 32-bit addressing
    [64, 'a16 stosb'], // no 16-bit addressing in 64-bit mode
    [64, 'o32 popf'], // POPFD does not exist in 64-bit mode
    [32, 'o64 nop'], // no REX.W outside 64-bit mode
  ] as const)('rejects %i-bit `%s`, where the prefix contradicts the operands or the mode', (bits, line) => {
    expect(() => assemble(line, { bits })).toThrow(AsmError);
  });

  it('rejects two different operand-size prefixes on one instruction', () => {
    expect(() => assemble('o16 o32 nop', { bits: 32 })).toThrow(/conflicting operand-size prefixes/);
  });

  it('rejects a size prefix with no instruction after it', () => {
    expect(() => assemble('o16', { bits: 32 })).toThrow(/expected a mnemonic after 'o16'/);
  });
});
