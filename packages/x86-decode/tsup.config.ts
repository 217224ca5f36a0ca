import { defineConfig } from 'tsup';

// Cold start (import + first decode) pays for every module file Node resolves and reads, so the
// library is one file, dist/index.js (no shared chunk), and the CLI imports it rather than a
// chunk of it (see README "Speed").
export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  splitting: false,
  target: 'es2022',
  platform: 'neutral',
  esbuildPlugins: [
    {
      name: 'cli-imports-the-library',
      setup(build) {
        build.onResolve({ filter: /^\.\/index\.ts$/ }, () => ({ path: './index.js', external: true }));
      },
    },
  ],
});
