export { type BenchClock, clockNow, measureRate, type MeasureOptions, type Rate } from './measure.ts';
export { formatLine, printLine, type Figure } from './report.ts';
