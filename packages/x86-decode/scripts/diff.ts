// Ad-hoc differential run: pnpm tsx scripts/diff.ts [node|random] [16|32|64] [count]
import { readFileSync } from 'node:fs';
import { findElfText } from '../src/elf-text.ts';
import { compareWithIced } from '../test/iced-oracle.ts';

const corpus = process.argv[2] ?? 'node';
const bits = Number(process.argv[3] ?? 64) as 16 | 32 | 64;
const count = Number(process.argv[4] ?? 200000);
let bytes: Uint8Array;
let ip = 0;
if (corpus === 'node') {
  const text = findElfText(new Uint8Array(readFileSync(process.execPath)))!;
  bytes = text.bytes.subarray(0, count);
  ip = text.address;
} else {
  bytes = new Uint8Array(count);
  let x = 12345;
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
}
const r = compareWithIced(bits, bytes, ip, 100000);
console.log(
  `${corpus} ${bits}: total ${r.total} length ${((100 * r.sameLength) / r.total).toFixed(3)}% text ${((100 * r.sameText) / r.total).toFixed(3)}%`,
);
const groups = new Map<string, { n: number; ex: string }>();
for (const d of r.disagreements) {
  const key = `${d.theirs.split(' ')[0]} | ${d.ours.split(' ')[0]}`;
  const g = groups.get(key) ?? {
    n: 0,
    ex: `${d.hex}  iced: ${d.theirs} (${d.theirsLength})  ours: ${d.ours} (${d.oursLength})`,
  };
  g.n++;
  groups.set(key, g);
}
for (const [k, g] of [...groups.entries()].sort((a, b) => b[1].n - a[1].n).slice(0, Number(process.env.TOP ?? 40))) {
  console.log(String(g.n).padStart(7), k.padEnd(30), g.ex);
}
