/** EPTP bits 5:3 hold the page-walk length minus one (SDM 3C 25.6.11). */
export const EPTP_WALK_LENGTH_SHIFT = 3;
/** EPTP bit 6: accessed and dirty flags for EPT enabled. */
export const EPTP_AD_ENABLE = 1 << 6;

/** EPT entry bit 0: read access (SDM 3C 29.3.2). */
export const EPT_READ = 1 << 0;
/** EPT entry bit 1: write access. */
export const EPT_WRITE = 1 << 1;
/** EPT entry bit 2: execute access (supervisor-mode linear addresses with mode-based execute). */
export const EPT_EXECUTE = 1 << 2;
/** EPT leaf bit 6: ignore PAT memory type. */
export const EPT_IGNORE_PAT = 1 << 6;
/** EPT entry bit 7: the entry maps a page (PDPTE: 1 GiB, PDE: 2 MiB). */
export const EPT_PAGE_SIZE = 1 << 7;
/** EPT entry bit 8: accessed flag (when EPTP bit 6 is set). */
export const EPT_ACCESSED = 1 << 8;
/** EPT leaf bit 9: dirty flag (when EPTP bit 6 is set). */
export const EPT_DIRTY = 1 << 9;

/** EPT entry bit 10: execute access for user-mode linear addresses (mode-based execute control only). */
export const EPT_USER_EXECUTE = 1 << 10;

/** EPT violation exit qualification bit 0: a data read (SDM 3C 28.2.1, table 28-7). */
export const EPT_QUAL_READ = 1 << 0;
/** Qualification bit 1: a data write (guest A/D updates and, with EPT A/D, all guest paging accesses). */
export const EPT_QUAL_WRITE = 1 << 1;
/** Qualification bit 2: an instruction fetch. */
export const EPT_QUAL_FETCH = 1 << 2;
/** Qualification bit 3: the AND of the R bits of the EPT entries used (the address was readable). */
export const EPT_QUAL_READABLE = 1 << 3;
/** Qualification bit 4: the AND of the W bits (writable). */
export const EPT_QUAL_WRITABLE = 1 << 4;
/** Qualification bit 5: the AND of the X bits (executable). */
export const EPT_QUAL_EXECUTABLE = 1 << 5;
/** Qualification bit 6: the AND of bit 10 (user-executable), reported with mode-based execute control. */
export const EPT_QUAL_USER_EXECUTABLE = 1 << 6;
/** Bit 7: the guest-linear address field is valid. */
export const EPT_QUAL_LINEAR_VALID = 1 << 7;
/** Bit 8 (with bit 7): 1 = the access was to the translation of the linear address, 0 = to a guest paging-structure entry. */
export const EPT_QUAL_TRANSLATED = 1 << 8;
/** Bit 9 (advanced VM-exit information, with bits 7 and 8 set): the linear address is user-mode. */
export const EPT_QUAL_USER_LINEAR = 1 << 9;
/** Bit 10 (advanced information): the guest translation is writable (R/W=1 at every level). */
export const EPT_QUAL_WRITABLE_LINEAR = 1 << 10;
/** Bit 11 (advanced information): the guest translation is execute-disabled. */
export const EPT_QUAL_NO_EXECUTE_LINEAR = 1 << 11;

/** EPT memory types in bits 5:3 of a leaf (SDM 3C 29.3.7); 2, 3 and 7 are reserved and misconfigure. */
export const EptMemoryType = {
  Uncacheable: 0,
  WriteCombining: 1,
  WriteThrough: 4,
  WriteProtected: 5,
  WriteBack: 6,
} as const;

/**
 * The EPT configuration of one guest: the EPT pointer and the capabilities the VMX model
 * advertises (IA32_VMX_EPT_VPID_CAP).
 */
export class EptState {
  /**
   * EPTP as a number below 2^53: bits 2:0 memory type, 5:3 walk length - 1 (3 = 4-level,
   * 4 = 5-level), bit 6 A/D enable, bits 51:12 the root table.
   */
  eptp = 0;
  /** Execute-only translations supported (capability bit 0); if not, X-only entries misconfigure. */
  executeOnly = true;
  /** MAXPHYADDR for EPT entries' reserved-bit checks. */
  maxPhyAddr = 46;
  /**
   * Mode-based execute control for EPT (secondary control bit 22, SDM 3C 29.3.3.2): bit 2 allows
   * fetches from supervisor-mode linear addresses, bit 10 from user-mode ones, and an entry with only
   * bit 10 set is present.
   */
  modeBasedExecute = false;
  /**
   * Advanced VM-exit information for EPT violations (IA32_VMX_EPT_VPID_CAP bit 22): qualification
   * bits 9-11 describe the guest translation when the violation hit its final address.
   */
  advancedExitInfo = true;
  /** 1 GiB EPT pages supported (capability bit 17); if not, PDPTE bit 7 misconfigures. */
  pages1G = true;

  /** Builds an EPTP value for `root` with a 4- or 5-level walk, write-back, optional A/D. */
  static makeEptp(root: number, levels: 4 | 5, accessedDirty: boolean): number {
    return root + (6 | ((levels - 1) << EPTP_WALK_LENGTH_SHIFT) | (accessedDirty ? EPTP_AD_ENABLE : 0));
  }
}
