#include "rt.h"
static u32 seed = 12345;
static u32 rnd(void) { return seed = seed * 1103515245u + 12345u; }
static void isort(int *a, int n) {
  for (int i = 1; i < n; i++) {
    int v = a[i], j = i - 1;
    while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
    a[j + 1] = v;
  }
}
static void qsort_(int *a, int lo, int hi) {
  while (lo < hi) {
    int p = a[(lo + hi) / 2], i = lo, j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) { int t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (j - lo < hi - i) { qsort_(a, lo, j); lo = i; } else { qsort_(a, i, hi); hi = j; }
  }
}
static long tmp[700];
static void msort(long *a, int n) {
  if (n < 2) return;
  int m = n / 2;
  msort(a, m);
  msort(a + m, n - m);
  int i = 0, j = m, k = 0;
  while (i < m && j < n) tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
  while (i < m) tmp[k++] = a[i++];
  while (j < n) tmp[k++] = a[j++];
  memcpy(a, tmp, n * sizeof(long));
}
static int A[700], B[300];
static long C[700];
int main(void) {
  for (int i = 0; i < 700; i++) { A[i] = (int)(rnd() >> 8) - (1 << 22); C[i] = (long)rnd() * (long)(int)rnd(); }
  for (int i = 0; i < 300; i++) B[i] = (int)(rnd() % 1000);
  qsort_(A, 0, 699);
  isort(B, 300);
  msort(C, 700);
  u64 h = 0;
  int ok = 1;
  for (int i = 0; i < 700; i++) { h = h * 31 + (u32)A[i]; if (i && A[i - 1] > A[i]) ok = 0; }
  for (int i = 1; i < 300; i++) if (B[i - 1] > B[i]) ok = 0;
  for (int i = 1; i < 700; i++) if (C[i - 1] > C[i]) ok = 0;
  print("sorted=%d hash=%lx min=%d max=%d median=%d\n", ok, h, A[0], A[699], A[350]);
  print("B: %d %d %d %d\n", B[0], B[1], B[150], B[299]);
  print("C: %ld %ld %ld\n", C[0], C[350], C[699]);
  return 0;
}
