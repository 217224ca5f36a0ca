import { describe, expect, it } from 'vitest';
import { PortBus } from '../bus/port-bus.ts';
import { ByteCollector } from '../device/lines.ts';
import { DebugConsole } from './debug-console.ts';
import { IsaDebugExit } from './isa-debug-exit.ts';

describe('DebugConsole', () => {
  it('sends each byte written to port 0xE9 to its sink and reads back 0xE9', () => {
    const out = new ByteCollector();
    const bus = new PortBus();
    bus.register(0xe9, 1, new DebugConsole({ output: out }));
    for (const c of 'hello\n') bus.writePort(0xe9, 1, c.charCodeAt(0));
    expect(out.text()).toBe('hello\n');
    expect(bus.readPort(0xe9, 1)).toBe(0xe9);
  });

  it('splits a word written to 0xE9 into its low byte for the port and drops the byte past it', () => {
    const out = new ByteCollector();
    const bus = new PortBus();
    bus.register(0xe9, 1, new DebugConsole({ output: out }));
    bus.writePort(0xe9, 2, 0x4241);
    expect(out.text()).toBe('A');
  });
});

describe('IsaDebugExit', () => {
  it.each([
    [0, 1],
    [1, 3],
    [0x10, 0x21],
  ])('turns a write of %i into exit status %i', (value, status) => {
    const codes: number[] = [];
    const bus = new PortBus();
    bus.register(0xf4, 4, new IsaDebugExit({ onExit: (c) => codes.push(c) }));
    bus.writePort(0xf4, 4, value);
    expect(codes).toEqual([status]);
  });
});
