import {
  EPT_QUAL_LINEAR_VALID,
  EPT_QUAL_NO_EXECUTE_LINEAR,
  EPT_QUAL_READ,
  EPT_QUAL_TRANSLATED,
  EPT_QUAL_USER_LINEAR,
  EPT_QUAL_WRITABLE_LINEAR,
  EPT_QUAL_WRITE,
  EPTP_AD_ENABLE,
} from '../ept/ept-state.ts';
import { eptWalk } from '../ept/ept-walk.ts';
import {
  accessErrorBits,
  checkAccess,
  RIGHT_NO_EXECUTE,
  RIGHT_SHADOW_STACK,
  RIGHT_USER,
  RIGHT_WRITABLE,
} from './access-rights.ts';
import {
  ACCESS_FETCH,
  ACCESS_NO_AD_UPDATE,
  ACCESS_WRITE,
  CR0_PG,
  CR4_PGE,
  CR4_PSE,
  EFER_NXE,
  PF_PRESENT,
  PF_RSVD,
  VECTOR_GP,
  VECTOR_PF,
} from './control-bits.ts';
import type { PagingMemory } from './paging-memory.ts';
import { PagingMode, type PagingState } from './paging-state.ts';
import { entryFrame, reservedHighMask, tableIndex } from './table-index.ts';
import { TraceKind, WalkResult, WalkStatus } from './walk-result.ts';

const PTE_P = 1 << 0;
const PTE_A = 1 << 5;
const PTE_D = 1 << 6;
const PTE_PS = 1 << 7;
const PTE_G = 1 << 8;

// Scratch for the entry just read: module state, never allocated per walk.
let entryLo = 0;
let entryHi = 0;
/** EPT rights of the entry just read (7 without EPT). */
let entryEptRights = 7;

/**
 * Reads the paging-structure entry at guest-physical `gpa` (through EPT when on) into
 * entryLo/entryHi and returns the address it was read from, or -1 after an EPT exit.
 */
function readEntry(
  memory: PagingMemory,
  state: PagingState,
  gpa: number,
  level: number,
  wide: boolean,
  out: WalkResult,
): number {
  let address = gpa;
  entryEptRights = 7;
  const ept = state.ept;
  if (ept !== null) {
    // SDM 3C 29.3.3.2: with EPT A/D on, guest paging-structure accesses count as writes.
    const access = (ept.eptp & EPTP_AD_ENABLE) !== 0 ? EPT_QUAL_READ | EPT_QUAL_WRITE : EPT_QUAL_READ;
    address = eptWalk(memory, ept, gpa, access, EPT_QUAL_LINEAR_VALID, out);
    if (address < 0) return -1;
    entryEptRights = out.eptRights;
  }
  entryLo = memory.read32(address);
  entryHi = wide ? memory.read32(address + 4) : 0;
  out.memoryReferences++;
  if (out.trace) out.record(TraceKind.Guest, level, address, entryLo, entryHi);
  return address;
}

/**
 * Sets bits in the low half of a guest paging entry. With EPT (A/D off) the update is a write to
 * the entry's guest-physical page: without EPT write permission it is an EPT violation.
 */
function updateEntry(
  memory: PagingMemory,
  state: PagingState,
  gpa: number,
  address: number,
  value: number,
  eptRights: number,
  out: WalkResult,
): boolean {
  if (state.ept !== null && (eptRights & 2) === 0) {
    out.status = WalkStatus.EptViolation;
    out.eptGuestPhysical = gpa;
    out.eptQualification = EPT_QUAL_WRITE | (eptRights << 3) | EPT_QUAL_LINEAR_VALID;
    return false;
  }
  memory.write32(address, value >>> 0);
  return true;
}

/** RIGHT_SHADOW_STACK when every entry above the leaf is writable and the leaf has R/W=0, D=1. */
function shadowStackRight(above: number, leaf: number): number {
  return (above & RIGHT_WRITABLE) !== 0 && (leaf & (RIGHT_WRITABLE | PTE_D)) === PTE_D ? RIGHT_SHADOW_STACK : 0;
}

function pageFault(out: WalkResult, errorCode: number): false {
  out.status = WalkStatus.PageFault;
  out.vector = VECTOR_PF;
  out.errorCode = errorCode;
  return false;
}

