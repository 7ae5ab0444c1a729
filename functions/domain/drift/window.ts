import { ExactSum } from './exact-sum.ts';
import {
  type BaselineProfile,
  BIN_COUNT,
  type CategoricalProfile,
  type CategoryCount,
  type FeatureProfile,
  MAX_CATEGORIES,
  type NumericProfile,
} from './profile.ts';
import { binIndex } from './stats.ts';
import { categoryKey, isMissing, toNumber } from './values.ts';
import { mergeValues, ValuesAccumulator, type ValuesOptions, type ValuesSummary } from './values-summary.ts';

/**
 * Accumulators for the current window, fed value by value with bounded memory, and their
 * summaries, which MERGE EXACTLY: summarising two shards of a window and merging the summaries
 * (`mergeWindowSummaries`, the shard read first on the left) gives the summary of the whole
 * window read in that order, field for field, and so the same report.
 *
 * Per numeric feature: 10 bin counts on the baseline edges, missing, below-min and above-max
 * counts, the exact sums of x and x^2 (moments; `exact-sum.ts`), and the values (every value up to
 * `exactMax`, a quantile sketch beyond: `values-summary.ts`; a merge past `exactMax` is a sketch,
 * whose statistics stay within the sketch's bound rather than equal to the bit). Per categorical
 * feature: the category counts in first-seen order (the reference's categories first), at most
 * `maxCategories` unseen ones; further unseen values are counted in `other` (a merge stays exact
 * while no shard overflows the cap).
 */
export interface NumericWindowSummary {
  name: string;
  kind: 'numeric';
  rows: number;
  missing: number;
  count: number;
  binCounts: number[];
  /** values below the reference minimum / above the reference maximum */
  below: number;
  above: number;
  /** the exact sum of the values and of their squares, as canonical expansions */
  sum: number[];
  sumSquares: number[];
  values: ValuesSummary;
}

export interface CategoricalWindowSummary {
  name: string;
  kind: 'categorical';
  rows: number;
  missing: number;
  count: number;
  /** reference categories first (in reference order), then unseen ones in first-seen order; zero counts kept */
  categories: CategoryCount[];
  /** how many of `categories` are the reference's */
  referenceCategories: number;
  /** room for unseen categories */
  unseenCap: number;
  other: number;
}

export type FeatureWindowSummary = NumericWindowSummary | CategoricalWindowSummary;

export interface WindowSummary {
  rows: number;
  features: FeatureWindowSummary[];
  prediction?: FeatureWindowSummary;
}

export interface WindowOptions extends ValuesOptions {
  maxCategories?: number;
}

export interface FeatureWindowAccumulator {
  readonly name: string;
  add(value: unknown): void;
  finish(): FeatureWindowSummary;
}

export class NumericWindowAccumulator implements FeatureWindowAccumulator {
  readonly name: string;
  private readonly edges: number[];
  private readonly min: number;
  private readonly max: number;
  private readonly bins = new Array<number>(BIN_COUNT).fill(0);
  private readonly values: ValuesAccumulator;
  private readonly sum = new ExactSum();
  private readonly sumSquares = new ExactSum();
  private rows = 0;
  private missing = 0;
  private below = 0;
  private above = 0;

  constructor(profile: NumericProfile, options: WindowOptions = {}) {
    this.name = profile.name;
    this.edges = profile.edges;
    this.min = profile.min ?? Number.NEGATIVE_INFINITY;
    this.max = profile.max ?? Number.POSITIVE_INFINITY;
    this.values = new ValuesAccumulator(options);
  }

  add(value: unknown): void {
    this.rows++;
    const x = isMissing(value) ? undefined : toNumber(value);
    if (x === undefined) {
      this.missing++;
      return;
    }
    this.bins[binIndex(this.edges, x)]!++;
    // Counted at every value, not only in branches that may first run once the loop is
    // optimised (a value past the baseline's range, in the middle of a run, deoptimised it).
    this.below += x < this.min ? 1 : 0;
    this.above += x > this.max ? 1 : 0;
    this.sum.add(x);
    this.sumSquares.add(x * x);
    this.values.add(x);
  }

  finish(): NumericWindowSummary {
    return {
      name: this.name,
      kind: 'numeric',
      rows: this.rows,
      missing: this.missing,
      count: this.rows - this.missing,
      binCounts: [...this.bins],
      below: this.below,
      above: this.above,
      sum: this.sum.canonical(),
      sumSquares: this.sumSquares.canonical(),
      values: this.values.finish(),
    };
  }
}

export class CategoricalWindowAccumulator implements FeatureWindowAccumulator {
  readonly name: string;
  // Map iteration is insertion order: reference categories first, then unseen ones as first seen.
  private readonly counts = new Map<string, number>();
  private readonly referenceCategories: number;
  private readonly unseenCap: number;
  private other = 0;
  private rows = 0;
  private missing = 0;

  constructor(profile: CategoricalProfile, options: WindowOptions = {}) {
    this.name = profile.name;
    for (const { value } of profile.categories) this.counts.set(value, 0);
    this.referenceCategories = this.counts.size;
    this.unseenCap = options.maxCategories ?? MAX_CATEGORIES;
  }

  add(value: unknown): void {
    this.rows++;
    if (isMissing(value)) {
      this.missing++;
      return;
    }
    const key = categoryKey(value);
    const count = this.counts.get(key);
    if (count !== undefined) this.counts.set(key, count + 1);
    else if (this.counts.size - this.referenceCategories < this.unseenCap) this.counts.set(key, 1);
    else this.other++;
  }

