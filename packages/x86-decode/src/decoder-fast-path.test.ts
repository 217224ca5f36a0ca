import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Decoder } from './decoder.ts';
import { findElfText } from './elf-text.ts';
import { DecodeStatus, Instruction, OperandKind } from './instruction.ts';

// The decoder takes a fast path for common forms; the general path (decodeFull, called here
// directly) decodes every form. The two must agree on every field the instruction model defines
// as meaningful, also when fewer than 16 bytes are left and the fast path reads a padded copy.

const LONG = process.env.TYPEVISOR_LONG === '1';

/** Every meaningful field of a decoded instruction, as text. */
function fields(i: Instruction): string {
  let s = `${i.status} ${i.code} ${i.length}`;
  if (i.status !== DecodeStatus.Ok) return s;
  s += ` ops=${i.opCount} os=${i.operandSize} as=${i.addressSize} pfx=${i.prefixes} seg=${i.segmentPrefix}`;
  s += ` rep=${i.lastRepPrefix} rex=${i.rex} vl=${i.vectorLength} bits=${i.bitness} ip=${i.ipHi}:${i.ipLo}`;
  for (let k = 0; k < i.opCount; k++) {
    const kind = i.opKind[k]!;
    s += ` [${kind}`;
    if (kind === OperandKind.Register) s += `:${i.opRegister[k]}`;
    if (kind === OperandKind.Memory || kind === OperandKind.MemoryStringSource) {
      s += `:${i.memSegment},${i.memBase},${i.memIndex},${i.memScale},${i.memDisplacementHi}:${i.memDisplacementLo},`;
      s += `${i.memDisplacementSize},${i.memSizeKind}`;
    }
    if (kind === OperandKind.Immediate) s += `:${i.immediateHi}:${i.immediateLo}/${i.immediateSize}`;
    if (kind === OperandKind.NearBranch) s += `:${i.branchHi}:${i.branchLo}`;
    s += ']';
  }
  return s;
}

/** Decodes `bytes` in order; for each instruction compares the open window with a 15-byte one. */
function compare(bits: 32 | 64, bytes: Uint8Array, ipLo: number, ipHi: number): { count: number; bad: string[] } {
  const open = new Decoder(bits, bytes);
  const cut = new Decoder(bits, bytes);
  const a = new Instruction();
  const b = new Instruction();
  const bad: string[] = [];
  let count = 0;
  for (let pos = 0; pos + 16 <= bytes.length; pos += a.length, count++) {
    const lo = (ipLo + pos) >>> 0;
    open.decodeAt(a, pos, lo, ipHi);
    cut.setBuffer(bytes, pos, pos + 15);
    general(cut, b, pos, lo, ipHi);
    if (fields(a) !== fields(b) && bad.length < 5) bad.push(`${pos}: fast ${fields(a)} / general ${fields(b)}`);
  }
  return { count, bad };
}

/** The general path alone (a private method, reached by name for this test). */
function general(d: Decoder, insn: Instruction, pos: number, ipLo: number, ipHi: number): void {
  // biome-ignore lint/complexity/useLiteralKeys: decodeFull is private, bracket access reaches it
  d['decodeFull'](insn, pos, ipLo, ipHi);
}

/** For each instruction start, every window of 0..15 bytes: decodeAt against the general path. */
function compareShort(bits: 32 | 64, bytes: Uint8Array): { count: number; fast: number; bad: string[] } {
  const short = new Decoder(bits, bytes);
  const cut = new Decoder(bits, bytes);
  const a = new Instruction();
  const b = new Instruction();
  const bad: string[] = [];
  let count = 0;
  let fast = 0;
  for (let pos = 0, len = 1; pos + 16 <= bytes.length; pos += len) {
    for (let n = 0; n < 16; n++, count++) {
      short.setBuffer(bytes, pos, pos + n);
      short.decodeAt(a, pos, pos, 0);
      cut.setBuffer(bytes, pos, pos + n);
      general(cut, b, pos, pos, 0);
      if (fields(a) !== fields(b) && bad.length < 5)
        bad.push(`${pos}+${n}: decodeAt ${fields(a)} / general ${fields(b)}`);
      if (a.status === DecodeStatus.Ok) fast++;
    }
    len = Math.max(1, b.length);
  }
  return { count, fast, bad };
}

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('Decoder fast path', () => {
  const text = findElfText(new Uint8Array(readFileSync(process.execPath)))!;
  const real = text.bytes.subarray(0, LONG ? text.bytes.length : 256 << 10);

  it.each([64, 32] as const)('agrees with the general path on real code, field for field (%i-bit)', (bits) => {
    const { count, bad } = compare(bits, real, text.address >>> 0, bits === 64 ? 0x7fff : 0);
    expect(bad).toEqual([]);
    expect(count).toBeGreaterThan(50_000);
  });

  it.each([64, 32] as const)('agrees with the general path on random bytes (%i-bit)', (bits) => {
    // an IP near the top of the address space sends RIP-relative and branch targets across 2^32
    const { bad } = compare(
      bits,
      randomBytes(LONG ? 8 << 20 : 256 << 10, bits),
      0xfffff000,
      bits === 64 ? 0xffffffff : 0,
    );
    expect(bad).toEqual([]);
  });

  it.each([64, 32] as const)(
    'agrees with the general path in windows of 0-15 bytes, truncated included (%i-bit)',
    (bits) => {
      const realShort = compareShort(bits, real.subarray(0, 16 << 10));
      const randomShort = compareShort(bits, randomBytes(16 << 10, bits + 1));
      expect([...realShort.bad, ...randomShort.bad]).toEqual([]);
      expect(realShort.fast).toBeGreaterThan(10_000);
    },
  );

  // Forms whose fast-path layouts are the least common (one immediate, a fixed register and an
  // immediate, NOP vs XCHG r8 by REX.B, sign- and zero-extended immediates of every size),
  // each padded to 16 bytes so that decodeAt takes the fast path.
  it.each([
    ['90', 64],
    ['41 90', 64],
    ['49 90', 64],
    ['48 90', 64],
    ['6a ff', 64],
    ['6a 7f', 32],
    ['68 00 00 00 80', 64],
    ['68 00 00 00 80', 32],
    ['3c 80', 64],
    ['48 3d 00 00 00 80', 64],
    ['66 3d 34 12', 32],
    ['05 ff ff ff ff', 32],
    ['cd 80', 32],
    ['48 83 c0 ff', 64],
    ['83 c0 ff', 64],
    ['41 b8 ff ff ff ff', 64],
    ['48 b8 88 77 66 55 44 33 22 81', 64],
    ['40 b4 12', 64],
    ['b4 12', 64],
  ] as const)('agrees with the general path on %s (%i-bit)', (hex, bits) => {
    const bytes = new Uint8Array(16).fill(0x90);
    bytes.set(hex.split(' ').map((h) => Number.parseInt(h, 16)));
    const a = new Instruction();
    const b = new Instruction();
    new Decoder(bits, bytes).decodeAt(a, 0, 0x1000, 0);
    general(new Decoder(bits, bytes), b, 0, 0x1000, 0);
    expect(a.status).toBe(DecodeStatus.Ok);
    expect(fields(a)).toBe(fields(b));
  });
});
