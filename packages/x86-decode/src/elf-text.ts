/** A code section found in an ELF file. */
export interface ElfText {
  /** Bytes of the section (a view into the file). */
  bytes: Uint8Array;
  /** Virtual address of the section (exact below 2^53). */
  address: number;
  /** 32 or 64 (ELFCLASS32 / ELFCLASS64). */
  bitness: 32 | 64;
}

/** True when `file` starts with the ELF magic `\x7fELF`. */
export function isElf(file: Uint8Array): boolean {
  return file.length >= 52 && file[0] === 0x7f && file[1] === 0x45 && file[2] === 0x4c && file[3] === 0x46;
}

/**
 * Finds the `.text` section of a little-endian ELF32/ELF64 file (System V gABI section
 * headers). Returns undefined when the file is not ELF or has no `.text`.
 */
export function findElfText(file: Uint8Array): ElfText | undefined {
  if (!isElf(file) || file[5] !== 1) return undefined;
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const is64 = file[4] === 2;
  const u = (o: number, n: number): number =>
    n === 8
      ? dv.getUint32(o, true) + dv.getUint32(o + 4, true) * 4294967296
      : n === 4
        ? dv.getUint32(o, true)
        : dv.getUint16(o, true);
  const w = is64 ? 8 : 4;
  const shoff = u(is64 ? 0x28 : 0x20, w);
  const shentsize = u(is64 ? 0x3a : 0x2e, 2);
  const shnum = u(is64 ? 0x3c : 0x30, 2);
  const shstrndx = u(is64 ? 0x3e : 0x32, 2);
  if (shoff === 0 || shoff + shnum * shentsize > file.length) return undefined;
  const sh = (i: number) => {
    const o = shoff + i * shentsize;
    return {
      name: u(o, 4),
      addr: u(o + (is64 ? 0x10 : 0x0c), w),
      offset: u(o + (is64 ? 0x18 : 0x10), w),
      size: u(o + (is64 ? 0x20 : 0x14), w),
    };
  };
  const strtab = sh(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    let p = strtab.offset + s.name;
    let name = '';
    while (p < file.length && file[p] !== 0 && name.length < 32) name += String.fromCharCode(file[p++]!);
    if (name === '.text' && s.offset + s.size <= file.length) {
      return { bytes: file.subarray(s.offset, s.offset + s.size), address: s.addr, bitness: is64 ? 64 : 32 };
    }
  }
  return undefined;
}
