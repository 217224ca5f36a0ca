// An interrupt controller for tests that raises one external interrupt and then stays quiet.
import type { InterruptController } from '../interpreter/contracts.ts';

/** A controller whose line is up until the cpu acknowledges `vector` once. */
export function oneShotInterrupt(vector: number): InterruptController {
  let pending = true;
  return {
    hasInterrupt: () => pending,
    acknowledge: () => {
      pending = false;
      return vector;
    },
  };
}
