import { describe, expect, it } from 'vitest';
import { CpuState, SEG_CS, SEG_DS, SEG_SS } from '../state/cpu-state.ts';
import {
  ACC_CODE_RX,
  ACC_DATA_RO,
  ACC_DATA_RW,
  ACC_DATA_RW_DOWN,
  descriptor,
  FLAG_DB,
  FLAG_G,
  protectedGuest,
} from '../test-support/protected-guest.ts';
import { StopReason } from './contracts.ts';
import {
  isCanonical,
  SEG_OK_READ,
  SEG_OK_WRITE,
  SegMode,
  segmentAccessVector,
  segmentFastBits,
} from './segment-checks.ts';

const GP = 13;
const SS = 12;

/** A state whose DS and SS hold `attr` / `limit`. */
function stateWith(attr: number, limit: number): CpuState {
  const s = new CpuState();
  s.segAttr[SEG_DS] = attr;
  s.segLimit[SEG_DS] = limit;
  s.segAttr[SEG_SS] = attr;
  s.segLimit[SEG_SS] = limit;
  s.segAttr[SEG_CS] = attr;
  s.segLimit[SEG_CS] = limit;
  return s;
}

describe('segmentAccessVector', () => {
  // attr in the VMCS access-rights layout: type 3:0, S 4, DPL 6:5, P 7, D/B 14, G 15, unusable 16.
  it.each([
    ['a read inside an expand-up limit', 0x93, 0xfff, 0xffc, 4, false, SegMode.Protected, 0],
    ['a read whose last byte is past the limit', 0x93, 0xfff, 0xffd, 4, false, SegMode.Protected, GP],
    ['a write to read-only data', 0x91, 0xffffffff, 0, 1, true, SegMode.Protected, GP],
    ['a read of read-only data', 0x91, 0xffffffff, 0, 1, false, SegMode.Protected, 0],
    ['a write to a code segment', 0x9b, 0xffffffff, 0, 1, true, SegMode.Protected, GP],
    ['a read of execute-only code', 0x99, 0xffffffff, 0, 1, false, SegMode.Protected, GP],
    ['a read through a null (unusable) selector', 0x10000, 0, 0, 1, false, SegMode.Protected, GP],
    ['an expand-down offset at the limit', 0x97, 0x0fff, 0x0fff, 1, false, SegMode.Protected, GP],
    ['an expand-down offset above the limit', 0x97, 0x0fff, 0x1000, 2, false, SegMode.Protected, 0],
    ['an expand-down (B=0) access past FFFFH', 0x97, 0x0fff, 0xffff, 2, false, SegMode.Protected, GP],
    ['an expand-down (B=1) access past FFFFH', 0x4097, 0x0fff, 0xffff, 2, false, SegMode.Protected, 0],
    [
      'a real-mode write to a "read-only" cached type (types are not checked)',
      0x91,
      0xffff,
      0,
      2,
      true,
      SegMode.RealOrV86,
      0,
    ],
    ['a real-mode word at offset FFFFH', 0x93, 0xffff, 0xffff, 2, false, SegMode.RealOrV86, GP],
    ['any 64-bit-mode access', 0x10000, 0, 0xfffffff0, 8, true, SegMode.Long64, 0],
  ])('%s', (_name, attr, limit, offset, size, write, mode, vector) => {
    expect(segmentAccessVector(stateWith(attr, limit), SEG_DS, offset, size, write, mode)).toBe(vector);
  });

  it('reports #SS rather than #GP for a stack-segment violation', () => {
    expect(segmentAccessVector(stateWith(0x93, 0xff), SEG_SS, 0x100, 1, true, SegMode.Protected)).toBe(SS);
  });
});

