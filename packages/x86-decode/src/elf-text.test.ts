import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findElfText, isElf } from './elf-text.ts';

describe('findElfText', () => {
  it('finds the .text section of the running Node.js binary', () => {
    const file = new Uint8Array(readFileSync(process.execPath));
    expect(isElf(file)).toBe(true);
    const text = findElfText(file)!;
    expect(text.bitness).toBe(64);
    expect(text.bytes.length).toBeGreaterThan(1_000_000);
    expect(text.address).toBeGreaterThan(0);
  });

  it('returns undefined for a file that is not ELF', () => {
    expect(findElfText(new Uint8Array(100))).toBeUndefined();
  });
});
