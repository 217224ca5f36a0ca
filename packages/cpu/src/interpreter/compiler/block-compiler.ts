import { type Instruction, OperandKind, PREFIX_LOCK, Register } from '@typevisor/x86-decode';
import { type CpuState, LazyOp } from '../../state/cpu-state.ts';
import { H, MNEMONIC_COND, MNEMONIC_HANDLER } from '../handlers.ts';
import { REG_INDEX, REG_KIND, RegKind } from '../register-table.ts';

/**
 * The block compiler: a straight-line run of decoded instructions (a basic block inside one
 * physical page) becomes one JavaScript function (`new Function`) in which the common forms
 * are specialised for their operands (register numbers, displacements, sizes and the next IP
 * are constants) and everything else calls the interpreter's own `execute(insn)`, which stays
 * the reference semantics. The generated code keeps exceptions precise: before an instruction
 * that can fault it records its index, and the catch clause puts RIP, `retired` and the TSC
 * where the interpreter would have them before rethrowing to the run loop.
 *
 * The cpu enters a block only when everything the code assumes holds (see `Cpu.runInner`):
 * 32/64-bit code, no VMX non-root operation, no code or memory hooks, TF clear, the limit
 * leaves room for the whole block and, in 32-bit mode, CS and every segment the inline code
 * addresses are flat (base 0, limit 4 GiB, present expand-up writable data; SS with B=1).
 */

/** Most instructions in one block (a long straight run is split). */
export const MAX_BLOCK_INSNS = 32;

/** Bit of {@link CompiledBlock.segments} for the stack (SS used through push/pop/call/ret: needs SS.B=1 in 32-bit mode). */
export const BLOCK_USES_STACK = 1 << 8;

/** How the block compiler treats one instruction. */
export const enum InsnClass {
  /** Compiled inline; the block goes on. */
  Inline = 0,
  /** Compiled inline and transfers control: the block ends after it. */
  InlineEnd = 1,
  /** Runs through `execute()`; it cannot change mode, RIP flow or event state, so the block goes on. */
  Fallback = 2,
  /** Runs through `execute()` and ends the block (control transfer, system instruction, unknown form). */
  FallbackEnd = 3,
}

/**
 * The generated code of a block: returns true when it ran to an exit, false when it left early
 * (the next instruction must be interpreted). `loopLimit` is the `retired` count a branch back
 * to the block start may run a further pass up to (it also asks `cpu.eventsQuiet()`).
 */
export type BlockFunction = (
  cpu: unknown,
  s: CpuState,
  g: Uint32Array,
  w: Uint16Array,
  b: Uint8Array,
  loopLimit: number,
) => boolean;

/** A compiled block, cached per physical page by the cpu. */
export interface CompiledBlock {
  readonly run: BlockFunction;
  /** Instructions in the block. */
  readonly count: number;
  readonly bitness: 32 | 64;
  /** Linear address of the first instruction. */
  readonly ipLo: number;
  readonly ipHi: number;
  /** Segments (bit `1 << SEG_*`) the inline code addresses, plus {@link BLOCK_USES_STACK}; the cpu checks them at entry in 32-bit mode. */
  readonly segments: number;
  /** Generated source, for debugging. */
  readonly source: string;
}

/** The cpu's data TLBs (tags are `hi * 2^20 + (lo >>> 12)`, views are RAM pages or null), read by the generated loads and stores. */
export interface BlockTlb {
  readonly readTags: Float64Array;
  readonly readViews: readonly (Uint8Array | null)[];
  readonly writeTags: Float64Array;
  readonly writeViews: readonly (Uint8Array | null)[];
  /** Entries - 1 (a power of two). */
  readonly mask: number;
}

/** Something whose `valid` turns false when a write lands in the page the block was decoded from. */
export interface CodePage {
  valid: boolean;
}

/** Handlers that run through `execute()` in the middle of a block: they touch registers, flags and memory only. */
const SAFE_FALLBACK = new Uint8Array(256);
for (const h of [
  H.Mov,
  H.Movzx,
  H.Movsx,
  H.Movsxd,
  H.Lea,
  H.Add,
  H.Adc,
  H.Sub,
  H.Sbb,
  H.Cmp,
  H.And,
  H.Or,
  H.Xor,
  H.Test,
  H.Inc,
  H.Dec,
  H.Neg,
  H.Not,
  H.Shift,
  H.Shld,
  H.Shrd,
  H.Mul,
  H.Imul,
  H.Div,
  H.Idiv,
  H.Push,
  H.Pop,
  H.Leave,
  H.Enter,
  H.Setcc,
  H.Cmovcc,
  H.Xchg,
  H.Cmpxchg,
  H.Cmpxchg8b,
  H.Xadd,
  H.Bt,
  H.Bsf,
  H.Bsr,
  H.Tzcnt,
  H.Lzcnt,
  H.Popcnt,
  H.Bswap,
  H.Cbw,
  H.Cwd,
  H.Nop,
  H.Clc,
  H.Stc,
  H.Cmc,
  H.Cld,
  H.Std,
  H.Lahf,
  H.Sahf,
  H.Xlat,
  H.Movbe,
  H.Adcx,
  H.Sse,
]) {
  SAFE_FALLBACK[h] = 1;
}

function isGpr(reg: number): boolean {
  const k = REG_KIND[reg]!;
  return k >= RegKind.Gpr8Low && k <= RegKind.Gpr64;
}

/** Size in bytes of a GPR operand. */
function gprSize(reg: number): number {
  const k = REG_KIND[reg]!;
  return k === RegKind.Gpr64 ? 8 : k === RegKind.Gpr32 ? 4 : k === RegKind.Gpr16 ? 2 : 1;
}

function regOperandIs(insn: Instruction, i: number, kind: RegKind): boolean {
  return insn.opKind[i] === OperandKind.Register && REG_KIND[insn.opRegister[i]!] === kind;
}

function isCanonicalHi(hi: number): boolean {
  return (hi + 0x8000) >>> 0 <= 0xffff;
}

/** True when the memory operand's address can be computed inline in this mode. */
function inlineAddressing(insn: Instruction, bitness: number): boolean {
  if (bitness === 64) {
    if (insn.addressSize !== 8) return false;
    if (insn.memSegment === Register.FS || insn.memSegment === Register.GS) return false;
  } else if (insn.addressSize !== 4) return false;
  const base = insn.memBase;
  if (base !== Register.None && base !== Register.RIP && base !== Register.EIP && !isGpr(base)) return false;
  if (insn.memIndex !== Register.None && !isGpr(insn.memIndex)) return false;
  return true;
}