  finish(): CategoricalWindowSummary {
    return {
      name: this.name,
      kind: 'categorical',
      rows: this.rows,
      missing: this.missing,
      count: this.rows - this.missing,
      categories: [...this.counts].map(([value, count]) => ({ value, count })),
      referenceCategories: this.referenceCategories,
      unseenCap: this.unseenCap,
      other: this.other,
    };
  }
}

export const featureWindowAccumulator = (
  profile: FeatureProfile,
  options: WindowOptions = {},
): FeatureWindowAccumulator =>
  profile.kind === 'numeric'
    ? new NumericWindowAccumulator(profile, options)
    : new CategoricalWindowAccumulator(profile, options);

/** The window options a baseline implies (its exact-KS size), overridden by `options`. */
export const windowOptionsOf = (baseline: BaselineProfile, options: WindowOptions = {}): WindowOptions => ({
  ...(baseline.ksExactMax !== undefined ? { exactMax: baseline.ksExactMax } : {}),
  ...options,
});

/** Accumulates a window of records (objects of column to value) against a baseline. */
export class WindowAccumulator {
  private readonly features: FeatureWindowAccumulator[];
  private readonly prediction: FeatureWindowAccumulator | undefined;
  private readonly predictionName: string | undefined;
  private rows = 0;

  constructor(baseline: BaselineProfile, options: WindowOptions = {}) {
    const resolved = windowOptionsOf(baseline, options);
    this.features = baseline.features.map((profile) => featureWindowAccumulator(profile, resolved));
    this.prediction = baseline.prediction
      ? featureWindowAccumulator(baseline.prediction, resolved)
      : undefined;
    this.predictionName = baseline.prediction?.name;
  }

  addRecord(record: Record<string, unknown>): void {
    this.rows++;
    for (const feature of this.features) feature.add(record[feature.name]);
    if (this.prediction && this.predictionName !== undefined)
      this.prediction.add(record[this.predictionName]);
  }

  finish(): WindowSummary {
    const summary: WindowSummary = { rows: this.rows, features: this.features.map((f) => f.finish()) };
    if (this.prediction) summary.prediction = this.prediction.finish();
    return summary;
  }
}

const addCounts = (a: number[], b: number[]): number[] => a.map((x, i) => x + (b[i] ?? 0));

const mergeSums = (a: number[], b: number[]): number[] => {
  const sum = new ExactSum(a);
  sum.merge(b);
  return sum.canonical();
};

const mergeNumeric = (
  a: NumericWindowSummary,
  b: NumericWindowSummary,
  options: WindowOptions,
): NumericWindowSummary => ({
  name: a.name,
  kind: 'numeric',
  rows: a.rows + b.rows,
  missing: a.missing + b.missing,
  count: a.count + b.count,
  binCounts: addCounts(a.binCounts, b.binCounts),
  below: a.below + b.below,
  above: a.above + b.above,
  sum: mergeSums(a.sum, b.sum),
  sumSquares: mergeSums(a.sumSquares, b.sumSquares),
  values: mergeValues(a.values, b.values, options),
});

const mergeCategorical = (
  a: CategoricalWindowSummary,
  b: CategoricalWindowSummary,
): CategoricalWindowSummary => {
  const counts = new Map(a.categories.map(({ value, count }) => [value, count]));
  let other = a.other + b.other;
  // As if b's values followed a's: b's categories in b's first-seen order.
  for (const { value, count } of b.categories) {
    const known = counts.get(value);
    if (known !== undefined) counts.set(value, known + count);
    else if (count === 0) continue;
    else if (counts.size - a.referenceCategories < a.unseenCap) counts.set(value, count);
    else other += count;
  }
  return {
    ...a,
    rows: a.rows + b.rows,
    missing: a.missing + b.missing,
    count: a.count + b.count,
    categories: [...counts].map(([value, count]) => ({ value, count })),
    other,
  };
};

/** One feature's summaries of two shards as one (`a` read first); see `mergeWindowSummaries`. */
export const mergeFeature = (
  a: FeatureWindowSummary,
  b: FeatureWindowSummary,
  options: WindowOptions,
): FeatureWindowSummary => {
  if (a.name !== b.name || a.kind !== b.kind)
    throw new Error(`cannot merge the summaries of ${a.name} (${a.kind}) and ${b.name} (${b.kind})`);
  return a.kind === 'numeric'
    ? mergeNumeric(a, b as NumericWindowSummary, options)
    : mergeCategorical(a, b as CategoricalWindowSummary);
};

/**
 * The summary of a window read as `a`'s records followed by `b`'s. `options.exactMax` must be the
 * one the shards were summarised with (the baseline's by default).
 */
export const mergeWindowSummaries = (
  a: WindowSummary,
  b: WindowSummary,
  options: WindowOptions = {},
): WindowSummary => {
  if (a.features.length !== b.features.length)
    throw new Error('cannot merge summaries of different baselines');
  const merged: WindowSummary = {
    rows: a.rows + b.rows,
    features: a.features.map((feature, i) => mergeFeature(feature, b.features[i]!, options)),
  };
  if (a.prediction && b.prediction) merged.prediction = mergeFeature(a.prediction, b.prediction, options);
  return merged;
};
