import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProgram, corpusPrograms, runNative } from '../test-support/gcc-corpus.ts';
import { runLinuxUser } from '../test-support/linux-user.ts';

const cases = corpusPrograms().flatMap((name) => ['O0', 'O2', 'Os'].map((level) => [name, level] as const));

describe('gcc corpus', () => {
  it.each(cases)('%s at -%s prints byte-identical output natively and in the interpreter', (name, level) => {
    const path = buildProgram(name, level);
    const native = runNative(path);
    const run = runLinuxUser(readFileSync(path));
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(native);
    expect(native.length).toBeGreaterThan(20);
  });
});