/** True when operands 0..n-1 are GPRs, inline-addressable memory or (where allowed) immediates. */
function simpleOperands(insn: Instruction, bitness: number, allowImm: boolean): boolean {
  let mems = 0;
  for (let i = 0; i < insn.opCount; i++) {
    const k = insn.opKind[i];
    if (k === OperandKind.Register) {
      if (!isGpr(insn.opRegister[i]!)) return false;
    } else if (k === OperandKind.Memory) {
      if (!inlineAddressing(insn, bitness)) return false;
      mems++;
    } else if (k !== OperandKind.Immediate || !allowImm || i === 0) return false;
  }
  return mems <= 1;
}

/** Classifies one instruction for the block compiler (see {@link InsnClass}). */
export function classify(insn: Instruction, bitness: number): InsnClass {
  const h = MNEMONIC_HANDLER[insn.mnemonic]!;
  const osz = insn.operandSize;
  const locked = (insn.prefixes & PREFIX_LOCK) !== 0;
  const fallback = SAFE_FALLBACK[h] === 1 ? InsnClass.Fallback : InsnClass.FallbackEnd;
  switch (h) {
    case H.Mov:
      // Moves to segment, control and debug registers change how the next instructions run.
      if (
        regOperandIs(insn, 0, RegKind.Segment) ||
        regOperandIs(insn, 0, RegKind.Cr) ||
        regOperandIs(insn, 1, RegKind.Cr) ||
        regOperandIs(insn, 0, RegKind.Dr) ||
        regOperandIs(insn, 1, RegKind.Dr)
      ) {
        return InsnClass.FallbackEnd;
      }
      return insn.opCount === 2 && simpleOperands(insn, bitness, true) && plainSize(operandSize(insn, 0))
        ? InsnClass.Inline
        : InsnClass.Fallback;
    case H.Movzx:
    case H.Movsx:
    case H.Movsxd:
      return insn.opKind[0] === OperandKind.Register && simpleOperands(insn, bitness, false)
        ? InsnClass.Inline
        : InsnClass.Fallback;
    case H.Lea:
      return insn.addressSize !== 2 && simpleOperands(insn, bitness, false) && isGpr(insn.opRegister[0]!)
        ? InsnClass.Inline
        : InsnClass.Fallback;
    case H.Add:
    case H.Adc:
    case H.Sub:
    case H.Sbb:
    case H.Cmp:
    case H.And:
    case H.Or:
    case H.Xor:
    case H.Test: {
      if (locked || insn.opCount !== 2 || !simpleOperands(insn, bitness, true) || !plainSize(operandSize(insn, 0))) {
        return InsnClass.Fallback;
      }
      // Read-modify-write memory destinations stay in the interpreter (its flag/fault order is the reference).
      const writes = h !== H.Cmp && h !== H.Test;
      return writes && insn.opKind[0] === OperandKind.Memory ? InsnClass.Fallback : InsnClass.Inline;
    }
    case H.Inc:
    case H.Dec:
      return !locked && insn.opKind[0] === OperandKind.Register && isGpr(insn.opRegister[0]!)
        ? InsnClass.Inline
        : InsnClass.Fallback;
    case H.Push:
      if (regOperandIs(insn, 0, RegKind.Segment)) return InsnClass.FallbackEnd;
      if (osz === 2 && bitness !== 64) return InsnClass.Fallback;
      return insn.opKind[0] === OperandKind.Register || insn.opKind[0] === OperandKind.Immediate
        ? InsnClass.Inline
        : InsnClass.Fallback;
    case H.Pop:
      // POP SS sets the interrupt shadow; POP of other segment registers reloads a descriptor.
      if (regOperandIs(insn, 0, RegKind.Segment)) return InsnClass.FallbackEnd;
      if (osz === 2 && bitness !== 64) return InsnClass.Fallback;
      return insn.opKind[0] === OperandKind.Register ? InsnClass.Inline : InsnClass.Fallback;
    case H.Nop:
      return InsnClass.Inline;
    case H.Setcc:
      return insn.opKind[0] === OperandKind.Register && isGpr(insn.opRegister[0]!)
        ? InsnClass.Inline
        : InsnClass.Fallback;
    case H.Cmovcc:
      return insn.opKind[0] === OperandKind.Register &&
        simpleOperands(insn, bitness, false) &&
        gprSize(insn.opRegister[0]!) >= 2
        ? InsnClass.Inline
        : InsnClass.Fallback;
    case H.Jcc:
      return directBranchOk(insn, bitness) ? InsnClass.InlineEnd : InsnClass.FallbackEnd;
    case H.Jmp:
      if (insn.opKind[0] === OperandKind.NearBranch) {
        return directBranchOk(insn, bitness) ? InsnClass.InlineEnd : InsnClass.FallbackEnd;
      }
      return nearIndirectOk(insn, bitness) ? InsnClass.InlineEnd : InsnClass.FallbackEnd;
    case H.Call:
      if (insn.opKind[0] === OperandKind.NearBranch) {
        return directBranchOk(insn, bitness) ? InsnClass.InlineEnd : InsnClass.FallbackEnd;
      }
      return nearIndirectOk(insn, bitness) ? InsnClass.InlineEnd : InsnClass.FallbackEnd;
    case H.Ret:
      return osz === (bitness === 64 ? 8 : 4) ? InsnClass.InlineEnd : InsnClass.FallbackEnd;
    default:
      return fallback;
  }
}

function plainSize(size: number): boolean {
  return size === 1 || size === 2 || size === 4 || size === 8;
}

function directBranchOk(insn: Instruction, bitness: number): boolean {
  if (bitness === 64) return insn.operandSize === 8 && isCanonicalHi(insn.branchHi);
  return insn.operandSize === 4;
}

function nearIndirectOk(insn: Instruction, bitness: number): boolean {
  const osz = insn.operandSize;
  if (osz !== (bitness === 64 ? 8 : 4)) return false;
  const k = insn.opKind[0];
  if (k === OperandKind.Register) return gprSize(insn.opRegister[0]!) === osz;
  // A memory operand wider than the operand size is a far pointer (interpreted).
  return k === OperandKind.Memory && insn.memSize === osz && inlineAddressing(insn, bitness);
}

// ------------------------------------------------------------------ code generation

/** Generated-code expressions for a 32-bit-or-narrower value and the high half of a 64-bit one. */
interface Value {
  lo: string;
  hi: string;
}

