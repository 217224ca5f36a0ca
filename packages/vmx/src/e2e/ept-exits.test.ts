// EPT violations and misconfigurations caused by real guest page walks (SDM 3C 29.3.3,
// 28.2.1 Table 28-7): the guest runs with 4-level paging on, its guest-physical memory is
// mapped by EPT paging structures the hypervisor built in memory, and @typevisor/cpu walks
// both (the mmu's two-dimensional walk). Written as { name, init, guestMain, onExit }.
import { StopReason } from '@typevisor/cpu';
import { guestPhysical, type PageTableBuilder, type PhysicalMemory } from '@typevisor/mmu';
import { describe, expect, it } from 'vitest';
import { buildCpuMachine, PML4, prepareGuest } from '../testing/cpu-machine.ts';
import { buildIdentityEpt, EPT_WB, enableEpt } from '../testing/identity-ept.ts';
import { ROOT64 } from '../testing/root-context.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsAccess } from '../vmcs/vmcs.ts';

const GUEST_CODE = 0x20000;
/** A second PDPT for linear addresses from 512 GiB (PML4 index 1), left out of the EPT map by one test. */
const PDPT2 = PML4 + 0x3000;

interface EptExitTest {
  readonly name: string;
  readonly accessedDirty?: boolean;
  /** Adjusts the identity EPT map (every 4 KiB guest page RWX) and the guest's page tables. */
  readonly init: (ept: PageTableBuilder, memory: PhysicalMemory, v: VmcsAccess) => void;
  readonly guestMain: string;
  readonly onExit: {
    readonly reason: number;
    /** Offset of the instruction the exit saved as guest RIP. */
    readonly at: number;
    readonly qualification: number;
    readonly guestPhysical: number;
    readonly guestLinear?: number;
  };
}

/** Qualification bits of SDM 3C Table 28-7. */
const Q_READ = 1 << 0;
const Q_WRITE = 1 << 1;
const Q_FETCH = 1 << 2;
const Q_READABLE = 1 << 3;
const Q_WRITABLE = 1 << 4;
const Q_EXECUTABLE = 1 << 5;
const Q_LINEAR_VALID = 1 << 7;
const Q_TRANSLATED = 1 << 8;
/** Advanced VM-exit information (IA32_VMX_EPT_VPID_CAP[22]): the guest translation was writable (R/W=1 at every level). */
const Q_LINEAR_WRITABLE = 1 << 10;

export const EPT_EXIT_TESTS: EptExitTest[] = [
  {
    name: 'a data write to a read-only guest-physical page',
    init: (ept) => ept.map(0x50000, 0, 0x50000, 1 | EPT_WB),
    guestMain: 'mov eax, 7\nmov [0x50010], eax',
    onExit: {
      reason: 48,
      at: 5,
      qualification: Q_WRITE | Q_READABLE | Q_LINEAR_VALID | Q_TRANSLATED | Q_LINEAR_WRITABLE,
      guestPhysical: 0x50010,
      guestLinear: 0x50010,
    },
  },
  {
    name: 'a data read from a guest-physical page EPT does not map',
    init: (ept) => ept.map(0x51000, 0, 0x51000, EPT_WB),
    guestMain: 'mov rbx, 0x51008\nmov rax, [rbx]',
    onExit: {
      reason: 48,
      at: 7,
      qualification: Q_READ | Q_LINEAR_VALID | Q_TRANSLATED | Q_LINEAR_WRITABLE,
      guestPhysical: 0x51008,
      guestLinear: 0x51008,
    },
  },
  {
    name: 'a data read from an execute-only page (execute-only translations supported)',
    init: (ept) => ept.map(0x59000, 0, 0x59000, 4 | EPT_WB),
    guestMain: 'mov rbx, 0x59000\nmov rax, [rbx]',
    onExit: {
      reason: 48,
      at: 7,
      qualification: Q_READ | Q_EXECUTABLE | Q_LINEAR_VALID | Q_TRANSLATED | Q_LINEAR_WRITABLE,
      guestPhysical: 0x59000,
      guestLinear: 0x59000,
    },
  },
  {
    name: 'an instruction fetch from a read/write, non-executable page',
    init: (ept, m) => {
      ept.map(0x52000, 0, 0x52000, 3 | EPT_WB);
      m.writeBytes(guestPhysical(0x52000), Uint8Array.of(0x90));
    },
    guestMain: 'mov eax, 0x52000\njmp rax',
    onExit: {
      reason: 48,
      at: 0x52000 - GUEST_CODE,
      qualification: Q_FETCH | Q_READABLE | Q_WRITABLE | Q_LINEAR_VALID | Q_TRANSLATED | Q_LINEAR_WRITABLE,
      guestPhysical: 0x52000,
      guestLinear: 0x52000,
    },
  },
  {
    name: 'the guest page walk reading a paging-structure page EPT does not map (bit 8 clear)',
    init: (ept, m) => {
      // PML4[1] -> PDPT2 -> the 2 MiB pages of the first PDPT's PD: linear 512 GiB maps guest-physical 0.
      m.write32(guestPhysical(PML4 + 8), PDPT2 | 3);
      m.write32(guestPhysical(PDPT2), (PML4 + 0x2000) | 3);
      ept.map(PDPT2, 0, PDPT2, EPT_WB);
    },
    guestMain: 'mov rbx, 0x8000000040\nmov rax, [rbx]',
    onExit: {
      reason: 48,
      at: 10,
      qualification: Q_READ | Q_LINEAR_VALID,
      guestPhysical: PDPT2,
      guestLinear: 0x8000000040,
    },
  },
  {
    name: 'with EPT A/D on, a guest paging-structure access is a write (bits 0 and 1 set)',
    accessedDirty: true,
    init: (ept, m) => {
      m.write32(guestPhysical(PML4 + 8), PDPT2 | 3);
      m.write32(guestPhysical(PDPT2), (PML4 + 0x2000) | 3);
      ept.map(PDPT2, 0, PDPT2, 1 | EPT_WB);
    },
    guestMain: 'mov rbx, 0x8000000040\nmov rax, [rbx]',
    onExit: {
      reason: 48,
      at: 10,
      qualification: Q_READ | Q_WRITE | Q_READABLE | Q_LINEAR_VALID,
      guestPhysical: PDPT2,
      guestLinear: 0x8000000040,
    },
  },
  {
    name: 'an EPT misconfiguration: a leaf that is writable but not readable',
    init: (ept) => ept.map(0x53000, 0, 0x53000, 2 | EPT_WB),
    guestMain: 'mov rbx, 0x53000\nmov rax, [rbx]',
    onExit: { reason: 49, at: 7, qualification: 0, guestPhysical: 0x53000 },
  },
  {
    name: 'an EPT misconfiguration: a reserved memory type (2) in a leaf',
    init: (ept) => ept.map(0x54000, 0, 0x54000, 7 | (2 << 3)),
    guestMain: 'mov rbx, 0x54000\nmov [rbx], eax',
    onExit: { reason: 49, at: 7, qualification: 0, guestPhysical: 0x54000 },
  },
];

