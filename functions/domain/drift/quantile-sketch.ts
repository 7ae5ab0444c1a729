/**
 * A mergeable quantile sketch with a deterministic, tracked rank-error bound: a hierarchy of
 * compactors (Manku, Rajagopalan and Lindsay; the deterministic form of KLL, with every level
 * the same capacity `k`).
 *
 * Level h holds items of weight 2^h. A value enters level 0; when a level holds `k` items it is
 * compacted: sorted, and every other item (offsets alternating per level) moves up one level with
 * twice the weight. Merging two sketches adds their levels item by item, compacting the same way.
 *
 * The bound, proved: the estimated rank of y is the weight of the held items <= y. One compaction
 * at level h changes the estimated rank of any y by at most 2^h: of the r sorted items <= y, it
 * keeps ceil(r/2) or floor(r/2) with weight 2^(h+1) in place of r with weight 2^h, an error of 0
 * or +-2^h. Errors of separate compactions add, so for every y at once
 *   |estimated rank(y) - rank(y)| <= `errorWeight` = the sum of 2^h over every compaction made
 * (merged sketches add their `errorWeight`s). `rankError()` = errorWeight / n, a bound on the
 * error of the estimated CDF everywhere. A level compacts at most (n / 2^h) / k times, so
 * errorWeight / n <= L / k with L = the number of levels that compacted, about log2(n / k):
 * with k = 16,384, 2 million values give at most 7 / 16,384 = 4.3e-4, and 10^9 values at most
 * 16 / 16,384 = 9.8e-4.
 */

/** Items per level: the default sketch's capacity. */
export const SKETCH_K = 16_384;

export interface SketchState {
  k: number;
  /** values summarised */
  n: number;
  /** the tracked bound on the rank error, in values (see the file comment) */
  errorWeight: number;
  /** levels[h]: the items of weight 2^h (any order) */
  levels: number[][] | Float64Array[];
  /** per level, the offset (0 or 1) of the next compaction */
  parity: number[];
  min: number;
  max: number;
}

/** Weighted items in ascending order: an estimated distribution. */
export interface WeightedValues {
  values: Float64Array;
  /** weights[i]: how many values items[i] stands for */
  weights: Float64Array;
  /** the total weight (values summarised) */
  n: number;
  /** a bound on |estimated CDF - CDF| everywhere (0: exact) */
  rankError: number;
}

/*
 * The radix sort's loops are functions of their own: as one function, V8 compiled it on stack
 * replacement inside its first loop, before the code after that loop had ever run, and every
 * later call entered that code and bailed out after the loop (3,000 deoptimisations over 1 GiB of
 * capture, the rest of each sort interpreted). So each loop is the end of its function, and
 * the code that follows it, in the caller, is optimised the usual way, with its feedback.
 */

/** Flips the keys so that their bits order as the numbers: the sign bit set for positives, every bit flipped for negatives. */
const flipKeys = (words: Uint32Array, n: number): void => {
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1]!;
    if (hi & 0x80000000) {
      words[2 * i + 1] = ~hi;
      words[2 * i] = ~words[2 * i]!;
    } else words[2 * i + 1] = hi | 0x80000000;
  }
};

const unflipKeys = (words: Uint32Array, n: number): void => {
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1]!;
    if (hi & 0x80000000) words[2 * i + 1] = hi & 0x7fffffff;
    else {
      words[2 * i + 1] = ~hi;
      words[2 * i] = ~words[2 * i]!;
    }
  }
};

/** Counts of each 11-bit digit (nothing after the loop: see above). */
const countDigits = (
  from: Uint32Array,
  n: number,
  word: number,
  shift: number,
  counts: Uint32Array,
): void => {
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[(from[2 * i + word]! >>> shift) & 2047]!++;
};

/** The counts turned into each digit's first position. */
const digitStarts = (counts: Uint32Array): void => {
  let sum = 0;
  for (let d = 0; d < 2048; d++) {
    const c = counts[d]!;
    counts[d] = sum;
    sum += c;
  }
};

const scatter = (
  from: Uint32Array,
  to: Uint32Array,
  n: number,
  word: number,
  shift: number,
  counts: Uint32Array,
): void => {
  for (let i = 0; i < n; i++) {
    const lo = from[2 * i]!;
    const hi = from[2 * i + 1]!;
    const j = counts[((word === 0 ? lo : hi) >>> shift) & 2047]!++;
    to[2 * j] = lo;
    to[2 * j + 1] = hi;
  }
};