/**
 * The last flag-setting instruction compiled inline, whose operands and result sit in the
 * generated locals `fd<k>`/`fs<k>`/`fr<k>` (and its carry-in or preserved CF in `fc<k>`).
 * Its flags reach `state.lazy*` only where something can observe them: an exit, a fault,
 * a fallback to `execute()`; a later producer before any of those makes the stores dead.
 */
interface Producer {
  op: LazyOp;
  size: number;
  k: number;
  /** Carry-in (ADC/SBB) or preserved CF (INC/DEC) as an expression, '0' when none. */
  carry: string;
}

class Emitter {
  readonly lines: string[] = [];
  /** Instructions whose retirement has been added to `retired`/`tsc` already. */
  synced = 0;
  /** Flags of this producer are not in the state yet. */
  pending: Producer | null = null;
  /** Locals the generated code declares before its try block (the catch clause reads them). */
  readonly locals: string[] = [];
  /** Per instruction index that can fault: the code storing the flags pending there. */
  readonly faultFlush = new Map<number, string>();
  /** A branch back to the block start was compiled as a loop. */
  loops = false;

  constructor(
    readonly insns: readonly Instruction[],
    readonly bitness: 32 | 64,
  ) {}

  emit(line: string): void {
    this.lines.push(line);
  }

  ipLo(k: number): number {
    return k < this.insns.length ? this.insns[k]!.ipLo : this.nextLo(k - 1);
  }

  ipHi(k: number): number {
    return k < this.insns.length ? this.insns[k]!.ipHi : this.nextHi(k - 1);
  }

  nextLo(k: number): number {
    const insn = this.insns[k]!;
    return (insn.ipLo + insn.length) >>> 0;
  }

  nextHi(k: number): number {
    const insn = this.insns[k]!;
    if (this.bitness !== 64) return 0;
    return (insn.ipHi + (insn.ipLo + insn.length > 0xffffffff ? 1 : 0)) >>> 0;
  }

  /** Code adding the instructions before `k` to `retired`/TSC. */
  retire(k: number): string {
    const n = k - this.synced;
    return n === 0 ? '' : `c.retired += ${n}; s.tsc += ${n};`;
  }

  /** Leaves the block before instruction `k` (which the interpreter then runs). */
  bail(k: number): string {
    return `{ ${this.flushCode()} EX(c, s, ${this.ipLo(k)}, ${this.ipHi(k)}, ${k - this.synced}); return false; }`;
  }

  /** Leaves the block after instruction `k` with RIP at the next instruction. */
  exitAfter(k: number, complete: boolean): string {
    return `{ ${this.flushCode()} EX(c, s, ${this.nextLo(k)}, ${this.nextHi(k)}, ${k + 1 - this.synced}); return ${complete}; }`;
  }

  /** True when instruction `k` is followed in the block by the instruction at lo/hi (a followed branch, call or predicted return). */
  continuesAt(k: number, lo: number, hi: number): boolean {
    const next = this.insns[k + 1];
    return next !== undefined && next.ipLo === lo && next.ipHi === (this.bitness === 64 ? hi : 0);
  }

  /**
   * Code for a taken branch of instruction `k` to lo/hi: back to the block start it loops
   * inside the function while the caller's instruction budget (`L`) allows a whole pass,
   * anywhere else it leaves the block.
   */
  branchCode(k: number, lo: number, hi: number): string {
    const h = this.bitness === 64 ? hi >>> 0 : 0;
    const flush = this.flushCode();
    const retire = this.retire(k + 1);
    const first = this.insns[0]!;
    if (lo >>> 0 === first.ipLo && h === first.ipHi) {
      this.loops = true;
      return `{ ${flush} ${retire} if (c.retired + ${this.insns.length} <= L && c.eventsQuiet()) { d = 0; continue top; } s.ripLo = ${lo >>> 0}; s.ripHi = ${h}; return true; }`;
    }
    return `{ ${flush} EX(c, s, ${lo >>> 0}, ${h}, ${k + 1 - this.synced}); return true; }`;
  }

  /** Marks instruction `k` as able to fault from here on; returns the code recording it. */
  faultPoint(k: number): string {
    if (!this.faultFlush.has(k)) this.faultFlush.set(k, this.flushCode());
    return `i = ${k};`;
  }

  /** Declares generated locals (once). */
  local(...names: string[]): void {
    for (const n of names) if (!this.locals.includes(n)) this.locals.push(n);
  }

  /** Code storing the pending producer's flags into the lazy-flag state (empty when none is pending). */
  flushCode(): string {
    const p = this.pending;
    if (p === null) return '';
    const incDec = p.op === LazyOp.Inc || p.op === LazyOp.Dec;
    const src = incDec ? '1' : `fs${p.k}`;
    if (p.size === 8) {
      const k = p.k;
      return `SL8(s, ${p.op}, fd${k}, fdh${k}, ${src}, ${incDec ? '0' : `fsh${k}`}, fr${k}, frh${k}, ${p.carry});`;
    }
    return `SL(s, ${p.op}, ${p.size}, fd${p.k}, ${src}, fr${p.k}, ${p.carry});`;
  }

  /** Emits the flag stores now (straight-line code before something that reads the state's flags). */
  flushNow(): void {
    const code = this.flushCode();
    if (code !== '') this.emit(code);
    this.pending = null;
  }

  /** CF of the pending producer as a boolean expression (null: read it from the state). */
  carryExpr(): string | null {
    const p = this.pending;
    if (p === null) return null;
    const k = p.k;
    if (p.size === 8) {
      // The carry out of the high half, as CpuState.arithFlags computes it.
      if (p.op === LazyOp.Add)
        return `(fdh${k} + fsh${k} + (fd${k} + fs${k} + ${p.carry} > 4294967295 ? 1 : 0) > 4294967295)`;
      if (p.op === LazyOp.Sub) return `(fdh${k} < fsh${k} + (fd${k} < fs${k} + ${p.carry} ? 1 : 0))`;
    }
    switch (p.op) {
      case LazyOp.Add:
        return `(fd${k} + fs${k} + ${p.carry} > ${sizeMaskOf(p.size)})`;
      case LazyOp.Sub:
        return `(fd${k} < fs${k} + ${p.carry})`;
      case LazyOp.Logic:
        return 'false';
      default:
        return `(${p.carry} !== 0)`;
    }
  }

