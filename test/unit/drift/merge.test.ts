import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CaptureRecord } from '#domain/drift/capture';
import { ExactSum } from '#domain/drift/exact-sum';
import { LabelJoin, mergePredictionLogs, PredictionLog } from '#domain/drift/ground-truth';
import { ks2Samp } from '#domain/drift/ks';
import { BaselineBuilder, type BaselineProfile } from '#domain/drift/profile';
import { QuantileSketch, type SketchState, sortsFirst, weightedOf } from '#domain/drift/quantile-sketch';
import { Xoshiro128 } from '#domain/drift/random';
import { driftReport } from '#domain/drift/report';
import { decodeWindowSummary, encodeWindowSummary } from '#domain/drift/values-codec';
import { ValuesAccumulator } from '#domain/drift/values-summary';
import {
  mergeWindowSummaries,
  WindowAccumulator,
  type WindowOptions,
  type WindowSummary,
} from '#domain/drift/window';

/**
 * The merge property: summarising shards of a window apart and merging the summaries (in read
 * order) gives the summary, and so the report, of the whole window summarised in one pass.
 */
type Row = Record<string, unknown>;

const numeric = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  { weight: 3, arbitrary: fc.integer({ min: -3, max: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, '', 'n/a', '2.5', Number.NaN) },
);
const category = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'c') },
  { weight: 2, arbitrary: fc.string({ maxLength: 2 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, 7) },
);
const row: fc.Arbitrary<Row> = fc.record({ x: numeric, y: numeric, colour: category, score: numeric });

const baselineOf = (
  rows: Row[],
  options: { ksExactMax?: number; maxCategories?: number } = {},
): BaselineProfile => {
  const builder = new BaselineBuilder({
    features: ['x', 'y', 'colour'],
    kinds: { x: 'numeric', y: 'numeric', colour: 'categorical' },
    prediction: 'score',
    ...options,
  });
  for (const r of rows) builder.addRecord(r);
  return builder.finish();
};

const summarise = (baseline: BaselineProfile, rows: Row[], options: WindowOptions = {}): WindowSummary => {
  const window = new WindowAccumulator(baseline, options);
  for (const r of rows) window.addRecord(r);
  return window.finish();
};

/** Cuts rows into consecutive shards at the given (sorted, clamped) points. */
const shards = (rows: Row[], cuts: number[]): Row[][] => {
  const points = [...new Set(cuts.map((c) => Math.min(c, rows.length)))].sort((a, b) => a - b);
  const out: Row[][] = [];
  let start = 0;
  for (const p of points) {
    out.push(rows.slice(start, p));
    start = p;
  }
  out.push(rows.slice(start));
  return out;
};

const mergedSummary = (
  baseline: BaselineProfile,
  parts: Row[][],
  options: WindowOptions = {},
): WindowSummary =>
  parts
    .map((part) => summarise(baseline, part, options))
    .reduce((a, b) => mergeWindowSummaries(a, b, { ...options, exactMax: baseline.ksExactMax! }));

const referenceRows = fc.array(row, { minLength: 1, maxLength: 60 });
const windowRows = fc.array(row, { maxLength: 120 });
const cuts = fc.array(fc.nat({ max: 120 }), { maxLength: 4 });

