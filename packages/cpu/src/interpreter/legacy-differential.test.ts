import { oracleAvailable, probeCompatMode } from '@typevisor/native-oracle';
import { describe, expect, it } from 'vitest';
import { compareLegacy, generateLegacyCases } from '../test-support/legacy-cases.ts';
import { runLegacyOnInterpreter, runLegacyOnV86 } from '../test-support/legacy-oracle.ts';

const LONG = process.env.TYPEVISOR_LONG === '1';

describe('the interpreter against v86 in 16- and 32-bit protected mode', () => {
  it('agrees on registers, defined flags, selectors, memory and exception vectors for every generated legacy form', async () => {
    const cases = generateLegacyCases(LONG ? 60 : 2, 0x5eed);
    const theirs = await runLegacyOnV86(cases);
    const ours = runLegacyOnInterpreter(cases);
    const forms = new Set<string>();
    const failed = new Map<string, string>();
    cases.forEach((c, i) => {
      forms.add(c.formName);
      const diff = compareLegacy(c, theirs[i]!, ours[i]!);
      if (diff !== '' && !failed.has(c.formName))
        failed.set(c.formName, `${c.formName} [${Buffer.from(c.code).toString('hex')}]: ${diff}`);
    });
    // The host would be the better oracle; this says whether it could run these cases natively (see the README).
    const compat = oracleAvailable() ? JSON.stringify(probeCompatMode()) : 'not probed';
    console.log(
      `legacy differential: ${cases.length} cases, ${forms.size} forms, ${failed.size} forms disagree; host compat mode: ${compat}`,
    );
    expect([...failed.values()]).toEqual([]);
  }, 360_000);
});
