// Virtual-8086 mode extensions and protected-mode virtual interrupts (SDM 3A 20.3, 20.4): which
// IOPL-sensitive instructions run normally, run on the virtual interrupt flag, or fault, and how
// INT n is routed in virtual-8086 mode (SDM 3A Table 20-2).
import { FLAG_IF, FLAG_IOPL, FLAG_TF, FLAG_VIF, FLAG_VIP, FLAG_VM } from '../state/flags.ts';

/** CR4.VME: virtual-8086 mode extensions (SDM 3A 2.5). */
export const CR4_VME = 1 << 0;
/** CR4.PVI: protected-mode virtual interrupts (SDM 3A 2.5). */
export const CR4_PVI = 1 << 1;

/** How an IOPL-sensitive instruction treats the interrupt flag. */
export const FlagAccess = {
  /** As without the extensions: the instruction works on IF. */
  Real: 0,
  /** The instruction works on VIF instead of IF. */
  Virtual: 1,
  /** #GP(0). */
  Fault: 2,
} as const;
/** One of the {@link FlagAccess} values. */
export type FlagAccess = (typeof FlagAccess)[keyof typeof FlagAccess];

function iopl(flags: number): number {
  return (flags & FLAG_IOPL) >>> 12;
}

/**
 * CLI/STI (SDM 2 "CLI", "STI" tables): real mode and CPL <= IOPL use IF; virtual-8086 mode at
 * IOPL < 3 uses VIF when CR4.VME is set; protected mode at CPL 3 > IOPL uses VIF when CR4.PVI is
 * set; anything else is #GP(0). (STI on VIF also faults when VIP is set; the caller checks that.)
 */
export function cliStiAccess(protectedMode: boolean, flags: number, cr4: number, cpl: number): FlagAccess {
  if (!protectedMode) return FlagAccess.Real;
  if (flags & FLAG_VM) {
    if (iopl(flags) === 3) return FlagAccess.Real;
    return cr4 & CR4_VME ? FlagAccess.Virtual : FlagAccess.Fault;
  }
  if (cpl <= iopl(flags)) return FlagAccess.Real;
  return cpl === 3 && cr4 & CR4_PVI ? FlagAccess.Virtual : FlagAccess.Fault;
}

/**
 * PUSHF/POPF/IRET in virtual-8086 mode (SDM 2 "PUSHF", "POPF", "IRET"): IOPL 3 runs normally;
 * below it, CR4.VME lets the 16-bit forms run on VIF, and everything else is #GP(0).
 */
export function v86FlagsAccess(flags: number, cr4: number, operandSize: number): FlagAccess {
  if (iopl(flags) === 3) return FlagAccess.Real;
  return cr4 & CR4_VME && operandSize === 2 ? FlagAccess.Virtual : FlagAccess.Fault;
}

/** The FLAGS image PUSHF (and a redirected INT n) pushes on VIF: IF replaced by VIF, IOPL reads as 3. */
export function virtualFlagsImage(flags: number): number {
  return ((flags & ~(FLAG_IF | FLAG_IOPL)) | (flags & FLAG_VIF ? FLAG_IF : 0) | FLAG_IOPL) & 0xffff;
}

/**
 * Whether a popped FLAGS value must fault under VME instead of loading (SDM 2 "POPF", "IRET"):
 * it would set TF, or set IF while a virtual interrupt is pending (VIP).
 */
export function virtualPopFaults(flags: number, popped: number): boolean {
  return (popped & FLAG_TF) !== 0 || ((popped & FLAG_IF) !== 0 && (flags & FLAG_VIP) !== 0);
}

/**
 * New FLAGS after a VME POPF/IRET of the 16-bit value `popped`: every 16-bit flag but IF and
 * IOPL from the stack, VIF from the popped IF.
 */
export function virtualPop(flags: number, popped: number): number {
  const keep = FLAG_IF | FLAG_IOPL;
  const low = (flags & keep) | (popped & 0xffff & ~keep);
  const vif = popped & FLAG_IF ? FLAG_VIF : 0;
  return ((flags & ~0xffff & ~FLAG_VIF) | low | vif) >>> 0;
}

/** How INT n executes in virtual-8086 mode (SDM 3A Table 20-2). */
export const V86Int = {
  /** Through the protected-mode IDT (methods 1 and 4). */
  Idt: 0,
  /** #GP(0) to the virtual-8086 monitor (methods 2 and 3). */
  Fault: 1,
  /** Redirected to the 8086 handler in the real-mode IVT at linear 0 (method 5, IOPL 3). */
  Redirect: 2,
  /** Redirected with the virtual interrupt flag (method 6, IOPL < 3). */
  RedirectVirtual: 3,
} as const;
/** One of the {@link V86Int} values. */
export type V86Int = (typeof V86Int)[keyof typeof V86Int];

/**
 * Routes INT n in virtual-8086 mode. `notRedirected` is the vector's bit in the TSS interrupt
 * redirection bitmap (consulted only with CR4.VME: a set bit sends the interrupt to protected mode).
 */
export function v86SoftwareInt(flags: number, cr4: number, notRedirected: boolean): V86Int {
  const ioplIs3 = iopl(flags) === 3;
  if ((cr4 & CR4_VME) === 0 || notRedirected) return ioplIs3 ? V86Int.Idt : V86Int.Fault;
  return ioplIs3 ? V86Int.Redirect : V86Int.RedirectVirtual;
}
