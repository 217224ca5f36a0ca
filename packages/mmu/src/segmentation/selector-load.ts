// Selector loads with every check and the exact fault (SDM 2 MOV, POP, LDS/LES/LFS/LGS/LSS, JMP,
// CALL, LLDT, LTR; SDM 3A 5.5-5.8, 7.3 for task switches).
import {
  DescriptorFields,
  decodeDescriptor,
  SystemType,
  TYPE_ACCESSED,
  TYPE_CODE,
  TYPE_EXPAND_DOWN_OR_CONFORMING,
  TYPE_WRITABLE_OR_READABLE,
} from './descriptor.ts';
import {
  AR_UNUSABLE,
  type SegmentFault,
  SegmentRegister,
  SegReg,
  VECTOR_GP_SEG,
  VECTOR_NP,
  VECTOR_SS,
  VECTOR_TS,
} from './segment-register.ts';

/** The processor mode, as far as segmentation cares. */
export const CpuMode = {
  Real: 0,
  Protected: 1,
  Virtual8086: 2,
  /** IA-32e mode with CS.L=0. */
  Compatibility: 3,
  /** IA-32e mode with CS.L=1. */
  Long64: 4,
} as const;
/** One of the {@link CpuMode} values. */
export type CpuMode = (typeof CpuMode)[keyof typeof CpuMode];

/**
 * How segmentation reads and writes descriptor tables: linear addresses as lo/hi halves, implicit
 * supervisor accesses (the cpu routes them through paging). A read returns the dword or -1 when
 * the access faulted; a write returns false when it faulted. The cpu keeps that fault pending.
 */
export interface DescriptorTableAccess {
  readLinear32(lo: number, hi: number): number;
  writeLinear32(lo: number, hi: number, value: number): boolean;
}

/** The state a selector load depends on. Plain mutable fields; the cpu owns one. */
export class SegmentationContext {
  /** Current processor mode. */
  mode: CpuMode = CpuMode.Real;
  /** Current privilege level (0..3). */
  cpl = 0;
  /** GDTR base as lo/hi halves (hi only matters in IA-32e mode) and limit. */
  gdtrBaseLo = 0;
  gdtrBaseHi = 0;
  gdtrLimit = 0xffff;
  /** LDTR with its hidden cache; unusable until LLDT loads one. */
  readonly ldtr = new SegmentRegister();
  /** Loads made by a task switch: selector faults become #TS(selector) (SDM 3A 7.3 step 13). */
  taskSwitch = false;
  /** Error codes get EXT (bit 0): the load is part of delivering an external event. */
  ext = false;

  /** `memory` reads and writes descriptor tables by linear address. */
  constructor(readonly memory: DescriptorTableAccess) {
    this.ldtr.accessRights = AR_UNUSABLE;
    this.ldtr.limit = 0;
  }
}

const fields = new DescriptorFields();
let descLo = 0;
let descHi = 0;
let descUpper = 0;
let descAddrLo = 0;
let descAddrHi = 0;

function isIa32e(mode: CpuMode): boolean {
  return mode === CpuMode.Long64 || mode === CpuMode.Compatibility;
}

/** #GP(selector), or #TS(selector) during a task switch. */
function selectorFault(ctx: SegmentationContext, fault: SegmentFault, selector: number): false {
  return fault.raise(ctx.taskSwitch ? VECTOR_TS : VECTOR_GP_SEG, (selector & 0xfffc) | (ctx.ext ? 1 : 0));
}

/**
 * Reads the descriptor `selector` names (16 bytes when `wide`) into the module scratch. Returns
 * false with `fault` set for a selector beyond the table limit or an LDT selector without an LDT,
 * or with `fault.vector` 0 when the memory access itself faulted.
 */
function readDescriptor(ctx: SegmentationContext, selector: number, wide: boolean, fault: SegmentFault): boolean {
  const index = selector & 0xfff8;
  let baseLo: number;
  let baseHi: number;
  let limit: number;
  if ((selector & 4) !== 0) {
    if (ctx.ldtr.unusable) return selectorFault(ctx, fault, selector);
    baseLo = ctx.ldtr.baseLo;
    baseHi = ctx.ldtr.baseHi;
    limit = ctx.ldtr.limit;
  } else {
    baseLo = ctx.gdtrBaseLo;
    baseHi = ctx.gdtrBaseHi;
    limit = ctx.gdtrLimit;
  }
  if (index + (wide ? 15 : 7) > limit) return selectorFault(ctx, fault, selector);
  const sum = (baseLo >>> 0) + index;
  descAddrLo = sum >>> 0;
  descAddrHi = isIa32e(ctx.mode) ? (baseHi + (sum > 0xffffffff ? 1 : 0)) >>> 0 : 0;
  const m = ctx.memory;
  descLo = m.readLinear32(descAddrLo, descAddrHi);
  if (descLo < 0) return fault.raise(0, 0);
  descHi = m.readLinear32((descAddrLo + 4) >>> 0, descAddrHi + (descAddrLo + 4 > 0xffffffff ? 1 : 0));
  if (descHi < 0) return fault.raise(0, 0);
  descUpper = 0;
  if (wide) {
    descUpper = m.readLinear32((descAddrLo + 8) >>> 0, descAddrHi + (descAddrLo + 8 > 0xffffffff ? 1 : 0));
    const top = m.readLinear32((descAddrLo + 12) >>> 0, descAddrHi + (descAddrLo + 12 > 0xffffffff ? 1 : 0));
    if (descUpper < 0 || top < 0) return fault.raise(0, 0);
    // SDM 3A 8.2.3: the type field of the upper half of a 16-byte system descriptor must be 0.
    if ((top & 0x1f00) !== 0) return selectorFault(ctx, fault, selector);
  }
  decodeDescriptor(descLo, descHi, fields, descUpper);
  return true;
}

