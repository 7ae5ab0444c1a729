import { describe, expect, it } from 'vitest';
import { CaptureFormatError } from '#domain/drift/capture';
import { classOf, LabelJoin, parseGroundTruthLine, rocAuc } from '#domain/drift/ground-truth';

/**
 * Expected figures are worked out by hand below (scikit-learn is not installed here); each
 * comment gives the counts they come from.
 */
const truthLine = (eventId: string, data: string, encoding = 'CSV', observedContentType?: string) =>
  JSON.stringify({
    groundTruthData: { data, encoding, ...(observedContentType ? { observedContentType } : {}) },
    eventMetadata: { eventId },
    eventVersion: '0',
  });

const join = (
  task: 'binary' | 'multiclass' | 'regression',
  labels: unknown[],
  predictions: unknown[],
  options = {},
) => {
  const j = new LabelJoin({ task, ...options });
  labels.forEach((label, i) => {
    j.addLabelLine(truthLine(`id-${i}`, String(label)));
  });
  predictions.forEach((prediction, i) => {
    j.addPrediction(`id-${i}`, prediction);
  });
  return j.result();
};

describe('SageMaker ground truth', () => {
  it('reads CSV, JSON and BASE64 labels, keyed by eventId', () => {
    expect(parseGroundTruthLine(truthLine('a', '1'))).toEqual({ eventId: 'a', labels: ['1'] });
    expect(parseGroundTruthLine(truthLine('b', '1\n0\n'))).toEqual({ eventId: 'b', labels: ['1', '0'] });
    expect(parseGroundTruthLine(truthLine('c', '"cat, big"'))).toEqual({
      eventId: 'c',
      labels: ['cat, big'],
    });
    expect(parseGroundTruthLine(truthLine('d', '0.5', 'JSON'))).toEqual({ eventId: 'd', labels: [0.5] });
    expect(parseGroundTruthLine(truthLine('e', '[1, 0]', 'JSON'))).toEqual({ eventId: 'e', labels: [1, 0] });
    expect(parseGroundTruthLine(truthLine('f', '{"label": "dog"}', 'JSON'))).toEqual({
      eventId: 'f',
      labels: ['dog'],
    });
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    expect(parseGroundTruthLine(truthLine('g', b64('2.5'), 'BASE64', 'text/csv'))).toEqual({
      eventId: 'g',
      labels: ['2.5'],
    });
    expect(parseGroundTruthLine(truthLine('h', b64('{"label": 1}'), 'BASE64', 'application/json'))).toEqual({
      eventId: 'h',
      labels: [1],
    });
  });

  it('refuses lines it cannot read', () => {
    expect(() => parseGroundTruthLine('{')).toThrow(CaptureFormatError);
    expect(() => parseGroundTruthLine('{"groundTruthData": {"data": "1"}}')).toThrow(/eventId/);
    expect(() => parseGroundTruthLine(truthLine('a', '1', 'XML'))).toThrow(/not CSV, JSON or BASE64/);
  });

  it('reads classes as numbers where they are numbers', () => {
    expect(classOf('1.0')).toBe('1');
    expect(classOf(1)).toBe('1');
    expect(classOf(' 1 ')).toBe('1');
    expect(classOf('cat')).toBe('cat');
    expect(classOf(true)).toBe('true');
    expect(classOf('')).toBeUndefined();
    expect(classOf(null)).toBeUndefined();
  });
});

describe('binary classification', () => {
  // labels 1 0 1 1 0 0 1 0, scores .9 .8 .7 .6 .55 .4 .3 .1; threshold .5:
  // predicted positive: the first five -> TP 3 (.9 .7 .6), FP 2 (.8 .55); then FN 1 (.3), TN 2.
  const labels = [1, 0, 1, 1, 0, 0, 1, 0];
  const scores = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.1];

  it('gives accuracy, F1 of the positive class and ROC AUC', () => {
    const figures = join('binary', labels, scores);
    expect(figures).toMatchObject({
      task: 'binary',
      rows: 8,
      joined: 8,
      invalid: 0,
      unmatchedPredictions: 0,
      unmatchedLabels: 0,
      average: 'binary',
      positiveLabel: '1',
      threshold: 0.5,
    });
    expect(figures.accuracy).toBe(5 / 8);
    // F1 = 2 TP / (2 TP + FP + FN) = 6 / 9
    expect(figures.f1).toBeCloseTo(6 / 9, 15);
    // pairs (positive above negative) of 4 x 4: .9 beats 4, .7 beats 3, .6 beats 3, .3 beats 1 = 11
    expect(figures.auc).toBe(11 / 16);
  });

  it('counts a tied pair as one half in ROC AUC, as roc_auc_score does', () => {
    // positives .5 .5, negatives .5 .2: each positive ties one negative and beats the other.
    expect(rocAuc([0.5, 0.5], [0.5, 0.2])).toBe(0.75);
    expect(rocAuc([1, 1, 0], [0, 0])).toBe(5 / 6);
    expect(rocAuc([0.3], [])).toBeUndefined();
  });

  it('takes hard 0/1 predictions as scores, and another positive label and threshold', () => {
    // labels yes no yes no, predictions 1 1 0 0: TP 1, FP 1, FN 1, TN 1.
    const figures = join('binary', ['yes', 'no', 'yes', 'no'], [1, 1, 0, 0], { positiveLabel: 'yes' });
    expect(figures.accuracy).toBe(0.5);
    expect(figures.f1).toBe(0.5);
    expect(figures.auc).toBe(0.5);
    const strict = join('binary', labels, scores, { threshold: 0.65 });
    // predicted positive: .9 .8 .7 -> TP 2, FP 1, FN 2, TN 3.
    expect(strict.accuracy).toBe(5 / 8);
    expect(strict.f1).toBe(4 / 7);
  });

  it('leaves AUC out, with a reason, when predictions are classes or a class is missing', () => {
    const classes = join('binary', ['a', 'b', 'a'], ['a', 'a', 'b'], { positiveLabel: 'a' });
    // TP 1, FP 1, FN 1, TN 0
    expect(classes.accuracy).toBe(1 / 3);
    expect(classes.f1).toBe(0.5);
    expect(classes.auc).toBeUndefined();
    expect(classes.reason).toMatch(/numeric scores/);
    const oneClass = join('binary', [1, 1], [0.9, 0.2]);
    expect(oneClass.auc).toBeUndefined();
    expect(oneClass.reason).toMatch(/both classes/);
    // no true and no predicted positive: F1 is 0 (scikit-learn's zero_division default)
    expect(join('binary', [0, 0], [0.1, 0.2]).f1).toBe(0);
  });
});

