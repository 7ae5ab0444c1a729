/**
 * Plain-text output of the bench: aligned tables, PASS/OVER markers and the summary lines that
 * `run.ts` collects from every section.
 */
export type Marker = 'PASS' | 'OVER';

export interface TargetResult {
  /** What is measured, e.g. `getVersion DynamoDB requests`. */
  figure: string;
  /** The measured value as printed, with its unit. */
  value: string;
  /** The target as printed, e.g. `<= 1`. */
  target: string;
  marker: Marker;
}

export const marker = (ok: boolean): Marker => (ok ? 'PASS' : 'OVER');

type Align = 'left' | 'right';

export interface Column {
  title: string;
  align?: Align;
}

/** An aligned text table; numbers are best right-aligned (`align: 'right'`). */
export const table = (columns: readonly Column[], rows: readonly (readonly string[])[]): string => {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (text: string, i: number) =>
    columns[i]?.align === 'right' ? text.padStart(widths[i]!) : text.padEnd(widths[i]!);
  const line = (cells: readonly string[]) =>
    `  ${cells
      .map((c, i) => cell(c, i))
      .join('  ')
      .trimEnd()}`;
  return [
    line(columns.map((c) => c.title)),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(columns.map((_, i) => r[i] ?? ''))),
  ].join('\n');
};

export const heading = (title: string): string =>
  `\n== ${title} ${'='.repeat(Math.max(3, 96 - title.length))}`;

export const ms = (value: number): string => `${value.toFixed(1)} ms`;

export const bytes = (value: number): string => value.toLocaleString('en-US');

/** Decimal megabytes: 1 MB = 1,000,000 bytes. */
export const megabytes = (value: number): string => `${(value / 1_000_000).toFixed(3)} MB`;

export const print = (text = ''): void => {
  process.stdout.write(`${text}\n`);
};

/** Progress notes go to stderr so that stdout stays the report. */
export const note = (text: string): void => {
  process.stderr.write(`   ... ${text}\n`);
};

/** Nearest-rank percentile of an ascending array. */
export const percentile = (sorted: readonly number[], p: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
};

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
