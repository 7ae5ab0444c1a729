import { DoubleBuffer } from './doubles.ts';
import { QuantileSketch, SKETCH_K } from './quantile-sketch.ts';
import { DEFAULT_SEED } from './random.ts';
import { binIndex, decileEdges, meanAndStd } from './stats.ts';
import { categoryKey, isMissing, toNumber } from './values.ts';
import { type EncodedValues, encodeValues } from './values-codec.ts';
import { KS_EXACT_MAX } from './values-summary.ts';

/**
 * The baseline profile of a reference dataset, built from a stream of values per feature.
 *
 * Numeric features hold every non-missing reference value until `finish()` (the reference is
 * bounded: 8 bytes a value), because the bin edges are the deciles of the FULL reference
 * (numpy's default linear interpolation), and min, max, mean and population standard deviation
 * are of the full reference too. For KS and Wasserstein the profile keeps every value when there
 * are at most `ksExactMax` (100,000 by default) of them, so KS is scipy's on the full data;
 * otherwise a quantile sketch of `REFERENCE_SKETCH_K` items a level (rank error bound stored with
 * it: 6e-5 for a million values).
 *
 * Categorical features count categories; at most `MAX_CATEGORIES` distinct categories are kept,
 * values of further categories are counted in `other` (one extra bucket in every statistic).
 *
 * Type inference (when the kind is not declared): numeric when every non-missing value reads as a
 * number (see values.ts), categorical otherwise (booleans and text are categorical); a feature
 * without any non-missing reference value is numeric unless declared.
 */
export type FeatureKind = 'numeric' | 'categorical';

/** Distinct categories kept per feature, on each side; further ones are counted as `other`. */
export const MAX_CATEGORIES = 10_000;
export const BIN_COUNT = 10;

interface ProfileBase {
  name: string;
  kind: FeatureKind;
  /** rows offered (missing included) */
  rows: number;
  missing: number;
  missingShare: number;
  /** non-missing values */
  count: number;
}

export interface NumericProfile extends ProfileBase {
  kind: 'numeric';
  /** the 9 interior edges (reference deciles); empty when there are no values */
  edges: number[];
  /** values per bin: bin i holds edges[i-1] <= x < edges[i], open at both ends */
  binCounts: number[];
  min: number | null;
  max: number | null;
  mean: number | null;
  /** population standard deviation (ddof 0) of the full reference */
  std: number | null;
  /** every value (ascending) up to `ksExactMax`, else a quantile sketch (values-codec.ts) */
  distribution: EncodedValues;
  /** before mergeable summaries: a reservoir sample (read by report.ts as such) */
  sample?: number[];
  sampled?: boolean;
}

export interface CategoryCount {
  value: string;
  count: number;
}

export interface CategoricalProfile extends ProfileBase {
  kind: 'categorical';
  /** category counts, sorted by value (code unit order) */
  categories: CategoryCount[];
  /** values of categories beyond `MAX_CATEGORIES` */
  other: number;
}

export type FeatureProfile = NumericProfile | CategoricalProfile;

/** The reference's sketch is built once and kept: four times the window's items a level. */
export const REFERENCE_SKETCH_K = 4 * SKETCH_K;

export interface BaselineProfile {
  version: 1;
  rows: number;
  seed: number;
  /** KS is exact while both sides have at most this many values (absent: `KS_EXACT_MAX`) */
  ksExactMax?: number;
  features: FeatureProfile[];
  prediction?: FeatureProfile;
}

export interface FeatureProfileOptions {
  kind?: FeatureKind;
  seed?: number;
  ksExactMax?: number;
  maxCategories?: number;
}

/** Counts categories, keeping at most `limit` distinct keys; the rest go to `other`. */
export class CategoryCounter {
  readonly counts = new Map<string, number>();
  other = 0;
  constructor(private readonly limit: number = MAX_CATEGORIES) {}
  add(key: string): void {
    const count = this.counts.get(key);
    if (count !== undefined) this.counts.set(key, count + 1);
    else if (this.counts.size < this.limit) this.counts.set(key, 1);
    else this.other++;
  }
  sorted(): CategoryCount[] {
    return [...this.counts.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([value, count]) => ({ value, count }));
  }
}

const KEY_CHUNK = 4096;

