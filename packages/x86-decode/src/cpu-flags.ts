/** RFLAGS bits, at their architectural positions (SDM 1 3.4.3), as used by `Instruction.flags*`. */
export const FLAG_CF = 0x0001;
/** Parity flag. */
export const FLAG_PF = 0x0004;
/** Auxiliary carry flag. */
export const FLAG_AF = 0x0010;
/** Zero flag. */
export const FLAG_ZF = 0x0040;
/** Sign flag. */
export const FLAG_SF = 0x0080;
/** Trap flag. */
export const FLAG_TF = 0x0100;
/** Interrupt enable flag. */
export const FLAG_IF = 0x0200;
/** Direction flag. */
export const FLAG_DF = 0x0400;
/** Overflow flag. */
export const FLAG_OF = 0x0800;
/** I/O privilege level (2 bits). */
export const FLAG_IOPL = 0x3000;
/** Nested task. */
export const FLAG_NT = 0x4000;
/** Resume flag. */
export const FLAG_RF = 0x10000;
/** Virtual-8086 mode. */
export const FLAG_VM = 0x20000;
/** Alignment check / access control (SMAP). */
export const FLAG_AC = 0x40000;
/** Virtual interrupt flag. */
export const FLAG_VIF = 0x80000;
/** Virtual interrupt pending. */
export const FLAG_VIP = 0x100000;
/** CPUID available. */
export const FLAG_ID = 0x200000;

/** Letters used for flags in the data file (`data/x86.isa`), mapped to their bits. */
export const FLAG_LETTERS: Readonly<Record<string, number>> = {
  c: FLAG_CF,
  p: FLAG_PF,
  a: FLAG_AF,
  z: FLAG_ZF,
  s: FLAG_SF,
  t: FLAG_TF,
  i: FLAG_IF,
  d: FLAG_DF,
  o: FLAG_OF,
  l: FLAG_IOPL,
  n: FLAG_NT,
  r: FLAG_RF,
  v: FLAG_VM,
  x: FLAG_AC,
  f: FLAG_VIF,
  q: FLAG_VIP,
  e: FLAG_ID,
};
