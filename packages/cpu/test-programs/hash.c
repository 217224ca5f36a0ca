#include "rt.h"
static u32 crc_table[256];
static void crc_init(void) {
  for (u32 i = 0; i < 256; i++) {
    u32 c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}
static u32 crc32(const u8 *p, size_t n) {
  u32 c = 0xffffffffu;
  while (n--) c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}
static u64 fnv1a(const u8 *p, size_t n) {
  u64 h = 0xcbf29ce484222325ull;
  while (n--) { h ^= *p++; h *= 0x100000001b3ull; }
  return h;
}
static u64 rotl(u64 x, int r) { return (x << r) | (x >> (64 - r)); }
static u64 mix(u64 k) {
  k ^= k >> 33; k *= 0xff51afd7ed558ccdull; k ^= k >> 33; k *= 0xc4ceb9fe1a85ec53ull; k ^= k >> 33;
  return k;
}
static u32 adler(const u8 *p, size_t n) {
  u32 a = 1, b = 0;
  for (size_t i = 0; i < n; i++) { a = (a + p[i]) % 65521; b = (b + a) % 65521; }
  return (b << 16) | a;
}
static u8 data[5000];
int main(void) {
  crc_init();
  for (int i = 0; i < 5000; i++) data[i] = (u8)(i * 7 + (i >> 3) ^ (i * i));
  const char *msg = "The quick brown fox jumps over the lazy dog";
  print("crc32(msg)=%x\n", crc32((const u8 *)msg, strlen(msg)));
  print("crc32(data)=%x fnv=%lx adler=%x\n", crc32(data, 5000), fnv1a(data, 5000), adler(data, 5000));
  u64 h = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 1000; i++) h = mix(h + rotl(h, i & 63) + (u64)i);
  print("mix=%lx\n", h);
  unsigned __int128 p = (unsigned __int128)h * 0xfedcba9876543210ull;
  print("mul128 hi=%lx lo=%lx\n", (u64)(p >> 64), (u64)p);
  i64 s = (i64)h;
  print("div: %ld %ld %lu %lu\n", s / 12345, s % 12345, h / 0x12345678ull, h % 977);
  return 0;
}
