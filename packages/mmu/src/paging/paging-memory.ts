/**
 * What a page walk needs from memory: 32-bit little-endian reads and writes of physical
 * addresses. {@link PhysicalMemory} satisfies it; a visualiser can pass any object of this shape.
 * Entries are read as two 32-bit halves; accessed/dirty updates write the low half only
 * (A and D are bits 5, 6 and EPT's 8, 9, all in the low half).
 */
export interface PagingMemory {
  read32(address: number): number;
  write32(address: number, value: number): void;
}
