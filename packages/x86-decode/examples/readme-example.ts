import { Decoder, FLAG_CF, Instruction, IntelFormatter, codeName } from '@typevisor/x86-decode';

// add rax,rcx ; adc rdx,0 ; je $ ; mov eax,[rip+0x10]
const bytes = new Uint8Array([
  0x48, 0x01, 0xc8, 0x48, 0x83, 0xd2, 0x00, 0x74, 0xfe, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00,
]);
const decoder = new Decoder(64, bytes, { ip: 0x401000 });
const insn = new Instruction(); // caller-owned, reused: decoding allocates nothing
const formatter = new IntelFormatter();

export const lines: string[] = [];
while (decoder.canDecode) {
  decoder.decodeOut(insn);
  const readsCarry = (insn.flagsRead & FLAG_CF) !== 0 ? ' (reads CF)' : '';
  lines.push(`${insn.ipLo.toString(16)} ${codeName(insn.code)}: ${formatter.format(insn)}${readsCarry}`);
}
