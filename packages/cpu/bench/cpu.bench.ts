// pnpm bench: MIPS of the cpu on a register ALU loop, a load/store loop and a call/ret loop —
// the same 32-bit multiboot image run by us (block compiler on, and off = the plain
// interpreter) and by the anchor, v86 (npm), interpreter and JIT, in the same process,
// interleaved run by run, medians of REPS runs — then gcc -O2 programs (64-bit; v86 is 32-bit
// only, so no anchor there) with the compiler on and off and the host-native time.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { printLine } from '@typevisor/bench';
import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { Cpu } from '../src/index.ts';
import { buildProgram } from '../src/test-support/gcc-corpus.ts';
import { runLinuxUser } from '../src/test-support/linux-user.ts';
import { multibootImage, runV86 } from './v86-anchor.ts';

const N = 2_000_000;
const REPS = 5;
const LOOPS: Record<string, string> = {
  'register ALU loop': `mov ecx, ${N}\nl: add eax, ebx\nxor edx, eax\nsub ebx, 3\ndec ecx\njnz l`,
  'memory load/store loop': `mov ecx, ${N}\nl: mov eax, [esi]\nadd eax, ecx\nmov [esi+4], eax\nmov edx, [esi+4]\ndec ecx\njnz l`,
  'call/ret loop': `mov ecx, ${N}\nl: call f\ndec ecx\njnz l\njmp done\nf: add eax, 1\nret\ndone:`,
};

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** Runs the multiboot image in our cpu in flat 32-bit protected mode until it writes to COM1. */
function runOurs(image: Uint8Array, compile: boolean): { mips: number; instructions: number } {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x400000);
  memory.writeBytes(guestPhysical(0x100000), image);
  const cpu = new Cpu({ memory, compile });
  cpu.setMode('protected32');
  cpu.setReg('eip', 0x100020); // the entry after the 32-byte multiboot header
  cpu.hooks.port = (c, port, _size, isWrite) => {
    if (isWrite && port === 0x3f8) c.stop();
  };
  const t0 = performance.now();
  cpu.run({ maxInstructions: 1e9 });
  const s = (performance.now() - t0) / 1000;
  return { mips: cpu.retired / s / 1e6, instructions: cpu.retired };
}

const mips = (v: number) => ({ value: v, unit: 'MIPS' });

for (const [name, loop] of Object.entries(LOOPS)) {
  const image = multibootImage(loop);
  const on: number[] = [];
  const off: number[] = [];
  const interp: number[] = [];
  const jit: number[] = [];
  let instructions = 0;
  for (let rep = 0; rep < REPS; rep++) {
    const r = runOurs(image, true);
    instructions = r.instructions;
    on.push(r.mips);
    off.push(runOurs(image, false).mips);
    interp.push((await runV86(image, false)).mips);
    jit.push((await runV86(image, true)).mips);
  }
  const label = `cpu ${name} (${(instructions / 1e6).toFixed(1)}M instr)`;
  printLine(`${label} compiled`, mips(median(on)), { name: 'v86 interpreter', figure: mips(median(interp)) });
  printLine(`${label} compiled`, mips(median(on)), { name: 'v86 JIT', figure: mips(median(jit)) });
  printLine(`${label} interpreted`, mips(median(off)), { name: 'v86 interpreter', figure: mips(median(interp)) });
}

for (const program of ['sort', 'recursion', 'hash']) {
  const path = buildProgram(program, 'O2');
  const image = readFileSync(path);
  const on: number[] = [];
  const off: number[] = [];
  let instructions = 0;
  for (let rep = 0; rep < REPS; rep++) {
    for (const compile of [true, false]) {
      const run = runLinuxUser(image, 2e9, { compile });
      instructions = run.instructions;
      (compile ? on : off).push(run.instructions / run.seconds / 1e6);
    }
  }
  const label = `cpu gcc -O2 ${program} (${(instructions / 1e6).toFixed(2)}M instr)`;
  printLine(`${label} compiled`, mips(median(on)), { name: 'interpreted', figure: mips(median(off)) });
  const native: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    execFileSync(path);
    native.push(performance.now() - t0);
  }
  printLine(`host native ${program} -O2 (incl. process start)`, { value: median(native), unit: 'ms' });
}
