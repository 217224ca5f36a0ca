// Byte-for-byte agreement with llvm-mc on a corpus covering every form (and so every
// mnemonic) of the table in 16-, 32- and 64-bit mode. llvm-mc runs at test time; the test
// is skipped, saying so, when it is not installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assemble } from './assembler.ts';
import { codeMnemonic } from './form-table.ts';
import { buildCorpus, type CorpusLine } from './testing/corpus.ts';

const LLVM_MC = process.env.LLVM_MC ?? 'llvm-mc';
const hasLlvmMc = spawnSync(LLVM_MC, ['--version']).status === 0;
if (!hasLlvmMc) console.warn(`llvm-mc not found (set LLVM_MC): skipping the llvm-mc agreement test`);

const TRIPLE = { 16: 'i386-unknown-unknown-code16', 32: 'i386', 64: 'x86_64' } as const;
const PER_FORM = process.env.TYPEVISOR_LONG ? 8 : 2;

/** Runs llvm-mc over the lines; returns per line the bytes (-1 = fixup byte) or null when llvm-mc rejects it. */
function llvmEncode(lines: CorpusLine[], bits: 16 | 32 | 64): (number[] | null)[] {
  const r = spawnSync(
    LLVM_MC,
    [`-triple=${TRIPLE[bits]}`, '-x86-asm-syntax=intel', '-output-asm-variant=1', '--show-encoding'],
    { input: `${lines.map((l) => l.llvm).join('\n')}\n`, encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  const rejected = new Set<number>();
  for (const m of r.stderr.matchAll(/^<stdin>:(\d+):\d+: error/gm)) rejected.add(Number(m[1]) - 1);
  const encodings: number[][] = [];
  for (const m of r.stdout.matchAll(/# encoding: \[([^\]]*)\]/g))
    encodings.push(m[1]!.split(',').map((b) => (b === 'A' ? -1 : Number.parseInt(b, 16))));
  const out: (number[] | null)[] = [];
  let k = 0;
  for (let i = 0; i < lines.length; i++) out.push(rejected.has(i) ? null : (encodings[k++] ?? null));
  if (k !== encodings.length)
    throw new Error(`llvm-mc output out of step: ${encodings.length} encodings for ${k} lines`);
  return out;
}

const hex = (b: ArrayLike<number>): string =>
  Array.from(b, (x) => (x < 0 ? 'A' : x.toString(16).padStart(2, '0'))).join(' ');

describe.skipIf(!hasLlvmMc)('agreement with llvm-mc', () => {
  it(`assembles a corpus covering every mnemonic byte-for-byte like llvm-mc (${PER_FORM} random lines per form and mode)`, () => {
    execFileSync(LLVM_MC, ['--version']);
    const corpus = buildCorpus(PER_FORM, 7);
    let both = 0;
    let agree = 0;
    let llvmRejects = 0;
    let weReject = 0;
    const differ: string[] = [];
    const rejects: string[] = [];
    const mnemonics = new Set<string>();
    const agreedMnemonics = new Set<string>();
    for (const bits of [16, 32, 64] as const) {
      const lines = corpus.filter((l) => l.bits === bits);
      const theirs = llvmEncode(lines, bits);
      lines.forEach((line, i) => {
        mnemonics.add(codeMnemonic(line.code));
        const expected = theirs[i];
        let ours: Uint8Array | null = null;
        try {
          ours = assemble(line.text, { bits }).bytes;
        } catch (e) {
          if (expected) rejects.push(`${bits}: ${line.text}  -- ${(e as Error).message}  llvm: ${hex(expected)}`);
        }
        if (!expected) {
          llvmRejects++;
          return;
        }
        if (!ours) {
          weReject++;
          return;
        }
        both++;
        const same = ours.length === expected.length && expected.every((b, j) => b < 0 || b === ours[j]);
        if (same) {
          agree++;
          agreedMnemonics.add(codeMnemonic(line.code));
        } else differ.push(`${bits}: ${line.text}  ours ${hex(ours)}  llvm ${hex(expected)}`);
      });
    }
    const pct = ((100 * agree) / both).toFixed(2);
    console.log(
      `llvm-mc agreement: ${agree}/${both} lines identical (${pct}%), ${corpus.length} lines, ${mnemonics.size} mnemonics (${agreedMnemonics.size} with agreeing lines); llvm-mc rejects ${llvmRejects}, we reject ${weReject} that llvm-mc takes`,
    );
    if (process.env.TYPEVISOR_SHOW_DIFF) console.log([...differ, ...rejects].join('\n'));
    expect(corpus.length).toBeGreaterThan(3000);
    expect(agree / both).toBeGreaterThan(0.97);
  });
});
