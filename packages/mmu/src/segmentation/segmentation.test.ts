import { describe, expect, it } from 'vitest';
import {
  DescriptorFields,
  decodeDescriptor,
  encodeDescriptor,
  makeSegmentDescriptor,
  SystemType,
} from './descriptor.ts';
import { checkCanonical, checkSegmentAccess, linearAddress, SegAccess } from './segment-access.ts';
import { AR_UNUSABLE, SegmentFault, SegmentRegister, SegReg } from './segment-register.ts';
import { CpuMode, type DescriptorTableAccess, loadSegment, SegmentationContext } from './selector-load.ts';

// Type values: data RW = 0x3 (accessed), data RO = 0x1, code exec-only = 0x9, code RX = 0xb,
// conforming RX = 0xf, expand-down RW = 0x7.
const GDT_BASE = 0x1000;
const LDT_BASE = 0x3000;

/** A flat linear memory holding the GDT at 0x1000 (32 entries) and an LDT at 0x3000. */
function machine(mode: CpuMode = CpuMode.Protected, cpl = 0) {
  const bytes = new Uint8Array(0x10000);
  const view = new DataView(bytes.buffer);
  let failReads = false;
  const memory: DescriptorTableAccess = {
    readLinear32: (lo) => (failReads ? -1 : view.getUint32(lo, true)),
    writeLinear32: (lo, _hi, v) => {
      view.setUint32(lo, v, true);
      return true;
    },
  };
  const ctx = new SegmentationContext(memory);
  ctx.mode = mode;
  ctx.cpl = cpl;
  ctx.gdtrBaseLo = GDT_BASE;
  ctx.gdtrLimit = 32 * 8 - 1;
  const put = (index: number, [lo, hi]: [number, number], base = GDT_BASE) => {
    view.setUint32(base + index * 8, lo, true);
    view.setUint32(base + index * 8 + 4, hi, true);
  };
  // GDT layout used by the tables below.
  put(1, makeSegmentDescriptor(0, 0xfffff, 0xb, { granularity: true })); // 0x08 code RX DPL0
  put(2, makeSegmentDescriptor(0, 0xfffff, 0x3, { granularity: true })); // 0x10 data RW DPL0
  put(3, makeSegmentDescriptor(0, 0xfffff, 0xb, { granularity: true, dpl: 3 })); // 0x18 code DPL3
  put(4, makeSegmentDescriptor(0, 0xfffff, 0x3, { granularity: true, dpl: 3 })); // 0x20 data DPL3
  put(5, makeSegmentDescriptor(0, 0xffff, 0x1)); // 0x28 data read-only DPL0
  put(6, makeSegmentDescriptor(0, 0xffff, 0x9)); // 0x30 code execute-only
  put(7, makeSegmentDescriptor(0, 0xffff, 0xf)); // 0x38 conforming readable code DPL0
  put(8, makeSegmentDescriptor(0, 0xffff, 0x3, { present: false })); // 0x40 not-present data
  put(9, makeSegmentDescriptor(LDT_BASE, 0xff, SystemType.Ldt, { s: false })); // 0x48 LDT
  put(10, makeSegmentDescriptor(0x5000, 0x67, SystemType.TssAvailable, { s: false })); // 0x50 TSS
  put(11, makeSegmentDescriptor(0x5000, 0x67, SystemType.TssBusy, { s: false })); // 0x58 busy TSS
  put(12, makeSegmentDescriptor(0, 0xfffff, 0xb, { long: true, db: false, granularity: true })); // 0x60 64-bit code
  put(13, makeSegmentDescriptor(0, 0xfffff, 0xb, { long: true, db: true, granularity: true })); // 0x68 L=1 D=1
  put(14, makeSegmentDescriptor(0, 0xffff, 0xb, { present: false })); // 0x70 not-present code
  put(15, makeSegmentDescriptor(0, 0xffff, 0x3, { present: false, dpl: 0 })); // 0x78 not-present stack
  put(16, makeSegmentDescriptor(0, 0xffff, 0x2, {})); // 0x80 data RW not yet accessed
  put(17, makeSegmentDescriptor(LDT_BASE, 0xff, SystemType.Ldt, { s: false, present: false })); // 0x88
  put(18, makeSegmentDescriptor(0x5000, 0x67, SystemType.TssAvailable, { s: false, present: false })); // 0x90
  put(19, makeSegmentDescriptor(0, 0xffff, 0x3, { dpl: 1 })); // 0x98 data DPL1
  put(1, makeSegmentDescriptor(0x1234, 0xffff, 0x3), LDT_BASE); // LDT 0x0c data
  return {
    ctx,
    view,
    seg: new SegmentRegister(),
    fault: new SegmentFault(),
    failReads: () => {
      failReads = true;
    },
  };
}

