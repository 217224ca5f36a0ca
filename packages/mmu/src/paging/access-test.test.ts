// Exhaustive permission tests in the style of kvm-unit-tests' x86/access.c: every combination of
// the PDE/PTE bits, CR0.WP, CR4.SMEP/SMAP/PKE, EFER.NXE, EFLAGS.AC, CPL 0/3 and read/write/fetch.
// The expected outcome comes from `emulate`, the SDM's rules (3A 4.6, 4.7, 4.8) written out as
// an access.c-style oracle, independent of the walker's code.
import { describe, expect, it } from 'vitest';
import { guestPhysical as gpa } from '../addresses.ts';
import { PhysicalMemory } from '../memory/physical-memory.ts';
import {
  ACCESS_AC,
  ACCESS_FETCH,
  ACCESS_USER,
  ACCESS_WRITE,
  CR0_PE,
  CR0_PG,
  CR0_WP,
  CR4_PAE,
  CR4_LA57,
  CR4_PKE,
  CR4_PSE,
  CR4_SMAP,
  CR4_SMEP,
  EFER_LMA,
  EFER_LME,
  EFER_NXE,
} from './control-bits.ts';
import { pageWalk } from './page-walk.ts';
import { PagingState } from './paging-state.ts';
import { WalkResult, WalkStatus } from './walk-result.ts';

const FLAGS = [
  'pte.p',
  'pte.rw',
  'pte.user',
  'pte.a',
  'pte.d',
  'pte.nx',
  'pte.bit51',
  'pde.p',
  'pde.rw',
  'pde.user',
  'pde.a',
  'pde.d',
  'pde.pse',
  'pde.nx',
  'pde.bit51',
  'pde.bit13',
  'pku.ad',
  'pku.wd',
  'pku.pkey',
  'access.user',
  'access.write',
  'access.fetch',
  'cpu.efer.nx',
  'cpu.cr0.wp',
  'cpu.cr4.smep',
  'cpu.cr4.smap',
  'cpu.cr4.pke',
  'cpu.eflags.ac',
] as const;
type Flag = (typeof FLAGS)[number];
type Case = Set<Flag>;

interface Expected {
  fault: boolean;
  errorCode: number;
  /** Bits 5 (A) and 6 (D) of the PTE and of the PDE after the access; null = not checked. */
  pteAD: number | null;
  pdeAD: number | null;
}

const A = 0x20;
const D = 0x40;

/** The SDM's rules for one access, written in the shape of access.c's ac_emulate_access. */
function emulate(f: Case, mode: Mode = 'level4'): Expected {
  const F = (x: Flag) => f.has(x);
  let error = 1 | (F('access.user') ? 4 : 0) | (F('access.write') ? 2 : 0) | (F('access.fetch') ? 16 : 0);
  let fault = false;
  let pteAD: number | null = (F('pte.a') ? A : 0) | (F('pte.d') ? D : 0);
  let pdeAD: number | null = (F('pde.a') ? A : 0) | (F('pde.d') ? D : 0);

  const leafRules = (writable: boolean, user: boolean, executable: boolean): number => {
    const supervisorMayWriteReadOnly = !F('cpu.cr0.wp') && !F('access.user');
    if (F('access.user') && !user) fault = true;
    if (F('access.write') && !writable && !supervisorMayWriteReadOnly) fault = true;
    if (F('access.fetch') && !executable) fault = true;
    if (F('access.fetch') && user && !F('access.user') && F('cpu.cr4.smep')) fault = true;
    // SMAP: explicit supervisor data accesses to user pages need EFLAGS.AC=1.
    if (!F('access.user') && !F('access.fetch') && user && F('cpu.cr4.smap') && !F('cpu.eflags.ac')) fault = true;
    if (user && !F('access.fetch') && F('pku.pkey') && F('cpu.cr4.pke')) {
      if (F('pku.ad')) {
        fault = true;
        error |= 32;
      } else if (F('access.write') && F('pku.wd') && !supervisorMayWriteReadOnly) {
        fault = true;
        error |= 32;
      }
    }
    return fault ? 0 : A | (F('access.write') ? D : 0);
  };

  const pdeValid =
    F('pde.p') && !F('pde.bit51') && !(F('pde.pse') && F('pde.bit13')) && !(F('pde.nx') && !F('cpu.efer.nx'));
  if (!pdeValid) {
    fault = true;
    if (F('pde.p')) error |= 8;
    else error &= ~1;
    pteAD = null;
  } else if (F('pde.pse')) {
    pdeAD! |= leafRules(F('pde.rw'), F('pde.user'), !F('pde.nx'));
    pteAD = null;
  } else {
    pdeAD! |= A;
    const pteValid = F('pte.p') && !F('pte.bit51') && !(F('pte.nx') && !F('cpu.efer.nx'));
    if (!pteValid) {
      fault = true;
      if (F('pte.p')) error |= 8;
      else error &= ~1;
    } else {
      pteAD |= leafRules(F('pde.rw') && F('pte.rw'), F('pde.user') && F('pte.user'), !F('pde.nx') && !F('pte.nx'));
    }
  }
  // SDM 3A 4.7: I/D is reported only with SMEP, or with PAE paging and NXE.
  if ((mode === 'bits32' || !F('cpu.efer.nx')) && !F('cpu.cr4.smep')) error &= ~16;
  return { fault, errorCode: fault ? error : 0, pteAD, pdeAD };
}

