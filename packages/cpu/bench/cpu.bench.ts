// pnpm bench: MIPS of the interpreter on a register ALU loop, a load/store loop, a call/ret
// loop and a gcc -O2 program, plus the host-native time of that program. The v86 anchor
// the issue names is not wired in yet (it needs a multiboot image and v86's wasm build);
// lines therefore carry no anchor — see the README for the gap.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { printLine } from '@typevisor/bench';
import { Cpu } from '../src/index.ts';
import { buildProgram } from '../src/test-support/gcc-corpus.ts';
import { runLinuxUser } from '../src/test-support/linux-user.ts';

const N = 2_000_000;
const imm32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** 64-bit loops, hand-encoded (each iteration's instruction count noted). */
const LOOPS: Record<string, number[]> = {
  // mov ecx,N; L: add eax,ebx; xor edx,eax; sub ebx,3; dec ecx; jnz L; hlt  (5 per iteration)
  'register ALU loop': [0xb9, ...imm32(N), 0x01, 0xd8, 0x31, 0xc2, 0x83, 0xeb, 0x03, 0xff, 0xc9, 0x75, 0xf5, 0xf4],
  // mov ecx,N; mov esi,0x200000; L: mov eax,[rsi]; add eax,ecx; mov [rsi+4],eax; mov edx,[rsi+4]; dec ecx; jnz L; hlt (6)
  'memory load/store loop': [
    0xb9,
    ...imm32(N),
    0xbe,
    ...imm32(0x200000),
    0x8b,
    0x06,
    0x01,
    0xc8,
    0x89,
    0x46,
    0x04,
    0x8b,
    0x56,
    0x04,
    0xff,
    0xc9,
    0x75,
    0xf2,
    0xf4,
  ],
  // mov ecx,N; L: call F; dec ecx; jnz L; hlt; F: add eax,1; ret  (5)
  'call/ret loop': [0xb9, ...imm32(N), 0xe8, ...imm32(5), 0xff, 0xc9, 0x75, 0xf7, 0xf4, 0x83, 0xc0, 0x01, 0xc3],
};

function runLoop(code: number[]): { mips: number; instructions: number } {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x400000);
  memory.writeBytes(guestPhysical(0x1000), new Uint8Array(code));
  let best = 0;
  let instructions = 0;
  for (let rep = 0; rep < 3; rep++) {
    const cpu = new Cpu({ memory });
    cpu.setMode('long64');
    cpu.setReg('rip', 0x1000);
    cpu.setReg('rsp', 0x3ff000);
    const t0 = performance.now();
    cpu.run({ maxInstructions: 1e9 });
    const s = (performance.now() - t0) / 1000;
    instructions = cpu.retired;
    best = Math.max(best, instructions / s / 1e6);
  }
  return { mips: best, instructions };
}

for (const [name, code] of Object.entries(LOOPS)) {
  const r = runLoop(code);
  printLine(`cpu ${name} (${(r.instructions / 1e6).toFixed(1)}M instr)`, { value: r.mips, unit: 'MIPS' });
}

for (const program of ['sort', 'recursion', 'hash']) {
  const path = buildProgram(program, 'O2');
  const image = readFileSync(path);
  let best = 0;
  let instructions = 0;
  for (let rep = 0; rep < 3; rep++) {
    const run = runLinuxUser(image);
    instructions = run.instructions;
    best = Math.max(best, run.instructions / run.seconds / 1e6);
  }
  printLine(`cpu gcc -O2 ${program} (${(instructions / 1e6).toFixed(2)}M instr)`, { value: best, unit: 'MIPS' });
  let nativeBest = Number.POSITIVE_INFINITY;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    execFileSync(path);
    nativeBest = Math.min(nativeBest, performance.now() - t0);
  }
  printLine(`host native ${program} -O2 (incl. process start)`, { value: nativeBest, unit: 'ms' });
}
