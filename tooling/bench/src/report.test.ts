import { describe, expect, it } from 'vitest';
import { formatLine } from './report.ts';

describe('formatLine', () => {
  it('prints name, figure, anchor and a ratio where above 1 means we are faster', () => {
    const line = formatLine(
      'decode',
      { value: 24e6, unit: 'instr/s' },
      { name: 'iced-x86', figure: { value: 12e6, unit: 'instr/s' } },
    );
    expect(line).toMatch(/^decode\s+24\.00 Minstr\/s {2}\[iced-x86 12\.00 Minstr\/s, ratio 2\.00x\]$/);
  });

  it('inverts the ratio for figures where lower is better', () => {
    const line = formatLine(
      'cold start',
      { value: 10, unit: 'ms' },
      { name: 'iced-x86', figure: { value: 100, unit: 'ms' }, lowerIsBetter: true },
    );
    expect(line).toContain('ratio 10.00x');
  });

  it('prints a line without anchor when none is given', () => {
    expect(formatLine('x', { value: 5, unit: 'ms' })).not.toContain('[');
  });
});
