// A second oracle for the 16- and 32-bit forms the host cannot run natively (this host's
// kernel refuses 32-bit code segments: a far jump to the Linux compat selector 23H and to a
// modify_ldt(2) code segment both raise #GP, see the README). The cases run inside a small
// multiboot kernel, once on v86 (npm `v86`, an independent x86 emulator validated against real
// processors) and once on our interpreter, and the two result tables are compared.
//
// The kernel builds its own GDT (flat 32-bit code/data, a 16-bit code and data segment, and a
// zoo of descriptors for LAR/LSL/VERR/VERW/LDS...), an LDT and an IDT whose handlers record the
// vector. Each case: copy 16 code bytes (NOP-padded) to CODE_AT followed by a far JMP back
// (and at CODE_AT+32 a second one that marks the case "taken": branch cases aim there),
// copy 64 bytes to MEM, load EFLAGS, the data segments, the eight GPRs, far-jump to the 32-bit
// or the 16-bit code segment, then store GPRs, EFLAGS, selectors and MEM into the result table.
// Used by the legacy differential test only (Node-only: it loads v86 from node_modules).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { StopReason } from '../interpreter/contracts.ts';
import { Cpu } from '../interpreter/cpu.ts';
import { CpuidModel } from '../interpreter/cpuid-model.ts';

/** Physical address the instruction runs from (the 16-bit code segment's base too); branch cases aim at +32 (`LEGACY_TAKEN`). */
export const LEGACY_CODE_AT = 0x40000;
/** Offset from CODE_AT where a taken branch lands. */
export const LEGACY_TAKEN = 32;
/** Physical address of the 64 bytes of memory (the 16-bit data segment's base too). */
export const LEGACY_MEM = 0x50000;
// Below 1 MiB and above the image (which grows with the case count) respectively.
const RESULTS = 0x1000000;
const LDT_AT = 0x60000;
const VARS = 0x70000;
/** Bytes per case and per result record. */
export const LEGACY_RECORD = 128;

/** Selectors of the kernel's GDT (and LDT) the cases may use. */
export const SEL = {
  code32: 0x08,
  data32: 0x10,
  code16: 0x18,
  data16: 0x20,
  /** Read-only data, DPL 0, byte-granular limit FFFH, base 12345678H. */
  dataReadOnly: 0x28,
  /** Conforming readable code, DPL 3. */
  codeConforming: 0x30,
  /** Execute-only code, DPL 0. */
  codeExecOnly: 0x38,
  /** Writable data, DPL 3. */
  dataDpl3: 0x40,
  /** 32-bit TSS (available). */
  tss32: 0x48,
  /** 32-bit call gate. */
  callGate: 0x50,
  /** The LDT. */
  ldt: 0x58,
  /** Data segment marked not present. */
  notPresent: 0x60,
  /** Writable data, DPL 1. */
  dataDpl1: 0x68,
  /** LDT entry 0 (flat data) and 1 (flat code). */
  ldtData: 0x04,
  ldtCode: 0x0c,
} as const;

// Code and data descriptors have their accessed bit preset: the processor sets it when a
// segment register is loaded (SDM 3A 3.4.5.1) and we do, but v86 does not write it back.
const GDT: [number, number][] = [
  [0, 0],
  [0x0000ffff, 0x00cf9b00],
  [0x0000ffff, 0x00cf9300],
  [0x0000ffff, 0x00009b00 | (LEGACY_CODE_AT >>> 16)],
  [0x0000ffff, 0x00009300 | (LEGACY_MEM >>> 16)],
  [0x56780fff, 0x12409134],
  [0x0000ffff, 0x00cfff00],
  [0x0000ffff, 0x00cf9900],
  [0x0000ffff, 0x00cff300],
  [0x00000067, 0x00008900],
  [0x00081234, 0x00008c00],
  [((LDT_AT & 0xffff) << 16) | 0x0f, 0x00008200 | (LDT_AT >>> 16)],
  [0x0000ffff, 0x00cf1300],
  [0x0000ffff, 0x00cfb300],
];

/** One case: instruction bytes, EAX..EDI (ESP included), EFLAGS, code size, data selector, 64 memory bytes. */
export interface LegacyCase {
  code: Uint8Array;
  regs: Uint32Array;
  flags: number;
  bits: 16 | 32;
  /** Selector for DS, ES and SS (default: the 16-bit data segment for 16-bit code, the flat one for 32-bit). */
  dataSelector?: number;
  memory: Uint8Array;
}

