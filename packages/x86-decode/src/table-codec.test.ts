import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeValues } from '../scripts/generate.ts';
import {
  base64Bytes,
  NamePatterns,
  fillValues,
  parseHead,
  parseIndexed,
  parseRows,
  parseValues,
  tableValues,
} from './table-codec.ts';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('table texts', () => {
  it.each([
    ['B', [0, 1, 200, 255, 7, 9, 0, 0, 3]],
    ['b', [-128, -1, 0, 127, 5, -6, 100, 0, -3]],
    ['H', [0, 256, 65535, 4294, 1, 2, 3, 40000, 9]],
    ['h', [-32768, -1, 32767, 0, -4294, 18120, 7, 7, 7]],
    ['I', [4294967295, 3000000000, 14745608, 2147483648, 4000000000, 65536]],
    ['i', [-2147483648, 2147483647, -1000000000, 1000000000, -70000000, 123456789]],
  ])('stores values in the narrowest type that holds them (%s) and reads them back', (tag, values) => {
    const text = encodeValues(values);
    expect(text[0]).toBe(tag);
    expect(Array.from(tableValues(text))).toEqual(values);
  });

  it('uses a JSON array when that is the shorter text', () => {
    // 32-bit storage for two small values: base64 would be 12 characters
    expect(encodeValues([0, 1 << 20])).toBe('[0,1048576]');
    expect(Array.from(tableValues('[0,1048576]'))).toEqual([0, 1048576]);
  });

  it('rejects a text with an unknown storage tag and non-integer values', () => {
    expect(() => tableValues('QAAAA')).toThrow(/unknown storage tag "Q"/);
    expect(() => encodeValues([1.5])).toThrow(/not an integer/);
  });

  it('decodes base64 with atob where the platform has neither Uint8Array.fromBase64 nor Buffer', () => {
    const native = base64Bytes('AAEC/w==');
    const text = encodeValues([-2, 300, 5, -32768, 32767]);
    vi.stubGlobal('Buffer', undefined);
    expect(Array.from(base64Bytes('AAEC/w=='))).toEqual([0, 1, 2, 255]);
    expect(Array.from(native)).toEqual([0, 1, 2, 255]);
    expect(text[0]).toBe('h');
    expect(Array.from(tableValues(text))).toEqual([-2, 300, 5, -32768, 32767]);
  });

  it('decodes base64 with Uint8Array.fromBase64 where the platform has it', () => {
    const seen: string[] = [];
    const native = Uint8Array as unknown as { fromBase64?: (text: string) => Uint8Array };
    const had = Object.getOwnPropertyDescriptor(Uint8Array, 'fromBase64');
    native.fromBase64 = (text) => {
      seen.push(text);
      return new Uint8Array([9, 8]);
    };
    try {
      expect(Array.from(base64Bytes('CQg='))).toEqual([9, 8]);
      expect(seen).toEqual(['CQg=']);
    } finally {
      if (had) Object.defineProperty(Uint8Array, 'fromBase64', had);
      else delete native.fromBase64;
    }
  });

  it('copies the values into the caller typed array, whole, as a head or at an offset', () => {
    const text = encodeValues([1, 2, 3]);
    expect(Array.from(parseValues(Int32Array, text))).toEqual([1, 2, 3]);
    const head = parseHead(Int16Array, 5, text);
    expect(Array.from(head)).toEqual([1, 2, 3, 0, 0]);
    fillValues(head, 3, encodeValues([-4, -5]));
    expect(Array.from(head)).toEqual([1, 2, 3, -4, -5]);
  });

  it('maps a one-byte index through a table of distinct values', () => {
    const out = parseIndexed(Int32Array, encodeValues([-5, 1 << 24, 7]), encodeValues([2, 0, 1, 1, 0]));
    expect(Array.from(out)).toEqual([7, -5, 1 << 24, 1 << 24, -5]);
  });

  it('expands distinct rows, as a text or as values, by a per-code row index', () => {
    const out = parseRows(Uint32Array, 2, encodeValues([7, 8, 9, 1 << 30]), Uint8Array, encodeValues([1, 0, 1]));
    expect(Array.from(out)).toEqual([9, 1 << 30, 7, 8, 9, 1 << 30]);
    const again = parseRows(Uint32Array, 2, [7, 8, 9, 1 << 30], Uint8Array, encodeValues([1, 0, 1]));
    expect(Array.from(again)).toEqual(Array.from(out));
  });
});

describe('NamePatterns', () => {
  it('puts each code mnemonic in title case where its pattern has a star and keeps star-less patterns as they are', () => {
    const patterns = new NamePatterns('INVALID *_rm8_r8 VEX_*_xmm_xmmm128 *', encodeValues([0, 1, 2, 3, 1]));
    const mnemonicOf = [0, 1, 2, 3, 4];
    const mnemonics = ['INVALID', 'ADD', 'VADDPS', 'PREFETCH_EXCLUSIVE', 'INT3'];
    const names = ['INVALID', 'Add_rm8_r8', 'VEX_Vaddps_xmm_xmmm128', 'Prefetch_exclusive', 'Int3_rm8_r8'];
    expect(patterns.length).toBe(5);
    expect(patterns.all(mnemonicOf, mnemonics)).toEqual(names);
    expect([4, 2, 0].map((i) => patterns.name(i, mnemonicOf, mnemonics))).toEqual([names[4], names[2], names[0]]);
  });
});
