// The encoder's operand model: what an Intel-syntax operand says, after expressions are evaluated.
import { Register } from '@typevisor/x86-decode';

/** A register operand (`eax`, `xmm3`, `cr0`, `st1`). */
export interface RegisterOperand {
  readonly kind: 'reg';
  readonly reg: Register;
}

/**
 * A memory operand `size [segment: base + index*scale + displacement]`.
 * `size` is the size keyword in bytes (0 = none given); `displacement` is a safe integer;
 * `relocatable` marks a displacement that depends on a label, which (like NASM and llvm-mc)
 * is always encoded at full width. `ripRelative` means `[rel target]`: `displacement` is
 * the target address and the encoder subtracts the next instruction's address.
 */
export interface MemoryOperand {
  readonly kind: 'mem';
  size: number;
  segment: Register;
  base: Register;
  index: Register;
  scale: number;
  displacement: number;
  relocatable: boolean;
  ripRelative: boolean;
  /** `far [mem]`: only the m16:16/32/64 forms (far JMP/CALL) match. */
  far: boolean;
}

/**
 * An immediate, a branch target or a constant, as a 64-bit two's complement `hi:lo` pair
 * (`lo` unsigned 32-bit, `hi` signed 32-bit). `size` is a size keyword in bytes (0 = none);
 * `relocatable` marks a value that depends on a label address (encoded at full width);
 * `known` is false while a forward reference is still unresolved; `jump` is the
 * `short`/`near` keyword.
 */
export interface ImmediateOperand {
  readonly kind: 'imm';
  lo: number;
  hi: number;
  size: number;
  relocatable: boolean;
  known: boolean;
  jump: '' | 'short' | 'near';
}

/** A far pointer `selector:offset` (far JMP/CALL ptr16:16/32). */
export interface FarPointerOperand {
  readonly kind: 'far';
  selector: number;
  offset: number;
  /** Size keyword of the offset in bytes (`jmp dword 0x08:x` = ptr16:32), 0 = the mode's default. */
  size?: number;
}

/** Any operand the encoder takes. */
export type Operand = RegisterOperand | MemoryOperand | ImmediateOperand | FarPointerOperand;

/** A register operand. */
export const reg = (r: Register): RegisterOperand => ({ kind: 'reg', reg: r });

/** An immediate from a safe integer (or a `hi:lo` pair when `hi` is given). */
export function imm(value: number, hi?: number): ImmediateOperand {
  if (hi !== undefined)
    return { kind: 'imm', lo: value >>> 0, hi: hi | 0, size: 0, relocatable: false, known: true, jump: '' };
  return {
    kind: 'imm',
    lo: value >>> 0,
    hi: Math.floor(value / 4294967296) | 0,
    size: 0,
    relocatable: false,
    known: true,
    jump: '',
  };
}

/** A memory operand; fields not given are absent (no base, no index, displacement 0). */
export function mem(parts: Partial<Omit<MemoryOperand, 'kind'>>): MemoryOperand {
  return {
    kind: 'mem',
    size: parts.size ?? 0,
    segment: parts.segment ?? Register.None,
    base: parts.base ?? Register.None,
    index: parts.index ?? Register.None,
    scale: parts.scale ?? 1,
    displacement: parts.displacement ?? 0,
    relocatable: parts.relocatable ?? false,
    ripRelative: parts.ripRelative ?? false,
    far: parts.far ?? false,
  };
}

/** The value of an immediate as a number (exact when it is a safe integer). */
export const immValue = (o: ImmediateOperand): number => o.hi * 4294967296 + o.lo;
