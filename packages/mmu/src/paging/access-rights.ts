import {
  ACCESS_AC,
  ACCESS_FETCH,
  ACCESS_IMPLICIT_SUPERVISOR,
  ACCESS_SHADOW_STACK,
  ACCESS_USER,
  ACCESS_WRITE,
  CR0_WP,
  CR4_CET,
  CR4_PAE,
  CR4_PKE,
  CR4_PKS,
  CR4_SMAP,
  CR4_SMEP,
  EFER_NXE,
  PF_FETCH,
  PF_PK,
  PF_PRESENT,
} from './control-bits.ts';

/** Combined rights of a translation: R/W=1 in every entry walked. */
export const RIGHT_WRITABLE = 1 << 1;
/** Combined rights of a translation: U/S=1 in every entry walked (a user-mode address). */
export const RIGHT_USER = 1 << 2;
/** Combined rights of a translation: XD=1 in some entry walked (with EFER.NXE=1). */
export const RIGHT_NO_EXECUTE = 1 << 3;
/**
 * The translation is a shadow-stack page: R/W=1 in every non-leaf entry, R/W=0 and D=1 in the leaf
 * (SDM 3A 4.6.1; meaningful with CR4.CET=1).
 */
export const RIGHT_SHADOW_STACK = 1 << 4;

/**
 * The #PF error-code bits of an access that faults, without P: W/R, U/S, I/D and SS as the SDM
 * reports them (SDM 3A 4.7: I/D only when CR4.SMEP=1, or CR4.PAE=1 with EFER.NXE=1).
 */
export function accessErrorBits(cr4: number, efer: number, access: number): number {
  let bits = access & (ACCESS_WRITE | ACCESS_USER | ACCESS_SHADOW_STACK);
  if ((access & ACCESS_FETCH) !== 0) {
    if ((cr4 & CR4_SMEP) !== 0 || ((cr4 & CR4_PAE) !== 0 && (efer & EFER_NXE) !== 0)) bits |= PF_FETCH;
  }
  return bits;
}

/**
 * Checks an access against the combined rights of a present translation (SDM 3A 4.6, 4.6.2).
 * Returns 0 when allowed, else the full #PF error code (P=1, plus PK when protection keys deny it;
 * PK is reported whenever the key denies the access, as hardware and kvm-unit-tests' access test do).
 *
 * `ia32e` says whether 4- or 5-level paging is in use (protection keys exist only there).
 * Used both by the page walk and on a TLB hit, so the current CR0.WP/CR4/PKRU always apply.
 */
export function checkAccess(
  cr0: number,
  cr4: number,
  efer: number,
  pkru: number,
  pkrs: number,
  ia32e: boolean,
  access: number,
  rights: number,
  pkey: number,
): number {
  const userAccess = (access & ACCESS_USER) !== 0;
  const write = (access & ACCESS_WRITE) !== 0;
  const fetch = (access & ACCESS_FETCH) !== 0;
  const userPage = (rights & RIGHT_USER) !== 0;
  const writable = (rights & RIGHT_WRITABLE) !== 0;
  const wp = (cr0 & CR0_WP) !== 0;
  let fault = false;
  const shadowStack = (access & ACCESS_SHADOW_STACK) !== 0;
  if (shadowStack) {
    // SDM 3A 4.6.1: shadow-stack accesses reach only shadow-stack pages, user ones only user
    // pages and supervisor ones only supervisor pages; SMAP, WP and XD do not apply.
    if ((cr4 & CR4_CET) === 0 || (rights & RIGHT_SHADOW_STACK) === 0 || userAccess !== userPage) fault = true;
  } else if (userAccess) {
    // SDM 3A 4.6.1: user-mode accesses reach user-mode addresses only.
    if (!userPage) fault = true;
    else if (write && !writable) fault = true;
    else if (fetch && (rights & RIGHT_NO_EXECUTE) !== 0) fault = true;
  } else if (fetch) {
    if ((rights & RIGHT_NO_EXECUTE) !== 0) fault = true;
    if (userPage && (cr4 & CR4_SMEP) !== 0) fault = true;
  } else {
    // SMAP: implicit supervisor accesses always, explicit ones unless EFLAGS.AC=1.
    if (
      userPage &&
      (cr4 & CR4_SMAP) !== 0 &&
      ((access & ACCESS_IMPLICIT_SUPERVISOR) !== 0 || (access & ACCESS_AC) === 0)
    ) {
      fault = true;
    }
    if (write && !writable && wp) fault = true;
  }
  let pk = false;
  if (!fault && !shadowStack && write && (rights & RIGHT_SHADOW_STACK) !== 0 && (cr4 & CR4_CET) !== 0) {
    // Ordinary writes to a shadow-stack page always fault (its leaf R/W=0; CET requires CR0.WP=1).
    fault = true;
  }
  if (ia32e && !fetch) {
    // SDM 3A 4.6.2: PKRU governs data accesses to user-mode addresses, PKRS (CR4.PKS) to supervisor ones.
    let keyRights = -1;
    if (userPage && (cr4 & CR4_PKE) !== 0) keyRights = (pkru >>> (pkey * 2)) & 3;
    else if (!userPage && (cr4 & CR4_PKS) !== 0) keyRights = (pkrs >>> (pkey * 2)) & 3;
    if (keyRights > 0) {
      // WD does not restrict shadow-stack writes (SDM 3A 4.6.2); AD restricts every data access.
      if ((keyRights & 1) !== 0) pk = true;
      else if (write && !shadowStack && (userAccess || wp)) pk = true;
    }
  }
  if (!fault && !pk) return 0;
  return PF_PRESENT | accessErrorBits(cr4, efer, access) | (pk ? PF_PK : 0);
}