/** Sets a type bit (accessed, busy) in the descriptor just read; false when the write faulted. */
function setTypeBit(ctx: SegmentationContext, bit: number, fault: SegmentFault): boolean {
  if ((descHi & (bit << 8)) !== 0) return true;
  descHi = (descHi | (bit << 8)) >>> 0;
  if (!ctx.memory.writeLinear32((descAddrLo + 4) >>> 0, descAddrHi + (descAddrLo + 4 > 0xffffffff ? 1 : 0), descHi)) {
    return fault.raise(0, 0);
  }
  return true;
}

/** Fills the hidden cache from the descriptor just read. */
function loadCache(seg: SegmentRegister, selector: number): void {
  seg.selector = selector & 0xffff;
  seg.baseLo = fields.base;
  seg.baseHi = fields.s ? 0 : descUpper >>> 0;
  seg.limit = fields.effectiveLimit();
  seg.accessRights = ((descHi >>> 8) & 0xff) | ((descHi >>> 8) & 0xf000);
}

/**
 * Loads `selector` into segment register `reg` the way MOV/POP/LxS (data registers and SS) and a
 * direct far JMP/CALL (CS) do, with every check of the SDM in its order. Real mode and virtual-8086
 * mode just set base = selector * 16 (virtual-8086 also sets limit 0xffff and DPL 3 attributes).
 *
 * Returns true with `seg` updated, or false with `fault` holding #GP/#SS/#NP/#TS and its error code
 * (selector with RPL cleared, EXT from the context), or with `fault.vector === 0` when reading or
 * writing the descriptor table faulted in memory (that fault is the cpu's to deliver).
 * Calls through gates and task switches by JMP/CALL are the cpu's; it can decode gates with
 * {@link decodeDescriptor}.
 */