  /** Condition `cc` (the `MNEMONIC_COND` numbering: kind = cc >> 1, odd = negated) as a boolean expression. */
  condExpr(cc: number): string {
    const p = this.pending;
    const kind = cc >> 1;
    if (p === null || kind === 5) {
      // PF, or flags from before the block: the state's lazy-flag code decides.
      this.flushNow();
      return `c.cond(${cc})`;
    }
    const k = p.k;
    const wide = p.size === 8;
    const sign = p.size === 4 || wide ? 0x80000000 : p.size === 2 ? 0x8000 : 0x80;
    // The sign and overflow bits live in the high halves of a 64-bit producer.
    const d = wide ? `fdh${k}` : `fd${k}`;
    const sv = wide ? `fsh${k}` : `fs${k}`;
    const rv = wide ? `frh${k}` : `fr${k}`;
    const zf = wide ? `((fr${k} | frh${k}) === 0)` : `(fr${k} === 0)`;
    const sf = `((${rv} & ${sign}) !== 0)`;
    let of: string;
    switch (p.op) {
      case LazyOp.Add:
        of = `(((${d} ^ ${rv}) & (${sv} ^ ${rv}) & ${sign}) !== 0)`;
        break;
      case LazyOp.Sub:
        of = `(((${d} ^ ${sv}) & (${d} ^ ${rv}) & ${sign}) !== 0)`;
        break;
      case LazyOp.Logic:
        of = 'false';
        break;
      case LazyOp.Inc:
        of = `((${rv} & ~${d} & ${sign}) !== 0)`;
        break;
      default:
        of = `((${d} & ~${rv} & ${sign}) !== 0)`;
    }
    const cf = this.carryExpr()!;
    let r: string;
    const plainSub = p.op === LazyOp.Sub && p.carry === '0' && !wide;
    const sh = 32 - p.size * 8;
    const signed = (v: string) => (sh === 0 ? `(${v} | 0)` : `((${v} << ${sh}) >> ${sh})`);
    switch (kind) {
      case 0:
        r = of;
        break;
      case 1:
        r = plainSub ? `(fd${k} < fs${k})` : cf;
        break;
      case 2:
        r = zf;
        break;
      case 3:
        r = plainSub ? `(fd${k} <= fs${k})` : `(${cf} || ${zf})`;
        break;
      case 4:
        r = sf;
        break;
      case 6:
        r = plainSub ? `(${signed(`fd${k}`)} < ${signed(`fs${k}`)})` : `(${sf} !== ${of})`;
        break;
      default:
        r = plainSub ? `(${signed(`fd${k}`)} <= ${signed(`fs${k}`)})` : `(${zf} || ${sf} !== ${of})`;
    }
    return (cc & 1) === 0 ? r : `!${r}`;
  }
}

/** Read expression of a GPR (the low 32 bits for a 64-bit one). */
function gprLo(reg: number): string {
  const n = REG_INDEX[reg]!;
  switch (REG_KIND[reg]) {
    case RegKind.Gpr64:
    case RegKind.Gpr32:
      return `g[${2 * n}]`;
    case RegKind.Gpr16:
      return `w[${4 * n}]`;
    case RegKind.Gpr8High:
      return `b[${8 * n + 1}]`;
    default:
      return `b[${8 * n}]`;
  }
}

function gprHi(reg: number): string {
  return REG_KIND[reg] === RegKind.Gpr64 ? `g[${2 * REG_INDEX[reg]! + 1}]` : '0';
}

/** Statement writing a GPR with the interpreter's rules (32-bit writes clear bits 63:32). */
function gprWrite(reg: number, lo: string, hi: string): string {
  const n = REG_INDEX[reg]!;
  switch (REG_KIND[reg]) {
    case RegKind.Gpr64:
      return `g[${2 * n}] = ${lo}; g[${2 * n + 1}] = ${hi};`;
    case RegKind.Gpr32:
      return `g[${2 * n}] = ${lo}; g[${2 * n + 1}] = 0;`;
    case RegKind.Gpr16:
      return `w[${4 * n}] = ${lo};`;
    case RegKind.Gpr8High:
      return `b[${8 * n + 1}] = ${lo};`;
    default:
      return `b[${8 * n}] = ${lo};`;
  }
}

function sizeMaskOf(size: number): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
}

/**
 * Statements leaving the offset part of `insn`'s memory operand (no segment base) in `ea`
 * (and `eh` for 64-bit addressing), as the interpreter's computeEa does.
 */
function offsetCode(insn: Instruction): string {
  const terms: string[] = [`${insn.memDisplacementLo >>> 0}`];
  const hiTerms: string[] = [`${insn.memDisplacementHi >>> 0}`];
  const base = insn.memBase;
  if (base !== Register.None && base !== Register.RIP && base !== Register.EIP) {
    const n = REG_INDEX[base]!;
    terms.push(`g[${2 * n}]`);
    hiTerms.push(`g[${2 * n + 1}]`);
  }
  if (insn.memIndex !== Register.None) {
    const n = REG_INDEX[insn.memIndex]!;
    const sc = insn.memScale === 1 ? '' : ` * ${insn.memScale}`;
    terms.push(`g[${2 * n}]${sc}`);
    hiTerms.push(`g[${2 * n + 1}]${sc}`);
  }
  if (insn.addressSize !== 8) return `ea = (${terms.join(' + ')}) >>> 0;`;
  if (terms.length === 1) return `ea = ${insn.memDisplacementLo >>> 0}; eh = ${insn.memDisplacementHi >>> 0};`;
  // The low sum stays below 2^53, so its carry is exact; ToUint32 wraps the high sum.
  return `t = ${terms.join(' + ')}; ea = t >>> 0; eh = (${hiTerms.join(' + ')} + Math.floor(t / 4294967296)) >>> 0;`;
}

/** Statements computing the linear address of a data access of `size` bytes into ea/eh, bailing out before `k` for anything unusual. */
function addressCode(e: Emitter, insn: Instruction, k: number, size: number): string {
  if (e.bitness === 64) {
    // Non-canonical addresses and page-crossing accesses are left to the interpreter.
    return `${offsetCode(insn)} if ((ea & 4095) > ${4096 - size} || ((eh + 32768) >>> 0) > 65535) ${e.bail(k)}`;
  }
  // 32-bit: the segment is flat (checked at block entry), so linear = offset.
  return `${offsetCode(insn)} eh = 0; if ((ea & 4095) > ${4096 - size}) ${e.bail(k)}`;
}

