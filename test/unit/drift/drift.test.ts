import { describe, expect, it } from 'vitest';
import { ks2Samp } from '#domain/drift/ks';
import {
  BaselineBuilder,
  type BaselineProfile,
  FeatureProfileBuilder,
  type NumericProfile,
  numericProfile,
} from '#domain/drift/profile';
import { fnv1a32, sampleSeed, Xoshiro128 } from '#domain/drift/random';
import { driftReport, type FeatureFigures, featureFigures, judgeFeature } from '#domain/drift/report';
import { binIndex, decileEdges, jensenShannon, meanAndStd, psi, wasserstein } from '#domain/drift/stats';
import { DriftThresholds, resolveThresholds } from '#domain/drift/thresholds';
import { NumericWindowAccumulator, WindowAccumulator } from '#domain/drift/window';

/** Every number in a value is finite (JSON would otherwise write null or fail). */
const allFinite = (value: unknown): boolean => {
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(allFinite);
  if (value !== null && typeof value === 'object') return Object.values(value).every(allFinite);
  return true;
};

/** Deterministic normal values (Box-Muller on xoshiro128**). */
const normals = (seed: number, n: number, mean = 0, sd = 1): number[] => {
  const random = new Xoshiro128(seed);
  return Array.from({ length: n }, () => {
    const u = 1 - random.nextDouble();
    const v = random.nextDouble();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  });
};

const baselineOf = (columns: Record<string, unknown[]>, options = {}): BaselineProfile => {
  const builder = new BaselineBuilder(options);
  const names = Object.keys(columns);
  const rows = columns[names[0]!]!.length;
  for (let i = 0; i < rows; i++) builder.addRecord(Object.fromEntries(names.map((n) => [n, columns[n]![i]])));
  return builder.finish();
};

const windowOf = (baseline: BaselineProfile, columns: Record<string, unknown[]>) => {
  const window = new WindowAccumulator(baseline);
  const names = Object.keys(columns);
  const rows = names.length > 0 ? columns[names[0]!]!.length : 0;
  for (let i = 0; i < rows; i++) window.addRecord(Object.fromEntries(names.map((n) => [n, columns[n]![i]])));
  return window.finish();
};

const figures = (overrides: Partial<FeatureFigures>): FeatureFigures => ({
  name: 'f',
  kind: 'numeric',
  rows: 100,
  missingShare: 0,
  psi: 0.01,
  jsDistance: 0.01,
  jsDistanceBase2: 0.012,
  ksStatistic: 0.05,
  ksPValue: 0.5,
  ...overrides,
});

describe('thresholds', () => {
  it('defaults to PSI 0.2, JS 0.1, KS p 0.05, chi-square p 0.05, no Bonferroni', () => {
    expect(resolveThresholds()).toEqual({
      psi: 0.2,
      jsDistance: 0.1,
      ksPValue: 0.05,
      chiSquarePValue: 0.05,
      bonferroni: false,
    });
  });

  it('rejects unknown keys and impossible levels', () => {
    expect(DriftThresholds.safeParse({ psi: -1 }).success).toBe(false);
    expect(DriftThresholds.safeParse({ ksPValue: 1.5 }).success).toBe(false);
    expect(DriftThresholds.safeParse({ kspvalue: 0.1 }).success).toBe(false);
  });

  it('marks a feature drifted by each statistic over its threshold', () => {
    const t = resolveThresholds();
    expect(judgeFeature(figures({}), t)).toMatchObject({ drifted: false, driftedBy: [] });
    expect(judgeFeature(figures({ psi: 0.2 }), t).driftedBy).toEqual(['psi']);
    expect(judgeFeature(figures({ jsDistance: 0.15 }), t).driftedBy).toEqual(['jsDistance']);
    expect(judgeFeature(figures({ ksPValue: 0.049 }), t).driftedBy).toEqual(['ksPValue']);
    expect(judgeFeature(figures({ ksPValue: 0.05 }), t).drifted).toBe(false);
    expect(judgeFeature(figures({ chiSquarePValue: 0.01 }), t).driftedBy).toEqual(['chiSquarePValue']);
    expect(judgeFeature(figures({ psi: 0.3 }), resolveThresholds({ psi: 0.5 })).drifted).toBe(false);
    expect(judgeFeature(figures({ wassersteinNorm: 0.4 }), t).drifted).toBe(false);
    expect(
      judgeFeature(figures({ wassersteinNorm: 0.4 }), resolveThresholds({ wassersteinNorm: 0.3 })).driftedBy,
    ).toEqual(['wassersteinNorm']);
    expect(
      judgeFeature(figures({ missingShare: 0.6 }), resolveThresholds({ missingShare: 0.5 })).driftedBy,
    ).toEqual(['missingShare']);
  });

  it('divides the p-value levels by the number of tests with the Bonferroni option', () => {
    const f = figures({ ksPValue: 0.02 });
    expect(judgeFeature(f, resolveThresholds(), 5).drifted).toBe(true);
    expect(judgeFeature(f, resolveThresholds({ bonferroni: true }), 5).drifted).toBe(false);
    expect(judgeFeature(f, resolveThresholds({ bonferroni: true }), 2).drifted).toBe(true);
  });

  it('changes drifted and driftedShare in a whole report', () => {
    // Three features with the same small shift: KS p about 0.02, PSI and JS far below threshold.
    const reference = normals(1, 3000);
    const current = normals(2, 3000, 0.08);
    const baseline = baselineOf({ a: reference, b: reference, c: reference });
    const window = windowOf(baseline, { a: current, b: current, c: current });
    const plain = driftReport(baseline, window);
    const corrected = driftReport(baseline, window, { bonferroni: true });
    const p = plain.features[0]!.ksPValue!;
    expect(p).toBeGreaterThan(0.05 / 3);
    expect(p).toBeLessThan(0.05);
    expect(plain.tests).toBe(3);
    expect(plain.driftedShare).toBe(1);
    expect(plain.features.every((f) => f.driftedBy.join() === 'ksPValue')).toBe(true);
    expect(corrected.driftedShare).toBe(0);
    expect(corrected.features.every((f) => !f.drifted)).toBe(true);
  });
});

