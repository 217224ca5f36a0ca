// Random cases for the 16- and 32-bit differential (legacy-oracle.ts): the general-purpose
// templates of the 64-bit differential without REX, in 16-bit and 32-bit code with both
// operand sizes, plus the forms that exist only outside 64-bit mode (BCD, SALC, PUSHA/POPA,
// BOUND, ARPL, LDS/LES/LSS/LFS/LGS, LAR/LSL/VERR/VERW, INC/DEC r, PUSH/POP r, PUSH/POP seg).
import { codeName, Decoder, Instruction } from '@typevisor/x86-decode';
import { randomWord, Rng, type Template, templates } from './differential.ts';
import { LEGACY_CODE_AT, LEGACY_MEM, LEGACY_TAKEN, type LegacyCase, type LegacyResult, SEL } from './legacy-oracle.ts';

/** What a selector operand of a generated case should hold. */
const enum Selector {
  None = 0,
  /** Any selector of the kernel's tables (and some beyond them), random RPL: LAR/LSL/VERR/VERW. */
  Any = 1,
  /** Selectors valid or invalid for DS/ES/GS. */
  Data = 2,
  /** Selectors for SS. */
  Stack = 3,
  /** FS must stay flat (the kernel's return path writes through FS). */
  Flat = 4,
}

/** How a control-transfer or stack form reaches CODE_AT + LEGACY_TAKEN, or what else a form needs set up. */
const enum Flow {
  None = 0,
  /** A relative displacement of `rel` bytes ('z': the operand size) at the end, aimed at the taken tail. */
  Relative = 1,
  /** Near JMP/CALL r/m: the register or memory operand holds the target offset. */
  IndirectNear = 2,
  /** Far JMP/CALL m16:16/32: memory holds offset and selector. */
  IndirectFar = 3,
  /** Far JMP/CALL ptr16:16/32: the immediate is offset and selector. */
  DirectFar = 4,
  /** RET/RET imm16: the stack slot holds the target offset. */
  Return = 5,
  /** RETF: offset and selector on the stack. */
  ReturnFar = 6,
  /** IRET: offset, selector and EFLAGS on the stack. */
  Iret = 7,
  /** String instruction: ESI/EDI inside the memory bytes, a small ECX. */
  String = 8,
  /** ENTER/LEAVE: EBP inside the memory bytes. */
  Frame = 9,
  /** POPF: the popped image keeps only the status flags and DF (no TF/IF/IOPL changes). */
  Popf = 10,
  /** MOV AL/AX/EAX <-> moffs: the offset is the memory bytes' address. */
  Moffs = 11,
  /** XLAT: EBX at the memory bytes, AL small. */
  Xlat = 12,
}

interface LegacyTemplate extends Omit<Template, 'rel'> {
  selector?: Selector;
  flow?: Flow;
  /** Relative displacement size for Flow.Relative. */
  rel?: 1 | 'z';
  /** Counted branches (LOOPcc, JCXZ): ECX is set to 0..2. */
  counter?: boolean;
  /** Forms whose operand size also sizes EIP: only the default size in 32-bit code (66h would truncate EIP). */
  ipSized?: boolean;
  /** Prefix bytes before the opcode (REP/REPNE for strings). */
  prefix?: number[];
  /** The selector is the r/m operand itself (MOV Sreg, LAR...), not the far pointer's selector word. */
  selectorIsRm?: boolean;
}

