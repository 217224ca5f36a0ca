import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { workspacePackages } from './workspace-packages.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const members = workspacePackages(repoRoot);

// Tests run against src/: a package imported by name resolves to its source entry, so
// `pnpm test` needs no build and a change in one package is seen by its dependents at once.
// A subpath export `./x` resolves to `src/x/index.ts` (or `src/x.ts`), the layout tsup entries use.
const escapeRegExp = (text: string): string => text.replace(/[/.]/g, (c) => `\\${c}`);
const alias = members.flatMap((m) => {
  const entries: { find: RegExp; replacement: string }[] = [];
  for (const subpath of m.subpaths) {
    const rest = subpath.slice(2);
    const source = [join(m.dir, 'src', rest, 'index.ts'), join(m.dir, 'src', `${rest}.ts`)].find(existsSync);
    if (source) entries.push({ find: new RegExp(`^${escapeRegExp(`${m.name}/${rest}`)}$`), replacement: source });
  }
  if (existsSync(join(m.dir, 'src/index.ts'))) {
    entries.push({ find: new RegExp(`^${escapeRegExp(m.name)}$`), replacement: join(m.dir, 'src/index.ts') });
  }
  return entries;
});

export default defineConfig({
  resolve: { alias },
  test: {
    reporters: ['default', join(repoRoot, 'tooling/vitest/summary-reporter.ts')],
    passWithNoTests: false,
    // Differential tests against iced-x86 and the host CPU do real work; keep a generous ceiling.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: members.map((m) => ({
      extends: true as const,
      test: {
        name: m.name,
        root: m.dir,
        include: ['src/**/*.test.ts', 'examples/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
      },
    })),
  },
});
