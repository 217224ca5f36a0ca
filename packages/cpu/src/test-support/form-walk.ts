// Walks the decoder's tables: one concrete instance of every instruction form per mode, built
// by decoding a systematic sweep of legacy and VEX encodings (no assembler needed), and runs
// each instance once in the interpreter to find forms that raise #UD although they are valid.
// Used by the ISA-coverage test only; not part of the package's public surface.
import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { codeName, cpuFeatureName, Decoder, Instruction } from '@typevisor/x86-decode';
import { StopReason } from '../interpreter/contracts.ts';
import { Cpu, type CpuMode } from '../interpreter/cpu.ts';

/** One instance of a form in a code size. */
export interface FormInstance {
  code: number;
  name: string;
  feature: string;
  bits: 16 | 32 | 64;
  bytes: Uint8Array;
}

/**
 * CPUID features of the general-purpose and system ISA the interpreter covers (x87, MMX,
 * SSE beyond what gcc's integer code uses, AVX, and the extensions of other vendors or
 * of VMX/SGX/SMX/TSX are out of scope here).
 */
export const IN_SCOPE_FEATURES = new Set([
  '8086',
  '186',
  '286',
  '386',
  '486',
  '686',
  'X64',
  'CPUID',
  'TSC',
  'MSR',
  'CX8',
  'CMOV',
  'SEP',
  'SYSCALL',
  'RDTSCP',
  'RDPMC',
  'CMPXCHG16B',
  'FSGSBASE',
  'POPCNT',
  'LZCNT',
  'BMI1',
  'BMI2',
  'ADX',
  'MOVBE',
  'RDRAND',
  'RDSEED',
  'RDPID',
  'INVPCID',
  'SMAP',
  'MONITOR',
  'CLFSH',
  'CLFLUSHOPT',
  'CLWB',
  'PREFETCHW',
  'SSE4.2',
  'SERIALIZE',
  'WBNOINVD',
]);

function sweep(bits: 16 | 32 | 64, found: Map<number, Uint8Array>): void {
  const decoder = new Decoder(bits, new Uint8Array(32));
  const insn = new Instruction();
  const buf = new Uint8Array(32);
  const tryBytes = () => {
    decoder.setBuffer(buf, 0, 32);
    decoder.decodeAt(insn, 0, 0x1000, 0);
    if (insn.status !== 0 || insn.code === 0 || found.has(insn.code)) return;
    found.set(insn.code, buf.slice(0, insn.length));
  };
  const prefixSets: number[][] = [[], [0x66], [0xf3], [0xf2], [0x66, 0xf2]];
  if (bits === 64) prefixSets.push([0x48], [0x66, 0x48], [0xf3, 0x48], [0xf2, 0x48]);
  const maps: number[][] = [[], [0x0f], [0x0f, 0x38], [0x0f, 0x3a]];
  const memRm = bits === 16 ? 7 : 3;
  for (const pre of prefixSets) {
    for (const map of maps) {
      for (let op = 0; op < 256; op++) {
        // Register forms with every rm (0F 01 /r groups such as CLAC or SWAPGS live there), memory forms with one base.
        for (let modrm = 0; modrm < 256; modrm++) {
          if (modrm < 0xc0 && ((modrm & 0xc0) !== 0 || (modrm & 7) !== memRm)) continue;
          buf.fill(0);
          let n = 0;
          for (const b of pre) buf[n++] = b;
          for (const b of map) buf[n++] = b;
          buf[n++] = op;
          buf[n++] = modrm;
          tryBytes();
        }
      }
    }
  }
  // VEX (3-byte C4 form; R/X/B and vvvv inverted so 16/32-bit code sees VEX, not LES/LDS).
  if (bits !== 16) {
    for (let map = 1; map <= 3; map++) {
      for (const w of [0, 1]) {
        for (const vvvv of [0xd, 0xf]) {
          for (let pp = 0; pp < 4; pp++) {
            for (let op = 0; op < 256; op++) {
              for (let reg = 0; reg < 8; reg++) {
                for (const mod of [0xc0, 0x00]) {
                  buf.fill(0);
                  buf[0] = 0xc4;
                  buf[1] = 0xe0 | map;
                  buf[2] = (w << 7) | (vvvv << 3) | pp; // vvvv inverted: 0xd = register 2, 0xf = none
                  buf[3] = op;
                  buf[4] = mod | (reg << 3) | (mod === 0 ? memRm : 1);
                  tryBytes();
                }
              }
            }
          }
        }
      }
    }
  }
}

/** One instance of every form the decoder knows, per code size, whose CPUID feature is in `features`. */
export function formInstances(features: ReadonlySet<string> = IN_SCOPE_FEATURES): FormInstance[] {
  const out: FormInstance[] = [];
  const probe = new Instruction();
  for (const bits of [16, 32, 64] as const) {
    const found = new Map<number, Uint8Array>();
    sweep(bits, found);
    for (const [code, bytes] of [...found].sort((a, b) => a[0] - b[0])) {
      probe.code = code;
      const feature = cpuFeatureName(probe.cpuFeature);
      if (!features.has(feature)) continue;
      out.push({ code, name: codeName(code), feature, bits, bytes });
    }
  }
  return out;
}

const CODE_AT = 0x8000;
const STACK_TOP = 0x7000;

/**
 * Runs `instance` once from a friendly state (CPL 0, flat segments, EFER.SCE, CR4.FSGSBASE,
 * every memory operand inside RAM) in each `mode`, and returns the vector it raised in each
 * (-1 for none).
 */
export function runInstance(instance: FormInstance, modes: readonly CpuMode[]): number[] {
  return modes.map((mode) => {
    const memory = new PhysicalMemory();
    memory.addRam(guestPhysical(0), 0x20000);
    const cpu = new Cpu({ memory, exceptions: 'stop' });
    cpu.setMode(mode, 0);
    cpu.state.efer |= 1; // SCE: SYSCALL/SYSRET enabled
    if (mode !== 'real') cpu.state.cr4 |= (1 << 16) | (1 << 9) | (1 << 18); // FSGSBASE OSFXSR OSXSAVE
    cpu.stateChanged();
    const bytes = new Uint8Array(16).fill(0x90);
    bytes.set(instance.bytes);
    memory.writeBytes(guestPhysical(CODE_AT), bytes);
    for (const r of ['rax', 'rcx', 'rdx', 'rbx', 'rbp', 'rsi', 'rdi']) cpu.setReg(r, 0x2000);
    cpu.setReg('rsp', STACK_TOP);
    cpu.setReg('rip', CODE_AT);
    const stop = cpu.run({ maxInstructions: 1 });
    return stop === StopReason.Exception ? cpu.exceptionVector : -1;
  });
}

/** The modes a code size runs in: 16-bit forms in real and 16-bit protected mode, 32-bit in protected mode, 64-bit in long mode. */
export function modesFor(bits: 16 | 32 | 64): CpuMode[] {
  return bits === 16 ? ['real', 'protected16'] : bits === 32 ? ['protected32'] : ['long64'];
}
