// pnpm bench: assembler lines/s on a corpus covering every form (plus a small guest kernel
// style source), and encoder instructions/s (decoded instruction -> bytes) against iced-x86's
// Encoder on the same instructions in the same run.
import { createRequire } from 'node:module';
import { measureRate, printLine } from '@typevisor/bench';
import { DecodeStatus, Decoder, Instruction } from '@typevisor/x86-decode';
import { codeMnemonic } from '../src/form-table.ts';
import { assemble, encodeInstruction, encodeInto } from '../src/index.ts';
import { buildCorpus } from '../src/testing/corpus.ts';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: iced-x86 ships CommonJS with wasm glue
const iced: any = require('iced-x86');

// ---- the source: 64-bit corpus lines (every form valid in 64-bit mode, random operands) ----
const lines = buildCorpus(3, 5).filter((l) => l.bits === 64);
const source = lines.map((l) => l.text).join('\n');
const assembled = assemble(source, { bits: 64 });
let sink = 0;

const asmRate = measureRate(() => {
  sink += assemble(source, { bits: 64 }).bytes.length;
  return lines.length;
});

// A guest-style source with labels, forward jumps (relaxation), data and times.
const guestCopy = (k: number): string => `
start${k}:
  mov rcx, 1000
.loop:
  mov rax, [rdi + rcx*8]
  add rax, rsi
  jz .skip
  mov [rdi + rcx*8 - 8], rax
.skip:
  dec rcx
  jnz .loop
  call helper${k}
  ret
helper${k}:
  push rbp
  mov rbp, rsp
  xor eax, eax
  cpuid
  pop rbp
  ret
msg${k}: db "hello from the guest", 10, 0
align 16
table${k}: times 16 dq 0
`;
const guest = `bits 64\n${Array.from({ length: 50 }, (_, k) => guestCopy(k)).join('')}`;
const guestLines = guest.split('\n').length;
const guestRate = measureRate(() => {
  sink += assemble(guest).bytes.length;
  return guestLines;
});

// ---- encoder: decoded instruction -> bytes, ours and iced-x86 over the same bytes ----
const bytes = assembled.bytes;
const decoder = new Decoder(64, bytes, { ip: 0 });
const decoded: Instruction[] = [];
while (decoder.canDecode) {
  const insn = new Instruction();
  decoder.decodeOut(insn);
  if (insn.status === DecodeStatus.Ok) decoded.push(insn);
}
const encodable = decoded.filter((insn) => {
  try {
    encodeInstruction(insn);
    return true;
  } catch {
    return false;
  }
});
const encRate = measureRate(() => {
  for (const insn of encodable) sink += encodeInstruction(insn).length;
  return encodable.length;
});

// the assembler's core: mnemonic + evaluated operands -> shortest encoding
const out = new Uint8Array(16);
const searchable = lines.filter((l) => {
  try {
    encodeInto(out, 0, codeMnemonic(l.code), l.operands, 64, 0, 0);
    return true;
  } catch {
    return false;
  }
});
const mnemonics = searchable.map((l) => codeMnemonic(l.code));
const searchRate = measureRate(() => {
  for (let i = 0; i < searchable.length; i++)
    sink += encodeInto(out, 0, mnemonics[i]!, searchable[i]!.operands, 64, 0, 0);
  return searchable.length;
});

const icedDecoder = new iced.Decoder(64, bytes, iced.DecoderOptions.None);
const icedInsns = icedDecoder.decodeAll();
const icedEncoder = new iced.Encoder(64);
const icedRate = measureRate(() => {
  let n = 0;
  for (let i = 0; i < icedInsns.length; i++) {
    const insn = icedInsns[i];
    sink += icedEncoder.encode(insn, insn.ip);
    n++;
  }
  sink += icedEncoder.takeBuffer().length;
  return n;
});

printLine(`assemble (64-bit, every form, ${lines.length} lines)`, { value: asmRate.perSecond, unit: 'lines/s' });
printLine(`encode mnemonic+operands (shortest-form search)`, { value: searchRate.perSecond, unit: 'instr/s' });
printLine(`assemble (guest-style, labels+relaxation)`, { value: guestRate.perSecond, unit: 'lines/s' });
printLine(
  `encode decoded instr (64-bit, ${encodable.length} instr)`,
  { value: encRate.perSecond, unit: 'instr/s' },
  { name: 'iced-x86', figure: { value: icedRate.perSecond, unit: 'instr/s' } },
);
if (sink === 42) console.log('');
