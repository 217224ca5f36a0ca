import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateSource, OUTPUT_PATH } from '../../scripts/generate.ts';

describe('src/generated/tables.ts', () => {
  it('is exactly what scripts/generate.ts makes from data/x86.isa (run `pnpm generate` after editing the data)', () => {
    expect(readFileSync(OUTPUT_PATH, 'utf8') === generateSource()).toBe(true);
  });
});
