import { CaptureFormatError, type CaptureRecord, parseCsv } from './capture.ts';
import { DoubleBuffer } from './doubles.ts';
import { sum } from './stats.ts';
import { categoryKey, isMissing, toNumber } from './values.ts';

/**
 * Ground truth that arrives after the inferences, joined to the captured predictions, and the
 * model's performance on the joined rows.
 *
 * Labels come as SageMaker ground-truth JSON Lines, one label a line:
 * `{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "..."},
 * "eventVersion": "0"}`. As in SageMaker Model Monitor, `eventId` is the `inferenceId` the caller
 * gave the captured inference (or, when it gave none, the capture's `eventId`: the reader's
 * `CaptureRecord.inferenceId` is exactly that key). `data` is CSV (one label a row: a batch of
 * several records has one row per record), JSON (a scalar, an array, or `{"label": ...}`) or
 * BASE64 of either (JSON when `observedContentType` contains `json`).
 *
 * Join: load the window's labels first (`addLabel`, `addLabelLine`; a later label for the same
 * id replaces the earlier one), then stream the predictions (`addRecord`, `addPrediction`). A
 * label is used once: the entry is dropped when it joins, so a second prediction with the same id
 * counts as unmatched, and what is left at the end are the unmatched labels. Memory: one entry per
 * waiting label (at most `maxLabels`), plus 8 bytes per joined row for ROC AUC.
 *
 * Label and prediction values (values.ts rules): a class is the number's text when the value
 * reads as a number (`1`, `1.0` and `"1"` are class `1`), otherwise the category key; a missing
 * label or prediction makes the joined row `invalid` (counted, left out of the figures).
 *
 * Figures, as scikit-learn computes them:
 * - `binary`: a prediction that reads as a number is a score, predicted positive when
 *   score >= `threshold` (0.5): hard 0/1 predictions work the same way; any other prediction is a
 *   class, positive when it equals `positiveLabel`. A label is positive when it equals
 *   `positiveLabel` (default `1`), negative otherwise. accuracy; F1 of the positive class
 *   (`f1_score(average='binary')`, 0 when there is no true or predicted positive); ROC AUC from
 *   the scores (`roc_auc_score`): the Mann-Whitney U / (P x N), a tied pair counting 1/2, left out
 *   (with a reason) when a class is absent or a prediction is not a score;
 * - `multiclass`: accuracy; macro F1 (`f1_score(average='macro')`): the unweighted mean of the
 *   per-class F1 over every class seen as a label or a prediction (a class's F1 is 0 when it is
 *   never predicted right); no AUC;
 * - `regression`: RMSE (`root_mean_squared_error`) and MAE (`mean_absolute_error`); values that do
 *   not read as numbers are invalid.
 */
export type Task = 'binary' | 'multiclass' | 'regression';

export interface GroundTruth {
  eventId: string;
  /** one label per record of the captured inference (one, unless it was a batch) */
  labels: unknown[];
}

export interface LabelJoinOptions {
  task: Task;
  /** binary: the positive class (default `1`) */
  positiveLabel?: unknown;
  /** binary: scores >= threshold are predicted positive (default 0.5) */
  threshold?: number;
  /** labels waiting for their prediction, at most (default 2,000,000) */
  maxLabels?: number;
  /** multiclass: distinct classes, at most (default 10,000) */
  maxClasses?: number;
}

export interface PerformanceFigures {
  task: Task;
  /** joined rows with a readable label and prediction: the rows the figures are computed on */
  rows: number;
  /** predictions joined to a label */
  joined: number;
  /** joined rows left out because the label or the prediction is missing or unreadable */
  invalid: number;
  /** predictions without an id or whose id has no (remaining) label */
  unmatchedPredictions: number;
  /** labels no prediction joined */
  unmatchedLabels: number;
  accuracy?: number;
  f1?: number;
  average?: 'binary' | 'macro';
  positiveLabel?: string;
  threshold?: number;
  auc?: number;
  rmse?: number;
  mae?: number;
  /** why some figure is left out */
  reason?: string;
}

export const DEFAULT_MAX_LABELS = 2_000_000;
export const DEFAULT_MAX_CLASSES = 10_000;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The class of a label or prediction: numbers by their shortest text, others by category key. */
export const classOf = (value: unknown): string | undefined => {
  if (isMissing(value)) return undefined;
  const n = toNumber(value);
  return n === undefined ? categoryKey(value) : String(n);
};

