// The decisions VMX non-root operation makes at an instruction or event (SDM 3C 26.1-26.3):
// does this access cause a VM exit, and what does the guest see instead. Pure functions
// of the current VMCS (and the bitmaps it points at); no allocation.
import type { PhysicalMemory } from '../memory/physical-memory.ts';
import * as C from '../vmcs/controls.ts';
import { slotOf } from '../vmcs/field-encoding.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsCache } from '../vmcs/vmcs.ts';

const S_PROC = slotOf(F.PRIMARY_PROCESSOR_BASED_CONTROLS);
const S_IO_A = slotOf(F.IO_BITMAP_A);
const S_IO_B = slotOf(F.IO_BITMAP_B);
const S_MSR_BITMAPS = slotOf(F.MSR_BITMAPS);
const S_EXCEPTION_BITMAP = slotOf(F.EXCEPTION_BITMAP);
const S_PF_MASK = slotOf(F.PAGE_FAULT_ERROR_CODE_MASK);
const S_PF_MATCH = slotOf(F.PAGE_FAULT_ERROR_CODE_MATCH);
const S_CR0_MASK = slotOf(F.CR0_GUEST_HOST_MASK);
const S_CR4_MASK = slotOf(F.CR4_GUEST_HOST_MASK);
const S_CR0_SHADOW = slotOf(F.CR0_READ_SHADOW);
const S_CR4_SHADOW = slotOf(F.CR4_READ_SHADOW);
const S_CR3_COUNT = slotOf(F.CR3_TARGET_COUNT);
const S_CR3_TARGET0 = slotOf(F.CR3_TARGET_VALUE_0);
const S_TSC_OFFSET = slotOf(F.TSC_OFFSET);

/**
 * Whether an I/O instruction touching `size` bytes from `port` exits (SDM 3C 26.1.3):
 * with "use I/O bitmaps", when the bit of any byte it touches is set in bitmap A
 * (ports 0-7FFFH) or B (8000H-FFFFH), or the access wraps past FFFFH; otherwise when
 * "unconditional I/O exiting" is 1.
 */
export function ioExits(vmcs: VmcsCache, memory: PhysicalMemory, port: number, size: number): boolean {
  const proc = vmcs.data[2 * S_PROC]!;
  if ((proc & C.PROC_USE_IO_BITMAPS) === 0) return (proc & C.PROC_UNCONDITIONAL_IO_EXITING) !== 0;
  if (port + size - 1 > 0xffff) return true;
  for (let p = port; p < port + size; p++) {
    const base = p < 0x8000 ? vmcs.data[2 * S_IO_A]! : vmcs.data[2 * S_IO_B]!;
    const bit = p & 0x7fff;
    const byte = memory.read32(base + (bit >>> 5) * 4);
    if ((byte >>> (bit & 31)) & 1) return true;
  }
  return false;
}

/**
 * Whether RDMSR (`write` false) or WRMSR of MSR `index` exits (SDM 3C 26.1.3, 25.6.9):
 * always without "use MSR bitmaps"; with them, by the read-low (offset 0), read-high
 * (1024), write-low (2048) or write-high (3072) bitmap, and always outside the two ranges
 * 0-1FFFH and C0000000H-C0001FFFH.
 */
export function msrExits(vmcs: VmcsCache, memory: PhysicalMemory, index: number, write: boolean): boolean {
  if ((vmcs.data[2 * S_PROC]! & C.PROC_USE_MSR_BITMAPS) === 0) return true;
  const i = index >>> 0;
  let offset: number;
  if (i <= 0x1fff) offset = 0;
  else if (i >= 0xc0000000 && i <= 0xc0001fff) offset = 1024;
  else return true;
  if (write) offset += 2048;
  const bit = i & 0x1fff;
  const base = vmcs.data[2 * S_MSR_BITMAPS]!;
  return ((memory.read32(base + offset + (bit >>> 5) * 4) >>> (bit & 31)) & 1) === 1;
}

/**
 * Whether an exception with `vector` (and, for #PF, `errorCode`) exits (SDM 3C 26.2):
 * by its exception-bitmap bit, except that for #PF the bit says whether an error code
 * that matches (`errorCode & mask === match`) exits (bit 1) or one that does not (bit 0).
 */
export function exceptionExits(vmcs: VmcsCache, vector: number, errorCode: number): boolean {
  const bitmap = vmcs.data[2 * S_EXCEPTION_BITMAP]!;
  const bit = ((bitmap >>> vector) & 1) === 1;
  if (vector !== 14) return bit;
  const matches = (errorCode & vmcs.data[2 * S_PF_MASK]!) >>> 0 === vmcs.data[2 * S_PF_MATCH]! >>> 0;
  return matches === bit;
}

/**
 * Whether MOV to CR0 (`cr` 0) or CR4 (`cr` 4) writing `value` exits (SDM 3C 26.1.3): a bit
 * owned by the host (set in the guest/host mask) would take a value other than the read
 * shadow's.
 */
