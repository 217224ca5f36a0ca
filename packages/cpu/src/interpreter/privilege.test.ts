import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { SEG_CS, SEG_DS, SEG_ES, SEG_SS } from '../state/cpu-state.ts';
import { StopReason } from './contracts.ts';
import { Cpu } from './cpu.ts';

function put64(memory: PhysicalMemory, at: number, lo: number, hi = 0): void {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, lo >>> 0, true);
  v.setUint32(4, hi >>> 0, true);
  memory.writeBytes(guestPhysical(at), b);
}

const SOURCE = `
  bits 64
  org 0x1000
kernel:
  mov ax, 0x28
  ltr ax
  lidt [rel idtr]
  push 0x1b                 ; SS = user data | RPL 3
  push 0x7000               ; user RSP
  push 0x2                  ; RFLAGS
  push 0x23                 ; CS = user code | RPL 3
  lea rax, [rel user]
  push rax
  iretq
user:
  mov ebx, 0
  int 0x80                  ; to CPL 0 through a DPL-3 gate: stack switch to TSS.RSP0
  mov r13, rsp
  cli                       ; CPL 3 > IOPL 0: #GP(0) through IST1
  hlt
syscall_handler:
  mov rbx, rsp
  mov r14, [rsp + 8]        ; pushed CS
  iretq
gp_handler:
  mov r12, rsp
  hlt
idtr:
  dw 0xfff
  dq 0x5000
`;

describe('privilege changes in 64-bit mode', () => {
  it('switches to TSS.RSP0 on INT from CPL 3, returns with IRETQ, and takes #GP on the IST1 stack', () => {
    const memory = new PhysicalMemory();
    memory.addRam(guestPhysical(0), 0x200000);
    const prog = assemble(SOURCE, { bits: 64, org: 0x1000 });
    memory.writeBytes(guestPhysical(0x1000), prog.bytes);
    const sym = (n: string) => Number(prog.symbols.get(n));
    // GDT: null, kernel code 0x08, kernel data 0x10, user data 0x18 (DPL 3), user code 0x20 (DPL 3), TSS 0x28.
    put64(memory, 0x800, 0, 0);
    put64(memory, 0x808, 0x0000ffff, 0x00af9a00);
    put64(memory, 0x810, 0x0000ffff, 0x00cf9200);
    put64(memory, 0x818, 0x0000ffff, 0x00cff200);
    put64(memory, 0x820, 0x0000ffff, 0x00affa00);
    // 64-bit TSS descriptor at 0x6000, limit 0x67, type 9 (available), present.
    put64(memory, 0x828, 0x60000067, 0x00008900);
    put64(memory, 0x830, 0, 0);
    put64(memory, 0x6004, 0x9000); // RSP0
    put64(memory, 0x6024, 0xa000); // IST1
    // Identity map of 2 MiB, user-accessible (SDM 3A 4.5).
    put64(memory, 0x2000, 0x3007);
    put64(memory, 0x3000, 0x4007);
    put64(memory, 0x4000, 0x87);
    // IDT: vector 0x80 interrupt gate DPL 3; vector 13 interrupt gate with IST 1.
    const gate = (vector: number, offset: number, dpl: number, ist: number) => {
      put64(
        memory,
        0x5000 + vector * 16,
        (offset & 0xffff) | (0x08 << 16),
        (offset & 0xffff0000) | 0x8e00 | (dpl << 13) | ist,
      );
      put64(memory, 0x5000 + vector * 16 + 8, 0, 0);
    };
    gate(0x80, sym('syscall_handler'), 3, 0);
    gate(13, sym('gp_handler'), 0, 1);

    const cpu = new Cpu({ memory });
    const s = cpu.state;
    s.cr0 = 0x80000011;
    s.cr4 = 0x20;
    s.cr3Lo = 0x2000;
    s.efer = 0x500;
    s.gdtrBaseLo = 0x800;
    s.gdtrLimit = 0x37;
    cpu.setSegmentRaw(SEG_CS, 0x08, 0, 0xffffffff, 0xa09b);
    for (const seg of [SEG_SS, SEG_DS, SEG_ES]) cpu.setSegmentRaw(seg, 0x10, 0, 0xffffffff, 0xc093);
    cpu.stateChanged();
    cpu.setReg('rip', 0x1000);
    cpu.setReg('rsp', 0x8000);

    expect(cpu.run({ maxInstructions: 100 })).toBe(StopReason.Halt);
    expect(cpu.getReg('rbx')).toBe(0x9000 - 5 * 8); // SS, RSP, RFLAGS, CS, RIP on the RSP0 stack
    expect(cpu.getReg('r14')).toBe(0x23);
    expect(cpu.getReg('r13')).toBe(0x7000); // back on the user stack after IRETQ
    expect(cpu.getReg('r12')).toBe(0xa000 - 6 * 8); // + error code, on the IST1 stack
    const frame = new Uint8Array(48);
    cpu.readLinear(0xa000 - 48, 0, frame);
    const v = new DataView(frame.buffer);
    expect(v.getUint32(0, true)).toBe(0); // #GP error code
    expect(v.getUint32(16, true)).toBe(0x23); // CS of the faulting CLI
    expect(v.getUint32(40, true)).toBe(0x1b); // user SS
    expect(cpu.cpl).toBe(0);
  });
});