/**
 * Sorts doubles ascending in place, in the order of a typed array's `sort()` (-0 before 0; no
 * NaN here): an LSD radix sort on the IEEE 754 bits (sign flipped so the bits order as the
 * numbers), 11 bits a pass, a pass skipped when every key shares its digit. About half the cost
 * of a comparison sort for a level-0 compaction of 16,384 values, the sketch's main cost.
 */
class RadixSorter {
  private readonly counts = new Uint32Array(2048);

  /** `spare`: room for n doubles, overwritten. */
  sort(values: Float64Array, n: number, spare: Float64Array): void {
    if (n < 256) {
      values.subarray(0, n).sort();
      return;
    }
    let from = new Uint32Array(values.buffer, values.byteOffset, n * 2);
    let to = new Uint32Array(spare.buffer, spare.byteOffset, n * 2);
    flipKeys(from, n);
    const counts = this.counts;
    let swapped = false;
    for (let pass = 0; pass < 6; pass++) {
      const word = pass < 3 ? 0 : 1;
      const shift = (pass % 3) * 11;
      countDigits(from, n, word, shift, counts);
      // Every key shares this digit: the pass would change nothing.
      if (counts[(from[word]! >>> shift) & 2047] === n) continue;
      digitStarts(counts);
      scatter(from, to, n, word, shift, counts);
      const t = from;
      from = to;
      to = t;
      swapped = !swapped;
    }
    unflipKeys(from, n);
    if (swapped) values.set(new Float64Array(from.buffer, from.byteOffset, n));
  }
}

const RADIX = new RadixSorter();

/*
 * The compaction's loops are functions of their own, as the radix sort's are: inside `compact`,
 * V8 compiled it on stack replacement in a loop, reused that code at every later call, and
 * deoptimised it there whenever the code after the loop first made a level (34 times in a
 * 2-worker run's merges).
 */

/** The two sorted runs level[0..mid) and level[mid..size) merged into `merged` (-0 before 0, as sort puts them). */
const mergeTwoRuns = (level: Float64Array, mid: number, size: number, merged: Float64Array): void => {
  let i = 0;
  let j = mid;
  for (let r = 0; r < size; r++) {
    if (j >= size) merged[r] = level[i++]!;
    else if (i >= mid) merged[r] = level[j++]!;
    else {
      const a = level[i]!;
      const b = level[j]!;
      if (sortsFirst(a, b)) {
        merged[r] = a;
        i++;
      } else {
        merged[r] = b;
        j++;
      }
    }
  }
};

/** Every other item (from `offset`) of from[0..size) to the front of `to` (may be `from`); returns how many. */
const keepEveryOther = (from: Float64Array, to: Float64Array, size: number, offset: number): number => {
  let kept = 0;
  for (let r = offset; r < size; r += 2) to[kept++] = from[r]!;
  return kept;
};

/** items[from..from + count) to level[at..]. */
const copyInto = (
  level: Float64Array,
  at: number,
  items: ArrayLike<number>,
  from: number,
  count: number,
): void => {
  for (let i = 0; i < count; i++) level[at + i] = items[from + i]!;
};

/**
 * Whether `x` goes before (or with) `y` in a typed array's `sort()` order, where -0 precedes 0:
 * on a tie, 1/x <= 1/y is false only for x = 0 and y = -0 (Infinity against -Infinity). One
 * comparison more, and no call, on the rare tie: the merge loops stay optimised when ties begin.
 */
export const sortsFirst = (x: number, y: number): boolean => x < y || (x === y && 1 / x <= 1 / y);

export class QuantileSketch {
  readonly k: number;
  private levels: Float64Array[] = [];
  private sizes: number[] = [];
  private parity: number[] = [];
  /**
   * Per level, where its second sorted run starts (0: the level is one sorted run so far), or -1
   * when its items are in no known order. Above level 0, items arrive as the sorted halves that
   * compactions below emit, so a full level is two sorted runs, merged in linear time rather
   * than sorted. The order only speeds the compaction; what it keeps is the same.
   */
  private runs: number[] = [];
  /** Room for one level, for the radix sort and the merge of two runs (allocated on first use). */
  private spare: Float64Array | undefined;
  private level0: Float64Array;
  private size0 = 0;
  n = 0;
  errorWeight = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  /** Arrays of k doubles to build levels from before allocating (their contents are overwritten). */
  private readonly pool: Float64Array[];

