import { IoApic } from '../apic/io-apic.ts';
import { LocalApic } from '../apic/local-apic.ts';
import { DebugConsole } from '../debug-ports/debug-console.ts';
import { IsaDebugExit } from '../debug-ports/isa-debug-exit.ts';
import { I8042 } from '../i8042/i8042.ts';
import { DualPic, Pic8259 } from '../pic-8259/pic-8259.ts';
import { Pit8254, SystemControlPortB } from '../pit-8254/pit-8254.ts';
import { RtcMc146818 } from '../rtc-mc146818/rtc-mc146818.ts';
import { Uart16550 } from '../uart-16550/uart-16550.ts';
import { describeDevice } from './describe-device.ts';

// Every standard device runs the same suite users run on theirs.
describeDevice('Uart16550', (ctx) => {
  const uart = new Uart16550({ clock: ctx.clock, irq: ctx.irq, output: ctx.output });
  // Let bytes arrive while the guest pokes at the registers.
  return {
    device: {
      ...uart,
      accessPolicy: uart.accessPolicy,
      read: (o, s) => {
        if (o === 5) uart.receive(o * 7);
        return uart.read(o, s);
      },
      write: (o, s, v) => uart.write(o, s, v),
      save: () => uart.save(),
      restore: (st) => uart.restore(st),
      reset: () => uart.reset(),
    },
    length: 8,
    timed: uart,
  };
});
describeDevice('Pit8254', (ctx) => {
  const pit = new Pit8254({ clock: ctx.clock, irq: ctx.irq });
  return { device: pit, length: 4, timed: pit };
});
describeDevice('SystemControlPortB', (ctx) => {
  const pit = new Pit8254({ clock: ctx.clock });
  return { device: new SystemControlPortB(pit, ctx.clock), length: 1 };
});
describeDevice('Pic8259', () => ({ device: new Pic8259(true, () => {}), length: 2 }));
describeDevice('DualPic (ELCR)', () => ({ device: new DualPic(), length: 2 }));
describeDevice(
  'RtcMc146818',
  (ctx) => {
    const rtc = new RtcMc146818({ clock: ctx.clock, irq: ctx.irq });
    return { device: rtc, length: 2, timed: rtc };
  },
  { resetIsPowerOn: false },
);
describeDevice(
  'LocalApic',
  (ctx) => {
    const apic = new LocalApic({ clock: ctx.clock });
    return { device: apic, length: 0x1000, timed: apic };
  },
  { steps: 400 },
);
describeDevice('IoApic', () => ({ device: new IoApic(), length: 0x20 }));
describeDevice('I8042 data port', () => ({ device: new I8042().dataPort, length: 1 }));
describeDevice('I8042 command port', () => ({ device: new I8042().commandPort, length: 1 }));
describeDevice('DebugConsole', (ctx) => ({ device: new DebugConsole({ output: ctx.output }), length: 1 }));
describeDevice('IsaDebugExit', () => ({ device: new IsaDebugExit(), length: 4 }));