/** A result: registers, EFLAGS, the vector raised (-1 none), DS/ES/FS/GS/SS, memory, whether control reached CODE_AT+32. */
export interface LegacyResult {
  taken: boolean;
  regs: Uint32Array;
  flags: number;
  vector: number;
  selectors: Uint16Array;
  memory: Uint8Array;
}

function kernelSource(): string {
  const stubs: string[] = [];
  for (let v = 0; v < 32; v++) {
    stubs.push(`exc_${v}:`, '  mov ax, 0x10', '  mov fs, ax', `  mov dword [fs:vector], ${v}`, '  jmp exc_common');
  }
  const gdt = GDT.map(([lo, hi]) => `  dd 0x${lo.toString(16)}, 0x${hi.toString(16)}`).join('\n');
  const stubTable = Array.from({ length: 32 }, (_, v) => `  dd exc_${v}`).join('\n');
  return `
    bits 32
    org 0x100000
    ; Variables live on their own page: stores into the code's page would make every emulator
    ; with a decoded-code cache (ours, v86's) throw the kernel's decoded instructions away.
    save equ ${VARS}
    case_index equ ${VARS + 64}
    case_ptr equ ${VARS + 68}
    vector equ ${VARS + 72}
    far_target equ ${VARS + 76}
  header:
    dd 0x1badb002
    dd 0x00010000
    dd -(0x1badb002 + 0x00010000)
    dd header
    dd header
    dd 0
    dd 0
    dd start
  start:
    cli
    lgdt [gdt_ptr]
    jmp 0x08:flat
  flat:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, 0x90000
    mov dword [${LDT_AT}], 0x0000ffff
    mov dword [${LDT_AT + 4}], 0x00cf9300
    mov dword [${LDT_AT + 8}], 0x0000ffff
    mov dword [${LDT_AT + 12}], 0x00cf9b00
    mov ax, ${SEL.ldt}
    lldt ax
    xor ecx, ecx
  idt_fill:
    mov eax, [stub_table + ecx*4]
    mov edx, eax
    and eax, 0xffff
    or eax, 0x00080000
    mov [idt + ecx*8], eax
    and edx, 0xffff0000
    or edx, 0x8e00
    mov [idt + ecx*8 + 4], edx
    inc ecx
    cmp ecx, 32
    jb idt_fill
    lidt [idt_ptr]
    mov dword [case_index], 0
  next_case:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, 0x90000
    cld
    mov esi, [case_index]
    cmp esi, [cases]
    jae done
    shl esi, 7
    add esi, cases + 4
    mov [case_ptr], esi
    mov edi, ${LEGACY_CODE_AT}
    mov ecx, 4
    rep movsd
    mov esi, [case_ptr]
    cmp dword [esi + 52], 16
    je tail16
    mov byte [${LEGACY_CODE_AT + 16}], 0xea
    mov dword [${LEGACY_CODE_AT + 17}], back
    mov word [${LEGACY_CODE_AT + 21}], 0x08
    mov byte [${LEGACY_CODE_AT + 32}], 0xea
    mov dword [${LEGACY_CODE_AT + 33}], back_taken
    mov word [${LEGACY_CODE_AT + 37}], 0x08
    jmp tail_done
  tail16:
    mov byte [${LEGACY_CODE_AT + 16}], 0x66
    mov byte [${LEGACY_CODE_AT + 17}], 0xea
    mov dword [${LEGACY_CODE_AT + 18}], back
    mov word [${LEGACY_CODE_AT + 22}], 0x08
    mov byte [${LEGACY_CODE_AT + 32}], 0x66
    mov byte [${LEGACY_CODE_AT + 33}], 0xea
    mov dword [${LEGACY_CODE_AT + 34}], back_taken
    mov word [${LEGACY_CODE_AT + 38}], 0x08
  tail_done:
    mov byte [save + 50], 0
    lea esi, [esi + 64]
    mov edi, ${LEGACY_MEM}
    mov ecx, 16
    rep movsd
    mov esi, [case_ptr]
    ; The far pointer the entry jumps through: the 32-bit code segment at CODE_AT, or the 16-bit one at offset 0.
    mov dword [far_target], ${LEGACY_CODE_AT}
    mov word [far_target + 4], 0x08
    cmp dword [esi + 52], 16
    jne enter
    mov dword [far_target], 0
    mov word [far_target + 4], 0x18
  enter:
    push dword [esi + 48]
    popfd
    mov es, [esi + 56]
    mov ss, [esi + 56]
    mov esp, [esi + 32]
    mov eax, [esi + 16]
    mov ecx, [esi + 20]
    mov edx, [esi + 24]
    mov ebx, [esi + 28]
    mov ebp, [esi + 36]
    mov edi, [esi + 44]
    mov ds, [fs:esi + 56]
    mov esi, [fs:esi + 40]
    jmp far [fs:far_target]
  back_taken:
    mov byte [fs:save + 50], 1
    jmp back
  back:
    mov [fs:save], eax
    mov [fs:save + 4], ecx
    mov [fs:save + 8], edx
    mov [fs:save + 12], ebx
    mov [fs:save + 16], esp
    mov [fs:save + 20], ebp
    mov [fs:save + 24], esi
    mov [fs:save + 28], edi
    mov [fs:save + 40], ds
    mov [fs:save + 42], es
    mov [fs:save + 44], fs
    mov [fs:save + 46], gs
    mov [fs:save + 48], ss
    mov ax, 0x10
    mov ss, ax
    mov esp, 0x90000
    pushfd
    pop dword [fs:save + 32]
    cld
    mov ds, ax
    mov es, ax
    mov dword [save + 36], 0xffffffff
    mov edi, [case_index]
    shl edi, 7
    add edi, ${RESULTS}
    mov esi, save
    mov ecx, 16
    rep movsd
    mov esi, ${LEGACY_MEM}
    mov ecx, 16
    rep movsd
    jmp case_end
  exc_common:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x90000
    cld
    mov edi, [case_index]
    shl edi, 7
    add edi, ${RESULTS}
    xor eax, eax
    mov ecx, 32
    rep stosd
    sub edi, 128
    mov eax, [vector]
    mov [edi + 36], eax
  case_end:
    inc dword [case_index]
    jmp next_case
  done:
    mov dx, 0x3f8
    mov al, 'D'
    out dx, al
  stop:
    hlt
    jmp stop
${stubs.join('\n')}
  gdt_ptr:
    dw ${GDT.length * 8 - 1}
    dd gdt
  idt_ptr:
    dw 255
    dd idt
  gdt:
${gdt}
  stub_table:
${stubTable}
  idt:
    times 256 db 0
  cases:
  `;
}

