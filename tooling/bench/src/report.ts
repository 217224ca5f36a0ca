/** One figure: a value and its unit, e.g. `{ value: 25.3e6, unit: 'instr/s' }`. */
export interface Figure {
  readonly value: number;
  readonly unit: string;
}

function human(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(2)} G`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (abs >= 1e3) return `${(value / 1e3).toFixed(2)} k`;
  if (abs >= 100) return value.toFixed(0);
  return value.toPrecision(3);
}

function fig(f: Figure): string {
  const text = human(f.value);
  // `human` ends with a space before an SI prefix; join the prefix with the unit.
  return text.endsWith(' ') || /\s[kMG]$/.test(text) ? `${text}${f.unit}` : `${text} ${f.unit}`;
}

/**
 * Formats one benchmark line in the project's single format:
 * `name  value unit  [anchor value unit, ratio x]`. The ratio is ours/anchor for rates
 * (higher is better) unless `lowerIsBetter`, when it is anchor/ours, so a ratio above 1
 * always means we are ahead.
 */
export function formatLine(
  name: string,
  ours: Figure,
  anchor?: { readonly name: string; readonly figure: Figure; readonly lowerIsBetter?: boolean },
): string {
  let line = `${name.padEnd(44)}  ${fig(ours).padStart(16)}`;
  if (anchor) {
    const ratio = anchor.lowerIsBetter ? anchor.figure.value / ours.value : ours.value / anchor.figure.value;
    line += `  [${anchor.name} ${fig(anchor.figure)}, ratio ${ratio.toFixed(2)}x]`;
  }
  return line;
}

/** Prints a line made by {@link formatLine} to standard output. */
export function printLine(...args: Parameters<typeof formatLine>): void {
  console.log(formatLine(...args));
}
