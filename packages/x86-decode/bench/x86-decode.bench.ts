// pnpm bench: decode-only and decode+format throughput on the same real-code buffer (the
// .text of the Node.js binary running the bench), for typevisor and for iced-x86 in the same
// run, plus cold start (import + first decode) in fresh processes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureRate, printLine } from '@typevisor/bench';
import { AttFormatter, Decoder, findElfText, Instruction, IntelFormatter } from '../src/index.ts';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: iced-x86 ships CommonJS with wasm glue
const iced: any = require('iced-x86');
const here = dirname(fileURLToPath(import.meta.url));

const text = findElfText(new Uint8Array(readFileSync(process.execPath)))!;
const SIZE = 1 << 20;
const bytes = text.bytes.slice(0, SIZE);

// ---- typevisor ----
const ours = new Decoder(64, bytes, { ip: text.address });
const insn = new Instruction();
const formatter = new IntelFormatter();
const attFormatter = new AttFormatter();
let sink = 0;
function oursDecode(): number {
  ours.setBuffer(bytes);
  ours.ip = text.address;
  let n = 0;
  while (ours.canDecode) {
    ours.decodeOut(insn);
    n++;
  }
  sink += insn.code;
  return n;
}
function oursFormat(): number {
  ours.setBuffer(bytes);
  ours.ip = text.address;
  let n = 0;
  while (ours.canDecode) {
    ours.decodeOut(insn);
    sink += formatter.format(insn).length;
    n++;
  }
  return n;
}

function oursFormatAtt(): number {
  ours.setBuffer(bytes);
  ours.ip = text.address;
  let n = 0;
  while (ours.canDecode) {
    ours.decodeOut(insn);
    sink += attFormatter.format(insn).length;
    n++;
  }
  return n;
}

// ---- iced-x86: decodeOut into a reused instruction ----
const icedDecoder = new iced.Decoder(64, bytes, iced.DecoderOptions.None);
const icedInsn = new iced.Instruction();
const icedFormatter = new iced.Formatter(iced.FormatterSyntax.Intel);
const icedGas = new iced.Formatter(iced.FormatterSyntax.Gas);
const startIp = BigInt(text.address);
function icedDecode(): number {
  icedDecoder.position = 0;
  icedDecoder.ip = startIp;
  let n = 0;
  while (icedDecoder.canDecode) {
    icedDecoder.decodeOut(icedInsn);
    n++;
  }
  return n;
}
function icedFormat(): number {
  icedDecoder.position = 0;
  icedDecoder.ip = startIp;
  let n = 0;
  while (icedDecoder.canDecode) {
    icedDecoder.decodeOut(icedInsn);
    sink += icedFormatter.format(icedInsn).length;
    n++;
  }
  return n;
}

function icedFormatGas(): number {
  icedDecoder.position = 0;
  icedDecoder.ip = startIp;
  let n = 0;
  while (icedDecoder.canDecode) {
    icedDecoder.decodeOut(icedInsn);
    sink += icedGas.format(icedInsn).length;
    n++;
  }
  return n;
}

const count = oursDecode();
const bytesPerInsn = SIZE / count;
/**
 * Units per second of CPU time (`process.cpuUsage`, user + system) of `batch` run for at least
 * `ms` milliseconds of CPU time. On this shared machine wall-clock samples also count the time
 * the process waits for a core, which other engineers' test runs make large and uneven.
 */
function cpuRate(batch: () => number, ms: number): number {
  let units = 0;
  const start = process.cpuUsage();
  let used = 0;
  do {
    units += batch();
    const d = process.cpuUsage(start);
    used = (d.user + d.system) / 1000;
  } while (used < ms);
  return (units * 1000) / used;
}
/** Medians of one paired measurement, and the spread of its per-round ratios. */
interface Paired {
  ours: number;
  theirs: number;
  /** Median, lowest and highest of the per-round ratios ours/theirs. */
  ratio: number;
  minRatio: number;
  maxRatio: number;
  rounds: number;
}
/**
 * Rates of `ours` and `theirs` sampled alternately, one 100 ms CPU-time sample each per round,
 * the side that goes first alternating from round to round, so that load from other processes
 * and any drift hit both sides alike. Reports the medians of each side's rates and of the
 * per-round ratios: a round's two samples are taken back to back, so a load change between
 * rounds moves both and leaves their ratio, where the medians of whole columns can pair a quiet
 * sample of one side with a loaded one of the other.
 */