/** The multiboot image: the kernel followed by the case count and the case records. */
export function legacyImage(cases: readonly LegacyCase[]): Uint8Array {
  if (0x100000 + 4096 + cases.length * LEGACY_RECORD > RESULTS) throw new Error('too many legacy cases for one image');
  const kernel = assemble(kernelSource(), { bits: 32, org: 0x100000 }).bytes;
  const image = new Uint8Array(kernel.length + 4 + cases.length * LEGACY_RECORD);
  image.set(kernel);
  const dv = new DataView(image.buffer);
  const end = 0x100000 + image.length;
  dv.setUint32(20, end, true); // load_end_addr
  dv.setUint32(24, end, true); // bss_end_addr
  dv.setUint32(kernel.length, cases.length, true);
  cases.forEach((c, i) => {
    const o = kernel.length + 4 + i * LEGACY_RECORD;
    const code = new Uint8Array(16).fill(0x90);
    code.set(c.code.subarray(0, 16));
    image.set(code, o);
    for (let r = 0; r < 8; r++) dv.setUint32(o + 16 + r * 4, c.regs[r]!, true);
    dv.setUint32(o + 48, (c.flags & 0x8d5) | 2, true);
    dv.setUint32(o + 52, c.bits, true);
    dv.setUint32(o + 56, c.dataSelector ?? (c.bits === 16 ? SEL.data16 : SEL.data32), true);
    image.set(c.memory.subarray(0, 64), o + 64);
  });
  return image;
}

