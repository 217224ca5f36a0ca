// CRC32 (SDM 2 "CRC32"): the CRC-32C (Castagnoli) polynomial 11EDC6F41H, bit-reflected
// (82F63B78H), no initial or final inversion: the instruction is one table step per byte.

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** Accumulates `size` bytes (1, 2, 4 or 8, little-endian from lo/hi) into `crc`. */
export function crc32c(crc: number, size: number, lo: number, hi: number): number {
  let c = crc >>> 0;
  for (let i = 0; i < size; i++) {
    const b = i < 4 ? (lo >>> (i * 8)) & 0xff : (hi >>> ((i - 4) * 8)) & 0xff;
    c = (TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)) >>> 0;
  }
  return c;
}
