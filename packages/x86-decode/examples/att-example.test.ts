import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attLines } from './att-example.ts';

describe('README AT&T example', () => {
  it('prints what the README says it prints', () => {
    expect(attLines).toEqual(['mov 8(%rdi),%rax', 'movzbl (%rsi),%eax', 'movl $1,(%rax)', 'callq *0x10(%rax)']);
  });

  it('is the code shown in README.md', () => {
    const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');
    const source = readFileSync(join(import.meta.dirname, 'att-example.ts'), 'utf8').replace(
      'export const attLines',
      'const attLines',
    );
    expect(readme).toContain(source.trim());
  });
});