/** Finishes a translation: the guest-physical address through EPT when on. */
function finish(memory: PagingMemory, state: PagingState, gpa: number, access: number, out: WalkResult): boolean {
  out.guestPhysical = gpa;
  const ept = state.ept;
  if (ept === null) {
    out.physical = gpa;
    return true;
  }
  const eptAccess = (access & ACCESS_FETCH) !== 0 ? 4 : (access & ACCESS_WRITE) !== 0 ? 2 : 1;
  // Linear addresses are supervisor-mode with paging off; with it on, U/S=1 at every level makes them user-mode.
  const userLinear = (state.cr0 & CR0_PG) !== 0 && (out.rights & RIGHT_USER) !== 0;
  const host = eptWalk(memory, ept, gpa, eptAccess, EPT_QUAL_LINEAR_VALID | EPT_QUAL_TRANSLATED, out, userLinear);
  if (host < 0) {
    if (out.status === WalkStatus.EptViolation && ept.advancedExitInfo && (state.cr0 & CR0_PG) !== 0) {
      // SDM 3C 28.2.1: bits 9-11 give the guest translation's U/S, R/W and XD.
      out.eptQualification |=
        (userLinear ? EPT_QUAL_USER_LINEAR : 0) |
        ((out.rights & RIGHT_WRITABLE) !== 0 ? EPT_QUAL_WRITABLE_LINEAR : 0) |
        ((out.rights & RIGHT_NO_EXECUTE) !== 0 ? EPT_QUAL_NO_EXECUTE_LINEAR : 0);
    }
    return false;
  }
  out.physical = host;
  return true;
}

/**
 * Loads the four PAE PDPTE registers from the 32-byte table at CR3[31:5] (SDM 3A 4.4.1), as MOV to
 * CR3 (and to CR0/CR4 entering PAE paging) does. Returns false when a present PDPTE has a reserved
 * bit set (bits 2:1, 8:5, 63:MAXPHYADDR): the instruction then raises #GP(0) and the registers are
 * left unchanged. With `state.ept` set the table's guest-physical address goes through EPT
 * (SDM 3C 29.3.3: the PDPTE loads are guest-physical reads); an EPT violation or misconfiguration
 * also returns false, with `out.status` telling which (`out` defaults to a scratch result).
 * At VM entry the vmx package loads the registers from the VMCS instead.
 */
export function loadPaePdptes(memory: PagingMemory, state: PagingState, out: WalkResult = scratchResult): boolean {
  out.status = WalkStatus.GeneralProtection;
  out.vector = VECTOR_GP;
  out.errorCode = 0;
  let base = (state.cr3 & 0xffffffe0) >>> 0;
  if (state.ept !== null) {
    base = eptWalk(memory, state.ept, base, EPT_QUAL_READ, 0, out);
    if (base < 0) return false;
  }
  const rsvdHi = reservedHighMask(state.maxPhyAddr) | 0xfff00000;
  const values = pdpteScratch;
  for (let i = 0; i < 4; i++) {
    const lo = memory.read32(base + i * 8);
    const hi = memory.read32(base + i * 8 + 4);
    if ((lo & PTE_P) !== 0 && ((lo & 0x1e6) !== 0 || (hi & rsvdHi) !== 0)) return false;
    values[2 * i] = lo;
    values[2 * i + 1] = hi;
  }
  state.pdpte.set(values);
  state.pdptesLoaded = true;
  out.status = WalkStatus.Ok;
  out.vector = 0;
  return true;
}

const pdpteScratch = new Uint32Array(8);
const scratchResult = new WalkResult();

/**
 * The headline API: translates a linear address the way the processor does, without a cpu.
 *
 * Given the control-register state, a linear address (lo/hi 32-bit halves; for 32-bit modes pass
 * hi = 0) and an access kind (`ACCESS_*` bits), it walks the paging structures of the current mode
 * (none, 32-bit with PSE/PSE-36, PAE, 4-level, 5-level), checks reserved bits against MAXPHYADDR and
 * every permission rule (U/S, R/W, XD, WP, SMEP, SMAP/AC, PKRU/PKRS), sets accessed and dirty flags in
 * the SDM's order (A on each entry used, A and D on the leaf only when the access is allowed), and
 * with `state.ept` set does the two-dimensional walk: every guest paging-structure read and the final
 * address go through EPT.
 *
 * Returns true with `out.physical` set, or false with `out.status` telling #PF (`out.errorCode`;
 * CR2 is the linear address), EPT violation or misconfiguration, or #GP (bad PAE PDPTE). With
 * `out.trace = true`, `out.entries()` lists every entry read. Nothing is allocated.
 *
 * @example
 * ```ts
 * const mem = new PhysicalMemory();
 * mem.addRam(guestPhysical(0), 1 << 20);
 * const state = new PagingState();
 * state.cr0 = CR0_PG | CR0_PE; state.cr4 = CR4_PAE; state.efer = EFER_LME | EFER_LMA;
 * state.cr3 = 0x1000; // PML4 at 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000
 * const out = new WalkResult();
 * if (pageWalk(mem, state, 0x5123, 0, ACCESS_READ, out)) console.log(out.physical.toString(16));
 * ```
 */