function parseResults(table: Uint8Array, count: number): LegacyResult[] {
  const dv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const out: LegacyResult[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * LEGACY_RECORD;
    const regs = new Uint32Array(8);
    for (let r = 0; r < 8; r++) regs[r] = dv.getUint32(o + r * 4, true);
    const selectors = new Uint16Array(5);
    for (let k = 0; k < 5; k++) selectors[k] = dv.getUint16(o + 40 + k * 2, true);
    out.push({
      taken: table[o + 50] === 1,
      regs,
      flags: dv.getUint32(o + 32, true),
      vector: dv.getInt32(o + 36, true),
      selectors,
      memory: table.slice(o + 64, o + 128),
    });
  }
  return out;
}

/**
 * A CPUID model with v86's instruction-set features (its CPUID reports POPCNT but none of
 * BMI1, BMI2, ADX, LZCNT, MOVBE, SSE4.2, SMAP, INVPCID, RDPID): v86 runs TZCNT/LZCNT as
 * BSF/BSR and raises #UD for the others, and so must we with the same model.
 */
export function v86CpuidModel(): CpuidModel {
  const model = new CpuidModel();
  const l1 = model.query(1, 0);
  model.set(1, 0, l1[0]!, l1[1]!, l1[2]! & ~((1 << 20) | (1 << 22)), l1[3]!);
  const l7 = model.query(7, 0);
  const bmi = (1 << 3) | (1 << 8) | (1 << 10) | (1 << 19) | (1 << 20);
  model.set(7, 0, l7[0]!, l7[1]! & ~bmi, l7[2]! & ~(1 << 22), l7[3]!);
  const e1 = model.query(0x80000001, 0);
  model.set(0x80000001, 0, e1[0]!, e1[1]!, e1[2]! & ~(1 << 5), e1[3]!);
  return model;
}

/** Runs the cases on our interpreter (the same kernel image from the multiboot entry state, v86's CPUID features). */
export function runLegacyOnInterpreter(cases: readonly LegacyCase[]): LegacyResult[] {
  const image = legacyImage(cases);
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x2000000);
  memory.writeBytes(guestPhysical(0x100000), image);
  const cpu = new Cpu({ memory, cpuid: v86CpuidModel() });
  cpu.setMode('protected32');
  cpu.setReg('rip', new DataView(image.buffer).getUint32(28, true));
  let stop = StopReason.InstructionLimit;
  for (let k = 0; k < 1000 && stop !== StopReason.Halt && stop !== StopReason.Shutdown; k++)
    stop = cpu.run({ maxInstructions: 1_000_000 });
  if (stop !== StopReason.Halt) throw new Error(`legacy kernel did not finish on the interpreter: stop ${stop}`);
  const table = new Uint8Array(cases.length * LEGACY_RECORD);
  memory.readBytes(guestPhysical(RESULTS), table);
  return parseResults(table, cases.length);
}

interface V86Emulator {
  add_listener(event: string, f: (...a: unknown[]) => void): void;
  read_memory(offset: number, length: number): Uint8Array;
  run(): void;
  stop(): void;
  destroy(): void;
}

/** Runs the cases on v86 (its interpreter, JIT off) and resolves with the result table. */
export async function runLegacyOnV86(cases: readonly LegacyCase[]): Promise<LegacyResult[]> {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('v86/package.json'));
  const { V86 } = (await import('v86')) as unknown as { V86: new (o: object) => V86Emulator };
  const image = legacyImage(cases);
  const buffer = image.buffer.slice(image.byteOffset, image.byteOffset + image.byteLength);
  return new Promise((resolve, reject) => {
    const emulator = new V86({
      wasm_path: join(pkg, 'build', 'v86.wasm'),
      multiboot: { buffer },
      memory_size: 64 * 1024 * 1024,
      autostart: false,
      disable_jit: true,
      disable_keyboard: true,
      disable_mouse: true,
      disable_speaker: true,
    });
    // v86 runs in short slices between event-loop turns: on a loaded machine (the whole
    // repository's tests at once) a run of a few seconds can stretch to minutes.
    const timer = setTimeout(() => {
      emulator.destroy();
      reject(new Error('v86 did not finish the legacy kernel in 300 s'));
    }, 300_000);
    emulator.add_listener('emulator-loaded', () => emulator.run());
    emulator.add_listener('serial0-output-byte', () => {
      clearTimeout(timer);
      const table = emulator.read_memory(RESULTS, cases.length * LEGACY_RECORD);
      const copy = new Uint8Array(table);
      emulator.destroy();
      resolve(parseResults(copy, cases.length));
    });
  });
}
