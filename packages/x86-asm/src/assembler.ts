// The multi-pass assembler: lays the statements out, relaxes jumps until every label
// settles, and emits bytes, the symbol table and the listing.
import { Register } from '@typevisor/x86-decode';
import { AsmError } from './asm-error.ts';
import { type Bits, encodeInto } from './encoder.ts';
import { type Expr, evaluate, type Scope, type Value } from './expression.ts';
import type { ListingLine } from './listing.ts';
import type { ImmediateOperand, MemoryOperand, Operand } from './operand.ts';
import { type OperandSyntax, type ParsedLine, parseSource, type Statement } from './parser.ts';

/** Options of {@link assemble}. */
export interface AssembleOptions {
  /** Initial code bitness, as `bits 16/32/64` would set it (default 64). */
  bits?: Bits;
  /** Address of the first byte, as `org` would set it (default 0). */
  org?: number;
  /** Constants visible to the source, as if defined with `equ`. */
  defines?: Readonly<Record<string, number>>;
}

/** What {@link assemble} produces. */
export interface AssembleResult {
  /** The machine code and data, from `origin` on. */
  bytes: Uint8Array;
  /** Address of `bytes[0]` (the `org`). */
  origin: number;
  /** Every label and `equ` (local labels as `global.local`) -> its value. */
  symbols: ReadonlyMap<string, number>;
  /** One entry per source line that emitted bytes or defined a label: address, bytes, source. */
  listing: ListingLine[];
}

interface SymbolEntry {
  value: number;
  reloc: number;
}

const MAX_PASSES = 40;
/**
 * Branch relaxation as llvm-mc does it: the first pass assumes every not-yet-known jump is
 * short, later passes only ever grow an instruction (a jump becomes near once its target is
 * out of reach), so layout reaches the smallest fixed point and always ends.
 */
const GROW_ONLY_AFTER = 1;

/**
 * Assembles NASM-style Intel-syntax source.
 *
 * @example
 * ```ts
 * import { assemble } from '@typevisor/x86-asm';
 * const { bytes, symbols } = assemble('start: mov eax, 1\n jmp start', { bits: 32, org: 0x1000 });
 * // bytes: b8 01 00 00 00 eb f9; symbols.get('start') === 0x1000
 * ```
 */
export function assemble(source: string, options: AssembleOptions = {}): AssembleResult {
  const bits0 = options.bits ?? 64;
  if (bits0 !== 16 && bits0 !== 32 && bits0 !== 64)
    throw new AsmError('usage', `bits must be 16, 32 or 64, not ${bits0}`);
  const org0 = options.org ?? 0;
  if (!Number.isSafeInteger(org0) || org0 < 0)
    throw new AsmError('usage', `org must be a non-negative integer, not ${org0}`);
  const lines = parseSource(source);
  let previous = new Map<string, SymbolEntry>();
  const minLengths: number[] = [];
  for (let pass = 1; pass <= MAX_PASSES; pass++) {
    const p = new Pass(lines, bits0, org0, previous, options.defines ?? {}, minLengths, pass > GROW_ONLY_AFTER);
    p.run();
    // Final when every symbol use saw the value the symbol finally got in this pass (uses of
    // earlier definitions always do; forward uses saw the previous pass's value).
    if (p.unresolved.length === 0) {
      const symbols = new Map<string, number>();
      for (const [k, v] of p.symbols) symbols.set(k, v.value);
      return { bytes: p.bytes(), origin: p.start, symbols, listing: p.listing() };
    }
    if (p.unresolved.length > 0 && pass > 1) {
      const u = p.unresolved[0]!;
      if (!p.symbols.has(u.name)) throw new AsmError('symbol', `undefined symbol '${u.name}'`, u.line, u.column);
    }
    previous = p.symbols;
  }
  throw new AsmError('layout', `layout did not settle after ${MAX_PASSES} passes`);
}

class Pass implements Scope {
  readonly symbols = new Map<string, SymbolEntry>();
  readonly unresolved: { name: string; line: number; column: number }[] = [];
  /** Listing spans (address, byte from, byte to, line) as numbers; objects only for the final pass. */
  private readonly spans: number[] = [];
  private out = new Uint8Array(256);
  private len = 0;
  private bits: Bits;
  start: number;
  here: number;
  private lastGlobal = '';
  private line = 0;
  private stmtIndex = 0;

  constructor(
    private readonly lines: ParsedLine[],
    bits: Bits,
    org: number,
    private readonly previous: Map<string, SymbolEntry>,
    private readonly defines: Readonly<Record<string, number>>,
    private readonly minLengths: number[],
    private readonly growOnly: boolean,
  ) {
    this.bits = bits;
    this.start = org;
    this.here = org;
  }

