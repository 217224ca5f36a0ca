import { afterEach, describe, expect, it, vi } from 'vitest';

// What the import and the first decode unpack, counted through the table codec in a fresh module
// graph: cold start depends on the tables nobody asked for staying packed.
async function freshPackage() {
  vi.resetModules();
  const calls: string[] = [];
  vi.doMock('../table-codec.ts', async (importOriginal) => {
    const codec = await importOriginal<typeof import('../table-codec.ts')>();
    // each unpacking function records its name, the typed array it makes or fills, and for
    // fillValues the offset, for parseRows the row width
    const recorded = <A extends unknown[], R>(name: string, f: (...args: A) => R, withSecond: boolean) =>
      ((...args: A): R => {
        const target = args[0] as { name?: string; constructor: { name: string } };
        const what = typeof target === 'function' ? target.name : target.constructor.name;
        calls.push(withSecond ? `${name} ${what} ${String(args[1])}` : `${name} ${what}`);
        return f(...args);
      }) as (...args: A) => R;
    return {
      ...codec,
      parseValues: recorded('parseValues', codec.parseValues, false),
      parseHead: recorded('parseHead', codec.parseHead, false),
      fillValues: recorded('fillValues', codec.fillValues, true),
      parseIndexed: recorded('parseIndexed', codec.parseIndexed, false),
      parseRows: recorded('parseRows', codec.parseRows, true),
    };
  });
  const pkg = await import('../index.ts');
  return { pkg, calls };
}

afterEach(() => {
  vi.doUnmock('../table-codec.ts');
  vi.resetModules();
});