describe('segmentFastBits', () => {
  it.each([
    ['a flat read/write data segment', 0xc093, 0xffffffff, SegMode.Protected, SEG_OK_READ | SEG_OK_WRITE],
    ['a flat read-only data segment', 0xc091, 0xffffffff, SegMode.Protected, SEG_OK_READ],
    ['a flat readable code segment', 0xc09b, 0xffffffff, SegMode.Protected, SEG_OK_READ],
    ['a flat execute-only code segment', 0xc099, 0xffffffff, SegMode.Protected, 0],
    ['a flat expand-down segment (offset 0 is invalid)', 0xc097, 0xffffffff, SegMode.Protected, 0],
    ['a 64-KiB data segment', 0x93, 0xffff, SegMode.Protected, 0],
    ['an unusable segment', 0x10000, 0xffffffff, SegMode.Protected, 0],
    ['a real-mode 64-KiB segment', 0x93, 0xffff, SegMode.RealOrV86, 0],
    ['a 4-GiB "unreal mode" segment', 0x93, 0xffffffff, SegMode.RealOrV86, SEG_OK_READ | SEG_OK_WRITE],
    ['any segment in 64-bit mode', 0x10000, 0, SegMode.Long64, SEG_OK_READ | SEG_OK_WRITE],
  ])('%s', (_name, attr, limit, mode, bits) => {
    expect(segmentFastBits(stateWith(attr, limit), SEG_DS, mode)).toBe(bits);
  });
});

describe('isCanonical', () => {
  it.each([
    [0x00007fff, 15, true],
    [0x00008000, 15, false],
    [0xffff8000, 15, true],
    [0xffff7fff, 15, false],
    [0x00008000, 24, true],
    [0x00ffffff, 24, true],
    [0x01000000, 24, false],
    [0xff000000, 24, true],
  ])('hi=%s with shift %i is %s', (hi, shift, result) => {
    expect(isCanonical(hi, shift)).toBe(result);
  });
});

// GDT of the guests below: 0x08 flat code, 0x10 flat data, 0x18 data limit FFFH, 0x20 read-only
// data, 0x28 expand-down data (limit 7FFFH, B=1) for a stack, 0x30 expand-down 16-bit (B=0),
// 0x38 code with limit 1FFFFH (byte granular) at base 0.
const GDT: [number, number][] = [
  descriptor(0, 0xfffff, ACC_CODE_RX, FLAG_G | FLAG_DB),
  descriptor(0, 0xfffff, ACC_DATA_RW, FLAG_G | FLAG_DB),
  descriptor(0x20000, 0xfff, ACC_DATA_RW, FLAG_DB),
  descriptor(0, 0xfffff, ACC_DATA_RO, FLAG_G | FLAG_DB),
  descriptor(0, 0x7fff, ACC_DATA_RW_DOWN, FLAG_DB),
  descriptor(0, 0x7fff, ACC_DATA_RW_DOWN, 0),
  descriptor(0, 0x100ff, ACC_CODE_RX, FLAG_DB),
];

/** Runs a 32-bit protected-mode program until it faults (exceptions stop the run). */
function run32(body: string) {
  const g = protectedGuest({ bits: 32, gdt: GDT, source: `bits 32\n${body}` });
  const stop = g.cpu.run({ maxInstructions: 10_000 });
  return { ...g, stop };
}

