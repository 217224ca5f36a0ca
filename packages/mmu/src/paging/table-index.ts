/**
 * Index into the paging structure at `level` (5 = PML5 ... 1 = PT) for a 64-bit address given as
 * lo/hi halves: 9 bits per level above the 12-bit page offset (SDM 3A 4.5). EPT uses the same split.
 */
export function tableIndex(lo: number, hi: number, level: number): number {
  switch (level) {
    case 5:
      return (hi >>> 16) & 0x1ff;
    case 4:
      return (hi >>> 7) & 0x1ff;
    case 3:
      return ((hi & 0x7f) << 2) | (lo >>> 30);
    case 2:
      return (lo >>> 21) & 0x1ff;
    default:
      return (lo >>> 12) & 0x1ff;
  }
}

/**
 * Bits 51:MAXPHYADDR of an entry's high half: reserved in every 64-bit paging and EPT entry
 * (SDM 3A 4.4, 4.5; 3C 29.3.2).
 */
export function reservedHighMask(maxPhyAddr: number): number {
  if (maxPhyAddr >= 52) return 0;
  if (maxPhyAddr <= 32) return 0xfffff;
  return (0xfffff & ~((1 << (maxPhyAddr - 32)) - 1)) >>> 0;
}

/** Physical frame address held in bits 51:12 of an entry, as a number. */
export function entryFrame(lo: number, hi: number): number {
  return (hi & 0xfffff) * 0x1_0000_0000 + ((lo & 0xfffff000) >>> 0);
}