export function loadSegment(
  ctx: SegmentationContext,
  reg: SegReg,
  selector: number,
  seg: SegmentRegister,
  fault: SegmentFault,
): boolean {
  fault.clear();
  selector &= 0xffff;
  if (ctx.mode === CpuMode.Real || ctx.mode === CpuMode.Virtual8086) {
    seg.selector = selector;
    seg.baseLo = selector << 4;
    seg.baseHi = 0;
    if (ctx.mode === CpuMode.Virtual8086) {
      seg.limit = 0xffff;
      seg.accessRights = reg === SegReg.CS ? 0xfb : 0xf3;
    }
    return true;
  }
  if (reg === SegReg.LDTR) return loadLdtr(ctx, selector, seg, fault);
  if (reg === SegReg.TR) return loadTr(ctx, selector, seg, fault);
  const rpl = selector & 3;
  const cpl = ctx.cpl;
  const isNull = (selector & 0xfffc) === 0;

  if (reg === SegReg.SS) {
    if (isNull) {
      // SDM 2 MOV: 64-bit mode allows a null SS at CPL<3 when RPL=CPL.
      if (ctx.mode === CpuMode.Long64 && cpl !== 3 && rpl === cpl) {
        seg.selector = selector;
        seg.accessRights = AR_UNUSABLE | (cpl << 5);
        return true;
      }
      return fault.raise(ctx.taskSwitch ? VECTOR_TS : VECTOR_GP_SEG, ctx.ext ? 1 : 0);
    }
    if (!readDescriptor(ctx, selector, false, fault)) return false;
    if (rpl !== cpl) return selectorFault(ctx, fault, selector);
    const writableData = fields.s && (fields.type & TYPE_CODE) === 0 && (fields.type & TYPE_WRITABLE_OR_READABLE) !== 0;
    if (!writableData || fields.dpl !== cpl) return selectorFault(ctx, fault, selector);
    if (!fields.present) return fault.raise(VECTOR_SS, (selector & 0xfffc) | (ctx.ext ? 1 : 0));
    if (!setTypeBit(ctx, TYPE_ACCESSED, fault)) return false;
    loadCache(seg, selector);
    return true;
  }

  if (reg === SegReg.CS) {
    if (isNull) return fault.raise(VECTOR_GP_SEG, ctx.ext ? 1 : 0);
    if (!readDescriptor(ctx, selector, false, fault)) return false;
    if (!fields.s || (fields.type & TYPE_CODE) === 0) return selectorFault(ctx, fault, selector);
    if ((fields.type & TYPE_EXPAND_DOWN_OR_CONFORMING) !== 0) {
      if (fields.dpl > cpl) return selectorFault(ctx, fault, selector);
    } else if (rpl > cpl || fields.dpl !== cpl) {
      return selectorFault(ctx, fault, selector);
    }
    if (!fields.present) return fault.raise(VECTOR_NP, (selector & 0xfffc) | (ctx.ext ? 1 : 0));
    // SDM 3A 5.2.1: in IA-32e mode, L=1 with D=1 is reserved.
    if (isIa32e(ctx.mode) && fields.long && fields.db) return selectorFault(ctx, fault, selector);
    if (!setTypeBit(ctx, TYPE_ACCESSED, fault)) return false;
    loadCache(seg, (selector & 0xfffc) | cpl);
    return true;
  }

  // DS, ES, FS, GS.
  if (isNull) {
    seg.selector = selector;
    seg.accessRights = AR_UNUSABLE;
    return true;
  }
  if (!readDescriptor(ctx, selector, false, fault)) return false;
  const code = (fields.type & TYPE_CODE) !== 0;
  if (!fields.s || (code && (fields.type & TYPE_WRITABLE_OR_READABLE) === 0)) {
    return selectorFault(ctx, fault, selector);
  }
  const conforming = code && (fields.type & TYPE_EXPAND_DOWN_OR_CONFORMING) !== 0;
  if (!conforming && (rpl > fields.dpl || cpl > fields.dpl)) return selectorFault(ctx, fault, selector);
  if (!fields.present) return fault.raise(VECTOR_NP, (selector & 0xfffc) | (ctx.ext ? 1 : 0));
  if (!setTypeBit(ctx, TYPE_ACCESSED, fault)) return false;
  loadCache(seg, selector);
  return true;
}

/** LLDT (SDM 2 LLDT): CPL 0, GDT only, LDT descriptor, present; 16 bytes in IA-32e mode. */
function loadLdtr(ctx: SegmentationContext, selector: number, seg: SegmentRegister, fault: SegmentFault): boolean {
  if (ctx.cpl !== 0) return fault.raise(VECTOR_GP_SEG, 0);
  if ((selector & 0xfffc) === 0) {
    seg.selector = selector;
    seg.accessRights = AR_UNUSABLE;
    return true;
  }
  if ((selector & 4) !== 0) return selectorFault(ctx, fault, selector);
  if (!readDescriptor(ctx, selector, isIa32e(ctx.mode), fault)) return false;
  if (fields.s || fields.type !== SystemType.Ldt) return selectorFault(ctx, fault, selector);
  if (!fields.present) return fault.raise(VECTOR_NP, (selector & 0xfffc) | (ctx.ext ? 1 : 0));
  if (isIa32e(ctx.mode) && !isCanonical48(fields.base, descUpper)) return selectorFault(ctx, fault, selector);
  loadCache(seg, selector);
  return true;
}

/** LTR (SDM 2 LTR): CPL 0, GDT only, an available TSS (only the 64-bit one in IA-32e mode); marks it busy. */
function loadTr(ctx: SegmentationContext, selector: number, seg: SegmentRegister, fault: SegmentFault): boolean {
  if (ctx.cpl !== 0) return fault.raise(VECTOR_GP_SEG, 0);
  if ((selector & 0xfffc) === 0) return fault.raise(VECTOR_GP_SEG, 0);
  if ((selector & 4) !== 0) return selectorFault(ctx, fault, selector);
  if (!readDescriptor(ctx, selector, isIa32e(ctx.mode), fault)) return false;
  const available =
    !fields.s &&
    (fields.type === SystemType.TssAvailable || (!isIa32e(ctx.mode) && fields.type === SystemType.Tss16Available));
  if (!available) return selectorFault(ctx, fault, selector);
  if (!fields.present) return fault.raise(VECTOR_NP, (selector & 0xfffc) | (ctx.ext ? 1 : 0));
  if (isIa32e(ctx.mode) && !isCanonical48(fields.base, descUpper)) return selectorFault(ctx, fault, selector);
  if (!setTypeBit(ctx, 2, fault)) return false;
  loadCache(seg, selector);
  return true;
}

function isCanonical48(_lo: number, hi: number): boolean {
  const top = hi >>> 15;
  return top === 0 || top === 0x1ffff;
}