describe('empty and all-missing windows', () => {
  const baseline = baselineOf(
    {
      x: normals(3, 500),
      colour: Array.from({ length: 500 }, (_, i) => ['red', 'blue'][i % 2]),
      score: normals(5, 500, 0.5, 0.1),
    },
    { prediction: 'score' },
  );

  it('an empty window gives a report that says so', () => {
    const report = driftReport(baseline, windowOf(baseline, {}));
    expect(report).toMatchObject({ rows: 0, empty: true, reason: 'the window has no rows', driftedShare: 0 });
    expect(report.features).toEqual([]);
    expect(allFinite(report)).toBe(true);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('an all-missing window gives a report that says so', () => {
    const window = windowOf(baseline, {
      x: [null, Number.NaN, '', '  '],
      colour: [null, undefined, '', null],
    });
    const report = driftReport(baseline, window);
    expect(report).toMatchObject({ rows: 4, empty: true, reason: 'every value is missing in the window' });
    expect(report.driftedShare).toBe(0);
    for (const feature of [...report.features, report.prediction!]) {
      expect(feature).toMatchObject({ missingShare: 1, psi: null, jsDistance: null, drifted: false });
      expect(feature.reason).toBe('every value is missing in the window');
      expect(feature.ksPValue).toBeUndefined();
    }
    expect(allFinite(report)).toBe(true);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('one all-missing feature is reported as such while the others are evaluated', () => {
    const window = windowOf(baseline, {
      x: normals(4, 300),
      colour: new Array(300).fill(null),
      score: normals(6, 300, 0.5, 0.1),
    });
    const report = driftReport(baseline, window);
    expect(report.empty).toBe(false);
    expect(report.featuresEvaluated).toBe(1);
    expect(report.features[1]).toMatchObject({
      name: 'colour',
      psi: null,
      reason: 'every value is missing in the window',
    });
    expect(report.features[0]!.psi).toBeTypeOf('number');
  });

  it('a feature without reference values is reported, not computed', () => {
    const empty = baselineOf({ x: [null, null, null] });
    const report = driftReport(empty, windowOf(empty, { x: [1, 2, 3] }));
    expect(report.features[0]).toMatchObject({
      psi: null,
      reason: 'the reference has no values for this feature',
    });
    expect(report.empty).toBe(true);
    expect(allFinite(report)).toBe(true);
  });
});

describe('categorical features', () => {
  it('unseen categories never produce an infinite statistic', () => {
    const baseline = baselineOf({ c: [...new Array(90).fill('a'), ...new Array(10).fill('b')] });
    const onlyUnseen = driftReport(baseline, windowOf(baseline, { c: ['x', 'y', 'y', 'z'] }));
    const entry = onlyUnseen.features[0]!;
    expect(entry.unseenCategories).toEqual(['y', 'x', 'z']);
    expect(entry.unseenShare).toBe(1);
    expect(entry.jsDistance).toBeCloseTo(Math.sqrt(Math.LN2), 15);
    expect(entry.jsDistanceBase2).toBeCloseTo(1, 15);
    expect(entry.chiSquareDof).toBe(4);
    expect(entry.drifted).toBe(true);
    expect(allFinite(onlyUnseen)).toBe(true);

    const single = baselineOf({ c: ['a', 'a', 'a'] });
    const report = driftReport(single, windowOf(single, { c: ['a', 'new', 'new'] }));
    expect(report.features[0]).toMatchObject({ chiSquareDof: 1, unseenCategories: ['new'] });
    expect(allFinite(report)).toBe(true);
  });

  it('one category on both sides is scipy degenerate case (statistic 0, p 1)', () => {
    const baseline = baselineOf({ c: ['a', 'a'] });
    const entry = driftReport(baseline, windowOf(baseline, { c: ['a'] })).features[0]!;
    expect(entry).toMatchObject({ chiSquare: 0, chiSquarePValue: 1, chiSquareDof: 0, psi: 0, jsDistance: 0 });
  });

  it('counts categories beyond the cap in one "other" bucket, still finite', () => {
    const builder = new BaselineBuilder({ maxCategories: 3 });
    for (const c of ['a', 'b', 'c', 'd', 'e', 'a']) builder.addRecord({ c });
    const baseline = builder.finish();
    const profile = baseline.features[0]!;
    expect(profile.kind === 'categorical' && [profile.categories.length, profile.other]).toEqual([3, 2]);
    const window = new WindowAccumulator(baseline, { maxCategories: 1 });
    for (const c of ['a', 'q', 'r', 's']) window.addRecord({ c });
    const summary = window.finish();
    expect(summary.features[0]).toMatchObject({ other: 2 });
    const entry = driftReport(baseline, summary).features[0]!;
    expect(entry.unseenCategories).toEqual(['q']);
    expect(allFinite(entry)).toBe(true);
  });
});

describe('type inference and reading values', () => {
  it('infers numeric from numbers and numeric strings, categorical otherwise', () => {
    const baseline = baselineOf({
      n: [1, '2.5', ' 3e1 ', null],
      s: [1, 'two', 3, 4],
      b: [true, false, true, null],
    });
    expect(baseline.features.map((f) => [f.name, f.kind])).toEqual([
      ['n', 'numeric'],
      ['s', 'categorical'],
      ['b', 'categorical'],
    ]);
    const n = baseline.features[0] as NumericProfile;
    expect([n.min, n.max, n.count, n.missing]).toEqual([1, 30, 3, 1]);
  });

  it('honours declared kinds; text in a declared numeric feature counts as missing', () => {
    const baseline = baselineOf(
      { zip: ['01234', '02139', '01234'], v: [1, 'n/a', 3] },
      { kinds: { zip: 'categorical', v: 'numeric' } },
    );
    const [zip, v] = baseline.features;
    expect(zip!.kind === 'categorical' && zip!.categories).toEqual([
      { value: '01234', count: 2 },
      { value: '02139', count: 1 },
    ]);
    expect(v).toMatchObject({ kind: 'numeric', count: 2, missing: 1 });
  });

  it('counts every category, in order and within the cap, of a feature numeric until its last value', () => {
    // Thousands of numeric texts (more than one kept chunk) before the first value that is not a number.
    const numbers = Array.from({ length: 9000 }, (_, i) => (i % 3 === 0 ? ` ${i % 7}.50` : i % 5));
    const builder = new FeatureProfileBuilder('x', { maxCategories: 6 });
    for (const value of [...numbers, 'n/a', 4, 'n/a']) builder.add(value);
    const counted = new FeatureProfileBuilder('x', { kind: 'categorical', maxCategories: 6 });
    for (const value of [...numbers, 'n/a', 4, 'n/a']) counted.add(value);

    const profile = builder.finish();

    expect(profile.kind).toBe('categorical');
    expect(profile).toEqual(counted.finish());
    expect(profile.kind === 'categorical' && profile.other).toBeGreaterThan(0);
  });

  it('counts the rows before a column first appears as missing', () => {
    const builder = new BaselineBuilder();
    builder.addRecord({ a: 1 });
    builder.addRecord({ a: 2, late: 5 });
    const [, late] = builder.finish().features;
    expect(late).toMatchObject({ name: 'late', rows: 2, missing: 1, count: 1 });
  });
});

describe('deterministic random numbers', () => {
  it('reproduces the generator scripts/drift-golden.py replicates', () => {
    const random = new Xoshiro128(0x5eed);
    expect([random.nextUint32(), random.nextUint32(), random.nextUint32(), random.nextUint32()]).toEqual([
      1940137148, 3905139606, 894994632, 215563343,
    ]);
    expect([random.nextDouble(), random.nextDouble()]).toEqual([0.2740617578244382, 0.28619690029392764]);
    expect([fnv1a32(''), fnv1a32('a'), sampleSeed(0x5eed, 'x', 'current')]).toEqual([
      2166136261, 3826002220, 2516810213,
    ]);
  });
});

describe('streaming accumulators agree with a batch computation', () => {
  /** The figures of a numeric feature computed over whole arrays, independently of the accumulators. */
  const batchNumeric = (reference: number[], current: (number | null)[]) => {
    const refSorted = Float64Array.from(reference).sort();
    const present = current.filter((v): v is number => v !== null);
    const curSorted = Float64Array.from(present).sort();
    const edges = decileEdges(refSorted);
    // Bin counts from positions in the sorted arrays rather than value-by-value binning.
    // Bin counts from positions in the sorted arrays (values < each edge), not value-by-value binning.
    const counts = (sorted: Float64Array) => {
      const below = (e: number) => {
        const i = sorted.findIndex((v) => v >= e);
        return i === -1 ? sorted.length : i;
      };
      const positions = [0, ...edges.map(below), sorted.length];
      return positions.slice(1).map((p, i) => p - positions[i]!);
    };
    // Every value: both sides are under the exact-KS size.
    const refSample = refSorted;
    const curSample = curSorted;
    const refBins = counts(refSorted);
    const curBins = counts(curSorted);
    const ks = ks2Samp(refSample, curSample);
    const min = refSorted[0]!;
    const max = refSorted[refSorted.length - 1]!;
    return {
      binCounts: curBins,
      psi: psi(refBins, curBins),
      jsDistance: jensenShannon(refBins, curBins),
      jsDistanceBase2: jensenShannon(refBins, curBins, 2),
      ksStatistic: ks.statistic,
      ksPValue: ks.pValue,
      wassersteinNorm: wasserstein(refSample, curSample) / meanAndStd(reference).std,
      missingShare: (current.length - present.length) / current.length,
      outOfRangeShare: present.filter((v) => v < min || v > max).length / present.length,
    };
  };

  it.each([
    ['small', 800, 600],
    ['above scipy exact p size', 12_000, 15_000],
  ])('numeric, %s', (_label, nRef, nCur) => {
    const reference = normals(11, nRef).map((v) => Math.round(v * 100) / 100);
    const current = normals(12, nCur, 0.2, 1.3).map((v, i) =>
      i % 37 === 0 ? null : Math.round(v * 100) / 100,
    );
    const builder = new FeatureProfileBuilder('x');
    for (const v of reference) builder.add(v);
    const profile = builder.finish() as NumericProfile;
    const window = new NumericWindowAccumulator(profile);
    for (const v of current) window.add(v);
    const summary = window.finish();
    const streamed = featureFigures(profile, summary);
    const batch = batchNumeric(reference, current);
    expect(summary.binCounts).toEqual(batch.binCounts);
    expect(streamed).toMatchObject({
      psi: batch.psi,
      jsDistance: batch.jsDistance,
      jsDistanceBase2: batch.jsDistanceBase2,
      ksStatistic: batch.ksStatistic,
      ksPValue: batch.ksPValue,
      wassersteinNorm: batch.wassersteinNorm,
      missingShare: batch.missingShare,
      outOfRangeShare: batch.outOfRangeShare,
    });
    expect(streamed.ksRegime).toBe('exact');
    expect(streamed.ksStatisticBound).toBe(0);
  });

  it('record streams and per-feature streams give the same report', () => {
    const reference = { a: normals(21, 2000), b: normals(22, 2000, 3) };
    const current = { a: normals(23, 1500, 0.1), b: normals(24, 1500, 3.2) };
    const baseline = baselineOf(reference);
    const byRecord = driftReport(baseline, windowOf(baseline, current));
    const byFeature = baseline.features.map((profile) => {
      const acc = new NumericWindowAccumulator(profile as NumericProfile);
      for (const v of current[profile.name as 'a' | 'b']) acc.add(v);
      return judgeFeature(featureFigures(profile, acc.finish()), resolveThresholds(), 2);
    });
    expect(byRecord.features).toEqual(byFeature);
  });
});

describe('reference bin counts', () => {
  it('count each value in the bin binIndex gives it, ties on the edges and -0 included', () => {
    const random = new Xoshiro128(11);
    const datasets = [
      Array.from({ length: 5000 }, () => Math.floor(random.nextDouble() * 4)),
      Array.from({ length: 5000 }, () => random.nextDouble() * 2 - 1),
      [...Array.from({ length: 50 }, () => 0), -0, -0, 1, 2, 2, 2],
      [7],
    ];
    for (const values of datasets) {
      const profile = numericProfile('x', Float64Array.from(values), values.length, 0);
      const expected = new Array<number>(10).fill(0);
      for (const x of values) expected[binIndex(profile.edges, x)]!++;
      expect(profile.binCounts).toEqual(expected);
    }
  });
});
