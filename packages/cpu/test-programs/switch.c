#include "rt.h"
enum { PUSH, ADD, SUB, MUL, DUP, SWAP, JNZ, DEC, PRINT, HALT, XOR, SHL, SHR, AND, OVER, DROP };
static long stack[64];
static int run(const int *code) {
  int sp = 0, pc = 0, steps = 0;
  for (;;) {
    steps++;
    switch (code[pc++]) {
    case PUSH: stack[sp++] = code[pc++]; break;
    case ADD: sp--; stack[sp - 1] += stack[sp]; break;
    case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
    case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
    case DUP: stack[sp] = stack[sp - 1]; sp++; break;
    case SWAP: { long t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
    case JNZ: { int t = code[pc++]; if (stack[--sp]) pc = t; break; }
    case DEC: stack[sp - 1]--; break;
    case PRINT: print("%ld\n", stack[--sp]); break;
    case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
    case SHL: sp--; stack[sp - 1] <<= stack[sp]; break;
    case SHR: sp--; stack[sp - 1] = (long)((u64)stack[sp - 1] >> stack[sp]); break;
    case AND: sp--; stack[sp - 1] &= stack[sp]; break;
    case OVER: stack[sp] = stack[sp - 2]; sp++; break;
    case DROP: sp--; break;
    case HALT: return steps;
    default: return -1;
    }
  }
}
static const char *name(int c) {
  switch (c) {
  case 0: return "zero"; case 1: return "one"; case 2: return "two"; case 3: return "three";
  case 4: return "four"; case 5: return "five"; case 6: return "six"; case 7: return "seven";
  case 8: return "eight"; case 9: return "nine"; default: return "many";
  }
}
int main(void) {
  /* acc = 1; n = 20; while (n) { acc = acc * 3 ^ n; n--; } print acc */
  static const int prog[] = { PUSH, 1, PUSH, 20, /*4:*/ SWAP, PUSH, 3, MUL, OVER, XOR, SWAP, DEC, DUP, JNZ, 4, DROP, PRINT,
                              PUSH, 1, PUSH, 40, SHL, PUSH, 7, SHR, PRINT, HALT };
  int steps = run(prog);
  print("steps=%d\n", steps);
  for (int i = 0; i < 12; i++) print("%s%c", name(i), i == 11 ? '\n' : ' ');
  return 0;
}
