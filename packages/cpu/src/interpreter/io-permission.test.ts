import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { describe, expect, it } from 'vitest';
import { SEG_TR } from '../state/cpu-state.ts';
import { type PortIo, StopReason } from './contracts.ts';
import { Cpu } from './cpu.ts';

class RecordingBus implements PortIo {
  readonly writes: number[] = [];
  readPort(port: number): number {
    return port & 0xff;
  }
  writePort(port: number): void {
    this.writes.push(port);
  }
}

function machine(iopl: number): { cpu: Cpu; bus: RecordingBus } {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x100000);
  memory.writeBytes(
    guestPhysical(0x1000),
    assemble('bits 64\n mov al, 1\n out 0x80, al\n in al, 0x80\n mov dx, 0x81\n out dx, al\n hlt', {
      bits: 64,
      org: 0x1000,
    }).bytes,
  );
  // 64-bit TSS at 0x6000: I/O map base 0x68 (SDM 3A 8.7 / SDM 1 19.5.2); only port 0x80 allowed.
  const tss = new Uint8Array(0x80).fill(0);
  tss[0x66] = 0x68;
  tss.fill(0xff, 0x68);
  tss[0x68 + (0x80 >> 3)] = 0xfe;
  memory.writeBytes(guestPhysical(0x6000), tss);
  const bus = new RecordingBus();
  const cpu = new Cpu({ memory, ports: bus, exceptions: 'stop' });
  cpu.setMode('long64', 3);
  cpu.setSegmentRaw(SEG_TR, 0x28, 0x6000, 0x7f, 0x8b);
  cpu.setReg('rflags', 0x2 | (iopl << 12));
  cpu.setReg('rip', 0x1000);
  return { cpu, bus };
}

describe('I/O permission (IOPL and the TSS I/O bitmap)', () => {
  it('allows ports the bitmap clears and raises #GP(0) on the others when CPL > IOPL', () => {
    const { cpu, bus } = machine(0);
    expect(cpu.run({ maxInstructions: 10 })).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(13);
    expect(cpu.exceptionErrorCode).toBe(0);
    expect(bus.writes).toEqual([0x80]);
    expect(cpu.getReg('al')).toBe(0x80); // the IN from the allowed port went through
  });

  it('skips the bitmap when CPL <= IOPL', () => {
    const { cpu, bus } = machine(3);
    const stop = cpu.run({ maxInstructions: 10 });
    expect(bus.writes).toEqual([0x80, 0x81]);
    // HLT at CPL 3 is privileged regardless of IOPL.
    expect(stop).toBe(StopReason.Exception);
    expect(cpu.exceptionVector).toBe(13);
  });
});
