// pnpm bench: how fast the VMX model runs VM entries and exits. Until @typevisor/cpu can run
// a guest in non-root mode, the round trip is driven through the API: VMRESUME (all the
// VM-entry checks, guest-state and MSR-area loading), then a CPUID exit (exit information,
// guest-state saving, host-state loading), as a hypervisor's exit loop would.
import { measureRate, printLine } from '@typevisor/bench';
import {
  EXIT_REASON_CPUID,
  FEATURE_CONTROL_VMX_READY,
  FlatPhysicalMemory,
  VmcsField,
  Vmx,
  type VmxInstructionContext,
  type VmxMsrPort,
  VmxProcessorState,
} from '../src/index.ts';
import { writeBaseline } from '../src/testing/baseline-vmcs.ts';

const ctx: VmxInstructionContext = {
  cr0: 0x80000031,
  cr4: 0x2020,
  cpl: 0,
  v8086: false,
  ia32e: true,
  csL: true,
  blockedByMovSs: false,
};
const msrs: VmxMsrPort = { readMsr: () => true, writeMsr: () => true };
const memory = new FlatPhysicalMemory(1 << 20);
const state = new VmxProcessorState();
const vmx = new Vmx({ memory, featureControl: FEATURE_CONTROL_VMX_READY, processor: { state, msrs } });
memory.write32(0x1000, vmx.capabilities.basic.lo);
memory.write32(0x2000, vmx.capabilities.basic.lo);
vmx.vmxon(ctx, 0x1000, 0);
vmx.vmptrld(ctx, 0x2000, 0);
writeBaseline(vmx.vmcs, vmx.capabilities);
if (vmx.vmlaunch(ctx).kind !== 'entered') throw new Error('baseline VMCS does not enter');

const roundTrips = measureRate(() => {
  for (let i = 0; i < 1000; i++) {
    vmx.exit.reset(EXIT_REASON_CPUID).instructionLength = 2;
    vmx.performExit();
    vmx.vmwrite(ctx, VmcsField.GUEST_RIP, 0, 0x1000, 0);
    if (vmx.vmresume(ctx).kind !== 'entered') throw new Error('VMRESUME failed');
  }
  return 1000;
});
printLine('vm exit + VMRESUME round trip (API, CPUID exit)', { value: roundTrips.perSecond, unit: 'trips/s' });

vmx.exit.reset(EXIT_REASON_CPUID);
vmx.performExit();
const access = measureRate(() => {
  let x = 0;
  for (let i = 0; i < 1000; i++) {
    vmx.vmwrite(ctx, VmcsField.GUEST_RSP, 0, i, 0);
    vmx.vmread(ctx, VmcsField.GUEST_RSP, 0);
    x += vmx.readLo;
  }
  return x >= 0 ? 2000 : 0;
});
printLine('VMREAD/VMWRITE', { value: access.perSecond, unit: 'ops/s' });
