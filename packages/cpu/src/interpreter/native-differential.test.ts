import { oracleAvailable, runOnHost } from '@typevisor/native-oracle';
import { describe, expect, it } from 'vitest';
import { compareResults, generateCases, InterpreterOracle } from '../test-support/differential.ts';

const LONG = process.env.TYPEVISOR_LONG === '1';

describe.runIf(oracleAvailable())('the interpreter against the host processor', () => {
  it('agrees on registers, defined flags, memory and faults for every generated general-purpose form', () => {
    const cases = generateCases(LONG ? 200 : 12, 0xc0ffee);
    const host = runOnHost(cases);
    const ours = new InterpreterOracle();
    const forms = new Set<number>();
    const failures: string[] = [];
    const failedForms = new Set<string>();
    cases.forEach((c, i) => {
      forms.add(c.formCode);
      const diff = compareResults(c, host[i]!, ours.run(c));
      if (diff !== '') {
        failedForms.add(c.formName);
        if (failures.length < 20) failures.push(`${c.formName} [${Buffer.from(c.code).toString('hex')}]: ${diff}`);
      }
    });
    console.log(
      `native differential: ${cases.length} cases, ${forms.size} instruction forms, ${failedForms.size} forms disagree`,
    );
    expect(failures).toEqual([]);
  });
});