/**
 * A load of `size` bytes at ea(/eh) into `lo`/`hi`: a hit in the cpu's read TLB with a RAM view
 * reads the page directly; anything else goes through the interpreter's readMem.
 */
function readCode(e: Emitter, size: number, lo: string, hi: string): string {
  const eh = e.bitness === 64 ? 'eh' : '0';
  const tag = e.bitness === 64 ? 'eh * 1048576 + (ea >>> 12)' : 'ea >>> 12';
  const word = (at: string) =>
    `(pv[${at}] | (pv[${at} + 1] << 8) | (pv[${at} + 2] << 16) | (pv[${at} + 3] << 24)) >>> 0`;
  let fast: string;
  if (size === 1) fast = `${lo} = pv[o]; ${hi} = 0;`;
  else if (size === 2) fast = `${lo} = pv[o] | (pv[o + 1] << 8); ${hi} = 0;`;
  else if (size === 4) fast = `${lo} = ${word('o')}; ${hi} = 0;`;
  else fast = `${lo} = ${word('o')}; ${hi} = ${word('o + 4')};`;
  return `t = (ea >>> 12) & TM; pv = RV[t]; if (RT[t] === ${tag} && pv !== null) { o = ea & 4095; ${fast} } else { c.readMem(ea, ${eh}, ${size}); ${lo} = c.vLo; ${hi} = ${size === 8 ? 'c.vHi' : '0'}; }`;
}

/**
 * A store of `size` bytes at ea(/eh): a hit in the write TLB with a view writes the page (code
 * pages never have a write view); otherwise writeMem, after which a write into this block's own
 * page leaves the block (`smcExit`, empty when the block ends anyway).
 */
function writeCode(e: Emitter, size: number, lo: string, hi: string, smcExit: string): string {
  const eh = e.bitness === 64 ? 'eh' : '0';
  const tag = e.bitness === 64 ? 'eh * 1048576 + (ea >>> 12)' : 'ea >>> 12';
  let fast = 'o = ea & 4095; pv[o] = wv;';
  if (size >= 2) fast += ' pv[o + 1] = wv >>> 8;';
  if (size >= 4) fast += ' pv[o + 2] = wv >>> 16; pv[o + 3] = wv >>> 24;';
  if (size === 8) fast += ' pv[o + 4] = wh; pv[o + 5] = wh >>> 8; pv[o + 6] = wh >>> 16; pv[o + 7] = wh >>> 24;';
  const slow = `c.writeMem(ea, ${eh}, ${size}, wv, wh);${smcExit === '' ? '' : ` if (pc.valid === false) ${smcExit}`}`;
  return `wv = ${lo}; wh = ${size === 8 ? hi : '0'}; t = (ea >>> 12) & TM; pv = WV[t]; if (WT[t] === ${tag} && pv !== null) { ${fast} } else { ${slow} }`;
}

/** Loads operand `i` (register, memory or immediate) at `size` bytes; returns its value expressions. */
function loadOperand(e: Emitter, insn: Instruction, k: number, i: number, size: number, into: string): Value {
  const kind = insn.opKind[i];
  if (kind === OperandKind.Register) {
    const r = insn.opRegister[i]!;
    return { lo: gprLo(r), hi: gprHi(r) };
  }
  if (kind === OperandKind.Immediate) {
    if (size === 8) return { lo: `${insn.immediateLo >>> 0}`, hi: `${insn.immediateHi >>> 0}` };
    return { lo: `${(insn.immediateLo & sizeMaskOf(size)) >>> 0}`, hi: '0' };
  }
  e.emit(`${e.faultPoint(k)} ${addressCode(e, insn, k, size)}`);
  e.emit(readCode(e, size, into, `${into}h`));
  return { lo: into, hi: `${into}h` };
}

/** Stores to operand 0 (register or memory; the address is computed here). */
function storeOperand(e: Emitter, insn: Instruction, k: number, size: number, v: Value): void {
  if (insn.opKind[0] === OperandKind.Register) {
    e.emit(gprWrite(insn.opRegister[0]!, v.lo, v.hi));
    return;
  }
  e.emit(`${e.faultPoint(k)} ${addressCode(e, insn, k, size)}`);
  // A store into the block's own page (self-modifying code) ends the block after this instruction.
  e.emit(writeCode(e, size, v.lo, v.hi, e.exitAfter(k, false)));
}

function operandSize(insn: Instruction, i: number): number {
  return insn.opKind[i] === OperandKind.Register ? gprSize(insn.opRegister[i]!) : insn.memSize;
}

/** Pushes `size` bytes; bails before `k` if the slot is not a plain in-page access. */
function pushCode(e: Emitter, k: number, size: number, v: Value): void {
  if (e.bitness === 64) {
    e.emit(
      `${e.faultPoint(k)} t = g[8] - ${size}; ea = t >>> 0; eh = (g[9] - (t < 0 ? 1 : 0)) >>> 0; if ((ea & 4095) > ${4096 - size} || ((eh + 32768) >>> 0) > 65535) ${e.bail(k)}`,
    );
    e.emit(`${writeCode(e, size, v.lo, v.hi, '')} g[8] = ea; g[9] = eh;`);
  } else {
    e.emit(`${e.faultPoint(k)} ea = (g[8] - ${size}) >>> 0; if ((ea & 4095) > ${4096 - size}) ${e.bail(k)}`);
    e.emit(`${writeCode(e, size, v.lo, '0', '')} g[8] = ea; g[9] = 0;`);
  }
}

/** Reads the top of stack (`size` bytes) into x/xh without moving RSP. */
function peekCode(e: Emitter, k: number, size: number): void {
  if (e.bitness === 64) {
    e.emit(
      `${e.faultPoint(k)} ea = g[8]; eh = g[9]; if ((ea & 4095) > ${4096 - size} || ((eh + 32768) >>> 0) > 65535) ${e.bail(k)}`,
    );
    e.emit(readCode(e, size, 'x', 'xh'));
  } else {
    e.emit(`${e.faultPoint(k)} ea = g[8]; if ((ea & 4095) > ${4096 - size}) ${e.bail(k)}`);
    e.emit(readCode(e, size, 'x', 'xh'));
  }
}

function addSpCode(e: Emitter, n: number): string {
  if (e.bitness === 64) return `t = g[8] + ${n}; g[8] = t >>> 0; if (t > 4294967295) g[9] = (g[9] + 1) >>> 0;`;
  return `g[8] = (g[8] + ${n}) >>> 0; g[9] = 0;`;
}

