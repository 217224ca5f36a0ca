import { describe, expect, it } from 'vitest';
import { describeEntry } from './describe-entry.ts';
import { TraceKind } from './walk-result.ts';

describe('describeEntry', () => {
  it('names a guest entry, its flags and its frame', () => {
    expect(describeEntry({ kind: TraceKind.Guest, level: 2, address: 0x3010, lo: 0x40a7, hi: 0x8000_0000 })).toBe(
      'PDE @0x3010 = 0x80000000_000040a7 P RW US A PS XD frame 0x4000',
    );
  });

  it('names an EPT leaf with its memory type and A/D flags', () => {
    expect(describeEntry({ kind: TraceKind.Ept, level: 1, address: 0x9000, lo: 0x5337, hi: 1 })).toBe(
      'EPT PTE @0x9000 = 0x00000001_00005337 R W X A D MT6 frame 0x100005000',
    );
  });
});
