import { Cpu, StopReason } from '@typevisor/cpu';
import { ByteCollector, PC_IOAPIC_BASE, PC_LAPIC_BASE, PcPlatform } from '@typevisor/devices';
import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';

/** Virtual time charged per retired instruction: a 1 GHz machine that retires one instruction a cycle. */
export const NS_PER_INSTRUCTION = 1;

/** How a {@link bootGuest} run ended. */
export interface BootOutcome {
  /** What the guest wrote to COM1. */
  readonly serial: string;
  /** The exit status the guest asked for through isa-debug-exit (QEMU convention: `(value << 1) | 1`), or null if it never did. */
  readonly exitStatus: number | null;
  /** Why the last `cpu.run` returned. */
  readonly lastStop: StopReason;
  readonly instructions: number;
  /** Virtual nanoseconds that passed, halted time included. */
  readonly virtualNs: number;
}

export interface BootOptions {
  /** Guest RAM size in bytes. Default 4 MiB. */
  readonly ramBytes?: number;
  /** Stop after this many retired instructions even if the guest has not exited. */
  readonly maxInstructions?: number;
  /** RTC wall time at virtual time 0, Unix seconds. */
  readonly startTime?: number;
  /** Called with each byte the guest sends to COM1, as it is sent. */
  readonly onSerialByte?: (byte: number) => void;
}

/**
 * Loads `image` at `loadAddress` on a modelled PC (RAM, the standard PC devices, one CPU in
 * real mode at 0:loadAddress, as a BIOS hands over to a boot sector) and runs it until it
 * writes isa-debug-exit, shuts down, or `maxInstructions` retire. Time is virtual: it
 * advances with retired instructions and, while the CPU halts, jumps to the next device
 * deadline — so a run is the same on every machine.
 */
export function bootGuest(image: Uint8Array, loadAddress: number, options: BootOptions = {}): BootOutcome {
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), options.ramBytes ?? 4 * 1024 * 1024);
  memory.writeBytes(guestPhysical(loadAddress), image);

  const serial = new ByteCollector();
  let exitStatus: number | null = null;
  const pc = new PcPlatform({
    serialOutput: {
      writeByte(byte: number) {
        serial.writeByte(byte);
        options.onSerialByte?.(byte);
      },
    },
    onExit: (status) => {
      exitStatus = status;
    },
    startTime: options.startTime ?? 0,
  });
  // The I/O APIC and the local APIC sit at the top of the 4 GiB hole; the devices' MMIO bus
  // takes physical addresses, the MMU's region handler hands it offsets from the region base.
  const mmioBase = PC_IOAPIC_BASE;
  memory.addMmio(guestPhysical(mmioBase), PC_LAPIC_BASE + 0x1000 - mmioBase, {
    read: (offset, size) => pc.mmio.read(mmioBase + offset, size),
    write: (offset, size, value) => pc.mmio.write(mmioBase + offset, size, value),
  });

  const cpu = new Cpu({ memory, ports: pc.ports, interrupts: pc.interrupts });
  cpu.setMode('real');
  cpu.setReg('rip', loadAddress);

  const limit = options.maxInstructions ?? 50_000_000;
  const slice = 10_000;
  let instructions = 0;
  let lastStop = StopReason.InstructionLimit;
  while (exitStatus === null && instructions < limit) {
    const before = cpu.state.tsc;
    lastStop = cpu.run({ maxInstructions: Math.min(slice, limit - instructions) });
    const retired = cpu.state.tsc - before;
    instructions += retired;
    pc.clock.advanceBy(retired * NS_PER_INSTRUCTION);
    if (lastStop === StopReason.Halt) {
      // HLT with nothing pending: skip to the next device event, as real time would.
      const next = pc.clock.nextDeadline();
      if (!Number.isFinite(next)) break;
      pc.clock.advanceTo(next);
    } else if (lastStop !== StopReason.InstructionLimit) {
      break;
    }
  }
  return { serial: serial.text(), exitStatus, lastStop, instructions, virtualNs: pc.clock.now() };
}
