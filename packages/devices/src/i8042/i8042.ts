import type { AccessSize, Device, DeviceState, InterruptLine } from '../device/device.ts';
import { UNCONNECTED_LINE } from '../device/lines.ts';
import { readState } from '../device/state.ts';

// 8042 keyboard controller commands (IBM PC/AT Technical Reference, "Keyboard Controller").
/** Command: read the command byte into the output buffer. */
export const I8042_CMD_READ_COMMAND_BYTE = 0x20;
/** Command: the next data byte is the command byte. */
export const I8042_CMD_WRITE_COMMAND_BYTE = 0x60;
/** Command: disable the auxiliary (mouse) port. */
export const I8042_CMD_DISABLE_AUX = 0xa7;
/** Command: enable the auxiliary port. */
export const I8042_CMD_ENABLE_AUX = 0xa8;
/** Command: controller self test (answers 0x55). */
export const I8042_CMD_SELF_TEST = 0xaa;
/** Command: keyboard interface test (answers 0x00). */
export const I8042_CMD_INTERFACE_TEST = 0xab;
/** Command: disable the keyboard. */
export const I8042_CMD_DISABLE_KBD = 0xad;
/** Command: enable the keyboard. */
export const I8042_CMD_ENABLE_KBD = 0xae;
/** Command: read the output port. */
export const I8042_CMD_READ_OUTPUT_PORT = 0xd0;
/** Command: the next data byte is the output port (reset line, A20). */
export const I8042_CMD_WRITE_OUTPUT_PORT = 0xd1;
/** Pulse output port bit 0 low: the CPU reset line. */
export const I8042_CMD_PULSE_RESET = 0xfe;

/** Status register: output buffer full. */
export const I8042_STATUS_OBF = 0b0000_0001;
/** Status register: system flag (command byte bit 2). */
export const I8042_STATUS_SYS = 0b0000_0100;
/** Status register: the last write was a command (port 0x64). */
export const I8042_STATUS_CMD = 0b0000_1000;
/** Output port bit 0: system reset (active low). */
export const I8042_OUT_RESET = 0b0000_0001;
/** Output port bit 1: the A20 gate. */
export const I8042_OUT_A20 = 0b0000_0010;

/** What the controller drives outside itself. */
export interface I8042Options {
  /** The CPU reset line: called when the guest pulses or drives it. */
  onReset?: () => void;
  /** The A20 gate output. */
  onA20?: (enabled: boolean) => void;
  /** IRQ1 (output buffer full with keyboard interrupts enabled). */
  irq?: InterruptLine;
}

/**
 * The i8042 keyboard controller as far as a PC guest needs it to start and to reboot: the status
 * and command ports, the command byte, self tests, the output port (A20 gate, reset line), the
 * 0xFE reset pulse and a keyboard that acknowledges commands (0xFA, reset answers 0xAA). It
 * provides two devices: `dataPort` for port 0x60 and `commandPort` for port 0x64.
 *
 * @example
 * ```ts
 * import { I8042, PortBus } from '@typevisor/devices';
 * let resets = 0;
 * const kbc = new I8042({ onReset: () => resets++ });
 * const ports = new PortBus();
 * ports.register(0x60, 1, kbc.dataPort);
 * ports.register(0x64, 1, kbc.commandPort);
 * ports.writePort(0x64, 1, 0xfe); // the classic reboot
 * resets; // 1
 * ```
 */
export class I8042 {
  private commandByte = 0x45; // keyboard interrupt, system flag, translation
  private outputPort = I8042_OUT_RESET | I8042_OUT_A20;
  private pendingCommand = 0;
  private queue: number[] = [];
  private lastWasCommand = false;
  private irqLevel = false;
  private readonly irq: InterruptLine;

  /** Port 0x60: data. */
  readonly dataPort: Device;
  /** Port 0x64: status (read) and command (write). */
  readonly commandPort: Device;

  constructor(private readonly options: I8042Options = {}) {
    this.irq = options.irq ?? UNCONNECTED_LINE;
    const policy = { sizes: [1] as const };
    const save = () => this.save();
    const restore = (s: DeviceState) => this.restore(s);
    const reset = () => this.reset();
    this.dataPort = {
      accessPolicy: policy,
      read: () => this.readData(),
      write: (_o: number, _s: AccessSize, v: number) => this.writeData(v & 0xff),
      save,
      restore,
      reset,
    };
    this.commandPort = {
      accessPolicy: policy,
      read: () => this.status(),
      write: (_o: number, _s: AccessSize, v: number) => this.writeCommand(v & 0xff),
      save,
      restore,
      reset,
    };
  }

