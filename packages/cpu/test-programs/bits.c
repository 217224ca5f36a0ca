#include "rt.h"
static int popc(u64 x) { int n = 0; while (x) { x &= x - 1; n++; } return n; }
static u64 rev(u64 x) {
  x = ((x >> 1) & 0x5555555555555555ull) | ((x & 0x5555555555555555ull) << 1);
  x = ((x >> 2) & 0x3333333333333333ull) | ((x & 0x3333333333333333ull) << 2);
  x = ((x >> 4) & 0x0f0f0f0f0f0f0f0full) | ((x & 0x0f0f0f0f0f0f0f0full) << 4);
  return __builtin_bswap64(x);
}
static u32 isqrt(u64 n) { u64 r = 0, b = 1ull << 62; while (b > n) b >>= 2; while (b) { if (n >= r + b) { n -= r + b; r = (r >> 1) + b; } else r >>= 1; b >>= 2; } return (u32)r; }
int main(void) {
  u64 x = 0x0123456789abcdefull, acc = 0;
  for (int i = 0; i < 64; i++) {
    u64 v = x * (u64)(i + 1) ^ (x >> i);
    acc += (u64)popc(v) + (u64)__builtin_ctzll(v | 1ull << 63) * 3 + (u64)__builtin_clzll(v | 1) * 5;
    acc ^= rev(v) + ((v << (i & 31)) | (v >> (64 - (i & 31) - 1) >> 1));
    acc += (u64)(int)(signed char)(v >> 8) + (u64)(short)(v >> 16);
  }
  print("acc=%lx\n", acc);
  print("bswap32=%x rev=%lx\n", __builtin_bswap32(0x11223344u), rev(1));
  print("isqrt=%u %u %u\n", isqrt(1000000), isqrt(0xffffffffffffull), isqrt(2));
  int neg = -1000;
  print("shifts: %d %u %d %ld\n", neg >> 3, (unsigned)neg >> 3, neg / 8, (long)neg * 0x7fffffffl);
  u32 m = 0;
  for (u32 i = 0; i < 1000; i++) m += (i * 2654435761u) >> 27 ^ (i % 7 == 0 ? i / 7 : i % 13);
  print("m=%u\n", m);
  char s[64];
  for (int i = 0; i < 63; i++) s[i] = (char)('a' + (i * 5 % 26));
  s[63] = 0;
  int counts[26] = {0};
  for (int i = 0; s[i]; i++) counts[s[i] - 'a']++;
  for (int i = 0; i < 26; i++) print("%d", counts[i]);
  print("\n%s\n", s);
  return 0;
}