type Row = [string, SegReg, number, number, CpuMode, number | null, number];
// [name, register, selector, CPL, mode, expected vector (null = loads), expected error code]
const cases: Row[] = [
  ['DS: a null selector loads an unusable segment', SegReg.DS, 0x0003, 3, CpuMode.Protected, null, 0],
  ['DS: a selector beyond the GDT limit', SegReg.DS, 0x0100, 0, CpuMode.Protected, 13, 0x100],
  ['DS: an LDT selector with no LDT loaded', SegReg.DS, 0x000c, 0, CpuMode.Protected, 13, 0x0c],
  ['DS: a system descriptor', SegReg.DS, 0x0048, 0, CpuMode.Protected, 13, 0x48],
  ['DS: execute-only code', SegReg.DS, 0x0030, 0, CpuMode.Protected, 13, 0x30],
  ['DS: readable code', SegReg.DS, 0x0008, 0, CpuMode.Protected, null, 0],
  ['DS: DPL 0 data at CPL 3', SegReg.DS, 0x0013, 3, CpuMode.Protected, 13, 0x10],
  ['DS: DPL 0 data with RPL 3 at CPL 0', SegReg.DS, 0x0013, 0, CpuMode.Protected, 13, 0x10],
  ['DS: DPL 3 data with RPL 3 at CPL 0', SegReg.DS, 0x0023, 0, CpuMode.Protected, null, 0],
  ['DS: DPL 1 data at CPL 2', SegReg.DS, 0x009a, 2, CpuMode.Protected, 13, 0x98],
  ['DS: conforming readable code at CPL 3 ignores DPL', SegReg.DS, 0x003b, 3, CpuMode.Protected, null, 0],
  ['DS: a not-present segment', SegReg.DS, 0x0040, 0, CpuMode.Protected, 11, 0x40],
  ['FS: a not-present segment in 64-bit mode', SegReg.FS, 0x0040, 0, CpuMode.Long64, 11, 0x40],
  ['SS: a null selector', SegReg.SS, 0x0000, 0, CpuMode.Protected, 13, 0],
  ['SS: a null selector at CPL 0 in 64-bit mode', SegReg.SS, 0x0000, 0, CpuMode.Long64, null, 0],
  ['SS: a null selector at CPL 3 in 64-bit mode', SegReg.SS, 0x0003, 3, CpuMode.Long64, 13, 0],
  ['SS: a null selector with RPL != CPL in 64-bit mode', SegReg.SS, 0x0000, 1, CpuMode.Long64, 13, 0],
  ['SS: RPL != CPL', SegReg.SS, 0x0013, 0, CpuMode.Protected, 13, 0x10],
  ['SS: a read-only data segment', SegReg.SS, 0x0028, 0, CpuMode.Protected, 13, 0x28],
  ['SS: a code segment', SegReg.SS, 0x0008, 0, CpuMode.Protected, 13, 0x08],
  ['SS: writable DPL 3 data at CPL 3 with RPL 3', SegReg.SS, 0x0023, 3, CpuMode.Protected, null, 0],
  ['SS: DPL 3 data at CPL 0 with RPL 0', SegReg.SS, 0x0020, 0, CpuMode.Protected, 13, 0x20],
  ['SS: a selector beyond the GDT limit', SegReg.SS, 0x0200, 0, CpuMode.Protected, 13, 0x200],
  ['SS: a not-present stack segment raises #SS', SegReg.SS, 0x0078, 0, CpuMode.Protected, 12, 0x78],
  ['CS: a null selector', SegReg.CS, 0x0000, 0, CpuMode.Protected, 13, 0],
  ['CS: a data segment', SegReg.CS, 0x0010, 0, CpuMode.Protected, 13, 0x10],
  ['CS: a system descriptor', SegReg.CS, 0x0050, 0, CpuMode.Protected, 13, 0x50],
  ['CS: non-conforming with DPL != CPL', SegReg.CS, 0x0018, 0, CpuMode.Protected, 13, 0x18],
  ['CS: non-conforming with RPL > CPL', SegReg.CS, 0x000b, 0, CpuMode.Protected, 13, 0x08],
  ['CS: conforming with DPL <= CPL', SegReg.CS, 0x0038, 3, CpuMode.Protected, null, 0],
  ['CS: conforming with DPL > CPL', SegReg.CS, 0x001b, 3, CpuMode.Protected, null, 0],
  ['CS: not present', SegReg.CS, 0x0070, 0, CpuMode.Protected, 11, 0x70],
  ['CS: L=1 and D=1 in IA-32e mode', SegReg.CS, 0x0068, 0, CpuMode.Long64, 13, 0x68],
  ['CS: a 64-bit code segment in IA-32e mode', SegReg.CS, 0x0060, 0, CpuMode.Long64, null, 0],
  ['LDTR: at CPL 3', SegReg.LDTR, 0x0048, 3, CpuMode.Protected, 13, 0],
  ['LDTR: an LDT (TI=1) selector keeps TI in the error code', SegReg.LDTR, 0x004c, 0, CpuMode.Protected, 13, 0x4c],
  ['LDTR: not an LDT descriptor', SegReg.LDTR, 0x0050, 0, CpuMode.Protected, 13, 0x50],
  ['LDTR: a not-present LDT', SegReg.LDTR, 0x0088, 0, CpuMode.Protected, 11, 0x88],
  ['LDTR: a null selector loads an unusable LDTR', SegReg.LDTR, 0x0000, 0, CpuMode.Protected, null, 0],
  ['TR: a null selector', SegReg.TR, 0x0000, 0, CpuMode.Protected, 13, 0],
  ['TR: at CPL 3', SegReg.TR, 0x0050, 3, CpuMode.Protected, 13, 0],
  ['TR: a busy TSS', SegReg.TR, 0x0058, 0, CpuMode.Protected, 13, 0x58],
  ['TR: not a TSS', SegReg.TR, 0x0010, 0, CpuMode.Protected, 13, 0x10],
  ['TR: a not-present TSS', SegReg.TR, 0x0090, 0, CpuMode.Protected, 11, 0x90],
  ['TR: an available TSS', SegReg.TR, 0x0050, 0, CpuMode.Protected, null, 0],
];

