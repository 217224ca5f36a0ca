import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import {
  ORACLE_CODE_ADDRESS,
  ORACLE_FLAGS_MASK,
  ORACLE_MEMORY_ADDRESS,
  ORACLE_TAKEN_OFFSET,
  type OracleCase,
  type OracleResult,
} from '@typevisor/native-oracle';
import { Decoder, Instruction, codeName } from '@typevisor/x86-decode';
import { StopReason } from '../interpreter/contracts.ts';
import { Cpu } from '../interpreter/cpu.ts';

/** An instruction template: opcode bytes, ModRM use, immediate size, and which operand sizes apply. */
export interface Template {
  op: number[];
  /** 'r' = ModRM with reg field free, a number = /digit, undefined = no ModRM. */
  modrm?: 'r' | number;
  /** Immediate bytes: a number, or 'z' (2 with 66h, else 4). */
  imm?: number | 'z';
  /** true: byte-sized form (no 66h/REX.W variants). */
  byte?: boolean;
  /** Memory forms not allowed (e.g. BT m, r addresses far away). */
  regOnly?: boolean;
  memOnly?: boolean;
  /** Mandatory prefix (F3). */
  mandatory?: number;
  /** Only REX.W form (MOVSXD). */
  wOnly?: boolean;
  /** Register in the opcode's low 3 bits. */
  plusReg?: boolean;
  /** No 16-bit (66h) variant: the 66h byte is a mandatory prefix of the form. */
  no16?: boolean;
  /** VEX-encoded (3-byte C4 form): opcode map (2 = 0F38, 3 = 0F3A), implied prefix (pp) and whether VEX.vvvv names a register. */
  vex?: { map: number; pp: number; vvvv: boolean };
  /** A relative branch with a displacement of this many bytes at the end, aimed at the harness's taken exit. */
  rel?: 1 | 4;
  /** LOOPcc/JRCXZ: RCX is set to 0..2 so the count decides. */
  counter?: boolean;
  /** JMP/CALL r/m64: the register or the memory operand holds the taken exit's address. */
  indirect?: boolean;
  /** Uses the stack: RSP points 32 bytes into the memory page. */
  stack?: 'push' | 'pop' | 'ret' | 'popf' | 'leave';
}