const jsonLabels = (value: unknown): unknown[] => {
  if (Array.isArray(value)) return value;
  if (isObject(value) && 'label' in value) return [value.label];
  return [value];
};

/** The labels of a `groundTruthData` object. */
const labelsOf = (data: unknown): unknown[] => {
  if (!isObject(data)) throw new CaptureFormatError('groundTruthData is not an object');
  const encoding = typeof data.encoding === 'string' ? data.encoding.toUpperCase() : 'CSV';
  const contentType = typeof data.observedContentType === 'string' ? data.observedContentType : '';
  let text: string;
  let json: boolean;
  if (encoding === 'BASE64') {
    if (typeof data.data !== 'string') throw new CaptureFormatError('groundTruthData.data is not a string');
    text = Buffer.from(data.data, 'base64').toString('utf8');
    json = contentType.toLowerCase().includes('json');
  } else if (encoding === 'JSON') {
    if (typeof data.data !== 'string') return jsonLabels(data.data);
    text = data.data;
    json = true;
  } else if (encoding === 'CSV') {
    if (typeof data.data !== 'string') throw new CaptureFormatError('groundTruthData.data is not a string');
    text = data.data;
    json = false;
  } else
    throw new CaptureFormatError(
      `groundTruthData.encoding ${JSON.stringify(data.encoding)} is not CSV, JSON or BASE64`,
    );
  if (json) {
    try {
      return jsonLabels(JSON.parse(text));
    } catch (error) {
      throw new CaptureFormatError(`groundTruthData.data is not valid JSON: ${(error as Error).message}`);
    }
  }
  return parseCsv(text).map((row) => row[0]);
};

/** One parsed ground-truth event. */
export const groundTruthOf = (event: unknown): GroundTruth => {
  if (!isObject(event)) throw new CaptureFormatError('the line is not a JSON object');
  const meta = event.eventMetadata;
  const id = isObject(meta) ? meta.eventId : undefined;
  if (typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id)))
    throw new CaptureFormatError('the line has no eventMetadata.eventId');
  return { eventId: String(id), labels: labelsOf(event.groundTruthData) };
};

/** One SageMaker ground-truth line. */
export const parseGroundTruthLine = (line: string): GroundTruth => {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch (error) {
    throw new CaptureFormatError(`the line is not valid JSON: ${(error as Error).message}`);
  }
  return groundTruthOf(event);
};

/**
 * ROC AUC of scores of the positive and of the negative rows: the share of (positive, negative)
 * pairs ranked right, a tie counting 1/2 (equal to scikit-learn's `roc_auc_score`, which
 * integrates the ROC curve by trapezoids). Undefined when either side is empty.
 */
export const rocAuc = (positives: ArrayLike<number>, negatives: ArrayLike<number>): number | undefined => {
  const p = Float64Array.from(positives).sort();
  const n = Float64Array.from(negatives).sort();
  if (p.length === 0 || n.length === 0) return undefined;
  return aucOfSorted(p, n);
};

const aucOfSorted = (p: Float64Array, n: Float64Array): number => {
  // For each positive score s: negatives below s count 1, equal to s count 1/2 (integers: 2U).
  let below = 0;
  let upTo = 0;
  let twiceU = 0;
  for (let i = 0; i < p.length; i++) {
    const s = p[i]!;
    while (below < n.length && n[below]! < s) below++;
    if (upTo < below) upTo = below;
    while (upTo < n.length && n[upTo]! <= s) upTo++;
    twiceU += below + upTo;
  }
  return twiceU / 2 / (p.length * n.length);
};

class LabelBatch {
  remaining: number;
  constructor(readonly values: (string | number | undefined | null)[]) {
    this.remaining = values.length;
  }
}

type Stored = string | number | undefined | LabelBatch;

