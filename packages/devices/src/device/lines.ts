import type { ByteSink, InterruptLine } from './device.ts';

/** An interrupt line connected to nothing. */
export const UNCONNECTED_LINE: InterruptLine = { setLevel() {} };

/** An output sink that drops every byte. */
export const NULL_SINK: ByteSink = { writeByte() {} };

/** Sends an edge: raises the line, then lowers it. */
export function pulseLine(line: InterruptLine): void {
  line.setLevel(true);
  line.setLevel(false);
}

/**
 * Drives several lines from one device output, as the ISA IRQs of a PC reach both the 8259 pair
 * and the I/O APIC.
 */
export function fanOutLine(...lines: InterruptLine[]): InterruptLine {
  return {
    setLevel(high: boolean) {
      for (const line of lines) line.setLevel(high);
    },
  };
}

/**
 * An interrupt line that remembers its level and counts rising edges: handy in tests and for a
 * glue layer that polls instead of being called.
 */
export class RecordingLine implements InterruptLine {
  /** The current level. */
  level = false;
  /** How many low-to-high transitions were seen. */
  risingEdges = 0;

  setLevel(high: boolean): void {
    if (high && !this.level) this.risingEdges++;
    this.level = high;
  }
}

/** An output sink that keeps every byte; `text()` decodes them as Latin-1. */
export class ByteCollector implements ByteSink {
  readonly bytes: number[] = [];

  writeByte(byte: number): void {
    this.bytes.push(byte & 0xff);
  }

  /** The collected bytes as a string, one character per byte. */
  text(): string {
    return String.fromCharCode(...this.bytes);
  }
}