  constructor(k: number = SKETCH_K, pool: Float64Array[] = []) {
    if (!Number.isInteger(k) || k < 2 || k % 2 !== 0) throw new RangeError('k must be an even integer >= 2');
    this.k = k;
    this.pool = pool;
    this.ensure(0);
    this.level0 = this.levels[0]!;
  }

  static from(state: SketchState, pool: Float64Array[] = []): QuantileSketch {
    const sketch = new QuantileSketch(state.k, pool);
    sketch.n = state.n;
    sketch.errorWeight = state.errorWeight;
    sketch.min = state.min;
    sketch.max = state.max;
    state.levels.forEach((items, h) => {
      sketch.ensure(h);
      sketch.levels[h]!.set(items);
      sketch.setSize(h, items.length);
      sketch.parity[h] = state.parity[h] ?? 0;
      // A level above 0 holds one sorted run between compactions: known so, its next compaction
      // merges two runs rather than sorting (level 0 takes `add`'s values in any order: always sorted).
      sketch.runs[h] = h > 0 && ascending(items, items.length) ? 0 : -1;
    });
    return sketch;
  }

  private ensure(h: number): void {
    while (this.levels.length <= h) {
      const reused = this.pool.pop();
      this.levels.push(reused?.length === this.k ? reused : new Float64Array(this.k));
      this.sizes.push(0);
      this.parity.push(0);
      this.runs.push(0);
    }
  }

  private spareArray(): Float64Array {
    const reused = this.pool.pop();
    return reused?.length === this.k ? reused : new Float64Array(this.k);
  }

  private sizeOf(h: number): number {
    return h === 0 ? this.size0 : this.sizes[h]!;
  }

  private setSize(h: number, size: number): void {
    if (h === 0) this.size0 = size;
    else this.sizes[h] = size;
  }

  add(value: number): void {
    this.n++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.level0[this.size0++] = value;
    if (this.size0 === this.k) this.compact(0);
  }

  /** Appends `count` items of `items` to level h, compacting it whenever it fills. */
  private append(h: number, items: ArrayLike<number>, count: number, sorted: boolean): void {
    if (h >= this.levels.length) this.ensure(h);
    const level = this.levels[h]!;
    let from = 0;
    while (from < count) {
      const size = this.sizeOf(h);
      const take = Math.min(count - from, this.k - size);
      if (!sorted) this.runs[h] = -1;
      else if (size > 0 && this.runs[h] === 0) this.runs[h] = size;
      else if (size > 0) this.runs[h] = -1;
      copyInto(level, size, items, from, take);
      from += take;
      this.setSize(h, size + take);
      if (size + take === this.k) this.compact(h);
    }
  }

  private compact(h: number): void {
    const level = this.levels[h]!;
    const size = this.sizeOf(h);
    const mid = this.runs[h]!;
    const offset = this.parity[h]!;
    this.parity[h] = 1 - offset;
    this.setSize(h, 0);
    this.runs[h] = 0;
    this.errorWeight += 2 ** h;
    // The kept items (every other one of the sorted level) go to the front of the level itself,
    // which nothing touches until they are appended above.
    let kept: number;
    if (mid > 0) {
      // Two sorted runs: merged into the spare (-0 before 0, as sort puts them), every other kept.
      const merged = (this.spare ??= this.spareArray());
      mergeTwoRuns(level, mid, size, merged);
      kept = keepEveryOther(merged, level, size, offset);
    } else {
      // Unsorted (level 0, or a level that merged another sketch's): radix-sorted.
      if (mid < 0 || h === 0) RADIX.sort(level, size, (this.spare ??= this.spareArray()));
      kept = keepEveryOther(level, level, size, offset);
    }
    this.append(h + 1, level, kept, true);
  }

  /** Adds another sketch's items (both must share `k`). */
  merge(other: QuantileSketch | SketchState): void {
    const state = other instanceof QuantileSketch ? other.state() : other;
    if (state.k !== this.k) throw new RangeError(`cannot merge sketches of k ${state.k} and ${this.k}`);
    this.n += state.n;
    this.errorWeight += state.errorWeight;
    if (state.min < this.min) this.min = state.min;
    if (state.max > this.max) this.max = state.max;
    state.levels.forEach((items, h) => {
      this.append(h, items, items.length, h > 0 && ascending(items, items.length));
    });
  }

  /**
   * Hands this sketch's arrays of k doubles to `pool` (at most `max` there), for the next sketch
   * to build its levels from: merges make one sketch after another, and each one's levels are
   * off-heap memory that a thread frees only at its next collection. The sketch is unusable after.
   */
  release(pool: Float64Array[], max = 64): void {
    for (const level of [...this.levels, ...(this.spare ? [this.spare] : [])])
      if (level.length === this.k && pool.length < max) pool.push(level);
    this.levels = [];
    this.spare = undefined;
  }

