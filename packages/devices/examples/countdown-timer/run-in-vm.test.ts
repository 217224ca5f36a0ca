// The tutorial's last step, end to end: the guest driver (assembled by @typevisor/x86-asm) runs on
// the @typevisor/cpu interpreter over @typevisor/mmu memory, reaching the example device through an
// MmioBus and the PC devices through the port bus.
import { Cpu, StopReason } from '@typevisor/cpu';
import { ByteCollector, MmioBus, PcPlatform } from '@typevisor/devices';
import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
import { assemble } from '@typevisor/x86-asm';
import { expect, it } from 'vitest';
import { CountdownTimer, TIMER_LENGTH } from './countdown-timer.ts';
import { GUEST_DRIVER } from './guest-driver.ts';

it('runs the guest driver in a VM: 5 timer interrupts, "timer ok" on port 0xE9, exit status 11', () => {
  // --- tutorial start
  const TIMER_BASE = 0xfed0_0000;
  const debug = new ByteCollector();
  let exitStatus = -1;
  const pc = new PcPlatform({ debugOutput: debug, onExit: (status) => (exitStatus = status) });

  // Our device: on its own MMIO bus, its interrupt on ISA IRQ 5, its timer on the shared clock.
  const timer = new CountdownTimer(pc.clock, pc.pic.line(5));
  const devices = new MmioBus();
  devices.register(0, TIMER_LENGTH, timer);
  pc.clock.attach(timer);

  // Guest memory: 1 MiB of RAM with the driver at 0x1000, and the device window.
  const memory = new PhysicalMemory();
  memory.addRam(guestPhysical(0), 0x10_0000);
  memory.addMmio(guestPhysical(TIMER_BASE), 0x1000, devices);
  const image = assemble(GUEST_DRIVER, { defines: { TIMER: TIMER_BASE, TICKS: 5 } });
  memory.writeBytes(guestPhysical(image.origin), image.bytes);

  const cpu = new Cpu({ memory, ports: pc.ports, interrupts: pc.pic });
  cpu.setMode('protected32');
  cpu.setReg('rip', image.origin);

  // The run loop: 1 ns of virtual time per instruction; a halted CPU sleeps to the next deadline.
  for (let slice = 0; slice < 1000 && exitStatus < 0; slice++) {
    const stop = cpu.run({ maxInstructions: 10_000 });
    if (stop === StopReason.Halt) pc.clock.advanceTo(pc.clock.nextDeadline());
    else pc.clock.advanceBy(10_000);
  }
  // --- tutorial end

  expect(debug.text()).toBe('timer ok\n');
  expect(exitStatus).toBe((5 << 1) | 1);
  expect(pc.clock.now()).toBeGreaterThanOrEqual(5 * 250_000);
});