describe('multiclass classification', () => {
  it('gives accuracy and macro F1 over every class seen as a label or a prediction', () => {
    // true a b c a b c, predicted a c c a b b: a: TP 2 -> F1 1; b: TP 1, FP 1, FN 1 -> 1/2;
    // c: TP 1, FP 1, FN 1 -> 1/2; macro = 2/3; accuracy 4/6.
    const figures = join('multiclass', ['a', 'b', 'c', 'a', 'b', 'c'], ['a', 'c', 'c', 'a', 'b', 'b']);
    expect(figures.accuracy).toBe(4 / 6);
    expect(figures.f1).toBeCloseTo(2 / 3, 15);
    expect(figures.average).toBe('macro');
    expect(figures.auc).toBeUndefined();
  });

  it('counts a class that is only predicted, with F1 0', () => {
    // true a a, predicted a b: a: TP 1, FN 1 -> 2/3; b: FP 1 -> 0; macro 1/3.
    const figures = join('multiclass', ['a', 'a'], ['a', 'b']);
    expect(figures.f1).toBeCloseTo(1 / 3, 15);
    expect(figures.accuracy).toBe(0.5);
  });

  it('reads 1, 1.0 and "1" as the same class', () => {
    expect(join('multiclass', ['1', '2.0'], [1, 2]).accuracy).toBe(1);
  });
});

describe('regression', () => {
  it('gives RMSE and MAE', () => {
    // errors -0.5 0.5 0 1: squares .25 .25 0 1 -> MSE .375; absolute 2 / 4 = .5
    const figures = join('regression', [3, -0.5, 2, 7], [2.5, 0.0, 2, 8]);
    expect(figures.rmse).toBeCloseTo(Math.sqrt(0.375), 15);
    expect(figures.mae).toBe(0.5);
    expect(figures.rows).toBe(4);
  });

  it('leaves unreadable values out as invalid rows', () => {
    const figures = join('regression', [1, 2, 'n/a'], [1.5, 'oops', 3]);
    expect(figures).toMatchObject({ joined: 3, invalid: 2, rows: 1, rmse: 0.5, mae: 0.5 });
  });
});

describe('the join', () => {
  it('counts unmatched predictions and labels, and uses a label once', () => {
    const j = new LabelJoin({ task: 'binary' });
    j.addLabelLine(truthLine('a', '1'));
    j.addLabelLine(truthLine('b', '0'));
    j.addLabelLine(truthLine('c', '1'));
    expect(j.addRecord({ features: {}, prediction: 0.8, inferenceId: 'a' })).toBe(true);
    expect(j.addRecord({ features: {}, prediction: 0.8, inferenceId: 'a' })).toBe(false);
    expect(j.addRecord({ features: {}, prediction: 0.3, inferenceId: 'b' })).toBe(true);
    expect(j.addRecord({ features: {}, prediction: 0.3, inferenceId: 'zzz' })).toBe(false);
    expect(j.addRecord({ features: {}, prediction: 0.3 })).toBe(false);
    expect(j.result()).toMatchObject({
      joined: 2,
      rows: 2,
      unmatchedPredictions: 3,
      unmatchedLabels: 1,
      accuracy: 1,
      auc: 1,
    });
  });

  it('lets a later label replace an earlier one for the same id', () => {
    const j = new LabelJoin({ task: 'binary' });
    j.addLabel('a', '0');
    j.addLabel('a', '1');
    j.addPrediction('a', 0.9);
    expect(j.result()).toMatchObject({ joined: 1, accuracy: 1, unmatchedLabels: 0 });
  });

  it('joins the records of a batch by their index', () => {
    const j = new LabelJoin({ task: 'multiclass' });
    j.addLabelLine(truthLine('batch', 'x\ny\nz'));
    j.addRecord({ features: {}, prediction: 'x', inferenceId: 'batch', index: 0 });
    j.addRecord({ features: {}, prediction: 'q', inferenceId: 'batch', index: 2 });
    j.addRecord({ features: {}, prediction: 'q', inferenceId: 'batch', index: 5 });
    expect(j.result()).toMatchObject({
      joined: 2,
      unmatchedPredictions: 1,
      unmatchedLabels: 1,
      accuracy: 0.5,
    });
  });

  it('bounds the labels waiting for their predictions', () => {
    const j = new LabelJoin({ task: 'binary', maxLabels: 2 });
    j.addLabel('a', 1);
    j.addLabel('b', 0);
    j.addLabel('b', 1);
    expect(() => j.addLabel('c', 1)).toThrow(/more than 2 labels/);
  });

  it('says why there are no figures when nothing joined', () => {
    expect(new LabelJoin({ task: 'regression' }).result()).toMatchObject({
      rows: 0,
      reason: 'no prediction joined a label',
    });
  });
});
