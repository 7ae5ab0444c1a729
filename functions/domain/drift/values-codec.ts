import { decodeDoubles, encodeDoubles } from './quantile-sketch.ts';
import type { ValuesSummary } from './values-summary.ts';
import type { FeatureWindowSummary, WindowSummary } from './window.ts';

/**
 * JSON forms of the summaries that hold doubles in typed arrays (baseline profiles and partial
 * window summaries in S3): each array as base64 of its little-endian bytes, exact to the bit.
 */
export type EncodedValues =
  | { kind: 'exact'; count: number; values: string }
  | {
      kind: 'sketch';
      k: number;
      n: number;
      errorWeight: number;
      parity: number[];
      min: number;
      max: number;
      levels: string[];
    };

export const encodeValues = (summary: ValuesSummary): EncodedValues => {
  if (summary.kind === 'exact')
    return { kind: 'exact', count: summary.values.length, values: encodeDoubles(summary.values) };
  const { k, n, errorWeight, parity, min, max, levels } = summary.sketch;
  return {
    kind: 'sketch',
    k,
    n,
    errorWeight,
    parity: [...parity],
    min,
    max,
    levels: levels.map((level) => encodeDoubles(level)),
  };
};

export const decodeValues = (encoded: EncodedValues): ValuesSummary => {
  if (encoded.kind === 'exact') return { kind: 'exact', values: decodeDoubles(encoded.values) };
  const { k, n, errorWeight, parity, min, max, levels } = encoded;
  return {
    kind: 'sketch',
    sketch: { k, n, errorWeight, parity, min, max, levels: levels.map(decodeDoubles) },
  };
};

type EncodedFeature =
  | (Omit<Extract<FeatureWindowSummary, { kind: 'numeric' }>, 'values'> & { values: EncodedValues })
  | Extract<FeatureWindowSummary, { kind: 'categorical' }>;

export interface EncodedWindowSummary {
  rows: number;
  features: EncodedFeature[];
  prediction?: EncodedFeature;
}

const encodeFeature = (feature: FeatureWindowSummary): EncodedFeature =>
  feature.kind === 'numeric' ? { ...feature, values: encodeValues(feature.values) } : feature;

const decodeFeature = (feature: EncodedFeature): FeatureWindowSummary =>
  feature.kind === 'numeric' ? { ...feature, values: decodeValues(feature.values) } : feature;

export const encodeWindowSummary = (summary: WindowSummary): EncodedWindowSummary => ({
  rows: summary.rows,
  features: summary.features.map(encodeFeature),
  ...(summary.prediction ? { prediction: encodeFeature(summary.prediction) } : {}),
});

export const decodeWindowSummary = (encoded: EncodedWindowSummary): WindowSummary => ({
  rows: encoded.rows,
  features: encoded.features.map(decodeFeature),
  ...(encoded.prediction ? { prediction: decodeFeature(encoded.prediction) } : {}),
});
