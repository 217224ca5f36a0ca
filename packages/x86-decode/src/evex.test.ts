// EVEX (AVX-512) machinery, one rule per vector (SDM Vol. 2 2.7). Texts are iced-x86 1.21's;
// test/evex-differential.test.ts compares random encodings of every EVEX form with iced.
import { describe, expect, it } from 'vitest';
import { AttFormatter } from './att-formatter.ts';
import { Decoder } from './decoder.ts';
import { DecodeStatus, Instruction, OperandKind, PREFIX_EVEX } from './instruction.ts';
import { IntelFormatter } from './intel-formatter.ts';
import { MemorySize } from './operand-type.ts';
import { Register } from './register.ts';

const bytesOf = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g)!, (h) => Number.parseInt(h, 16));

function decode(bits: 16 | 32 | 64, hex: string): Instruction {
  const insn = new Instruction();
  new Decoder(bits, bytesOf(hex), { ip: 0x1000 }).decodeOut(insn);
  return insn;
}

const intel = new IntelFormatter();
const att = new AttFormatter();

describe('EVEX decoding', () => {
  it.each([
    // [bits, bytes, Intel, AT&T, what the vector pins]
    [
      64,
      '62f17d48fe4801',
      'vpaddd zmm1,zmm0,[rax+40h]',
      'vpaddd 0x40(%rax),%zmm0,%zmm1',
      'disp8*N: N = 64 for a full zmm operand',
    ],
    [64, '62f17d08fe4801', 'vpaddd xmm1,xmm0,[rax+10h]', 'vpaddd 0x10(%rax),%xmm0,%xmm1', "disp8*N: N = 16 at L'L = 0"],
    [
      64,
      '62f17d58fe4801',
      'vpaddd zmm1,zmm0,[rax+4]{1to16}',
      'vpaddd 4(%rax){1to16},%zmm0,%zmm1',
      'broadcast: N = the element size',
    ],
    [
      64,
      '62f1fd58d448ff',
      'vpaddq zmm1,zmm0,[rax-8]{1to8}',
      'vpaddq -8(%rax){1to8},%zmm0,%zmm1',
      'negative scaled disp8, qword broadcast',
    ],
    [
      64,
      '62f17d48fe8100000100',
      'vpaddd zmm0,zmm0,[rcx+10000h]',
      'vpaddd 0x10000(%rcx),%zmm0,%zmm0',
      'disp32 is not scaled',
    ],
    [
      64,
      '62f17dcbfec1',
      'vpaddd zmm0{k3}{z},zmm0,zmm1',
      'vpaddd %zmm1,%zmm0,%zmm0{%k3}{z}',
      'opmask and zeroing on the destination',
    ],
    [64, '62e17d48fec1', 'vpaddd zmm16,zmm0,zmm1', 'vpaddd %zmm1,%zmm0,%zmm16', "EVEX.R' adds 16 to ModRM.reg"],
    [
      64,
      '62b17d48fec1',
      'vpaddd zmm0,zmm0,zmm17',
      'vpaddd %zmm17,%zmm0,%zmm0',
      'EVEX.X adds 16 to a register in ModRM.rm',
    ],
    [64, '62f17d40fec1', 'vpaddd zmm0,zmm16,zmm1', 'vpaddd %zmm1,%zmm16,%zmm0', "EVEX.V' adds 16 to vvvv"],
    [
      32,
      '62f17d48fec1',
      'vpaddd zmm0,zmm0,zmm1',
      'vpaddd %zmm1,%zmm0,%zmm0',
      'EVEX in 32-bit mode (P0 >= C0h, else BOUND)',
    ],
    [
      16,
      '62f17d48fe4701',
      'vpaddd zmm0,zmm0,[bx+40h]',
      'vpaddd 0x40(%bx),%zmm0,%zmm0',
      'disp8*N with 16-bit addressing',
    ],
    [
      64,
      '62f16c3958cb',
      'vaddps zmm1{k1}{rd-sae},zmm2,zmm3',
      'vaddps {rd-sae},%zmm3,%zmm2,%zmm1{%k1}',
      "{er}: EVEX.b on a register form, L'L = rounding, 512 bits",
    ],
    [
      64,
      '62f16e7858cb',
      'vaddss xmm1{rz-sae},xmm2,xmm3',
      'vaddss {rz-sae},%xmm3,%xmm2,%xmm1',
      "{er} on a scalar form (L'L = 3 allowed with b)",
    ],
    [
      64,
      '62f16c1dc2cb05',
      'vcmpnltps k1{k5}{sae},zmm2,zmm3',
      'vcmpnltps {sae},%zmm3,%zmm2,%k1{%k5}',
      '{sae} and a compare predicate pseudo-op',
    ],
    [
      64,
      '62f1fd18c2cb41',
      'vcmppd k1{sae},zmm0,zmm3,41h',
      'vcmppd $0x41,{sae},%zmm3,%zmm0,%k1',
      'AT&T: {sae} after the immediate',
    ],
    [
      64,
      '62f27d4990540801',
      'vpgatherdd zmm2,k1,[rax+zmm1+4]',
      'vpgatherdd 4(%rax,%zmm1),%zmm2{%k1}',
      "VSIB with a zmm index; Intel: the gather's opmask is an operand",
    ],
    [
      64,
      '62d3fd0817c910',
      'vextractps r9d,xmm1,10h',
      'vextractps $0x10,%xmm1,%r9',
      'AT&T: W1 names the 64-bit register',
    ],
    [
      64,
      '62f27d488b4801',
      'vpcompressd [rax+4],zmm1',
      'vpcompressd %zmm1,4(%rax)',
      'tuple T1S over a full vector: N = the element (4)',
    ],
  ] as const)('%i-bit %s: %s (%s; %s)', (bits, hex, text, attText, _why) => {
    const insn = decode(bits, hex);
    expect(insn.status).toBe(DecodeStatus.Ok);
    expect(insn.length).toBe(hex.length / 2);
    expect(insn.prefixes & PREFIX_EVEX).toBe(PREFIX_EVEX);
    expect(intel.format(insn)).toBe(text);
    expect(att.format(insn)).toBe(attText);
  });

  it('reports the EVEX decorations in the instruction model', () => {
    const masked = decode(64, '62f17dcbfec1');
    expect([masked.opmask, masked.zeroingMasking, masked.broadcast, masked.vectorLength]).toEqual([
      Register.K0 + 3,
      true,
      false,
      2,
    ]);
    const bcst = decode(64, '62f1fd58d448ff');
    expect(bcst.broadcast).toBe(true);
    expect(bcst.memSizeKind).toBe(MemorySize.Qword);
    expect(bcst.opmask).toBe(Register.None);
    // the displacement value is scaled: -1 * 8
    expect([bcst.memDisplacementLo, bcst.memDisplacementHi, bcst.memDisplacementSize]).toEqual([
      0xfffffff8, 0xffffffff, 1,
    ]);
    const full = decode(64, '62f17d48fe4801');
    expect([full.memDisplacementLo, full.memSizeKind, full.opKind[2]]).toEqual([
      0x40,
      MemorySize.Zmmword,
      OperandKind.Memory,
    ]);
  });

  it('resets the EVEX decorations when the reused instruction next holds a non-EVEX decode', () => {
    // vpaddd zmm1{k1}{z},zmm2,dword bcst [rax] ; add rax,rcx (fast path) ; add ax,cx (66: general
    // path) ; the first again through decodeAt, then an EVEX form without decorations
    const bytes = bytesOf('62f16dd9fe084801c86601c862f16d48fec8');
    const d = new Decoder(64, bytes);
    const insn = new Instruction();
    const seen: unknown[][] = [];
    while (d.canDecode) {
      d.decodeOut(insn);
      seen.push([insn.opmask, insn.zeroingMasking, insn.broadcast, insn.roundingControl, insn.suppressAllExceptions]);
    }
    const plain = [Register.None, false, false, 0, false];
    expect(seen).toEqual([[Register.K0 + 1, true, true, 0, false], plain, plain, plain]);
    d.decodeAt(insn, 0, 0, 0);
    expect(insn.opmask).toBe(Register.K0 + 1);
    d.decodeAt(insn, 6, 0, 0);
    expect([insn.opmask, insn.zeroingMasking, insn.broadcast]).toEqual([Register.None, false, false]);
  });

  it.each([
    [64, '62f17dc8fec1', 'EVEX.z without an opmask'],
    [64, '62f17d58fc4801', 'EVEX.b (broadcast) on a form without broadcast (VPADDB)'],
    [64, '62f17d18fec1', 'EVEX.b on a register form without {er}/{sae}'],
    [64, '62f17d49f6c1', 'an opmask on a form without {k1} (VPSADBW)'],
    [64, '62f17d68fec1', "L'L = 3"],
    [32, '62f17d40fec1', "EVEX.V' = 0 (register 16+) outside 64-bit mode"],
    [64, '62f27d49904c0801', 'a gather whose destination is its index register'],
    [64, '62f27d4890540801', 'a gather without an opmask (EVEX.aaa = 0)'],
    [64, '62f17c1810c1', 'EVEX.b on a register form without {er}/{sae} (VMOVUPS)'],
  ] as const)('%i-bit %s is invalid: %s', (bits, hex, why) => {
    expect(why).not.toBe('');
    expect(decode(bits, hex).status).toBe(DecodeStatus.Invalid);
  });

  it('reports an EVEX opcode no form has (iced: invalid) as Unsupported, with the exact length', () => {
    // EVEX.512.NP.0F.W0 00 /r: no instruction
    const insn = decode(64, '62f17c4800c1');
    expect(insn.status).toBe(DecodeStatus.Unsupported);
    expect(insn.length).toBe(6);
    expect(intel.format(insn)).toBe('(bad)');
  });
});
