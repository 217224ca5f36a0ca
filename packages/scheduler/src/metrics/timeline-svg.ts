import type { SimulationResult } from '../sim/simulator.ts';

/** Options of {@link renderTimelineSvg}. */
export interface TimelineSvgOptions {
  /** Window to draw, ns; default the window the runs recorded. */
  readonly fromNs?: number;
  readonly toNs?: number;
  /** Drawing width in px. Default 960. */
  readonly width?: number;
  /** Names of the VMs, for the legend; default the first run's VM names. */
  readonly vmNames?: readonly string[];
}

// Colour-blind-safe palette (Okabe-Ito), then repeats with a darker edge.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#999999'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Draws the pCPU timelines of one or more runs (recorded with `timeline` in
 * {@link SimulationOptions}) as one SVG: a panel per run, a row per pCPU, a bar per stretch
 * a vCPU ran, coloured by VM and labelled with the vCPU id where it fits, a millisecond axis
 * and a legend. Deterministic output (same runs, same bytes).
 */
export function renderTimelineSvg(results: readonly SimulationResult[], options: TimelineSvgOptions = {}): string {
  const first = results[0];
  if (!first) return '<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0"/>';
  let from = options.fromNs ?? Number.POSITIVE_INFINITY;
  let to = options.toNs ?? Number.NEGATIVE_INFINITY;
  if (options.fromNs === undefined || options.toNs === undefined) {
    for (const r of results) {
      for (const s of r.timeline) {
        if (options.fromNs === undefined) from = Math.min(from, s.startNs);
        if (options.toNs === undefined) to = Math.max(to, s.endNs);
      }
    }
  }
  if (!(to > from)) {
    from = 0;
    to = 1;
  }
  const width = options.width ?? 960;
  const left = 70;
  const right = 36;
  const rowH = 18;
  const gap = 4;
  const titleH = 22;
  const axisH = 22;
  const plotW = width - left - right;
  const x = (ns: number): number => left + ((ns - from) / (to - from)) * plotW;
  const names = options.vmNames ?? first.vms.map((v) => v.name);
  const out: string[] = [];
  let y = 8;
  // Legend.
  let lx = left;
  const legend: string[] = [];
  names.forEach((name, i) => {
    legend.push(
      `<rect x="${lx}" y="${y}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`,
      `<text x="${lx + 16}" y="${y + 10}">${esc(name)}</text>`,
    );
    lx += 28 + name.length * 7;
  });
  out.push(...legend);
  y += 22;
  // Axis ticks: about 10, at a round number of ms.
  const spanMs = (to - from) / 1e6;
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
  const stepMs = steps.find((s) => spanMs / s <= 12) ?? 10000;
  for (const r of results) {
    out.push(`<text x="4" y="${y + 15}" font-weight="bold">${esc(r.policy)}</text>`);
    y += titleH;
    const top = y;
    for (let p = 0; p < r.pcpus; p++) {
      const ry = top + p * (rowH + gap);
      out.push(`<text x="4" y="${ry + 13}">pCPU ${p}</text>`);
      out.push(`<rect x="${left}" y="${ry}" width="${plotW}" height="${rowH}" fill="#f4f4f4"/>`);
    }
    for (const s of r.timeline) {
      const a = Math.max(s.startNs, from);
      const b = Math.min(s.endNs, to);
      if (b <= a) continue;
      const x0 = x(a);
      const w = Math.max(0.5, x(b) - x0);
      const ry = top + s.pcpu * (rowH + gap);
      out.push(
        `<rect x="${x0.toFixed(2)}" y="${ry}" width="${w.toFixed(2)}" height="${rowH}" fill="${PALETTE[s.vm % PALETTE.length]}" stroke="#fff" stroke-width="0.5"><title>vCPU ${s.vcpu} (${esc(names[s.vm] ?? String(s.vm))}) ${(a / 1e6).toFixed(3)}–${(b / 1e6).toFixed(3)} ms</title></rect>`,
      );
      if (w > 14) {
        out.push(
          `<text x="${(x0 + w / 2).toFixed(2)}" y="${ry + 13}" text-anchor="middle" fill="#fff">${s.vcpu}</text>`,
        );
      }
    }
    y = top + r.pcpus * (rowH + gap);
    // Axis.
    out.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#333"/>`);
    const firstTick = Math.ceil(from / 1e6 / stepMs) * stepMs;
    for (let t = firstTick; t <= to / 1e6 + 1e-9; t += stepMs) {
      const tx = x(t * 1e6);
      out.push(`<line x1="${tx.toFixed(2)}" y1="${y}" x2="${tx.toFixed(2)}" y2="${y + 4}" stroke="#333"/>`);
      out.push(`<text x="${tx.toFixed(2)}" y="${y + 15}" text-anchor="middle">${Number(t.toFixed(3))} ms</text>`);
    }
    y += axisH;
  }
  const height = y + 6;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
