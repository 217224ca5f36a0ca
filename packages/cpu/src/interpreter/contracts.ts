/** Port I/O bus (cpu -> devices contract): IN/OUT/INS/OUTS go here. */
export interface PortIo {
  readPort(port: number, size: 1 | 2 | 4): number;
  writePort(port: number, size: 1 | 2 | 4, value: number): void;
}

/** Interrupt controller (devices -> cpu contract), polled at instruction boundaries when IF=1 and no shadow. */
export interface InterruptController {
  hasInterrupt(): boolean;
  /** Acknowledges the highest-priority pending interrupt and returns its vector. */
  acknowledge(): number;
}

/** Why {@link Cpu.run} returned. */
export enum StopReason {
  /** `maxInstructions` retired. */
  InstructionLimit = 0,
  /** HLT with no interrupt to wake it (the caller advances time and runs again). */
  Halt = 1,
  /** Triple fault (or a fault while delivering #DF): the processor shut down (SDM 3A 7.15 vector 8). */
  Shutdown = 2,
  /** A hook called `cpu.stop()`. */
  HookStop = 3,
  /** An exception with `exceptions: 'stop'` (user-mode runs): `cpu.exceptionVector` / `exceptionErrorCode`. */
  Exception = 4,
  /** A VMX interception performed a VM exit. */
  VmExit = 5,
  /** A code-address hook matched (`hooks.code`) and returned true. */
  CodeHook = 6,
}