describe('loadSegment', () => {
  it.each(cases)('%s', (_name, reg, selector, cpl, mode, vector, errorCode) => {
    const { ctx, seg, fault } = machine(mode, cpl);
    const ok = loadSegment(ctx, reg, selector, seg, fault);
    if (vector === null) {
      expect(ok).toBe(true);
      expect(fault.vector).toBe(0);
    } else {
      expect(ok).toBe(false);
      expect([fault.vector, fault.errorCode]).toEqual([vector, errorCode]);
    }
  });

  it('fills the hidden cache and sets the accessed bit in the descriptor', () => {
    const { ctx, view, seg, fault } = machine();
    expect(loadSegment(ctx, SegReg.DS, 0x80, seg, fault)).toBe(true);
    expect(view.getUint32(GDT_BASE + 16 * 8 + 4, true) & 0x100).toBe(0x100);
    expect([seg.selector, seg.baseLo, seg.limit, seg.accessRights]).toEqual([0x80, 0, 0xffff, 0x4093]);
  });

  it('scales a page-granular limit and gives CS the CPL as RPL', () => {
    const { ctx, seg, fault } = machine(CpuMode.Protected, 3);
    expect(loadSegment(ctx, SegReg.CS, 0x38, seg, fault)).toBe(true);
    expect(seg.selector).toBe(0x3b);
    expect(loadSegment(ctx, SegReg.DS, 0x23, seg, fault)).toBe(true);
    expect(seg.limit).toBe(0xffffffff);
  });

  it('loads through the LDT once LLDT has loaded one', () => {
    const { ctx, seg, fault } = machine();
    expect(loadSegment(ctx, SegReg.LDTR, 0x48, ctx.ldtr, fault)).toBe(true);
    expect(loadSegment(ctx, SegReg.DS, 0x0c, seg, fault)).toBe(true);
    expect(seg.baseLo).toBe(0x1234);
    expect(loadSegment(ctx, SegReg.DS, 0x0100 | 4, seg, fault)).toBe(false);
    expect([fault.vector, fault.errorCode]).toEqual([13, 0x104]);
  });

  it('marks the TSS busy on LTR', () => {
    const { ctx, view, seg, fault } = machine();
    expect(loadSegment(ctx, SegReg.TR, 0x50, seg, fault)).toBe(true);
    expect((view.getUint32(GDT_BASE + 10 * 8 + 4, true) >>> 8) & 0xf).toBe(SystemType.TssBusy);
    expect(loadSegment(ctx, SegReg.TR, 0x50, seg, fault)).toBe(false);
  });

  it('reads 16-byte LDT and TSS descriptors in IA-32e mode and checks the upper type field', () => {
    const { ctx, view, seg, fault } = machine(CpuMode.Long64);
    view.setUint32(GDT_BASE + 11 * 8, 0xffff8000, true); // upper half of the 0x50 TSS: base 63:32
    view.setUint32(GDT_BASE + 11 * 8 + 4, 0, true);
    expect(loadSegment(ctx, SegReg.TR, 0x50, seg, fault)).toBe(true);
    expect([seg.baseLo, seg.baseHi]).toEqual([0x5000, 0xffff8000]);
    const again = machine(CpuMode.Long64);
    again.view.setUint32(GDT_BASE + 11 * 8 + 4, 0x0900, true);
    expect(loadSegment(again.ctx, SegReg.TR, 0x50, again.seg, again.fault)).toBe(false);
    expect([again.fault.vector, again.fault.errorCode]).toEqual([13, 0x50]);
    const nonCanonical = machine(CpuMode.Long64);
    nonCanonical.view.setUint32(GDT_BASE + 11 * 8, 0x00ff0000, true);
    nonCanonical.view.setUint32(GDT_BASE + 11 * 8 + 4, 0, true);
    expect(loadSegment(nonCanonical.ctx, SegReg.TR, 0x50, nonCanonical.seg, nonCanonical.fault)).toBe(false);
  });

  it('raises #TS(selector) instead of #GP during a task switch, with EXT when asked', () => {
    const { ctx, seg, fault } = machine();
    ctx.taskSwitch = true;
    ctx.ext = true;
    expect(loadSegment(ctx, SegReg.DS, 0x30, seg, fault)).toBe(false);
    expect([fault.vector, fault.errorCode]).toEqual([10, 0x31]);
    expect(loadSegment(ctx, SegReg.DS, 0x40, seg, fault)).toBe(false);
    expect([fault.vector, fault.errorCode]).toEqual([11, 0x41]);
  });

  it('sets base = selector * 16 in real mode and fixed attributes in virtual-8086 mode', () => {
    const real = machine(CpuMode.Real);
    real.seg.limit = 0xffffffff; // "big real mode" limits survive a real-mode load
    expect(loadSegment(real.ctx, SegReg.DS, 0xf000, real.seg, real.fault)).toBe(true);
    expect([real.seg.baseLo, real.seg.limit]).toEqual([0xf0000, 0xffffffff]);
    const v86 = machine(CpuMode.Virtual8086, 3);
    expect(loadSegment(v86.ctx, SegReg.SS, 0x1234, v86.seg, v86.fault)).toBe(true);
    expect([v86.seg.baseLo, v86.seg.limit, v86.seg.dpl]).toEqual([0x12340, 0xffff, 3]);
  });

  it('stops with vector 0 when reading the descriptor table faults in memory', () => {
    const { ctx, seg, fault, failReads } = machine();
    failReads();
    expect(loadSegment(ctx, SegReg.DS, 0x10, seg, fault)).toBe(false);
    expect(fault.vector).toBe(0);
  });
});