/** The general-purpose forms the differentials generate, as templates. */
export function templates(): Template[] {
  const t: Template[] = [];
  for (let base = 0; base < 0x40; base += 8) {
    t.push({ op: [base], modrm: 'r', byte: true }, { op: [base + 1], modrm: 'r' });
    t.push({ op: [base + 2], modrm: 'r', byte: true }, { op: [base + 3], modrm: 'r' });
    t.push({ op: [base + 4], imm: 1, byte: true }, { op: [base + 5], imm: 'z' });
  }
  for (let n = 0; n < 8; n++) {
    t.push(
      { op: [0x80], modrm: n, imm: 1, byte: true },
      { op: [0x81], modrm: n, imm: 'z' },
      { op: [0x83], modrm: n, imm: 1 },
    );
    t.push({ op: [0xc0], modrm: n, imm: 1, byte: true }, { op: [0xc1], modrm: n, imm: 1 });
    t.push(
      { op: [0xd0], modrm: n, byte: true },
      { op: [0xd1], modrm: n },
      { op: [0xd2], modrm: n, byte: true },
      { op: [0xd3], modrm: n },
    );
    t.push({ op: [0x0f, 0x40 + n], modrm: 'r' }, { op: [0x0f, 0x48 + n], modrm: 'r' });
    t.push({ op: [0x0f, 0x90 + n], modrm: 0, byte: true }, { op: [0x0f, 0x98 + n], modrm: 0, byte: true });
  }
  t.push(
    { op: [0x84], modrm: 'r', byte: true },
    { op: [0x85], modrm: 'r' },
    { op: [0xa8], imm: 1, byte: true },
    { op: [0xa9], imm: 'z' },
  );
  t.push({ op: [0x86], modrm: 'r', byte: true }, { op: [0x87], modrm: 'r' });
  for (const o of [0x88, 0x8a]) t.push({ op: [o], modrm: 'r', byte: true });
  for (const o of [0x89, 0x8b]) t.push({ op: [o], modrm: 'r' });
  t.push({ op: [0x8d], modrm: 'r', memOnly: true });
  t.push({ op: [0xf6], modrm: 0, imm: 1, byte: true }, { op: [0xf7], modrm: 0, imm: 'z' });
  for (const n of [2, 3, 4, 5, 6, 7]) t.push({ op: [0xf6], modrm: n, byte: true }, { op: [0xf7], modrm: n });
  t.push(
    { op: [0xfe], modrm: 0, byte: true },
    { op: [0xfe], modrm: 1, byte: true },
    { op: [0xff], modrm: 0 },
    { op: [0xff], modrm: 1 },
  );
  for (const o of [0x98, 0x99]) t.push({ op: [o] });
  for (const o of [0xf5, 0xf8, 0xf9, 0x9e, 0x9f]) t.push({ op: [o], byte: true });
  t.push({ op: [0x0f, 0xaf], modrm: 'r' }, { op: [0x69], modrm: 'r', imm: 'z' }, { op: [0x6b], modrm: 'r', imm: 1 });
  for (const o of [0xa3, 0xab, 0xb3, 0xbb]) t.push({ op: [0x0f, o], modrm: 'r', regOnly: true });
  for (const n of [4, 5, 6, 7]) t.push({ op: [0x0f, 0xba], modrm: n, imm: 1 });
  t.push({ op: [0x0f, 0xbc], modrm: 'r' }, { op: [0x0f, 0xbd], modrm: 'r' });
  t.push({ op: [0x0f, 0xbc], modrm: 'r', mandatory: 0xf3 }, { op: [0x0f, 0xbd], modrm: 'r', mandatory: 0xf3 });
  t.push({ op: [0x0f, 0xb8], modrm: 'r', mandatory: 0xf3 });
  t.push({ op: [0x0f, 0xa4], modrm: 'r', imm: 1 }, { op: [0x0f, 0xac], modrm: 'r', imm: 1 });
  t.push({ op: [0x0f, 0xa5], modrm: 'r' }, { op: [0x0f, 0xad], modrm: 'r' });
  t.push({ op: [0x0f, 0xb0], modrm: 'r', byte: true }, { op: [0x0f, 0xb1], modrm: 'r' });
  t.push({ op: [0x0f, 0xc0], modrm: 'r', byte: true }, { op: [0x0f, 0xc1], modrm: 'r' });
  t.push(
    { op: [0x0f, 0xb6], modrm: 'r' },
    { op: [0x0f, 0xb7], modrm: 'r' },
    { op: [0x0f, 0xbe], modrm: 'r' },
    { op: [0x0f, 0xbf], modrm: 'r' },
  );
  t.push({ op: [0x63], modrm: 'r', wOnly: true });
  for (let i = 0; i < 4; i++) t.push({ op: [0x0f, 0xc8], plusReg: true });
  t.push({ op: [0x0f, 0x38, 0xf0], modrm: 'r', memOnly: true }, { op: [0x0f, 0x38, 0xf1], modrm: 'r', memOnly: true });
  t.push(
    { op: [0x0f, 0x38, 0xf6], modrm: 'r', mandatory: 0x66, no16: true },
    { op: [0x0f, 0x38, 0xf6], modrm: 'r', mandatory: 0xf3, no16: true },
  );
  // Near branches that do not touch the stack (the harness owns RSP): every Jcc rel8/rel32,
  // JMP rel8/rel32, LOOP/LOOPE/LOOPNE/JRCXZ (also with 67h: ECX), JMP r/m64. Default operand
  // size only: with 66h, AMD truncates the target to 16 bits and Intel ignores the prefix.
  for (let cc = 0; cc < 16; cc++)
    t.push({ op: [0x70 + cc], rel: 1, byte: true }, { op: [0x0f, 0x80 + cc], rel: 4, byte: true });
  t.push({ op: [0xeb], rel: 1, byte: true }, { op: [0xe9], rel: 4, byte: true });
  for (const op of [0xe0, 0xe1, 0xe2, 0xe3]) {
    t.push({ op: [op], rel: 1, byte: true, counter: true });
    t.push({ op: [op], rel: 1, byte: true, counter: true, mandatory: 0x67 });
  }
  t.push({ op: [0xff], modrm: 4, byte: true, indirect: true });
  // The stack (RSP points into the memory page): CALL rel32 / r/m64, RET / RET imm16, PUSH/POP r,
  // r/m, imm, PUSHFQ/POPFQ, LEAVE, ENTER (level 0), PUSH FS/GS.
  t.push({ op: [0xe8], rel: 4, byte: true, stack: 'push' });
  t.push({ op: [0xff], modrm: 2, byte: true, indirect: true, stack: 'push' });
  t.push({ op: [0xc3], byte: true, stack: 'ret' }, { op: [0xc2], imm: 2, byte: true, stack: 'ret' });
  t.push(
    { op: [0x50], plusReg: true, no16: true, stack: 'push' },
    { op: [0x58], plusReg: true, no16: true, stack: 'pop' },
  );
  t.push({ op: [0x6a], imm: 1, byte: true, stack: 'push' }, { op: [0x68], imm: 4, byte: true, stack: 'push' });
  t.push({ op: [0xff], modrm: 6, byte: true, stack: 'push' }, { op: [0x8f], modrm: 0, byte: true, stack: 'pop' });
  t.push({ op: [0x9c], byte: true, stack: 'push' }, { op: [0x9d], byte: true, stack: 'popf' });
  t.push({ op: [0xc9], byte: true, stack: 'leave' }, { op: [0xc8], imm: 3, byte: true, stack: 'push' });
  t.push({ op: [0x0f, 0xa0], byte: true, stack: 'push' }, { op: [0x0f, 0xa8], byte: true, stack: 'push' });
  // CRC32 r32/r64, r/m8 and r32, r/m16 / r/m32, r64, r/m64.
  t.push(
    { op: [0x0f, 0x38, 0xf0], modrm: 'r', mandatory: 0xf2, no16: true },
    { op: [0x0f, 0x38, 0xf1], modrm: 'r', mandatory: 0xf2 },
  );
  // BMI1/BMI2 (VEX, W0 = 32-bit, W1 = 64-bit).
  const bmi = (op: number, pp: number, modrm: 'r' | number, vvvv = true, map = 2, imm?: number): Template => ({
    op: [op],
    modrm,
    vex: { map, pp, vvvv },
    ...(imm === undefined ? {} : { imm }),
  });
  t.push(bmi(0xf2, 0, 'r'), bmi(0xf7, 0, 'r'), bmi(0xf3, 0, 1), bmi(0xf3, 0, 2), bmi(0xf3, 0, 3));
  t.push(bmi(0xf5, 0, 'r'), bmi(0xf5, 3, 'r'), bmi(0xf5, 2, 'r'), bmi(0xf6, 3, 'r'));
  t.push(bmi(0xf7, 2, 'r'), bmi(0xf7, 1, 'r'), bmi(0xf7, 3, 'r'), bmi(0xf0, 3, 'r', false, 3, 1));
  return t;
}