function runEptGuest(t: Pick<EptExitTest, 'init' | 'guestMain' | 'accessedDirty'>) {
  const machine = buildCpuMachine();
  const { memory, cpu, vmx, attachment } = machine;
  const ept = buildIdentityEpt(memory);
  prepareGuest(machine, t.guestMain, GUEST_CODE);
  const v = vmx.vmcs;
  enableEpt(v, ept.root, t.accessedDirty);
  t.init(ept, memory, v);
  expect(vmx.vmlaunch(ROOT64).kind).toBe('entered');
  expect(attachment.enterGuest()).toBe(true);
  const stop = cpu.run({ maxInstructions: 1000 });
  return { stop, vmx, cpu, memory, ept };
}

describe('EPT violations and misconfigurations from guest page walks', () => {
  it.each(EPT_EXIT_TESTS.map((t) => [t.name, t] as const))('%s', (_name, t) => {
    const { stop, vmx, cpu } = runEptGuest(t);
    expect(stop).toBe(StopReason.VmExit);
    const v = vmx.vmcs;
    expect(v.read(F.EXIT_REASON)).toBe(t.onExit.reason);
    expect(v.read(F.GUEST_RIP)).toBe(GUEST_CODE + t.onExit.at);
    expect(v.read(F.EXIT_QUALIFICATION)).toBe(t.onExit.qualification);
    expect(v.read(F.GUEST_PHYSICAL_ADDRESS)).toBe(t.onExit.guestPhysical);
    if (t.onExit.guestLinear !== undefined) expect(v.read(F.GUEST_LINEAR_ADDRESS)).toBe(t.onExit.guestLinear);
    // Back in the host, which runs without EPT.
    expect(cpu.paging.ept).toBe(null);
    expect(vmx.nonRoot).toBe(false);
  });

  it('runs a guest under EPT to its VMCALL when every page is mapped', () => {
    const { stop, vmx, cpu } = runEptGuest({
      init: () => {},
      guestMain: 'mov rbx, 0x55000\nmov dword [rbx], 0x1234\nmov eax, [rbx]\nvmcall',
    });
    expect(stop).toBe(StopReason.VmExit);
    expect(vmx.vmcs.read(F.EXIT_REASON)).toBe(18);
    expect(cpu.getReg('rax')).toBe(0x1234); // VM exits leave the general-purpose registers alone
  });

  it('sets the EPT accessed flag on a page the guest read and accessed+dirty on one it wrote (EPTP bit 6)', () => {
    const { stop, memory, ept } = runEptGuest({
      accessedDirty: true,
      init: () => {},
      guestMain: 'mov rbx, 0x56000\nmov eax, [rbx]\nmov rbx, 0x57000\nmov [rbx], eax\nvmcall',
    });
    expect(stop).toBe(StopReason.VmExit);
    const entry = (gpa: number) => memory.read32(guestPhysical(leafAddress(memory, ept.root, gpa)));
    expect(entry(0x56000) & 0x300).toBe(0x100); // accessed, not dirty
    expect(entry(0x57000) & 0x300).toBe(0x300); // accessed and dirty
    expect(entry(0x58000) & 0x300).toBe(0); // untouched
    // SDM 3C 29.3.5: the guest's own paging structures are written by the walk (A/D), so dirty.
    expect(entry(PML4) & 0x300).toBe(0x300);
  });
});

/** The physical address of the 4 KiB EPT leaf entry mapping `gpa` (4-level EPT). */
function leafAddress(memory: PhysicalMemory, root: number, gpa: number): number {
  let table = root;
  for (let level = 4; level > 1; level--) {
    const index = Math.floor(gpa / 2 ** (12 + 9 * (level - 1))) & 511;
    table = memory.read32(guestPhysical(table + 8 * index)) & ~0xfff;
  }
  return table + 8 * ((gpa >>> 12) & 511);
}
