// Property: for random mappings written by PageTableBuilder (any mode, any page size, anywhere in
// the linear address space), pageWalk finds exactly the mapped frame plus the offset, and an
// address no mapping covers faults with P=0. The builder shares tableIndex with the walk, so the
// index arithmetic itself is pinned by the access test's hand-computed entry addresses; this
// property pins page sizes, offsets, canonical upper halves and physical-address widths.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { guestPhysical as gpa } from '../addresses.ts';
import { PhysicalMemory } from '../memory/physical-memory.ts';
import { ACCESS_READ, CR0_PE, CR0_PG, CR4_LA57, CR4_PAE, CR4_PSE, EFER_LMA, EFER_LME } from './control-bits.ts';
import { pageWalk } from './page-walk.ts';
import { PageTableBuilder, type TableFormat } from './page-table-builder.ts';
import { PagingState } from './paging-state.ts';
import { WalkResult, WalkStatus } from './walk-result.ts';

const LONG = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.TYPEVISOR_LONG;

interface Mapping {
  /** Linear page number in units of the page size (kept small enough to be distinct). */
  slot: number;
  size: number;
  frame: number;
}

const SIZES: Record<TableFormat, number[]> = {
  bits32: [0x1000, 0x40_0000],
  pae: [0x1000, 0x20_0000],
  level4: [0x1000, 0x20_0000, 0x4000_0000],
  level5: [0x1000, 0x20_0000, 0x4000_0000],
  ept4: [],
  ept5: [],
};
/** Bits of linear address available in each mode. */
const WIDTH: Record<string, number> = { bits32: 32, pae: 32, level4: 48, level5: 57 };

function linearOf(format: TableFormat, m: Mapping): [number, number] {
  // Spread slots over the whole address space: multiply by a large odd stride, mask to the width.
  const width = WIDTH[format]!;
  const pages = 2 ** (width - Math.log2(m.size));
  const page = (m.slot * 0x9e3779b1) % pages;
  const address = page * m.size;
  let lo = address % 0x1_0000_0000;
  let hi = Math.floor(address / 0x1_0000_0000);
  // Canonical form: sign-extend the top bit into the high half.
  if (width > 32 && (hi & (2 ** (width - 33))) !== 0) hi = (hi | ~(2 ** (width - 32) - 1)) >>> 0;
  lo >>>= 0;
  return [lo, hi];
}

describe('pageWalk (property)', () => {
  it.each<TableFormat>(['bits32', 'pae', 'level4', 'level5'])(
    'finds every mapping written into %s tables, and faults on unmapped addresses',
    (format) => {
      const mapping = fc.record({
        slot: fc.nat(1 << 20),
        size: fc.constantFrom(...SIZES[format]),
        frame: fc.nat(0xff),
      });
      fc.assert(
        fc.property(
          fc.uniqueArray(mapping, { minLength: 1, maxLength: 12, selector: (m) => m.slot }),
          fc.nat(0xfff),
          (maps, offset) => {
            const mem = new PhysicalMemory();
            mem.addRam(gpa(0), 0x400_0000);
            let next = 0x100_0000;
            const tables = new PageTableBuilder(mem, format, () => (next += 0x1000));
            const state = new PagingState();
            state.cr0 = CR0_PE | CR0_PG;
            state.cr3 = tables.root;
            state.cr4 = format === 'bits32' ? CR4_PSE : CR4_PAE | (format === 'level5' ? CR4_LA57 : 0);
            if (format === 'level4' || format === 'level5') state.efer = EFER_LME | EFER_LMA;
            state.maxPhyAddr = 46;
            // Later mappings overwrite earlier ones that share a leaf: keep only what the tables hold.
            const live = new Map<string, { lo: number; hi: number; size: number; physical: number }>();
            for (const m of maps) {
              const [lo, hi] = linearOf(format, m);
              const physical = m.frame * 0x4000_0000 + (m.size === 0x4000_0000 ? 0 : 0x40_0000);
              const conflict = [...live.values()].some(
                (o) =>
                  o.hi === hi &&
                  Math.floor(o.lo / Math.max(o.size, m.size)) === Math.floor(lo / Math.max(o.size, m.size)),
              );
              // 32-bit PTEs hold 32-bit frames, PSE-36 and PAE reach 2^36 here (MAXPHYADDR 46).
              const limit =
                format === 'bits32' && m.size === 0x1000 ? 2 ** 32 : format.startsWith('level') ? 2 ** 46 : 2 ** 36;
              if (conflict || physical >= limit) continue;
              tables.map(lo, hi, physical, 0x7, 0, m.size);
              live.set(`${lo}:${hi}`, { lo, hi, size: m.size, physical });
            }
            const out = new WalkResult();
            for (const { lo, hi, size, physical } of live.values()) {
              const at = (lo + ((offset * 0x1000 + offset) % size)) >>> 0;
              if (!pageWalk(mem, state, at, hi, ACCESS_READ, out)) return false;
              if (out.physical !== physical + (at - lo) || out.pageSize !== size) return false;
            }
            // An address in the middle of nowhere (just past the top 1 GiB of the lower half) faults.
            const [lo, hi] = linearOf(format, { slot: 0x7fff_ffff, size: 0x1000, frame: 0 });
            const covered = [...live.values()].some((o) => o.hi === hi && lo >= o.lo && lo < o.lo + o.size);
            if (!covered) {
              if (pageWalk(mem, state, lo, hi, ACCESS_READ, out)) return false;
              if (out.status !== WalkStatus.PageFault || (out.errorCode & 1) !== 0) return false;
            }
            return true;
          },
        ),
        { numRuns: LONG ? 5000 : 150 },
      );
      expect(true).toBe(true);
    },
  );
});
