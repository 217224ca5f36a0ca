import * as C from './controls.ts';
import { slotOf } from './field-encoding.ts';
import { VmcsField as F } from './fields.ts';
import type { VmcsCache } from './vmcs.ts';

const S_PIN = slotOf(F.PIN_BASED_CONTROLS);
const S_PROC = slotOf(F.PRIMARY_PROCESSOR_BASED_CONTROLS);
const S_PROC2 = slotOf(F.SECONDARY_PROCESSOR_BASED_CONTROLS);
const S_EXIT = slotOf(F.PRIMARY_VM_EXIT_CONTROLS);
const S_ENTRY = slotOf(F.VM_ENTRY_CONTROLS);

/**
 * Typed, read-only accessors for the control words of a VMCS working copy, so that exit
 * logic reads `controls.hltExiting` instead of masking bits (Bochs' style). Secondary
 * controls read as 0 unless "activate secondary controls" is 1 (SDM 3C 25.6.2).
 *
 * @example
 * ```ts
 * import { PROC_HLT_EXITING, VmcsAccess, VmcsCache, VmcsField, VmxControls } from '@typevisor/vmx';
 * const cache = new VmcsCache();
 * new VmcsAccess(cache).write(VmcsField.PRIMARY_PROCESSOR_BASED_CONTROLS, PROC_HLT_EXITING);
 * new VmxControls(cache).hltExiting; // true
 * ```
 */
export class VmxControls {
  private readonly d: Uint32Array;

  constructor(cache: VmcsCache) {
    this.d = cache.data;
  }

  get pin(): number {
    return this.d[2 * S_PIN]!;
  }
  get proc(): number {
    return this.d[2 * S_PROC]!;
  }
  /** Secondary processor-based controls in effect (0 when not activated). */
  get proc2(): number {
    return this.proc & C.PROC_ACTIVATE_SECONDARY_CONTROLS ? this.d[2 * S_PROC2]! : 0;
  }
  get exit(): number {
    return this.d[2 * S_EXIT]!;
  }
  get entry(): number {
    return this.d[2 * S_ENTRY]!;
  }

  // Pin-based, SDM 3C 25.6.1
  get externalInterruptExiting(): boolean {
    return (this.pin & C.PIN_EXTERNAL_INTERRUPT_EXITING) !== 0;
  }
  get nmiExiting(): boolean {
    return (this.pin & C.PIN_NMI_EXITING) !== 0;
  }
  get virtualNmis(): boolean {
    return (this.pin & C.PIN_VIRTUAL_NMIS) !== 0;
  }
  get preemptionTimer(): boolean {
    return (this.pin & C.PIN_ACTIVATE_PREEMPTION_TIMER) !== 0;
  }

  // Primary processor-based, SDM 3C 25.6.2
  get interruptWindowExiting(): boolean {
    return (this.proc & C.PROC_INTERRUPT_WINDOW_EXITING) !== 0;
  }
  get useTscOffsetting(): boolean {
    return (this.proc & C.PROC_USE_TSC_OFFSETTING) !== 0;
  }
  get hltExiting(): boolean {
    return (this.proc & C.PROC_HLT_EXITING) !== 0;
  }
  get invlpgExiting(): boolean {
    return (this.proc & C.PROC_INVLPG_EXITING) !== 0;
  }
  get mwaitExiting(): boolean {
    return (this.proc & C.PROC_MWAIT_EXITING) !== 0;
  }
  get rdpmcExiting(): boolean {
    return (this.proc & C.PROC_RDPMC_EXITING) !== 0;
  }
  get rdtscExiting(): boolean {
    return (this.proc & C.PROC_RDTSC_EXITING) !== 0;
  }
  get cr3LoadExiting(): boolean {
    return (this.proc & C.PROC_CR3_LOAD_EXITING) !== 0;
  }
  get cr3StoreExiting(): boolean {
    return (this.proc & C.PROC_CR3_STORE_EXITING) !== 0;
  }
  get cr8LoadExiting(): boolean {
    return (this.proc & C.PROC_CR8_LOAD_EXITING) !== 0;
  }
  get cr8StoreExiting(): boolean {
    return (this.proc & C.PROC_CR8_STORE_EXITING) !== 0;
  }
  get useTprShadow(): boolean {
    return (this.proc & C.PROC_USE_TPR_SHADOW) !== 0;
  }
  get nmiWindowExiting(): boolean {
    return (this.proc & C.PROC_NMI_WINDOW_EXITING) !== 0;
  }
  get movDrExiting(): boolean {
    return (this.proc & C.PROC_MOV_DR_EXITING) !== 0;
  }
  get unconditionalIoExiting(): boolean {
    return (this.proc & C.PROC_UNCONDITIONAL_IO_EXITING) !== 0;
  }
  get useIoBitmaps(): boolean {
    return (this.proc & C.PROC_USE_IO_BITMAPS) !== 0;
  }
  get monitorTrapFlag(): boolean {
    return (this.proc & C.PROC_MONITOR_TRAP_FLAG) !== 0;
  }
  get useMsrBitmaps(): boolean {
    return (this.proc & C.PROC_USE_MSR_BITMAPS) !== 0;
  }
  get monitorExiting(): boolean {
    return (this.proc & C.PROC_MONITOR_EXITING) !== 0;
  }
  get pauseExiting(): boolean {
    return (this.proc & C.PROC_PAUSE_EXITING) !== 0;
  }

