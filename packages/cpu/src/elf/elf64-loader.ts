import { guestPhysical, type PhysicalMemory } from '@typevisor/mmu';
import { CpuError } from '../errors.ts';

/** A loaded ELF64 image: entry point and the address range its segments cover. */
export interface LoadedElf {
  /** `e_entry` (exact below 2^53). */
  entry: number;
  /** Lowest and one-past-highest address of the PT_LOAD segments. */
  low: number;
  high: number;
}

const PT_LOAD = 1;

/**
 * Maps the PT_LOAD segments of a little-endian x86-64 ELF64 executable into physical
 * memory at their virtual addresses (for flat, unpaged user-mode runs), zero-filling
 * `p_memsz` beyond `p_filesz`. Throws {@link CpuError} `BAD_ELF` on anything else.
 */
export function loadElf64(memory: PhysicalMemory, image: Uint8Array): LoadedElf {
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (image.length < 64 || v.getUint32(0, false) !== 0x7f454c46) throw new CpuError('BAD_ELF', 'not an ELF file');
  if (image[4] !== 2 || image[5] !== 1) throw new CpuError('BAD_ELF', 'not a little-endian ELF64 file');
  if (v.getUint16(18, true) !== 62) throw new CpuError('BAD_ELF', 'not an x86-64 ELF file');
  const u64 = (o: number) => v.getUint32(o, true) + v.getUint32(o + 4, true) * 4294967296;
  const entry = u64(0x18);
  const phoff = u64(0x20);
  const phentsize = v.getUint16(0x36, true);
  const phnum = v.getUint16(0x38, true);
  let low = Number.MAX_SAFE_INTEGER;
  let high = 0;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (p + 56 > image.length) throw new CpuError('BAD_ELF', 'program header outside the file');
    if (v.getUint32(p, true) !== PT_LOAD) continue;
    const offset = u64(p + 8);
    const vaddr = u64(p + 0x10);
    const filesz = u64(p + 0x20);
    const memsz = u64(p + 0x28);
    if (offset + filesz > image.length) throw new CpuError('BAD_ELF', 'segment outside the file');
    memory.writeBytes(guestPhysical(vaddr), image.subarray(offset, offset + filesz));
    if (memsz > filesz) memory.writeBytes(guestPhysical(vaddr + filesz), new Uint8Array(memsz - filesz));
    low = Math.min(low, vaddr);
    high = Math.max(high, vaddr + memsz);
  }
  return { entry, low, high };
}
