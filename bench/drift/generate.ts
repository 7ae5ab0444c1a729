import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Xoshiro128 } from '#domain/drift/random';

/**
 * The drift bench's data, generated once from a fixed seed and cached:
 * - `reference.csv`: 50,000 rows, header `x00..x17,c18,c19,prediction`;
 * - `capture/bench-endpoint/AllTraffic/yyyy/mm/dd/hh/part-NNN.jsonl`: SageMaker data-capture
 *   JSON Lines (CSV-encoded input of the 20 features, CSV-encoded output score), about
 *   `CAPTURE_FILE_MB` a file, `FILES_PER_HOUR` files an hour from 2026-11-27T00:00Z, the
 *   inference times rising through each hour.
 * Features: 18 numeric (normal, log-normal, uniform, small integers with ties; x05 has 2%
 * missing values), 2 categorical. The window is shifted: x03's mean by +0.25 sd, x07's sd by
 * 1.3, c19's category shares; the rest are drawn from the reference's distributions.
 */
export const NUMERIC = Array.from({ length: 18 }, (_, i) => `x${String(i).padStart(2, '0')}`);
export const CATEGORICAL = ['c18', 'c19'];
export const FEATURES = [...NUMERIC, ...CATEGORICAL];
export const REFERENCE_ROWS = 50_000;
export const START = Date.UTC(2026, 10, 27, 0);
const HOUR = 3_600_000;
const CAPTURE_FILE_MB = 16;
const FILES_PER_HOUR = 2;
const SEED = 20261127;
const FORMAT_VERSION = 3;

const COLOURS = ['red', 'green', 'blue', 'amber', 'violet'];
const CITIES = ['paris', 'lyon', 'nantes', 'lille', 'nice', 'brest', 'metz'];

class Draw {
  private readonly random: Xoshiro128;
  private spare: number | undefined;
  constructor(seed: number) {
    this.random = new Xoshiro128(seed);
  }
  uniform(): number {
    return this.random.nextDouble();
  }
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u = 1 - this.random.nextDouble();
    const v = this.random.nextDouble();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  pick(values: string[], weights: number[]): string {
    let u = this.uniform();
    for (let i = 0; i < values.length; i++) {
      u -= weights[i]!;
      if (u < 0) return values[i]!;
    }
    return values[values.length - 1]!;
  }
  hex(length: number): string {
    let text = '';
    while (text.length < length) text += this.random.nextUint32().toString(16).padStart(8, '0');
    return text.slice(0, length);
  }
}

const REFERENCE_COLOURS = [0.3, 0.25, 0.2, 0.15, 0.1];
const CITY_SHARES = [0.25, 0.2, 0.15, 0.15, 0.1, 0.1, 0.05];
const SHIFTED_CITY_SHARES = [0.15, 0.2, 0.15, 0.15, 0.1, 0.1, 0.15];

/** One row's cells (strings as they go into CSV) and its score. */
const row = (draw: Draw, shifted: boolean): { cells: string[]; score: number } => {
  const cells: string[] = [];
  let z = 0;
  for (let i = 0; i < 18; i++) {
    let x: number;
    let text: string;
    if (i % 6 === 4) {
      x = Math.exp(0.5 * draw.normal());
      text = x.toFixed(4);
    } else if (i % 6 === 2) {
      x = draw.uniform() * 100;
      text = x.toFixed(3);
    } else if (i % 6 === 5) {
      x = Math.floor(draw.uniform() * 12);
      text = String(x);
    } else {
      const mean = i;
      let sd = 1 + i / 10;
      let shift = 0;
      if (shifted && i === 3) shift = 0.25 * sd;
      if (shifted && i === 7) sd *= 1.3;
      x = mean + shift + sd * draw.normal();
      text = x.toFixed(5);
    }
    if (i === 5 && draw.uniform() < 0.02) text = '';
    else if (i === 0 || i === 1 || i === 3) z += (x - i) / (1 + i / 10);
    cells.push(text);
  }
  cells.push(draw.pick(COLOURS, REFERENCE_COLOURS));
  cells.push(draw.pick(CITIES, shifted ? SHIFTED_CITY_SHARES : CITY_SHARES));
  const score = 1 / (1 + Math.exp(-0.6 * z));
  return { cells, score };
};

const iso = (ms: number): string => new Date(ms).toISOString();
const pad2 = (n: number) => String(n).padStart(2, '0');

