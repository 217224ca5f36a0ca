import type { PagingMemory } from '../paging/paging-memory.ts';
import { entryFrame, reservedHighMask, tableIndex } from '../paging/table-index.ts';
import { TraceKind, type WalkResult, WalkStatus } from '../paging/walk-result.ts';
import {
  EPT_ACCESSED,
  EPT_DIRTY,
  EPT_IGNORE_PAT,
  EPT_PAGE_SIZE,
  EPT_QUAL_USER_EXECUTABLE,
  EPT_QUAL_WRITE,
  EPT_USER_EXECUTE,
  EPTP_AD_ENABLE,
  type EptState,
} from './ept-state.ts';

/**
 * Translates a guest-physical address through EPT (SDM 3C 29.3). `access` is the exit
 * qualification's access bits 2:0 (read 1, write 2, fetch 4; a guest paging-structure access with
 * EPT A/D on is read|write). `qualification` carries bits 7 and 8 (whether a linear address is
 * involved and whether this is its final translation).
 *
 * Returns the host-physical address, or -1 with `out.status` set to EptViolation (and
 * `out.eptQualification`) or EptMisconfig; `out.eptGuestPhysical` names the address in both cases.
 * Sets EPT accessed flags on every entry used and the dirty flag on the leaf for writes when
 * EPTP bit 6 is set. Records every entry read in `out` when tracing. `userLinear` says the access
 * translates a user-mode linear address (it selects bit 10 for fetches with mode-based execute).
 */
export function eptWalk(
  memory: PagingMemory,
  ept: EptState,
  guestPhysical: number,
  access: number,
  qualification: number,
  out: WalkResult,
  userLinear = false,
): number {
  const eptp = ept.eptp;
  const levels = ((eptp & 0x38) >>> 3) + 1;
  const accessedDirty = (eptp & EPTP_AD_ENABLE) !== 0;
  const rsvdHi = reservedHighMask(ept.maxPhyAddr);
  const gLo = guestPhysical >>> 0;
  const gHi = Math.floor(guestPhysical / 0x1_0000_0000);
  let table = eptp - (eptp & 0xfff);
  const mbec = ept.modeBasedExecute;
  let rwx = 7;
  let userExec = 1;
  let level = levels;
  let address = 0;
  let lo = 0;
  for (;;) {
    address = table + tableIndex(gLo, gHi, level) * 8;
    lo = memory.read32(address);
    const hi = memory.read32(address + 4);
    out.memoryReferences++;
    if (out.trace) out.record(TraceKind.Ept, level, address, lo, hi);
    const perm = lo & 7;
    const ux = mbec ? (lo & EPT_USER_EXECUTE) >>> 10 : 0;
    if (perm === 0 && ux === 0) {
      rwx = 0;
      userExec = 0;
      break;
    }
    const leaf = level === 1 || ((lo & EPT_PAGE_SIZE) !== 0 && level <= 3);
    // SDM 3C 29.3.3.1: conditions that make a present entry an EPT misconfiguration.
    const executeOnly = (perm & 3) === 0;
    let bad = (perm & 3) === 2 || (executeOnly && !ept.executeOnly) || (hi & rsvdHi) !== 0;
    if (!leaf) bad ||= level >= 4 ? (lo & 0xf8) !== 0 : (lo & 0x78) !== 0;
    else {
      const type = (lo >>> 3) & 7;
      bad ||= type === 2 || type === 3 || type === 7;
      if (level === 3) bad ||= !ept.pages1G || (lo & 0x3ffff000) !== 0;
      else if (level === 2) bad ||= (lo & 0x1ff000) !== 0;
    }
    if (bad) {
      out.status = WalkStatus.EptMisconfig;
      out.eptGuestPhysical = guestPhysical;
      return -1;
    }
    rwx &= perm;
    userExec &= ux;
    if (accessedDirty && (lo & EPT_ACCESSED) === 0) {
      lo = (lo | EPT_ACCESSED) >>> 0;
      memory.write32(address, lo);
    }
    if (leaf) {
      if (level === 1) table = entryFrame(lo, hi) + (gLo & 0xfff);
      else if (level === 2) table = (hi & 0xfffff) * 0x1_0000_0000 + ((lo & 0xffe00000) >>> 0) + (gLo & 0x1fffff);
      else table = (hi & 0xfffff) * 0x1_0000_0000 + ((lo & 0xc0000000) >>> 0) + (gLo & 0x3fffffff);
      out.eptMemoryType = (lo >>> 3) & 7;
      out.eptIgnorePat = (lo & EPT_IGNORE_PAT) !== 0;
      break;
    }
    table = entryFrame(lo, hi);
    level--;
  }
  out.eptRights = rwx;
  // With mode-based execute, a fetch through a user-mode linear address needs bit 10, not bit 2.
  const allowed = mbec && userLinear ? (rwx & 3) | (userExec << 2) : rwx;
  if ((access & ~allowed & 7) !== 0) {
    out.status = WalkStatus.EptViolation;
    out.eptGuestPhysical = guestPhysical;
    out.eptQualification =
      (access & 7) | (rwx << 3) | (mbec && userExec !== 0 ? EPT_QUAL_USER_EXECUTABLE : 0) | qualification;
    return -1;
  }
  if (accessedDirty && (access & EPT_QUAL_WRITE) !== 0 && (lo & EPT_DIRTY) === 0) {
    memory.write32(address, (lo | EPT_DIRTY) >>> 0);
  }
  return table;
}
