#include "rt.h"
static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static int ack(int m, int n) { return m == 0 ? n + 1 : n == 0 ? ack(m - 1, 1) : ack(m - 1, ack(m, n - 1)); }
static long hanoi(int n, int a, int b, int c) { return n == 0 ? 0 : hanoi(n - 1, a, c, b) + 1 + hanoi(n - 1, c, b, a); }
static int cols[12], solutions;
static int safe(int r, int c) {
  for (int i = 0; i < r; i++) if (cols[i] == c || cols[i] - c == i - r || cols[i] - c == r - i) return 0;
  return 1;
}
static void queens(int r, int n) {
  if (r == n) { solutions++; return; }
  for (int c = 0; c < n; c++) if (safe(r, c)) { cols[r] = c; queens(r + 1, n); }
}
static int gcd(int a, int b) { return b ? gcd(b, a % b) : a; }
int main(void) {
  print("fib(20)=%ld\n", fib(20));
  print("ack(2,3)=%d ack(3,3)=%d\n", ack(2, 3), ack(3, 3));
  print("hanoi(12)=%ld\n", hanoi(12, 1, 2, 3));
  for (int n = 4; n <= 7; n++) { solutions = 0; queens(0, n); print("queens(%d)=%d\n", n, solutions); }
  print("gcd=%d %d\n", gcd(1071, 462), gcd(-48, 18));
  return 0;
}
