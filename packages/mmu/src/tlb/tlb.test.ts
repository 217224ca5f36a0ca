import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { guestPhysical as gpa } from '../addresses.ts';
import { EptState } from '../ept/ept-state.ts';
import { PhysicalMemory } from '../memory/physical-memory.ts';
import {
  ACCESS_NO_AD_UPDATE,
  ACCESS_READ,
  ACCESS_USER,
  ACCESS_WRITE,
  CR0_PE,
  CR0_PG,
  CR0_WP,
  CR4_PAE,
  CR4_PCIDE,
  CR4_PGE,
  CR4_SMEP,
  EFER_LMA,
  EFER_LME,
  EFER_NXE,
} from '../paging/control-bits.ts';
import { pageWalk } from '../paging/page-walk.ts';
import { PageTableBuilder } from '../paging/page-table-builder.ts';
import { PagingState } from '../paging/paging-state.ts';
import { WalkResult } from '../paging/walk-result.ts';
import { Tlb } from './tlb.ts';

const LONG = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.TYPEVISOR_LONG;

function setup(cr4Extra = 0) {
  const mem = new PhysicalMemory();
  mem.addRam(gpa(0), 64 * 1024 * 1024);
  let next = 0x10_0000;
  const tables = new PageTableBuilder(mem, 'level4', () => {
    next += 0x1000;
    return next;
  });
  const state = new PagingState();
  state.cr0 = CR0_PE | CR0_PG | CR0_WP;
  state.cr4 = CR4_PAE | cr4Extra;
  state.efer = EFER_LME | EFER_LMA | EFER_NXE;
  state.cr3 = tables.root;
  return { mem, tables, state, tlb: new Tlb(256), out: new WalkResult() };
}

