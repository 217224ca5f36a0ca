import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decoder } from './decoder.ts';
import { DecodeStatus, Instruction } from './instruction.ts';
import { IntelFormatter } from './intel-formatter.ts';

const RUNS = process.env.TYPEVISOR_LONG === '1' ? 200_000 : 3_000;

describe('decoding any byte sequence', () => {
  const insn = new Instruction();
  const other = new Instruction();
  const formatter = new IntelFormatter();

  it.each([16, 32, 64] as const)('never throws, stays inside the window and always advances (%i-bit)', (bits) => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 20 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (code, tail) => {
          // The window is `code`; the bytes after it differ between two runs. Reading past the
          // window would make the two decodes differ.
          const a = new Uint8Array(code.length + 16);
          a.set(code);
          a.set(tail, code.length);
          const b = new Uint8Array(code.length + 16);
          b.set(code);
          b.fill(0x66, code.length);
          const da = new Decoder(bits, a, { end: code.length });
          const db = new Decoder(bits, b, { end: code.length });
          const sa = da.decodeAt(insn, 0, 0, 0);
          const sb = db.decodeAt(other, 0, 0, 0);
          expect(sa).toBe(sb);
          expect(insn.length).toBe(other.length);
          expect(insn.code).toBe(other.code);
          expect(insn.length).toBeGreaterThanOrEqual(1);
          expect(insn.length).toBeLessThanOrEqual(Math.min(15, code.length));
          if (sa === DecodeStatus.Truncated) expect(insn.length).toBe(code.length);
          expect(formatter.format(insn)).toBe(formatter.format(other));
          // and the stateful API always moves forward
          const before = da.position;
          da.decodeOut(insn);
          expect(da.position).toBeGreaterThan(before);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
