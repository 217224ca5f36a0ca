// Debug helper: runs one corpus program (name, -O level) in the interpreter and natively and compares (tsx bench/debug-run.ts sort O2).
import { readFileSync } from 'node:fs';
import { buildProgram, runNative } from '../src/test-support/gcc-corpus.ts';
import { runLinuxUser } from '../src/test-support/linux-user.ts';
const [name, level] = process.argv.slice(2);
const p = buildProgram(name!, level!);
try {
  const r = runLinuxUser(readFileSync(p), 5e7);
  const n = runNative(p);
  console.log(
    r.stop,
    r.exitCode,
    r.instructions,
    (r.instructions / r.seconds / 1e6).toFixed(1),
    'MIPS',
    r.stdout === n ? 'SAME' : 'DIFF',
  );
  if (r.stdout !== n) console.log(r.stdout, '\n---\n', n);
} catch (e) {
  console.log(String(e));
}
