// decode(encode(x)) === x over every form of the table: random registers, memory operands and
// immediates, encoded with exactly that form, decoded by @typevisor/x86-decode.
import { DecodeStatus, Decoder, Instruction, OperandKind, codeName } from '@typevisor/x86-decode';
import { describe, expect, it } from 'vitest';
import { encodeInstruction } from './encode-instruction.ts';
import { encodeCodeInto } from './encoder.ts';
import { codeMnemonic, ENCODE_CODE_COUNT } from './form-table.ts';
import { BRANCH_IP, buildCorpus } from './testing/corpus.ts';

// Forms whose encodings the table also gives to a more specific instruction: the reserved-NOP
// space 0F 18-1F (PREFETCH*, CLDEMOTE, and 0F 1E /1 with F3, which is RDSSPD).
const OVERLAPPING = new Set(['NOP']);

const PER_FORM = process.env.TYPEVISOR_LONG ? 20 : 4;
const hex = (b: ArrayLike<number>): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

describe('round trip through the decoder', () => {
  const corpus = buildCorpus(PER_FORM, 11, false);

  it(`decodes every encoded form back to the same code, length and operands (${PER_FORM} random instances per form and mode)`, () => {
    const out = new Uint8Array(16);
    const insn = new Instruction();
    const failures: string[] = [];
    const covered = new Set<number>();
    const aliases: string[] = [];
    for (const line of corpus) {
      let n: number;
      try {
        n = encodeCodeInto(out, 0, line.code, line.operands, line.bits, BRANCH_IP, 0);
      } catch (e) {
        failures.push(`${line.bits}: ${codeName(line.code)} ${line.text}: encode: ${(e as Error).message}`);
        continue;
      }
      const bytes = out.slice(0, n);
      new Decoder(line.bits, bytes, { ip: BRANCH_IP }).decodeOut(insn);
      const where = `${line.bits}: ${codeName(line.code)} ${line.text} [${hex(bytes)}]`;
      if (insn.status === DecodeStatus.Ok && insn.code !== line.code && insn.length === n) {
        // the same bytes are also a more specific form (hint NOPs that are PREFETCH*, ...)
        let same = false;
        try {
          same = hex(encodeInstruction(insn)) === hex(bytes);
        } catch {}
        if (same || OVERLAPPING.has(codeMnemonic(line.code))) {
          aliases.push(`${where}: decodes as ${codeName(insn.code)}`);
          continue;
        }
      }
      if (insn.status !== DecodeStatus.Ok || insn.code !== line.code || insn.length !== n) {
        failures.push(`${where}: decoded ${codeName(insn.code)} status ${insn.status} length ${insn.length}`);
        continue;
      }
      // every written register comes back, in order (implicit ST(0) and the like may sit between)
      let k = 0;
      let ok = true;
      for (const o of line.operands) {
        if (o.kind === 'reg') {
          while (k < insn.opCount && !(insn.opKind[k] === OperandKind.Register && insn.opRegister[k] === o.reg)) k++;
          if (k === insn.opCount) ok = false;
          k++;
        }
        if (o.kind === 'mem' && o.base !== 0 && insn.memBase !== o.base) ok = false;
        if (o.kind === 'mem' && o.index !== 0 && (insn.memIndex !== o.index || insn.memScale !== o.scale)) ok = false;
      }
      let again: Uint8Array;
      try {
        again = encodeInstruction(insn);
      } catch (e) {
        failures.push(`${where}: re-encoding the decoded instruction: ${(e as Error).message}`);
        continue;
      }
      if (!ok || hex(again) !== hex(bytes)) {
        failures.push(`${where}: operands differ or re-encoding gives [${hex(again)}]`);
        continue;
      }
      covered.add(line.code);
    }
    console.log(
      `round trip: ${corpus.length - failures.length - aliases.length}/${corpus.length} instances exact, ${aliases.length} decode as another form with the same bytes, ${failures.length} fail; ${covered.size} of ${ENCODE_CODE_COUNT - 1} forms`,
    );
    if (process.env.TYPEVISOR_SHOW_DIFF) console.log([...failures, ...aliases].join('\n'));
    expect(failures.slice(0, 20)).toEqual([]);
  });
});