function legacyTemplates(): LegacyTemplate[] {
  // The 64-bit differential's templates, minus the REX.W-only form (MOVSXD) and the shifts of
  // 16-bit SHLD/SHRD by more than 16 (compared with a mask like the 64-bit test does).
  // Control-transfer and stack templates of the 64-bit set are left out: this file has its own
  // (aimed at the kernel's taken tail, with the stack inside the memory bytes).
  const t: LegacyTemplate[] = templates().filter(
    (x) => !x.wOnly && x.rel === undefined && x.stack === undefined && !x.indirect && !x.counter,
  ) as LegacyTemplate[];
  for (const op of [0x27, 0x2f, 0x37, 0x3f, 0xd6]) t.push({ op: [op], byte: true });
  t.push({ op: [0xd4], imm: 1, byte: true }, { op: [0xd5], imm: 1, byte: true });
  t.push({ op: [0x60] }, { op: [0x61] });
  // BOUND is left out: v86 treats it as a no-op (no #BR), so it is no oracle for it (unit tests pin it).
  t.push({ op: [0x63], modrm: 'r', byte: true });
  t.push({ op: [0x40], plusReg: true }, { op: [0x48], plusReg: true });
  t.push({ op: [0x50], plusReg: true }, { op: [0x58], plusReg: true });
  t.push({ op: [0x06] }, { op: [0x1e] }, { op: [0x0f, 0xa0] }, { op: [0x0f, 0xa8] });
  t.push({ op: [0x07] }, { op: [0x1f] }, { op: [0x0f, 0xa9] });
  t.push({ op: [0xc4], modrm: 'r', memOnly: true, selector: Selector.Data });
  t.push({ op: [0xc5], modrm: 'r', memOnly: true, selector: Selector.Data });
  t.push({ op: [0x0f, 0xb2], modrm: 'r', memOnly: true, selector: Selector.Stack });
  t.push({ op: [0x0f, 0xb4], modrm: 'r', memOnly: true, selector: Selector.Flat });
  t.push({ op: [0x0f, 0xb5], modrm: 'r', memOnly: true, selector: Selector.Data });
  t.push(
    { op: [0x0f, 0x02], modrm: 'r', selector: Selector.Any },
    { op: [0x0f, 0x03], modrm: 'r', selector: Selector.Any },
  );
  t.push({ op: [0x0f, 0x00], modrm: 4, byte: true, selector: Selector.Any });
  t.push({ op: [0x0f, 0x00], modrm: 5, byte: true, selector: Selector.Any });
  // Control transfers: every Jcc (rel8, rel16/32), JMP, CALL, LOOPcc/JCXZ, indirect, far, returns.
  for (let cc = 0; cc < 16; cc++) {
    t.push({ op: [0x70 + cc], flow: Flow.Relative, rel: 1, ipSized: true });
    t.push({ op: [0x0f, 0x80 + cc], flow: Flow.Relative, rel: 'z', ipSized: true });
  }
  t.push({ op: [0xeb], flow: Flow.Relative, rel: 1, ipSized: true });
  t.push({ op: [0xe9], flow: Flow.Relative, rel: 'z', ipSized: true });
  t.push({ op: [0xe8], flow: Flow.Relative, rel: 'z', ipSized: true });
  for (const op of [0xe0, 0xe1, 0xe2, 0xe3])
    t.push({ op: [op], flow: Flow.Relative, rel: 1, counter: true, ipSized: true });
  t.push({ op: [0xff], modrm: 4, flow: Flow.IndirectNear, ipSized: true });
  t.push({ op: [0xff], modrm: 2, flow: Flow.IndirectNear, ipSized: true });
  t.push({ op: [0xff], modrm: 5, memOnly: true, flow: Flow.IndirectFar, ipSized: true });
  t.push({ op: [0xff], modrm: 3, memOnly: true, flow: Flow.IndirectFar, ipSized: true });
  t.push({ op: [0xea], flow: Flow.DirectFar, ipSized: true }, { op: [0x9a], flow: Flow.DirectFar, ipSized: true });
  t.push({ op: [0xc3], flow: Flow.Return, ipSized: true }, { op: [0xc2], imm: 2, flow: Flow.Return, ipSized: true });
  t.push(
    { op: [0xcb], flow: Flow.ReturnFar, ipSized: true },
    { op: [0xca], imm: 2, flow: Flow.ReturnFar, ipSized: true },
  );
  t.push({ op: [0xcf], flow: Flow.Iret, ipSized: true });
  // Stack frames and flags.
  t.push({ op: [0xc8], imm: 3, flow: Flow.Frame }, { op: [0xc9], flow: Flow.Frame });
  t.push({ op: [0x68], imm: 'z' }, { op: [0x6a], imm: 1 }, { op: [0xff], modrm: 6 }, { op: [0x8f], modrm: 0 });
  t.push({ op: [0x9c] }, { op: [0x9d], flow: Flow.Popf });
  // Moves and exchanges with immediates, moffs, the accumulator; the 82h and TEST /1 aliases; XLAT; NOPs.
  for (let n = 0; n < 8; n++) t.push({ op: [0x82], modrm: n, imm: 1, byte: true });
  t.push({ op: [0xf6], modrm: 1, imm: 1, byte: true }, { op: [0xf7], modrm: 1, imm: 'z' });
  t.push({ op: [0xb0], plusReg: true, imm: 1, byte: true }, { op: [0xb8], plusReg: true, imm: 'z' });
  t.push({ op: [0xc6], modrm: 0, imm: 1, byte: true }, { op: [0xc7], modrm: 0, imm: 'z' });
  t.push({ op: [0x90], plusReg: true });
  for (const op of [0xa0, 0xa1, 0xa2, 0xa3]) t.push({ op: [op], flow: Flow.Moffs, byte: op === 0xa0 || op === 0xa2 });
  t.push({ op: [0xd7], flow: Flow.Xlat, byte: true });
  t.push({ op: [0x0f, 0x1f], modrm: 0 }, { op: [0x0f, 0x18], modrm: 1, memOnly: true, byte: true });
  t.push({ op: [0x0f, 0xc7], modrm: 1, memOnly: true, byte: true });
  // Segment registers: MOV Sreg, r/m (FS stays flat, SS only writable data) and MOV r/m, Sreg; PUSH CS/SS; CLD/STD.
  for (const [n, selector] of [
    [0, Selector.Data],
    [2, Selector.Stack],
    [3, Selector.Data],
    [4, Selector.Flat],
    [5, Selector.Data],
  ] as const)
    t.push({ op: [0x8e], modrm: n, byte: true, selector, selectorIsRm: true });
  for (let n = 0; n < 6; n++) t.push({ op: [0x8c], modrm: n });
  t.push({ op: [0x0e] }, { op: [0x16] }, { op: [0xfc], byte: true }, { op: [0xfd], byte: true });
  // The reserved-NOP space 0F 19, 0F 1C..0F 1F /r. Left out: 0F 1A/1B (NOPs without MPX, #UD on
  // v86) and the 0F 0D PREFETCH group (#UD on v86).
  for (const op of [0x19, 0x1c, 0x1d, 0x1e, 0x1f]) t.push({ op: [0x0f, op], modrm: 'r' });
  // Strings with and without REP/REPE/REPNE.
  for (const [op, prefixes] of [
    [0xa4, [[], [0xf3]]],
    [0xaa, [[], [0xf3]]],
    [0xac, [[], [0xf3]]],
    [0xa6, [[], [0xf3], [0xf2]]],
    [0xae, [[], [0xf3], [0xf2]]],
  ] as const) {
    for (const prefix of prefixes) {
      t.push({ op: [op], flow: Flow.String, byte: true, prefix: [...prefix] });
      t.push({ op: [op + 1], flow: Flow.String, prefix: [...prefix] });
    }
  }
  return t;
}

