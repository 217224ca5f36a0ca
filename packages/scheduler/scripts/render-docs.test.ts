import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildDocsAssets } from './docs-assets.ts';

const docs = join(dirname(fileURLToPath(import.meta.url)), '../docs');

describe('docs assets', () => {
  it('are what scripts/render-docs.ts produces today (run `pnpm docs` after a change)', () => {
    const { table, svg } = buildDocsAssets();
    expect(readFileSync(join(docs, 'mixed-comparison.md'), 'utf8')).toBe(table);
    expect(readFileSync(join(docs, 'mixed-timeline.svg'), 'utf8')).toBe(svg);
  });
});
