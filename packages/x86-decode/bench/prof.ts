import { readFileSync } from 'node:fs';
import { Decoder, findElfText, Instruction } from '../src/index.ts';
const text = findElfText(new Uint8Array(readFileSync(process.execPath)))!;
const bytes = text.bytes.slice(0, 1 << 20);
const d = new Decoder(64, bytes);
const insn = new Instruction();
function run(): number {
  let n = 0;
  d.setBuffer(bytes);
  while (d.canDecode) {
    d.decodeOut(insn);
    n++;
  }
  return n;
}
for (let r = 0; r < 25; r++) run();