/** Builds one feature's profile from its values, one at a time. */
export class FeatureProfileBuilder {
  readonly name: string;
  private readonly declared: FeatureKind | undefined;
  private readonly ksExactMax: number;
  private rows = 0;
  private missing = 0;
  private numbers: DoubleBuffer | undefined = new DoubleBuffer();
  private categories: CategoryCounter | undefined;
  private readonly maxCategories: number | undefined;
  private numericSoFar = true;
  /**
   * While an undeclared feature reads as numeric, its category keys are only kept, in order
   * (joined with NUL, which no numeric text holds), not counted: counting them in a Map costs
   * far more than the rest of the profile, and is needed only if a later value is not a number.
   */
  private keyChunks: string[] | undefined;
  private keys: string[] | undefined;

  constructor(name: string, options: FeatureProfileOptions = {}) {
    this.name = name;
    this.declared = options.kind;
    this.ksExactMax = options.ksExactMax ?? KS_EXACT_MAX;
    this.maxCategories = options.maxCategories;
    if (this.declared === 'categorical') {
      this.numbers = undefined;
      this.categories = new CategoryCounter(options.maxCategories);
    } else if (this.declared === undefined) {
      this.keyChunks = [];
      this.keys = [];
    }
  }

  private keepKey(key: string): void {
    const keys = this.keys!;
    keys.push(key);
    if (keys.length === KEY_CHUNK) {
      this.keyChunks!.push(keys.join('\0'));
      keys.length = 0;
    }
  }

  /** The feature is not numeric after all: count the keys kept so far, in their order. */
  private countKeptKeys(): CategoryCounter {
    const counter = new CategoryCounter(this.maxCategories);
    for (const chunk of this.keyChunks!) for (const key of chunk.split('\0')) counter.add(key);
    for (const key of this.keys!) counter.add(key);
    this.keyChunks = undefined;
    this.keys = undefined;
    return counter;
  }

  /** Rows before this builder existed, all missing (a column first seen late in the stream). */
  addMissing(rows: number): void {
    this.rows += rows;
    this.missing += rows;
  }

  add(value: unknown): void {
    this.rows++;
    if (isMissing(value)) {
      this.missing++;
      return;
    }
    if (this.declared === 'numeric') {
      const n = toNumber(value);
      if (n === undefined) this.missing++;
      else this.numbers!.push(n);
      return;
    }
    if (this.declared === undefined && this.numericSoFar) {
      const n = toNumber(value);
      if (n !== undefined) {
        this.numbers!.push(n);
        this.keepKey(categoryKey(value));
        return;
      }
      this.numericSoFar = false;
      this.numbers = undefined;
      this.categories = this.countKeptKeys();
    }
    this.categories!.add(categoryKey(value));
  }

  finish(): FeatureProfile {
    const kind: FeatureKind = this.declared ?? (this.numericSoFar ? 'numeric' : 'categorical');
    const missingShare = this.rows > 0 ? this.missing / this.rows : 0;
    if (kind === 'categorical') {
      const counter = this.categories!;
      return {
        name: this.name,
        kind,
        rows: this.rows,
        missing: this.missing,
        missingShare,
        count: this.rows - this.missing,
        categories: counter.sorted(),
        other: counter.other,
      };
    }
    return numericProfile(this.name, this.numbers!.view(), this.rows, this.missing, this.ksExactMax);
  }
}