/** Sets RIP to x/xh (an indirect target) and leaves; in 64-bit mode a non-canonical target is left to the interpreter. */
function indirectExit(e: Emitter, k: number, afterRsp: string): void {
  if (e.bitness === 64) e.emit(`if (((xh + 32768) >>> 0) > 65535) ${e.bail(k)}`);
  e.emit(`${afterRsp} s.ripLo = x; s.ripHi = ${e.bitness === 64 ? 'xh' : '0'}; ${e.retire(k + 1)} return true;`);
}

function genFallback(e: Emitter, k: number, ends: boolean): void {
  // execute() reads and writes the flags through the state.
  e.flushNow();
  const retire = e.retire(k);
  e.synced = k;
  e.emit(
    `${e.faultPoint(k)} s.ripLo = ${e.ipLo(k)}; s.ripHi = ${e.ipHi(k)}; ${retire} d = ${k}; c.eaDone = false; c.execute(I[${k}]);`,
  );
  if (ends) {
    e.emit(`${e.retire(k + 1)} return true;`);
    return;
  }
  // execute() advanced RIP; a write into this page (self-modifying code) ends the block here.
  e.emit(`if (pc.valid === false) { ${e.retire(k + 1)} return false; }`);
}

function genAlu(e: Emitter, insn: Instruction, k: number, h: H): void {
  const size = operandSize(insn, 0);
  const src = loadOperand(e, insn, k, 1, size, 'y');
  const dst = loadOperand(e, insn, k, 0, size, 'v');
  const writes = h !== H.Cmp && h !== H.Test;
  if (size === 8) {
    let carry = '0';
    if (h === H.Adc || h === H.Sbb) {
      const cf = e.carryExpr();
      e.local(`fc${k}`);
      e.emit(`fc${k} = ${cf === null ? 's.carry()' : `${cf} ? 1 : 0`};`);
      carry = `fc${k}`;
    }
    e.local(`fd${k}`, `fdh${k}`, `fs${k}`, `fsh${k}`, `fr${k}`, `frh${k}`);
    e.emit(`fd${k} = ${dst.lo}; fdh${k} = ${dst.hi}; fs${k} = ${src.lo}; fsh${k} = ${src.hi};`);
    let op: LazyOp;
    const cin = carry === '0' ? '' : ` + ${carry}`;
    const bin = carry === '0' ? '' : ` - ${carry}`;
    if (h === H.Add || h === H.Adc) {
      e.emit(
        `t = fd${k} + fs${k}${cin}; fr${k} = t >>> 0; frh${k} = (fdh${k} + fsh${k} + (t > 4294967295 ? 1 : 0)) >>> 0;`,
      );
      op = LazyOp.Add;
    } else if (h === H.Sub || h === H.Sbb || h === H.Cmp) {
      e.emit(`t = fd${k} - fs${k}${bin}; fr${k} = t >>> 0; frh${k} = (fdh${k} - fsh${k} - (t < 0 ? 1 : 0)) >>> 0;`);
      op = LazyOp.Sub;
    } else {
      const o = h === H.Or ? '|' : h === H.Xor ? '^' : '&';
      e.emit(`fr${k} = (fd${k} ${o} fs${k}) >>> 0; frh${k} = (fdh${k} ${o} fsh${k}) >>> 0;`);
      op = LazyOp.Logic;
    }
    e.pending = { op, size: 8, k, carry };
    if (writes) storeOperand(e, insn, k, size, { lo: `fr${k}`, hi: `frh${k}` });
    return;
  }
  const mask = sizeMaskOf(size);
  const wrap = (x: string) => (size === 4 ? `(${x}) >>> 0` : `(${x}) & ${mask}`);
  let carry = '0';
  if (h === H.Adc || h === H.Sbb) {
    const cf = e.carryExpr();
    e.local(`fc${k}`);
    e.emit(`fc${k} = ${cf === null ? 's.carry()' : `${cf} ? 1 : 0`};`);
    carry = `fc${k}`;
  }
  e.local(`fd${k}`, `fs${k}`, `fr${k}`);
  e.emit(`fd${k} = ${dst.lo}; fs${k} = ${src.lo};`);
  let r: string;
  let op: LazyOp;
  switch (h) {
    case H.Add:
    case H.Adc:
      r = wrap(`fd${k} + fs${k}${carry === '0' ? '' : ` + ${carry}`}`);
      op = LazyOp.Add;
      break;
    case H.Sub:
    case H.Sbb:
    case H.Cmp:
      r = wrap(`fd${k} - fs${k}${carry === '0' ? '' : ` - ${carry}`}`);
      op = LazyOp.Sub;
      break;
    default:
      r = `(fd${k} ${h === H.Or ? '|' : h === H.Xor ? '^' : '&'} fs${k}) >>> 0`;
      op = LazyOp.Logic;
  }
  e.emit(`fr${k} = ${r};`);
  e.pending = { op, size, k, carry };
  if (writes) storeOperand(e, insn, k, size, { lo: `fr${k}`, hi: '0' });
}

