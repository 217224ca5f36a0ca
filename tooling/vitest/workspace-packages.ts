import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A workspace member that has sources: its npm name and its folder. */
export interface WorkspacePackage {
  readonly name: string;
  readonly dir: string;
  /** The subpaths its `exports` map names besides `.` and `./package.json`, e.g. `./testing`. */
  readonly subpaths: readonly string[];
}

const GROUPS = ['packages', 'apps', 'tooling'] as const;

/** Lists every workspace member with a `src/` folder, by reading the folders pnpm-workspace.yaml names. */
export function workspacePackages(repoRoot: string): WorkspacePackage[] {
  const found: WorkspacePackage[] = [];
  for (const group of GROUPS) {
    const groupDir = join(repoRoot, group);
    if (!existsSync(groupDir)) continue;
    for (const entry of readdirSync(groupDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(groupDir, entry.name);
      const manifest = join(dir, 'package.json');
      if (!existsSync(manifest) || !existsSync(join(dir, 'src'))) continue;
      const { name, exports } = JSON.parse(readFileSync(manifest, 'utf8')) as {
        name: string;
        exports?: Record<string, unknown>;
      };
      const subpaths = Object.keys(exports ?? {}).filter((key) => key !== '.' && key !== './package.json');
      found.push({ name, dir, subpaths });
    }
  }
  return found;
}
