import { createColors } from 'picocolors';

/**
 * How the CLI speaks: tables and short records for people on a terminal, JSON for scripts
 * (`--json`), colour only when stdout is a terminal (and never under NO_COLOR).
 */
export class Output {
  readonly colors: ReturnType<typeof createColors>;
  readonly tty: boolean;

  constructor(
    readonly json: boolean,
    readonly stdout: NodeJS.WriteStream = process.stdout,
    readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stdout.isTTY);
    this.colors = createColors(this.tty && !process.env.NO_COLOR && !json);
  }

  /** The answer itself: JSON as the API gave it under --json, else the human rendering. */
  result(value: unknown, human: () => void): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else human();
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** Progress and notes go to stderr, so stdout stays the answer. */
  note(text: string): void {
    if (!this.json) this.stderr.write(`${text}\n`);
  }

  table(
    rows: Record<string, unknown>[],
    columns: { key: string; title?: string; format?: (v: unknown, row: Record<string, unknown>) => string }[],
  ): void {
    if (rows.length === 0) {
      this.line(this.colors.dim('(none)'));
      return;
    }
    const cells = rows.map((row) =>
      columns.map((c) => (c.format ? c.format(row[c.key], row) : plain(row[c.key]))),
    );
    const titles = columns.map((c) => c.title ?? c.key.toUpperCase());
    const widths = titles.map((t, i) => Math.max(visible(t), ...cells.map((r) => visible(r[i] ?? ''))));
    const render = (values: string[]) =>
      values
        .map((v, i) => (i === values.length - 1 ? v : v + ' '.repeat((widths[i] ?? 0) - visible(v))))
        .join('  ')
        .trimEnd();
    this.line(this.colors.bold(render(titles)));
    for (const row of cells) this.line(render(row));
  }

  /** One resource as aligned `key  value` lines. */
  record(entries: [string, unknown][]): void {
    const shown = entries.filter(([, v]) => v !== undefined && v !== '');
    const width = Math.max(...shown.map(([k]) => k.length));
    for (const [k, v] of shown) this.line(`${this.colors.dim(k.padEnd(width))}  ${plain(v)}`);
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes take no width
const ansi = /\u001b\[[0-9;]*m/g;
const visible = (text: string) => text.replace(ansi, '').length;

export const plain = (value: unknown): string => {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(plain).join(', ');
  if (typeof value === 'object')
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : plain(v)}`)
      .join(' ');
  return String(value);
};

export const bytes = (n: number): string => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
};

export const duration = (seconds: number): string => {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
};