describe('segment limits and types in 32-bit protected mode', () => {
  it.each([
    ['a dword read past a 4-KiB limit', 'mov ax, 0x18\nmov ds, ax\nmov eax, [0xffc]\nfault: mov eax, [0xffd]', GP],
    [
      'a write through a read-only data segment',
      'mov ax, 0x20\nmov es, ax\nmov eax, [es:0]\nfault: mov [es:0], eax',
      GP,
    ],
    ['a read through a null DS', 'xor eax, eax\nmov ds, ax\nfault: mov eax, [0x100]', GP],
    [
      'a read through CS (readable code) is allowed, a write is not',
      'mov eax, [cs:0x100]\nfault: mov [cs:0x100], eax',
      GP,
    ],
    ['an RMW operand past the limit', 'mov ax, 0x18\nmov fs, ax\nfault: add [fs:0xfff], ax', GP],
    [
      'a push below an expand-down stack limit',
      'mov ax, 0x28\nmov ss, ax\nmov esp, 0x8004\npush eax\nfault: push eax',
      SS,
    ],
    ['an SS-relative operand past the limit', 'mov ax, 0x18\nmov ss, ax\nmov ebp, 0x1000\nfault: mov eax, [ebp]', SS],
    [
      'a 16-bit expand-down segment used above FFFFH',
      'mov ax, 0x30\nmov ds, ax\nmov eax, [0x8000]\nfault: mov eax, [0xfffe]',
      GP,
    ],
    [
      'REP STOSB running off the ES limit',
      'mov ax, 0x18\nmov es, ax\nmov edi, 0xff0\nmov ecx, 0x20\nfault: rep stosb',
      GP,
    ],
    ['LGDT operand past the limit', 'mov ax, 0x18\nmov ds, ax\nfault: lgdt [0xffc]', GP],
    [
      'BT whose register bit offset addresses a byte past the limit',
      'mov ax, 0x18\nmov ds, ax\nmov eax, 0x8000\nfault: bt [0], eax',
      GP,
    ],
  ])('%s raises the SDM fault with error code 0 and RIP on the instruction', (_name, body, vector) => {
    const { cpu, stop, sym } = run32(body);
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(vector);
    expect(cpu.exceptionErrorCode).toBe(0);
    expect(cpu.getReg('eip')).toBe(sym('fault'));
  });

  it('stops REP STOSB at the first byte beyond the limit with ECX and EDI counting the bytes done', () => {
    const { cpu, memory } = run32('mov ax, 0x18\nmov es, ax\nmov edi, 0xff0\nmov ecx, 0x20\nmov al, 0xab\nrep stosb');
    expect(cpu.getReg('edi')).toBe(0x1000);
    expect(cpu.getReg('ecx')).toBe(0x10);
    const b = new Uint8Array(1);
    memory.readBytes(0x20fff as never, b);
    expect(b[0]).toBe(0xab);
  });

  it('keeps ESP unchanged when the push of a CALL faults on the stack limit', () => {
    const { cpu, stop, sym } = run32('mov ax, 0x28\nmov ss, ax\nmov esp, 0x8002\nfault: call target\ntarget: hlt');
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(SS);
    expect(cpu.getReg('esp')).toBe(0x8002);
    expect(cpu.getReg('eip')).toBe(sym('fault'));
  });

  it('faults on a JMP to a target beyond the CS limit at the JMP itself', () => {
    // Load CS = 0x38 (limit 100FFH) with a far jump, then jump past the limit.
    const { cpu, stop, sym } = run32('jmp 0x38:next\nnext: mov eax, 0x20000\nfault: jmp eax');
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(GP);
    expect(cpu.getReg('eip')).toBe(sym('fault'));
  });

  it('faults on a CALL beyond the CS limit before pushing anything', () => {
    const { cpu, stop, sym } = run32('jmp 0x38:next\nnext: mov eax, 0x20000\nfault: call eax');
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.getReg('eip')).toBe(sym('fault'));
    expect(cpu.getReg('esp')).toBe(0x8000);
  });

  it('faults on a RET to a target beyond the CS limit with ESP still on the return address', () => {
    const { cpu, stop, sym } = run32('jmp 0x38:next\nnext: push 0x20000\nfault: ret');
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.getReg('eip')).toBe(sym('fault'));
    expect(cpu.getReg('esp')).toBe(0x7ffc);
  });

  it('faults on a far JMP whose offset is beyond the new CS limit, leaving CS unchanged', () => {
    const { cpu, stop, sym } = run32('fault: jmp 0x38:0x20000');
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(GP);
    expect(cpu.exceptionErrorCode).toBe(0);
    expect(cpu.getReg('eip')).toBe(sym('fault'));
    expect(cpu.getReg('cs')).toBe(0x08);
  });

  it('faults when execution runs sequentially past the CS limit', () => {
    // 0x38 has limit 100FFH: NOPs from 100F0H run up to the limit, the next one faults.
    const { cpu, memory } = run32('jmp 0x38:0x100f0');
    memory.writeBytes(0x100f0 as never, new Uint8Array(32).fill(0x90));
    const stop = cpu.run({ maxInstructions: 100 });
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(GP);
    expect(cpu.getReg('eip')).toBe(0x10100);
  });

  it('lets a flat guest run without checks (segOk has both bits for flat data)', () => {
    const { cpu } = run32('mov eax, [0x100]\nhlt');
    expect(cpu.segOk[SEG_DS]).toBe(SEG_OK_READ | SEG_OK_WRITE);
    expect(cpu.segOk[SEG_CS]).toBe(SEG_OK_READ);
  });
});

