import {
  exactWeighted,
  QuantileSketch,
  SKETCH_K,
  type SketchState,
  sortsFirst,
  type WeightedValues,
  weightedOf,
} from './quantile-sketch.ts';

/**
 * The numeric values of one feature on one side, kept for KS and Wasserstein: every value while
 * there are at most `exactMax` (`KS_EXACT_MAX` by default), so the statistic and p-value are
 * scipy's on the full data; past that, a `QuantileSketch` whose tracked rank error bounds the
 * error of the KS statistic. Exact summaries merge exactly (sorted merge); a merge past
 * `exactMax` becomes a sketch.
 */
export const KS_EXACT_MAX = 100_000;

export type ValuesSummary =
  | { kind: 'exact' /** ascending */; values: Float64Array }
  | { kind: 'sketch'; sketch: SketchState };

export interface ValuesOptions {
  /** exact up to this many values (default `KS_EXACT_MAX`) */
  exactMax?: number;
  /** the sketch's items per level (default `SKETCH_K`) */
  sketchK?: number;
}

const FIRST_CHUNK = 16;

export class ValuesAccumulator {
  /**
   * The exact values, in chunks (a first of a few values, then of the sketch's k doubles): no
   * copies while they grow, and when they pass `exactMax` each full chunk, once fed to the
   * sketch, becomes one of its levels, so the switch leaves no garbage behind (a thread's dead
   * buffers wait for a full collection).
   */
  private chunks: Float64Array[] = [];
  /** the chunk `add` fills; its first `filled` are values not yet in `chunks` or the sketch */
  private chunk: Float64Array;
  private filled = 0;
  /** the values in `chunks`, or fed to the sketch */
  private count = 0;
  private sketch: QuantileSketch | undefined;
  private readonly exactMax: number;
  private readonly k: number;

  constructor(options: ValuesOptions = {}) {
    this.exactMax = options.exactMax ?? KS_EXACT_MAX;
    this.k = options.sketchK ?? SKETCH_K;
    // A first chunk of a few values: `flush` is first called before the JIT optimises the record
    // loop (a call it had never seen made it deoptimise that loop), the next chunks k each.
    this.chunk = new Float64Array(Math.min(FIRST_CHUNK, this.k));
  }

  /**
   * The same few operations whatever the regime: the regime is decided in `flush`, once every k
   * values, so the code the JIT inlines into the record loop meets no new case when a feature
   * passes `exactMax` (each new case deoptimised and recompiled the whole loop, in every
   * thread). The sketch takes the values in the order they came, as if added one by one.
   */
  add(x: number): void {
    const chunk = this.chunk;
    chunk[this.filled++] = x;
    if (this.filled === chunk.length) this.flush();
  }

  private flush(): void {
    const n = this.filled;
    this.filled = 0;
    if (this.sketch !== undefined) {
      feed(this.sketch, this.chunk, n);
      return;
    }
    this.chunks.push(n === this.chunk.length ? this.chunk : this.chunk.subarray(0, n));
    this.count += n;
    this.chunk = new Float64Array(this.k);
    if (this.count > this.exactMax) this.toSketch();
  }

  private toSketch(): void {
    const pool: Float64Array[] = [];
    const sketch = new QuantileSketch(this.k, pool);
    for (const chunk of this.chunks) {
      feed(sketch, chunk, chunk.length);
      if (chunk.length === this.k) pool.push(chunk);
    }
    this.sketch = sketch;
    this.chunks = [];
  }

  finish(): ValuesSummary {
    if (this.sketch === undefined && this.count + this.filled > this.exactMax) {
      this.flush();
      if (this.sketch === undefined) this.toSketch();
    }
    if (this.sketch !== undefined) {
      this.flush();
      return { kind: 'sketch', sketch: this.sketch.state() };
    }
    const values = new Float64Array(this.count + this.filled);
    let at = 0;
    for (const chunk of this.chunks) {
      values.set(chunk, at);
      at += chunk.length;
    }
    values.set(this.chunk.subarray(0, this.filled), at);
    return { kind: 'exact', values: values.sort() };
  }
}

/** Adds the first `count` values to the sketch in order (a loop of its own, as the sketch's loops are). */
const feed = (sketch: QuantileSketch, values: Float64Array, count: number): void => {
  for (let i = 0; i < count; i++) sketch.add(values[i]!);
};

const mergeSorted = (a: Float64Array, b: Float64Array): Float64Array => {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  // -0 before 0, as `sort()` orders one pass's values: a shard's 0 must not precede the next's -0.
  while (i < a.length && j < b.length) out[k++] = sortsFirst(a[i]!, b[j]!) ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
};

/** Level arrays of the sketches merges made, for the next merge's sketch (`QuantileSketch.release`). */
const MERGE_POOL: Float64Array[] = [];

/**
 * Adds exact values to a sketch. A function of its own: compiled on stack replacement inside a
 * longer function, the loop's code had no feedback for what follows it, and deoptimised there at
 * every merge of a sketch with an exact shard.
 */
const addAll = (sketch: QuantileSketch, values: Float64Array): QuantileSketch => {
  for (let i = 0; i < values.length; i++) sketch.add(values[i]!);
  return sketch;
};

const sketchOf = (summary: ValuesSummary, k: number): QuantileSketch =>
  summary.kind === 'sketch'
    ? QuantileSketch.from(summary.sketch, MERGE_POOL)
    : addAll(new QuantileSketch(k, MERGE_POOL), summary.values);

export const valuesCount = (summary: ValuesSummary): number =>
  summary.kind === 'exact' ? summary.values.length : summary.sketch.n;

/** Two shards' values as one: exact while the total is at most `exactMax`, else a sketch. */
export const mergeValues = (
  a: ValuesSummary,
  b: ValuesSummary,
  options: ValuesOptions = {},
): ValuesSummary => {
  const exactMax = options.exactMax ?? KS_EXACT_MAX;
  if (a.kind === 'exact' && b.kind === 'exact' && a.values.length + b.values.length <= exactMax)
    return { kind: 'exact', values: mergeSorted(a.values, b.values) };
  const k =
    a.kind === 'sketch' ? a.sketch.k : b.kind === 'sketch' ? b.sketch.k : (options.sketchK ?? SKETCH_K);
  const sketch = sketchOf(a, k);
  if (b.kind === 'sketch') sketch.merge(b.sketch);
  else addAll(sketch, b.values);
  const state = sketch.state();
  sketch.release(MERGE_POOL);
  return { kind: 'sketch', sketch: state };
};

/** The values as weighted items (exact values weigh 1 and carry no error). */
export const weightedValues = (summary: ValuesSummary): WeightedValues =>
  summary.kind === 'exact' ? exactWeighted(summary.values) : weightedOf(summary.sketch);
