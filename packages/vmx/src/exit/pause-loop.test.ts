import { describe, expect, it } from 'vitest';
import { PauseLoopDetector } from './pause-loop.ts';

describe('PauseLoopDetector', () => {
  it('treats the first PAUSE after reset as the start of a loop, even with PLE_Window 0', () => {
    const ple = new PauseLoopDetector();
    expect(ple.pause(1000, 4, 0)).toBe(false);
    // 2 ticks later: still in the loop, which has now lasted 2 > 0 ticks.
    expect(ple.pause(1002, 4, 0)).toBe(true);
    ple.reset();
    expect(ple.pause(1004, 4, 0)).toBe(false);
  });

  it.each<[string, number[], number, number, boolean[]]>([
    [
      'gaps within PLE_Gap until the loop exceeds PLE_Window',
      [0, 3, 6, 9, 12],
      3,
      10,
      [false, false, false, false, true],
    ],
    ['a loop lasting exactly PLE_Window does not exit', [0, 5, 10], 5, 10, [false, false, false]],
    [
      'a gap one tick over PLE_Gap starts a new loop',
      [0, 3, 6, 10, 13, 16],
      3,
      8,
      [false, false, false, false, false, false],
    ],
    ['a gap equal to PLE_Gap continues the loop', [0, 4, 8, 12], 4, 10, [false, false, false, true]],
  ])('%s', (_name, times, gap, window, exits) => {
    const ple = new PauseLoopDetector();
    expect(times.map((t) => ple.pause(t, gap, window))).toEqual(exits);
  });

  it('reads PLE_Gap and PLE_Window as unsigned 32-bit values', () => {
    const ple = new PauseLoopDetector();
    expect(ple.pause(0, -1, -1)).toBe(false);
    expect(ple.pause(2 ** 31, -1, -1)).toBe(false);
  });
});