  /** A bound on the error of the estimated CDF, at every point (0 while nothing was compacted). */
  rankError(): number {
    return this.n > 0 ? this.errorWeight / this.n : 0;
  }

  state(): SketchState {
    // An untouched sketch has no levels yet.
    const used = this.n === 0 && this.levels.length === 1 ? 0 : this.levels.length;
    return {
      k: this.k,
      n: this.n,
      errorWeight: this.errorWeight,
      levels: this.levels.slice(0, used).map((level, h) => level.slice(0, this.sizeOf(h))),
      parity: this.parity.slice(0, used),
      min: this.min,
      max: this.max,
    };
  }

  /** The held items in ascending order with their weights. */
  weighted(): WeightedValues {
    return weightedOf(this.state());
  }
}

let sortScratch = new Float64Array(0);

/** Whether `values[0..n)` is ascending as a typed array's `sort()` orders it (-0 before 0). */
const ascending = (values: ArrayLike<number>, n: number): boolean => {
  for (let i = 1; i < n; i++) {
    const a = values[i - 1]!;
    const b = values[i]!;
    if (a > b || (a === 0 && b === 0 && 1 / a > 0 && 1 / b < 0)) return false;
  }
  return true;
};

/** Two pairs of arrays the runs of `weightedOf` merge between, kept for the next call. */
let runValues = [new Float64Array(0), new Float64Array(0)] as const;
let runWeights = [new Float64Array(0), new Float64Array(0)] as const;

/**
 * Merges the sorted runs [lo, mid) and [mid, hi) of `values`/`weights` into the same places of
 * `toValues`/`toWeights`, the first run first among equal values (0 and -0 equal): a stable merge.
 */
const mergeRuns = (
  values: Float64Array,
  weights: Float64Array,
  toValues: Float64Array,
  toWeights: Float64Array,
  lo: number,
  mid: number,
  hi: number,
): void => {
  // One loop, tails included: a second loop after it would deoptimise (see `collapse`).
  let i = lo;
  let j = mid;
  for (let k = lo; k < hi; k++) {
    if (j < hi && (i >= mid || values[j]! < values[i]!)) {
      toValues[k] = values[j]!;
      toWeights[k] = weights[j++]!;
    } else {
      toValues[k] = values[i]!;
      toWeights[k] = weights[i++]!;
    }
  }
};

/**
 * Equal neighbours of `values[0..n)` as one item of their summed weight, into `out`; returns how
 * many items. A function of its own, as each loop here: compiled on stack replacement, a loop
 * inside a longer function has no feedback yet for the code after it, which then deoptimises on
 * every call.
 */
const collapse = (
  values: Float64Array,
  weights: Float64Array,
  n: number,
  out: Float64Array,
  outWeights: Float64Array,
): number => {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (m > 0 && out[m - 1] === x) outWeights[m - 1]! += weights[i]!;
    else {
      out[m] = x;
      outWeights[m++] = weights[i]!;
    }
  }
  return m;
};

/** The weighted items of a sketch state, ascending (equal values merged). */
export const weightedOf = (state: SketchState): WeightedValues => {
  // Each level sorted on its own (radix, unless it already is: levels above 0 often are), laid
  // end to end, lowest level first; then neighbouring runs merged pairwise, stably, until one is
  // left: the lower level first among equal values, as merging the levels one by one would
  // give, in log2(levels) linear passes between two reused pairs of arrays.
  let total = 0;
  for (const items of state.levels) total += items.length;
  if (runValues[0].length < total) {
    runValues = [new Float64Array(total), new Float64Array(total)];
    runWeights = [new Float64Array(total), new Float64Array(total)];
  }
  let values = runValues[0];
  let weights = runWeights[0];
  let toValues = runValues[1];
  let toWeights = runWeights[1];
  let bounds: number[] = [0];
  let at = 0;
  state.levels.forEach((items, h) => {
    if (items.length === 0) return;
    const run = values.subarray(at, at + items.length);
    run.set(items);
    if (!ascending(run, run.length)) {
      if (sortScratch.length < run.length) sortScratch = new Float64Array(run.length);
      RADIX.sort(run, run.length, sortScratch);
    }
    weights.fill(2 ** h, at, at + items.length);
    at += items.length;
    bounds.push(at);
  });
  while (bounds.length > 2) {
    const next: number[] = [0];
    for (let r = 0; r + 1 < bounds.length; r += 2) {
      const lo = bounds[r]!;
      const mid = bounds[r + 1]!;
      const hi = bounds[r + 2] ?? mid;
      mergeRuns(values, weights, toValues, toWeights, lo, mid, hi);
      next.push(hi);
    }
    bounds = next;
    [values, toValues] = [toValues, values];
    [weights, toWeights] = [toWeights, weights];
  }
  const out = new Float64Array(total);
  const outWeights = new Float64Array(total);
  const m = collapse(values, weights, total, out, outWeights);
  return {
    values: out.subarray(0, m),
    weights: outWeights.subarray(0, m),
    n: state.n,
    rankError: state.n > 0 ? state.errorWeight / state.n : 0,
  };
};