export interface BenchData {
  dir: string;
  reference: string;
  capture: string;
  captureBytes: number;
  captureFiles: number;
  lines: number;
  from: string;
  to: string;
}

/** The bench data for `mb` MiB of capture, generated under `root` unless already there. */
export const ensureData = async (
  root: string,
  mb: number,
  log: (line: string) => void,
): Promise<BenchData> => {
  const dir = join(root, `data-${mb}mb`);
  const manifestPath = join(dir, 'manifest.json');
  const existing = await readFile(manifestPath, 'utf8').catch(() => undefined);
  if (existing) {
    const manifest = JSON.parse(existing) as BenchData & { version: number };
    if (manifest.version === FORMAT_VERSION) return manifest;
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const started = performance.now();
  log(`generating ${mb} MiB of capture JSON Lines and a ${REFERENCE_ROWS}-row reference under ${dir} (once)`);

  const referenceDraw = new Draw(SEED);
  const reference = join(dir, 'reference.csv');
  const lines = [[...FEATURES, 'prediction'].join(',')];
  for (let i = 0; i < REFERENCE_ROWS; i++) {
    const { cells, score } = row(referenceDraw, false);
    lines.push(`${cells.join(',')},${score.toFixed(6)}`);
  }
  await writeFile(reference, `${lines.join('\n')}\n`);

  const draw = new Draw(SEED + 1);
  const capture = join(dir, 'capture');
  const variant = join(capture, 'bench-endpoint', 'AllTraffic');
  const target = mb * 1024 * 1024;
  const fileBytes = CAPTURE_FILE_MB * 1024 * 1024;
  const files = Math.max(1, Math.ceil(target / fileBytes));
  const hours = Math.ceil(files / FILES_PER_HOUR);
  // Lines are about 500 bytes: spread each hour's lines evenly over its 3,600 s.
  const linesPerHour = Math.ceil((fileBytes * FILES_PER_HOUR) / 500);
  let written = 0;
  let total = 0;
  let fileIndex = 0;
  for (let h = 0; h < hours && written < target; h++) {
    const hourStart = START + h * HOUR;
    const d = new Date(hourStart);
    const folder = join(
      variant,
      String(d.getUTCFullYear()),
      pad2(d.getUTCMonth() + 1),
      pad2(d.getUTCDate()),
      pad2(d.getUTCHours()),
    );
    await mkdir(folder, { recursive: true });
    let inHour = 0;
    for (let f = 0; f < FILES_PER_HOUR && written < target; f++) {
      const fd = openSync(join(folder, `part-${String(fileIndex++).padStart(3, '0')}.jsonl`), 'w');
      let fileWritten = 0;
      const limit = Math.min(fileBytes, target - written);
      let buffer: string[] = [];
      let bufferBytes = 0;
      while (fileWritten + bufferBytes < limit) {
        const { cells, score } = row(draw, true);
        const at = hourStart + Math.min(HOUR - 1, Math.floor((inHour * HOUR) / linesPerHour));
        inHour++;
        const id = draw.hex(32);
        const line =
          `{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"${cells.join(',')}","encoding":"CSV"},` +
          `"endpointOutput":{"observedContentType":"text/csv; charset=utf-8","mode":"OUTPUT","data":"${score.toFixed(6)}","encoding":"CSV"}},` +
          `"eventMetadata":{"eventId":"${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}","inferenceId":"inf-${total}","inferenceTime":"${iso(at)}"},"eventVersion":"0"}\n`;
        buffer.push(line);
        bufferBytes += line.length;
        total++;
        if (bufferBytes >= 1 << 20) {
          fileWritten += writeSync(fd, buffer.join(''));
          buffer = [];
          bufferBytes = 0;
        }
      }
      if (buffer.length > 0) fileWritten += writeSync(fd, buffer.join(''));
      closeSync(fd);
      written += fileWritten;
    }
  }
  const manifest: BenchData & { version: number } = {
    version: FORMAT_VERSION,
    dir,
    reference,
    capture,
    captureBytes: written,
    captureFiles: fileIndex,
    lines: total,
    from: iso(START),
    to: iso(START + hours * HOUR),
  };
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  log(
    `generated ${(written / 2 ** 20).toFixed(0)} MiB in ${fileIndex} files, ${total} lines, in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return manifest;
};