/** Joins labels and predictions by inference id and computes the performance figures. */
export class LabelJoin {
  private readonly task: Task;
  private readonly positive: string;
  private readonly threshold: number;
  private readonly maxLabels: number;
  private readonly maxClasses: number;
  private readonly labels = new Map<string, Stored>();
  private joined = 0;
  private invalid = 0;
  private unmatched = 0;
  // binary
  private tp = 0;
  private fp = 0;
  private fn = 0;
  private tn = 0;
  private readonly positiveScores = new DoubleBuffer();
  private readonly negativeScores = new DoubleBuffer();
  private unscored = 0;
  // multiclass: per class [true positives, false positives, false negatives]
  private readonly classes = new Map<string, [number, number, number]>();
  private correct = 0;
  private tooManyClasses = false;
  // regression
  private readonly squared = new DoubleBuffer();
  private readonly absolute = new DoubleBuffer();

  constructor(options: LabelJoinOptions) {
    this.task = options.task;
    this.positive = classOf(options.positiveLabel ?? '1') ?? '1';
    this.threshold = options.threshold ?? 0.5;
    this.maxLabels = options.maxLabels ?? DEFAULT_MAX_LABELS;
    this.maxClasses = options.maxClasses ?? DEFAULT_MAX_CLASSES;
  }

  /** A label as stored: a class (classification) or a number (regression); undefined: unreadable. */
  private normalise(label: unknown): string | number | undefined {
    if (this.task === 'regression') return toNumber(label);
    return classOf(label);
  }

  /** The label (or, for a batch, the labels in record order) of an inference id. */
  addLabel(id: string, label: unknown | unknown[]): void {
    if (!this.labels.has(id) && this.labels.size >= this.maxLabels)
      throw new RangeError(`more than ${this.maxLabels} labels are waiting for their predictions`);
    if (Array.isArray(label)) {
      if (label.length === 1) this.labels.set(id, this.normalise(label[0]));
      else this.labels.set(id, new LabelBatch(label.map((value) => this.normalise(value))));
    } else this.labels.set(id, this.normalise(label));
  }

  addGroundTruth(truth: GroundTruth): void {
    this.addLabel(truth.eventId, truth.labels);
  }

  /** One SageMaker ground-truth line. */
  addLabelLine(line: string): void {
    this.addGroundTruth(parseGroundTruthLine(line));
  }

  /** A captured record: joined on its inferenceId (and its index in a batch). */
  addRecord(record: CaptureRecord): boolean {
    return this.addPrediction(record.inferenceId, record.prediction, record.index ?? 0);
  }

  /** A prediction; true when it joined a label. */
  addPrediction(id: string | undefined, prediction: unknown, index = 0): boolean {
    if (id === undefined) {
      this.unmatched++;
      return false;
    }
    const stored = this.labels.get(id);
    if (stored === undefined && !this.labels.has(id)) {
      this.unmatched++;
      return false;
    }
    let label: string | number | undefined | null;
    if (stored instanceof LabelBatch) {
      label = stored.values[index];
      if (label === null || index >= stored.values.length) {
        this.unmatched++;
        return false;
      }
      stored.values[index] = null;
      if (--stored.remaining === 0) this.labels.delete(id);
    } else {
      if (index !== 0) {
        this.unmatched++;
        return false;
      }
      label = stored;
      this.labels.delete(id);
    }
    this.joined++;
    if (label === undefined) this.invalid++;
    else this.score(label, prediction);
    return true;
  }

  private score(label: string | number, prediction: unknown): void {
    if (this.task === 'regression') {
      const y = label as number;
      const p = toNumber(prediction);
      if (p === undefined) {
        this.invalid++;
        return;
      }
      const error = p - y;
      this.squared.push(error * error);
      this.absolute.push(Math.abs(error));
      return;
    }
    if (this.task === 'binary') {
      if (isMissing(prediction)) {
        this.invalid++;
        return;
      }
      const truth = label === this.positive;
      const score = toNumber(prediction);
      let predicted: boolean;
      if (score === undefined) {
        predicted = classOf(prediction) === this.positive;
        this.unscored++;
      } else {
        predicted = score >= this.threshold;
        (truth ? this.positiveScores : this.negativeScores).push(score);
      }
      if (truth && predicted) this.tp++;
      else if (truth) this.fn++;
      else if (predicted) this.fp++;
      else this.tn++;
      return;
    }
    const predicted = classOf(prediction);
    if (predicted === undefined) {
      this.invalid++;
      return;
    }
    const actual = label as string;
    if (predicted === actual) {
      this.correct++;
      this.counts(actual)[0]++;
    } else {
      this.counts(actual)[2]++;
      this.counts(predicted)[1]++;
    }
  }

