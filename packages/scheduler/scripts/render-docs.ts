// Writes docs/mixed-comparison.md and docs/mixed-timeline.svg; scripts/render-docs.test.ts
// fails when they are stale.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDocsAssets } from './docs-assets.ts';

const docs = join(dirname(fileURLToPath(import.meta.url)), '../docs');
const { table, svg } = buildDocsAssets();
writeFileSync(join(docs, 'mixed-comparison.md'), table);
writeFileSync(join(docs, 'mixed-timeline.svg'), svg);
console.log(`wrote ${join(docs, 'mixed-comparison.md')} and mixed-timeline.svg`);
