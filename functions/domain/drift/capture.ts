/**
 * Captured inference data, one line (or CSV row) at a time, turned into records for the drift
 * job. Pure: no I/O; `#adapters/dataset-reader` streams the bytes and calls these.
 *
 * Formats:
 * - `sagemaker-capture`: SageMaker data-capture JSON Lines, one inference event a line:
 *   `{"captureData": {"endpointInput": {observedContentType, mode, data, encoding},
 *   "endpointOutput": {...}}, "eventMetadata": {eventId, inferenceId?, inferenceTime},
 *   "eventVersion": "0"}`. `encoding` is `CSV` or `JSON` (data is the payload's text) or `BASE64`
 *   (data is the base64 of the payload; it is read as JSON when `observedContentType` contains
 *   `json`, as CSV otherwise). See `captureRecords` for the payload shapes.
 * - `jsonl`: one JSON object a line; every field but the prediction, id and time fields is a
 *   feature.
 * - `csv`: RFC 4180 with a header row (`CsvParser`, `CsvRecords`): same field roles as `jsonl`;
 *   cells stay strings (values.ts reads decimal strings as numbers).
 *
 * CSV cells are never converted here: the reference dataset and the captures go through the same
 * value rules (values.ts), so a categorical `1.0` stays the category `1.0` on both sides.
 */

export interface CaptureRecord {
  /** feature name to raw value; read by name (`WindowAccumulator`, `BaselineBuilder`) */
  features: Record<string, unknown>;
  prediction?: unknown;
  /** SageMaker: `eventMetadata.inferenceId`, else `eventMetadata.eventId` (the ground-truth join key) */
  inferenceId?: string;
  /** SageMaker: `eventMetadata.inferenceTime`; jsonl/csv: the `time` field when one is named */
  at?: string;
  /** the record's position in a capture line that held a batch of several records */
  index?: number;
}

/** A line or payload that cannot be read; the reader adds the object and the line number. */
export class CaptureFormatError extends Error {
  override readonly name = 'CaptureFormatError';
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const idOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== ''
    ? value
    : typeof value === 'number' && Number.isFinite(value)
      ? String(value)
      : undefined;

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const parseJson = (text: string, what: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CaptureFormatError(`${what} is not valid JSON: ${errorText(error)}`);
  }
};

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180)

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;
const BOM = 0xfeff;

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

/** Characters a single CSV record may hold before the parser gives up (bounded memory). */
export const MAX_RECORD_CHARS = 16 * 1024 * 1024;

/**
 * A streaming RFC 4180 parser over a character stream: feed it text in pieces of any size (a
 * record, and a quoted field, may span pieces and lines) and it calls `sink` once per record.
 * - fields are separated by `,`; records end at CRLF, LF or a lone CR; a byte order mark at the
 *   very start is dropped;
 * - a field that starts with `"` is quoted: it may hold `,`, CR, LF and `""` (one quote); text
 *   between its closing quote and the next separator is appended (as Python's csv module does);
 *   a `"` inside an unquoted field is an ordinary character;
 * - a blank line (no character at all) is skipped, as pandas does; `""` alone is one empty field;
 * - a quoted field still open at `end()` is an error, as is a record over `maxRecordChars`.
 * Cells are strings, never trimmed. The `records` counter (records emitted) and `line` (physical
 * line where the current record started, 1-based) serve error messages.
 */
export class CsvParser {
  private row: string[] = [];
  private field = '';
  private state = FIELD_START;
  private afterCr = false;
  private started = false;
  private recordChars = 0;
  private newlines = 0;
  /** records emitted so far */
  records = 0;
  /** the 1-based physical line where the current record started */
  line = 1;

  constructor(private readonly maxRecordChars: number = MAX_RECORD_CHARS) {}

  private endRecord(sink: (row: string[]) => void): void {
    const row = this.row;
    this.row = [];
    this.recordChars = 0;
    sink(row);
    this.records++;
    this.newlines++;
    this.line = this.newlines + 1;
  }