describe('decodeTables', () => {
  it('parses only the decode tree and the INFO rows at import, and unpacks nothing more for a first decode', async () => {
    const { pkg, calls } = await freshPackage();
    // DECODE_TREE, DECODE_ROOTS, HAS_MODRM, INFO_ROWS, CODE_INFO
    expect(calls).toHaveLength(5);
    const insn = new pkg.Instruction();
    new pkg.Decoder(64, new Uint8Array([0x48, 0x8b, 0x07])).decodeOut(insn);
    expect(insn.length).toBe(3);
    expect(calls).toHaveLength(5);
  });

  it('fills the VEX and EVEX part of the decode tables on the first VEX instruction, once', async () => {
    const { pkg, calls } = await freshPackage();
    const before = calls.length;
    const insn = new pkg.Instruction();
    // legacy maps (one-byte, 0F, 0F 38, 0F 3A) need no fill: add rax,rcx; pshufb xmm0,xmm1
    new pkg.Decoder(64, new Uint8Array([0x48, 0x01, 0xc8, 0x66, 0x0f, 0x38, 0x00, 0xc1])).decodeOut(insn);
    expect(calls).toHaveLength(before);
    // vaddps ymm0,ymm1,ymm2
    new pkg.Decoder(64, new Uint8Array([0xc5, 0xf4, 0x58, 0xc2])).decodeOut(insn);
    expect(insn.length).toBe(4);
    expect(new pkg.IntelFormatter().format(insn)).toBe('vaddps ymm0,ymm1,ymm2');
    // the tree's tail starts after the legacy maps' nodes; the slots' at map VEX.0F (4 * 256)
    expect(
      calls
        .slice(before)
        .filter((c) => c.startsWith('fill'))
        .map((c) => c.replace(/ \d+$/, (m) => (m === ' 1024' ? m : ' N'))),
    ).toEqual([
      'fillValues Int32Array N',
      'fillValues Uint16Array N',
      'fillValues Int16Array N',
      'fillValues Int16Array 1024',
      'fillValues Uint8Array 1024',
    ]);
    const after = calls.length;
    // EVEX needs nothing more: vaddps zmm0,zmm1,zmm2, in both slot tables
    const evex = new Uint8Array([0x62, 0xf1, 0x74, 0x48, 0x58, 0xc2]);
    for (const bits of [64, 32] as const) {
      new pkg.Decoder(bits, evex).decodeOut(insn);
      expect(insn.length).toBe(6);
      expect(new pkg.IntelFormatter().format(insn)).toBe('vaddps zmm0,zmm1,zmm2');
    }
    expect(calls.filter((c) => c.startsWith('fill'))).toHaveLength(5);
    expect(calls.slice(after).filter((c) => c.startsWith('fill'))).toEqual([]);
  });

  it('fills the VEX and EVEX part on the first EVEX instruction when no VEX one came first', async () => {
    const { pkg, calls } = await freshPackage();
    const before = calls.length;
    const insn = new pkg.Instruction();
    new pkg.Decoder(64, new Uint8Array([0x62, 0xf1, 0x74, 0x48, 0x58, 0xc2])).decodeOut(insn);
    expect(new pkg.IntelFormatter().format(insn)).toBe('vaddps zmm0,zmm1,zmm2');
    expect(calls.slice(before).filter((c) => c.startsWith('fill'))).toHaveLength(5);
    new pkg.Decoder(64, new Uint8Array([0xc5, 0xf4, 0x58, 0xc2])).decodeOut(insn);
    expect(new pkg.IntelFormatter().format(insn)).toBe('vaddps ymm0,ymm1,ymm2');
    expect(calls.filter((c) => c.startsWith('fill'))).toHaveLength(5);
  });

  it('gives the RFLAGS of a VEX or EVEX code set by hand before any VEX/EVEX decode (loading their rows first)', async () => {
    const { pkg, calls } = await freshPackage();
    const flagsOf = (name: string) => {
      const insn = new pkg.Instruction();
      insn.code = pkg.findCode(name);
      expect(insn.code).toBeGreaterThan(0);
      return [insn.flagsRead, insn.flagsWritten, insn.flagsCleared, insn.flagsSet];
    };
    // the legacy forms' rows are there from the import; VPTEST shares PTEST's row
    const ptest = flagsOf('Ptest_xmm_xmmm128');
    expect(ptest[1]).not.toBe(0);
    expect(flagsOf('Vptest_xmm_xmmm128')).toEqual(ptest);
    expect(calls.filter((c) => c.startsWith('fill'))).toEqual([]);
    // ANDN (VEX.0F38) has a row of its own: the first read loads the VEX/EVEX rows
    const andn = flagsOf('Andn_r32_r32_rm32');
    expect(calls.filter((c) => c.startsWith('fill'))).toHaveLength(5);
    expect(andn).toEqual(flagsOf('Andn_r32_r32_rm32'));
    expect(andn[1]).not.toBe(0);
  });

  it('gives the RFLAGS of an EVEX code set by hand before any VEX/EVEX decode', async () => {
    const { pkg, calls } = await freshPackage();
    const insn = new pkg.Instruction();
    insn.code = pkg.findCode('EVEX_Vcomiss_xmm_xmmm32');
    expect(insn.code).toBeGreaterThan(0);
    const comiss = new pkg.Instruction();
    comiss.code = pkg.findCode('Comiss_xmm_xmmm32');
    expect(insn.flagsWritten).toBe(comiss.flagsWritten);
    expect(insn.flagsWritten).not.toBe(0);
    expect(calls.filter((c) => c.startsWith('fill'))).toHaveLength(5);
  });

  it('decodes VEX and EVEX in a mode whose slot table was made before the VEX/EVEX tables were loaded, and in one made after', async () => {
    const { pkg } = await freshPackage();
    const insn = new pkg.Instruction();
    const evex = new Uint8Array([0x62, 0xf1, 0x74, 0x48, 0x58, 0xc2]);
    // the 32-bit slot table is made here (by a general-path decode), before any VEX/EVEX data is loaded
    // (a LOCK prefix always takes the general path: lock add [eax],ecx)
    const d32 = new pkg.Decoder(32, new Uint8Array([0xf0, 0x01, 0x08]));
    d32.decodeOut(insn);
    expect(insn.length).toBe(3);
    // the 64-bit one after: the first EVEX decode loads the tables and fills the 32-bit table's VEX/EVEX slots
    new pkg.Decoder(64, evex).decodeOut(insn);
    expect(new pkg.IntelFormatter().format(insn)).toBe('vaddps zmm0,zmm1,zmm2');
    d32.setBuffer(evex);
    d32.decodeOut(insn);
    expect(insn.length).toBe(6);
    expect(new pkg.IntelFormatter().format(insn)).toBe('vaddps zmm0,zmm1,zmm2');
    d32.setBuffer(new Uint8Array([0xc5, 0xf4, 0x58, 0xc2]));
    d32.decodeOut(insn);
    expect(new pkg.IntelFormatter().format(insn)).toBe('vaddps ymm0,ymm1,ymm2');
  });

  it('fills the VEX/EVEX part before decodeTables hands out the decode tree, roots and ModRM flags', async () => {
    const { pkg, calls } = await freshPackage();
    const before = calls.length;
    const roots = pkg.decodeTables.DECODE_ROOTS;
    expect(calls.slice(before)).toHaveLength(5);
    // VEX.0F 58 and EVEX.0F 58 (VADDPS/VADDPD) have a tree and a ModRM byte
    expect(roots[4 * 256 + 0x58]).toBeGreaterThan(0);
    expect(roots[7 * 256 + 0x58]).toBeGreaterThan(0);
    expect(pkg.decodeTables.HAS_MODRM[7 * 256 + 0x58]).toBe(1);
    expect(pkg.decodeTables.DECODE_TREE[pkg.decodeTables.DECODE_TREE.length - 1]).not.toBe(0);
    expect(calls.slice(before)).toHaveLength(5);
  });

  it('builds a lazy table on its first read and returns the same array afterwards', async () => {
    const { pkg, calls } = await freshPackage();
    const before = calls.length;
    const ops = pkg.decodeTables.CODE_OPS;
    expect(calls.slice(before)).toEqual(['parseIndexed Uint32Array', 'parseRows Uint32Array 5']);
    expect(pkg.decodeTables.CODE_OPS).toBe(ops);
    expect(ops).toHaveLength(pkg.CODE_COUNT * 5);
    expect(calls).toHaveLength(before + 2);
  });

  it('unpacks the formatter tables when the first formatter is made, not before', async () => {
    const { pkg, calls } = await freshPackage();
    const before = calls.length;
    const insn = new pkg.Instruction();
    new pkg.Decoder(64, new Uint8Array([0x48, 0x8b, 0x07])).decodeOut(insn);
    expect(calls).toHaveLength(before);
    expect(new pkg.IntelFormatter().format(insn)).toBe('mov rax,[rdi]');
    // CODE_ATTRS, CODE_OPS (its distinct rows, then the rows per code), CODE_MNEMONIC
    expect(calls.slice(before).sort()).toEqual([
      'parseIndexed Uint32Array',
      'parseIndexed Uint32Array',
      'parseRows Uint32Array 5',
      'parseValues Uint16Array',
    ]);
  });

  it('is frozen and has every table of the generated module', async () => {
    const { pkg } = await freshPackage();
    expect(Object.isFrozen(pkg.decodeTables)).toBe(true);
    expect(Object.keys(pkg.decodeTables).sort()).toEqual(
      [
        'ATTR_NAMES',
        'CODE_ATTRS',
        'CODE_COUNT',
        'CODE_CPU',
        'CODE_EVEX',
        'CODE_INFO',
        'CODE_MNEMONIC',
        'CODE_NAMES',
        'CODE_OPS',
        'CPU_FEATURE_NAMES',
        'DECODE_ROOTS',
        'DECODE_TREE',
        'FLAG_ROWS',
        'HAS_MODRM',
        'INFO_ROWS',
        'INFO_STRIDE',
        'MNEMONIC_NAMES',
      ].sort(),
    );
    expect(pkg.decodeTables.CODE_NAMES).toHaveLength(pkg.CODE_COUNT);
    expect(pkg.decodeTables.CODE_MNEMONIC).toHaveLength(pkg.CODE_COUNT);
    expect(pkg.decodeTables.MNEMONIC_NAMES[pkg.decodeTables.CODE_MNEMONIC[1]!]).toBe('ADD');
  });
});