describe('window summaries merge exactly', () => {
  it('two or more shards merged equal the whole window, summary and report', () => {
    fc.assert(
      fc.property(referenceRows, windowRows, cuts, (reference, rows, at) => {
        const baseline = baselineOf(reference);
        const whole = summarise(baseline, rows);
        const merged = mergedSummary(baseline, shards(rows, at));
        expect(merged).toEqual(whole);
        expect(driftReport(baseline, merged)).toEqual(driftReport(baseline, whole));
      }),
      { numRuns: 150 },
    );
  });

  it('order -0 before 0 across shards, as one pass sorts them', () => {
    // Found by the property above (seed -1886341506): a shard's 0 went before the next one's -0.
    const reference = [{ x: 0, y: 0, colour: 'a', score: 0 }];
    const rows = [
      { x: 0, y: 0, colour: 'a', score: 0 },
      { x: -0, y: 0, colour: 'a', score: 0 },
    ];
    const baseline = baselineOf(reference);
    const merged = mergedSummary(baseline, shards(rows, [1]));
    expect(merged).toEqual(summarise(baseline, rows));
    const values = merged.features[0]!.kind === 'numeric' ? merged.features[0]!.values : undefined;
    expect(values?.kind === 'exact' && [...values.values].map((v) => Object.is(v, -0))).toEqual([
      true,
      false,
    ]);
  });

  it('compare two values as a typed array sorts them, -0 before 0 and infinities included', () => {
    const special = fc.constantFrom(0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1, -1);
    const value = fc.oneof(special, fc.double({ noNaN: true }));
    fc.assert(
      fc.property(value, value, (x, y) => {
        const sorted = new Float64Array([x, y]).sort();
        // x goes first (or with y) exactly when sorting [x, y] leaves x first.
        expect(sortsFirst(x, y)).toBe(Object.is(sorted[0], x) && (Object.is(sorted[1], y) || x === y));
      }),
      { numRuns: 2000 },
    );
    expect([sortsFirst(-0, 0), sortsFirst(0, -0), sortsFirst(0, 0), sortsFirst(-0, -0)]).toEqual([
      true,
      false,
      true,
      true,
    ]);
  });

  it('survive the JSON form partial summaries take in S3', () => {
    fc.assert(
      fc.property(referenceRows, windowRows, (reference, rows) => {
        const baseline = baselineOf(reference);
        const summary = summarise(baseline, rows);
        const roundTrip = decodeWindowSummary(JSON.parse(JSON.stringify(encodeWindowSummary(summary))));
        expect(roundTrip).toEqual(summary);
      }),
      { numRuns: 50 },
    );
  });

  it('keep the unseen-category cap as one pass would, while no shard overflows it', () => {
    fc.assert(
      fc.property(referenceRows, windowRows, fc.nat({ max: 120 }), (reference, rows, cut) => {
        const baseline = baselineOf(reference);
        const options = { maxCategories: 3 };
        const whole = summarise(baseline, rows, options);
        const parts = shards(rows, [cut]);
        const pieces = parts.map((p) => summarise(baseline, p, options));
        fc.pre(pieces.every((p) => p.features[2]!.kind === 'categorical' && p.features[2]!.other === 0));
        const merged = mergeWindowSummaries(pieces[0]!, pieces[1]!, options);
        expect(merged.features[2]).toEqual(whole.features[2]);
      }),
      { numRuns: 150 },
    );
  });

  it('past the exact size: counts exact, KS within its stated bound of scipy on every value', () => {
    fc.assert(
      fc.property(referenceRows, windowRows, cuts, (reference, rows, at) => {
        const baseline = baselineOf(reference, { ksExactMax: 8 });
        const options = { sketchK: 4 };
        const whole = summarise(baseline, rows, options);
        const merged = mergedSummary(baseline, shards(rows, at), options);
        const strip = (s: WindowSummary) => ({
          ...s,
          features: s.features.map((f) => (f.kind === 'numeric' ? { ...f, values: undefined } : f)),
          prediction:
            s.prediction?.kind === 'numeric' ? { ...s.prediction, values: undefined } : s.prediction,
        });
        expect(strip(merged)).toEqual(strip(whole));
        const report = driftReport(baseline, merged);
        for (const name of ['x', 'y']) {
          const entry = report.features.find((f) => f.name === name);
          if (entry?.ksStatistic === undefined) continue;
          const values = (source: Row[]) =>
            Float64Array.from(
              source
                .map((r) => r[name])
                .flatMap((v) => {
                  if (v === null || v === '' || v === 'n/a' || Number.isNaN(v)) return [];
                  return [Number(v)];
                }),
            ).sort();
          const exact = ks2Samp(values(reference), values(rows)).statistic;
          expect(Math.abs(entry.ksStatistic - exact)).toBeLessThanOrEqual(entry.ksStatisticBound! + 1e-12);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('a feature accumulates its values', () => {
  it('exactly up to exactMax, past it as a sketch fed the values one by one in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { maxLength: 300 }),
        fc.integer({ min: 0, max: 120 }),
        fc.constantFrom(2, 4, 16, 64),
        (xs, exactMax, sketchK) => {
          const accumulator = new ValuesAccumulator({ exactMax, sketchK });
          for (const x of xs) accumulator.add(x);
          const summary = accumulator.finish();
          if (xs.length <= exactMax) {
            expect(summary).toEqual({ kind: 'exact', values: Float64Array.from(xs).sort() });
            return;
          }
          const oracle = new QuantileSketch(sketchK);
          for (const x of xs) oracle.add(x);
          expect(summary).toEqual({ kind: 'sketch', sketch: oracle.state() });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the parts of a summary merge exactly', () => {
  it('exact sums: any split, any order, the same canonical expansion and value', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 })),
        fc.nat(),
        (xs, cut) => {
          const whole = new ExactSum();
          for (const x of xs) whole.add(x);
          const k = xs.length === 0 ? 0 : cut % xs.length;
          const a = new ExactSum();
          const b = new ExactSum();
          for (const x of xs.slice(0, k)) a.add(x);
          for (const x of xs.slice(k).reverse()) b.add(x);
          b.merge(a);
          expect(b.canonical()).toEqual(whole.canonical());
          expect(b.value()).toBe(whole.value());
        },
      ),
    );
  });

  it('quantile sketches: merged or not, the CDF is within the tracked bound everywhere', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 400 }),
        fc.nat(),
        fc.constantFrom(2, 4, 8, 16),
        (xs, cut, k) => {
          const k1 = xs.length === 0 ? 0 : cut % xs.length;
          const a = new QuantileSketch(k);
          const b = new QuantileSketch(k);
          for (const x of xs.slice(0, k1)) a.add(x);
          for (const x of xs.slice(k1)) b.add(x);
          a.merge(b);
          const { values, weights, n, rankError } = a.weighted();
          expect(n).toBe(xs.length);
          expect(weights.reduce((s, w) => s + w, 0)).toBe(xs.length);
          for (let y = -51; y <= 51; y++) {
            let estimate = 0;
            for (let i = 0; i < values.length; i++) if (values[i]! <= y) estimate += weights[i]!;
            const truth = xs.filter((x) => x <= y).length;
            expect(Math.abs(estimate - truth)).toBeLessThanOrEqual(rankError * n + 1e-9);
          }
        },
      ),
    );
  });

  it('quantile sketches: a merge keeps the same items whether the levels come sorted or not', () => {
    // Sorted levels merge as two runs, others are sorted first: what a compaction keeps is the same.
    // Levels above 0 shuffled (level 0 keeps its order: which of its items wait for the next
    // compaction depends on it, sorted levels or not).
    const shuffled = (state: SketchState, seed: number): SketchState => {
      const random = new Xoshiro128(seed);
      const levels = state.levels.map((level, h) => {
        const copy = Float64Array.from(level);
        if (h === 0) return copy;
        for (let i = copy.length - 1; i > 0; i--) {
          const j = Math.floor(random.nextDouble() * (i + 1));
          [copy[i], copy[j]] = [copy[j]!, copy[i]!];
        }
        return copy;
      });
      return { ...state, levels };
    };
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -30, max: 30 }), fc.constantFrom(0, -0, 0.5)), {
          maxLength: 600,
        }),
        fc.array(fc.oneof(fc.integer({ min: -30, max: 30 }), fc.constantFrom(0, -0, 0.5)), {
          maxLength: 600,
        }),
        fc.constantFrom(2, 4, 8),
        fc.nat(),
        (xs, ys, k, seed) => {
          const one = (values: number[]) => {
            const sketch = new QuantileSketch(k);
            for (const x of values) sketch.add(x);
            return sketch.state();
          };
          const [a, b] = [one(xs), one(ys)];
          const sorted = QuantileSketch.from(a);
          sorted.merge(b);
          const unsorted = QuantileSketch.from(shuffled(a, seed));
          unsorted.merge(shuffled(b, seed + 1));
          const canonical = (state: SketchState) => ({
            ...state,
            levels: state.levels.map((level) =>
              [...Float64Array.from(level).sort()].map((v) => (Object.is(v, -0) ? '-0' : v)),
            ),
          });
          expect(canonical(sorted.state())).toEqual(canonical(unsorted.state()));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('quantile sketches: the weighted items are every level in one ascending order, lower levels first among equals', () => {
    // The oracle: each level sorted as a typed array sorts it, the levels laid end to end, a stable
    // sort by value (0 and -0 equal), then equal values as one item that keeps the first one.
    const oracle = (state: SketchState) => {
      const items = state.levels.flatMap((level, h) =>
        [...Float64Array.from(level).sort()].map((value) => ({ value, weight: 2 ** h })),
      );
      items.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
      const values: number[] = [];
      const weights: number[] = [];
      for (const { value, weight } of items)
        if (values.length > 0 && values[values.length - 1] === value) weights[weights.length - 1]! += weight;
        else {
          values.push(value);
          weights.push(weight);
        }
      return { values, weights };
    };
    const signed = (values: ArrayLike<number>) => Array.from(values, (v) => (Object.is(v, -0) ? '-0' : v));
    const value = fc.oneof(fc.integer({ min: -20, max: 20 }), fc.constantFrom(0, -0, 0.5, -1e300));
    fc.assert(
      fc.property(
        fc.array(fc.array(value, { maxLength: 70 }), { maxLength: 11 }),
        fc.boolean(),
        (levels, sortAbove) => {
          const state: SketchState = {
            k: 64,
            n: levels.reduce((n, level, h) => n + level.length * 2 ** h, 0),
            errorWeight: 3,
            levels: levels.map((level, h) =>
              sortAbove && h > 0 ? Float64Array.from(level).sort() : Float64Array.from(level),
            ),
            parity: levels.map(() => 0),
            min: 0,
            max: 0,
          };
          const got = weightedOf(state);
          const want = oracle(state);
          expect(signed(got.values)).toEqual(signed(want.values));
          expect(Array.from(got.weights)).toEqual(want.weights);
          expect(got.n).toBe(state.n);
          expect(got.rankError).toBe(state.n > 0 ? 3 / state.n : 0);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('ground-truth joins: the merged prediction log joins as one pass does', () => {
    const id = fc.constantFrom('e1', 'e2', 'e3', 'e4', 'e5');
    const record = fc.record({
      inferenceId: fc.option(id, { nil: undefined }),
      index: fc.constantFrom(0, 0, 1),
      prediction: fc.oneof(fc.constantFrom(0, 1, '1', null), fc.double({ min: 0, max: 1, noNaN: true })),
    });
    const labels = fc.dictionary(
      id,
      fc.oneof(fc.constantFrom(0, 1), fc.array(fc.constantFrom(0, 1), { minLength: 2, maxLength: 2 })),
    );
    fc.assert(
      fc.property(labels, fc.array(record, { maxLength: 40 }), fc.nat({ max: 40 }), (truth, records, cut) => {
        const join = () => {
          const j = new LabelJoin({ task: 'binary' });
          for (const [key, label] of Object.entries(truth)) j.addLabel(key, label);
          return j;
        };
        const asRecord = (r: (typeof records)[number]): CaptureRecord => ({
          features: {},
          prediction: r.prediction,
          ...(r.inferenceId !== undefined ? { inferenceId: r.inferenceId } : {}),
          index: r.index,
        });
        const onePass = join();
        for (const r of records) onePass.addRecord(asRecord(r));
        const logOf = (part: typeof records) => {
          const log = new PredictionLog();
          for (const r of part) log.addRecord(asRecord(r));
          return log.finish();
        };
        const merged = mergePredictionLogs(logOf(records.slice(0, cut)), logOf(records.slice(cut)));
        const replayed = join();
        replayed.addLog(merged);
        expect(replayed.result()).toEqual(onePass.result());
      }),
      { numRuns: 200 },
    );
  });
});