  feed(text: string, sink: (row: string[]) => void): void {
    const n = text.length;
    let i = 0;
    if (!this.started && n > 0) {
      this.started = true;
      if (text.charCodeAt(0) === BOM) i = 1;
    }
    if (this.afterCr && i < n) {
      this.afterCr = false;
      if (text.charCodeAt(i) === LF) i++;
    }
    let state = this.state;
    // Where the record in progress began in this text (0: it began in an earlier piece).
    let begin = 0;
    while (i < n) {
      if (state === FIELD_START) {
        const c = text.charCodeAt(i);
        if (c === QUOTE) {
          state = QUOTED;
          i++;
        } else if (c === COMMA) {
          this.row.push('');
          i++;
        } else if (c === LF || c === CR) {
          // A record ending right after a comma has an empty last field; a blank line has none.
          if (this.row.length > 0) {
            this.row.push('');
            this.endRecord(sink);
          } else {
            this.newlines++;
            this.line = this.newlines + 1;
          }
          i++;
          if (c === CR) {
            if (i < n) {
              if (text.charCodeAt(i) === LF) i++;
            } else this.afterCr = true;
          }
          begin = i;
        } else state = UNQUOTED;
      } else if (state === UNQUOTED) {
        let j = i;
        let c = 0;
        while (j < n) {
          c = text.charCodeAt(j);
          if (c === COMMA || c === LF || c === CR) break;
          j++;
        }
        this.field = this.field === '' ? text.slice(i, j) : this.field + text.slice(i, j);
        if (j === n) {
          i = n;
          break;
        }
        this.row.push(this.field);
        this.field = '';
        state = FIELD_START;
        i = j + 1;
        if (c !== COMMA) {
          this.endRecord(sink);
          if (c === CR) {
            if (i < n) {
              if (text.charCodeAt(i) === LF) i++;
            } else this.afterCr = true;
          }
          begin = i;
        }
      } else if (state === QUOTED) {
        const q = text.indexOf('"', i);
        const end = q < 0 ? n : q;
        const piece = text.slice(i, end);
        this.field = this.field === '' ? piece : this.field + piece;
        for (let k = piece.indexOf('\n'); k >= 0; k = piece.indexOf('\n', k + 1)) this.newlines++;
        if (q < 0) {
          i = n;
          break;
        }
        state = QUOTE_IN_QUOTED;
        i = q + 1;
      } else {
        // QUOTE_IN_QUOTED: `""` is a quote; anything else closes the quoted part.
        if (text.charCodeAt(i) === QUOTE) {
          this.field += '"';
          state = QUOTED;
          i++;
        } else state = UNQUOTED;
      }
    }
    this.state = state;
    if (state === FIELD_START && this.row.length === 0) this.recordChars = 0;
    else this.recordChars += n - begin;
    if (this.recordChars > this.maxRecordChars)
      throw new CaptureFormatError(
        `a CSV record starting on line ${this.line} is longer than ${this.maxRecordChars} characters`,
      );
  }

  /** The end of the text: emits the last record when the text did not end with a newline. */
  end(sink: (row: string[]) => void): void {
    if (this.state === QUOTED)
      throw new CaptureFormatError(`a quoted CSV field starting on line ${this.line} is never closed`);
    if (this.state !== FIELD_START || this.row.length > 0) {
      this.row.push(this.field);
      this.field = '';
      this.state = FIELD_START;
      this.endRecord(sink);
    }
  }
}

/** Every record of a complete CSV text (used for payloads embedded in a capture line). */
export const parseCsv = (text: string): string[][] => {
  const rows: string[][] = [];
  const parser = new CsvParser(Number.POSITIVE_INFINITY);
  const sink = (row: string[]) => {
    rows.push(row);
  };
  parser.feed(text, sink);
  parser.end(sink);
  return rows;
};

/**
 * The rows of a CSV payload without a header. Fast path (no quote in the text): split on LF and
 * commas, a trailing CR dropped, blank rows skipped; otherwise the full RFC 4180 parser.
 */
const csvRows = (text: string): string[][] => {
  if (text.indexOf('"') >= 0) return parseCsv(text);
  const rows: string[][] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let stop = end;
    if (stop > start && text.charCodeAt(stop - 1) === CR) stop--;
    if (stop > start)
      rows.push((start === 0 && stop === text.length ? text : text.slice(start, stop)).split(','));
    start = end + 1;
  }
  return rows;
};

// ---------------------------------------------------------------------------------------------
// Field roles for jsonl and csv