/** A deterministic PRNG (xorshift32) so failures reproduce. */
export class Rng {
  constructor(private s: number) {}
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return this.next() % n;
  }
}

const SPECIAL = [0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 31, 32, 63, 64];

/** A random 32-bit operand, biased towards edge values. */
export function randomWord(rng: Rng): number {
  const k = rng.below(4);
  if (k === 0) return SPECIAL[rng.below(SPECIAL.length)]!;
  if (k === 1) return rng.below(256);
  return rng.next();
}

/** A generated case with the decoded form it exercises. */
export interface GeneratedCase extends OracleCase {
  code: Uint8Array;
  formCode: number;
  formName: string;
  flagsUndefined: number;
  shiftDouble16: boolean;
}

/** Generates `perForm` random cases for every template x operand size x register/memory variant that decodes. */
export function generateCases(perForm: number, seed: number): GeneratedCase[] {
  const rng = new Rng(seed);
  const decoder = new Decoder(64, new Uint8Array(16));
  const insn = new Instruction();
  const out: GeneratedCase[] = [];
  for (const t of templates()) {
    const sizes = t.byte ? [0] : t.wOnly ? [0x48] : t.no16 || t.vex ? [0, 0x48] : [0, 0x66, 0x48];
    for (const sz of sizes) {
      for (const mem of t.modrm === undefined ? [false] : t.regOnly ? [false] : t.memOnly ? [true] : [false, true]) {
        for (let k = 0; k < perForm; k++) {
          const bytes: number[] = [];
          if (sz === 0x66) bytes.push(0x66);
          if (t.mandatory !== undefined) bytes.push(t.mandatory);
          let rex = sz === 0x48 ? 0x48 : 0;
          // Register numbers avoid 4 (RSP/SPL/AH-with-REX would touch the harness stack).
          const pick = () => {
            let r: number;
            do r = rng.below(16);
            while ((r & 7) === 4);
            return r;
          };
          const regField = t.modrm === 'r' ? pick() : (t.modrm ?? 0);
          const rmReg = mem ? 3 : pick();
          let opLast = t.op[t.op.length - 1]!;
          if (t.plusReg) {
            const r = pick();
            if (r & 8) rex |= 0x41;
            opLast += r & 7;
          }
          if (t.modrm === 'r' && regField & 8) rex |= 0x44;
          if (t.modrm !== undefined && !mem && rmReg & 8) rex |= 0x41;
          if (t.vex) {
            // C4 [~R ~X ~B map] [W ~vvvv L=0 pp]: REX bits move into the VEX prefix.
            const v = t.vex.vvvv ? pick() : 0;
            bytes.length = 0;
            bytes.push(0xc4, (rex & 4 ? 0 : 0x80) | 0x40 | (rex & 1 ? 0 : 0x20) | t.vex.map);
            bytes.push((sz === 0x48 ? 0x80 : 0) | ((~v & 15) << 3) | t.vex.pp, opLast);
          } else {
            // Byte forms without REX use AH..BH for 4..7; keep them by leaving REX off when no r8+ is used.
            if (rex) bytes.push(rex | 0x40);
            bytes.push(...t.op.slice(0, -1), opLast);
          }
          if (t.modrm !== undefined) bytes.push((mem ? 0 : 0xc0) | ((regField & 7) << 3) | (rmReg & 7));
          const immSize = t.imm === 'z' ? (sz === 0x66 ? 2 : 4) : (t.imm ?? 0);
          for (let i = 0; i < immSize; i++)
            bytes.push(rng.below(4) === 0 ? [0, 1, 0xff, 0x80, 0x7f, 31, 63][rng.below(7)]! : rng.below(256));
          if (t.op[0] === 0xc8) {
            // ENTER level 0 (levels are unit-tested) with an allocation that keeps RSP inside the page:
            // the AMD host faults when the new stack top is unmapped (it probes it); the SDM's ENTER
            // does not access it, and we follow the SDM.
            bytes[bytes.length - 3] = rng.below(24);
            bytes[bytes.length - 2] = 0;
            bytes[bytes.length - 1] = 0;
          }
          if (t.rel !== undefined) {
            const disp = ORACLE_TAKEN_OFFSET - (bytes.length + t.rel);
            for (let i = 0; i < t.rel; i++) bytes.push((disp >>> (i * 8)) & 0xff);
          }
          const code = new Uint8Array(bytes);
          decoder.setBuffer(code, 0, code.length);
          decoder.decodeAt(insn, 0, ORACLE_CODE_ADDRESS, 0);
          if (insn.status !== 0 || insn.length !== code.length) break;
          const regs = new Uint32Array(32);
          for (let r = 0; r < 32; r++) regs[r] = randomWord(rng);
          // Shift counts in CL: often small so shifts do something.
          if (rng.below(2) === 0) regs[2] = rng.below(70);
          regs[8] = 0x7ff00000;
          regs[9] = 0;
          if (t.counter) {
            regs[2] = rng.below(3);
            if (rng.below(2) === 0) regs[3] = 0;
          }
          if (t.indirect && !mem) {
            const r = rmReg;
            regs[2 * r] = ORACLE_CODE_ADDRESS + ORACLE_TAKEN_OFFSET;
            regs[2 * r + 1] = 0;
          }
          if (mem) {
            regs[6] = ORACLE_MEMORY_ADDRESS + 16;
            regs[7] = 0;
          }
          const memory = new Uint8Array(64);
          for (let i = 0; i < 64; i++) memory[i] = rng.below(256);
          const mdv = new DataView(memory.buffer);
          if (t.indirect && mem) {
            mdv.setUint32(16, ORACLE_CODE_ADDRESS + ORACLE_TAKEN_OFFSET, true);
            mdv.setUint32(20, 0, true);
          }
          if (t.stack !== undefined) {
            regs[8] = ORACLE_MEMORY_ADDRESS + 32;
            regs[9] = 0;
            if (t.stack === 'ret') {
              mdv.setUint32(32, ORACLE_CODE_ADDRESS + ORACLE_TAKEN_OFFSET, true);
              mdv.setUint32(36, 0, true);
            } else if (t.stack === 'popf') {
              // Status flags and DF only: TF would trap, AC would make misaligned accesses fault.
              mdv.setUint32(32, (mdv.getUint32(32, true) & 0xcd5) | 2, true);
              mdv.setUint32(36, 0, true);
            } else if (t.stack === 'leave') {
              regs[10] = ORACLE_MEMORY_ADDRESS + 40;
              regs[11] = 0;
            }
          }
          const flags = rng.next() & ORACLE_FLAGS_MASK;
          const name = codeName(insn.code);
          out.push({
            code,
            regs,
            flags,
            memory,
            formCode: insn.code,
            formName: name,
            flagsUndefined: insn.flagsUndefined,
            shiftDouble16: (name.startsWith('Shld') || name.startsWith('Shrd')) && insn.operandSize === 2,
          });
        }
      }
    }
  }
  return out;
}

