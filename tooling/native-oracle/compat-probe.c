/*
 * Can this host run 32-bit and 16-bit code from a 64-bit process? Tries three ways, each
 * guarded against the #GP (SIGSEGV) a refused segment raises, and prints one line per way:
 *   user32 ok|fault  - far JMP to the Linux 32-bit user code selector 23H
 *   ldt32  ok|fault  - far JMP to a 32-bit code segment installed with modify_ldt(2)
 *   ldt16  ok|fault  - far JMP to a 16-bit code segment installed with modify_ldt(2)
 *   lar23 / lar7 ok|fail - whether LAR even sees selector 23H / the LDT entry (a usable
 *                    descriptor sets ZF), which tells a refused segment from a probe bug
 * Each target executes `mov eax, 0x1234abcd` (or `mov ax`) and far-jumps back to 64-bit
 * code (selector 33H), which checks the value. Built with -no-pie so the code is below 4 GiB.
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

uint32_t probe_result;
uint64_t probe_saved_rsp;
struct __attribute__((packed)) { uint32_t offset; uint16_t selector; } probe_target;
void probe_go(void);
void probe_entry32(void);
void probe_back64(void);

__asm__(
    ".globl probe_go\n"
    "probe_go:\n"
    "  push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
    "  mov %rsp, probe_saved_rsp(%rip)\n"
    "  ljmpl *probe_target(%rip)\n"
    ".code32\n"
    ".globl probe_entry32\n"
    "probe_entry32:\n"
    "  mov $0x1234abcd, %eax\n"
    "  ljmp $0x33, $probe_back64\n"
    ".code64\n"
    ".globl probe_back64\n"
    "probe_back64:\n"
    "  mov %eax, probe_result(%rip)\n"
    "  mov probe_saved_rsp(%rip), %rsp\n"
    "  pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
    "  ret\n");

static sigjmp_buf jb;
static void on_fault(int sig) {
  (void)sig;
  siglongjmp(jb, 1);
}

static int try_target(uint32_t offset, uint16_t selector, uint32_t expect, uint32_t mask) {
  probe_target.offset = offset;
  probe_target.selector = selector;
  probe_result = 0;
  if (sigsetjmp(jb, 1) != 0) return 0;
  probe_go();
  return (probe_result & mask) == expect;
}

static int lar_ok(uint32_t selector) {
  uint32_t ar = 0;
  uint8_t zf = 0;
  __asm__ volatile("lar %2, %0\n setz %1" : "=r"(ar), "=q"(zf) : "r"(selector));
  return zf;
}

static int install(int entry, uint32_t base, int bits32) {
  struct user_desc d;
  memset(&d, 0, sizeof d);
  d.entry_number = entry;
  d.base_addr = base;
  d.limit = bits32 ? 0xfffff : 0xffff;
  d.limit_in_pages = bits32;
  d.seg_32bit = bits32;
  d.contents = 2; /* code */
  d.useable = 1;
  return syscall(SYS_modify_ldt, 1, &d, sizeof d) == 0;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fault;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);
  sigaction(SIGBUS, &sa, 0);
  sigaction(SIGILL, &sa, 0);
  printf("user32 %s\n", try_target((uint32_t)(uintptr_t)probe_entry32, 0x23, 0x1234abcd, ~0u) ? "ok" : "fault");
  int ldt = install(0, 0, 1);
  printf("lar23 %s\nlar7 %s\n", lar_ok(0x23) ? "ok" : "fail", lar_ok(0x07) ? "ok" : "fail");
  printf("ldt32 %s\n", ldt && try_target((uint32_t)(uintptr_t)probe_entry32, 0x07, 0x1234abcd, ~0u) ? "ok" : "fault");
  /* 16-bit: a fixed page below 4 GiB holding `mov ax, 0xabcd; jmp far dword 0x33:probe_back64` at offset 0. */
  uint8_t *page = mmap((void *)0x7000000, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  int ok16 = 0;
  if (page != MAP_FAILED && install(1, 0x7000000, 0)) {
    uint32_t back = (uint32_t)(uintptr_t)probe_back64;
    uint8_t code[] = {0xb8, 0xcd, 0xab, 0x66, 0xea, 0, 0, 0, 0, 0x33, 0x00};
    memcpy(code + 5, &back, 4);
    memcpy(page, code, sizeof code);
    ok16 = try_target(0, 0x0f, 0xabcd, 0xffff);
  }
  printf("ldt16 %s\n", ok16 ? "ok" : "fault");
  return 0;
}