export interface FieldOptions {
  /** the prediction field; absent: records have no prediction */
  prediction?: string;
  /** the inference id field (the ground-truth join key); default `inferenceId` */
  id?: string;
  /** the time field (ISO 8601), used by the reader's window filter; default: none */
  time?: string;
}

/** A jsonl line's object as a record: the prediction, id and time fields are taken out of the features. */
export const objectRecord = (object: Json, options: FieldOptions = {}): CaptureRecord => {
  const predictionField = options.prediction;
  const idField = options.id ?? 'inferenceId';
  const timeField = options.time;
  const hasPrediction = predictionField !== undefined && predictionField in object;
  const hasId = idField in object;
  const hasTime = timeField !== undefined && timeField in object;
  let features = object;
  if (hasPrediction || hasId || hasTime) {
    features = {};
    for (const key in object) {
      if (key === predictionField || key === idField || key === timeField) continue;
      features[key] = object[key];
    }
  }
  const time = hasTime ? object[timeField!] : undefined;
  return {
    features,
    prediction: hasPrediction ? object[predictionField!] : undefined,
    inferenceId: hasId ? idOf(object[idField]) : undefined,
    at: typeof time === 'string' ? time : undefined,
  };
};

/** One plain JSON Lines line (a JSON object) as a record. */
export const jsonLineRecord = (line: string, options: FieldOptions = {}): CaptureRecord => {
  const value = parseJson(line, 'the line');
  if (!isObject(value)) throw new CaptureFormatError('the line is not a JSON object');
  return objectRecord(value, options);
};

/**
 * CSV rows (from `CsvParser`) as records: the first row is the header. Header names must be
 * distinct; a row with more cells than the header is an error, a row with fewer leaves the
 * missing columns absent (missing values).
 */
export class CsvRecords {
  private names: string[] | undefined;
  /** per column: 0 feature, 1 prediction, 2 id, 3 time */
  private roles: Uint8Array = new Uint8Array(0);

  constructor(private readonly options: FieldOptions = {}) {}

  get header(): readonly string[] | undefined {
    return this.names;
  }

  /** The record of a row, or undefined for the header row. */
  row(cells: string[]): CaptureRecord | undefined {
    const names = this.names;
    if (names === undefined) {
      const seen = new Set<string>();
      for (const name of cells) {
        if (seen.has(name)) throw new CaptureFormatError(`the CSV header names the column "${name}" twice`);
        seen.add(name);
      }
      this.names = cells;
      const idField = this.options.id ?? 'inferenceId';
      this.roles = Uint8Array.from(cells, (name) =>
        name === this.options.prediction ? 1 : name === idField ? 2 : name === this.options.time ? 3 : 0,
      );
      return undefined;
    }
    if (cells.length > names.length)
      throw new CaptureFormatError(`a CSV row has ${cells.length} cells for ${names.length} columns`);
    const features: Json = {};
    let prediction: unknown;
    let inferenceId: string | undefined;
    let at: string | undefined;
    for (let i = 0; i < cells.length; i++) {
      const role = this.roles[i];
      const cell = cells[i]!;
      if (role === 0) features[names[i]!] = cell;
      else if (role === 1) prediction = cell;
      else if (role === 2) inferenceId = cell === '' ? undefined : cell;
      else at = cell === '' ? undefined : cell;
    }
    return { features, prediction, inferenceId, at };
  }
}

// ---------------------------------------------------------------------------------------------
// SageMaker data capture

/** Keys read (in this order) when an output or a prediction is an object. */
export const PREDICTION_KEYS = ['score', 'predicted_label', 'prediction', 'label'] as const;
/** Keys of an object that wrap a list of predictions, one per input record. */
export const PREDICTION_LIST_KEYS = ['predictions', 'outputs'] as const;

interface Payload {
  text: string | undefined;
  /** the payload already as a JSON value (`data` that is not a string, JSON encoding) */
  value: unknown;
  kind: 'csv' | 'json' | 'jsonlines';
}