describe('Tlb', () => {
  it('serves a repeated translation from the TLB after one walk', () => {
    const { mem, tables, state, tlb, out } = setup();
    tables.map(0x1000, 0, 0x5000, 0x7);
    expect(tlb.translate(mem, state, 0x1010, 0, ACCESS_READ, out)).toBe(true);
    expect(tlb.translate(mem, state, 0x1020, 0, ACCESS_READ, out)).toBe(true);
    expect(out.physical).toBe(0x5020);
    expect([tlb.misses, tlb.hits]).toEqual([1, 1]);
  });

  it('keeps using a stale translation after the PTE changes until INVLPG', () => {
    const { mem, tables, state, tlb, out } = setup();
    const pte = tables.map(0x1000, 0, 0x5000, 0x7);
    tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out);
    mem.write64(gpa(pte), 0x6000 | 0x27, 0);
    tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out);
    expect(out.physical).toBe(0x5000);
    tlb.invlpg(state, 0x1abc, 0);
    tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out);
    expect(out.physical).toBe(0x6000);
  });

  it('still translates an unmapped page from the stale entry (no fault) until invalidated', () => {
    const { mem, tables, state, tlb, out } = setup();
    const pte = tables.map(0x1000, 0, 0x5000, 0x7);
    tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out);
    mem.write64(gpa(pte), 0, 0);
    expect(tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out)).toBe(true);
    tlb.invlpg(state, 0x1000, 0);
    expect(tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out)).toBe(false);
    expect(out.errorCode).toBe(0);
  });

  it('re-walks a write to a page cached clean, so the dirty flag gets set', () => {
    const { mem, tables, state, tlb, out } = setup();
    const pte = tables.map(0x1000, 0, 0x5000, 0x7);
    tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out);
    expect(mem.read32(gpa(pte)) & 0x40).toBe(0);
    tlb.translate(mem, state, 0x1000, 0, ACCESS_WRITE, out);
    expect(mem.read32(gpa(pte)) & 0x40).toBe(0x40);
    expect(tlb.misses).toBe(2);
  });

  it('checks cached rights against the current CR0.WP without a flush', () => {
    const { mem, tables, state, tlb, out } = setup();
    tables.map(0x1000, 0, 0x5000, 0x5); // read-only user page
    state.cr0 &= ~CR0_WP;
    expect(tlb.translate(mem, state, 0x1000, 0, ACCESS_WRITE, out)).toBe(true);
    state.cr0 |= CR0_WP;
    expect(tlb.translate(mem, state, 0x1000, 0, ACCESS_WRITE, out)).toBe(false);
    expect(out.errorCode).toBe(0x3);
  });

  it('tags entries with the PCID: another PCID misses, MOV to CR3 with no-flush keeps them', () => {
    const { mem, tables, state, tlb, out } = setup(CR4_PCIDE);
    const pte = tables.map(0x1000, 0, 0x5000, 0x7);
    tlb.movToCr3(state, tables.root | 1, false);
    tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out);
    mem.write64(gpa(pte), 0x6000 | 0x27, 0);
    tlb.movToCr3(state, tables.root | 2, false);
    tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out);
    expect(out.physical).toBe(0x6000); // PCID 2 had nothing cached
    tlb.movToCr3(state, tables.root | 1, true);
    tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out);
    expect(out.physical).toBe(0x5000); // PCID 1's stale entry survived the no-flush switch
    tlb.movToCr3(state, tables.root | 1, false);
    tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out);
    expect(out.physical).toBe(0x6000);
  });

  it('keeps global entries across MOV to CR3 and drops them when CR4.PGE changes', () => {
    const { mem, tables, state, tlb, out } = setup(CR4_PGE);
    const pte = tables.map(0x1000, 0, 0x5000, 0x107);
    tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out);
    mem.write64(gpa(pte), 0x6000 | 0x127, 0);
    tlb.movToCr3(state, state.cr3, false);
    tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out);
    expect(out.physical).toBe(0x5000);
    tlb.movToCr4(state, state.cr4 & ~CR4_PGE);
    tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out);
    expect(out.physical).toBe(0x6000);
  });

  it.each([
    ['clearing CR0.PG', (t: Tlb, s: PagingState) => t.movToCr0(s, s.cr0 & ~CR0_PG), true],
    ['toggling CR4.PGE', (t: Tlb, s: PagingState) => t.movToCr4(s, s.cr4 ^ CR4_PGE), true],
    ['setting CR4.SMEP', (t: Tlb, s: PagingState) => t.movToCr4(s, s.cr4 | CR4_SMEP), true],
    ['clearing CR0.WP', (t: Tlb, s: PagingState) => t.movToCr0(s, s.cr0 & ~CR0_WP), false],
    ['MOV to CR3 (globals survive)', (t: Tlb, s: PagingState) => t.movToCr3(s, s.cr3, false), false],
  ])('flushes the global entry on %s: %s', (_name, op, flushes) => {
    const { mem, tables, state, tlb, out } = setup(CR4_PGE);
    tables.map(0x1000, 0, 0x5000, 0x107);
    tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out);
    op(tlb, state);
    expect(tlb.validEntries()).toBe(flushes ? 0 : 1);
  });

  it('drops every fragment of a 2 MiB page on INVLPG of any address in it', () => {
    const { mem, tables, state, tlb, out } = setup();
    tables.map(0x20_0000, 0, 0x40_0000, 0x7, 0, 0x20_0000);
    for (let a = 0x20_0000; a < 0x20_8000; a += 0x1000) tlb.translate(mem, state, a, 0, ACCESS_READ, out);
    expect(tlb.validEntries()).toBe(8);
    tlb.invlpg(state, 0x3f_f000, 0);
    expect(tlb.validEntries()).toBe(0);
  });

  it('implements the INVPCID types and refuses bad ones', () => {
    const { mem, tables, state, tlb, out } = setup(CR4_PCIDE | CR4_PGE);
    tables.map(0x1000, 0, 0x5000, 0x7);
    tables.map(0x2000, 0, 0x6000, 0x107);
    const fill = (pcid: number) => {
      tlb.movToCr3(state, tables.root | pcid, true);
      tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out);
      tlb.translate(mem, state, 0x2000, 0, ACCESS_READ, out);
    };
    fill(1);
    expect(tlb.validEntries()).toBe(2);
    expect(tlb.invpcid(state, 0, 1, 0x2000, 0)).toBe(true); // individual address: globals stay
    expect(tlb.validEntries()).toBe(2);
    expect(tlb.invpcid(state, 0, 1, 0x1000, 0)).toBe(true);
    expect(tlb.validEntries()).toBe(1);
    fill(1);
    expect(tlb.invpcid(state, 1, 2, 0, 0)).toBe(true); // another PCID: nothing of ours
    expect(tlb.validEntries()).toBe(2);
    expect(tlb.invpcid(state, 3, 0)).toBe(true); // all contexts, globals kept
    expect(tlb.validEntries()).toBe(1);
    expect(tlb.invpcid(state, 2, 0)).toBe(true);
    expect(tlb.validEntries()).toBe(0);
    expect(tlb.invpcid(state, 4, 0)).toBe(false);
    state.cr4 &= ~CR4_PCIDE;
    expect(tlb.invpcid(state, 1, 5)).toBe(false);
  });

  it('tags entries with the VPID and the EPT root', () => {
    const { mem, tables, state, tlb, out } = setup();
    tables.map(0x1000, 0, 0x5000, 0x7);
    tlb.vpid = 3;
    tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out);
    tlb.vpid = 4;
    expect(tlb.lookup(state, 0x1000, 0, ACCESS_READ)).toBe(-1);
    tlb.vpid = 3;
    expect(tlb.lookup(state, 0x1000, 0, ACCESS_READ)).toBe(0x5000);
    expect(tlb.invvpid(1, 3)).toBe(true);
    expect(tlb.lookup(state, 0x1000, 0, ACCESS_READ)).toBe(-1);
    expect(tlb.invvpid(1, 0)).toBe(false);
    // An entry made under EPT is tagged with its root and dropped by INVEPT.
    let next = 0x200_0000;
    const eptTables = new PageTableBuilder(mem, 'ept4', () => (next += 0x1000));
    for (let g = 0; g < 0x120_0000; g += 0x1000) eptTables.map(g, 0, g, 0x37);
    state.ept = new EptState();
    state.ept.eptp = EptState.makeEptp(eptTables.root, 4, false);
    expect(tlb.lookup(state, 0x1000, 0, ACCESS_READ)).toBe(-1);
    tlb.translate(mem, state, 0x1000, 0, ACCESS_READ, out);
    expect(tlb.lookup(state, 0x1000, 0, ACCESS_READ)).toBe(0x5000);
    tlb.invept(1, state.ept.eptp);
    expect(tlb.lookup(state, 0x1000, 0, ACCESS_READ)).toBe(-1);
  });

  it('does not cache probes that leave accessed flags clear', () => {
    const { mem, tables, state, tlb, out } = setup();
    tables.map(0x1000, 0, 0x5000, 0x7);
    tlb.translate(mem, state, 0x1000, 0, ACCESS_READ | ACCESS_NO_AD_UPDATE, out);
    expect(tlb.validEntries()).toBe(0);
  });
});