  private counts(name: string): [number, number, number] {
    let counts = this.classes.get(name);
    if (counts === undefined) {
      counts = [0, 0, 0];
      if (this.classes.size >= this.maxClasses) this.tooManyClasses = true;
      else this.classes.set(name, counts);
    }
    return counts;
  }

  /** Predictions that could not join because they carry no id, counted in bulk (a merged log). */
  addUnmatched(count: number): void {
    this.unmatched += count;
  }

  /** Replays a prediction log (see `PredictionLog`) in its order. */
  addLog(log: PredictionLogSummary): void {
    this.addUnmatched(log.withoutId);
    for (const [id, index, prediction] of log.entries) this.addPrediction(id, prediction, index);
  }

  /** Labels still waiting for a prediction. */
  get waiting(): number {
    let count = 0;
    for (const stored of this.labels.values()) count += stored instanceof LabelBatch ? stored.remaining : 1;
    return count;
  }

  result(): PerformanceFigures {
    const rows = this.joined - this.invalid;
    const figures: PerformanceFigures = {
      task: this.task,
      rows,
      joined: this.joined,
      invalid: this.invalid,
      unmatchedPredictions: this.unmatched,
      unmatchedLabels: this.waiting,
    };
    if (rows === 0) {
      figures.reason = this.joined === 0 ? 'no prediction joined a label' : 'no joined row is readable';
      return figures;
    }
    if (this.task === 'regression') {
      figures.rmse = Math.sqrt(sum(this.squared.view()) / rows);
      figures.mae = sum(this.absolute.view()) / rows;
      return figures;
    }
    if (this.task === 'binary') {
      const { tp, fp, fn, tn } = this;
      figures.accuracy = (tp + tn) / rows;
      figures.f1 = 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0;
      figures.average = 'binary';
      figures.positiveLabel = this.positive;
      figures.threshold = this.threshold;
      if (this.unscored > 0) figures.reason = 'ROC AUC needs numeric scores: some predictions are classes';
      else if (this.positiveScores.length === 0 || this.negativeScores.length === 0)
        figures.reason = 'ROC AUC needs both classes among the labels';
      else figures.auc = aucOfSorted(this.positiveScores.sorted(), this.negativeScores.sorted());
      return figures;
    }
    figures.accuracy = this.correct / rows;
    figures.average = 'macro';
    if (this.tooManyClasses) {
      figures.reason = `more than ${this.maxClasses} classes: macro F1 is left out`;
      return figures;
    }
    let total = 0;
    for (const [tp, fp, fn] of this.classes.values()) total += (2 * tp) / (2 * tp + fp + fn);
    figures.f1 = total / this.classes.size;
    return figures;
  }
}

/**
 * The predictions of a window kept for the ground-truth join, in read order, so that the join can
 * run once over the merged log of every shard (a label joins the first prediction with its id,
 * in the window's order, exactly as one pass would). Predictions without an id only count. Memory:
 * one entry per prediction with an id, kept only when the monitor names ground truth.
 */
export interface PredictionLogSummary {
  withoutId: number;
  /** [inferenceId, index in its capture line, prediction] */
  entries: [string, number, string | number | boolean | null][];
}

const loggable = (value: unknown): string | number | boolean | null =>
  value === undefined || value === null
    ? null
    : typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
      ? value
      : JSON.stringify(value);

export class PredictionLog {
  private withoutId = 0;
  private readonly entries: PredictionLogSummary['entries'] = [];

  addRecord(record: CaptureRecord): void {
    if (record.inferenceId === undefined) this.withoutId++;
    else this.entries.push([record.inferenceId, record.index ?? 0, loggable(record.prediction)]);
  }

  finish(): PredictionLogSummary {
    return { withoutId: this.withoutId, entries: this.entries };
  }
}

/** The log of `a`'s predictions followed by `b`'s. */
export const mergePredictionLogs = (
  a: PredictionLogSummary,
  b: PredictionLogSummary,
): PredictionLogSummary => ({
  withoutId: a.withoutId + b.withoutId,
  entries: a.entries.concat(b.entries),
});
