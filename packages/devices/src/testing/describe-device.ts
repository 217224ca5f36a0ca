import { describe, expect, it } from 'vitest';
import { MmioBus } from '../bus/mmio-bus.ts';
import type { AccessPolicy, AccessSize, Device, DeviceObserver, DeviceState } from '../device/device.ts';
import { ByteCollector, RecordingLine } from '../device/lines.ts';
import { type TimedDevice, VirtualClock } from '../time/virtual-clock.ts';

/** What a conformance factory receives: fresh injected ports for one device instance. */
export interface ConformanceContext {
  readonly clock: VirtualClock;
  readonly irq: RecordingLine;
  readonly output: ByteCollector;
  readonly events: DeviceObserver;
}

/** What a conformance factory returns. */
export interface DeviceUnderTest {
  readonly device: Device;
  /** The length of the range the device is registered with. */
  readonly length: number;
  /** The device's timed side, if any; the suite attaches it to the context clock. */
  readonly timed?: TimedDevice;
  /** A width policy for the registration (else the device's own). */
  readonly policy?: AccessPolicy;
}

/** Options of {@link describeDevice}. */
export interface DescribeDeviceOptions {
  /** Random access sequences per property. Default 20. */
  readonly runs?: number;
  /** Operations per sequence. Default 200. */
  readonly steps?: number;
  /** Seed of the deterministic generator. Default 1. */
  readonly seed?: number;
  /** Whether `reset()` gives exactly the power-on saved state (false for devices that keep RAM or time). Default true. */
  readonly resetIsPowerOn?: boolean;
}

type Op = { kind: 'read' | 'write'; offset: number; size: AccessSize; value: number } | { kind: 'advance'; ns: number };

/** A small deterministic generator (xorshift32), so a failing sequence replays from its seed. */
class Rng {
  constructor(private s: number) {
    if (this.s === 0) this.s = 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return this.next() % n;
  }
}

function randomOps(rng: Rng, length: number, steps: number, timed: boolean): Op[] {
  const ops: Op[] = [];
  const sizes: AccessSize[] = [1, 2, 4];
  for (let i = 0; i < steps; i++) {
    const r = rng.below(10);
    if (timed && r === 0) {
      ops.push({ kind: 'advance', ns: rng.below(4) === 0 ? rng.below(2_000_000_000) : rng.below(100_000) });
      continue;
    }
    // Mostly offsets inside the range, sometimes straddling its end.
    const offset = rng.below(length + 4);
    ops.push({ kind: r < 5 ? 'read' : 'write', offset, size: sizes[rng.below(3)]!, value: rng.next() });
  }
  return ops;
}

const BASE = 0x1000;

/** A recording line that also notes the type of every value it is driven with. */
class TypeCheckingLine extends RecordingLine {
  readonly callTypes = new Set<string>();

  override setLevel(high: boolean): void {
    this.callTypes.add(typeof high);
    super.setLevel(high);
  }
}

/** One device instance on its own bus with its own ports. */
class Harness {
  readonly ctx: ConformanceContext;
  readonly irq = new TypeCheckingLine();
  readonly dut: DeviceUnderTest;
  readonly bus = new MmioBus();
  readonly log: unknown[][] = [];

  constructor(factory: (ctx: ConformanceContext) => DeviceUnderTest, time = 0) {
    const clock = new VirtualClock(time);
    this.ctx = { clock, irq: this.irq, output: new ByteCollector(), events: { onEvent() {} } };
    this.dut = factory(this.ctx);
    this.bus.register(BASE, this.dut.length, this.dut.device, this.dut.policy);
    if (this.dut.timed) clock.attach(this.dut.timed);
  }

  run(ops: Op[]): void {
    for (const op of ops) {
      if (op.kind === 'advance') {
        this.ctx.clock.advanceBy(op.ns);
        this.log.push(['t', this.ctx.clock.now(), this.irq.risingEdges, this.irq.level]);
      } else if (op.kind === 'read') {
        const v = this.bus.read(BASE + op.offset, op.size);
        this.log.push(['r', op.offset, op.size, v, this.irq.level]);
      } else {
        this.bus.write(BASE + op.offset, op.size, op.value);
        this.log.push(['w', this.irq.level]);
      }
    }
  }
}

function roundTrip(state: DeviceState): DeviceState {
  return JSON.parse(JSON.stringify(state)) as DeviceState;
}

/**
 * The device conformance suite: registers one `describe` block of tests that any device (ours or
 * yours) must pass. Random access sequences at every width (through a bus, as a guest would reach
 * the device) never throw and stay within their width; the interrupt line gets booleans and the
 * output bytes; `save` gives a JSON-safe state with kind and version; save -> restore -> continue
 * behaves exactly like running straight through; a foreign or malformed state is refused with a
 * `DeviceError` and leaves the device as it was; `reset` is idempotent.
 *
 * Import it from `@typevisor/devices/testing` inside a vitest test file.
 *
 * @example
 * ```ts
 * import { describeDevice } from '@typevisor/devices/testing';
 * import { DebugConsole } from '@typevisor/devices';
 * describeDevice('DebugConsole', (ctx) => ({ device: new DebugConsole({ output: ctx.output }), length: 1 }));
 * ```
 */
