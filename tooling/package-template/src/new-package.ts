#!/usr/bin/env node
// Stamps out packages/<name> from tooling/package-template/template.
// Usage: pnpm new-package <name> "<one-line description>"
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [name, description = ''] = process.argv.slice(2);
if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) {
  console.error('usage: new-package <kebab-case-name> "<description>"');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');
const target = join(repoRoot, 'packages', name);
if (existsSync(target)) {
  console.error(`packages/${name} exists already`);
  process.exit(1);
}
cpSync(join(here, '../template'), target, { recursive: true });
const stamp = (dir: string): void => {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) stamp(path);
    else
      writeFileSync(
        path,
        readFileSync(path, 'utf8').replaceAll('__NAME__', name).replaceAll('__DESCRIPTION__', description),
      );
  }
};
stamp(target);
writeFileSync(
  join(repoRoot, '.changeset', `new-${name}.md`),
  `---\n'@typevisor/${name}': minor\n---\n\nFirst release of @typevisor/${name}: ${description}\n`,
);
console.log(`created packages/${name} and .changeset/new-${name}.md; run pnpm install`);
