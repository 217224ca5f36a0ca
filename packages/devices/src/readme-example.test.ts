import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ByteCollector, PcPlatform } from './index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, '../README.md'), 'utf8');

/** The lines between `// --- <tag> start` and `// --- <tag> end` of a file, dedented. */
function section(text: string, tag: string): string {
  const lines = text.split('\n');
  const a = lines.findIndex((l) => l.includes(`// --- ${tag} start`));
  const b = lines.findIndex((l) => l.includes(`// --- ${tag} end`));
  const body = lines.slice(a + 1, b);
  const indent = Math.min(...body.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return body
    .map((l) => l.slice(indent))
    .join('\n')
    .trim();
}

describe('the README', () => {
  it('runs the README example: a PC whose PIT ticks IRQ0 at 18.2 Hz while COM1 prints', () => {
    const printed: string[] = [];
    const console = { log: (...args: unknown[]) => printed.push(args.join(' ')) };
    // --- README example start
    // import { ByteCollector, PcPlatform } from '@typevisor/devices';
    const serial = new ByteCollector();
    const pc = new PcPlatform({ serialOutput: serial });
    const out = (port: number, value: number) => pc.ports.writePort(port, 1, value);

    // What a PC BIOS does: 8259 pair on vectors 08h/70h, IRQ0 unmasked, PIT counter 0 in mode 3.
    out(0x20, 0x11); // ICW1: edge triggered, cascade, ICW4 follows
    out(0x21, 0x08); // ICW2: vectors 08h-0Fh
    out(0x21, 0x04); // ICW3: slave on IR2
    out(0x21, 0x01); // ICW4: 8086 mode
    out(0x21, 0xfe); // OCW1: only IRQ0 unmasked
    out(0x43, 0x36); // counter 0, LSB then MSB, mode 3: count 0 = 65536
    out(0x40, 0x00);
    out(0x40, 0x00);

    // Run one virtual second in 1 ms steps, acknowledging interrupts as a CPU would.
    let ticks = 0;
    for (let ms = 1; ms <= 1000; ms++) {
      pc.clock.advanceTo(ms * 1_000_000);
      while (pc.interrupts.hasInterrupt()) {
        if (pc.interrupts.acknowledge() === 0x08) ticks++;
        out(0x20, 0x20); // EOI
      }
    }
    for (const c of `${ticks} ticks\n`) out(0x3f8, c.charCodeAt(0)); // COM1 transmit
    console.log(serial.text()); // 19 ticks (18.2 Hz, plus the edge of programming mode 3)
    // --- README example end
    expect(printed).toEqual(['19 ticks\n']);
  });

  it('shows the README example exactly as it runs', () => {
    const code = section(readFileSync(join(here, 'readme-example.test.ts'), 'utf8'), 'README example');
    expect(readme).toContain(code);
  });

  it('shows the tutorial run loop exactly as examples/countdown-timer/run-in-vm.test.ts runs it', () => {
    const code = section(readFileSync(join(here, '../examples/countdown-timer/run-in-vm.test.ts'), 'utf8'), 'tutorial');
    expect(readme).toContain(code);
  });

  it('shows the tutorial conformance test exactly as the example runs it', () => {
    const code = section(
      readFileSync(join(here, '../examples/countdown-timer/countdown-timer.test.ts'), 'utf8'),
      'conformance',
    );
    expect(readme).toContain(code);
  });
});