function segment(accessRights: number, limit: number): SegmentRegister {
  const s = new SegmentRegister();
  s.accessRights = accessRights;
  s.limit = limit;
  return s;
}

describe('checkSegmentAccess', () => {
  const DATA_RW = 0x93;
  const DATA_RO = 0x91;
  const CODE_XO = 0x99;
  const CODE_RX = 0x9b;
  const DOWN_16 = 0x97;
  const DOWN_32 = 0x4097;
  type CheckRow = [string, SegReg, number, number, number, number, SegAccess, CpuMode, number | null];
  const rows: CheckRow[] = [
    ['a read inside an expand-up limit', SegReg.DS, DATA_RW, 0xfff, 0xffc, 4, SegAccess.Read, CpuMode.Protected, null],
    ['a read crossing an expand-up limit', SegReg.DS, DATA_RW, 0xfff, 0xffd, 4, SegAccess.Read, CpuMode.Protected, 13],
    ['a push crossing the SS limit', SegReg.SS, DATA_RW, 0xfff, 0xffe, 4, SegAccess.Write, CpuMode.Protected, 12],
    ['a write to read-only data', SegReg.DS, DATA_RO, 0xffff, 0, 1, SegAccess.Write, CpuMode.Protected, 13],
    ['a write to code', SegReg.ES, CODE_RX, 0xffff, 0, 1, SegAccess.Write, CpuMode.Protected, 13],
    ['a read of execute-only code', SegReg.CS, CODE_XO, 0xffff, 0, 1, SegAccess.Read, CpuMode.Protected, 13],
    ['a fetch from execute-only code', SegReg.CS, CODE_XO, 0xffff, 0, 1, SegAccess.Execute, CpuMode.Protected, null],
    ['a fetch from a data segment', SegReg.CS, DATA_RW, 0xffff, 0, 1, SegAccess.Execute, CpuMode.Protected, 13],
    [
      'any access through an unusable segment',
      SegReg.DS,
      AR_UNUSABLE,
      0xffff,
      0,
      1,
      SegAccess.Read,
      CpuMode.Protected,
      13,
    ],
    [
      'expand-down: an offset at the limit',
      SegReg.DS,
      DOWN_16,
      0x0fff,
      0x0fff,
      1,
      SegAccess.Read,
      CpuMode.Protected,
      13,
    ],
    [
      'expand-down: just above the limit',
      SegReg.DS,
      DOWN_16,
      0x0fff,
      0x1000,
      2,
      SegAccess.Read,
      CpuMode.Protected,
      null,
    ],
    ['expand-down 16-bit: past 0xFFFF', SegReg.DS, DOWN_16, 0x0fff, 0xfffe, 4, SegAccess.Read, CpuMode.Protected, 13],
    [
      'expand-down 32-bit: past 0xFFFF is fine',
      SegReg.SS,
      DOWN_32,
      0x0fff,
      0xfffe,
      4,
      SegAccess.Write,
      CpuMode.Protected,
      null,
    ],
    [
      'expand-down stack: at the limit raises #SS',
      SegReg.SS,
      DOWN_32,
      0x0fff,
      0x0ffc,
      4,
      SegAccess.Write,
      CpuMode.Protected,
      12,
    ],
    ['real mode: a word at 0xFFFF', SegReg.DS, DATA_RW, 0xffff, 0xffff, 2, SegAccess.Read, CpuMode.Real, 13],
    ['real mode: type is not checked', SegReg.DS, DATA_RO, 0xffff, 0, 2, SegAccess.Write, CpuMode.Real, null],
    [
      'virtual-8086 mode: SS beyond the limit',
      SegReg.SS,
      0xf3,
      0xffff,
      0xffff,
      2,
      SegAccess.Read,
      CpuMode.Virtual8086,
      12,
    ],
    ['64-bit mode ignores limits', SegReg.DS, DATA_RW, 0, 0x1000, 8, SegAccess.Write, CpuMode.Long64, null],
  ];
  it.each(rows)('%s', (_name, reg, ar, limit, offset, size, kind, mode, vector) => {
    const fault = new SegmentFault();
    const ok = checkSegmentAccess(mode, reg, segment(ar, limit), offset, size, kind, fault);
    expect(ok).toBe(vector === null);
    if (vector !== null) expect([fault.vector, fault.errorCode]).toEqual([vector, 0]);
  });
});

