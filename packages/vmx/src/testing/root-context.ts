import type { VmxInstructionContext } from '../instructions/context.ts';

/** Test support: a processor in 64-bit mode at CPL 0 with CR0.PE/NE/PG and CR4.PAE/VMXE, as VMXON wants it. */
export const ROOT64: VmxInstructionContext = Object.freeze({
  cr0: 0x80000031,
  cr4: 0x2020,
  cpl: 0,
  v8086: false,
  ia32e: true,
  csL: true,
  blockedByMovSs: false,
});
