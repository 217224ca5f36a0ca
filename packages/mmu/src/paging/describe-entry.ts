import { entryFrame } from './table-index.ts';
import { type TracedEntry, TraceKind } from './walk-result.ts';

const GUEST_NAMES = ['', 'PTE', 'PDE', 'PDPTE', 'PML4E', 'PML5E'];
const EPT_NAMES = ['', 'EPT PTE', 'EPT PDE', 'EPT PDPTE', 'EPT PML4E', 'EPT PML5E'];

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * One line describing a traced paging-structure entry, for page-table visualisers and debug
 * output: its name, where it was read, its raw value, the flags that are set and the frame it
 * points to, e.g. `PDE @0x3010 = 0x00000000_000040a7 P RW US A PS frame 0x4000`. 32-bit paging
 * entries (hi = 0, no XD) print the same way.
 *
 * @example
 * ```ts
 * out.trace = true;
 * pageWalk(mem, state, lo, hi, ACCESS_READ, out);
 * for (const e of out.entries()) console.log(describeEntry(e));
 * ```
 */
export function describeEntry(entry: TracedEntry): string {
  const { kind, level, address, lo, hi } = entry;
  const raw = `0x${hi.toString(16).padStart(8, '0')}_${lo.toString(16).padStart(8, '0')}`;
  const flags: string[] = [];
  let name: string;
  if (kind === TraceKind.Ept) {
    name = EPT_NAMES[level] ?? 'EPT entry';
    if (lo & 1) flags.push('R');
    if (lo & 2) flags.push('W');
    if (lo & 4) flags.push('X');
    if (lo & 0x400) flags.push('XU');
    if (lo & 0x80) flags.push('PS');
    if (lo & 0x100) flags.push('A');
    if (lo & 0x200) flags.push('D');
    if (level === 1 || lo & 0x80) flags.push(`MT${(lo >>> 3) & 7}`);
    if (lo & 0x40) flags.push('IPAT');
  } else {
    name = kind === TraceKind.PaePdpte ? 'PDPTE (register)' : (GUEST_NAMES[level] ?? 'entry');
    const bits: [number, string][] = [
      [0x1, 'P'],
      [0x2, 'RW'],
      [0x4, 'US'],
      [0x8, 'PWT'],
      [0x10, 'PCD'],
      [0x20, 'A'],
      [0x40, 'D'],
      [0x80, level === 1 ? 'PAT' : 'PS'],
      [0x100, 'G'],
    ];
    for (const [bit, label] of bits) if (lo & bit) flags.push(label);
    if (hi >>> 31) flags.push('XD');
    const key = (hi >>> 27) & 0xf;
    if (key !== 0) flags.push(`PK${key}`);
  }
  return `${name} @${hex(address)} = ${raw} ${flags.join(' ')} frame ${hex(entryFrame(lo, hi))}`.replace('  ', ' ');
}
