#!/usr/bin/env node
// typevisor-disasm [--bits 16|32|64] [--ip ADDR] [--syntax intel|att] FILE | --hex "90 48 8b 07"
// A CLI, so Node APIs are allowed here (and only here in src/).
import { readFileSync } from 'node:fs';
// the package's own entry: the built CLI imports dist/index.js instead of a copy of the library
import { disassembleEach, findElfText } from './index.ts';

const USAGE = 'usage: typevisor-disasm [--bits 16|32|64] [--ip ADDR] [--syntax intel|att] (FILE | --hex "90 48 8b 07")';

/** Runs the CLI on `argv` (without node and script); returns the exit code. */
export function main(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): number {
  let bits: 16 | 32 | 64 | undefined;
  let ip: number | undefined;
  let hex: string | undefined;
  let file: string | undefined;
  let syntax: 'intel' | 'att' = 'intel';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--bits') {
      const b = Number(argv[++i]);
      if (b !== 16 && b !== 32 && b !== 64) {
        err(`--bits must be 16, 32 or 64\n${USAGE}`);
        return 2;
      }
      bits = b;
    } else if (a === '--ip') {
      const v = Number(argv[++i]);
      if (!Number.isSafeInteger(v) || v < 0) {
        err(`--ip needs a non-negative address (decimal or 0x hex)\n${USAGE}`);
        return 2;
      }
      ip = v;
    } else if (a === '--syntax') {
      const v = argv[++i];
      if (v !== 'intel' && v !== 'att') {
        err(`--syntax must be intel or att\n${USAGE}`);
        return 2;
      }
      syntax = v;
    } else if (a === '--hex') hex = argv[++i] ?? '';
    else if (a === '-h' || a === '--help') {
      out(USAGE);
      return 0;
    } else if (file === undefined && !a.startsWith('--')) file = a;
    else {
      err(`unexpected argument ${a}\n${USAGE}`);
      return 2;
    }
  }
  let bytes: Uint8Array;
  if (hex !== undefined) {
    const clean = hex.replace(/0x/gi, '').replace(/[\s,]+/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(clean)) {
      err('--hex needs pairs of hex digits');
      return 2;
    }
    bytes = new Uint8Array(clean.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  } else if (file !== undefined) {
    let data: Uint8Array;
    try {
      data = new Uint8Array(readFileSync(file));
    } catch (e) {
      err(`cannot read ${file}: ${(e as Error).message}`);
      return 1;
    }
    const text = findElfText(data);
    if (text) {
      bytes = text.bytes;
      ip ??= text.address;
      bits ??= text.bitness;
    } else bytes = data;
  } else {
    err(USAGE);
    return 2;
  }
  let chunk: string[] = [];
  disassembleEach(bytes, { bitness: bits ?? 64, ip: ip ?? 0, syntax }, (line) => {
    chunk.push(line);
    if (chunk.length === 4096) {
      out(chunk.join('\n'));
      chunk = [];
    }
  });
  if (chunk.length > 0) out(chunk.join('\n'));
  return 0;
}

const invokedDirectly =
  typeof process !== 'undefined' &&
  process.argv[1] !== undefined &&
  /typevisor-disasm|cli\.[jt]s$/.test(process.argv[1]);
if (invokedDirectly) {
  // `typevisor-disasm FILE | head` closes the pipe early: stop quietly
  process.stdout.on('error', () => process.exit(0));
  process.exitCode = main(
    process.argv.slice(2),
    (s) => process.stdout.write(`${s}\n`),
    (s) => process.stderr.write(`${s}\n`),
  );
}