/** Runs a case in the interpreter with the same memory layout as the native harness. */
export class InterpreterOracle {
  private readonly memory = new PhysicalMemory();
  private readonly cpu: Cpu;
  constructor() {
    this.memory.addRam(guestPhysical(ORACLE_MEMORY_ADDRESS), 0x1000);
    this.memory.addRam(guestPhysical(ORACLE_CODE_ADDRESS), 0x1000);
    this.cpu = new Cpu({ memory: this.memory, exceptions: 'stop' });
    this.cpu.setMode('long64', 3);
    // The selectors a 64-bit Linux process runs with (PUSH FS/GS shows them): FS = GS = 0.
    this.cpu.state.segSelector[4] = 0;
    this.cpu.state.segSelector[5] = 0;
  }

  run(c: OracleCase): OracleResult {
    const cpu = this.cpu;
    const code = new Uint8Array(16).fill(0x90);
    code.set(c.code);
    this.memory.writeBytes(guestPhysical(ORACLE_CODE_ADDRESS), code);
    this.memory.writeBytes(guestPhysical(ORACLE_MEMORY_ADDRESS), c.memory);
    cpu.state.gpr32.set(c.regs);
    // IF=1 as in every user-mode process (PUSHFQ shows it).
    cpu.state.setFlags((c.flags & ORACLE_FLAGS_MASK) | 2 | 0x200);
    cpu.state.ripLo = ORACLE_CODE_ADDRESS;
    cpu.state.ripHi = 0;
    cpu.exceptionVector = -1;
    const stop = cpu.run({ maxInstructions: 1 });
    const memory = new Uint8Array(64);
    this.memory.readBytes(guestPhysical(ORACLE_MEMORY_ADDRESS), memory);
    // Map exception vectors to the signals Linux raises for them.
    let signal = 0;
    if (stop === StopReason.Exception) {
      const v = cpu.exceptionVector;
      signal = v === 0 ? 8 : v === 6 ? 4 : v === 13 || v === 14 ? 11 : 100 + v;
    }
    const taken =
      signal === 0 && cpu.state.ripHi === 0 && cpu.state.ripLo === ORACLE_CODE_ADDRESS + ORACLE_TAKEN_OFFSET;
    return { taken, regs: new Uint32Array(cpu.state.gpr32), flags: cpu.state.getFlags(), memory, signal };
  }
}