const ANY_SELECTORS = [
  0,
  3,
  ...Object.values(SEL).filter((s) => s !== SEL.ldtData && s !== SEL.ldtCode),
  SEL.ldtData,
  SEL.ldtCode,
  0x14,
  0x70,
  0x78,
  0xfff8,
];
const DATA_SELECTORS = [
  0,
  SEL.data32,
  SEL.data16,
  SEL.dataReadOnly,
  SEL.codeConforming,
  SEL.codeExecOnly,
  SEL.dataDpl3,
  SEL.tss32,
  SEL.notPresent,
  SEL.ldtData,
  0x78,
];
const STACK_SELECTORS = [0, SEL.data32, SEL.dataReadOnly, SEL.dataDpl3, SEL.codeConforming];

/**
 * A random memory operand whose effective address is `target`: the ModRM mod/rm bits (reg
 * field 0), SIB and displacement bytes, and the register values that produce the address.
 * 16-bit addressing covers all eight base/index pairs (BP-based ones through SS, which has
 * the same base here) with wrap-around at 64 KiB; 32-bit addressing covers base, SIB with
 * every scale, and disp8/disp32.
 */
function memoryOperand(rng: Rng, addr16: boolean, target: number): { bytes: number[]; regs: [number, number][] } {
  const mod = rng.below(3);
  if (addr16) {
    const rm = rng.below(8);
    if (mod === 0 && rm === 6) return { bytes: [0x06, target & 0xff, target >>> 8], regs: [] };
    const disp = mod === 1 ? rng.below(256) : mod === 2 ? rng.below(0x10000) : 0;
    const dispValue = mod === 1 ? (disp << 24) >> 24 : disp;
    const dispBytes = mod === 1 ? [disp] : mod === 2 ? [disp & 0xff, disp >>> 8] : [];
    // rm: [bx+si] [bx+di] [bp+si] [bp+di] [si] [di] [bp] [bx] (register numbers 3, 5, 6, 7).
    const pair = [[3, 6], [3, 7], [5, 6], [5, 7], [6], [7], [5], [3]][rm]!;
    const regs: [number, number][] = [];
    let rest = (target - dispValue) & 0xffff;
    if (pair.length === 2) {
      const v = rng.below(0x10000);
      regs.push([pair[1]!, v]);
      rest = (rest - v) & 0xffff;
    }
    regs.push([pair[0]!, rest]);
    return { bytes: [(mod << 6) | rm, ...dispBytes], regs };
  }
  const dispValue = mod === 1 ? rng.below(256) - 128 : mod === 2 ? rng.below(0x10000) - 0x8000 : 0;
  const dispBytes =
    mod === 1 ? [dispValue & 0xff] : mod === 2 ? [0, 1, 2, 3].map((i) => (dispValue >>> (i * 8)) & 0xff) : [];
  const pickBase = () => {
    let r: number;
    do r = rng.below(8);
    while (r === 4 || (r === 5 && mod === 0));
    return r;
  };
  const base = pickBase();
  if (rng.below(2) === 0)
    return { bytes: [(mod << 6) | base, ...dispBytes], regs: [[base, (target - dispValue) >>> 0]] };
  let index: number;
  do index = rng.below(8);
  while (index === 4 || index === base);
  const scale = rng.below(4);
  const x = rng.below(16);
  const regs: [number, number][] = [
    [index, x],
    [base, (target - dispValue - x * (1 << scale)) >>> 0],
  ];
  return { bytes: [(mod << 6) | 4, (scale << 6) | (index << 3) | base, ...dispBytes], regs };
}

