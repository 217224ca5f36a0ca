// Jump relaxation and label arithmetic against llvm-mc's object output: random programs
// with forward and backward jumps over random distances assemble to the same bytes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from './assembler.ts';
import { prng } from './testing/corpus.ts';

const LLVM_MC = process.env.LLVM_MC ?? 'llvm-mc';
const OBJCOPY = process.env.OBJCOPY ?? 'objcopy';
const available = spawnSync(LLVM_MC, ['--version']).status === 0 && spawnSync(OBJCOPY, ['--version']).status === 0;
if (!available) console.warn('llvm-mc or objcopy not found: skipping the relaxation comparison');

const TRIPLE = { 32: 'i386', 64: 'x86_64' } as const;
const PROGRAMS = process.env.TYPEVISOR_LONG ? 100 : 20;
const BODY = ['nop', 'add eax, 1', 'mov ecx, 0x12345678', 'xor edx, edx', 'push rbx', 'pop rbx'];
const JUMPS = ['jmp', 'jne', 'je', 'jb', 'jg', 'call'];

/** A random program: labels L0..Ln, filler runs of random length, jumps to random labels. */
function program(seed: number, bits: 32 | 64): { ours: string; llvm: string } {
  const r = prng(seed);
  const labels = 12;
  const ours: string[] = [];
  const llvm: string[] = [];
  for (let l = 0; l < labels; l++) {
    ours.push(`L${l}:`);
    llvm.push(`L${l}:`);
    const items = 1 + Math.floor(r() * 6);
    for (let i = 0; i < items; i++) {
      const k = r();
      if (k < 0.4) {
        const j = JUMPS[Math.floor(r() * JUMPS.length)]!;
        const line = `${j} L${Math.floor(r() * labels)}`;
        ours.push(line);
        llvm.push(line);
      } else if (k < 0.6) {
        // a run of filler that may push a jump out of short reach
        const n = Math.floor(r() * 140);
        ours.push(`times ${n} nop`);
        llvm.push(`.fill ${n}, 1, 0x90`);
      } else {
        let b = BODY[Math.floor(r() * BODY.length)]!;
        if (bits === 32) b = b.replace('rbx', 'ebx');
        ours.push(b);
        llvm.push(b);
      }
    }
  }
  return { ours: ours.join('\n'), llvm: llvm.join('\n') };
}

function llvmBytes(source: string, bits: 32 | 64, dir: string): Uint8Array {
  const s = join(dir, 'p.s');
  const o = join(dir, 'p.o');
  const b = join(dir, 'p.bin');
  writeFileSync(s, `${source}\n`);
  const mc = spawnSync(LLVM_MC, ['-filetype=obj', `-triple=${TRIPLE[bits]}`, '-x86-asm-syntax=intel', '-o', o, s], {
    encoding: 'utf8',
  });
  if (mc.status !== 0) throw new Error(mc.stderr);
  const cp = spawnSync(OBJCOPY, ['-O', 'binary', '--only-section=.text', o, b], { encoding: 'utf8' });
  if (cp.status !== 0) throw new Error(cp.stderr);
  return new Uint8Array(readFileSync(b));
}

describe.skipIf(!available)('jump relaxation against llvm-mc', () => {
  it.each([32, 64] as const)(`lays out ${PROGRAMS} random %i-bit programs with jumps exactly like llvm-mc`, (bits) => {
    const dir = mkdtempSync(join(tmpdir(), 'x86-asm-'));
    try {
      let same = 0;
      const differ: string[] = [];
      for (let seed = 1; seed <= PROGRAMS; seed++) {
        const p = program(seed * 7919 + bits, bits);
        const ours = assemble(p.ours, { bits }).bytes;
        const theirs = llvmBytes(p.llvm, bits, dir);
        if (ours.length === theirs.length && ours.every((b, i) => b === theirs[i])) same++;
        else differ.push(`seed ${seed}: ours ${ours.length} bytes, llvm-mc ${theirs.length}`);
      }
      expect(differ).toEqual([]);
      expect(same).toBe(PROGRAMS);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
