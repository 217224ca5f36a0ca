import type { EptState } from '../ept/ept-state.ts';
import { CR0_PG, CR4_LA57, CR4_PAE, EFER_LMA, EFER_LME } from './control-bits.ts';

/** The paging mode selected by CR0.PG, CR4.PAE, IA32_EFER.LME and CR4.LA57 (SDM 3A 4.1.1). */
export const PagingMode = {
  /** CR0.PG=0: linear addresses are physical addresses. */
  None: 0,
  /** 32-bit paging (with PSE and PSE-36 when CR4.PSE=1). */
  Bits32: 1,
  /** PAE paging. */
  Pae: 2,
  /** 4-level paging. */
  Level4: 3,
  /** 5-level paging (CR4.LA57=1). */
  Level5: 4,
} as const;
/** One of the {@link PagingMode} values. */
export type PagingMode = (typeof PagingMode)[keyof typeof PagingMode];

/**
 * The control-register state a translation depends on. Plain mutable fields so a cpu can own
 * one and update it in place; nothing here allocates per access.
 */
export class PagingState {
  /** CR0 (only PG and WP matter to paging). */
  cr0 = 0;
  /**
   * CR3 as a number below 2^53: bits 51:12 the root table, bits 11:0 the PCID when CR4.PCIDE=1.
   * Bit 63 (no-flush) is never stored here: pass it to {@link Tlb.movToCr3}.
   */
  cr3 = 0;
  /** CR4. */
  cr4 = 0;
  /** IA32_EFER (LME, LMA, NXE matter). */
  efer = 0;
  /** PKRU: two bits (AD, WD) per protection key for user-mode pages. */
  pkru = 0;
  /** IA32_PKRS: the same for supervisor-mode pages when CR4.PKS=1. */
  pkrs = 0;
  /** MAXPHYADDR (CPUID.80000008H:EAX[7:0]); physical-address bits at and above it are reserved. */
  maxPhyAddr = 46;
  /** Whether 1 GiB pages are supported (CPUID.80000001H:EDX.Page1GB); if not, PDPTE.PS is reserved. */
  pages1G = true;
  /**
   * The four PAE PDPTE registers as lo/hi pairs (index 2i, 2i+1), loaded by {@link loadPaePdptes}
   * on the MOV to CR0/CR3/CR4 that the SDM names (SDM 3A 4.4.1). A PAE walk never rereads them.
   */
  readonly pdpte = new Uint32Array(8);
  /** Whether {@link pdpte} holds loaded values; if false a PAE walk loads them first. */
  pdptesLoaded = false;
  /** EPT for a guest in VMX non-root mode: every guest-physical access goes through it. */
  ept: EptState | null = null;

  /** The paging mode these registers select. */
  mode(): PagingMode {
    if ((this.cr0 & CR0_PG) === 0) return PagingMode.None;
    if ((this.cr4 & CR4_PAE) === 0) return PagingMode.Bits32;
    if ((this.efer & (EFER_LME | EFER_LMA)) === 0) return PagingMode.Pae;
    return (this.cr4 & CR4_LA57) !== 0 ? PagingMode.Level5 : PagingMode.Level4;
  }
}