/** A generated legacy case with the decoded form it exercises. */
export interface GeneratedLegacyCase extends LegacyCase {
  formCode: number;
  formName: string;
  flagsUndefined: number;
  /** 16-bit SHLD/SHRD: a count above 16 leaves the result undefined. */
  shiftDouble16: boolean;
}

/** `perForm` random cases for every template in 16- and 32-bit code with both operand sizes. */
export function generateLegacyCases(perForm: number, seed: number): GeneratedLegacyCase[] {
  const rng = new Rng(seed);
  const insn = new Instruction();
  const out: GeneratedLegacyCase[] = [];
  const pick = () => {
    let r: number;
    do r = rng.below(8);
    while (r === 4);
    return r;
  };
  for (const bits of [16, 32] as const) {
    const decoder = new Decoder(bits, new Uint8Array(16));
    for (const t of legacyTemplates()) {
      if (t.vex && bits === 16) continue; // VEX in 16-bit protected mode works, but keep the 16-bit set to legacy forms
      const sizes = t.byte ? [0] : t.no16 || t.vex ? [0, 0x48] : t.ipSized && bits === 32 ? [0] : [0, 0x66];
      for (const sz of sizes) {
        const memForms = t.modrm === undefined ? [false] : t.regOnly ? [false] : t.memOnly ? [true] : [false, true];
        for (const mem of memForms) {
          for (let k = 0; k < perForm; k++) {
            const bytes: number[] = [];
            // A quarter of the forms that address memory (or count in CX/ECX) use the other address size (67h).
            const addressed = mem || t.flow === Flow.String || t.flow === Flow.Moffs || t.counter === true;
            const a67 = addressed && rng.below(4) === 0;
            const addr16 = (bits === 16) !== a67;
            // 16-bit addresses and 16-bit code use the 16-bit data segment (base MEM) for DS/ES/SS.
            const seg16 = bits === 16 || a67;
            const operand = mem ? memoryOperand(rng, addr16, seg16 ? 16 : LEGACY_MEM + 16) : undefined;
            if (a67) bytes.push(0x67);
            if (t.prefix !== undefined) bytes.push(...t.prefix);
            if (sz === 0x66) bytes.push(0x66);
            if (t.mandatory !== undefined) bytes.push(t.mandatory);
            const regField = t.modrm === 'r' ? pick() : (t.modrm ?? 0);
            const rmReg = pick();
            let opLast = t.op[t.op.length - 1]!;
            if (t.plusReg) opLast += pick();
            if (t.vex) {
              const v = t.vex.vvvv ? pick() : 0;
              bytes.push(0xc4, 0xe0 | t.vex.map, (sz === 0x48 ? 0x80 : 0) | ((~v & 15) << 3) | t.vex.pp, opLast);
            } else bytes.push(...t.op.slice(0, -1), opLast);
            if (operand !== undefined) bytes.push(operand.bytes[0]! | ((regField & 7) << 3), ...operand.bytes.slice(1));
            else if (t.modrm !== undefined) bytes.push(0xc0 | ((regField & 7) << 3) | rmReg);
            const opsz = bits === 16 ? (sz === 0x66 ? 4 : 2) : sz === 0x66 ? 2 : 4;
            const immSize = t.imm === 'z' ? opsz : (t.imm ?? 0);
            for (let i = 0; i < immSize; i++)
              bytes.push(rng.below(4) === 0 ? [0, 1, 0xff, 0x80, 0x7f, 10, 16][rng.below(7)]! : rng.below(256));
            // ENTER nesting level 0 only: v86 does not copy the frame pointers (nor push the frame
            // temporary) the SDM's ENTER pseudocode pushes for levels 1..31; legacy-forms.test.ts pins those.
            if (t.flow === Flow.Frame && immSize === 3) bytes[bytes.length - 1] = 0;
            // Where a taken branch goes: CODE_AT + 32 (16-bit code segments start at CODE_AT).
            const takenIp = bits === 16 ? LEGACY_TAKEN : LEGACY_CODE_AT + LEGACY_TAKEN;
            const csSel = bits === 16 ? SEL.code16 : SEL.code32;
            const le = (v: number, n: number) => Array.from({ length: n }, (_, i) => (v >>> (i * 8)) & 0xff);
            if (t.flow === Flow.Relative) {
              const n = t.rel === 1 ? 1 : opsz;
              bytes.push(...le(LEGACY_TAKEN - (bytes.length + n), n));
            } else if (t.flow === Flow.DirectFar) bytes.push(...le(takenIp, opsz), ...le(csSel, 2));
            else if (t.flow === Flow.Moffs) bytes.push(...le(seg16 ? 16 : LEGACY_MEM + 16, addr16 ? 2 : 4));
            const code = new Uint8Array(bytes);
            decoder.setBuffer(code, 0, code.length);
            decoder.decodeAt(insn, 0, 0, 0);
            if (insn.status !== 0 || insn.length !== code.length) break;
            const regs = new Uint32Array(8);
            for (let r = 0; r < 8; r++) regs[r] = randomWord(rng);
            if (rng.below(2) === 0) regs[1] = rng.below(40); // CL shift counts
            // The stack sits in the 64 memory bytes: SP = 32 (pushes fill 0..31, pops read 32..63).
            regs[4] = seg16 ? 32 : LEGACY_MEM + 32;
            if (operand !== undefined)
              for (const [r, v] of operand.regs) regs[r] = addr16 ? (regs[r]! & 0xffff0000) | v : v;
            const memory = new Uint8Array(64);
            for (let i = 0; i < 64; i++) memory[i] = rng.below(256);
            if (t.selector !== undefined && t.selector !== Selector.None) {
              const list =
                t.selector === Selector.Any
                  ? ANY_SELECTORS
                  : t.selector === Selector.Data
                    ? DATA_SELECTORS
                    : t.selector === Selector.Stack
                      ? STACK_SELECTORS
                      : [SEL.data32];
              let sel = list[rng.below(list.length)]!;
              if (t.selector === Selector.Any) sel |= rng.below(4);
              const rmSelector = t.selector === Selector.Any || t.selectorIsRm === true;
              if (rmSelector && !mem) {
                // The selector is the r/m register (LAR/LSL/VERR/VERW read it as 16 bits).
                regs[rmReg] = (regs[rmReg]! & 0xffff0000) | sel;
              } else {
                const at = rmSelector ? 16 : 16 + opsz;
                memory[at] = sel & 0xff;
                memory[at + 1] = sel >>> 8;
              }
            }
            const low = (r: number, v: number) => {
              regs[r] = addr16 ? (regs[r]! & 0xffff0000) | v : v;
            };
            const put = (at: number, v: number, n: number) => {
              for (let i = 0; i < n; i++) memory[at + i] = (v >>> (i * 8)) & 0xff;
            };
            const base = seg16 ? 0 : LEGACY_MEM;
            const sp = 32; // the stack slot a pop or return reads, as an offset in the memory bytes
            switch (t.flow) {
              case Flow.IndirectNear:
                if (mem) put(16, takenIp, opsz);
                else regs[rmReg] = opsz === 2 ? (regs[rmReg]! & 0xffff0000) | takenIp : takenIp;
                break;
              case Flow.IndirectFar:
                put(16, takenIp, opsz);
                put(16 + opsz, csSel, 2);
                break;
              case Flow.Return:
                put(sp, takenIp, opsz);
                break;
              case Flow.ReturnFar:
              case Flow.Iret:
                put(sp, takenIp, opsz);
                put(sp + opsz, csSel, opsz);
                if (t.flow === Flow.Iret) put(sp + 2 * opsz, (rng.next() & 0x8d5) | 2, opsz);
                break;
              case Flow.Popf:
                put(sp, (rng.next() & 0xcd5) | 2, opsz);
                break;
              case Flow.String:
                low(6, base + 24 + rng.below(9));
                low(7, base + 24 + rng.below(9));
                low(1, rng.below(5));
                break;
              case Flow.Frame:
                low(5, base + 40);
                break;
              case Flow.Xlat:
                low(3, base + 16);
                regs[0] = (regs[0]! & ~0xff) | rng.below(40);
                break;
            }
            if (t.counter) low(1, rng.below(3));
            const flags = rng.next() & 0x8d5;
            const name = codeName(insn.code);
            out.push({
              code,
              regs,
              flags,
              bits,
              dataSelector: seg16 ? SEL.data16 : SEL.data32,
              memory,
              formCode: insn.code,
              formName: `${bits}:${name}${a67 ? (addr16 ? '/a16' : '/a32') : ''}`,
              flagsUndefined: insn.flagsUndefined,
              shiftDouble16: (name.startsWith('Shld') || name.startsWith('Shrd')) && insn.operandSize === 2,
            });
          }
        }
      }
    }
  }
  return out;
}

