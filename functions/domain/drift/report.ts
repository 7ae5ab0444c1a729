import { chi2Homogeneity } from './chi2.ts';
import { momentsOf } from './exact-sum.ts';
import { ks2Samp, ksAsymptoticP } from './ks.ts';
import type {
  BaselineProfile,
  CategoricalProfile,
  FeatureKind,
  FeatureProfile,
  NumericProfile,
} from './profile.ts';
import { ksOfWeighted, wassersteinOfWeighted } from './quantile-sketch.ts';
import { jensenShannon, psi, wasserstein } from './stats.ts';
import {
  type DriftThresholds,
  type DriftThresholdsInput,
  resolveThresholds,
  testLevel,
} from './thresholds.ts';
import { decodeValues } from './values-codec.ts';
import { KS_EXACT_MAX, type ValuesSummary, weightedValues } from './values-summary.ts';
import type {
  CategoricalWindowSummary,
  FeatureWindowSummary,
  NumericWindowSummary,
  WindowSummary,
} from './window.ts';

/** Unseen categories named in a feature entry, most frequent first. */
export const MAX_UNSEEN_LISTED = 100;

/**
 * The figures of one feature (or the prediction). Statistics that cannot be computed are left out
 * (psi and the JS distances are null) and `reason` says why; no figure is ever NaN or Infinity.
 * - shares: missingShare = missing / window rows; outOfRangeShare = values outside the
 *   reference's [min, max] / non-missing values; PSI and JS are over non-missing values;
 * - numeric: PSI and JS over the 10 baseline bins; KS and Wasserstein over every value of both
 *   sides while each has at most `ksExactMax` (`ksRegime` 'exact': scipy's ks_2samp on the full
 *   data, its p exact or asymptotic as scipy's 'auto' picks), over quantile sketches beyond
 *   (`ksRegime` 'sketch': the statistic within `ksStatisticBound` of the full data's, the p-value
 *   scipy's asymptotic one at that statistic; Wasserstein estimated); wassersteinNorm =
 *   Wasserstein / the full reference's population standard deviation (left out when that is 0);
 *   currentMean and currentStd (ddof 0) of the window's values, from exact sums;
 * - categorical: columns are the reference's categories, the window's unseen categories and, when
 *   used on either side, the `other` bucket; PSI, JS and chi-square over those columns.
 */
export interface FeatureFigures {
  name: string;
  kind: FeatureKind;
  rows: number;
  missingShare: number;
  psi: number | null;
  jsDistance: number | null;
  jsDistanceBase2: number | null;
  ksStatistic?: number;
  ksPValue?: number;
  wassersteinNorm?: number;
  chiSquare?: number;
  chiSquarePValue?: number;
  chiSquareDof?: number;
  outOfRangeShare?: number;
  unseenCategories?: string[];
  unseenShare?: number;
  /** 'exact': KS on every value; 'sketch': on quantile sketches; 'sample': an old baseline's reservoir sample */
  ksRegime?: KsRegime;
  /** |ksStatistic - the full data's statistic| is at most this (0 when exact) */
  ksStatisticBound?: number;
  currentMean?: number;
  currentStd?: number;
  reason?: string;
}

export interface FeatureDrift extends FeatureFigures {
  drifted: boolean;
  /** the rules that held, e.g. ['psi', 'ksPValue'] */
  driftedBy: string[];
}

export type KsRegime = 'exact' | 'sketch' | 'sample';

export interface DriftReportBody {
  rows: number;
  /** how KS was computed over the report's features: 'sketch' when any feature used sketches */
  ks?: { regime: KsRegime; statisticBound: number; exactMax: number };
  features: FeatureDrift[];
  prediction?: FeatureDrift;
  /** drifted features / features with figures (the prediction is not counted) */
  driftedShare: number;
  featuresEvaluated: number;
  featuresDrifted: number;
  /** the number of p-value tests (the Bonferroni divisor when enabled) */
  tests: number;
  thresholds: DriftThresholds;
  empty: boolean;
  reason?: string;
}

const finite = (x: number): number | undefined => (Number.isFinite(x) ? x : undefined);
const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

const setIfFinite = <K extends keyof FeatureFigures>(target: FeatureFigures, key: K, value: number): void => {
  const checked = finite(value);
  if (checked !== undefined) (target as unknown as Record<string, number>)[key] = checked;
};

/** The reference's values for KS: its distribution, or an old profile's reservoir sample. */
const referenceValues = (profile: NumericProfile): { values: ValuesSummary; sampled: boolean } => {
  if (profile.distribution) return { values: decodeValues(profile.distribution), sampled: false };
  return {
    values: { kind: 'exact', values: Float64Array.from(profile.sample ?? []) },
    sampled: profile.sampled ?? false,
  };
};

