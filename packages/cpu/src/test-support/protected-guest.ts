// Builds small protected-mode guests for the segmentation, task-switch and v8086 tests: a GDT of
// hand-written descriptors, an assembled program, a Cpu in the requested mode.
import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { type ExceptionPolicy, Cpu } from '../interpreter/cpu.ts';
import { SEG_CS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS } from '../state/cpu-state.ts';

/** Where the helpers put things in guest-physical (= linear) memory. */
export const GDT_BASE = 0x800;
export const CODE_BASE = 0x10000;

/** Descriptor access bytes (SDM 3A 3.4.5): P, DPL 0, S and the type. */
export const ACC_DATA_RW = 0x92;
export const ACC_DATA_RO = 0x90;
export const ACC_DATA_RW_DOWN = 0x96;
export const ACC_CODE_RX = 0x9a;
export const ACC_CODE_X = 0x98;
/** Descriptor flag nibble (bits 23:20 of the high dword): G, D/B, L. */
export const FLAG_G = 8;
export const FLAG_DB = 4;
export const FLAG_L = 2;

/** An 8-byte segment descriptor as [low dword, high dword] (SDM 3A Figure 3-8). */
export function descriptor(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = ((limit & 0xffff) | ((base & 0xffff) << 16)) >>> 0;
  const hi = (((base >>> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | (flags << 20) | (base & 0xff000000)) >>> 0;
  return [lo, hi];
}

/** A gate descriptor (call, interrupt, trap or task gate) as [low, high] (SDM 3A Figures 5-8, 6-2). */
export function gate(selector: number, offset: number, type: number, dpl = 0, params = 0): [number, number] {
  const lo = ((offset & 0xffff) | (selector << 16)) >>> 0;
  const hi = ((offset & 0xffff0000) | 0x8000 | (dpl << 13) | (type << 8) | params) >>> 0;
  return [lo, hi];
}

export function put32(memory: PhysicalMemory, at: number, value: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, true);
  memory.writeBytes(guestPhysical(at), b);
}

export function put16(memory: PhysicalMemory, at: number, value: number): void {
  memory.writeBytes(guestPhysical(at), new Uint8Array([value & 0xff, (value >>> 8) & 0xff]));
}

export function get32(memory: PhysicalMemory, at: number): number {
  const b = new Uint8Array(4);
  memory.readBytes(guestPhysical(at), b);
  return new DataView(b.buffer).getUint32(0, true);
}

export function get16(memory: PhysicalMemory, at: number): number {
  const b = new Uint8Array(2);
  memory.readBytes(guestPhysical(at), b);
  return b[0]! | (b[1]! << 8);
}

export interface GuestOptions {
  /** Code size the program is assembled for and CS gets (16, 32 or 64). */
  bits: 16 | 32 | 64;
  source: string;
  /** GDT entries from index 1 (index 0 is the null descriptor). Selector = 8 * (position + 1). */
  gdt?: [number, number][];
  exceptions?: ExceptionPolicy;
  /** Real mode instead of protected mode (bits must be 16). */
  real?: boolean;
}

export interface Guest {
  cpu: Cpu;
  memory: PhysicalMemory;
  /** Address of a label of the program (linear; an offset from CS in real mode). */
  sym(name: string): number;
}

/**
 * A cpu at CPL 0 with flat 4-GiB CS/DS/ES/FS/GS/SS of the requested code size (64-bit: IA-32e mode
 * with paging off, as `setMode('long64')`), the GDT at {@link GDT_BASE}, the program at
 * {@link CODE_BASE} and ESP = 0x8000. Real mode: CS = 1000H (base {@link CODE_BASE}), the other
 * segments 0, IP = 0.
 */
export function protectedGuest(o: GuestOptions): Guest {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x200000);
  const prog = assemble(o.source, { bits: o.bits, org: o.real ? 0 : CODE_BASE });
  memory.writeBytes(guestPhysical(CODE_BASE), prog.bytes);
  const gdt = o.gdt ?? [];
  for (let i = 0; i < gdt.length; i++) {
    put32(memory, GDT_BASE + 8 * (i + 1), gdt[i]![0]);
    put32(memory, GDT_BASE + 8 * (i + 1) + 4, gdt[i]![1]);
  }
  const cpu = new Cpu({ memory, exceptions: o.exceptions ?? 'stop' });
  if (o.real) cpu.setMode('real');
  else cpu.setMode(o.bits === 64 ? 'long64' : o.bits === 32 ? 'protected32' : 'protected16');
  const s = cpu.state;
  s.gdtrBaseLo = GDT_BASE;
  s.gdtrLimit = 8 * (gdt.length + 1) - 1;
  if (!o.real && o.bits === 16) {
    // flat 4-GiB data segments under 16-bit code, as a 16-bit protected-mode kernel might use
    for (const seg of [SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS]) cpu.setSegmentRaw(seg, 0x10, 0, 0xffffffff, 0x8093);
    cpu.setSegmentRaw(SEG_CS, 0x08, 0, 0xffffffff, 0x809b);
  }
  if (o.real) {
    cpu.setSegmentRaw(SEG_CS, CODE_BASE >>> 4, CODE_BASE, 0xffff, 0x9b);
    cpu.setReg('rip', 0);
  } else cpu.setReg('rip', CODE_BASE);
  cpu.setReg('rsp', 0x8000);
  return { cpu, memory, sym: (name: string) => Number(prog.symbols.get(name)) };
}