describe('checkCanonical', () => {
  it.each([
    [0x0000_7fff, false, false, null],
    [0x0000_8000, false, false, 13],
    [0x0000_8000, false, true, 12],
    [0xffff_8000, false, false, null],
    [0xfffe_8000, false, true, 12],
    [0x0000_8000, true, false, null],
    [0x00ff_ffff, true, false, null],
    [0x0100_0000, true, true, 12],
    [0xff80_0000, true, false, null],
  ])('address hi=%s (LA57 %s, stack %s) -> %s', (hi, la57, stack, vector) => {
    const fault = new SegmentFault();
    expect(checkCanonical(0, hi, la57, stack, fault)).toBe(vector === null);
    if (vector !== null) expect([fault.vector, fault.errorCode]).toEqual([vector, 0]);
  });
});

describe('linearAddress', () => {
  it('adds the base only for FS and GS in 64-bit mode, with carry into the high half', () => {
    const out = new Uint32Array(2);
    const fs = new SegmentRegister();
    fs.baseLo = 0xffff_f000;
    fs.baseHi = 0xffff_8000;
    linearAddress(CpuMode.Long64, SegReg.FS, fs, 0x2000, 0, out);
    expect([...out]).toEqual([0x1000, 0xffff_8001]);
    linearAddress(CpuMode.Long64, SegReg.DS, fs, 0x2000, 0, out);
    expect([...out]).toEqual([0x2000, 0]);
    linearAddress(CpuMode.Protected, SegReg.DS, fs, 0x2000, 0, out);
    expect([...out]).toEqual([0x1000, 0]);
  });
});