function genInline(e: Emitter, insn: Instruction, k: number): void {
  const h = MNEMONIC_HANDLER[insn.mnemonic]!;
  const osz = insn.operandSize;
  switch (h) {
    case H.Nop:
      return;
    case H.Mov: {
      const size = insn.opKind[0] === OperandKind.Memory ? insn.memSize : gprSize(insn.opRegister[0]!);
      const v = loadOperand(e, insn, k, 1, size, 'v');
      storeOperand(e, insn, k, size, v);
      return;
    }
    case H.Movzx:
    case H.Movsx:
    case H.Movsxd: {
      const dst = insn.opRegister[0]!;
      const dsz = gprSize(dst);
      const ssz = operandSize(insn, 1);
      const v = loadOperand(e, insn, k, 1, ssz, 'v');
      if (h === H.Movzx) {
        e.emit(gprWrite(dst, v.lo, '0'));
        return;
      }
      const sh = 32 - ssz * 8;
      e.emit(`t = ${sh === 0 ? `${v.lo} | 0` : `(${v.lo} << ${sh}) >> ${sh}`};`);
      const lo = dsz < 4 ? `(t & ${sizeMaskOf(dsz)})` : 't >>> 0';
      e.emit(gprWrite(dst, lo, dsz === 8 ? '(t < 0 ? 4294967295 : 0)' : '0'));
      return;
    }
    case H.Lea: {
      const dst = insn.opRegister[0]!;
      const dsz = gprSize(dst);
      e.emit(offsetCode(insn));
      const lo = dsz === 2 ? 'ea & 65535' : 'ea';
      e.emit(gprWrite(dst, lo, dsz === 8 && insn.addressSize === 8 ? 'eh' : '0'));
      return;
    }
    case H.Add:
    case H.Adc:
    case H.Sub:
    case H.Sbb:
    case H.Cmp:
    case H.And:
    case H.Or:
    case H.Xor:
    case H.Test:
      genAlu(e, insn, k, h);
      return;
    case H.Inc:
    case H.Dec: {
      const r = insn.opRegister[0]!;
      const size = gprSize(r);
      if (size === 8) {
        const cf8 = e.carryExpr();
        e.local(`fc${k}`, `fd${k}`, `fdh${k}`, `fr${k}`, `frh${k}`);
        e.emit(
          `fc${k} = ${cf8 === null ? 's.carry()' : `${cf8} ? 1 : 0`}; fd${k} = ${gprLo(r)}; fdh${k} = ${gprHi(r)};`,
        );
        e.emit(
          `t = fd${k} ${h === H.Inc ? '+' : '-'} 1; fr${k} = t >>> 0; frh${k} = (fdh${k} + (t > 4294967295 ? 1 : t < 0 ? -1 : 0)) >>> 0;`,
        );
        e.pending = { op: h === H.Inc ? LazyOp.Inc : LazyOp.Dec, size: 8, k, carry: `fc${k}` };
        e.emit(gprWrite(r, `fr${k}`, `frh${k}`));
        return;
      }
      // CF is preserved: taken from the pending producer or the state before the new flags exist.
      const cf = e.carryExpr();
      e.local(`fc${k}`, `fd${k}`, `fr${k}`);
      e.emit(`fc${k} = ${cf === null ? 's.carry()' : `${cf} ? 1 : 0`}; fd${k} = ${gprLo(r)};`);
      const t = `fd${k} ${h === H.Inc ? '+' : '-'} 1`;
      e.emit(`fr${k} = ${size === 4 ? `(${t}) >>> 0` : `(${t}) & ${sizeMaskOf(size)}`};`);
      e.pending = { op: h === H.Inc ? LazyOp.Inc : LazyOp.Dec, size, k, carry: `fc${k}` };
      e.emit(gprWrite(r, `fr${k}`, '0'));
      return;
    }
    case H.Push: {
      let v: Value;
      if (insn.opKind[0] === OperandKind.Register) {
        const r = insn.opRegister[0]!;
        v = { lo: gprLo(r), hi: gprHi(r) };
      } else v = loadOperand(e, insn, k, 0, osz, 'v');
      pushCode(e, k, osz, v);
      e.emit(`if (pc.valid === false) ${e.exitAfter(k, false)}`);
      return;
    }
    case H.Pop: {
      const r = insn.opRegister[0]!;
      const size = gprSize(r);
      peekCode(e, k, size);
      e.emit(addSpCode(e, size));
      e.emit(gprWrite(r, 'x', 'xh'));
      return;
    }
    case H.Jcc: {
      const cond = e.condExpr(MNEMONIC_COND[insn.mnemonic]!);
      e.emit(`if (${cond}) ${e.branchCode(k, insn.branchLo, insn.branchHi)}`);
      // Not taken: the block goes on at the next instruction, or ends here.
      if (!e.continuesAt(k, e.nextLo(k), e.nextHi(k))) e.emit(e.exitAfter(k, true));
      return;
    }
    case H.Setcc:
      e.emit(gprWrite(insn.opRegister[0]!, `${e.condExpr(MNEMONIC_COND[insn.mnemonic]!)} ? 1 : 0`, '0'));
      return;
    case H.Cmovcc: {
      const dst = insn.opRegister[0]!;
      const size = gprSize(dst);
      const v = loadOperand(e, insn, k, 1, size, 'v');
      const cond = e.condExpr(MNEMONIC_COND[insn.mnemonic]!);
      // SDM 2 "CMOVcc": a 32-bit destination is zero-extended even when the condition is false.
      const otherwise = size === 4 ? ` else g[${2 * REG_INDEX[dst]! + 1}] = 0;` : '';
      e.emit(`if (${cond}) { ${gprWrite(dst, v.lo, v.hi)} }${otherwise}`);
      return;
    }
    case H.Jmp:
      if (insn.opKind[0] === OperandKind.NearBranch) {
        // A followed jump costs nothing: the target's code comes next in the block.
        if (!e.continuesAt(k, insn.branchLo, insn.branchHi)) e.emit(e.branchCode(k, insn.branchLo, insn.branchHi));
        return;
      }
      e.flushNow();
      {
        const t = loadOperand(e, insn, k, 0, osz, 'x');
        if (t.lo !== 'x') e.emit(`x = ${t.lo}; xh = ${t.hi};`);
        indirectExit(e, k, '');
      }
      return;
    case H.Call: {
      const retLo = e.nextLo(k);
      const retHi = e.nextHi(k);
      if (insn.opKind[0] === OperandKind.NearBranch) {
        pushCode(e, k, osz, { lo: `${retLo}`, hi: `${retHi}` });
        if (!e.continuesAt(k, insn.branchLo, insn.branchHi)) e.emit(e.branchCode(k, insn.branchLo, insn.branchHi));
        return;
      }
      e.flushNow();
      const t = loadOperand(e, insn, k, 0, osz, 'x');
      if (t.lo !== 'x') e.emit(`x = ${t.lo}; xh = ${t.hi};`);
      if (e.bitness === 64) e.emit(`if (((xh + 32768) >>> 0) > 65535) ${e.bail(k)}`);
      pushCode(e, k, osz, { lo: `${retLo}`, hi: `${retHi}` });
      e.emit(`s.ripLo = x; s.ripHi = ${e.bitness === 64 ? 'xh' : '0'}; ${e.retire(k + 1)} return true;`);
      return;
    }
    case H.Ret: {
      peekCode(e, k, osz);
      const imm = insn.opCount > 0 ? insn.immediateLo & 0xffff : 0;
      const next = e.insns[k + 1];
      if (next !== undefined) {
        // The block builder predicted the return address (a CALL earlier in the block): go on
        // there when the stack agrees, else leave for wherever the stack says.
        e.emit(`if (x !== ${next.ipLo} || xh !== ${next.ipHi}) {`);
        const saved = e.pending;
        e.flushNow();
        indirectExit(e, k, addSpCode(e, osz + imm));
        e.emit('}');
        e.pending = saved;
        e.emit(addSpCode(e, osz + imm));
        return;
      }
      e.flushNow();
      indirectExit(e, k, addSpCode(e, osz + imm));
      return;
    }
    default:
      throw new Error(`block compiler: no inline form for handler ${h}`);
  }
}