describe('segment limits in real mode', () => {
  it.each([
    ['a word at offset FFFFH', 'mov ax, [0xffff]', GP],
    ['a push that wraps below SP = 1', 'mov sp, 1\nfault2: push ax', SS],
  ])('%s faults', (_name, body, vector) => {
    const g = protectedGuest({ bits: 16, real: true, source: `bits 16\n${body}\nhlt` });
    expect(g.cpu.run({ maxInstructions: 10 })).toBe(StopReason.Exception);
    expect(g.cpu.exceptionVector).toBe(vector);
  });
});

describe('canonical addresses in 64-bit mode', () => {
  function run64(body: string) {
    const g = protectedGuest({ bits: 64, source: `bits 64\n${body}` });
    return { ...g, stop: g.cpu.run({ maxInstructions: 100 }) };
  }

  it.each([
    ['a data read', 'mov rbx, 0x0000800000000000\nfault: mov rax, [rbx]', GP],
    ['a data write', 'mov rbx, 0xffff7ffffffffff0\nfault: mov [rbx], eax', GP],
    ['an RBP-based (SS) operand', 'mov rbp, 0x0000800000000000\nfault: mov rax, [rbp]', SS],
    ['a push with a non-canonical RSP', 'mov rsp, 0x0000800000000008\nfault: push rax', SS],
    ['a JMP to a non-canonical target', 'mov rax, 0x0000800000000000\nfault: jmp rax', GP],
    ['a CALL to a non-canonical target', 'mov rax, 0x0000800000000000\nfault: call rax', GP],
    ['a MOVSB with a non-canonical RSI', 'mov rsi, 0x0001000000000000\nmov rdi, 0x100\nfault: movsb', GP],
    [
      'an access through FS whose base makes it non-canonical',
      'mov ecx, 0xc0000100\nmov edx, 0x7fff\nmov eax, 0xfffffff0\nwrmsr\nfault: mov rax, [fs:0x20]',
      GP,
    ],
  ])('%s raises its fault at the instruction', (_name, body, vector) => {
    const { cpu, stop, sym } = run64(body);
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(vector);
    expect(cpu.exceptionErrorCode).toBe(0);
    expect(cpu.getReg('rip')).toBe(sym('fault'));
  });

  it.each([
    ['WRMSR IA32_LSTAR', 'mov ecx, 0xc0000082\nmov edx, 0x8000\nxor eax, eax\nfault: wrmsr'],
    ['WRMSR IA32_FS_BASE', 'mov ecx, 0xc0000100\nmov edx, 0xffff0000\nxor eax, eax\nfault: wrmsr'],
    ['WRMSR IA32_KERNEL_GS_BASE', 'mov ecx, 0xc0000102\nmov edx, 0x10000\nxor eax, eax\nfault: wrmsr'],
    ['WRFSBASE', 'mov rax, 0x0000800000000000\nfault: wrfsbase rax'],
    ['SYSRET to a non-canonical RCX', 'mov rcx, 0x0000800000000000\nfault: o64 sysret'],
    [
      'SYSEXIT to a non-canonical RDX',
      'mov ecx, 0x174\nmov eax, 8\nxor edx, edx\nwrmsr\nmov rdx, 0x0000800000000000\nmov rcx, 0x1000\nfault: o64 sysexit',
    ],
  ])('%s takes canonical addresses only (#GP(0))', (_name, body) => {
    const g = protectedGuest({ bits: 64, source: `bits 64\n${body}` });
    g.cpu.state.efer |= 1; // SCE
    g.cpu.state.cr4 |= 1 << 16; // FSGSBASE
    expect(g.cpu.run({ maxInstructions: 20 })).toBe(StopReason.Exception);
    expect(g.cpu.exceptionVector).toBe(GP);
    expect(g.cpu.exceptionErrorCode).toBe(0);
    expect(g.cpu.getReg('rip')).toBe(g.sym('fault'));
  });

  it('keeps RSP when a CALL target is non-canonical', () => {
    const { cpu } = run64('mov rax, 0x0000800000000000\ncall rax');
    expect(cpu.getReg('rsp')).toBe(0x8000);
  });

  it('accepts the highest canonical lower-half address', () => {
    const { cpu, stop } = run64('mov rbx, 0x00007ffffffffff8\nlea rax, [rbx]\nhlt');
    expect(stop).toBe(StopReason.Halt);
    expect(cpu.getReg('rax')).toBe(0x00007ffffffffff8);
  });
});
