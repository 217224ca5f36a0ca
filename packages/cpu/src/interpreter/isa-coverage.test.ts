import { describe, expect, it } from 'vitest';
import { Cpu } from '../index.ts';
import { formInstances, modesFor, runInstance } from '../test-support/form-walk.ts';
import { CpuidModel } from './cpuid-model.ts';
import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';

/**
 * Forms of the general-purpose/system ISA that raise #UD by design, with the reason. Every
 * other in-scope form the decoder knows must execute (or raise something other than #UD).
 */
const EXPECTED_UD: Record<string, string> = {
  Ud0_r16_rm16: 'UD0 is #UD by definition',
  Ud0_r32_rm32: 'UD0 is #UD by definition',
  Ud0_r64_rm64: 'UD0 is #UD by definition',
  Ud1_r16_rm16: 'UD1 is #UD by definition',
  Ud1_r32_rm32: 'UD1 is #UD by definition',
  Ud1_r64_rm64: 'UD1 is #UD by definition',
  Ud2: 'UD2 is #UD by definition',
  Rsm: 'RSM is #UD outside system-management mode (SMM is not modelled)',
  Syscall: 'SYSCALL is #UD outside 64-bit mode on Intel processors (the model is GenuineIntel); 64-bit forms run',
  Sysret: 'SYSRET is #UD outside 64-bit mode on Intel processors; 64-bit forms run',
};

/** Forms whose CPUID feature is in scope but whose instructions belong to x87/SSE (a later issue). */
const OUT_OF_SCOPE = /^(Fcmov|Fcomi|Fucomi|Fcomip|Fucomip|Pcmp)/;

describe('ISA coverage', () => {
  const instances = formInstances();

  it('finds an instance of every general-purpose and system form in the decoder tables', () => {
    // 16-, 32- and 64-bit instances together (a form valid in several modes counts once per mode).
    expect(instances.length).toBeGreaterThan(2000);
  });

  it('raises #UD only for forms the architecture or the CPUID model makes #UD', () => {
    const unexpected: string[] = [];
    for (const inst of instances) {
      const legacyOnly = (inst.name === 'Syscall' || inst.name === 'Sysret') && inst.bits === 64;
      if (OUT_OF_SCOPE.test(inst.name) || (EXPECTED_UD[inst.name] !== undefined && !legacyOnly)) continue;
      const vectors = runInstance(inst, modesFor(inst.bits));
      if (vectors.every((v) => v === 6))
        unexpected.push(`${inst.bits}-bit ${inst.name} [${Buffer.from(inst.bytes).toString('hex')}]`);
    }
    expect(unexpected).toEqual([]);
  });

  it.each(Object.keys(EXPECTED_UD))('%s still raises #UD (remove it from the list once implemented)', (name) => {
    const legacyOnly = name === 'Syscall' || name === 'Sysret';
    const found = instances.filter((i) => i.name === name && !(legacyOnly && i.bits === 64));
    expect(found.length).toBeGreaterThan(0);
    for (const inst of found) expect(runInstance(inst, modesFor(inst.bits))).toContain(6);
  });
});

function runBytes(bytes: number[], model: CpuidModel, setup: (cpu: Cpu) => void = () => {}): Cpu {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x10000);
  memory.writeBytes(guestPhysical(0x1000), new Uint8Array(bytes));
  const cpu = new Cpu({ memory, exceptions: 'stop', cpuid: model });
  cpu.setMode('long64');
  cpu.setReg('rip', 0x1000);
  setup(cpu);
  cpu.run({ maxInstructions: 1 });
  return cpu;
}

function masked(leaf: number, reg: 1 | 2 | 3, bit: number): CpuidModel {
  const model = new CpuidModel();
  const v = Array.from(model.query(leaf, 0));
  v[reg] = v[reg]! & ~(1 << bit);
  model.set(leaf, 0, v[0]!, v[1]!, v[2]!, v[3]!);
  return model;
}

describe('CpuidModel feature masking', () => {
  it('advertises BMI1, BMI2, ADX, POPCNT, LZCNT, MOVBE, SSE4.2 (CRC32), RDPID, INVPCID and SMAP by default', () => {
    const m = new CpuidModel();
    expect(m.query(7, 0)[1]! & ((1 << 3) | (1 << 8) | (1 << 10) | (1 << 19) | (1 << 20))).toBe(
      (1 << 3) | (1 << 8) | (1 << 10) | (1 << 19) | (1 << 20),
    );
    expect(m.query(7, 0)[2]! & (1 << 22)).not.toBe(0);
    expect(m.query(1, 0)[2]! & ((1 << 20) | (1 << 22) | (1 << 23))).toBe((1 << 20) | (1 << 22) | (1 << 23));
    expect(m.query(0x80000001, 0)[2]! & (1 << 5)).not.toBe(0);
  });

  it.each([
    ['PDEP without BMI2', [0xc4, 0xe2, 0x63, 0xf5, 0xc1], masked(7, 1, 8)],
    ['ANDN without BMI1', [0xc4, 0xe2, 0x70, 0xf2, 0xc3], masked(7, 1, 3)],
    ['ADCX without ADX', [0x66, 0x0f, 0x38, 0xf6, 0xc1], masked(7, 1, 19)],
    ['POPCNT without POPCNT', [0xf3, 0x0f, 0xb8, 0xc1], masked(1, 2, 23)],
    ['MOVBE without MOVBE', [0x0f, 0x38, 0xf0, 0x03], masked(1, 2, 22)],
    ['CRC32 without SSE4.2', [0xf2, 0x0f, 0x38, 0xf0, 0xc1], masked(1, 2, 20)],
    ['RDPID without RDPID', [0xf3, 0x0f, 0xc7, 0xf8], masked(7, 2, 22)],
    ['CLAC without SMAP', [0x0f, 0x01, 0xca], masked(7, 1, 20)],
    ['SERIALIZE without SERIALIZE', [0x0f, 0x01, 0xe8], masked(7, 3, 14)],
    ['CLWB without CLWB', [0x66, 0x0f, 0xae, 0x33], masked(7, 1, 24)],
  ] as const)('raises #UD for %s', (_name, bytes, model) => {
    const cpu = runBytes([...bytes], model, (c) => c.setReg('rbx', 0x2000));
    expect(cpu.exceptionVector).toBe(6);
  });

  it('runs TZCNT as BSF when BMI1 is masked off (the REP prefix is ignored)', () => {
    const cpu = runBytes([0xf3, 0x0f, 0xbc, 0xc1], masked(7, 1, 3), (c) => {
      c.setReg('rcx', 0);
      c.setReg('rax', 0x1234);
    });
    expect(cpu.exceptionVector).toBe(-1);
    expect(cpu.getReg('rax')).toBe(0x1234); // BSF leaves the destination for a zero source
    expect(cpu.getReg('rflags') & 0x40).toBe(0x40);
  });

  it('runs LZCNT as BSR when LZCNT is masked off', () => {
    const cpu = runBytes([0xf3, 0x0f, 0xbd, 0xc1], masked(0x80000001, 2, 5), (c) => c.setReg('rcx', 0x100));
    expect(cpu.getReg('eax')).toBe(8); // BSR's index, where LZCNT would give 23
  });

  it('executes PDEP when BMI2 is advertised', () => {
    const cpu = runBytes([0xc4, 0xe2, 0x63, 0xf5, 0xc1], new CpuidModel(), (c) => {
      c.setReg('rbx', 0b1011);
      c.setReg('rcx', 0xf0);
    });
    expect(cpu.exceptionVector).toBe(-1);
    expect(cpu.getReg('rax')).toBe(0xb0);
  });
});
