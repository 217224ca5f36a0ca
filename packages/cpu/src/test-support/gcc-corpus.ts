import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** packages/cpu/test-programs */
export const CORPUS_DIR = join(here, '..', '..', 'test-programs');
/** Build output (gitignored). */
export const CORPUS_BUILD = join(here, '..', '..', '.cache', 'corpus');

/** The corpus program names (one .c file each). */
export function corpusPrograms(): string[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.c'))
    .map((f) => f.slice(0, -2))
    .sort();
}

/** Compiles `name` at `-O<level>` as a static freestanding ELF64 (cached by mtime) and returns its path. */
export function buildProgram(name: string, level: string): string {
  mkdirSync(CORPUS_BUILD, { recursive: true });
  const src = join(CORPUS_DIR, `${name}.c`);
  const out = join(CORPUS_BUILD, `${name}-${level}`);
  const newest = Math.max(statSync(src).mtimeMs, statSync(join(CORPUS_DIR, 'rt.h')).mtimeMs);
  if (!existsSync(out) || statSync(out).mtimeMs < newest) {
    execFileSync('gcc', [
      `-${level}`,
      '-static',
      '-nostdlib',
      '-fno-pie',
      '-no-pie',
      '-fno-stack-protector',
      '-fcf-protection=none',
      '-ffreestanding',
      '-fno-tree-loop-distribute-patterns',
      '-o',
      out,
      src,
      '-lgcc',
    ]);
  }
  return out;
}

/** Runs the program natively and returns its stdout. */
export function runNative(path: string): string {
  return execFileSync(path, { encoding: 'utf8' });
}