// Fixed 4-level tables for linear 0x1234_0040_1000 (PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000).
const LINEAR_LO = 0x0040_1000;
const LINEAR_HI = 0x1234;
const PDE_ADDRESS = 0x3000 + 2 * 8;
const PTE_ADDRESS = 0x4000 + 1 * 8;

/** The paging modes the access test runs in. */
type Mode = 'level5' | 'level4' | 'pae' | 'bits32';

function makeMachine(mode: Mode = 'level4') {
  const mem = new PhysicalMemory();
  mem.addRam(gpa(0), 0x100_0000);
  if (mode === 'level5') {
    // PML5 at 0x1000 -> PML4 at 0x6000 -> the same PDPT, PD and PT as 4-level.
    mem.write64(gpa(0x1000 + ((LINEAR_HI >>> 16) & 0x1ff) * 8), 0x6000 | 7, 0);
    mem.write64(gpa(0x6000 + ((LINEAR_HI >>> 7) & 0x1ff) * 8), 0x2000 | 7, 0);
    mem.write64(gpa(0x2000 + (((LINEAR_HI & 0x7f) << 2) | (LINEAR_LO >>> 30)) * 8), 0x3000 | 7, 0);
  } else if (mode === 'level4') {
    mem.write64(gpa(0x1000 + ((LINEAR_HI >>> 7) & 0x1ff) * 8), 0x2000 | 7, 0);
    mem.write64(gpa(0x2000 + (((LINEAR_HI & 0x7f) << 2) | (LINEAR_LO >>> 30)) * 8), 0x3000 | 7, 0);
  } else if (mode === 'pae') {
    mem.write64(gpa(0x1000), 0x3000 | 1, 0); // PDPTE 0 -> the PD at 0x3000 (P only: other bits reserved)
  }
  return { mem, mode, state: new PagingState(), out: new WalkResult() };
}

type Machine = ReturnType<typeof makeMachine>;