describe('descriptors', () => {
  it('round-trips a code/data descriptor through encode and decode', () => {
    const [lo, hi] = makeSegmentDescriptor(0x12345678, 0xabcde, 0xb, { dpl: 3, granularity: true, db: true });
    const d = new DescriptorFields();
    decodeDescriptor(lo, hi, d);
    expect([d.base, d.limit, d.type, d.dpl, d.s, d.present, d.granularity, d.db]).toEqual([
      0x12345678,
      0xabcde,
      0xb,
      3,
      true,
      true,
      true,
      true,
    ]);
    expect(d.effectiveLimit()).toBe(0xabcdefff);
    const out = new Uint32Array(2);
    encodeDescriptor(d, out);
    expect([...out]).toEqual([lo, hi]);
  });

  it('decodes the flat 64-bit kernel code descriptor 0x00af9a000000ffff', () => {
    const d = new DescriptorFields();
    decodeDescriptor(0x0000ffff, 0x00af9a00, d);
    expect([d.long, d.db, d.dpl, d.type, d.granularity]).toEqual([true, false, 0, 0xa, true]);
  });

  it('encodes and decodes a 64-bit interrupt gate with IST and the upper offset', () => {
    const g = new DescriptorFields();
    g.type = SystemType.InterruptGate;
    g.present = true;
    g.dpl = 3;
    g.selector = 0x10;
    g.offset = 0x89abcdef;
    g.offsetHigh = 0xffffffff;
    g.ist = 2;
    const out = new Uint32Array(4);
    encodeDescriptor(g, out, true);
    const back = new DescriptorFields();
    decodeDescriptor(out[0]!, out[1]!, back, out[2]!);
    expect(back.isGate()).toBe(true);
    expect([back.selector, back.offset, back.offsetHigh, back.ist, back.dpl]).toEqual([
      0x10, 0x89abcdef, 0xffffffff, 2, 3,
    ]);
  });

  it('encodes a call gate parameter count', () => {
    const g = new DescriptorFields();
    g.type = SystemType.CallGate;
    g.present = true;
    g.paramCount = 5;
    g.selector = 0x8;
    const out = new Uint32Array(2);
    encodeDescriptor(g, out, true);
    const back = new DescriptorFields();
    decodeDescriptor(out[0]!, out[1]!, back);
    expect(back.paramCount).toBe(5);
  });
});
