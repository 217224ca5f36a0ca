import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { workspacePackages } from './workspace-packages.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const members = workspacePackages(repoRoot);

// Tests run against src/: a package imported by name resolves to its source entry, so
// `pnpm test` needs no build and a change in one package is seen by its dependents at once.
const alias = members
  .filter((m) => existsSync(join(m.dir, 'src/index.ts')))
  .map((m) => ({ find: new RegExp(`^${m.name.replace('/', '\\/')}$`), replacement: join(m.dir, 'src/index.ts') }));

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
