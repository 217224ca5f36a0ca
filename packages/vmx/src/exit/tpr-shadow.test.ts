import { describe, expect, it } from 'vitest';
import type { PhysicalMemory } from '../memory/physical-memory.ts';
import * as C from '../vmcs/controls.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import { VmcsAccess, VmcsCache } from '../vmcs/vmcs.ts';
import { readCr8Shadow, usesTprShadow, writeCr8Shadow } from './tpr-shadow.ts';

/** A memory that remembers the one dword it holds and the addresses it was asked for. */
function dwordMemory(initial: number) {
  const seen: number[] = [];
  let value = initial;
  const memory: PhysicalMemory = {
    read32: (a) => {
      seen.push(a);
      return value;
    },
    write32: (a, v) => {
      seen.push(a);
      value = v >>> 0;
    },
  };
  return { memory, seen, value: () => value };
}

function vmcs(proc: number, apicLo: number, apicHi: number, threshold: number) {
  const cache = new VmcsCache();
  const v = new VmcsAccess(cache);
  v.write(F.PRIMARY_PROCESSOR_BASED_CONTROLS, proc);
  v.write(F.VIRTUAL_APIC_ADDRESS, apicHi * 0x100000000 + apicLo);
  v.write(F.TPR_THRESHOLD, threshold);
  return cache;
}

describe('usesTprShadow', () => {
  it('follows the "use TPR shadow" control', () => {
    expect(usesTprShadow(vmcs(C.PROC_USE_TPR_SHADOW, 0, 0, 0))).toBe(true);
    expect(usesTprShadow(vmcs(C.PROC_CR8_LOAD_EXITING | C.PROC_CR8_STORE_EXITING, 0, 0, 0))).toBe(false);
  });
});

describe('readCr8Shadow', () => {
  it('returns VTPR[7:4] from offset 80H of a virtual-APIC page above 4 GiB', () => {
    const m = dwordMemory(0xffffff9c);
    expect(readCr8Shadow(vmcs(C.PROC_USE_TPR_SHADOW, 0x3000, 1, 0), m.memory)).toBe(9);
    expect(m.seen).toEqual([0x100003080]);
  });
});

describe('writeCr8Shadow', () => {
  it.each([
    [3, 5, true],
    [4, 5, true],
    [5, 5, false],
    [15, 5, false],
    [0, 0, false],
    [0, 1, true],
  ])('VTPR[7:4] = %i with threshold %i: below threshold = %s', (value, threshold, below) => {
    const m = dwordMemory(0xdeadbeef);
    expect(writeCr8Shadow(vmcs(C.PROC_USE_TPR_SHADOW, 0x5000, 0, threshold), m.memory, value)).toBe(below);
    // SDM 3C 29.3: VTPR bits 3:0 and 31:8 are cleared.
    expect(m.value()).toBe(value << 4);
    expect(m.seen).toEqual([0x5080]);
  });
});
