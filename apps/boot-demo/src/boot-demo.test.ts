import { StopReason } from '@typevisor/cpu';
import { disassembleLines } from '@typevisor/x86-decode';
import { describe, expect, it } from 'vitest';
import { assembleGuest, GUEST_LOAD_ADDRESS, GUEST_TICKS } from './guest.ts';
import { bootGuest } from './machine.ts';

describe('boot-demo guest', () => {
  it('climbs real -> protected -> long mode, takes PIT interrupts, reads the RTC and exits through isa-debug-exit', () => {
    const { bytes } = assembleGuest();
    // 2026-11-24 12:34:56 UTC
    const outcome = bootGuest(bytes, GUEST_LOAD_ADDRESS, { startTime: Date.UTC(2026, 10, 24, 12, 34, 56) / 1000 });
    expect(outcome.serial).toContain('real mode, COM1 at 115200 8N1\n');
    expect(outcome.serial).toContain('protected mode: flat 4 GiB segments\n');
    expect(outcome.serial).toContain('long mode: 4-level paging, 64-bit code\n');
    expect(outcome.serial).toContain(`timer interrupts taken at 100 Hz: ${GUEST_TICKS}\n`);
    expect(outcome.serial).toMatch(/RTC says 12:34:5\d\n/);
    // The guest writes 0; isa-debug-exit turns a write of v into the status (v << 1) | 1.
    expect(outcome.exitStatus).toBe(1);
    expect(outcome.lastStop).not.toBe(StopReason.Shutdown);
  });

  it('spends about ten 100 Hz timer periods of virtual time waiting for ten interrupts', () => {
    const { bytes } = assembleGuest();
    const outcome = bootGuest(bytes, GUEST_LOAD_ADDRESS);
    // Ten periods of the 8254 divisor (11932 / 1.193182 MHz = 10.0 ms each), plus boot time.
    expect(outcome.virtualNs).toBeGreaterThan(95e6);
    expect(outcome.virtualNs).toBeLessThan(115e6);
  });

  it('stops a guest that never exits at the instruction limit instead of hanging the host', () => {
    const { bytes } = assembleGuest();
    const outcome = bootGuest(bytes, GUEST_LOAD_ADDRESS, { maxInstructions: 500 });
    expect(outcome.exitStatus).toBeNull();
    expect(outcome.instructions).toBe(500);
  });

  it('is real machine code: the decoder reads back the 16-bit entry sequence the source names', () => {
    const { bytes } = assembleGuest();
    const text = disassembleLines(bytes.subarray(0, 8), { bitness: 16, ip: GUEST_LOAD_ADDRESS }).map(
      (l) => l.split('\t')[3],
    );
    expect(text.slice(0, 3)).toEqual(['cli', 'xor ax,ax', 'mov ds,ax']);
  });
});
