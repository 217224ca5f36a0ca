// Turns parsed form records into the decode tree and the per-code tables.
import { type FormRecord, MAP_NAMES, VEX_MAP0 } from './isa-parser.ts';

/** Tree selectors, in the order the builder tries them. Must match src/decoder.ts. */
export const SELECTORS = [
  { name: 'PFX', key: 'pfx', count: 4 },
  { name: 'MODE', key: 'mode', count: 2 },
  { name: 'W', key: 'w', count: 2 },
  { name: 'L', key: 'l', count: 4 }, // VEX.L 0-1, EVEX.L'L 0-3
  { name: 'MOD', key: 'mod', count: 2 },
  { name: 'REG', key: 'reg', count: 8 },
  { name: 'RM', key: 'rm', count: 8 },
  { name: 'REXB', key: 'rexb', count: 2 },
  { name: 'OSZ', key: 'osz', count: 3 },
  { name: 'ASZ', key: 'asz', count: 3 },
  { name: 'P66', key: 'p66', count: 2 },
] as const;
/** OSZ variants: default-64 (PUSH/POP/near branches) and forced-64 (Intel ignores 66 on near branches).
 * Their numbers follow the selectors above. */
export const SEL_OSZ_D64 = SELECTORS.length;
export const SEL_OSZ_F64 = SELECTORS.length + 1;

type Key = (typeof SELECTORS)[number]['key'];

export interface Tables {
  tree: number[];
  roots: number[];
  hasModrm: number[];
  /** Nodes before this index serve the maps below VEX_MAP0; the VEX and EVEX maps' own nodes follow it. */
  vexTreeStart: number;
}

// A mandatory prefix or a REX.B requirement is a stronger match than a size constraint
// (F3 90 PAUSE over NOP over XCHG r, rAX; F3 0F BC TZCNT over BSF).
const specificity = (f: FormRecord): number =>
  SELECTORS.reduce(
    (n, s) =>
      n +
      ((f[s.key as Key] as number) >= 0 ? (s.key === 'pfx' ? 8 : s.key === 'rexb' ? 4 : s.key === 'mode' ? 0 : 1) : 0),
    0,
  );

export function buildTables(forms: FormRecord[], codeOf: Map<FormRecord, number>): Tables {
  const tree: number[] = [];
  const roots: number[] = new Array(MAP_NAMES.length * 256).fill(-1);
  const hasModrm: number[] = new Array(MAP_NAMES.length * 256).fill(0);
  const bySlot = new Map<number, FormRecord[]>();
  for (const f of forms) {
    const slot = f.map * 256 + f.opcode;
    const opcodeReg = f.ops.some((d) => (d & 0xff) === 5);
    const slots = opcodeReg ? [0, 1, 2, 3, 4, 5, 6, 7].map((k) => slot + k) : [slot];
    for (const s of slots) {
      if (!bySlot.has(s)) bySlot.set(s, []);
      bySlot.get(s)!.push(f);
    }
  }
  const memo = new Map<string, number>();
  const build = (set: FormRecord[], used: Set<number>, where: string): number => {
    if (set.length === 0) return ~0;
    // pick the first selector some record constrains
    let sel = -1;
    for (let s = 0; s < SELECTORS.length; s++) {
      if (used.has(s)) continue;
      if (set.some((f) => (f[SELECTORS[s]!.key as Key] as number) >= 0)) {
        sel = s;
        break;
      }
    }
    if (sel < 0) {
      const sorted = [...set].sort((a, b) => specificity(b) - specificity(a));
      if (sorted.length > 1 && specificity(sorted[0]!) === specificity(sorted[1]!)) {
        throw new Error(`${where}: ambiguous forms ${sorted.map((f) => `${f.name}@${f.line}`).join(', ')}`);
      }
      return ~codeOf.get(sorted[0]!)!;
    }
    const { key, count } = SELECTORS[sel]!;
    const children: number[] = [];
    const nextUsed = new Set(used);
    nextUsed.add(sel);
    for (let v = 0; v < count; v++) {
      let sub = set.filter((f) => (f[key as Key] as number) < 0 || f[key as Key] === v);
      // REX.W on a form that has no 64-bit operand size leaves it at 32 bits (IN/OUT/INS/OUTS)
      if (key === 'osz' && v === 2 && sub.length === 0) sub = set.filter((f) => f.osz === 1);
      // a more specific record shadows an unconstrained one only at the leaves (see specificity)
      children.push(build(sub, nextUsed, where));
    }
    let kind: number = sel;
    if (key === 'osz') {
      if (set.every((f) => f.attrs.includes('f64'))) kind = SEL_OSZ_F64;
      else if (set.every((f) => f.attrs.includes('d64'))) kind = SEL_OSZ_D64;
    }
    if (children.every((c) => c === children[0])) return children[0]!;
    const sig = `${kind}:${children.join(',')}`;
    const hit = memo.get(sig);
    if (hit !== undefined) return hit;
    const at = tree.length;
    tree.push(kind, ...children);
    memo.set(sig, at);
    return at;
  };
  // slots in ascending order, so the VEX and EVEX maps (the highest) add their nodes after all
  // others and a legacy slot never reaches one of their nodes: the tree's tail can be loaded later
  let vexTreeStart = -1;
  for (const [slot, set] of [...bySlot.entries()].sort((a, b) => a[0] - b[0])) {
    if (vexTreeStart < 0 && slot >= VEX_MAP0 * 256) vexTreeStart = tree.length;
    const where = `${MAP_NAMES[slot >> 8]} ${(slot & 0xff).toString(16).padStart(2, '0')}`;
    hasModrm[slot] = set.some((f) => f.hasModrm) ? 1 : 0;
    if (set.some((f) => f.hasModrm) && set.some((f) => !f.hasModrm)) {
      throw new Error(`${where}: forms disagree on ModRM: ${set.map((f) => f.name).join(', ')}`);
    }
    roots[slot] = build(set, new Set(), where);
  }
  return { tree, roots, hasModrm, vexTreeStart: vexTreeStart < 0 ? tree.length : vexTreeStart };
}
