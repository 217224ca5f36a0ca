import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
// The files the published bundle is made of (tests and the CLI excepted).
const bundled = [
  ...readdirSync(here)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'cli.ts')
    .map((f) => join(here, f)),
  join(here, 'generated/tables.ts'),
];

describe('bundled sources', () => {
  // One non-ASCII character (an em dash in a doc comment is enough) makes the whole bundle a
  // two-byte source string for V8 and slows the UTF-8 decode of the import: cold start pays.
  it.each(bundled.map((f) => [f.slice(here.length + 1), f]))('%s is pure ASCII', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    let at = -1;
    for (let i = 0; i < text.length && at < 0; i++) if (text.charCodeAt(i) > 0x7f) at = i;
    expect(
      at === -1 ? '' : `non-ASCII at offset ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 20), at + 5))}`,
    ).toBe('');
  });
});