export function describeDevice(
  name: string,
  factory: (ctx: ConformanceContext) => DeviceUnderTest,
  options: DescribeDeviceOptions = {},
): void {
  const runs = options.runs ?? 20;
  const steps = options.steps ?? 200;
  const seed = options.seed ?? 1;
  const probe = new Harness(factory);
  const device = probe.dut.device;
  const timed = probe.dut.timed !== undefined;

  describe(`${name} (device conformance)`, () => {
    it('answers every offset at every width with a value that fits the width', () => {
      const h = new Harness(factory);
      for (let offset = 0; offset < h.dut.length; offset++) {
        for (const size of [1, 2, 4] as const) {
          const v = h.bus.read(BASE + offset, size);
          expect(Number.isInteger(v) && v >= 0 && v < 2 ** (8 * size)).toBe(true);
        }
      }
    });

    it('survives random access sequences at random widths without throwing', () => {
      const rng = new Rng(seed);
      for (let run = 0; run < runs; run++) {
        const h = new Harness(factory);
        const ops = randomOps(rng, h.dut.length, steps, timed);
        expect(() => h.run(ops)).not.toThrow();
        for (const entry of h.log) {
          if (entry[0] === 'r') {
            const [, , size, v] = entry as [string, number, number, number];
            expect(v >= 0 && v < 2 ** (8 * size)).toBe(true);
          }
        }
        for (const t of h.irq.callTypes) expect(t).toBe('boolean');
        for (const b of h.ctx.output.bytes) expect(b >= 0 && b <= 0xff).toBe(true);
      }
    });

    if (device.save) {
      it('saves a plain state with its kind and version that survives JSON', () => {
        const h = new Harness(factory);
        h.run(randomOps(new Rng(seed + 1), h.dut.length, steps, timed));
        const state = h.dut.device.save!();
        expect(typeof state.kind).toBe('string');
        expect(Number.isInteger(state.version)).toBe(true);
        expect(roundTrip(state)).toEqual(state);
      });
    }

    if (device.save && device.restore) {
      it('continues after save -> restore exactly as a straight run does', () => {
        const rng = new Rng(seed + 2);
        for (let run = 0; run < runs; run++) {
          const straight = new Harness(factory);
          const before = randomOps(rng, straight.dut.length, steps, timed);
          const after = randomOps(rng, straight.dut.length, steps, timed);
          straight.run(before);
          const state = roundTrip(straight.dut.device.save!());
          const restored = new Harness(factory, straight.ctx.clock.now());
          restored.dut.device.restore!(state);
          // The line outside the device keeps its level across the snapshot, as the wiring would.
          restored.irq.level = straight.irq.level;
          restored.irq.risingEdges = straight.irq.risingEdges;
          restored.ctx.output.bytes.push(...straight.ctx.output.bytes);
          straight.log.length = 0;
          straight.run(after);
          restored.run(after);
          expect(restored.log).toEqual(straight.log);
          expect(restored.ctx.output.bytes).toEqual(straight.ctx.output.bytes);
          expect(restored.dut.device.save!()).toEqual(straight.dut.device.save!());
        }
      });

      it('restores its own saved state unchanged', () => {
        const h = new Harness(factory);
        h.run(randomOps(new Rng(seed + 3), h.dut.length, steps, timed));
        const state = roundTrip(h.dut.device.save!());
        h.dut.device.restore!(state);
        expect(h.dut.device.save!()).toEqual(state);
      });

      it('refuses a state of another kind or version with a DeviceError and stays as it was', () => {
        const h = new Harness(factory);
        h.run(randomOps(new Rng(seed + 4), h.dut.length, steps, timed));
        const state = roundTrip(h.dut.device.save!());
        const expectCode = (bad: unknown, code: string) => {
          try {
            h.dut.device.restore!(bad as DeviceState);
          } catch (e) {
            // By name, not instanceof: a bundle may hold two copies of the package.
            expect(e).toMatchObject({ name: 'DeviceError', code });
            return;
          }
          throw new Error(`restore accepted a bad state (${code})`);
        };
        expectCode({ ...state, kind: `${state.kind}-other` }, 'STATE_KIND');
        expectCode({ ...state, version: state.version + 1 }, 'STATE_VERSION');
        expect(h.dut.device.save!()).toEqual(state);
      });

      it('refuses a state with a mistyped field with a DeviceError and stays as it was', () => {
        const h = new Harness(factory);
        h.run(randomOps(new Rng(seed + 5), h.dut.length, steps, timed));
        const state = roundTrip(h.dut.device.save!());
        for (const field of Object.keys(state)) {
          if (field === 'kind' || field === 'version') continue;
          const bad = { ...state, [field]: 'not a value' };
          let thrown: unknown;
          try {
            h.dut.device.restore!(bad as DeviceState);
          } catch (e) {
            thrown = e;
          }
          expect(thrown, `field ${field}`).toMatchObject({ name: 'DeviceError' });
          expect(h.dut.device.save!()).toEqual(state);
        }
      });
    }

    if (device.reset) {
      it('resets idempotently', () => {
        const h = new Harness(factory);
        h.run(randomOps(new Rng(seed + 6), h.dut.length, steps, timed));
        h.dut.device.reset!();
        const once = h.dut.device.save?.();
        h.dut.device.reset!();
        expect(h.dut.device.save?.()).toEqual(once);
        if (options.resetIsPowerOn ?? true) {
          const fresh = new Harness(factory, h.ctx.clock.now());
          expect(once).toEqual(fresh.dut.device.save?.());
        }
      });
    }
  });
}
