import { describe, expect, it } from 'vitest';
import { RecordingLine } from '../device/lines.ts';
import { I8042 } from './i8042.ts';

function setup() {
  const calls: string[] = [];
  const irq = new RecordingLine();
  const kbc = new I8042({ onReset: () => calls.push('reset'), onA20: (on) => calls.push(`a20 ${on}`), irq });
  const cmd = (v: number) => kbc.commandPort.write(0, 1, v);
  const data = () => kbc.dataPort.read(0, 1);
  const status = () => kbc.commandPort.read(0, 1);
  return { kbc, calls, irq, cmd, data, status, put: (v: number) => kbc.dataPort.write(0, 1, v) };
}

describe('I8042', () => {
  it('pulses the reset line on command 0xFE', () => {
    const { cmd, calls } = setup();
    cmd(0xfe);
    expect(calls).toEqual(['reset']);
  });

  it('resets when the output port is written with bit 0 clear, and gates A20 with bit 1', () => {
    const { cmd, put, calls, kbc } = setup();
    cmd(0xd1);
    put(0x01);
    expect(kbc.a20).toBe(false);
    cmd(0xd1);
    put(0x02);
    expect(calls).toEqual(['a20 false', 'a20 true', 'reset']);
  });

  it('answers the self tests and reads back the command byte, with OBF in the status', () => {
    const { cmd, data, status, put } = setup();
    cmd(0xaa);
    expect(status() & 1).toBe(1);
    expect(data()).toBe(0x55);
    expect(status() & 1).toBe(0);
    cmd(0xab);
    expect(data()).toBe(0x00);
    cmd(0x60);
    put(0x44);
    cmd(0x20);
    expect(data()).toBe(0x44);
    expect(status() & 0x0c).toBe(0x0c); // system flag, last write was a command
  });

  it('acknowledges keyboard commands and passes the keyboard reset, raising IRQ1', () => {
    const { put, data, irq } = setup();
    put(0xff);
    expect(irq.level).toBe(true);
    expect([data(), data()]).toEqual([0xfa, 0xaa]);
    expect(irq.level).toBe(false);
  });
});
