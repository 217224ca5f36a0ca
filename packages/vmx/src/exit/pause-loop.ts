// PAUSE-loop exiting (SDM 3C 26.1.3 "PAUSE"): with the "PAUSE-loop exiting" control 1 and
// "PAUSE exiting" 0, a PAUSE at CPL 0 closer than PLE_Gap TSC ticks to the previous one at CPL 0
// continues a spin loop; once the loop has lasted longer than PLE_Window ticks since its first
// PAUSE, the PAUSE exits (reason 40). Time here is the CPU's TSC, which @typevisor/cpu advances
// by one per retired instruction, so both fields count guest instructions.

/**
 * Tracks the PAUSEs at CPL 0 of one logical processor between VM entries, as the processor does
 * for PAUSE-loop exiting. Call {@link reset} at VM entry: the first PAUSE after it starts a loop.
 *
 * @example
 * ```ts
 * import { PauseLoopDetector } from '@typevisor/vmx';
 * const ple = new PauseLoopDetector();
 * ple.pause(100, 10, 50); // false: the first PAUSE starts a loop
 * ple.pause(105, 10, 50); // false: 5 ticks after the loop began
 * ple.pause(160, 10, 50); // false: 55 ticks since the last PAUSE > gap, a new loop begins
 * ```
 */
export class PauseLoopDetector {
  /** TSC of the previous PAUSE at CPL 0, or -1 (none since VM entry). */
  private last = -1;
  /** TSC of the PAUSE that began the current loop. */
  private first = 0;

  /** Forgets the previous PAUSE (VM entry). */
  reset(): void {
    this.last = -1;
  }

  /**
   * A PAUSE at CPL 0 at time `tsc` (TSC ticks, a number below 2^53): true when it exits, that is
   * when it belongs to a loop (every gap at most `gap`) that began more than `window` ticks ago.
   * `gap` and `window` are the PLE_Gap and PLE_Window fields (unsigned 32-bit).
   */
  pause(tsc: number, gap: number, window: number): boolean {
    // SDM 3C 26.1.3: a PAUSE more than PLE_Gap after the previous one (or the first after VM
    // entry) is the first of a loop.
    if (this.last < 0 || tsc - this.last > gap >>> 0) this.first = tsc;
    this.last = tsc;
    return tsc - this.first > window >>> 0;
  }
}
