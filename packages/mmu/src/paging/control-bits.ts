// Control-register, EFER and page-fault error-code bits, named as in the SDM.

/** CR0.PE, protection enable (SDM 3A 2.5). */
export const CR0_PE = 1 << 0;
/** CR0.WP, supervisor write protect (SDM 3A 4.6). */
export const CR0_WP = 1 << 16;
/** CR0.PG, paging (SDM 3A 2.5); bit 31, compare with `!== 0`. */
export const CR0_PG = 1 << 31;

/** CR4.PSE, 4 MiB pages in 32-bit paging (SDM 3A 4.3). */
export const CR4_PSE = 1 << 4;
/** CR4.PAE (SDM 3A 4.4). */
export const CR4_PAE = 1 << 5;
/** CR4.PGE, global pages (SDM 3A 4.10.2.4). */
export const CR4_PGE = 1 << 7;
/** CR4.LA57, 5-level paging (SDM 3A 4.5). */
export const CR4_LA57 = 1 << 12;
/** CR4.PCIDE (SDM 3A 4.10.1). */
export const CR4_PCIDE = 1 << 17;
/** CR4.SMEP (SDM 3A 4.6). */
export const CR4_SMEP = 1 << 20;
/** CR4.SMAP (SDM 3A 4.6). */
export const CR4_SMAP = 1 << 21;
/** CR4.PKE, protection keys for user-mode pages (SDM 3A 4.6.2). */
export const CR4_PKE = 1 << 22;
/** CR4.CET, control-flow enforcement: shadow-stack pages exist (SDM 3A 4.6.1). */
export const CR4_CET = 1 << 23;
/** CR4.PKS, protection keys for supervisor-mode pages (SDM 3A 4.6.2). */
export const CR4_PKS = 1 << 24;

/** IA32_EFER.LME (SDM 3A 2.2.1). */
export const EFER_LME = 1 << 8;
/** IA32_EFER.LMA: IA-32e mode active. */
export const EFER_LMA = 1 << 10;
/** IA32_EFER.NXE: execute-disable bit enabled (SDM 3A 4.1.1). */
export const EFER_NXE = 1 << 11;

/** #PF error code, P: 0 = not-present page, 1 = protection or reserved-bit violation (SDM 3A 4.7). */
export const PF_PRESENT = 1 << 0;
/** #PF error code, W/R: the access was a write. */
export const PF_WRITE = 1 << 1;
/** #PF error code, U/S: the access was a user-mode access (CPL=3, not implicit supervisor). */
export const PF_USER = 1 << 2;
/** #PF error code, RSVD: a reserved bit was set in some paging-structure entry. */
export const PF_RSVD = 1 << 3;
/** #PF error code, I/D: instruction fetch (reported only with SMEP, or PAE with NXE). */
export const PF_FETCH = 1 << 4;
/** #PF error code, PK: a protection-key violation. */
export const PF_PK = 1 << 5;
/** #PF error code, SS: a shadow-stack access. */
export const PF_SHADOW_STACK = 1 << 6;

/** Vector of #PF. */
export const VECTOR_PF = 14;
/** Vector of #GP. */
export const VECTOR_GP = 13;

/**
 * Access-kind bits for {@link pageWalk} and the TLB. The low bits deliberately equal the #PF
 * error-code bits they produce (W=2, U=4, I/D=16, SS=64). A read is `0`.
 */
export const ACCESS_READ = 0;
/** A data write. */
export const ACCESS_WRITE = PF_WRITE;
/** A user-mode access: CPL=3 and not an implicit supervisor access. */
export const ACCESS_USER = PF_USER;
/** An instruction fetch. */
export const ACCESS_FETCH = PF_FETCH;
/** A shadow-stack access (CET): allowed only to shadow-stack pages of its own privilege; sets SS in the error code. */
export const ACCESS_SHADOW_STACK = PF_SHADOW_STACK;
/** An implicit supervisor access (descriptor tables, TSS, ... even at CPL=3): SMAP applies regardless of AC. */
export const ACCESS_IMPLICIT_SUPERVISOR = 1 << 8;
/** EFLAGS.AC was 1 (lets explicit supervisor data accesses reach user pages under SMAP). */
export const ACCESS_AC = 1 << 9;
/** A probe: the walk reads but leaves accessed/dirty flags alone (page-table visualisers, debuggers). */
export const ACCESS_NO_AD_UPDATE = 1 << 10;
