/* Minimal freestanding runtime for the gcc corpus: _start, Linux write/exit_group, formatting. */
typedef unsigned long size_t;
typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef unsigned char u8;

static long sys_write(int fd, const void *buf, size_t n) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(1L), "D"((long)fd), "S"(buf), "d"(n) : "rcx", "r11", "memory");
  return r;
}

__attribute__((noreturn)) static void sys_exit(int code) {
  __asm__ volatile("syscall" ::"a"(231L), "D"((long)code) : "rcx", "r11", "memory");
  for (;;) {
  }
}

void *memcpy(void *d, const void *s, size_t n) {
  u8 *dp = d;
  const u8 *sp = s;
  while (n--) *dp++ = *sp++;
  return d;
}
void *memmove(void *d, const void *s, size_t n) {
  u8 *dp = d;
  const u8 *sp = s;
  if (dp < sp) {
    while (n--) *dp++ = *sp++;
  } else {
    while (n--) dp[n] = sp[n];
  }
  return d;
}
void *memset(void *d, int c, size_t n) {
  u8 *dp = d;
  while (n--) *dp++ = (u8)c;
  return d;
}
int memcmp(const void *a, const void *b, size_t n) {
  const u8 *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i]) return x[i] - y[i];
  return 0;
}
size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

static char outbuf[4096];
static size_t outlen;
static void flush(void) {
  if (outlen) sys_write(1, outbuf, outlen);
  outlen = 0;
}
static void putch(char c) {
  if (outlen == sizeof outbuf) flush();
  outbuf[outlen++] = c;
}
static void puts_(const char *s) {
  while (*s) putch(*s++);
}
static void put_u64(u64 v, int base, int width, char pad) {
  char tmp[32];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  while (width-- > n) putch(pad);
  while (n) putch(tmp[--n]);
}
static void put_i64(i64 v) {
  if (v < 0) {
    putch('-');
    put_u64((u64)0 - (u64)v, 10, 0, ' ');
  } else
    put_u64((u64)v, 10, 0, ' ');
}

/* A small printf: %d %i %u %x %c %s %ld %lu %lx %%, width and 0 flag. */
static void print(const char *fmt, ...) {
  __builtin_va_list ap;
  __builtin_va_start(ap, fmt);
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      putch(*fmt);
      continue;
    }
    fmt++;
    char pad = ' ';
    int width = 0, lng = 0;
    if (*fmt == '0') {
      pad = '0';
      fmt++;
    }
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    while (*fmt == 'l') {
      lng = 1;
      fmt++;
    }
    switch (*fmt) {
    case 'd':
    case 'i': {
      i64 v = lng ? __builtin_va_arg(ap, i64) : __builtin_va_arg(ap, int);
      if (v < 0) {
        putch('-');
        put_u64((u64)0 - (u64)v, 10, width ? width - 1 : 0, pad);
      } else
        put_u64((u64)v, 10, width, pad);
      break;
    }
    case 'u':
      put_u64(lng ? __builtin_va_arg(ap, u64) : __builtin_va_arg(ap, unsigned), 10, width, pad);
      break;
    case 'x':
      put_u64(lng ? __builtin_va_arg(ap, u64) : __builtin_va_arg(ap, unsigned), 16, width, pad);
      break;
    case 'c':
      putch((char)__builtin_va_arg(ap, int));
      break;
    case 's': {
      const char *s = __builtin_va_arg(ap, const char *);
      int n = (int)strlen(s);
      while (width-- > n) putch(' ');
      puts_(s);
      break;
    }
    default:
      putch(*fmt);
    }
  }
  __builtin_va_end(ap);
}

int main(void);
__attribute__((noreturn, used)) void start_c(void) {
  int r = main();
  flush();
  sys_exit(r);
}
__asm__(".globl _start\n_start:\n  xor %ebp, %ebp\n  and $-16, %rsp\n  call start_c\n  hlt\n");