/** One captured payload (`endpointInput` or `endpointOutput`) as its three fields. */
const payloadOf = (contentType: string, encoding: string, data: unknown, what: string): Payload => {
  const typeLower = contentType.toLowerCase();
  const typeKind = typeLower.includes('jsonlines') || typeLower.includes('ndjson') ? 'jsonlines' : 'json';
  if (encoding === 'CSV') {
    if (typeof data !== 'string') throw new CaptureFormatError(`${what}.data is not a string`);
    return { text: data, value: undefined, kind: 'csv' };
  }
  if (encoding === 'JSON') {
    if (typeof data === 'string') return { text: data, value: undefined, kind: typeKind };
    return { text: undefined, value: data, kind: 'json' };
  }
  if (encoding === 'BASE64') {
    if (typeof data !== 'string') throw new CaptureFormatError(`${what}.data is not a string`);
    const text = Buffer.from(data, 'base64').toString('utf8');
    return { text, value: undefined, kind: typeLower.includes('json') ? typeKind : 'csv' };
  }
  throw new CaptureFormatError(`${what}.encoding ${JSON.stringify(encoding)} is not CSV, JSON or BASE64`);
};

/** The JSON values of a payload: one, or one per line for JSON Lines. */
const jsonValues = (payload: Payload, what: string): unknown[] => {
  if (payload.text === undefined) return [payload.value];
  if (payload.kind === 'jsonlines') {
    const values: unknown[] = [];
    for (const line of payload.text.split('\n')) {
      if (line.trim() !== '') values.push(parseJson(line, what));
    }
    return values;
  }
  return [parseJson(payload.text, what)];
};

type RecordBuilder = (cells: ArrayLike<unknown>) => Json;

/** Feature lists up to this long get a generated builder; longer ones are filled in a loop. */
const MAX_GENERATED_FEATURES = 256;
const builders = new WeakMap<readonly string[], RecordBuilder>();

/**
 * The builder of positional records for a feature list (cached per list: do not mutate a list
 * once it was used). For lists of at most `MAX_GENERATED_FEATURES` names, a function returning an
 * object literal with the names as keys (JSON.stringify makes each name a string literal, so no
 * name can inject code; `__proto__`, which a literal would treat as the prototype, falls back to
 * the loop): about 4 times as fast as adding the properties one by one.
 */
const builderFor = (features: readonly string[]): RecordBuilder => {
  let build = builders.get(features);
  if (build === undefined) {
    if (features.length <= MAX_GENERATED_FEATURES && !features.includes('__proto__')) {
      const body = `return {${features.map((name, i) => `${JSON.stringify(name)}: c[${i}]`).join(', ')}};`;
      build = new Function('c', body) as RecordBuilder;
    } else {
      const names = [...features];
      build = (cells) => {
        const record: Json = {};
        for (let i = 0; i < names.length; i++) record[names[i]!] = cells[i];
        return record;
      };
    }
    builders.set(features, build);
  }
  return build;
};

const positional = (cells: ArrayLike<unknown>, features: readonly string[] | undefined): Json => {
  if (features === undefined)
    throw new CaptureFormatError('a positional input (CSV or a JSON array) needs the ordered feature names');
  if (cells.length !== features.length)
    throw new CaptureFormatError(`the input has ${cells.length} values for ${features.length} features`);
  return builderFor(features)(cells);
};

/** One JSON instance: an object of features, `{"features": [...]}`, an array, or a scalar. */
const instanceFeatures = (instance: unknown, features: readonly string[] | undefined): Json => {
  if (Array.isArray(instance)) return positional(instance, features);
  if (isObject(instance)) {
    const inner = instance.features;
    return Array.isArray(inner) ? positional(inner, features) : instance;
  }
  return positional([instance], features);
};

/**
 * The instances of a JSON input: `{"instances": [...]}` (each element one instance); an array
 * whose first element is an array or an object (a batch: each element one instance); any other
 * array (one positional instance); `{"features": [...]}` (one positional instance); any other
 * object (one instance, its fields the features); a scalar (one positional instance).
 */
const jsonInstances = (value: unknown, features: readonly string[] | undefined, out: Json[]): void => {
  if (isObject(value)) {
    const instances = value.instances;
    if (Array.isArray(instances)) {
      for (const instance of instances) out.push(instanceFeatures(instance, features));
      return;
    }
    out.push(instanceFeatures(value, features));
    return;
  }
  if (Array.isArray(value) && value.length > 0 && (Array.isArray(value[0]) || isObject(value[0]))) {
    for (const instance of value) out.push(instanceFeatures(instance, features));
    return;
  }
  if (Array.isArray(value) && value.length === 0) return;
  out.push(instanceFeatures(value, features));
};

