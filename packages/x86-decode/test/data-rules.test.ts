// Rules the instruction data must keep (issue 3, data fixes found by @typevisor/x86-asm), each
// checked against the parsed records and against iced-x86 on the bytes that exposed it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DATA_PATH } from '../scripts/generate.ts';
import { parseIsa } from '../scripts/isa-parser.ts';
import { Decoder } from '../src/decoder.ts';
import { Instruction } from '../src/instruction.ts';
import { IntelFormatter } from '../src/intel-formatter.ts';
import { compareWithIced } from './iced-oracle.ts';

const { forms } = parseIsa(readFileSync(DATA_PATH, 'utf8'));
const MODE_16_32 = 0;
const MODE_64 = 1;
const OSZ_16 = 0;
const OSZ_32 = 1;
const OSZ_64 = 2;
const names = (list: typeof forms): string[] => list.map((f) => `${f.name}@${f.line}`);
const hex = (s: string): Uint8Array => new Uint8Array(s.split(' ').map((h) => Number.parseInt(h, 16)));

describe('instruction data mode rules', () => {
  it('lists every 64-bit operand-size form as 64-bit mode only (SDM Vol. 1 3.6.1)', () => {
    expect(names(forms.filter((f) => f.osz === OSZ_64 && f.mode !== MODE_64))).toEqual([]);
  });

  it('lists no 32-bit operand-size form of a d64/f64 instruction in 64-bit mode (66h selects 16 bits there)', () => {
    const d64 = forms.filter((f) => f.attrs.includes('d64') || f.attrs.includes('f64'));
    expect(names(d64.filter((f) => f.osz === OSZ_32 && f.mode !== MODE_16_32))).toEqual([]);
  });

  it('lists no 16-bit form of a near branch (f64) in 64-bit mode, where Intel ignores 66h', () => {
    const f64 = forms.filter((f) => f.attrs.includes('f64'));
    expect(names(f64.filter((f) => f.osz === OSZ_16 && f.mode !== MODE_16_32))).toEqual([]);
  });

  it('keeps 16-bit forms of d64 instructions (PUSH/POP with 66h) valid in 64-bit mode', () => {
    const push16 = forms.filter((f) => f.name === 'Push_r16');
    expect(push16.length).toBe(1);
    expect(push16[0]!.mode).toBe(-1);
  });

  it('takes RDRAND, RDSEED, RDPID and RDSSP operands from registers only (mod=11)', () => {
    const regOnly = forms.filter((f) => /^(RDRAND|RDSEED|RDPID|RDSSP[DQ])$/.test(f.mnemonic));
    expect(regOnly.length).toBeGreaterThan(6);
    expect(names(regOnly.filter((f) => f.mod !== 1))).toEqual([]);
  });

  it('gives RDSSPD no operand-size prefix (it is F3 0F 1E /1 in every mode, W0)', () => {
    const rdsspd = forms.filter((f) => f.mnemonic === 'RDSSPD');
    expect(rdsspd.map((f) => [f.pfx, f.osz, f.mode])).toEqual([[2, -1, -1]]);
  });
});

describe('decoding the encodings behind the data fixes', () => {
  it.each([
    [16, 'f3 0f 1e c8'], // rdsspd eax without 66h in 16-bit code (was nop ax,cx)
    [16, '66 f3 0f 1e c8'],
    [32, 'f3 0f 1e c8'],
    [32, '66 f3 0f 1e c8'],
    [64, '66 f3 0f 1e c8'], // 66h is ignored
    [64, 'f3 48 0f 1e c8'], // rdsspq
    [64, 'f3 0f 1e 08'], // memory form: reserved NOP
    [16, '0f 38 f6 00'], // wrssd, no 66h in 16-bit code
    [16, '66 0f 38 f5 00'], // wrussd: 66h is its mandatory prefix
    [32, '0f c7 30'], // rdrand with mod!=11 is vmptrld
    [32, '66 0f c7 30'], // ... vmclear
    [32, '0f c7 38'], // rdseed with mod!=11 is vmptrst
    [16, '0f c7 f0'], // rdrand ax
    [16, '66 0f c7 f8'], // rdseed eax
    [64, '48 0f c7 f0'], // rdrand rax
    [64, '66 e9 00 00 00 00'], // jmp rel32: 66h ignored
    [64, '66 c2 08 00'], // ret imm16 (64-bit)
    [64, '66 ff e0'], // jmp rax
    [64, '66 50'], // push ax
    [64, '66 ff 30'], // push word ptr [rax]
    [32, '66 50'], // push ax
    [16, '66 50'], // push eax
    [16, '66 6a ff'], // push dword -1
    [64, '66 0f 01 c1'], // vmcall, monitor, xgetbv, rdpru... take no 66/F2/F3 (NP): invalid
    [32, 'f3 0f 01 d0'],
    [16, 'f2 0f 01 c8'],
    [64, '66 0f 01 fd'],
    [64, '0f 01 fd'], // rdpru
  ] as const)('agrees with iced-x86 on %i-bit %s', (bits, bytes) => {
    const r = compareWithIced(bits, hex(bytes), 0x1000);
    expect(r.disagreements.map((d) => `${d.hex}: iced ${d.theirs} / ours ${d.ours}`)).toEqual([]);
  });
});

const LLVM_MC = process.env.LLVM_MC ?? 'llvm-mc';
const hasLlvmMc = spawnSync(LLVM_MC, ['--version']).status === 0;
const TRIPLES = { 16: 'i386-unknown-unknown-code16', 32: 'i386-unknown-unknown', 64: 'x86_64-unknown-unknown' };

describe('the same encodings disassembled by llvm-mc', () => {
  // llvm-mc follows AMD for a 66h on near branches in 64-bit mode (`66 e8` is a rel16 call
  // there); iced-x86 and we follow Intel, which ignores it, so those bytes are not compared.
  it.runIf(hasLlvmMc).each([
    [16, 'f3 0f 1e c8', 'rdsspd eax'],
    [64, 'f3 48 0f 1e c8', 'rdsspq rax'],
    [32, '0f c7 30', 'vmptrld qword ptr [eax]'],
    [32, '0f c7 f0', 'rdrand eax'],
    [64, '66 c3', 'ret'],
    [64, '66 ff d0', 'call rax'],
    [64, '66 50', 'push ax'],
  ] as const)('%i-bit %s is %s, as we decode it', (bits, bytes, text) => {
    const input = bytes
      .split(' ')
      .map((b) => `0x${b}`)
      .join(' ');
    const r = spawnSync(LLVM_MC, ['--disassemble', '-output-asm-variant=1', `-triple=${TRIPLES[bits]}`], {
      input,
      encoding: 'utf8',
    });
    const line = r.stdout
      .split('\n')
      .map((l) => l.trim().replace(/\s+/g, ' '))
      .find((l) => l !== '' && !l.startsWith('.'));
    expect(line).toBe(text);
    const insn = new Instruction();
    new Decoder(bits, hex(bytes)).decodeOut(insn);
    // iced-style text differs from llvm-mc's only in the size keyword of this vmptrld
    expect(new IntelFormatter().format(insn).replace('vmptrld [', 'vmptrld qword ptr [')).toBe(text);
  });
});