export function pageWalk(
  memory: PagingMemory,
  state: PagingState,
  linearLo: number,
  linearHi: number,
  access: number,
  out: WalkResult,
): boolean {
  out.reset();
  out.linearLo = linearLo >>> 0;
  out.linearHi = linearHi >>> 0;
  const mode = state.mode();
  if (mode === PagingMode.None) {
    out.pageSize = 0x1_0000_0000;
    out.rights = RIGHT_WRITABLE | RIGHT_USER;
    return finish(memory, state, linearLo >>> 0, access, out);
  }
  if (mode === PagingMode.Bits32) return walk32(memory, state, linearLo >>> 0, access, out);
  return walk64(memory, state, mode, linearLo >>> 0, linearHi >>> 0, access, out);
}

/** 32-bit paging (SDM 3A 4.3): 4 KiB pages, 4 MiB pages with CR4.PSE and PSE-36 above 4 GiB. */
function walk32(memory: PagingMemory, state: PagingState, linear: number, access: number, out: WalkResult): boolean {
  const noAd = (access & ACCESS_NO_AD_UPDATE) !== 0;
  const errorBits = accessErrorBits(state.cr4, state.efer, access);
  const pdeGpa = (state.cr3 & 0xfffff000) + (linear >>> 22) * 4;
  const pdeAddress = readEntry(memory, state, pdeGpa, 2, false, out);
  if (pdeAddress < 0) return false;
  const pde = entryLo;
  if ((pde & PTE_P) === 0) return pageFault(out, errorBits);
  let leafGpa: number;
  let leafAddress: number;
  let leaf: number;
  let gpa: number;
  let rights: number;
  let leafEptRights = entryEptRights;
  if ((pde & PTE_PS) !== 0 && (state.cr4 & CR4_PSE) !== 0) {
    // PSE-36: PDE bits 20:13 hold physical bits 39:32; those at and above MAXPHYADDR, and bit 21, are reserved.
    const m = Math.min(state.maxPhyAddr, 40);
    const rsvd = 0x200000 | (m > 32 ? (0x1fe000 & ~((1 << (13 + m - 32)) - 1)) >>> 0 : 0x1fe000);
    if ((pde & rsvd) !== 0) return pageFault(out, errorBits | PF_PRESENT | PF_RSVD);
    leafGpa = pdeGpa;
    leafAddress = pdeAddress;
    leaf = pde;
    rights = (pde & (RIGHT_WRITABLE | RIGHT_USER)) | shadowStackRight(RIGHT_WRITABLE, pde);
    gpa = ((pde >>> 13) & 0xff) * 0x1_0000_0000 + ((pde & 0xffc00000) >>> 0) + (linear & 0x3fffff);
    out.pageSize = 0x400000;
  } else {
    if (
      !noAd &&
      (pde & PTE_A) === 0 &&
      !updateEntry(memory, state, pdeGpa, pdeAddress, pde | PTE_A, entryEptRights, out)
    ) {
      return false;
    }
    leafGpa = ((pde & 0xfffff000) >>> 0) + ((linear >>> 12) & 0x3ff) * 4;
    leafAddress = readEntry(memory, state, leafGpa, 1, false, out);
    if (leafAddress < 0) return false;
    leaf = entryLo;
    leafEptRights = entryEptRights;
    if ((leaf & PTE_P) === 0) return pageFault(out, errorBits);
    rights = (pde & leaf & (RIGHT_WRITABLE | RIGHT_USER)) | shadowStackRight(pde, leaf);
    gpa = ((leaf & 0xfffff000) >>> 0) + (linear & 0xfff);
    out.pageSize = 0x1000;
  }
  return finishLeaf(memory, state, access, out, rights, 0, false, leaf, leafGpa, leafAddress, leafEptRights, gpa);
}

