/*
 * Native x86-64 oracle: runs one instruction at a time on the host CPU.
 * stdin: records { u8 code[16]; u64 regs[16]; u64 flags; u8 mem[64]; } (216 bytes)
 * stdout: records { u64 regs[16]; u64 flags; u8 mem[64]; i64 signal; i64 taken; } (216 bytes)
 * The instruction runs from a fixed code page (0x20000000) with all sixteen registers loaded
 * (RSP too: stack cases point it into the memory page; signals run on an alternate stack)
 * and memory at 0x10000000; a fault (SIGFPE,
 * SIGSEGV, SIGILL, SIGBUS) is reported as its signal number. A second exit at code+32 marks
 * the case "taken" (branch cases aim there); code+16 is the fall-through exit.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CODE_ADDR 0x20000000UL
#define MEM_ADDR 0x10000000UL

struct in_rec { uint8_t code[16]; uint64_t regs[16]; uint64_t flags; uint8_t mem[64]; } __attribute__((packed));
struct out_rec { uint64_t regs[16]; uint64_t flags; uint8_t mem[64]; int64_t signal; int64_t taken; } __attribute__((packed));

/* state[0..15] = regs, state[16] = flags, state[17] = saved rsp */
uint64_t oracle_state[18];
uint64_t oracle_taken;
void oracle_run(void);
void oracle_back(void);
void oracle_back_taken(void);

__asm__(
    ".globl oracle_run\n"
    "oracle_run:\n"
    "  push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
    "  mov %rsp, oracle_state+136(%rip)\n"
    "  pushq oracle_state+128(%rip)\n popfq\n"
    "  mov oracle_state+0(%rip), %rax\n mov oracle_state+8(%rip), %rcx\n mov oracle_state+16(%rip), %rdx\n"
    "  mov oracle_state+24(%rip), %rbx\n mov oracle_state+40(%rip), %rbp\n mov oracle_state+48(%rip), %rsi\n"
    "  mov oracle_state+56(%rip), %rdi\n mov oracle_state+64(%rip), %r8\n mov oracle_state+72(%rip), %r9\n"
    "  mov oracle_state+80(%rip), %r10\n mov oracle_state+88(%rip), %r11\n mov oracle_state+96(%rip), %r12\n"
    "  mov oracle_state+104(%rip), %r13\n mov oracle_state+112(%rip), %r14\n mov oracle_state+120(%rip), %r15\n"
    "  mov oracle_state+32(%rip), %rsp\n"
    "  jmp *code_entry(%rip)\n"
    ".globl oracle_back_taken\n"
    "oracle_back_taken:\n"
    "  movq $1, oracle_taken(%rip)\n"
    ".globl oracle_back\n"
    "oracle_back:\n"
    "  mov %rsp, oracle_state+32(%rip)\n"
    "  mov oracle_state+136(%rip), %rsp\n"
    "  pushfq\n popq oracle_state+128(%rip)\n"
    "  mov %rax, oracle_state+0(%rip)\n mov %rcx, oracle_state+8(%rip)\n mov %rdx, oracle_state+16(%rip)\n"
    "  mov %rbx, oracle_state+24(%rip)\n mov %rbp, oracle_state+40(%rip)\n mov %rsi, oracle_state+48(%rip)\n"
    "  mov %rdi, oracle_state+56(%rip)\n mov %r8, oracle_state+64(%rip)\n mov %r9, oracle_state+72(%rip)\n"
    "  mov %r10, oracle_state+80(%rip)\n mov %r11, oracle_state+88(%rip)\n mov %r12, oracle_state+96(%rip)\n"
    "  mov %r13, oracle_state+104(%rip)\n mov %r14, oracle_state+112(%rip)\n mov %r15, oracle_state+120(%rip)\n"
    "  cld\n"
    "  mov oracle_state+136(%rip), %rsp\n"
    "  pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
    "  ret\n");

uint64_t code_entry = CODE_ADDR;
static sigjmp_buf jb;
static volatile int got_signal;

static void on_signal(int sig) {
  got_signal = sig;
  siglongjmp(jb, 1);
}

int main(void) {
  uint8_t *code = mmap((void *)CODE_ADDR, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  uint8_t *mem = mmap((void *)MEM_ADDR, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (code == MAP_FAILED || mem == MAP_FAILED) return 2;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_NODEFER | SA_ONSTACK;
  /* The instruction's RSP may point into the 4 KiB memory page (or nowhere): signals get their own stack. */
  static uint8_t alt_stack[65536];
  stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof alt_stack, .ss_flags = 0};
  if (sigaltstack(&ss, 0) != 0) return 3;
  sigaction(SIGFPE, &sa, 0);
  sigaction(SIGSEGV, &sa, 0);
  sigaction(SIGILL, &sa, 0);
  sigaction(SIGBUS, &sa, 0);
  setvbuf(stdout, 0, _IONBF, 0);
  struct in_rec in;
  struct out_rec out;
  while (fread(&in, sizeof in, 1, stdin) == 1) {
    memcpy(code, in.code, 16);
    /* after the instruction bytes (the TS side tells the length by padding with NOPs): jmp *oracle_back */
    code[16] = 0xff; code[17] = 0x25; code[18] = code[19] = code[20] = code[21] = 0;
    uint64_t back = (uint64_t)oracle_back;
    memcpy(code + 22, &back, 8);
    /* at code+32: jmp *oracle_back_taken */
    code[32] = 0xff; code[33] = 0x25; code[34] = code[35] = code[36] = code[37] = 0;
    uint64_t taken = (uint64_t)oracle_back_taken;
    memcpy(code + 38, &taken, 8);
    oracle_taken = 0;
    memcpy(mem, in.mem, 64);
    memcpy(oracle_state, in.regs, 128);
    oracle_state[16] = (in.flags & 0x8d5) | 2;
    got_signal = 0;
    if (sigsetjmp(jb, 1) == 0) oracle_run();
    memcpy(out.regs, oracle_state, 128);
    out.flags = oracle_state[16];
    memcpy(out.mem, mem, 64);
    out.signal = got_signal;
    out.taken = (int64_t)oracle_taken;
    fwrite(&out, sizeof out, 1, stdout);
  }
  return 0;
}
