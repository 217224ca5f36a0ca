import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateSource, OUTPUT_PATH } from '../../scripts/generate.ts';

describe('src/generated/encode-tables.ts', () => {
  it('is exactly what scripts/generate.ts makes from the decoder data (run `pnpm --filter @typevisor/x86-asm generate` after the data changes)', () => {
    expect(readFileSync(OUTPUT_PATH, 'utf8') === generateSource()).toBe(true);
  });
});
