#include "rt.h"
#define N 80
typedef struct { u32 d[N]; int n; } big;
static void set(big *a, u32 v) { memset(a, 0, sizeof *a); a->d[0] = v; a->n = 1; }
static void mul_small(big *a, u32 m) {
  u64 carry = 0;
  for (int i = 0; i < a->n; i++) { u64 t = (u64)a->d[i] * m + carry; a->d[i] = (u32)t; carry = t >> 32; }
  if (carry) a->d[a->n++] = (u32)carry;
}
static void add(big *r, const big *a, const big *b) {
  int n = a->n > b->n ? a->n : b->n;
  u64 c = 0;
  for (int i = 0; i < n; i++) { u64 t = (u64)(i < a->n ? a->d[i] : 0) + (i < b->n ? b->d[i] : 0) + c; r->d[i] = (u32)t; c = t >> 32; }
  r->n = n;
  if (c) r->d[r->n++] = (u32)c;
}
static u32 div_small(big *a, u32 v) {
  u64 rem = 0;
  for (int i = a->n - 1; i >= 0; i--) { u64 cur = (rem << 32) | a->d[i]; a->d[i] = (u32)(cur / v); rem = cur % v; }
  while (a->n > 1 && a->d[a->n - 1] == 0) a->n--;
  return (u32)rem;
}
static void print_big(const char *name, const big *a) {
  big t = *a;
  char buf[N * 10 + 2];
  int k = 0;
  while (t.n > 1 || t.d[0]) { u32 r = div_small(&t, 1000000000u); for (int j = 0; j < 9; j++) { buf[k++] = '0' + r % 10; r /= 10; } }
  while (k > 1 && buf[k - 1] == '0') k--;
  if (k == 0) buf[k++] = '0';
  puts_(name);
  puts_(" = ");
  while (k) putch(buf[--k]);
  putch('\n');
}
int main(void) {
  big f, p, a, b, c;
  set(&f, 1);
  for (u32 i = 2; i <= 100; i++) mul_small(&f, i);
  print_big("100!", &f);
  set(&p, 1);
  for (int i = 0; i < 512; i++) mul_small(&p, 2);
  print_big("2^512", &p);
  set(&a, 0); set(&b, 1);
  for (int i = 0; i < 300; i++) { add(&c, &a, &b); a = b; b = c; }
  print_big("fib(301)", &b);
  return 0;
}
