import { describe, expect, it } from 'vitest';
import type { VmxFeatures } from '../capabilities/features.ts';
import type { FlatPhysicalMemory } from '../memory/physical-memory.ts';
import { makeBaseline } from '../testing/baseline-vmcs.ts';
import * as C from '../vmcs/controls.ts';
import { VmcsField as F } from '../vmcs/fields.ts';
import type { VmcsAccess } from '../vmcs/vmcs.ts';
import { ENTRY_CHECKS, runEntryChecks } from './entry-checks.ts';

interface BrokenVmcs {
  /** The check the set-up must fail, and only that one (it is the first to fail). */
  readonly id: string;
  readonly features?: Partial<VmxFeatures>;
  /** IA32_EFER.LMA of the processor executing VMLAUNCH; default true. */
  readonly hostIa32e?: boolean;
  readonly qualification?: number;
  readonly breakIt: (v: VmcsAccess, m: FlatPhysicalMemory) => void;
}

const or = (v: VmcsAccess, f: number, bits: number) => v.write(f, (v.readLo(f) | bits) >>> 0);
const and = (v: VmcsAccess, f: number, bits: number) => v.write(f, (v.readLo(f) & ~bits) >>> 0);
const APICV: Partial<VmxFeatures> = { apicVirtualization: true };
const VALID_EPTP = 0x8000 | 6 | (3 << 3);
const enableEpt = (v: VmcsAccess, extra = 0) => {
  v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, C.PROC2_ENABLE_EPT | extra);
  v.write(F.EPT_POINTER, VALID_EPTP);
};
const tprShadow = (v: VmcsAccess) => {
  or(v, F.PRIMARY_PROCESSOR_BASED_CONTROLS, C.PROC_USE_TPR_SHADOW);
  v.write(F.VIRTUAL_APIC_ADDRESS, 0x5000);
};
const postedBase = (v: VmcsAccess) => {
  tprShadow(v);
  v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, C.PROC2_VIRTUAL_INTERRUPT_DELIVERY);
  or(v, F.PIN_BASED_CONTROLS, C.PIN_EXTERNAL_INTERRUPT_EXITING | C.PIN_PROCESS_POSTED_INTERRUPTS);
};
/** A 32-bit host and guest run from a processor outside IA-32e mode. */
const legacyHost = (v: VmcsAccess) => {
  and(v, F.PRIMARY_VM_EXIT_CONTROLS, C.EXIT_HOST_ADDRESS_SPACE_SIZE);
  and(v, F.VM_ENTRY_CONTROLS, C.ENTRY_IA32E_MODE_GUEST);
};
const notIa32eGuest = (v: VmcsAccess) => {
  and(v, F.VM_ENTRY_CONTROLS, C.ENTRY_IA32E_MODE_GUEST);
  v.write(F.GUEST_CS_ACCESS_RIGHTS, 0xc09b);
};
const unrestricted = (v: VmcsAccess) => enableEpt(v, C.PROC2_UNRESTRICTED_GUEST);
const SEG6 = ['CS', 'SS', 'DS', 'ES', 'FS', 'GS'] as const;
/** Virtual-8086 segments: selector 0x1000, base 0x10000, limit FFFFH, access rights F3H. */
const v86Guest = (v: VmcsAccess) => {
  notIa32eGuest(v);
  v.write(F.GUEST_RFLAGS, 0x20002);
  for (const g of SEG6) {
    v.write(F[`GUEST_${g}_SELECTOR`], 0x1000);
    v.write(F[`GUEST_${g}_BASE`], 0x10000);
    v.write(F[`GUEST_${g}_LIMIT`], 0xffff);
    v.write(F[`GUEST_${g}_ACCESS_RIGHTS`], 0xf3);
  }
};
const inject = (v: VmcsAccess, type: number, vector: number, extra = 0) =>
  v.write(F.VM_ENTRY_INTERRUPTION_INFORMATION, (C.INTR_INFO_VALID | (type << 8) | vector | extra) >>> 0);
const msrEntries = (v: VmcsAccess, m: FlatPhysicalMemory, entries: [number, number][]) => {
  v.write(F.VM_ENTRY_MSR_LOAD_ADDRESS, 0xf000);
  v.write(F.VM_ENTRY_MSR_LOAD_COUNT, entries.length);
  entries.forEach(([index, reserved], i) => {
    m.write32(0xf000 + 16 * i, index);
    m.write32(0xf000 + 16 * i + 4, reserved);
  });
};

