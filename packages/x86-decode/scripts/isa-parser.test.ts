import { describe, expect, it } from 'vitest';
import { OperandType, RegisterClass } from '../src/operand-type.ts';
import { parseIsa } from './isa-parser.ts';

describe('parseIsa', () => {
  it('expands an `ov` template into the o16/o32/o64 forms with sized operands', () => {
    const { forms } = parseIsa('ov 01 /r | ADD r/mv, rv | 8086 | | w:oszapc | lock');
    expect(forms.map((f) => [f.name, f.osz, f.mode])).toEqual([
      ['Add_rm16_r16', 0, -1],
      ['Add_rm32_r32', 1, -1],
      ['Add_rm64_r64', 2, 1],
    ]);
    const add32 = forms[1]!;
    expect(add32.ops).toEqual([
      OperandType.ModrmRm | (RegisterClass.Gpr32 << 8),
      OperandType.ModrmReg | (RegisterClass.Gpr32 << 8),
    ]);
    expect(add32.attrs).toContain('lock');
  });

  it('reads mandatory prefixes, maps and ModRM constraints', () => {
    const [f] = parseIsa('F3 0F 1E FA | ENDBR64 | CET_IBT | | |').forms;
    expect([f!.pfx, f!.map, f!.opcode, f!.mod, f!.reg, f!.rm]).toEqual([2, 1, 0x1e, 1, 7, 2]);
  });

  it('reads VEX forms and places operands as R, V, M', () => {
    const [f] = parseIsa('VEX.256.66.0F.WIG 58 /r | VADDPD ymm, ymm, ymm/m256 | AVX | | |').forms;
    expect([f!.map, f!.pfx, f!.l, f!.w]).toEqual([4, 1, 1, -1]);
    expect(f!.ops.map((d) => d & 0xff)).toEqual([OperandType.ModrmReg, OperandType.VvvvReg, OperandType.ModrmRm]);
  });

  it('rejects an operand spelling it does not know, naming the line', () => {
    expect(() => parseIsa('\n01 /r | ADD r/m7, r8 | 8086 | | |')).toThrow(/x86.isa:2/);
  });
});