  /** Whether the A20 gate is open. */
  get a20(): boolean {
    return (this.outputPort & I8042_OUT_A20) !== 0;
  }

  private status(): number {
    return (
      (this.queue.length > 0 ? I8042_STATUS_OBF : 0) |
      (this.commandByte & 0x04 ? I8042_STATUS_SYS : 0) |
      (this.lastWasCommand ? I8042_STATUS_CMD : 0) |
      0x10 // keyboard not inhibited
    );
  }

  private readData(): number {
    const v = this.queue.length > 0 ? this.queue.shift()! : 0;
    this.updateIrq();
    return v;
  }

  private respond(...bytes: number[]): void {
    this.queue.push(...bytes);
    if (this.queue.length > 16) this.queue.splice(0, this.queue.length - 16);
    this.updateIrq();
  }

  private writeCommand(cmd: number): void {
    this.lastWasCommand = true;
    this.pendingCommand = 0;
    switch (cmd) {
      case I8042_CMD_READ_COMMAND_BYTE:
        this.respond(this.commandByte);
        break;
      case I8042_CMD_WRITE_COMMAND_BYTE:
      case I8042_CMD_WRITE_OUTPUT_PORT:
        this.pendingCommand = cmd;
        break;
      case I8042_CMD_SELF_TEST:
        this.respond(0x55);
        break;
      case I8042_CMD_INTERFACE_TEST:
        this.respond(0x00);
        break;
      case I8042_CMD_DISABLE_KBD:
        this.commandByte |= 0x10;
        break;
      case I8042_CMD_ENABLE_KBD:
        this.commandByte &= ~0x10;
        break;
      case I8042_CMD_DISABLE_AUX:
        this.commandByte |= 0x20;
        break;
      case I8042_CMD_ENABLE_AUX:
        this.commandByte &= ~0x20;
        break;
      case I8042_CMD_READ_OUTPUT_PORT:
        this.respond(this.outputPort);
        break;
      default:
        // 0xF0-0xFF pulse the output port bits whose command bits are 0; bit 0 is the reset line.
        if (cmd >= 0xf0 && (cmd & 1) === 0) this.options.onReset?.();
    }
    this.updateIrq();
  }

  private writeData(value: number): void {
    this.lastWasCommand = false;
    const cmd = this.pendingCommand;
    this.pendingCommand = 0;
    if (cmd === I8042_CMD_WRITE_COMMAND_BYTE) {
      this.commandByte = value;
      this.updateIrq();
      return;
    }
    if (cmd === I8042_CMD_WRITE_OUTPUT_PORT) {
      const a20Before = this.a20;
      this.outputPort = value;
      if (this.a20 !== a20Before) this.options.onA20?.(this.a20);
      // Driving output bit 0 low asserts the system reset line.
      if ((value & I8042_OUT_RESET) === 0) this.options.onReset?.();
      return;
    }
    // A byte for the keyboard: every command is acknowledged; reset also passes its self test.
    if (value === 0xff) this.respond(0xfa, 0xaa);
    else if (value === 0xf2) this.respond(0xfa, 0xab, 0x83);
    else if (value === 0xee) this.respond(0xee);
    else this.respond(0xfa);
  }

  private updateIrq(): void {
    const level = this.queue.length > 0 && (this.commandByte & 0x01) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.setLevel(level);
    }
  }

  reset(): void {
    this.commandByte = 0x45;
    this.outputPort = I8042_OUT_RESET | I8042_OUT_A20;
    this.pendingCommand = 0;
    this.queue = [];
    this.lastWasCommand = false;
    this.updateIrq();
  }

  save(): DeviceState {
    return {
      kind: 'i8042',
      version: 1,
      commandByte: this.commandByte,
      outputPort: this.outputPort,
      pendingCommand: this.pendingCommand,
      queue: [...this.queue],
      lastWasCommand: this.lastWasCommand,
      irqLevel: this.irqLevel,
    };
  }

  restore(state: DeviceState): void {
    const s = readState(state, 'i8042', 1);
    const next = {
      commandByte: s.int('commandByte', 0, 0xff),
      outputPort: s.int('outputPort', 0, 0xff),
      pendingCommand: s.int('pendingCommand', 0, 0xff),
      queue: [...s.ints('queue', 0, 0xff, undefined, 16)],
      lastWasCommand: s.bool('lastWasCommand'),
      irqLevel: s.bool('irqLevel'),
    };
    Object.assign(this, next);
  }
}