const CASES: BrokenVmcs[] = [
  // 27.2.1.1
  { id: 'ctl.pin.reserved', breakIt: (v) => v.write(F.PIN_BASED_CONTROLS, 0) },
  { id: 'ctl.proc.reserved', breakIt: (v) => or(v, F.PRIMARY_PROCESSOR_BASED_CONTROLS, 1) },
  { id: 'ctl.proc2.reserved', breakIt: (v) => v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, C.PROC2_VMCS_SHADOWING) },
  { id: 'ctl.cr3-target-count', breakIt: (v) => v.write(F.CR3_TARGET_COUNT, 5) },
  {
    id: 'ctl.io-bitmap-a.address',
    breakIt: (v) => {
      or(v, F.PRIMARY_PROCESSOR_BASED_CONTROLS, C.PROC_USE_IO_BITMAPS);
      v.write(F.IO_BITMAP_A, 0x2001);
      v.write(F.IO_BITMAP_B, 0x3000);
    },
  },
  {
    id: 'ctl.io-bitmap-b.address',
    breakIt: (v) => {
      or(v, F.PRIMARY_PROCESSOR_BASED_CONTROLS, C.PROC_USE_IO_BITMAPS);
      v.write(F.IO_BITMAP_A, 0x2000);
      v.writePair(F.IO_BITMAP_B, 0x3000, 0x4000);
    },
  },
  {
    id: 'ctl.msr-bitmap.address',
    breakIt: (v) => {
      or(v, F.PRIMARY_PROCESSOR_BASED_CONTROLS, C.PROC_USE_MSR_BITMAPS);
      v.write(F.MSR_BITMAPS, 0x10);
    },
  },
  {
    id: 'ctl.tpr-shadow.virtual-apic-address',
    breakIt: (v) => {
      tprShadow(v);
      v.write(F.VIRTUAL_APIC_ADDRESS, 0x5008);
    },
  },
  {
    id: 'ctl.tpr-shadow.tpr-threshold-reserved',
    breakIt: (v) => {
      tprShadow(v);
      v.write(F.TPR_THRESHOLD, 0x10);
    },
  },
  {
    id: 'ctl.tpr-shadow.tpr-threshold-vtpr',
    breakIt: (v, m) => {
      tprShadow(v);
      v.write(F.TPR_THRESHOLD, 5);
      m.write32(0x5080, 0x40);
    },
  },
  {
    id: 'ctl.no-tpr-shadow.apic-virtualization',
    features: APICV,
    breakIt: (v) => v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, C.PROC2_VIRTUALIZE_X2APIC_MODE),
  },
  { id: 'ctl.nmi-exiting.virtual-nmis', breakIt: (v) => or(v, F.PIN_BASED_CONTROLS, C.PIN_VIRTUAL_NMIS) },
  {
    id: 'ctl.virtual-nmis.nmi-window',
    breakIt: (v) => or(v, F.PRIMARY_PROCESSOR_BASED_CONTROLS, C.PROC_NMI_WINDOW_EXITING),
  },
  {
    id: 'ctl.apic-access.address',
    features: APICV,
    breakIt: (v) => {
      v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, C.PROC2_VIRTUALIZE_APIC_ACCESSES);
      v.write(F.APIC_ACCESS_ADDRESS, 0x123);
    },
  },
  {
    id: 'ctl.x2apic.apic-accesses',
    features: APICV,
    breakIt: (v) => {
      tprShadow(v);
      v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, C.PROC2_VIRTUALIZE_X2APIC_MODE | C.PROC2_VIRTUALIZE_APIC_ACCESSES);
      v.write(F.APIC_ACCESS_ADDRESS, 0x6000);
    },
  },
  {
    id: 'ctl.vid.external-interrupt-exiting',
    features: APICV,
    breakIt: (v) => {
      tprShadow(v);
      v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, C.PROC2_VIRTUAL_INTERRUPT_DELIVERY);
    },
  },
  {
    id: 'ctl.posted-interrupts.vid',
    features: APICV,
    breakIt: (v) => or(v, F.PIN_BASED_CONTROLS, C.PIN_EXTERNAL_INTERRUPT_EXITING | C.PIN_PROCESS_POSTED_INTERRUPTS),
  },
  { id: 'ctl.posted-interrupts.ack-on-exit', features: APICV, breakIt: (v) => postedBase(v) },
  {
    id: 'ctl.posted-interrupts.vector',
    features: APICV,
    breakIt: (v) => {
      postedBase(v);
      or(v, F.PRIMARY_VM_EXIT_CONTROLS, C.EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT);
      v.write(F.POSTED_INTERRUPT_NOTIFICATION_VECTOR, 0x100);
    },
  },
  {
    id: 'ctl.posted-interrupts.descriptor',
    features: APICV,
    breakIt: (v) => {
      postedBase(v);
      or(v, F.PRIMARY_VM_EXIT_CONTROLS, C.EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT);
      v.write(F.POSTED_INTERRUPT_NOTIFICATION_VECTOR, 0xf2);
      v.write(F.POSTED_INTERRUPT_DESCRIPTOR_ADDRESS, 0x7020);
    },
  },
  { id: 'ctl.vpid.nonzero', breakIt: (v) => v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, C.PROC2_ENABLE_VPID) },
  {
    id: 'ctl.ept.pointer',
    breakIt: (v) => {
      enableEpt(v);
      v.write(F.EPT_POINTER, VALID_EPTP | (1 << 7));
    },
  },
  {
    id: 'ctl.pml.ept',
    features: { pml: true },
    breakIt: (v) => v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, C.PROC2_ENABLE_PML),
  },
  {
    id: 'ctl.pml.address',
    features: { pml: true },
    breakIt: (v) => {
      enableEpt(v, C.PROC2_ENABLE_PML);
      v.write(F.PML_ADDRESS, 0x9001);
    },
  },
  {
    id: 'ctl.unrestricted-guest.ept',
    breakIt: (v) => v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, C.PROC2_UNRESTRICTED_GUEST),
  },
  {
    id: 'ctl.vmfunc.reserved',
    breakIt: (v) => {
      enableEpt(v, C.PROC2_ENABLE_VM_FUNCTIONS);
      v.write(F.VM_FUNCTION_CONTROLS, 2);
    },
  },
  {
    id: 'ctl.vmfunc.eptp-switching.ept',
    breakIt: (v) => {
      v.write(F.SECONDARY_PROCESSOR_BASED_CONTROLS, C.PROC2_ENABLE_VM_FUNCTIONS);
      v.write(F.VM_FUNCTION_CONTROLS, 1);
    },
  },
  {
    id: 'ctl.vmfunc.eptp-list.address',
    breakIt: (v) => {
      enableEpt(v, C.PROC2_ENABLE_VM_FUNCTIONS);
      v.write(F.VM_FUNCTION_CONTROLS, 1);
      v.write(F.EPTP_LIST_ADDRESS, 0xa010);
    },
  },
  // 27.2.1.2
  { id: 'ctl.exit.reserved', breakIt: (v) => v.write(F.PRIMARY_VM_EXIT_CONTROLS, 0) },
  {
    id: 'ctl.exit.preemption-timer-save',
    breakIt: (v) => or(v, F.PRIMARY_VM_EXIT_CONTROLS, C.EXIT_SAVE_PREEMPTION_TIMER),
  },
  {
    id: 'ctl.exit.msr-store.address',
    breakIt: (v) => {
      v.write(F.VM_EXIT_MSR_STORE_COUNT, 1);
      v.write(F.VM_EXIT_MSR_STORE_ADDRESS, 0xb008);
    },
  },
  {
    id: 'ctl.exit.msr-load.address',
    breakIt: (v) => {
      // 16-byte aligned, but the second entry's end crosses 2^46 (MAXPHYADDR).
      v.write(F.VM_EXIT_MSR_LOAD_COUNT, 2);
      v.writePair(F.VM_EXIT_MSR_LOAD_ADDRESS, 0xfffffff0, 0x3fff);
    },
  },
  // 27.2.1.3
  { id: 'ctl.entry.reserved', breakIt: (v) => v.write(F.VM_ENTRY_CONTROLS, 0) },
  { id: 'ctl.entry.event.type', breakIt: (v) => inject(v, 1, 0) },
  { id: 'ctl.entry.event.nmi-vector', breakIt: (v) => inject(v, C.INTR_TYPE_NMI, 3) },
  { id: 'ctl.entry.event.exception-vector', breakIt: (v) => inject(v, C.INTR_TYPE_HARDWARE_EXCEPTION, 32) },
  { id: 'ctl.entry.event.other-vector', breakIt: (v) => inject(v, C.INTR_TYPE_OTHER_EVENT, 1) },
  { id: 'ctl.entry.event.deliver-error-code', breakIt: (v) => inject(v, C.INTR_TYPE_HARDWARE_EXCEPTION, 13) },
  { id: 'ctl.entry.event.reserved', breakIt: (v) => inject(v, C.INTR_TYPE_HARDWARE_EXCEPTION, 6, 1 << 12) },
  {
    id: 'ctl.entry.event.error-code',
    breakIt: (v) => {
      inject(v, C.INTR_TYPE_HARDWARE_EXCEPTION, 13, C.INTR_INFO_DELIVER_ERROR_CODE);
      v.write(F.VM_ENTRY_EXCEPTION_ERROR_CODE, 0x10000);
    },
  },
  {
    id: 'ctl.entry.event.instruction-length',
    breakIt: (v) => {
      inject(v, C.INTR_TYPE_SOFTWARE_INTERRUPT, 0x80);
      v.write(F.VM_ENTRY_INSTRUCTION_LENGTH, 16);
    },
  },
  {
    id: 'ctl.entry.msr-load.address',
    breakIt: (v) => {
      v.write(F.VM_ENTRY_MSR_LOAD_COUNT, 1);
      v.write(F.VM_ENTRY_MSR_LOAD_ADDRESS, 0xc004);
    },
  },
  // 27.2.2
  { id: 'host.cr0.fixed', breakIt: (v) => v.write(F.HOST_CR0, 0x31) },
  { id: 'host.cr4.fixed', breakIt: (v) => v.write(F.HOST_CR4, 0x20) },
  { id: 'host.cr3.width', breakIt: (v) => v.writePair(F.HOST_CR3, 0x1000, 0x4000) },
  { id: 'host.sysenter-esp.canonical', breakIt: (v) => v.writePair(F.HOST_IA32_SYSENTER_ESP, 0, 0x8000) },
  { id: 'host.sysenter-eip.canonical', breakIt: (v) => v.writePair(F.HOST_IA32_SYSENTER_EIP, 0, 0x8000) },
  {
    id: 'host.perf-global-ctrl.reserved',
    breakIt: (v) => {
      or(v, F.PRIMARY_VM_EXIT_CONTROLS, C.EXIT_LOAD_PERF_GLOBAL_CTRL);
      v.write(F.HOST_IA32_PERF_GLOBAL_CTRL, 0x10);
    },
  },
  {
    id: 'host.pat.memory-types',
    breakIt: (v) => {
      or(v, F.PRIMARY_VM_EXIT_CONTROLS, C.EXIT_LOAD_PAT);
      v.write(F.HOST_IA32_PAT, 0x0606_0602);
    },
  },
  {
    id: 'host.efer.reserved',
    breakIt: (v) => {
      or(v, F.PRIMARY_VM_EXIT_CONTROLS, C.EXIT_LOAD_EFER);
      v.write(F.HOST_IA32_EFER, 0x502);
    },
  },
  {
    id: 'host.efer.lma',
    breakIt: (v) => {
      or(v, F.PRIMARY_VM_EXIT_CONTROLS, C.EXIT_LOAD_EFER);
      v.write(F.HOST_IA32_EFER, 0x100);
    },
  },
  {
    id: 'host.efer.lme',
    breakIt: (v) => {
      or(v, F.PRIMARY_VM_EXIT_CONTROLS, C.EXIT_LOAD_EFER);
      v.write(F.HOST_IA32_EFER, 0x400);
    },
  },
  // 27.2.3
  ...(['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'TR'] as const).map(
    (g): BrokenVmcs => ({
      id: `host.${g.toLowerCase()}.selector-rpl-ti`,
      breakIt: (v) => v.write(F[`HOST_${g}_SELECTOR`], g === 'TR' ? 0x1c : 0x13),
    }),
  ),
  { id: 'host.cs.selector-nonnull', breakIt: (v) => v.write(F.HOST_CS_SELECTOR, 0) },
  { id: 'host.tr.selector-nonnull', breakIt: (v) => v.write(F.HOST_TR_SELECTOR, 0) },
  {
    id: 'host.ss.selector-nonnull',
    hostIa32e: false,
    breakIt: (v) => {
      legacyHost(v);
      v.write(F.HOST_SS_SELECTOR, 0);
    },
  },
  ...(['FS', 'GS', 'TR', 'GDTR', 'IDTR'] as const).map(
    (g): BrokenVmcs => ({
      id: `host.${g.toLowerCase()}.base-canonical`,
      breakIt: (v) => v.writePair(F[`HOST_${g}_BASE`], 0, 0x8000),
    }),
  ),
  // 27.2.4
  { id: 'host.address-space.guest-outside-ia32e', hostIa32e: false, breakIt: () => {} },
  {
    id: 'host.address-space.size-outside-ia32e',
    hostIa32e: false,
    breakIt: (v) => and(v, F.VM_ENTRY_CONTROLS, C.ENTRY_IA32E_MODE_GUEST),
  },
  {
    id: 'host.address-space.size-in-ia32e',
    breakIt: (v) => and(v, F.PRIMARY_VM_EXIT_CONTROLS, C.EXIT_HOST_ADDRESS_SPACE_SIZE),
  },
  {
    id: 'host.address-space.pcide',
    hostIa32e: false,
    breakIt: (v) => {
      legacyHost(v);
      v.write(F.HOST_CR4, 0x22020);
    },
  },
  {
    id: 'host.address-space.rip-upper',
    hostIa32e: false,
    breakIt: (v) => {
      legacyHost(v);
      v.writePair(F.HOST_RIP, 0x1000, 1);
    },
  },
  { id: 'host.address-space.pae', breakIt: (v) => v.write(F.HOST_CR4, 0x2000) },
  { id: 'host.address-space.rip-canonical', breakIt: (v) => v.writePair(F.HOST_RIP, 0x1000, 0x8000) },
  // 27.3.1.1
  { id: 'guest.cr0.fixed', breakIt: (v) => v.write(F.GUEST_CR0, 0x80000011) },
  {
    id: 'guest.cr0.pg-without-pe',
    breakIt: (v) => {
      unrestricted(v);
      v.write(F.GUEST_CR0, 0x80000030);
    },
  },
  { id: 'guest.cr4.fixed', breakIt: (v) => v.write(F.GUEST_CR4, 0x20) },
  {
    id: 'guest.debugctl.reserved',
    breakIt: (v) => {
      or(v, F.VM_ENTRY_CONTROLS, C.ENTRY_LOAD_DEBUG_CONTROLS);
      v.write(F.GUEST_IA32_DEBUGCTL, 4);
    },
  },
  {
    id: 'guest.ia32e.pg',
    breakIt: (v) => {
      unrestricted(v);
      v.write(F.GUEST_CR0, 0x31);
    },
  },
  { id: 'guest.ia32e.pae', breakIt: (v) => v.write(F.GUEST_CR4, 0x2000) },
  {
    id: 'guest.not-ia32e.pcide',
    breakIt: (v) => {
      notIa32eGuest(v);
      v.write(F.GUEST_CR4, 0x22020);
    },
  },
  { id: 'guest.cr3.width', breakIt: (v) => v.writePair(F.GUEST_CR3, 0x2000, 0x4000) },
  {
    id: 'guest.dr7.upper',
    breakIt: (v) => {
      or(v, F.VM_ENTRY_CONTROLS, C.ENTRY_LOAD_DEBUG_CONTROLS);
      v.writePair(F.GUEST_DR7, 0x400, 1);
    },
  },
  { id: 'guest.sysenter-esp.canonical', breakIt: (v) => v.writePair(F.GUEST_IA32_SYSENTER_ESP, 0, 0x8000) },
  { id: 'guest.sysenter-eip.canonical', breakIt: (v) => v.writePair(F.GUEST_IA32_SYSENTER_EIP, 0, 0x8000) },
  {
    id: 'guest.perf-global-ctrl.reserved',
    breakIt: (v) => {
      or(v, F.VM_ENTRY_CONTROLS, C.ENTRY_LOAD_PERF_GLOBAL_CTRL);
      v.writePair(F.GUEST_IA32_PERF_GLOBAL_CTRL, 0, 8);
    },
  },
  {
    id: 'guest.pat.memory-types',
    breakIt: (v) => {
      or(v, F.VM_ENTRY_CONTROLS, C.ENTRY_LOAD_PAT);
      v.writePair(F.GUEST_IA32_PAT, 0x06060606, 0x03);
    },
  },
  {
    id: 'guest.efer.reserved',
    breakIt: (v) => {
      or(v, F.VM_ENTRY_CONTROLS, C.ENTRY_LOAD_EFER);
      v.write(F.GUEST_IA32_EFER, 0x504);
    },
  },
  {
    id: 'guest.efer.lma',
    breakIt: (v) => {
      or(v, F.VM_ENTRY_CONTROLS, C.ENTRY_LOAD_EFER);
      v.write(F.GUEST_IA32_EFER, 0x100);
    },
  },
  {
    id: 'guest.efer.lme',
    breakIt: (v) => {
      or(v, F.VM_ENTRY_CONTROLS, C.ENTRY_LOAD_EFER);
      v.write(F.GUEST_IA32_EFER, 0x400);
    },
  },
  // 27.3.1.2
  { id: 'guest.tr.selector-ti', breakIt: (v) => v.write(F.GUEST_TR_SELECTOR, 0x1c) },
  {
    id: 'guest.ldtr.selector-ti',
    breakIt: (v) => {
      v.write(F.GUEST_LDTR_ACCESS_RIGHTS, 0x82);
      v.write(F.GUEST_LDTR_SELECTOR, 0x24);
    },
  },
  { id: 'guest.ss.selector-rpl', breakIt: (v) => v.write(F.GUEST_SS_SELECTOR, 0x13) },
  ...SEG6.flatMap((g): BrokenVmcs[] => [
    {
      id: `guest.${g.toLowerCase()}.v8086-base`,
      breakIt: (v) => {
        v86Guest(v);
        v.write(F[`GUEST_${g}_BASE`], 0x10010);
      },
    },
    {
      id: `guest.${g.toLowerCase()}.v8086-limit`,
      breakIt: (v) => {
        v86Guest(v);
        v.write(F[`GUEST_${g}_LIMIT`], 0xfffff);
      },
    },
    {
      id: `guest.${g.toLowerCase()}.v8086-access-rights`,
      breakIt: (v) => {
        v86Guest(v);
        v.write(F[`GUEST_${g}_ACCESS_RIGHTS`], 0xf1);
      },
    },
  ]),
  ...(['TR', 'FS', 'GS'] as const).map(
    (g): BrokenVmcs => ({
      id: `guest.${g.toLowerCase()}.base-canonical`,
      breakIt: (v) => v.writePair(F[`GUEST_${g}_BASE`], 0, 0x8000),
    }),
  ),
  {
    id: 'guest.ldtr.base-canonical',
    breakIt: (v) => {
      v.write(F.GUEST_LDTR_ACCESS_RIGHTS, 0x82);
      v.write(F.GUEST_LDTR_SELECTOR, 0x20);
      v.writePair(F.GUEST_LDTR_BASE, 0, 0x8000);
    },
  },
  { id: 'guest.cs.base-upper', breakIt: (v) => v.writePair(F.GUEST_CS_BASE, 0, 1) },
  ...(['SS', 'DS', 'ES'] as const).map(
    (g): BrokenVmcs => ({
      id: `guest.${g.toLowerCase()}.base-upper`,
      breakIt: (v) => v.writePair(F[`GUEST_${g}_BASE`], 0, 1),
    }),
  ),
  { id: 'guest.cs.type', breakIt: (v) => v.write(F.GUEST_CS_ACCESS_RIGHTS, 0xa093) },
  { id: 'guest.cs.s', breakIt: (v) => v.write(F.GUEST_CS_ACCESS_RIGHTS, 0xa08b) },
  { id: 'guest.cs.dpl', breakIt: (v) => v.write(F.GUEST_CS_ACCESS_RIGHTS, 0xa0fb) },
  { id: 'guest.cs.p', breakIt: (v) => v.write(F.GUEST_CS_ACCESS_RIGHTS, 0xa01b) },
  { id: 'guest.cs.reserved', breakIt: (v) => v.write(F.GUEST_CS_ACCESS_RIGHTS, 0xa19b) },
  { id: 'guest.cs.l-and-d', breakIt: (v) => v.write(F.GUEST_CS_ACCESS_RIGHTS, 0xe09b) },
  { id: 'guest.cs.granularity', breakIt: (v) => v.write(F.GUEST_CS_LIMIT, 0x1000) },
  { id: 'guest.ss.type', breakIt: (v) => v.write(F.GUEST_SS_ACCESS_RIGHTS, 0xc091) },
  {
    id: 'guest.ss.dpl-rpl',
    breakIt: (v) => {
      v.write(F.GUEST_CS_SELECTOR, 0x0b);
      v.write(F.GUEST_SS_SELECTOR, 0x13);
    },
  },
  {
    id: 'guest.ss.dpl-real',
    breakIt: (v) => {
      unrestricted(v);
      v.write(F.GUEST_CS_ACCESS_RIGHTS, 0xc093);
      v.write(F.GUEST_SS_ACCESS_RIGHTS, 0xc0f3);
    },
  },
  ...(['DS', 'ES', 'FS', 'GS'] as const).flatMap((g): BrokenVmcs[] => [
    { id: `guest.${g.toLowerCase()}.type`, breakIt: (v) => v.write(F[`GUEST_${g}_ACCESS_RIGHTS`], 0xc092) },
    { id: `guest.${g.toLowerCase()}.dpl`, breakIt: (v) => v.write(F[`GUEST_${g}_SELECTOR`], 0x13) },
  ]),
  ...(['SS', 'DS', 'ES', 'FS', 'GS'] as const).flatMap((g): BrokenVmcs[] => [
    { id: `guest.${g.toLowerCase()}.s`, breakIt: (v) => v.write(F[`GUEST_${g}_ACCESS_RIGHTS`], 0xc083) },
    { id: `guest.${g.toLowerCase()}.p`, breakIt: (v) => v.write(F[`GUEST_${g}_ACCESS_RIGHTS`], 0xc013) },
    { id: `guest.${g.toLowerCase()}.reserved`, breakIt: (v) => v.write(F[`GUEST_${g}_ACCESS_RIGHTS`], 0xc193) },
    { id: `guest.${g.toLowerCase()}.granularity`, breakIt: (v) => v.write(F[`GUEST_${g}_LIMIT`], 0x1000) },
  ]),
  { id: 'guest.tr.type', breakIt: (v) => v.write(F.GUEST_TR_ACCESS_RIGHTS, 0x89) },
  { id: 'guest.tr.s', breakIt: (v) => v.write(F.GUEST_TR_ACCESS_RIGHTS, 0x9b) },
  { id: 'guest.tr.p', breakIt: (v) => v.write(F.GUEST_TR_ACCESS_RIGHTS, 0x0b) },
  { id: 'guest.tr.reserved', breakIt: (v) => v.write(F.GUEST_TR_ACCESS_RIGHTS, 0x18b) },
  { id: 'guest.tr.granularity', breakIt: (v) => v.write(F.GUEST_TR_LIMIT, 0x100000) },
  { id: 'guest.tr.usable', breakIt: (v) => v.write(F.GUEST_TR_ACCESS_RIGHTS, 0x1008b) },
  { id: 'guest.ldtr.type', breakIt: (v) => v.write(F.GUEST_LDTR_ACCESS_RIGHTS, 0x83) },
  { id: 'guest.ldtr.s', breakIt: (v) => v.write(F.GUEST_LDTR_ACCESS_RIGHTS, 0x92) },
  { id: 'guest.ldtr.p', breakIt: (v) => v.write(F.GUEST_LDTR_ACCESS_RIGHTS, 0x02) },
  { id: 'guest.ldtr.reserved', breakIt: (v) => v.write(F.GUEST_LDTR_ACCESS_RIGHTS, 0x182) },
  {
    id: 'guest.ldtr.granularity',
    breakIt: (v) => {
      v.write(F.GUEST_LDTR_ACCESS_RIGHTS, 0x8082);
      v.write(F.GUEST_LDTR_LIMIT, 0x10);
    },
  },
  // 27.3.1.3
  { id: 'guest.gdtr.base-canonical', breakIt: (v) => v.writePair(F.GUEST_GDTR_BASE, 0, 0x8000) },
  { id: 'guest.idtr.base-canonical', breakIt: (v) => v.writePair(F.GUEST_IDTR_BASE, 0, 0x8000) },
  { id: 'guest.gdtr.limit-upper', breakIt: (v) => v.write(F.GUEST_GDTR_LIMIT, 0x10000) },
  { id: 'guest.idtr.limit-upper', breakIt: (v) => v.write(F.GUEST_IDTR_LIMIT, 0x10000) },
  // 27.3.1.4
  {
    id: 'guest.rip.upper',
    breakIt: (v) => {
      v.write(F.GUEST_CS_ACCESS_RIGHTS, 0xc09b);
      v.writePair(F.GUEST_RIP, 0x1000, 1);
    },
  },
  { id: 'guest.rip.canonical', breakIt: (v) => v.writePair(F.GUEST_RIP, 0x1000, 0x8000) },
  { id: 'guest.rflags.reserved', breakIt: (v) => v.write(F.GUEST_RFLAGS, 0) },
  {
    id: 'guest.rflags.vm',
    breakIt: (v) => {
      for (const g of SEG6) {
        v.write(F[`GUEST_${g}_SELECTOR`], 0);
        v.write(F[`GUEST_${g}_BASE`], 0);
        v.write(F[`GUEST_${g}_LIMIT`], 0xffff);
        v.write(F[`GUEST_${g}_ACCESS_RIGHTS`], 0xf3);
      }
      v.write(F.GUEST_RFLAGS, 0x20002);
    },
  },
  { id: 'guest.rflags.if-for-external-interrupt', breakIt: (v) => inject(v, C.INTR_TYPE_EXTERNAL_INTERRUPT, 0x20) },
  // 27.3.1.5
  { id: 'guest.activity.supported', breakIt: (v) => v.write(F.GUEST_ACTIVITY_STATE, 4) },
  {
    id: 'guest.activity.hlt-ss-dpl',
    breakIt: (v) => {
      v.write(F.GUEST_CS_SELECTOR, 0x0b);
      v.write(F.GUEST_CS_ACCESS_RIGHTS, 0xa0fb);
      v.write(F.GUEST_SS_SELECTOR, 0x13);
      v.write(F.GUEST_SS_ACCESS_RIGHTS, 0xc0f3);
      v.write(F.GUEST_ACTIVITY_STATE, C.ACTIVITY_HLT);
    },
  },
  {
    id: 'guest.activity.blocking',
    breakIt: (v) => {
      v.write(F.GUEST_ACTIVITY_STATE, C.ACTIVITY_HLT);
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_STI);
    },
  },
  {
    id: 'guest.activity.event-injection',
    breakIt: (v) => {
      v.write(F.GUEST_ACTIVITY_STATE, C.ACTIVITY_HLT);
      inject(v, C.INTR_TYPE_SOFTWARE_INTERRUPT, 0x80);
      v.write(F.VM_ENTRY_INSTRUCTION_LENGTH, 2);
    },
  },
  { id: 'guest.interruptibility.reserved', breakIt: (v) => v.write(F.GUEST_INTERRUPTIBILITY_STATE, 0x20) },
  { id: 'guest.interruptibility.sti-and-mov-ss', breakIt: (v) => v.write(F.GUEST_INTERRUPTIBILITY_STATE, 3) },
  { id: 'guest.interruptibility.sti-without-if', breakIt: (v) => v.write(F.GUEST_INTERRUPTIBILITY_STATE, 1) },
  {
    id: 'guest.interruptibility.external-interrupt-injection',
    breakIt: (v) => {
      v.write(F.GUEST_RFLAGS, 0x202);
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_STI);
      inject(v, C.INTR_TYPE_EXTERNAL_INTERRUPT, 0x20);
    },
  },
  {
    id: 'guest.interruptibility.nmi-injection-mov-ss',
    breakIt: (v) => {
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_MOV_SS);
      inject(v, C.INTR_TYPE_NMI, 2);
    },
  },
  { id: 'guest.interruptibility.smi', breakIt: (v) => v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_SMI) },
  {
    id: 'guest.interruptibility.virtual-nmi-injection',
    breakIt: (v) => {
      or(v, F.PIN_BASED_CONTROLS, C.PIN_NMI_EXITING | C.PIN_VIRTUAL_NMIS);
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_NMI);
      inject(v, C.INTR_TYPE_NMI, 2);
    },
  },
  {
    id: 'guest.interruptibility.nmi-injection-sti',
    qualification: 3,
    breakIt: (v) => {
      v.write(F.GUEST_RFLAGS, 0x202);
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_STI);
      inject(v, C.INTR_TYPE_NMI, 2);
    },
  },
  { id: 'guest.pending-debug.reserved', breakIt: (v) => v.write(F.GUEST_PENDING_DEBUG_EXCEPTIONS, 0x10) },
  {
    id: 'guest.pending-debug.bs-set',
    breakIt: (v) => {
      v.write(F.GUEST_RFLAGS, 0x302);
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_STI);
    },
  },
  {
    id: 'guest.pending-debug.bs-clear',
    breakIt: (v) => {
      v.write(F.GUEST_RFLAGS, 0x202);
      v.write(F.GUEST_INTERRUPTIBILITY_STATE, C.INTERRUPTIBILITY_STI);
      v.write(F.GUEST_PENDING_DEBUG_EXCEPTIONS, C.PENDING_DEBUG_BS);
    },
  },
  { id: 'guest.vmcs-link-pointer.address', qualification: 4, breakIt: (v) => v.write(F.VMCS_LINK_POINTER, 0x1010) },
  { id: 'guest.vmcs-link-pointer.revision', qualification: 4, breakIt: (v) => v.write(F.VMCS_LINK_POINTER, 0xd000) },
  // 27.3.1.6
  {
    id: 'guest.pdpte.fields',
    breakIt: (v) => {
      notIa32eGuest(v);
      enableEpt(v);
      v.write(F.GUEST_PDPTE0, 0x3);
    },
  },
  {
    id: 'guest.pdpte.load',
    qualification: 2,
    breakIt: (v, m) => {
      notIa32eGuest(v);
      v.write(F.GUEST_CR3, 0xe000);
      m.write32(0xe008, 0x21);
    },
  },
  // 27.4
  { id: 'msr-load.reserved', qualification: 1, breakIt: (v, m) => msrEntries(v, m, [[0x10, 1]]) },
  {
    id: 'msr-load.fs-gs-base',
    qualification: 2,
    breakIt: (v, m) =>
      msrEntries(v, m, [
        [0x10, 0],
        [0xc0000100, 0],
      ]),
  },
  { id: 'msr-load.x2apic', qualification: 1, breakIt: (v, m) => msrEntries(v, m, [[0x808, 0]]) },
  { id: 'msr-load.smm', qualification: 1, breakIt: (v, m) => msrEntries(v, m, [[0x9e, 0]]) },
];

