import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { StopReason } from './contracts.ts';
import { Cpu } from './cpu.ts';

/** Writes a little-endian 64-bit value given as lo/hi. */
function put64(memory: PhysicalMemory, at: number, lo: number, hi = 0): void {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, lo >>> 0, true);
  v.setUint32(4, hi >>> 0, true);
  memory.writeBytes(guestPhysical(at), b);
}

/** A 64-bit interrupt gate (SDM 3A Figure 6-8) for `offset` in code segment `selector`. */
function gate64(memory: PhysicalMemory, idt: number, vector: number, selector: number, offset: number, dpl = 0): void {
  const lo = (offset & 0xffff) | (selector << 16);
  const hi = (offset & 0xffff0000) | 0x8e00 | (dpl << 13);
  put64(memory, idt + vector * 16, lo, hi);
  put64(memory, idt + vector * 16 + 8, 0, 0);
}

const SOURCE = `
  bits 16
  org 0x7c00
  cli
  mov al, 1
  out 0x80, al              ; step 1: real mode
  lgdt [gdtr]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp 0x08:pm32
gdtr:
  dw 0x27
  dd 0x1000

  bits 32
pm32:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, 0x9000
  mov al, 2
  out 0x80, al              ; step 2: 32-bit protected mode
  mov eax, cr4
  or eax, 0x20              ; CR4.PAE
  mov cr4, eax
  mov eax, 0x2000
  mov cr3, eax
  mov ecx, 0xc0000080
  rdmsr
  or eax, 0x100             ; EFER.LME
  wrmsr
  mov eax, cr0
  or eax, 0x80000000        ; CR0.PG -> IA-32e mode (compatibility)
  mov cr0, eax
  mov al, 3
  out 0x80, al              ; step 3: paging on, compatibility mode
  jmp 0x18:lm64

  bits 64
lm64:
  mov rsp, 0x9000
  lidt [rel idtr]
  mov al, 4
  out 0x80, al              ; step 4: 64-bit mode
  xor ecx, ecx
  div ecx                   ; #DE -> handler skips the 2-byte DIV
  mov al, 6
  out 0x80, al
  int3                      ; #BP (trap) -> handler
  mov al, 8
  out 0x80, al
  lidt [rel badidtr]
  int3                      ; IDT limit 0: #GP -> #DF -> triple fault
  hlt
de_handler:
  mov al, 5
  out 0x80, al
  add qword [rsp], 2
  iretq
bp_handler:
  mov al, 7
  out 0x80, al
  iretq
idtr:
  dw 0xfff
  dq 0x5000
badidtr:
  dw 0
  dq 0x5000
`;

describe('mode ladder', () => {
  it('goes real -> protected -> paged compatibility -> 64-bit mode, delivers #DE and #BP through the IDT, and shuts down on a triple fault', () => {
    const memory = new PhysicalMemory();
    memory.addRam(guestPhysical(0), 0x200000);
    const prog = assemble(SOURCE, { bits: 16, org: 0x7c00 });
    memory.writeBytes(guestPhysical(0x7c00), prog.bytes);
    // GDT: null, 32-bit code 0x08, data 0x10, 64-bit code 0x18, data 0x20 (SDM 3A 3.4.5).
    put64(memory, 0x1000, 0, 0);
    put64(memory, 0x1008, 0x0000ffff, 0x00cf9a00);
    put64(memory, 0x1010, 0x0000ffff, 0x00cf9200);
    put64(memory, 0x1018, 0x0000ffff, 0x00af9a00);
    put64(memory, 0x1020, 0x0000ffff, 0x00cf9200);
    // Identity map of the first 2 MiB: PML4 -> PDPT -> PD with one 2 MiB page.
    put64(memory, 0x2000, 0x3003);
    put64(memory, 0x3000, 0x4003);
    put64(memory, 0x4000, 0x83);
    const sym = (n: string) => Number(prog.symbols.get(n));
    gate64(memory, 0x5000, 0, 0x18, sym('de_handler'));
    gate64(memory, 0x5000, 3, 0x18, sym('bp_handler'));

    const cpu = new Cpu({ memory });
    cpu.resetState();
    cpu.setSegmentRaw(1, 0, 0, 0xffff, 0x9b);
    cpu.setReg('rip', 0x7c00);
    const steps: { step: number; bitness: number; cr0: number; efer: number; cs: number }[] = [];
    cpu.hooks.port = (c, port, _size, isWrite, value) => {
      if (isWrite && port === 0x80) {
        steps.push({
          step: value,
          bitness: c.bitness,
          cr0: c.state.cr0,
          efer: c.state.efer,
          cs: c.state.segSelector[1]!,
        });
      }
    };
    const stop = cpu.run({ maxInstructions: 1000 });
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(steps[0]).toMatchObject({ bitness: 16, cs: 0 });
    expect(steps[0]!.cr0 & 1).toBe(0);
    expect(steps[1]).toMatchObject({ bitness: 32, cs: 0x08 });
    expect(steps[2]).toMatchObject({ bitness: 32, cs: 0x08 });
    expect(steps[2]!.cr0 >>> 31).toBe(1);
    expect(steps[2]!.efer & 0x500).toBe(0x500); // LME and LMA
    expect(steps[3]).toMatchObject({ bitness: 64, cs: 0x18 });
    expect(stop).toBe(StopReason.Shutdown);
  });

  it('delivers a real-mode software interrupt through the IVT and returns with IRET', () => {
    const memory = new PhysicalMemory();
    memory.addRam(guestPhysical(0), 0x100000);
    const prog = assemble(
      `
      bits 16
      org 0x7c00
      mov sp, 0x7000
      int 0x21
      hlt
    handler:
      mov bx, 0x1234
      iret
    `,
      { bits: 16, org: 0x7c00 },
    );
    memory.writeBytes(guestPhysical(0x7c00), prog.bytes);
    const h = Number(prog.symbols.get('handler'));
    memory.writeBytes(guestPhysical(0x21 * 4), new Uint8Array([h & 0xff, h >> 8, 0, 0]));
    const cpu = new Cpu({ memory });
    cpu.setMode('real');
    cpu.setReg('rip', 0x7c00);
    expect(cpu.run({ maxInstructions: 100 })).toBe(StopReason.Halt);
    expect(cpu.getReg('bx')).toBe(0x1234);
    expect(cpu.getReg('sp')).toBe(0x7000);
  });
});
