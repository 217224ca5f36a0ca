// pnpm bench: MIPS of the interpreter on a register ALU loop, a load/store loop and a call/ret
// loop — the same 32-bit multiboot image run by us and by the anchor, v86 (npm), interpreter
// and JIT, in the same process — then gcc -O2 programs (64-bit; v86 is 32-bit only, so no
// anchor there) with the host-native time of the same binaries.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { printLine } from '@typevisor/bench';
import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { Cpu } from '../src/index.ts';
import { buildProgram } from '../src/test-support/gcc-corpus.ts';
import { runLinuxUser } from '../src/test-support/linux-user.ts';
import { multibootImage, runV86 } from './v86-anchor.ts';

const N = 2_000_000;
const LOOPS: Record<string, string> = {
  'register ALU loop': `mov ecx, ${N}\nl: add eax, ebx\nxor edx, eax\nsub ebx, 3\ndec ecx\njnz l`,
  'memory load/store loop': `mov ecx, ${N}\nl: mov eax, [esi]\nadd eax, ecx\nmov [esi+4], eax\nmov edx, [esi+4]\ndec ecx\njnz l`,
  'call/ret loop': `mov ecx, ${N}\nl: call f\ndec ecx\njnz l\njmp done\nf: add eax, 1\nret\ndone:`,
};

/** Runs the multiboot image in our interpreter in flat 32-bit protected mode until it writes to COM1. */
function runOurs(image: Uint8Array): { mips: number; instructions: number } {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x400000);
  memory.writeBytes(guestPhysical(0x100000), image);
  let best = 0;
  let instructions = 0;
  for (let rep = 0; rep < 3; rep++) {
    const cpu = new Cpu({ memory });
    cpu.setMode('protected32');
    cpu.setReg('eip', 0x100020); // the entry after the 32-byte multiboot header
    cpu.hooks.port = (c, port, _size, isWrite) => {
      if (isWrite && port === 0x3f8) c.stop();
    };
    const t0 = performance.now();
    cpu.run({ maxInstructions: 1e9 });
    const s = (performance.now() - t0) / 1000;
    instructions = cpu.retired;
    best = Math.max(best, instructions / s / 1e6);
  }
  return { mips: best, instructions };
}

for (const [name, loop] of Object.entries(LOOPS)) {
  const image = multibootImage(loop);
  const ours = runOurs(image);
  let interp = 0;
  let jit = 0;
  for (let rep = 0; rep < 2; rep++) {
    interp = Math.max(interp, (await runV86(image, false)).mips);
    jit = Math.max(jit, (await runV86(image, true)).mips);
  }
  const label = `cpu ${name} (${(ours.instructions / 1e6).toFixed(1)}M instr)`;
  printLine(
    label,
    { value: ours.mips, unit: 'MIPS' },
    { name: 'v86 interpreter', figure: { value: interp, unit: 'MIPS' } },
  );
  printLine(label, { value: ours.mips, unit: 'MIPS' }, { name: 'v86 JIT', figure: { value: jit, unit: 'MIPS' } });
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
