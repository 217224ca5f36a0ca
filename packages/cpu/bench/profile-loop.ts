// Profiling helper: runs the register ALU loop in 32-bit mode (node --cpu-prof --import tsx bench/profile-loop.ts).
import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { Cpu } from '../src/index.ts';
import { multibootImage } from './v86-anchor.ts';

const image = multibootImage('mov ecx, 5000000\nl: add eax, ebx\nxor edx, eax\nsub ebx, 3\ndec ecx\njnz l');
const memory = new PhysicalMemory();
memory.addRam(guestPhysical(0), 0x400000);
memory.writeBytes(guestPhysical(0x100000), image);
const cpu = new Cpu({ memory });
cpu.setMode('protected32');
cpu.setReg('eip', 0x100020);
cpu.hooks.port = (c) => c.stop();
const t0 = performance.now();
cpu.run({ maxInstructions: 1e9 });
console.log(`${(cpu.retired / ((performance.now() - t0) / 1000) / 1e6).toFixed(1)} MIPS`);