  // Secondary processor-based, SDM 3C 25.6.2
  get enableEpt(): boolean {
    return (this.proc2 & C.PROC2_ENABLE_EPT) !== 0;
  }
  get descriptorTableExiting(): boolean {
    return (this.proc2 & C.PROC2_DESCRIPTOR_TABLE_EXITING) !== 0;
  }
  get enableRdtscp(): boolean {
    return (this.proc2 & C.PROC2_ENABLE_RDTSCP) !== 0;
  }
  get enableVpid(): boolean {
    return (this.proc2 & C.PROC2_ENABLE_VPID) !== 0;
  }
  get wbinvdExiting(): boolean {
    return (this.proc2 & C.PROC2_WBINVD_EXITING) !== 0;
  }
  get unrestrictedGuest(): boolean {
    return (this.proc2 & C.PROC2_UNRESTRICTED_GUEST) !== 0;
  }
  get pauseLoopExiting(): boolean {
    return (this.proc2 & C.PROC2_PAUSE_LOOP_EXITING) !== 0;
  }
  get rdrandExiting(): boolean {
    return (this.proc2 & C.PROC2_RDRAND_EXITING) !== 0;
  }
  get enableInvpcid(): boolean {
    return (this.proc2 & C.PROC2_ENABLE_INVPCID) !== 0;
  }
  get enableVmFunctions(): boolean {
    return (this.proc2 & C.PROC2_ENABLE_VM_FUNCTIONS) !== 0;
  }
  get rdseedExiting(): boolean {
    return (this.proc2 & C.PROC2_RDSEED_EXITING) !== 0;
  }
  get enableXsaves(): boolean {
    return (this.proc2 & C.PROC2_ENABLE_XSAVES_XRSTORS) !== 0;
  }

  // VM-exit controls, SDM 3C 25.7.1
  get saveDebugControls(): boolean {
    return (this.exit & C.EXIT_SAVE_DEBUG_CONTROLS) !== 0;
  }
  get hostAddressSpaceSize(): boolean {
    return (this.exit & C.EXIT_HOST_ADDRESS_SPACE_SIZE) !== 0;
  }
  get acknowledgeInterruptOnExit(): boolean {
    return (this.exit & C.EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT) !== 0;
  }
  get savePreemptionTimer(): boolean {
    return (this.exit & C.EXIT_SAVE_PREEMPTION_TIMER) !== 0;
  }

  // VM-entry controls, SDM 3C 25.8.1
  get loadDebugControls(): boolean {
    return (this.entry & C.ENTRY_LOAD_DEBUG_CONTROLS) !== 0;
  }
  get ia32eModeGuest(): boolean {
    return (this.entry & C.ENTRY_IA32E_MODE_GUEST) !== 0;
  }
}