export function crWriteExits(vmcs: VmcsCache, cr: 0 | 4, value: number): boolean {
  const mask = vmcs.data[2 * (cr === 0 ? S_CR0_MASK : S_CR4_MASK)]!;
  const shadow = vmcs.data[2 * (cr === 0 ? S_CR0_SHADOW : S_CR4_SHADOW)]!;
  return ((value ^ shadow) & mask) !== 0;
}

/**
 * What MOV from CR0/CR4 (and SMSW) returns in the guest: host-owned bits from the read
 * shadow, the rest from the real register (SDM 3C 26.3).
 */
export function shadowedCr(vmcs: VmcsCache, cr: 0 | 4, actual: number): number {
  const mask = vmcs.data[2 * (cr === 0 ? S_CR0_MASK : S_CR4_MASK)]!;
  const shadow = vmcs.data[2 * (cr === 0 ? S_CR0_SHADOW : S_CR4_SHADOW)]!;
  return ((actual & ~mask) | (shadow & mask)) >>> 0;
}

/**
 * Whether MOV to CR3 of `lo`/`hi` exits (SDM 3C 26.1.3): with "CR3-load exiting", unless
 * the value equals one of the first CR3-target-count target values.
 */
export function cr3LoadExits(vmcs: VmcsCache, lo: number, hi: number): boolean {
  if ((vmcs.data[2 * S_PROC]! & C.PROC_CR3_LOAD_EXITING) === 0) return false;
  const count = vmcs.data[2 * S_CR3_COUNT]!;
  for (let i = 0; i < count && i < 4; i++) {
    const s = S_CR3_TARGET0 + i;
    if (vmcs.data[2 * s] === lo >>> 0 && vmcs.data[2 * s + 1] === hi >>> 0) return false;
  }
  return true;
}

/**
 * The TSC the guest reads with RDTSC/RDTSCP when it does not exit: the host TSC plus the
 * TSC offset under "use TSC offsetting" (SDM 3C 26.3), as a 64-bit sum of halves written
 * into `out[0]` (lo) and `out[1]` (hi).
 */
export function guestTsc(vmcs: VmcsCache, tscLo: number, tscHi: number, out: Uint32Array): void {
  if ((vmcs.data[2 * S_PROC]! & C.PROC_USE_TSC_OFFSETTING) === 0) {
    out[0] = tscLo;
    out[1] = tscHi;
    return;
  }
  const lo = (tscLo >>> 0) + vmcs.data[2 * S_TSC_OFFSET]!;
  out[0] = lo >>> 0;
  out[1] = ((tscHi >>> 0) + vmcs.data[2 * S_TSC_OFFSET + 1]! + (lo > 0xffffffff ? 1 : 0)) >>> 0;
}

// Exit qualifications, SDM 3C 28.2.1 (Table 28-1 ff.)

/** Control-register access types, bits 5:4 of the qualification. */
export const CR_ACCESS_MOV_TO_CR = 0;
export const CR_ACCESS_MOV_FROM_CR = 1;
export const CR_ACCESS_CLTS = 2;
export const CR_ACCESS_LMSW = 3;

/** Exit qualification for a control-register access, SDM 3C Table 28-3. */
export function crAccessQualification(
  cr: number,
  accessType: number,
  gpr: number,
  lmswMemory = false,
  lmswSource = 0,
): number {
  return (
    ((cr & 15) |
      ((accessType & 3) << 4) |
      (lmswMemory ? 1 << 6 : 0) |
      ((gpr & 15) << 8) |
      ((lmswSource & 0xffff) << 16)) >>>
    0
  );
}

/** Exit qualification for MOV DR, SDM 3C Table 28-4: `fromDr` is MOV from DR (bit 4 = 1). */
export function movDrQualification(dr: number, fromDr: boolean, gpr: number): number {
  return (dr & 7) | (fromDr ? 1 << 4 : 0) | ((gpr & 15) << 8);
}

/** Exit qualification for an I/O instruction, SDM 3C Table 28-5. */
export function ioQualification(
  size: 1 | 2 | 4,
  isIn: boolean,
  isString: boolean,
  rep: boolean,
  immediate: boolean,
  port: number,
): number {
  return (
    ((size - 1) |
      (isIn ? 1 << 3 : 0) |
      (isString ? 1 << 4 : 0) |
      (rep ? 1 << 5 : 0) |
      (immediate ? 1 << 6 : 0) |
      ((port & 0xffff) << 16)) >>>
    0
  );
}

/** Bits of the exit qualification for an EPT violation, SDM 3C Table 28-7. */
export const EPT_VIOLATION_READ = 1 << 0;
export const EPT_VIOLATION_WRITE = 1 << 1;
export const EPT_VIOLATION_FETCH = 1 << 2;
export const EPT_VIOLATION_READABLE = 1 << 3;
export const EPT_VIOLATION_WRITABLE = 1 << 4;
export const EPT_VIOLATION_EXECUTABLE = 1 << 5;
export const EPT_VIOLATION_LINEAR_VALID = 1 << 7;
export const EPT_VIOLATION_TRANSLATED = 1 << 8;
export const EPT_VIOLATION_NMI_UNBLOCKING = 1 << 12;