/** A prediction element: a scalar as it is, an array by its first element, an object by `PREDICTION_KEYS`. */
const scalarPrediction = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.length > 0 ? scalarPrediction(value[0]) : undefined;
  if (isObject(value)) {
    for (const key of PREDICTION_KEYS) if (key in value) return scalarPrediction(value[key]);
    return undefined;
  }
  return value;
};

/** The predictions of one JSON output value, in input order. */
const jsonPredictions = (value: unknown, out: unknown[]): void => {
  if (Array.isArray(value)) {
    for (const element of value) out.push(scalarPrediction(element));
    return;
  }
  if (isObject(value)) {
    for (const key of PREDICTION_LIST_KEYS) {
      const list = value[key];
      if (Array.isArray(list)) {
        for (const element of list) out.push(scalarPrediction(element));
        return;
      }
    }
  }
  out.push(scalarPrediction(value));
};

/** The first cell of the first non-blank row of a CSV output (the fast path of a single record). */
const firstCsvCell = (text: string): string | undefined => {
  if (text.indexOf('"') >= 0) return parseCsv(text)[0]?.[0];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let stop = end;
    if (stop > start && text.charCodeAt(stop - 1) === CR) stop--;
    if (stop > start) {
      const comma = text.indexOf(',', start);
      const cellEnd = comma >= 0 && comma < stop ? comma : stop;
      return start === 0 && cellEnd === text.length ? text : text.slice(start, cellEnd);
    }
    start = end + 1;
  }
  return undefined;
};

/**
 * The predictions of an output for `count` input records. CSV: the first cell of each row (one
 * row a record), or, when a batch came back as a single row with one cell a record, those cells.
 * JSON: see `jsonPredictions`; JSON Lines: one value a line.
 */
const outputPredictions = (payload: Payload, count: number): unknown[] => {
  if (payload.kind === 'csv') {
    const rows = csvRows(payload.text!);
    if (rows.length === 1 && count > 1 && rows[0]!.length === count) return rows[0]!;
    return rows.map((row) => row[0]);
  }
  const predictions: unknown[] = [];
  for (const value of jsonValues(payload, 'captureData.endpointOutput.data'))
    jsonPredictions(value, predictions);
  return predictions;
};

/** The first prediction of an output (a capture line with a single record). */
const firstPrediction = (payload: Payload): unknown => {
  if (payload.kind === 'csv') return firstCsvCell(payload.text!);
  const predictions = outputPredictions(payload, 1);
  return predictions[0];
};

/** The first prediction of an output given by its fields (the common case: CSV text). */
const singlePrediction = (contentType: string, encoding: string, data: unknown): unknown => {
  if (encoding === 'CSV' && typeof data === 'string') return firstCsvCell(data);
  return firstPrediction(payloadOf(contentType, encoding, data, 'captureData.endpointOutput'));
};

/**
 * The records of one data-capture event given by its fields (`input` false: no endpointInput;
 * `output` false: no endpointOutput). Encodings are upper case.
 */
const eventRecords = (
  input: boolean,
  inType: string,
  inEncoding: string,
  inData: unknown,
  output: boolean,
  outType: string,
  outEncoding: string,
  outData: unknown,
  inferenceId: string | undefined,
  at: string | undefined,
  features: readonly string[] | undefined,
  out: CaptureRecord[],
): number => {
  if (!input) {
    if (!output) throw new CaptureFormatError('captureData has neither endpointInput nor endpointOutput');
    out.push({ features: {}, prediction: singlePrediction(outType, outEncoding, outData), inferenceId, at });
    return 1;
  }
  // The common case first: one CSV row in, one prediction out.
  if (inEncoding === 'CSV' && typeof inData === 'string') {
    if (inData.indexOf('\n') < 0 && inData.indexOf('"') < 0 && inData.indexOf('\r') < 0) {
      if (inData.length === 0) return 0;
      out.push({
        features: positional(inData.split(','), features),
        prediction: output ? singlePrediction(outType, outEncoding, outData) : undefined,
        inferenceId,
        at,
      });
      return 1;
    }
  }
  const inputPayload = payloadOf(inType, inEncoding, inData, 'captureData.endpointInput');
  const instances: Json[] = [];
  if (inputPayload.kind === 'csv') {
    for (const row of csvRows(inputPayload.text!)) instances.push(positional(row, features));
  } else {
    for (const value of jsonValues(inputPayload, 'captureData.endpointInput.data'))
      jsonInstances(value, features, instances);
  }
  if (instances.length === 0) return 0;
  if (instances.length === 1) {
    out.push({
      features: instances[0]!,
      prediction: output ? singlePrediction(outType, outEncoding, outData) : undefined,
      inferenceId,
      at,
    });
    return 1;
  }
  const predictions = output
    ? outputPredictions(
        payloadOf(outType, outEncoding, outData, 'captureData.endpointOutput'),
        instances.length,
      )
    : [];
  for (let index = 0; index < instances.length; index++)
    out.push({ features: instances[index]!, prediction: predictions[index], inferenceId, at, index });
  return instances.length;
};