const numericFigures = (profile: NumericProfile, window: NumericWindowSummary, out: FeatureFigures): void => {
  out.psi = finiteOrNull(psi(profile.binCounts, window.binCounts));
  out.jsDistance = finiteOrNull(jensenShannon(profile.binCounts, window.binCounts));
  out.jsDistanceBase2 = finiteOrNull(jensenShannon(profile.binCounts, window.binCounts, 2));
  const reference = referenceValues(profile);
  const ref = reference.values;
  const cur = window.values;
  let statistic: number;
  let pValue: number;
  let distance: number;
  if (ref.kind === 'exact' && cur.kind === 'exact') {
    const ks = ks2Samp(ref.values, cur.values);
    statistic = ks.statistic;
    pValue = ks.pValue;
    distance = wasserstein(ref.values, cur.values);
    out.ksRegime = reference.sampled ? 'sample' : 'exact';
    out.ksStatisticBound = 0;
  } else {
    const a = weightedValues(ref);
    const b = weightedValues(cur);
    const ks = ksOfWeighted(a, b);
    statistic = ks.statistic;
    pValue = ksAsymptoticP(ks.statistic, a.n, b.n);
    distance = wassersteinOfWeighted(a, b);
    out.ksRegime = reference.sampled ? 'sample' : 'sketch';
    out.ksStatisticBound = ks.bound;
  }
  setIfFinite(out, 'ksStatistic', statistic);
  setIfFinite(out, 'ksPValue', pValue);
  if (profile.std !== null && profile.std > 0) setIfFinite(out, 'wassersteinNorm', distance / profile.std);
  setIfFinite(out, 'outOfRangeShare', (window.below + window.above) / window.count);
  const moments = momentsOf(window.count, window.sum, window.sumSquares);
  if (moments) {
    setIfFinite(out, 'currentMean', moments.mean);
    setIfFinite(out, 'currentStd', moments.std);
  }
};

const categoricalFigures = (
  profile: CategoricalProfile,
  window: CategoricalWindowSummary,
  out: FeatureFigures,
): void => {
  const reference = new Map(profile.categories.map(({ value, count }) => [value, count]));
  const current = new Map(window.categories.map(({ value, count }) => [value, count]));
  const referenceCounts: number[] = [];
  const currentCounts: number[] = [];
  for (const { value, count } of profile.categories) {
    referenceCounts.push(count);
    currentCounts.push(current.get(value) ?? 0);
  }
  const unseen = window.categories
    .filter(({ value, count }) => count > 0 && !reference.has(value))
    .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  for (const { count } of unseen) {
    referenceCounts.push(0);
    currentCounts.push(count);
  }
  if (profile.other > 0 || window.other > 0) {
    referenceCounts.push(profile.other);
    currentCounts.push(window.other);
  }
  out.psi = finiteOrNull(psi(referenceCounts, currentCounts));
  out.jsDistance = finiteOrNull(jensenShannon(referenceCounts, currentCounts));
  out.jsDistanceBase2 = finiteOrNull(jensenShannon(referenceCounts, currentCounts, 2));
  const chi2 = chi2Homogeneity(referenceCounts, currentCounts);
  setIfFinite(out, 'chiSquare', chi2.statistic);
  setIfFinite(out, 'chiSquarePValue', chi2.pValue);
  out.chiSquareDof = chi2.dof;
  out.unseenCategories = [...unseen]
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
    .slice(0, MAX_UNSEEN_LISTED)
    .map(({ value }) => value);
  out.unseenShare = unseen.reduce((total, { count }) => total + count, 0) / window.count;
};

/** The figures of one feature: its baseline profile against its window summary. */
export const featureFigures = (profile: FeatureProfile, window: FeatureWindowSummary): FeatureFigures => {
  if (profile.name !== window.name || profile.kind !== window.kind)
    throw new Error(`window summary ${window.name} (${window.kind}) does not match profile ${profile.name}`);
  const out: FeatureFigures = {
    name: profile.name,
    kind: profile.kind,
    rows: window.rows,
    missingShare: window.rows > 0 ? window.missing / window.rows : 0,
    psi: null,
    jsDistance: null,
    jsDistanceBase2: null,
  };
  if (window.rows === 0) out.reason = 'the window has no rows';
  else if (window.count === 0) out.reason = 'every value is missing in the window';
  else if (profile.count === 0) out.reason = 'the reference has no values for this feature';
  else if (profile.kind === 'numeric') numericFigures(profile, window as NumericWindowSummary, out);
  else categoricalFigures(profile, window as CategoricalWindowSummary, out);
  return out;
};

const hasTest = (figures: FeatureFigures): boolean =>
  figures.ksPValue !== undefined || figures.chiSquarePValue !== undefined;