/** Equal neighbours of sorted values as one item weighing how many they are; returns how many items (see `collapse`). */
const collapseOnes = (sorted: ArrayLike<number>, values: Float64Array, weights: Float64Array): number => {
  let m = 0;
  for (let i = 0; i < sorted.length; i++) {
    const x = sorted[i]!;
    if (m > 0 && values[m - 1] === x) weights[m - 1]! += 1;
    else {
      values[m] = x;
      weights[m++] = 1;
    }
  }
  return m;
};

/** Sorted exact values as weighted items (weight 1, no error). */
export const exactWeighted = (sorted: ArrayLike<number>): WeightedValues => {
  const values = new Float64Array(sorted.length);
  const weights = new Float64Array(sorted.length);
  const m = collapseOnes(sorted, values, weights);
  return {
    values: values.subarray(0, m),
    weights: weights.subarray(0, m),
    n: sorted.length,
    rankError: 0,
  };
};

/**
 * The KS statistic between two estimated distributions: the largest |F1 - F2| over the held
 * items of both, F the share of weight <= x. Both estimated CDFs are step functions that change
 * only at held items, so this is their exact supremum; and since each is within its rankError of
 * the true CDF everywhere, |estimate - D| <= rankError1 + rankError2 (the `bound`).
 */
export const ksOfWeighted = (a: WeightedValues, b: WeightedValues): { statistic: number; bound: number } => {
  let i = 0;
  let j = 0;
  let fa = 0;
  let fb = 0;
  let d = 0;
  const na = a.values.length;
  const nb = b.values.length;
  while (i < na || j < nb) {
    const x = j >= nb || (i < na && a.values[i]! <= b.values[j]!) ? a.values[i]! : b.values[j]!;
    while (i < na && a.values[i]! <= x) fa += a.weights[i++]!;
    while (j < nb && b.values[j]! <= x) fb += b.weights[j++]!;
    const diff = Math.abs(fa / a.n - fb / b.n);
    if (diff > d) d = diff;
  }
  return { statistic: d, bound: a.rankError + b.rankError };
};

/**
 * The first Wasserstein distance between two estimated distributions: the integral of |F1 - F2|
 * over the merged held items (as scipy's `wasserstein_distance` on weighted values).
 */
export const wassersteinOfWeighted = (a: WeightedValues, b: WeightedValues): number => {
  let i = 0;
  let j = 0;
  let fa = 0;
  let fb = 0;
  let total = 0;
  const na = a.values.length;
  const nb = b.values.length;
  let x = Math.min(a.values[0]!, b.values[0]!);
  while (i < na || j < nb) {
    while (i < na && a.values[i]! <= x) fa += a.weights[i++]!;
    while (j < nb && b.values[j]! <= x) fb += b.weights[j++]!;
    if (i >= na && j >= nb) break;
    const next = j >= nb || (i < na && a.values[i]! <= b.values[j]!) ? a.values[i]! : b.values[j]!;
    total += Math.abs(fa / a.n - fb / b.n) * (next - x);
    x = next;
  }
  return total;
};

const BYTES = 8;

/** Doubles as base64 of their little-endian bytes: exact and a third of JSON's size. */
export const encodeDoubles = (values: ArrayLike<number>): string => {
  const array = Float64Array.from(values);
  return Buffer.from(array.buffer, array.byteOffset, array.length * BYTES).toString('base64');
};

export const decodeDoubles = (text: string): Float64Array => {
  const bytes = Buffer.from(text, 'base64');
  // A large decode has its own memory (no copy needed); a small one may share Buffer's pool.
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length && bytes.length % BYTES === 0)
    return new Float64Array(bytes.buffer, 0, bytes.length / BYTES);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float64Array(copy.buffer, 0, bytes.length / BYTES);
};
