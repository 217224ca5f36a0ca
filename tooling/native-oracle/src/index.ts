import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(root, 'harness.c');
const BUILD = join(root, 'build');
const BINARY = join(BUILD, 'harness');
const PROBE_SOURCE = join(root, 'compat-probe.c');
const PROBE_BINARY = join(BUILD, 'compat-probe');

/** Linear address of the instruction (a fixed code page in the harness). */
export const ORACLE_CODE_ADDRESS = 0x20000000;
/** Linear address of the 64-byte scratch memory the instruction may access. */
export const ORACLE_MEMORY_ADDRESS = 0x10000000;
/** RFLAGS bits the harness loads before the instruction (CF PF AF ZF SF OF). */
export const ORACLE_FLAGS_MASK = 0x8d5;

/** One instruction to run natively. `regs` are 16 GPRs as lo/hi pairs (RSP is ignored). */
export interface OracleCase {
  /** Instruction bytes (at most 16). */
  code: Uint8Array;
  /** 32 numbers: regs[2n] low, regs[2n+1] high half of GPR n (RAX=0 .. R15=15). */
  regs: Uint32Array;
  /** Initial RFLAGS (only {@link ORACLE_FLAGS_MASK} bits are loaded). */
  flags: number;
  /** 64 bytes at {@link ORACLE_MEMORY_ADDRESS}. */
  memory: Uint8Array;
}

/** Offset from {@link ORACLE_CODE_ADDRESS} of the "taken" exit: a branch that lands there is reported as taken. */
export const ORACLE_TAKEN_OFFSET = 32;

/** The host's result: registers, RFLAGS, memory, the signal the instruction raised (0 = none), whether control reached the taken exit. */
export interface OracleResult {
  taken: boolean;
  regs: Uint32Array;
  flags: number;
  memory: Uint8Array;
  signal: number;
}

const IN_SIZE = 216;
const OUT_SIZE = 216;

/** Compiles the C harness with the machine's gcc (into the gitignored build dir) if needed. */
export function buildHarness(): string {
  if (!existsSync(BINARY) || statSync(BINARY).mtimeMs < statSync(SOURCE).mtimeMs) {
    mkdirSync(BUILD, { recursive: true });
    execFileSync('gcc', ['-O1', '-o', BINARY, SOURCE]);
  }
  return BINARY;
}

/** True when the host can run the oracle (x86-64 Linux with gcc). */
export function oracleAvailable(): boolean {
  if (process.arch !== 'x64' || process.platform !== 'linux') return false;
  try {
    execFileSync('gcc', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** Runs every case natively in one harness process. */
export function runOnHost(cases: readonly OracleCase[]): OracleResult[] {
  const bin = buildHarness();
  const input = new Uint8Array(cases.length * IN_SIZE);
  const dv = new DataView(input.buffer);
  cases.forEach((c, i) => {
    const o = i * IN_SIZE;
    const code = new Uint8Array(16).fill(0x90);
    code.set(c.code.subarray(0, 16));
    input.set(code, o);
    for (let r = 0; r < 32; r++) dv.setUint32(o + 16 + r * 4, c.regs[r]!, true);
    dv.setUint32(o + 144, c.flags >>> 0, true);
    dv.setUint32(o + 148, 0, true);
    input.set(c.memory.subarray(0, 64), o + 152);
  });
  const r = spawnSync(bin, { input, maxBuffer: cases.length * OUT_SIZE + 1024 });
  if (r.status !== 0)
    throw new Error(
      `oracle harness failed: status ${r.status} signal ${r.signal} after ${r.stdout?.length ?? 0} bytes ${r.stderr?.toString()}`,
    );
  const out = new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
  const odv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (out.length !== cases.length * OUT_SIZE)
    throw new Error(`oracle returned ${out.length} bytes for ${cases.length} cases`);
  return cases.map((_, i) => {
    const o = i * OUT_SIZE;
    const regs = new Uint32Array(32);
    for (let k = 0; k < 32; k++) regs[k] = odv.getUint32(o + k * 4, true);
    return {
      taken: odv.getUint32(o + 208, true) === 1,
      regs,
      flags: odv.getUint32(o + 128, true),
      memory: out.slice(o + 136, o + 200),
      signal: odv.getUint32(o + 200, true),
    };
  });
}

/** Whether the host runs 32-bit and 16-bit code from a 64-bit process, by each way tried. */
export interface CompatModeSupport {
  /** A far JMP to the Linux 32-bit user code selector 23H. */
  user32: boolean;
  /** A far JMP to a 32-bit code segment installed with modify_ldt(2). */
  ldt32: boolean;
  /** A far JMP to a 16-bit code segment installed with modify_ldt(2). */
  ldt16: boolean;
}

/**
 * Probes (with a small gcc-built program, `compat-probe.c`) whether this host can run 32- and
 * 16-bit code natively. Where it cannot, the cpu package's 16/32-bit differential relies on
 * v86 alone.
 */
export function probeCompatMode(): CompatModeSupport {
  if (!existsSync(PROBE_BINARY) || statSync(PROBE_BINARY).mtimeMs < statSync(PROBE_SOURCE).mtimeMs) {
    mkdirSync(BUILD, { recursive: true });
    execFileSync('gcc', ['-O1', '-no-pie', '-o', PROBE_BINARY, PROBE_SOURCE]);
  }
  const out = execFileSync(PROBE_BINARY, { encoding: 'utf8' });
  const ok = (name: string) => new RegExp(`^${name} ok$`, 'm').test(out);
  return { user32: ok('user32'), ldt32: ok('ldt32'), ldt16: ok('ldt16') };
}
