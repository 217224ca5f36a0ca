import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { loadElf64 } from '../elf/elf64-loader.ts';
import { StopReason } from '../interpreter/contracts.ts';
import { Cpu, type CpuOptions } from '../interpreter/cpu.ts';

/** Result of running a static Linux x86-64 program in the interpreter. */
export interface UserRun {
  stdout: string;
  exitCode: number;
  instructions: number;
  stop: StopReason;
  seconds: number;
}

const RAM = 64 * 1024 * 1024;
const STACK_TOP = RAM - 0x1000;

/**
 * Runs a static, freestanding x86-64 ELF (write/exit_group syscalls only) in a flat 64-bit
 * CPU with the syscalls served by the syscall hook. Used by the corpus test and the bench.
 */
export function runLinuxUser(
  image: Uint8Array,
  maxInstructions = 2e9,
  options: Pick<CpuOptions, 'compile' | 'compileThreshold'> = {},
): UserRun {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), RAM);
  const elf = loadElf64(memory, image);
  const cpu = new Cpu({ memory, exceptions: 'stop', ...options });
  cpu.setMode('long64', 3);
  cpu.setReg('rip', elf.entry);
  cpu.setReg('rsp', STACK_TOP);
  const chunks: number[] = [];
  let exitCode = -1;
  const buf = new Uint8Array(1);
  cpu.hooks.syscall = (c) => {
    const nr = c.getReg('rax');
    if (nr === 1) {
      const ptr = c.getReg('rsi');
      const len = c.getReg('rdx');
      for (let i = 0; i < len; i++) {
        c.readLinear(ptr + i, 0, buf);
        chunks.push(buf[0]!);
      }
      c.setReg('rax', len);
    } else if (nr === 231 || nr === 60) {
      exitCode = c.getReg('rdi');
      c.stop();
    } else c.setReg('rax', -38); // -ENOSYS
  };
  const t0 = performance.now();
  const start = cpu.retired;
  const stop = cpu.run({ maxInstructions });
  const seconds = (performance.now() - t0) / 1000;
  if (stop === StopReason.Exception) {
    throw new Error(
      `exception ${cpu.exceptionVector} (error ${cpu.exceptionErrorCode}) at rip=${cpu.getReg('rip').toString(16)} after ${cpu.retired - start} instructions`,
    );
  }
  return {
    stdout: new TextDecoder().decode(new Uint8Array(chunks)),
    exitCode,
    instructions: cpu.retired - start,
    stop,
    seconds,
  };
}