/** Sets up the entries and registers for one case, runs the walk and compares with `emulate`. */
function runCase(m: Machine, f: Case): string | null {
  const F = (x: Flag) => f.has(x);
  const { mem, state, out, mode } = m;
  let pdeLo = 0x4000;
  // Key 2 on a non-leaf PDE: ignored in 4-level paging (SDM 3A 4.6.2); PAE reserves those bits.
  const ia32e = mode === 'level4' || mode === 'level5';
  let pdeHi = ia32e ? 0x2 << 27 : 0;
  if (F('pde.pse')) {
    pdeLo = 0x80_0000 | 0x80;
    pdeHi = F('pku.pkey') ? 1 << 27 : 0;
  }
  if (F('pde.p')) pdeLo |= 1;
  if (F('pde.rw')) pdeLo |= 2;
  if (F('pde.user')) pdeLo |= 4;
  if (F('pde.a')) pdeLo |= A;
  if (F('pde.d')) pdeLo |= D;
  if (F('pde.nx')) pdeHi |= 0x8000_0000;
  if (F('pde.bit51')) pdeHi |= 1 << 19;
  if (F('pde.bit13')) pdeLo |= 1 << 13;
  let pteLo = 0x80_1000;
  let pteHi = F('pku.pkey') ? 1 << 27 : 0;
  if (F('pte.p')) pteLo |= 1;
  if (F('pte.rw')) pteLo |= 2;
  if (F('pte.user')) pteLo |= 4;
  if (F('pte.a')) pteLo |= A;
  if (F('pte.d')) pteLo |= D;
  if (F('pte.nx')) pteHi |= 0x8000_0000;
  if (F('pte.bit51')) pteHi |= 1 << 19;
  // 32-bit paging: the PD at 0x1000 (entry 1) and 4-byte entries; 64-bit entries otherwise.
  const pdeAddress = mode === 'bits32' ? 0x1000 + 1 * 4 : PDE_ADDRESS;
  const pteAddress = mode === 'bits32' ? 0x4000 + 1 * 4 : PTE_ADDRESS;
  if (mode === 'bits32') {
    mem.write32(gpa(pdeAddress), pdeLo >>> 0);
    mem.write32(gpa(pteAddress), pteLo >>> 0);
  } else {
    mem.write64(gpa(pdeAddress), pdeLo >>> 0, pdeHi >>> 0);
    mem.write64(gpa(pteAddress), pteLo >>> 0, pteHi >>> 0);
  }

  state.cr0 = CR0_PE | CR0_PG | (F('cpu.cr0.wp') ? CR0_WP : 0);
  state.cr4 =
    (mode === 'bits32' ? CR4_PSE : CR4_PAE) |
    (mode === 'level5' ? CR4_LA57 : 0) |
    (F('cpu.cr4.smep') ? CR4_SMEP : 0) |
    (F('cpu.cr4.smap') ? CR4_SMAP : 0) |
    (F('cpu.cr4.pke') ? CR4_PKE : 0);
  state.efer = (ia32e ? EFER_LME | EFER_LMA : 0) | (F('cpu.efer.nx') ? EFER_NXE : 0);
  state.pdptesLoaded = false;
  state.cr3 = 0x1000;
  state.maxPhyAddr = 46;
  // Key 1 gets the case's AD/WD; key 2 (the non-leaf PDE's) denies everything.
  state.pkru = 0x30 | (F('pku.wd') ? 8 : 0) | (F('pku.ad') ? 4 : 0);
  const access =
    (F('access.user') ? ACCESS_USER : 0) |
    (F('access.write') ? ACCESS_WRITE : 0) |
    (F('access.fetch') ? ACCESS_FETCH : 0) |
    (F('cpu.eflags.ac') ? ACCESS_AC : 0);

  const ok = pageWalk(mem, state, LINEAR_LO, ia32e ? LINEAR_HI : 0, access, out);
  const want = emulate(f, mode);
  const gotPde = mem.read32(gpa(pdeAddress)) & (A | D);
  const gotPte = mem.read32(gpa(pteAddress)) & (A | D);
  const problems: string[] = [];
  if (ok === want.fault) problems.push(want.fault ? 'unexpected access' : 'unexpected fault');
  if (!ok && out.status === WalkStatus.PageFault && out.errorCode !== want.errorCode) {
    problems.push(`error code ${out.errorCode.toString(16)} expected ${want.errorCode.toString(16)}`);
  }
  if (ok && out.physical !== (F('pde.pse') ? 0x80_0000 + (LINEAR_LO & 0x1f_ffff) : 0x80_1000)) {
    problems.push(`physical ${out.physical.toString(16)}`);
  }
  if (want.pteAD !== null && gotPte !== want.pteAD)
    problems.push(`pte A/D ${gotPte.toString(16)} expected ${want.pteAD.toString(16)}`);
  if (want.pdeAD !== null && gotPde !== want.pdeAD)
    problems.push(`pde A/D ${gotPde.toString(16)} expected ${want.pdeAD.toString(16)}`);
  return problems.length === 0 ? null : `${[...f].join(' ')}: ${problems.join(', ')}`;
}

/** Every combination of `varied` (the other flags fixed by `base`), skipping illegal ones. */
function* combinations(varied: readonly Flag[], base: readonly Flag[] = []): Generator<Case> {
  for (let bits = 0; bits < 1 << varied.length; bits++) {
    const f = new Set<Flag>(base);
    varied.forEach((flag, i) => {
      if ((bits >> i) & 1) f.add(flag);
    });
    if (f.has('access.fetch') && f.has('access.write')) continue;
    if (!f.has('pde.pse') && f.has('pde.bit13')) continue;
    if (!f.has('cpu.cr4.pke') && (f.has('pku.ad') || f.has('pku.wd'))) continue;
    if (f.has('access.user') && f.has('cpu.eflags.ac')) continue; // AC only matters at CPL<3
    yield f;
  }
}

function runAll(
  varied: readonly Flag[],
  base: readonly Flag[] = [],
  mode: Mode = 'level4',
): { count: number; failures: string[] } {
  const m = makeMachine(mode);
  const failures: string[] = [];
  let count = 0;
  for (const f of combinations(varied, base)) {
    count++;
    const problem = runCase(m, f);
    if (problem !== null && failures.length < 10) failures.push(problem);
  }
  return { count, failures };
}

const ACCESS: Flag[] = ['access.user', 'access.write', 'access.fetch'];