  bytes(): Uint8Array {
    return this.out.slice(0, this.len);
  }

  listing(): ListingLine[] {
    const out: ListingLine[] = [];
    for (let i = 0; i < this.spans.length; i += 4) {
      const line = this.spans[i + 3]!;
      out.push({
        address: this.spans[i]!,
        bytes: this.out.slice(this.spans[i + 1], this.spans[i + 2]),
        line,
        source: this.lines[line - 1]!.source,
      });
    }
    return out;
  }

  lookup(raw: string, column: number): { value: number; reloc: number; known: boolean } {
    const name = this.qualify(raw);
    const own = this.symbols.get(name);
    if (own) return { ...own, known: true };
    if (Object.hasOwn(this.defines, name)) return { value: this.defines[name]!, reloc: 0, known: true };
    this.unresolved.push({ name, line: this.line, column });
    const prev = this.previous.get(name);
    if (prev) return { ...prev, known: true };
    // not known yet: assume a small constant (short forms); later passes grow what must grow
    return { value: 0, reloc: 0, known: false };
  }

  private qualify(name: string): string {
    return name.startsWith('.') && !name.startsWith('..') ? this.lastGlobal + name : name;
  }

  private define(name: string, value: number, reloc: number, column: number): void {
    if (!name.startsWith('.') || name.startsWith('..')) {
      if (reloc !== 0) this.lastGlobal = name;
    }
    const q = this.qualify(name);
    if (this.symbols.has(q)) throw new AsmError('symbol', `symbol '${q}' is defined twice`, this.line, column);
    this.symbols.set(q, { value, reloc });
  }

  run(): void {
    // A use that the same pass defines later is fine when the previous pass knew it;
    // only uses never defined anywhere stay in `unresolved` (checked by the caller).
    for (const l of this.lines) {
      this.line = l.line;
      const address = this.here;
      const from = this.len;
      let labelled = false;
      for (const s of l.statements) {
        if (s.kind === 'label') labelled = true;
        this.statement(s);
      }
      if (this.len > from || labelled) this.spans.push(address, from, this.len, l.line);
    }
    // drop unresolved uses that this pass defined after the use
    for (let i = this.unresolved.length - 1; i >= 0; i--) {
      const u = this.unresolved[i]!;
      const now = this.symbols.get(u.name);
      const prev = this.previous.get(u.name);
      if (now && prev && now.value === prev.value) this.unresolved.splice(i, 1);
    }
  }

  private eval(e: Expr): Value {
    return evaluate(e, this, this.line);
  }

  private constant(e: Expr, what: string, column: number): number {
    const v = this.eval(e);
    if (!v.known) throw new AsmError('symbol', `${what} must not depend on a forward reference`, this.line, column);
    return v.value;
  }

  private emit(b: number): void {
    if (this.len === this.out.length) {
      const grown = new Uint8Array(this.out.length * 2);
      grown.set(this.out);
      this.out = grown;
    }
    this.out[this.len++] = b;
    this.here++;
  }

  private statement(s: Statement): void {
    switch (s.kind) {
      case 'label':
        this.define(s.name, this.here, 1, s.column);
        return;
      case 'equ': {
        const v = this.eval(s.expr);
        this.define(s.name, v.value, v.reloc, s.column);
        return;
      }
      case 'bits':
        this.bits = s.bits;
        return;
      case 'org': {
        if (this.len > 0) throw new AsmError('syntax', 'org must come before any code or data', this.line, s.column);
        const v = this.constant(s.expr, 'org', s.column);
        this.start = v;
        this.here = v;
        return;
      }
      case 'data':
        for (const item of s.items) {
          if (item.kind === 'str') {
            for (let i = 0; i < item.text.length; i++) this.emit(item.text.charCodeAt(i) & 0xff);
            for (let i = item.text.length; i % s.width !== 0; i++) this.emit(0);
          } else {
            const v = this.eval(item.expr);
            if (v.known && s.width < 8) {
              const lim = 2 ** (8 * s.width);
              if (v.value < -lim / 2 || v.value >= lim)
                throw new AsmError(
                  'out-of-range',
                  `value ${v.value} does not fit in ${s.width} byte(s)`,
                  this.line,
                  s.column,
                );
            }
            for (let i = 0; i < s.width; i++)
              this.emit(
                i < 4 ? (v.lo >>> (8 * i)) & 0xff : i < 8 ? (v.hi >>> (8 * (i - 4))) & 0xff : v.hi < 0 ? 0xff : 0,
              );
          }
        }
        return;
      case 'reserve': {
        const n = this.constant(s.count, 'the reserve count', s.column);
        if (n < 0) throw new AsmError('out-of-range', 'negative reserve count', this.line, s.column);
        for (let i = 0; i < n * s.width; i++) this.emit(0);
        return;
      }
      case 'align': {
        const a = this.constant(s.expr, 'the alignment', s.column);
        if (a <= 0 || (a & (a - 1)) !== 0)
          throw new AsmError('out-of-range', `alignment ${a} is not a power of two`, this.line, s.column);
        while ((this.here - this.start) % a !== 0) this.emit(s.fill);
        return;
      }
      case 'times': {
        const n = this.constant(s.count, 'the times count', s.column);
        if (n < 0) throw new AsmError('out-of-range', `times count ${n} is negative`, this.line, s.column);
        for (let i = 0; i < n; i++) this.statement(s.body);
        return;
      }
      case 'insn':
        this.instruction(s);
        return;
    }
  }