/** The memory segments (bits `1 << SEG_*`) an inline instruction addresses, plus BLOCK_USES_STACK. */
function segmentsOf(insn: Instruction, cls: InsnClass): number {
  if (cls !== InsnClass.Inline && cls !== InsnClass.InlineEnd) return 0;
  const h = MNEMONIC_HANDLER[insn.mnemonic]!;
  let m = 0;
  if (h === H.Push || h === H.Pop || h === H.Call || h === H.Ret) m |= BLOCK_USES_STACK | (1 << 2);
  if (h !== H.Lea && h !== H.Nop) {
    for (let i = 0; i < insn.opCount; i++) {
      if (insn.opKind[i] === OperandKind.Memory) m |= 1 << (insn.memSegment - Register.ES);
    }
  }
  return m;
}

/** Stores a pending producer's flags (the generated code's `SL`): one short call instead of nine stores repeated at every exit. */
function storeLazyFlags(s: CpuState, op: LazyOp, size: number, d: number, src: number, r: number, carry: number): void {
  s.lazyOp = op;
  s.lazySize = size;
  s.lazyDstLo = d;
  s.lazyDstHi = 0;
  s.lazySrcLo = src;
  s.lazySrcHi = 0;
  s.lazyResLo = r;
  s.lazyResHi = 0;
  s.lazyCarry = carry;
}

/** {@link storeLazyFlags} for a 64-bit producer (the generated code's `SL8`). */
function storeLazyFlags64(
  s: CpuState,
  op: LazyOp,
  d: number,
  dh: number,
  src: number,
  srch: number,
  r: number,
  rh: number,
  carry: number,
): void {
  s.lazyOp = op;
  s.lazySize = 8;
  s.lazyDstLo = d;
  s.lazyDstHi = dh;
  s.lazySrcLo = src;
  s.lazySrcHi = srch;
  s.lazyResLo = r;
  s.lazyResHi = rh;
  s.lazyCarry = carry;
}

/** Sets RIP and retires `n` instructions (the generated code's `EX`, used on every exit path). */
function leaveBlock(c: { retired: number }, s: CpuState, ripLo: number, ripHi: number, n: number): void {
  s.ripLo = ripLo;
  s.ripHi = ripHi;
  c.retired += n;
  s.tsc += n;
}

let compilerAvailable: boolean | undefined;

/** False where `new Function` is forbidden (a strict Content-Security-Policy): the cpu then interprets. */
export function canCompile(): boolean {
  if (compilerAvailable === undefined) {
    try {
      compilerAvailable = new Function('return 1')() === 1;
    } catch {
      compilerAvailable = false;
    }
  }
  return compilerAvailable;
}

/**
 * Compiles a block from its decoded instructions (the classification of each decides how);
 * `page` is the cache entry of the physical page they came from, whose `valid` flag ends the
 * block early after a write into it.
 */
export function compileBlock(
  insns: readonly Instruction[],
  bitness: 32 | 64,
  page: CodePage,
  tlb: BlockTlb,
): CompiledBlock {
  const e = new Emitter(insns, bitness);
  const fallback = new Uint8Array(insns.length);
  let segments = 0;
  e.emit('try {');
  let ended = false;
  let count = insns.length;
  for (let k = 0; k < insns.length; k++) {
    const insn = insns[k]!;
    const cls = classify(insn, bitness);
    segments |= segmentsOf(insn, cls);
    if (cls === InsnClass.Fallback || cls === InsnClass.FallbackEnd) {
      fallback[k] = 1;
      genFallback(e, k, cls === InsnClass.FallbackEnd);
      if (cls === InsnClass.FallbackEnd) {
        ended = true;
        count = k + 1;
        break;
      }
    } else {
      genInline(e, insn, k);
      // A branch, call or return goes on only where the builder put its successor next;
      // as the last instruction it has emitted its exits.
      ended = cls === InsnClass.InlineEnd;
    }
  }
  if (!ended) {
    e.flushNow();
    const last = insns.length - 1;
    e.emit(`s.ripLo = ${e.nextLo(last)}; s.ripHi = ${e.nextHi(last)}; ${e.retire(insns.length)} return true;`);
  }
  e.emit('} catch (err) {');
  const cases: string[] = [];
  for (const [k, code] of e.faultFlush) if (code !== '') cases.push(`case ${k}: ${code} break;`);
  if (cases.length > 0) e.emit(`  switch (i) { ${cases.join(' ')} }`);
  // Precise exceptions: RIP at the faulting instruction (execute() left it where it wanted), the earlier ones retired.
  e.emit('  if (F[i] === 0) { s.ripLo = IL[i]; s.ripHi = IH[i]; }');
  e.emit('  c.retired += i - d; s.tsc += i - d;');
  e.emit('  throw err;');
  e.emit('}');
  const decl = ['i', 'd', 'ea', 'eh', 't', 'o', 'wv', 'wh', 'v', 'vh', 'x', 'xh', 'y', 'yh', ...e.locals].map(
    (n) => `${n} = 0`,
  );
  decl.push('pv = null');
  const lines = e.loops ? ['top: for (;;) {', ...e.lines, '}'] : e.lines;
  const body = `let ${decl.join(', ')};\n${lines.join('\n')}`;
  const source = `return function block(c, s, g, w, b, L) {\n${body}\n};`;
  const ipLoTable = new Float64Array(insns.length);
  const ipHiTable = new Float64Array(insns.length);
  for (let k = 0; k < insns.length; k++) {
    ipLoTable[k] = insns[k]!.ipLo;
    ipHiTable[k] = bitness === 64 ? insns[k]!.ipHi : 0;
  }
  const factory = new Function('I', 'F', 'IL', 'IH', 'pc', 'RT', 'RV', 'WT', 'WV', 'TM', 'SL', 'SL8', 'EX', source);
  const run = factory(
    insns,
    fallback,
    ipLoTable,
    ipHiTable,
    page,
    tlb.readTags,
    tlb.readViews,
    tlb.writeTags,
    tlb.writeViews,
    tlb.mask,
    storeLazyFlags,
    storeLazyFlags64,
    leaveBlock,
  ) as BlockFunction;
  return { run, count, bitness, ipLo: insns[0]!.ipLo, ipHi: insns[0]!.ipHi, segments, source };
}