/** PAE, 4-level and 5-level paging (SDM 3A 4.4, 4.5): 64-bit entries, XD, 2 MiB and 1 GiB pages. */
function walk64(
  memory: PagingMemory,
  state: PagingState,
  mode: PagingMode,
  lo: number,
  hi: number,
  access: number,
  out: WalkResult,
): boolean {
  const noAd = (access & ACCESS_NO_AD_UPDATE) !== 0;
  const errorBits = accessErrorBits(state.cr4, state.efer, access);
  const nxe = (state.efer & EFER_NXE) !== 0;
  // Bits 51:MAXPHYADDR are reserved, and XD (bit 63) when EFER.NXE=0. PAE entries also reserve
  // bits 62:52, which 4- and 5-level paging ignore (SDM 3A tables 4-8 to 4-11 vs 4-14 to 4-20).
  const rsvdHi =
    (reservedHighMask(state.maxPhyAddr) | (nxe ? 0 : 0x80000000) | (mode === PagingMode.Pae ? 0x7ff00000 : 0)) >>> 0;
  let rights = RIGHT_WRITABLE | RIGHT_USER;
  let level: number;
  let table: number;
  if (mode === PagingMode.Pae) {
    if (!state.pdptesLoaded && !loadPaePdptes(memory, state, out)) return false;
    const i = lo >>> 30;
    const pLo = state.pdpte[2 * i]!;
    const pHi = state.pdpte[2 * i + 1]!;
    if (out.trace) out.record(TraceKind.PaePdpte, 3, ((state.cr3 & 0xffffffe0) >>> 0) + i * 8, pLo, pHi);
    if ((pLo & PTE_P) === 0) return pageFault(out, errorBits);
    table = entryFrame(pLo, pHi);
    level = 2;
  } else {
    table = state.cr3 - (state.cr3 & 0xfff);
    level = mode === PagingMode.Level5 ? 5 : 4;
  }
  for (;;) {
    const gpa = table + tableIndex(lo, hi, level) * 8;
    const address = readEntry(memory, state, gpa, level, true, out);
    if (address < 0) return false;
    const eLo = entryLo;
    const eHi = entryHi;
    const eptRights = entryEptRights;
    if ((eLo & PTE_P) === 0) return pageFault(out, errorBits);
    const ps = (eLo & PTE_PS) !== 0;
    let rsvd = (eHi & rsvdHi) !== 0;
    if (ps) {
      if (level >= 4) rsvd = true;
      else if (level === 3) rsvd ||= !state.pages1G || mode === PagingMode.Pae || (eLo & 0x3fffe000) !== 0;
      else if (level === 2) rsvd ||= (eLo & 0x1fe000) !== 0;
    }
    if (rsvd) return pageFault(out, errorBits | PF_PRESENT | PF_RSVD);
    const above = rights;
    rights &= (eLo & (RIGHT_WRITABLE | RIGHT_USER)) | RIGHT_NO_EXECUTE;
    if (eHi >>> 31 !== 0) rights |= RIGHT_NO_EXECUTE;
    if (level === 1 || ps) {
      rights |= shadowStackRight(above, eLo);
      let phys: number;
      if (level === 1) {
        phys = entryFrame(eLo, eHi) + (lo & 0xfff);
        out.pageSize = 0x1000;
      } else if (level === 2) {
        phys = (eHi & 0xfffff) * 0x1_0000_0000 + ((eLo & 0xffe00000) >>> 0) + (lo & 0x1fffff);
        out.pageSize = 0x200000;
      } else {
        phys = (eHi & 0xfffff) * 0x1_0000_0000 + ((eLo & 0xc0000000) >>> 0) + (lo & 0x3fffffff);
        out.pageSize = 0x40000000;
      }
      const ia32e = mode !== PagingMode.Pae;
      return finishLeaf(
        memory,
        state,
        access,
        out,
        rights,
        ia32e ? (eHi >>> 27) & 0xf : 0,
        ia32e,
        eLo,
        gpa,
        address,
        eptRights,
        phys,
      );
    }
    if (!noAd && (eLo & PTE_A) === 0 && !updateEntry(memory, state, gpa, address, eLo | PTE_A, eptRights, out))
      return false;
    table = entryFrame(eLo, eHi);
    level--;
  }
}

/** Permission check on the leaf, EPT translation of the result, then A and D on the leaf. */
function finishLeaf(
  memory: PagingMemory,
  state: PagingState,
  access: number,
  out: WalkResult,
  rights: number,
  pkey: number,
  ia32e: boolean,
  leaf: number,
  leafGpa: number,
  leafAddress: number,
  leafEptRights: number,
  gpa: number,
): boolean {
  out.rights = rights;
  out.pkey = pkey;
  out.global = (leaf & PTE_G) !== 0 && (state.cr4 & CR4_PGE) !== 0;
  const fault = checkAccess(state.cr0, state.cr4, state.efer, state.pkru, state.pkrs, ia32e, access, rights, pkey);
  if (fault !== 0) return pageFault(out, fault);
  if (!finish(memory, state, gpa, access, out)) return false;
  let updated = leaf | PTE_A;
  if ((access & ACCESS_WRITE) !== 0) updated |= PTE_D;
  if ((access & ACCESS_NO_AD_UPDATE) !== 0) updated = leaf;
  else if (updated !== leaf && !updateEntry(memory, state, leafGpa, leafAddress, updated, leafEptRights, out))
    return false;
  out.dirty = (updated & PTE_D) !== 0;
  return true;
}
