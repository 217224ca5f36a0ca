// Development helper: MIPS per CPU-second (robust on a loaded machine) of our cpu alone on the bench loops and gcc -O2 programs (no v86), compiler on and off.
// npx tsx bench/quick-loops.ts [on|off]
import { readFileSync } from 'node:fs';
import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { Cpu } from '../src/index.ts';
import { buildProgram } from '../src/test-support/gcc-corpus.ts';
import { runLinuxUser } from '../src/test-support/linux-user.ts';
import { multibootImage } from './v86-anchor.ts';

const N = 2_000_000;
const compile = process.argv[2] !== 'off';
const compileThreshold = Number(process.argv[3] ?? 8);
const LOOPS: Record<string, string> = {
  alu: `mov ecx, ${N}\nl: add eax, ebx\nxor edx, eax\nsub ebx, 3\ndec ecx\njnz l`,
  mem: `mov ecx, ${N}\nl: mov eax, [esi]\nadd eax, ecx\nmov [esi+4], eax\nmov edx, [esi+4]\ndec ecx\njnz l`,
  call: `mov ecx, ${N}\nl: call f\ndec ecx\njnz l\njmp done\nf: add eax, 1\nret\ndone:`,
};
for (const [name, loop] of Object.entries(LOOPS)) {
  const image = multibootImage(loop);
  let best = 0;
  for (let rep = 0; rep < 3; rep++) {
    const memory = new PhysicalMemory();
    memory.addRam(guestPhysical(0), 0x400000);
    memory.writeBytes(guestPhysical(0x100000), image);
    const cpu = new Cpu({ memory, compile, compileThreshold });
    cpu.setMode('protected32');
    cpu.setReg('eip', 0x100020);
    cpu.hooks.port = (c) => c.stop();
    const t0 = process.cpuUsage();
    cpu.run({ maxInstructions: 1e9 });
    const t = process.cpuUsage(t0);
    best = Math.max(best, cpu.retired / ((t.user + t.system) / 1e6) / 1e6);
  }
  console.log(`${name}: ${best.toFixed(1)} MIPS`);
}
for (const program of ['sort', 'recursion', 'hash']) {
  const image = readFileSync(buildProgram(program, 'O2'));
  let best = 0;
  for (let rep = 0; rep < 3; rep++) {
    const t0 = process.cpuUsage();
    const run = runLinuxUser(image, 2e9, { compile, compileThreshold });
    const t = process.cpuUsage(t0);
    best = Math.max(best, run.instructions / ((t.user + t.system) / 1e6) / 1e6);
  }
  console.log(`gcc ${program}: ${best.toFixed(1)} MIPS`);
}