describe('runEntryChecks', () => {
  it('passes the baseline VMCS (64-bit host and guest)', () => {
    const b = makeBaseline();
    expect(runEntryChecks(b.cache, b.caps, b.memory, true)?.id).toBeUndefined();
  });

  it.each(CASES.map((c) => [c.id, c] as const))('fails a VMCS broken for %s with exactly that check', (_id, c) => {
    const b = makeBaseline(c.features);
    // The set-up itself must be valid before the one breaking write; prove the check is reachable.
    c.breakIt(b.vmcs, b.memory);
    const failure = runEntryChecks(b.cache, b.caps, b.memory, c.hostIa32e ?? true);
    expect(failure?.id).toBe(c.id);
    const check = ENTRY_CHECKS.find((k) => k.id === c.id)!;
    expect(failure?.section).toBe(check.section);
    if (check.area === 'control') expect(failure?.error).toBe(7);
    if (check.area === 'host') expect(failure?.error).toBe(8);
    if (check.area === 'guest') expect(failure?.exitReason).toBe(33);
    if (check.area === 'msr-load') expect(failure?.exitReason).toBe(34);
    expect(failure?.qualification).toBe(c.qualification ?? 0);
  });

  it('has one broken VMCS in this table for every check it names', () => {
    const tested = new Set(CASES.map((c) => c.id));
    expect(ENTRY_CHECKS.map((c) => c.id).filter((id) => !tested.has(id))).toEqual([]);
    expect(CASES.length).toBe(ENTRY_CHECKS.length);
  });

  it('gives every check a unique identifier and an SDM 27.x section', () => {
    const ids = ENTRY_CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of ENTRY_CHECKS) expect(c.section).toMatch(/^27\.[234](\.\d+)*$/);
  });
});
