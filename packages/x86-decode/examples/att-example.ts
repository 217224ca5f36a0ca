import { AttFormatter, Decoder, Instruction } from '@typevisor/x86-decode';

// mov rax,[rdi+8] ; movzx eax,byte ptr [rsi] ; mov dword ptr [rax],1 ; call qword ptr [rax+10h]
const bytes = new Uint8Array([
  0x48, 0x8b, 0x47, 0x08, 0x0f, 0xb6, 0x06, 0xc7, 0x00, 0x01, 0x00, 0x00, 0x00, 0xff, 0x50, 0x10,
]);
const decoder = new Decoder(64, bytes);
const insn = new Instruction();
const att = new AttFormatter();

export const attLines: string[] = [];
while (decoder.canDecode) {
  decoder.decodeOut(insn);
  attLines.push(att.format(insn));
}
// attLines: mov 8(%rdi),%rax / movzbl (%rsi),%eax / movl $1,(%rax) / callq *0x10(%rax)