/** How two legacy results differ ('' = they agree on everything the SDM defines). */
export function compareLegacy(c: GeneratedLegacyCase, a: LegacyResult, b: LegacyResult): string {
  if (a.vector !== b.vector) return `vector v86=${a.vector} ours=${b.vector}`;
  if (a.vector !== -1) return '';
  if (a.taken !== b.taken) return `taken v86=${a.taken} ours=${b.taken}`;
  if (c.shiftDouble16) {
    const usesCl = c.formName.includes('_cl');
    const count = usesCl ? c.regs[1]! : c.code[c.code.length - 1]!;
    if ((count & 31) > 16) return '';
  }
  // BSWAP r16 is undefined (SDM 2 "BSWAP"): v86 swaps all 32 bits, processors (and we) clear the low 16.
  const skip = c.formName.endsWith('Bswap_r16') ? c.code[c.code.length - 1]! & 7 : -1;
  for (let r = 0; r < 8; r++)
    if (r !== skip && a.regs[r] !== b.regs[r])
      return `reg ${r} v86=${a.regs[r]!.toString(16)} ours=${b.regs[r]!.toString(16)}`;
  // The status flags and DF (STD, POPF and IRET change it; every case starts with DF = 0).
  const defined = 0xcd5 & ~c.flagsUndefined;
  if ((a.flags & defined) !== (b.flags & defined))
    return `flags v86=${(a.flags & defined).toString(16)} ours=${(b.flags & defined).toString(16)} (mask ${defined.toString(16)})`;
  for (let k = 0; k < 5; k++)
    if (a.selectors[k] !== b.selectors[k])
      return `selector ${['ds', 'es', 'fs', 'gs', 'ss'][k]} v86=${a.selectors[k]!.toString(16)} ours=${b.selectors[k]!.toString(16)}`;
  for (let i = 0; i < 64; i++) if (a.memory[i] !== b.memory[i]) return `memory byte ${i}`;
  return '';
}
