import { defineConfig } from 'tsup';

export default defineConfig({
  // The conformance suite is its own entry so vitest never reaches the main entry's users.
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['vitest'],
});
