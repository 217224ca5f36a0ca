/** Segment registers in their x86 encoding order, plus LDTR and TR. */
export const SegReg = { ES: 0, CS: 1, SS: 2, DS: 3, FS: 4, GS: 5, LDTR: 6, TR: 7 } as const;
/** One of the {@link SegReg} values. */
export type SegReg = (typeof SegReg)[keyof typeof SegReg];

/** #TS, invalid TSS: selector faults during a task switch. */
export const VECTOR_TS = 10;
/** #NP, segment not present. */
export const VECTOR_NP = 11;
/** #SS, stack-segment fault. */
export const VECTOR_SS = 12;
/** #GP, general protection (same value as the paging module's VECTOR_GP). */
export const VECTOR_GP_SEG = 13;

/** Access-rights bit 16 (VMX format): the register is unusable (a null selector was loaded). */
export const AR_UNUSABLE = 1 << 16;

/**
 * A segment register with its hidden descriptor cache (SDM 3A 3.4.3). `accessRights` uses the VMX
 * guest access-rights layout (SDM 3C 25.4.1): bits 3:0 type, 4 S, 6:5 DPL, 7 P, 12 AVL, 13 L,
 * 14 D/B, 15 G, 16 unusable, so the vmx package can copy it to and from the VMCS as is.
 */
export class SegmentRegister {
  /** The visible selector. */
  selector = 0;
  /** Base bits 31:0. */
  baseLo = 0;
  /** Base bits 63:32 (FS/GS/LDTR/TR in IA-32e mode). */
  baseHi = 0;
  /** Limit in bytes (already scaled by G). */
  limit = 0xffff;
  /** Access rights in VMX layout; the reset value is a present, accessed read/write data segment. */
  accessRights = 0x93;

  /** Type field (bits 3:0 of the access rights). */
  get type(): number {
    return this.accessRights & 0xf;
  }
  /** Descriptor privilege level. */
  get dpl(): number {
    return (this.accessRights >>> 5) & 3;
  }
  /** P flag. */
  get present(): boolean {
    return (this.accessRights & 0x80) !== 0;
  }
  /** Whether a null selector was loaded (or the register was never loaded in protected mode). */
  get unusable(): boolean {
    return (this.accessRights & AR_UNUSABLE) !== 0;
  }
  /** D/B flag. */
  get big(): boolean {
    return (this.accessRights & (1 << 14)) !== 0;
  }
  /** L flag (CS only). */
  get long(): boolean {
    return (this.accessRights & (1 << 13)) !== 0;
  }

  /** Copies all fields from `other`. */
  copyFrom(other: SegmentRegister): void {
    this.selector = other.selector;
    this.baseLo = other.baseLo;
    this.baseHi = other.baseHi;
    this.limit = other.limit;
    this.accessRights = other.accessRights;
  }
}

/** An architectural fault, as data: `vector` 0 means none. */
export class SegmentFault {
  /** Exception vector (10 #TS, 11 #NP, 12 #SS, 13 #GP), or 0 for no fault / a memory fault. */
  vector = 0;
  /** Error code: selector with RPL cleared (TI kept) plus EXT, or 0. */
  errorCode = 0;

  /** Sets the fault and returns false, so checks can `return fault.raise(...)`. */
  raise(vector: number, errorCode: number): false {
    this.vector = vector;
    this.errorCode = errorCode;
    return false;
  }

  /** Resets to "no fault". */
  clear(): void {
    this.vector = 0;
    this.errorCode = 0;
  }
}
