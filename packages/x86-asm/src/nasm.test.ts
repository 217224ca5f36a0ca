// Byte agreement with NASM on the same corpus as the llvm-mc test (NASM spelling: no `ptr`,
// `st1`, `oword`/`yword`/`tword`). NASM runs at test time (Debian package `nasm`); the test is
// skipped, saying so, when it is not installed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from './assembler.ts';
import { buildCorpus, type CorpusLine } from './testing/corpus.ts';

const NASM = process.env.NASM ?? 'nasm';
const hasNasm = spawnSync(NASM, ['-v']).status === 0;
if (!hasNasm) console.warn('nasm not found (set NASM): skipping the NASM agreement test');

const PER_FORM = process.env.TYPEVISOR_LONG ? 8 : 2;

/** Our corpus spelling -> NASM's. */
const toNasm = (text: string): string =>
  text
    .replace(/ ptr /g, ' ')
    .replace(/st\((\d)\)/g, 'st$1')
    .replace(/\bxmmword\b/g, 'oword')
    .replace(/\bymmword\b/g, 'yword')
    .replace(/\btbyte\b/g, 'tword');

/** Runs NASM over the lines; per line the bytes, or null when NASM rejects the line. */
function nasmEncode(lines: CorpusLine[], bits: 16 | 32 | 64, dir: string): (number[] | null)[] {
  const src = join(dir, 'c.asm');
  const lst = join(dir, 'c.lst');
  const out = join(dir, 'c.bin');
  const text = lines.map((l) => toNasm(l.text));
  const run = (): string => {
    writeFileSync(src, `bits ${bits}\n${text.join('\n')}\n`);
    return spawnSync(NASM, ['-f', 'bin', '-O9', '-w-all', '-l', lst, '-o', out, src], { encoding: 'utf8' }).stderr;
  };
  const rejected = new Set<number>();
  for (let attempt = 0; attempt < 4; attempt++) {
    const errors = [...run().matchAll(/:(\d+): error/g)].map((m) => Number(m[1]) - 2);
    if (errors.length === 0) break;
    for (const e of errors) {
      rejected.add(e);
      text[e] = `; rejected`;
    }
  }
  const bytes = new Map<number, number[]>();
  for (const m of readFileSync(lst, 'utf8').matchAll(/^\s*(\d+) [0-9A-F]{8} ([0-9A-F]+)-?/gm)) {
    const line = Number(m[1]) - 2;
    const list = bytes.get(line) ?? [];
    for (let i = 0; i < m[2]!.length; i += 2) list.push(Number.parseInt(m[2]!.slice(i, i + 2), 16));
    bytes.set(line, list);
  }
  return lines.map((_, i) => (rejected.has(i) ? null : (bytes.get(i) ?? null)));
}

const hex = (b: ArrayLike<number>): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

describe.skipIf(!hasNasm)('agreement with NASM', () => {
  it(`assembles the corpus byte-for-byte like NASM -O9 (${PER_FORM} random lines per form and mode)`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'x86-asm-nasm-'));
    try {
      const corpus = buildCorpus(PER_FORM, 7);
      let both = 0;
      let agree = 0;
      let nasmRejects = 0;
      const differ: string[] = [];
      for (const bits of [16, 32, 64] as const) {
        const lines = corpus.filter((l) => l.bits === bits);
        const theirs = nasmEncode(lines, bits, dir);
        lines.forEach((line, i) => {
          const expected = theirs[i];
          if (!expected) {
            nasmRejects++;
            return;
          }
          let ours: Uint8Array;
          try {
            ours = assemble(line.text, { bits }).bytes;
          } catch (e) {
            differ.push(`${bits}: ${line.text}  -- ${(e as Error).message}  nasm: ${hex(expected)}`);
            both++;
            return;
          }
          both++;
          if (hex(ours) === hex(expected)) agree++;
          else differ.push(`${bits}: ${line.text}  ours ${hex(ours)}  nasm ${hex(expected)}`);
        });
      }
      console.log(
        `NASM agreement: ${agree}/${both} lines identical (${((100 * agree) / both).toFixed(2)}%), ${corpus.length} lines; NASM rejects ${nasmRejects}`,
      );
      if (process.env.TYPEVISOR_SHOW_DIFF) console.log(differ.join('\n'));
      expect(both).toBeGreaterThan(3000);
      expect(agree / both).toBeGreaterThan(0.9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
