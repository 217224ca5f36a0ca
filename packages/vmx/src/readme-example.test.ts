// Runs the README's example verbatim (between the markers), so the README stays true.
import { describe, expect, it } from 'vitest';
import readme from '../README.md?raw';
import * as vmxModule from './index.ts';

function example(): string {
  const m = /```ts\n\/\/ example: start\n([\s\S]*?)\/\/ example: end\n```/.exec(readme);
  if (!m) throw new Error('README example markers not found');
  return m[1]!;
}

describe('README', () => {
  it('runs its example and gets the outcomes the comments state', () => {
    const code = example()
      .replace(/^import[\s\S]*?from '@typevisor\/vmx';\n/m, '')
      .replace(/console\.log\(/g, 'log(');
    const lines: unknown[][] = [];
    const log = (...args: unknown[]) => lines.push(args);
    new Function('vmx', 'log', `with (vmx) {\n${code}\n}`)(vmxModule, log);
    expect(lines).toEqual([
      ['succeed'],
      ['failValid', 7],
      ['ctl.cr3-target-count', '27.2.1.1', 'CR3-target count is at most IA32_VMX_MISC[24:16]'],
      ['entered'],
    ]);
  });

  it('lists every VM-entry check with its section and how it fails', () => {
    const table = readme.replace(/ +/g, ' ');
    for (const c of vmxModule.ENTRY_CHECKS) {
      const how = c.error ? `VMfailValid(${c.error})` : `exit ${c.exitReason}`;
      expect(table).toContain(`| \`${c.id}\` | ${c.section} | ${how} |`);
    }
  });
});
