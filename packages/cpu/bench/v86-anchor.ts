// The anchor: v86 (npm `v86`, 32-bit) running the same loops as a multiboot kernel
// (no BIOS), timed from start until the guest writes a byte to COM1; exact instruction counts
// from get_instruction_counter(). Used by cpu.bench.ts.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { assemble } from '@typevisor/x86-asm';

const require = createRequire(import.meta.url);

/** A raw multiboot image (a.out kludge, SDM-free: Multiboot spec 3.1.3) loaded at 1 MiB. */
export function multibootImage(loop: string): Uint8Array {
  const src = `
    bits 32
    org 0x100000
  header:
    dd 0x1badb002
    dd 0x00010000
    dd -(0x1badb002 + 0x00010000)
    dd header
    dd header
    dd image_end
    dd image_end
    dd start
  start:
    cli
    mov esp, 0x90000
    mov esi, 0x200000
    ${loop}
    mov dx, 0x3f8
    mov al, 'D'
    out dx, al
  stop:
    hlt
    jmp stop
  image_end:
  `;
  return assemble(src, { bits: 32, org: 0x100000 }).bytes;
}

/** Runs a multiboot image in v86; resolves with instructions executed and MIPS. */
export async function runV86(image: Uint8Array, jit: boolean): Promise<{ instructions: number; mips: number }> {
  const pkg = dirname(require.resolve('v86/package.json'));
  const { V86 } = (await import('v86')) as unknown as { V86: new (o: object) => V86Emulator };
  const buffer = image.buffer.slice(image.byteOffset, image.byteOffset + image.byteLength);
  return new Promise((resolve) => {
    const emulator = new V86({
      wasm_path: join(pkg, 'build', 'v86.wasm'),
      multiboot: { buffer },
      memory_size: 64 * 1024 * 1024,
      autostart: false,
      disable_jit: !jit,
      disable_keyboard: true,
      disable_mouse: true,
      disable_speaker: true,
    });
    let t0 = 0;
    let i0 = 0;
    emulator.add_listener('emulator-loaded', () => {
      i0 = emulator.get_instruction_counter();
      t0 = performance.now();
      emulator.run();
    });
    emulator.add_listener('serial0-output-byte', () => {
      const s = (performance.now() - t0) / 1000;
      const n = emulator.get_instruction_counter() - i0;
      emulator.destroy();
      resolve({ instructions: n, mips: n / s / 1e6 });
    });
  });
}

interface V86Emulator {
  add_listener(event: string, f: (...a: unknown[]) => void): void;
  get_instruction_counter(): number;
  run(): void;
  destroy(): void;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const img = multibootImage('mov ecx, 2000000\nl: add eax, ebx\nxor edx, eax\nsub ebx, 3\ndec ecx\njnz l');
  for (const jit of [false, true]) console.log(jit ? 'jit' : 'interp', await runV86(img, jit));
}