// Property: a TLB never returns a translation the page tables would not give, unless the SDM lets
// it be stale: it may return a translation the tables gave at some point since the last
// invalidation that covers the address (INVLPG, MOV to CR3 without no-flush, INVPCID).
describe('Tlb (property)', () => {
  const PAGES = 6;
  const FRAMES = 8;
  type Op =
    | { kind: 'remap'; page: number; frame: number; writable: boolean; present: boolean }
    | { kind: 'access'; page: number; write: boolean; user: boolean }
    | { kind: 'invlpg'; page: number }
    | { kind: 'cr3'; pcid: number; noFlush: boolean }
    | { kind: 'invpcid'; type: number; pcid: number; page: number };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant('remap' as const),
      page: fc.nat(PAGES - 1),
      frame: fc.nat(FRAMES - 1),
      writable: fc.boolean(),
      present: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('access' as const),
      page: fc.nat(PAGES - 1),
      write: fc.boolean(),
      user: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('access' as const),
      page: fc.nat(PAGES - 1),
      write: fc.boolean(),
      user: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('invlpg' as const), page: fc.nat(PAGES - 1) }),
    fc.record({ kind: fc.constant('cr3' as const), pcid: fc.nat(2), noFlush: fc.boolean() }),
    fc.record({ kind: fc.constant('invpcid' as const), type: fc.nat(3), pcid: fc.nat(2), page: fc.nat(PAGES - 1) }),
  );

  it('only returns current or not-yet-invalidated translations', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.boolean(), (ops, pcide) => {
        const { mem, tables, state, out } = setup(pcide ? CR4_PCIDE : 0);
        const tlb = new Tlb(4); // tiny: forces evictions and index collisions
        const ptes: number[] = [];
        for (let p = 0; p < PAGES; p++) ptes.push(tables.map(p * 0x1000, 0, 0x80_0000, 0x7));
        const truthOut = new WalkResult();
        // allowed[pcid][page]: "frame:writable:user" strings the TLB may still hold.
        const allowed = [0, 1, 2].map(() => Array.from({ length: PAGES }, () => new Set<string>()));
        const truth = (page: number): string | null => {
          if (!pageWalk(mem, state, page * 0x1000, 0, ACCESS_NO_AD_UPDATE, truthOut)) return null;
          return `${truthOut.physical}:${(truthOut.rights & 2) !== 0}:${(truthOut.rights & 4) !== 0}`;
        };
        const pcid = () => (pcide ? state.cr3 & 0xfff : 0);
        const resetPage = (pc: number, page: number) => allowed[pc]![page]!.clear();
        for (const o of ops) {
          if (o.kind === 'remap') {
            const lo = o.present ? (0x80_0000 + o.frame * 0x1000) | 0x25 | (o.writable ? 2 : 0) : 0;
            mem.write64(gpa(ptes[o.page]!), lo, 0);
          } else if (o.kind === 'invlpg') {
            tlb.invlpg(state, o.page * 0x1000, 0);
            resetPage(pcid(), o.page);
          } else if (o.kind === 'cr3') {
            if (!pcide && o.pcid !== 0) continue;
            tlb.movToCr3(state, tables.root + o.pcid, o.noFlush);
            if (!(o.noFlush && pcide)) for (let p = 0; p < PAGES; p++) resetPage(pcid(), p);
          } else if (o.kind === 'invpcid') {
            if (!tlb.invpcid(state, o.type, o.pcid, o.page * 0x1000, 0)) continue;
            for (let pc = 0; pc < 3; pc++) {
              if (o.type === 0 && pc === o.pcid) resetPage(pc, o.page);
              if (o.type === 1 && pc === o.pcid) for (let p = 0; p < PAGES; p++) resetPage(pc, p);
              if (o.type >= 2) for (let p = 0; p < PAGES; p++) resetPage(pc, p);
            }
          } else {
            const now = truth(o.page);
            const access = (o.write ? ACCESS_WRITE : 0) | (o.user ? ACCESS_USER : 0);
            const ok = tlb.translate(mem, state, o.page * 0x1000, 0, access, out);
            if (ok) {
              const frame = out.physical;
              const fits = (s: string) => {
                const [phys, w, u] = s.split(':');
                return Number(phys) === frame && (!o.write || w === 'true') && (!o.user || u === 'true');
              };
              const set = allowed[pcid()]![o.page]!;
              if (!(now !== null && fits(now)) && ![...set].some(fits)) return false;
            } else if (now !== null) {
              // A fault always comes from a fresh walk, so the tables must deny it too.
              const [, w, u] = now.split(':');
              if ((!o.write || w === 'true') && (!o.user || u === 'true')) return false;
            }
          }
          // Whatever the tables say now may be cached from here on.
          for (let p = 0; p < PAGES; p++) {
            const t = truth(p);
            if (t !== null) allowed[pcid()]![p]!.add(t);
          }
        }
        return true;
      }),
      {
        numRuns: LONG ? 20000 : 1000,
        // Hand-picked runs: MOV to CR3 with bit 63 set but CR4.PCIDE=0 must still flush.
        examples: [
          [
            [
              { kind: 'access', page: 0, write: false, user: false },
              { kind: 'remap', page: 0, frame: 3, writable: true, present: true },
              { kind: 'cr3', pcid: 0, noFlush: true },
              { kind: 'access', page: 0, write: false, user: false },
            ],
            false,
          ],
        ],
      },
    );
  });
});
