// Named re-exports only: the public surface of @typevisor/devices is exactly what this file names.
export { DeviceError, type DeviceErrorCode } from './errors.ts';
export type {
  AccessPolicy,
  AccessSize,
  ByteSink,
  Device,
  DeviceObserver,
  DeviceState,
  InterruptLine,
} from './device/device.ts';
export { ByteCollector, fanOutLine, NULL_SINK, pulseLine, RecordingLine, UNCONNECTED_LINE } from './device/lines.ts';
export { readState, StateReader } from './device/state.ts';
export { type BusRange, RangeBus } from './bus/range-bus.ts';
export { PORT_SPACE_SIZE, PortBus } from './bus/port-bus.ts';
export { MMIO_SPACE_SIZE, MmioBus } from './bus/mmio-bus.ts';
export { type Clock, type TimedDevice, VirtualClock } from './time/virtual-clock.ts';
export { PIT_RATE, TickRate } from './time/tick-rate.ts';
export * from './uart-16550/uart-16550.ts';
export * from './pit-8254/pit-8254.ts';
export * from './pic-8259/pic-8259.ts';
export * from './rtc-mc146818/rtc-mc146818.ts';
export * from './apic/local-apic.ts';
export * from './apic/io-apic.ts';
export { ApicBus } from './apic/apic-bus.ts';
export * from './i8042/i8042.ts';
export { DebugConsole } from './debug-ports/debug-console.ts';
export { IsaDebugExit } from './debug-ports/isa-debug-exit.ts';
export {
  PC_IOAPIC_BASE,
  PC_LAPIC_BASE,
  PC_PORTS,
  PcPlatform,
  type PcPlatformOptions,
} from './pc-platform/pc-platform.ts';