const stringField = (object: Json, key: string, fallback: string): string => {
  const value = object[key];
  return typeof value === 'string' ? value : fallback;
};

/**
 * The records of one data-capture event (an already parsed line), appended to `out`; returns how
 * many. `features` are the ordered feature names, needed for positional inputs (CSV, arrays).
 *
 * Input shapes: CSV without a header, one row a record (a batch of rows gives several records);
 * JSON as in `jsonInstances`; JSON Lines one value a line. Output: the prediction of each record,
 * in order; a record without a matching output has none (undefined). A line with several
 * records marks each with its `index`; they all carry the line's inferenceId and time. An input
 * with no instance gives no record. A missing `encoding` is read as CSV.
 *
 * The join key is `eventMetadata.inferenceId` when the caller set one, else
 * `eventMetadata.eventId`: what SageMaker Model Monitor merges ground truth on.
 */
export const captureRecords = (
  event: unknown,
  features: readonly string[] | undefined,
  out: CaptureRecord[],
): number => {
  if (!isObject(event)) throw new CaptureFormatError('the line is not a JSON object');
  const capture = event.captureData;
  if (!isObject(capture)) throw new CaptureFormatError('the line has no captureData object');
  const meta = event.eventMetadata;
  let inferenceId: string | undefined;
  let at: string | undefined;
  if (isObject(meta)) {
    inferenceId = idOf(meta.inferenceId) ?? idOf(meta.eventId);
    if (typeof meta.inferenceTime === 'string') at = meta.inferenceTime;
  }
  const input = capture.endpointInput;
  const output = capture.endpointOutput;
  const hasInput = input !== undefined && input !== null;
  const hasOutput = output !== undefined && output !== null;
  if (hasInput && !isObject(input))
    throw new CaptureFormatError('captureData.endpointInput is not an object');
  if (hasOutput && !isObject(output))
    throw new CaptureFormatError('captureData.endpointOutput is not an object');
  const i = hasInput ? (input as Json) : {};
  const o = hasOutput ? (output as Json) : {};
  return eventRecords(
    hasInput,
    stringField(i, 'observedContentType', ''),
    stringField(i, 'encoding', 'CSV').toUpperCase(),
    i.data,
    hasOutput,
    stringField(o, 'observedContentType', ''),
    stringField(o, 'encoding', 'CSV').toUpperCase(),
    o.data,
    inferenceId,
    at,
    features,
    out,
  );
};

/** A JSON string without escapes or control characters: its text is its value. */
const PLAIN = '"([^"\\\\\\x00-\\x1f]*)"';
const ENCODING = '"(CSV|JSON|BASE64)"';

/**
 * The layout SageMaker writes, compact, keys in its order, strings without escapes. A line that
 * matches is valid JSON, and its fields are the captured strings exactly as JSON.parse would give
 * them; reading them with one regular expression takes about a quarter of JSON.parse's time.
 * Any other line (other key order, white space, escapes, extra fields) goes through JSON.parse.
 */
const CANONICAL_LINE = new RegExp(
  `^\\{"captureData":\\{"endpointInput":\\{"observedContentType":${PLAIN},"mode":"INPUT","data":${PLAIN},"encoding":${ENCODING}\\},` +
    `"endpointOutput":\\{"observedContentType":${PLAIN},"mode":"OUTPUT","data":${PLAIN},"encoding":${ENCODING}\\}\\},` +
    `"eventMetadata":\\{"eventId":${PLAIN}(?:,"inferenceId":${PLAIN})?,"inferenceTime":${PLAIN}\\},"eventVersion":"0"\\}$`,
);