describe('pageWalk access test (4-level paging, kvm-unit-tests style)', () => {
  // Each group varies every flag it names; together they cover each rule with all its neighbours.
  const groups: { name: string; varied: Flag[]; base?: Flag[]; cases: number }[] = [
    {
      name: 'U/S, R/W, XD against CR0.WP, CR4.SMEP/SMAP, EFLAGS.AC, EFER.NXE and CPL for 4 KiB pages',
      varied: [
        'pte.p',
        'pte.rw',
        'pte.user',
        'pte.nx',
        'pde.p',
        'pde.rw',
        'pde.user',
        'pde.nx',
        ...ACCESS,
        'cpu.efer.nx',
        'cpu.cr0.wp',
        'cpu.cr4.smep',
        'cpu.cr4.smap',
        'cpu.eflags.ac',
      ],
      cases: 36864,
    },
    {
      name: 'the same rules for 2 MiB pages, with the reserved bits 13 and 51',
      varied: [
        'pde.p',
        'pde.rw',
        'pde.user',
        'pde.nx',
        'pde.bit13',
        'pde.bit51',
        ...ACCESS,
        'cpu.efer.nx',
        'cpu.cr0.wp',
        'cpu.cr4.smep',
      ],
      base: ['pde.pse'],
      cases: 3072,
    },
    {
      name: 'accessed and dirty flags left behind, with reserved bits in either level',
      varied: [
        'pte.p',
        'pte.a',
        'pte.d',
        'pte.bit51',
        'pde.p',
        'pde.a',
        'pde.d',
        'pde.pse',
        'pde.bit51',
        'pde.bit13',
        'access.write',
        'access.user',
      ],
      base: ['pte.rw', 'pte.user', 'pde.rw', 'pde.user'],
      cases: 3072,
    },
    {
      name: 'SMAP with EFLAGS.AC for explicit supervisor accesses',
      varied: [
        'pte.user',
        'pte.rw',
        'pde.user',
        'pde.pse',
        ...ACCESS,
        'cpu.cr4.smap',
        'cpu.cr4.smep',
        'cpu.eflags.ac',
        'cpu.cr0.wp',
        'cpu.efer.nx',
      ],
      base: ['pte.p', 'pde.p', 'pde.rw'],
      cases: 2304,
    },
    {
      name: 'protection keys: PKRU AD/WD, leaf key only, CR0.WP for supervisor writes',
      varied: [
        'pku.ad',
        'pku.wd',
        'pku.pkey',
        'cpu.cr4.pke',
        'pte.user',
        'pte.rw',
        'pde.pse',
        ...ACCESS,
        'cpu.cr0.wp',
        'cpu.cr4.smap',
      ],
      base: ['pte.p', 'pde.p', 'pde.rw', 'pde.user', 'cpu.efer.nx'],
      cases: 1920,
    },
  ];

  it.each(groups)('$name', ({ varied, base, cases }) => {
    const { count, failures } = runAll(varied, base);
    expect(failures).toEqual([]);
    expect(count).toBe(cases);
  });

  it('reports PK alongside other permission faults, as hardware does', () => {
    const m = makeMachine();
    const f = new Set<Flag>([
      'pte.p',
      'pde.p',
      'pde.user',
      'pte.user',
      'pku.pkey',
      'pku.ad',
      'cpu.cr4.pke',
      'access.user',
      'access.write',
    ]);
    expect(runCase(m, f)).toBeNull();
    expect(m.out.errorCode).toBe(0x27);
  });
});

describe('pageWalk access test in the other paging modes', () => {
  const RULES: Flag[] = ['pte.p', 'pte.rw', 'pte.user', 'pde.p', 'pde.rw', 'pde.user', 'pde.pse', ...ACCESS];
  const CPU: Flag[] = ['cpu.efer.nx', 'cpu.cr0.wp', 'cpu.cr4.smep', 'cpu.cr4.smap', 'cpu.eflags.ac'];
  it.each<[Mode, Flag[], number]>([
    ['pae', [...RULES, 'pte.nx', 'pde.nx', 'pte.a', 'pte.d', 'pde.bit51', ...CPU], 589824],
    ['bits32', [...RULES, 'pte.a', 'pde.a', 'pde.d', ...CPU], 147456],
    [
      'level5',
      [...RULES, 'pte.nx', 'pde.nx', 'pku.pkey', 'pku.ad', 'cpu.cr4.pke', 'cpu.efer.nx', 'cpu.cr0.wp', 'cpu.cr4.smep'],
      147456,
    ],
  ])('%s paging: every combination of its flags, with error codes and A/D bits', (mode, varied, cases) => {
    const { count, failures } = runAll(varied, [], mode);
    expect(failures).toEqual([]);
    expect(count).toBe(cases);
  });
});