/** Applies the thresholds to a feature's figures; `tests` is the report's number of p-value tests. */
export const judgeFeature = (
  figures: FeatureFigures,
  thresholds: DriftThresholds,
  tests = 1,
): FeatureDrift => {
  const by: string[] = [];
  if (figures.psi !== null && figures.psi >= thresholds.psi) by.push('psi');
  if (figures.jsDistance !== null && figures.jsDistance >= thresholds.jsDistance) by.push('jsDistance');
  if (figures.ksPValue !== undefined && figures.ksPValue < testLevel(thresholds.ksPValue, thresholds, tests))
    by.push('ksPValue');
  if (
    figures.chiSquarePValue !== undefined &&
    figures.chiSquarePValue < testLevel(thresholds.chiSquarePValue, thresholds, tests)
  )
    by.push('chiSquarePValue');
  if (
    thresholds.wassersteinNorm !== undefined &&
    figures.wassersteinNorm !== undefined &&
    figures.wassersteinNorm >= thresholds.wassersteinNorm
  )
    by.push('wassersteinNorm');
  if (
    thresholds.missingShare !== undefined &&
    figures.rows > 0 &&
    figures.missingShare >= thresholds.missingShare
  )
    by.push('missingShare');
  if (
    thresholds.outOfRangeShare !== undefined &&
    figures.outOfRangeShare !== undefined &&
    figures.outOfRangeShare >= thresholds.outOfRangeShare
  )
    by.push('outOfRangeShare');
  return { ...figures, drifted: by.length > 0, driftedBy: by };
};

/**
 * The drift report of a window against a baseline. An empty window, or one where no feature has a
 * non-missing value, gives a report with `empty: true` and a `reason` instead of failing.
 */
/** Every feature's figures (baseline order) and the prediction's, computed ahead (`featureFigures`). */
export interface ReportFigures {
  features: FeatureFigures[];
  prediction?: FeatureFigures;
}

export const driftReport = (
  baseline: BaselineProfile,
  window: WindowSummary,
  thresholdsInput: DriftThresholdsInput | DriftThresholds = {},
  /** the figures of `window`, when computed already (by the threads that merged it) */
  computed?: ReportFigures,
): DriftReportBody => {
  const thresholds = resolveThresholds(thresholdsInput);
  if (window.rows === 0)
    return {
      rows: 0,
      features: [],
      driftedShare: 0,
      featuresEvaluated: 0,
      featuresDrifted: 0,
      tests: 0,
      thresholds,
      empty: true,
      reason: 'the window has no rows',
    };
  const summaries = new Map(window.features.map((summary) => [summary.name, summary]));
  const figures = baseline.features.map((profile, i) => {
    const given = computed?.features[i];
    if (given?.name === profile.name) return given;
    const summary = summaries.get(profile.name);
    if (!summary) throw new Error(`the window has no summary for feature ${profile.name}`);
    return featureFigures(profile, summary);
  });
  const predictionFigures =
    baseline.prediction && window.prediction
      ? computed?.prediction?.name === baseline.prediction.name
        ? computed.prediction
        : featureFigures(baseline.prediction, window.prediction)
      : undefined;
  const tests = figures.filter(hasTest).length + (predictionFigures && hasTest(predictionFigures) ? 1 : 0);
  const features = figures.map((f) => judgeFeature(f, thresholds, tests));
  const evaluated = features.filter((f) => f.psi !== null);
  const drifted = evaluated.filter((f) => f.drifted).length;
  const report: DriftReportBody = {
    rows: window.rows,
    features,
    driftedShare: evaluated.length > 0 ? drifted / evaluated.length : 0,
    featuresEvaluated: evaluated.length,
    featuresDrifted: drifted,
    tests,
    thresholds,
    empty: false,
  };
  if (predictionFigures) report.prediction = judgeFeature(predictionFigures, thresholds, tests);
  const regimes = [...features, ...(report.prediction ? [report.prediction] : [])].filter(
    (f) => f.ksRegime !== undefined,
  );
  if (regimes.length > 0)
    report.ks = {
      regime: regimes.some((f) => f.ksRegime === 'sample')
        ? 'sample'
        : regimes.some((f) => f.ksRegime === 'sketch')
          ? 'sketch'
          : 'exact',
      statisticBound: Math.max(...regimes.map((f) => f.ksStatisticBound ?? 0)),
      exactMax: baseline.ksExactMax ?? KS_EXACT_MAX,
    };
  if (evaluated.length === 0 && (report.prediction === undefined || report.prediction.psi === null)) {
    report.empty = true;
    report.reason = [...features, ...(report.prediction ? [report.prediction] : [])].every(
      (f) => f.reason === 'every value is missing in the window',
    )
      ? 'every value is missing in the window'
      : 'no feature could be evaluated';
  }
  return report;
};