/** One data-capture line: its records appended to `out`; returns how many. */
export const captureLineRecords = (
  line: string,
  features: readonly string[] | undefined,
  out: CaptureRecord[],
): number => {
  const m = CANONICAL_LINE.exec(line);
  if (m === null) return captureRecords(parseJson(line, 'the line'), features, out);
  const inferenceId = m[8] ? m[8] : m[7] ? m[7] : undefined;
  return eventRecords(true, m[1]!, m[3]!, m[2]!, true, m[4]!, m[6]!, m[5]!, inferenceId, m[9], features, out);
};

// ---------------------------------------------------------------------------------------------
// Hour folders (`yyyy/mm/dd/hh/`) of SageMaker data capture

export const HOUR_MS = 3_600_000;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** The `yyyy/mm/dd/hh/` folder path of the UTC hour holding `ms`. */
export const hourPath = (ms: number): string => {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}/${pad(d.getUTCMonth() + 1, 2)}/${pad(d.getUTCDate(), 2)}/${pad(d.getUTCHours(), 2)}/`;
};

/** The start (ms) of the UTC hour holding `ms`. */
export const hourFloor = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;

const validDate = (year: number, month: number, day: number, hour: number): number | undefined => {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour);
  const d = new Date(ms);
  return d.getUTCDate() === day && d.getUTCMonth() === month - 1 ? ms : undefined;
};

const HOUR_FILE = /(?:^|\/)(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/[^/]+$/;

/**
 * The hour (start, ms UTC) of an object whose parent folders are `yyyy/mm/dd/hh/` (as SageMaker
 * writes capture files), or undefined when its path has no such folders.
 */
export const hourOfKey = (key: string): number | undefined => {
  const m = HOUR_FILE.exec(key);
  if (!m) return undefined;
  return validDate(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]));
};

export interface DatePrefix {
  /** the folder holding the year folders (the variant folder), `''` or ending with `/` */
  base: string;
  /** the hours the prefix's own date folders allow: [from, to) in ms; absent: no date folder */
  from?: number;
  to?: number;
}

const DATE_TAIL = /^(.*?)(?:^|(?<=\/))(\d{4})\/(?:(\d{2})\/(?:(\d{2})\/(?:(\d{2})\/)?)?)?$/;

/**
 * Splits a folder prefix (ending with `/`) into the variant folder and the date folders at its
 * end: `ep/AllTraffic/2026/11/` is base `ep/AllTraffic/` with hours of November 2026. A prefix
 * without trailing date folders is its own base.
 */
export const splitDatePrefix = (prefix: string): DatePrefix => {
  const m = DATE_TAIL.exec(prefix);
  if (!m) return { base: prefix };
  const year = Number(m[2]);
  const month = m[3] === undefined ? undefined : Number(m[3]);
  const day = m[4] === undefined ? undefined : Number(m[4]);
  const hour = m[5] === undefined ? undefined : Number(m[5]);
  const from = validDate(year, month ?? 1, day ?? 1, hour ?? 0);
  if (from === undefined) return { base: prefix };
  const to =
    hour !== undefined
      ? from + HOUR_MS
      : day !== undefined
        ? from + 24 * HOUR_MS
        : month !== undefined
          ? Date.UTC(year, month, 1)
          : Date.UTC(year + 1, 0, 1);
  return { base: m[1]!, from, to };
};

/**
 * The hour folders to list for a window [from, to): every hour that intersects it, plus the hour
 * before `from` (a capture file lands in the folder of the hour it was written, which may hold
 * the last records of the hour before). Limited to [limitFrom, limitTo) when given.
 */
export const windowHours = (from: number, to: number, limitFrom?: number, limitTo?: number): number[] => {
  let start = hourFloor(from) - HOUR_MS;
  let end = to;
  if (limitFrom !== undefined) start = Math.max(start, limitFrom);
  if (limitTo !== undefined) end = Math.min(end, limitTo);
  const hours: number[] = [];
  for (let h = start; h < end; h += HOUR_MS) hours.push(h);
  return hours;
};