  private instruction(s: Extract<Statement, { kind: 'insn' }>): void {
    const ops: Operand[] = s.operands.map((o) => this.operand(o));
    const index = this.stmtIndex++;
    const min = this.growOnly ? (this.minLengths[index] ?? 0) : 0;
    // make room for the longest instruction
    while (this.len + 16 > this.out.length) {
      const grown = new Uint8Array(this.out.length * 2);
      grown.set(this.out);
      this.out = grown;
    }
    let n: number;
    try {
      n = encodeInto(this.out, this.len, s.mnemonic, ops, this.bits, this.here, s.prefixes, min);
    } catch (e) {
      if (e instanceof AsmError && e.line === 0)
        throw new AsmError(e.code, e.message, this.line, s.column, { cause: e });
      throw e;
    }
    this.minLengths[index] = Math.max(n, this.growOnly ? (this.minLengths[index] ?? 0) : 0);
    this.len += n;
    this.here += n;
  }

  private operand(o: OperandSyntax): Operand {
    switch (o.kind) {
      case 'reg':
        return { kind: 'reg', reg: o.reg };
      case 'imm': {
        const v = this.eval(o.expr);
        const r: ImmediateOperand = {
          kind: 'imm',
          lo: v.lo,
          hi: v.hi,
          size: o.size,
          relocatable: v.reloc !== 0,
          known: v.known,
          jump: o.jump,
        };
        return r;
      }
      case 'far': {
        const sel = this.eval(o.selector);
        const off = this.eval(o.offset);
        return { kind: 'far', selector: sel.value, offset: off.value, size: o.size };
      }
      case 'mem':
        return this.memory(o);
    }
  }

  private memory(o: Extract<OperandSyntax, { kind: 'mem' }>): MemoryOperand {
    const m: MemoryOperand = {
      kind: 'mem',
      size: o.size,
      segment: o.segment,
      base: Register.None,
      index: Register.None,
      scale: 1,
      displacement: 0,
      relocatable: false,
      ripRelative: o.rel,
      far: o.far,
    };
    let reloc = 0;
    const addReg = (r: number, scale: number, column: number): void => {
      if (r === Register.RIP || r === Register.EIP) {
        if (m.base !== Register.None || scale !== 1)
          throw new AsmError('syntax', 'rip cannot be scaled or combined', this.line, column);
        m.base = r;
      } else if (scale === 1 && m.base === Register.None) m.base = r;
      else if (m.index === Register.None) {
        m.index = r;
        m.scale = scale;
      } else throw new AsmError('syntax', 'expected at most a base and an index register', this.line, column);
    };
    const walk = (e: Expr, sign: number): void => {
      if (e.op === 'reg') {
        if (sign < 0) throw new AsmError('syntax', 'a register cannot be subtracted', this.line, e.column);
        addReg(e.reg, 1, e.column);
        return;
      }
      if (e.op === 'bin' && (e.operator === '+' || e.operator === '-')) {
        walk(e.a, sign);
        walk(e.b, e.operator === '-' ? -sign : sign);
        return;
      }
      if (e.op === 'bin' && e.operator === '*') {
        const r = e.a.op === 'reg' ? e.a : e.b.op === 'reg' ? e.b : null;
        const k = r === e.a ? e.b : e.a;
        if (r && r.op === 'reg') {
          if (sign < 0) throw new AsmError('syntax', 'a register cannot be subtracted', this.line, e.column);
          const scale = this.constant(k, 'a scale', e.column);
          addReg(r.reg, scale, e.column);
          return;
        }
      }
      const v = this.eval(e);
      m.displacement += sign * v.value;
      reloc += sign * v.reloc;
    };
    walk(o.body, 1);
    m.relocatable = reloc !== 0;
    return m;
  }
}
