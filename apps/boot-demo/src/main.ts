// The boot demo: assembles the guest, shows its first instructions through the decoder, boots
// it on the modelled PC and streams its serial output. Exit code 0 when the guest asked for
// success (it writes 0 to isa-debug-exit, which QEMU's convention reports as status 1).
import { disassembleLines } from '@typevisor/x86-decode';
import { assembleGuest, GUEST_LOAD_ADDRESS } from './guest.ts';
import { bootGuest } from './machine.ts';

const { bytes, symbols } = assembleGuest();
process.stdout.write(`assembled the guest: ${bytes.length} bytes, ${symbols.size} symbols\n`);
process.stdout.write('its first instructions, as @typevisor/x86-decode reads them:\n');
for (const line of disassembleLines(bytes.subarray(0, 24), { bitness: 16, ip: GUEST_LOAD_ADDRESS }).slice(0, 8)) {
  process.stdout.write(`  ${line}\n`);
}
process.stdout.write('\n--- guest COM1 ---\n');
const started = performance.now();
const outcome = bootGuest(bytes, GUEST_LOAD_ADDRESS, {
  startTime: Math.floor(Date.now() / 1000),
  onSerialByte: (byte) => process.stdout.write(String.fromCharCode(byte)),
});
const hostMs = performance.now() - started;
process.stdout.write('--- end of guest output ---\n\n');
process.stdout.write(
  `${outcome.instructions.toLocaleString('en')} instructions retired, ${(outcome.virtualNs / 1e6).toFixed(1)} ms of virtual time, ` +
    `${hostMs.toFixed(0)} ms of host time; guest exit status ${outcome.exitStatus ?? 'none'}\n`,
);
process.exitCode = outcome.exitStatus === 1 ? 0 : 1;