function paired(ours: () => number, theirs: () => number, rounds = 21): Paired {
  measureRate(ours, { warmupMs: 300, samples: 1, sampleMs: 100 });
  measureRate(theirs, { warmupMs: 300, samples: 1, sampleMs: 100 });
  const a: number[] = [];
  const b: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let x: number;
    let y: number;
    if (r % 2 === 0) {
      x = cpuRate(ours, 100);
      y = cpuRate(theirs, 100);
    } else {
      y = cpuRate(theirs, 100);
      x = cpuRate(ours, 100);
    }
    a.push(x);
    b.push(y);
    ratios.push(x / y);
  }
  return {
    ours: median(a),
    theirs: median(b),
    ratio: median(ratios),
    minRatio: Math.min(...ratios),
    maxRatio: Math.max(...ratios),
    rounds,
  };
}
function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[sorted.length >> 1]!;
}
const decode = paired(oursDecode, icedDecode);
const format = paired(oursFormat, icedFormat);
const att = paired(oursFormatAtt, icedFormatGas, 9);

console.log(
  `# x86-decode: ${count} instructions in the first ${SIZE >> 20} MiB of ${process.execPath} .text (node ${process.version})`,
);
/** Prints a rate in instructions/s and in MB/s (the buffer's mean instruction length), against iced. */
function printRates(name: string, ours: number, theirs: number): void {
  const anchor = (value: number, unit: string) => ({ name: 'iced-x86', figure: { value, unit } });
  printLine(name, { value: ours, unit: 'instr/s' }, anchor(theirs, 'instr/s'));
  printLine(name, { value: (ours * bytesPerInsn) / 1e6, unit: 'MB/s' }, anchor((theirs * bytesPerInsn) / 1e6, 'MB/s'));
}
printRates('decode-only (64-bit, real code)', decode.ours, decode.theirs);
printRates('decode+format Intel (64-bit, real code)', format.ours, format.theirs);
printRates('decode+format AT&T (64-bit, real code)', att.ours, att.theirs);
/** The per-round ratios of one paired measurement: median and range. */
function printPairedRatio(name: string, m: Paired): void {
  const x = (v: number) => `${v.toFixed(2)}x`;
  console.log(
    `${`${name}: per-round ratio`.padEnd(44)}  median ${x(m.ratio)} (${x(m.minRatio)}-${x(m.maxRatio)}, ${m.rounds} rounds)`,
  );
}
printPairedRatio('decode-only', decode);
printPairedRatio('decode+format Intel', format);
printPairedRatio('decode+format AT&T', att);

// ---- cold start: a fresh process imports the package and decodes one instruction ----
const dist = join(here, '../dist/index.js');
/** Milliseconds from before the import to after the first decode, in a fresh node process. */
function coldStart(script: string, type: 'module' | 'commonjs'): number {
  const out = execFileSync(process.execPath, ['--input-type', type, '-e', script], { encoding: 'utf8' });
  return Number(out.trim());
}
/** The cold-start script: `performance.now()` around the import of `entry` and one decode of `48 8b 07`. */
const importAndDecode = (entry: string): string =>
  `const t = performance.now(); const m = await import(${JSON.stringify(entry)}); const i = new m.Instruction(); new m.Decoder(64, new Uint8Array([0x48, 0x8b, 0x07])).decodeOut(i); if (i.length !== 3) throw new Error('bad'); console.log(performance.now() - t);`;
if (existsSync(dist)) {
  const ourScript = importAndDecode(dist);
  // Node's own cost of a first import() of an ES module: a package of the same shape (a
  // package.json with "type": "module", the same two exports) that does nothing.
  const stubDir = mkdtempSync(join(tmpdir(), 'x86-decode-cold-'));
  writeFileSync(join(stubDir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(
    join(stubDir, 'index.js'),
    'export class Instruction { length = 0; }\nexport class Decoder { constructor(bits, bytes) { this.n = bytes.length; } decodeOut(i) { i.length = this.n; } }\n',
  );
  const stubScript = importAndDecode(join(stubDir, 'index.js'));
  const icedScript = `const t = performance.now(); const m = require(${JSON.stringify(require.resolve('iced-x86'))}); const i = new m.Instruction(); new m.Decoder(64, new Uint8Array([0x48, 0x8b, 0x07]), 0).decodeOut(i); if (i.length !== 3) throw new Error('bad'); console.log(performance.now() - t);`;
  // alternate the three, 15 fresh processes each, and report the medians
  const ours: number[] = [];
  const stub: number[] = [];
  const theirs: number[] = [];
  const load = loadavg()[0]!;
  for (let i = 0; i < 15; i++) {
    ours.push(coldStart(ourScript, 'module'));
    stub.push(coldStart(stubScript, 'module'));
    theirs.push(coldStart(icedScript, 'commonjs'));
  }
  rmSync(stubDir, { recursive: true });
  printLine(
    'cold start (import + first decode)',
    { value: median(ours), unit: 'ms' },
    { name: 'iced-x86', figure: { value: median(theirs), unit: 'ms' }, lowerIsBetter: true },
  );
  printLine('cold start, own share (minus an empty module)', { value: median(ours) - median(stub), unit: 'ms' });
  console.log(
    `# cold start: 15 alternating fresh processes each; empty module ${median(stub).toFixed(1)} ms; load average ${load.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}`,
  );
} else {
  console.log('cold start: run `pnpm build` first (measured on dist/)');
}
if (sink === -1) console.log(sink);
