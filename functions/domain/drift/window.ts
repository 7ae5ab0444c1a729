import {
  type BaselineProfile,
  BIN_COUNT,
  type CategoricalProfile,
  type CategoryCount,
  CategoryCounter,
  type FeatureProfile,
  MAX_CATEGORIES,
  type NumericProfile,
} from './profile.ts';
import { DEFAULT_SEED, sampleSeed } from './random.ts';
import { Reservoir, SAMPLE_CAP } from './reservoir.ts';
import { binIndex } from './stats.ts';
import { categoryKey, isMissing, toNumber } from './values.ts';

/**
 * Accumulators for the current window, fed value by value with bounded memory: per numeric
 * feature 10 bin counts on the baseline edges, missing, below-min and above-max counts and a
 * seeded reservoir of at most 10,000 values (seed `sampleSeed(seed, name, 'current')`); per
 * categorical feature the category counts (the reference's categories plus at most
 * `MAX_CATEGORIES` unseen ones; further unseen values counted in `other`).
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
  /** ascending: every value, or a seeded reservoir sample of `SAMPLE_CAP` */
  sample: number[];
  sampled: boolean;
}

export interface CategoricalWindowSummary {
  name: string;
  kind: 'categorical';
  rows: number;
  missing: number;
  count: number;
  categories: CategoryCount[];
  other: number;
}

export type FeatureWindowSummary = NumericWindowSummary | CategoricalWindowSummary;

export interface WindowSummary {
  rows: number;
  features: FeatureWindowSummary[];
  prediction?: FeatureWindowSummary;
}

export interface WindowOptions {
  seed?: number;
  sampleCap?: number;
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
  private readonly reservoir: Reservoir;
  private rows = 0;
  private missing = 0;
  private below = 0;
  private above = 0;

  constructor(profile: NumericProfile, options: WindowOptions = {}) {
    this.name = profile.name;
    this.edges = profile.edges;
    this.min = profile.min ?? Number.NEGATIVE_INFINITY;
    this.max = profile.max ?? Number.POSITIVE_INFINITY;
    this.reservoir = new Reservoir(
      sampleSeed(options.seed ?? DEFAULT_SEED, profile.name, 'current'),
      options.sampleCap ?? SAMPLE_CAP,
    );
  }

  add(value: unknown): void {
    this.rows++;
    const x = isMissing(value) ? undefined : toNumber(value);
    if (x === undefined) {
      this.missing++;
      return;
    }
    this.bins[binIndex(this.edges, x)]!++;
    if (x < this.min) this.below++;
    else if (x > this.max) this.above++;
    this.reservoir.add(x);
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
      sample: Array.from(this.reservoir.sorted()),
      sampled: this.reservoir.seen > this.reservoir.capacity,
    };
  }
}

export class CategoricalWindowAccumulator implements FeatureWindowAccumulator {
  readonly name: string;
  private readonly counter: CategoryCounter;
  private rows = 0;
  private missing = 0;

  constructor(profile: CategoricalProfile, options: WindowOptions = {}) {
    this.name = profile.name;
    // Room for every reference category plus the cap of unseen ones.
    this.counter = new CategoryCounter(profile.categories.length + (options.maxCategories ?? MAX_CATEGORIES));
    for (const { value } of profile.categories) this.counter.counts.set(value, 0);
  }

  add(value: unknown): void {
    this.rows++;
    if (isMissing(value)) {
      this.missing++;
      return;
    }
    this.counter.add(categoryKey(value));
  }

  finish(): CategoricalWindowSummary {
    return {
      name: this.name,
      kind: 'categorical',
      rows: this.rows,
      missing: this.missing,
      count: this.rows - this.missing,
      categories: this.counter.sorted().filter(({ count }) => count > 0),
      other: this.counter.other,
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

/** Accumulates a window of records (objects of column to value) against a baseline. */
export class WindowAccumulator {
  private readonly features: FeatureWindowAccumulator[];
  private readonly prediction: FeatureWindowAccumulator | undefined;
  private readonly predictionName: string | undefined;
  private rows = 0;

  constructor(baseline: BaselineProfile, options: WindowOptions = {}) {
    const resolved: WindowOptions = { seed: baseline.seed, sampleCap: baseline.sampleCap, ...options };
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