/** Index of the first of ascending `sorted` that is >= `value` (`searchsorted(..., side='left')`). */
const firstAtLeast = (sorted: Float64Array, value: number): number => {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

/** The numeric profile of the reference's non-missing values, in stream order. */
export const numericProfile = (
  name: string,
  values: Float64Array,
  rows: number,
  missing: number,
  ksExactMax: number = KS_EXACT_MAX,
): NumericProfile => {
  const base = {
    name,
    kind: 'numeric' as const,
    rows,
    missing,
    missingShare: rows > 0 ? missing / rows : 0,
    count: values.length,
  };
  if (values.length === 0)
    return {
      ...base,
      edges: [],
      binCounts: new Array<number>(BIN_COUNT).fill(0),
      min: null,
      max: null,
      mean: null,
      std: null,
      distribution: encodeValues({ kind: 'exact', values: new Float64Array(0) }),
    };
  const sorted = values.slice().sort();
  let distribution: EncodedValues;
  if (values.length <= ksExactMax) distribution = encodeValues({ kind: 'exact', values: sorted });
  else {
    const sketch = new QuantileSketch(REFERENCE_SKETCH_K);
    for (const x of values) sketch.add(x);
    distribution = encodeValues({ kind: 'sketch', sketch: sketch.state() });
  }
  const edges = decileEdges(sorted);
  // Bin j holds the values with exactly j edges <= them: counted on the sorted values, between
  // the first value >= each edge (what binIndex gives value by value, without the 50,000 searches).
  // (Edges out of order by a rounding would not bin so: then value by value.)
  let binCounts: number[];
  if (edges.every((edge, i) => i === 0 || edges[i - 1]! <= edge)) {
    const atLeast = edges.map((edge) => sorted.length - firstAtLeast(sorted, edge));
    binCounts = Array.from(
      { length: BIN_COUNT },
      (_, j) => (j === 0 ? sorted.length : atLeast[j - 1]!) - (j < atLeast.length ? atLeast[j]! : 0),
    );
  } else {
    binCounts = new Array<number>(BIN_COUNT).fill(0);
    for (const x of values) binCounts[binIndex(edges, x)]!++;
  }
  const { mean, std } = meanAndStd(values);
  return {
    ...base,
    edges,
    binCounts,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    mean,
    std,
    distribution,
  };
};

export interface BaselineOptions {
  /** the feature columns, in order; by default every column seen (first-seen order) */
  features?: string[];
  /** columns never profiled as features (the target, identifiers) */
  exclude?: string[];
  /** declared kinds; others are inferred */
  kinds?: Record<string, FeatureKind>;
  /** the prediction column, profiled like a feature and reported apart */
  prediction?: string;
  seed?: number;
  /** KS exact up to this many values a side (default `KS_EXACT_MAX`) */
  ksExactMax?: number;
  maxCategories?: number;
}

/** Builds a baseline profile from a stream of records (objects of column to value). */
export class BaselineBuilder {
  private readonly options: BaselineOptions;
  private readonly builders = new Map<string, FeatureProfileBuilder>();
  /** `builders` as parallel arrays: the per-record loop allocates nothing */
  private readonly names: string[] = [];
  private readonly ordered: FeatureProfileBuilder[] = [];
  private readonly excluded: Set<string>;
  private readonly prediction: FeatureProfileBuilder | undefined;
  private rows = 0;

  constructor(options: BaselineOptions = {}) {
    this.options = options;
    this.excluded = new Set(options.exclude ?? []);
    if (options.prediction !== undefined) this.excluded.add(options.prediction);
    for (const name of options.features ?? []) this.addBuilder(name, this.builderFor(name));
    this.prediction = options.prediction !== undefined ? this.builderFor(options.prediction) : undefined;
  }

  private builderFor(name: string): FeatureProfileBuilder {
    const kind = this.options.kinds?.[name];
    return new FeatureProfileBuilder(name, {
      ...(kind !== undefined ? { kind } : {}),
      ksExactMax: this.options.ksExactMax ?? KS_EXACT_MAX,
      maxCategories: this.options.maxCategories ?? MAX_CATEGORIES,
    });
  }

  private addBuilder(name: string, builder: FeatureProfileBuilder): void {
    if (this.builders.has(name)) return;
    this.builders.set(name, builder);
    this.names.push(name);
    this.ordered.push(builder);
  }

  addRecord(record: Record<string, unknown>): void {
    if (this.options.features === undefined) {
      for (const name of Object.keys(record)) {
        if (this.excluded.has(name) || this.builders.has(name)) continue;
        const builder = this.builderFor(name);
        builder.addMissing(this.rows);
        this.addBuilder(name, builder);
      }
    }
    const names = this.names;
    const builders = this.ordered;
    for (let i = 0; i < builders.length; i++) builders[i]!.add(record[names[i]!]);
    this.prediction?.add(this.options.prediction !== undefined ? record[this.options.prediction] : undefined);
    this.rows++;
  }

  finish(): BaselineProfile {
    const profile: BaselineProfile = {
      version: 1,
      rows: this.rows,
      seed: this.options.seed ?? DEFAULT_SEED,
      ksExactMax: this.options.ksExactMax ?? KS_EXACT_MAX,
      features: [...this.builders.values()].map((builder) => builder.finish()),
    };
    if (this.prediction) profile.prediction = this.prediction.finish();
    return profile;
  }
}