/** Describes how two results differ for a case ('' = they agree on everything defined). */
export function compareResults(c: GeneratedCase, host: OracleResult, ours: OracleResult): string {
  if (host.signal !== ours.signal) return `signal host=${host.signal} ours=${ours.signal}`;
  if (host.signal !== 0) return '';
  if (host.taken !== ours.taken) return `taken host=${host.taken} ours=${ours.taken}`;
  if (c.shiftDouble16) {
    // SDM: a 16-bit SHLD/SHRD count above 16 leaves the result and flags undefined.
    const count = c.code[c.code.length - 1]!;
    const usesCl = c.formName.includes('_cl');
    if (((usesCl ? c.regs[2]! : count) & 31) > 16) return '';
  }
  // Vendor difference (documented in the README): a failed 32-bit CMPXCHG with a register
  // destination writes the destination back on Intel (SDM 2 "CMPXCHG": "the destination operand
  // is written back"), which zero-extends it to 64 bits; AMD leaves the register untouched.
  // We follow the SDM, so the host's high half of that register is not compared.
  let skip = -1;
  if (c.formName === 'Cmpxchg_rm32_r32' && (c.code[c.code.length - 1]! & 0xc0) === 0xc0 && (host.flags & 0x40) === 0) {
    const rex = c.code.length === 4 ? c.code[0]! : 0;
    skip = 2 * ((c.code[c.code.length - 1]! & 7) | (rex & 1 ? 8 : 0)) + 1;
  }
  for (let r = 0; r < 32; r++) {
    if (r === skip) continue;
    if (host.regs[r] !== ours.regs[r]) {
      return `reg ${r >> 1}${r & 1 ? ' hi' : ' lo'} host=${host.regs[r]!.toString(16)} ours=${ours.regs[r]!.toString(16)}`;
    }
  }
  const defined = ORACLE_FLAGS_MASK & ~c.flagsUndefined;
  if ((host.flags & defined) !== (ours.flags & defined)) {
    return `flags host=${(host.flags & defined).toString(16)} ours=${(ours.flags & defined).toString(16)} (mask ${defined.toString(16)})`;
  }
  // Vendor difference (README): PUSH FS/GS with a 64-bit operand size zero-extends the selector
  // on AMD; recent Intel processors store 16 bits and leave bytes 2..7 of the slot, as we do.
  const pushSreg = c.formName.startsWith('Push_fs') || c.formName.startsWith('Push_gs');
  for (let i = 0; i < 64; i++) {
    if (pushSreg && i >= 26 && i < 32) continue;
    if (host.memory[i] !== ours.memory[i]) return `memory byte ${i}`;
  }
  return '';
}
