import { describe, expect, it } from 'vitest';
import {
  CaptureFormatError,
  type CaptureRecord,
  CsvParser,
  CsvRecords,
  captureLineRecords,
  hourOfKey,
  hourPath,
  jsonLineRecord,
  parseCsv,
  splitDatePrefix,
  windowHours,
} from '#domain/drift/capture';

const FEATURES = ['a', 'b', 'c'];
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** A SageMaker data-capture line. */
const captureLine = (
  input: { data: unknown; encoding: string; type?: string },
  output?: { data: unknown; encoding: string; type?: string },
  meta: Record<string, unknown> = {
    eventId: 'e-1',
    inferenceId: 'i-1',
    inferenceTime: '2026-11-27T10:00:00Z',
  },
) =>
  JSON.stringify({
    captureData: {
      endpointInput: {
        observedContentType: input.type ?? 'text/csv',
        mode: 'INPUT',
        data: input.data,
        encoding: input.encoding,
      },
      ...(output
        ? {
            endpointOutput: {
              observedContentType: output.type ?? 'text/csv; charset=utf-8',
              mode: 'OUTPUT',
              data: output.data,
              encoding: output.encoding,
            },
          }
        : {}),
    },
    eventMetadata: meta,
    eventVersion: '0',
  });

const recordsOf = (line: string, features: readonly string[] | undefined = FEATURES): CaptureRecord[] => {
  const out: CaptureRecord[] = [];
  const count = captureLineRecords(line, features, out);
  expect(count).toBe(out.length);
  return out;
};

const only = (line: string, features?: readonly string[]): CaptureRecord => {
  const records = recordsOf(line, features);
  expect(records).toHaveLength(1);
  return records[0]!;
};

describe('SageMaker data capture', () => {
  it('maps a CSV-encoded row to the features in order, with the CSV output as the prediction', () => {
    const record = only(
      captureLine({ data: '1.0,2.5,red', encoding: 'CSV' }, { data: '0.73', encoding: 'CSV' }),
    );
    expect(record).toEqual({
      features: { a: '1.0', b: '2.5', c: 'red' },
      prediction: '0.73',
      inferenceId: 'i-1',
      at: '2026-11-27T10:00:00Z',
    });
    expect(record.index).toBeUndefined();
  });

  it('keeps empty cells (missing values) and takes the first cell of a multi-column output', () => {
    const record = only(
      captureLine({ data: '1,,3\n', encoding: 'CSV' }, { data: '1,0.91\n', encoding: 'CSV' }),
    );
    expect(record.features).toEqual({ a: '1', b: '', c: '3' });
    expect(record.prediction).toBe('1');
  });

  it('reads quoted CSV payloads (a comma inside a field)', () => {
    const record = only(
      captureLine({ data: '1,"x, y",3', encoding: 'CSV' }, { data: '"0.5"', encoding: 'CSV' }),
    );
    expect(record.features).toEqual({ a: '1', b: 'x, y', c: '3' });
    expect(record.prediction).toBe('0.5');
  });

  it('falls back to eventId as the join key when the caller gave no inferenceId', () => {
    const record = only(
      captureLine({ data: '1,2,3', encoding: 'CSV' }, undefined, {
        eventId: 'e-9',
        inferenceTime: '2026-11-27T10:00:00Z',
      }),
    );
    expect(record.inferenceId).toBe('e-9');
    expect(record.prediction).toBeUndefined();
  });

  it('turns a CSV batch into several records, each with its index and its output row', () => {
    const records = recordsOf(
      captureLine({ data: '1,2,3\r\n4,5,6\r\n', encoding: 'CSV' }, { data: '0.1\n0.9\n', encoding: 'CSV' }),
    );
    expect(records).toEqual([
      {
        features: { a: '1', b: '2', c: '3' },
        prediction: '0.1',
        inferenceId: 'i-1',
        at: '2026-11-27T10:00:00Z',
        index: 0,
      },
      {
        features: { a: '4', b: '5', c: '6' },
        prediction: '0.9',
        inferenceId: 'i-1',
        at: '2026-11-27T10:00:00Z',
        index: 1,
      },
    ]);
  });

  it('splits a one-row output of a batch into one cell per record', () => {
    const records = recordsOf(
      captureLine({ data: '1,2,3\n4,5,6', encoding: 'CSV' }, { data: '0.1,0.9', encoding: 'CSV' }),
    );
    expect(records.map((r) => r.prediction)).toEqual(['0.1', '0.9']);
  });

  it('reads JSON inputs: an object of features, an array, {"features": [...]}', () => {
    const json = (data: unknown, out: unknown = { score: 0.7 }) =>
      captureLine(
        { data: JSON.stringify(data), encoding: 'JSON', type: 'application/json' },
        { data: JSON.stringify(out), encoding: 'JSON', type: 'application/json' },
      );
    expect(only(json({ a: 1, b: 'x', c: null }))).toMatchObject({
      features: { a: 1, b: 'x', c: null },
      prediction: 0.7,
    });
    expect(only(json([1, 2, 3])).features).toEqual({ a: 1, b: 2, c: 3 });
    expect(only(json({ features: [1, 2, 3] })).features).toEqual({ a: 1, b: 2, c: 3 });
    expect(only(json({ instances: [[1, 2, 3]] }, { predictions: [[0.25]] })).prediction).toBe(0.25);
  });

  it('reads JSON batches: {"instances": [...]} and arrays of rows, with {"predictions": [...]}', () => {
    const line = captureLine(
      {
        data: JSON.stringify({ instances: [{ features: [1, 2, 3] }, { a: 4, b: 5, c: 6 }, [7, 8, 9]] }),
        encoding: 'JSON',
        type: 'application/json',
      },
      {
        data: JSON.stringify({ predictions: [{ score: 0.1 }, { predicted_label: 1 }, 0.3] }),
        encoding: 'JSON',
        type: 'application/json',
      },
    );
    const records = recordsOf(line);
    expect(records.map((r) => r.features)).toEqual([
      { a: 1, b: 2, c: 3 },
      { a: 4, b: 5, c: 6 },
      { a: 7, b: 8, c: 9 },
    ]);
    expect(records.map((r) => r.prediction)).toEqual([0.1, 1, 0.3]);
    expect(records.map((r) => r.index)).toEqual([0, 1, 2]);

    const rows = recordsOf(
      captureLine(
        {
          data: JSON.stringify([
            [1, 2, 3],
            [4, 5, 6],
          ]),
          encoding: 'JSON',
          type: 'application/json',
        },
        { data: '[0.4, 0.6]', encoding: 'JSON', type: 'application/json' },
      ),
    );
    expect(rows.map((r) => r.prediction)).toEqual([0.4, 0.6]);
  });

  it('takes the first prediction of a single record, whatever the output shape', () => {
    const out = (data: string) =>
      only(
        captureLine({ data: '1,2,3', encoding: 'CSV' }, { data, encoding: 'JSON', type: 'application/json' }),
      ).prediction;
    expect(out('0.42')).toBe(0.42);
    expect(out('{"predictions": [0.8, 0.2]}')).toBe(0.8);
    expect(out('{"predictions": [{"score": 0.66, "predicted_label": 1}]}')).toBe(0.66);
    expect(out('{"predicted_label": "cat", "probabilities": [0.9, 0.1]}')).toBe('cat');
    expect(out('[[0.3, 0.7]]')).toBe(0.3);
    expect(out('{"unknown": 1}')).toBeUndefined();
  });

  it('reads JSON Lines payloads one instance a line', () => {
    const records = recordsOf(
      captureLine(
        {
          data: '{"a":1,"b":2,"c":3}\n{"a":4,"b":5,"c":6}\n',
          encoding: 'JSON',
          type: 'application/jsonlines',
        },
        { data: '{"score":0.1}\n{"score":0.2}', encoding: 'JSON', type: 'application/jsonlines' },
      ),
    );
    expect(records.map((r) => [r.features.a, r.prediction])).toEqual([
      [1, 0.1],
      [4, 0.2],
    ]);
  });

  it('decodes BASE64 payloads as CSV or as JSON by their observed content type', () => {
    const csv = only(
      captureLine(
        { data: b64('1,2,3'), encoding: 'BASE64', type: 'text/csv' },
        { data: b64('0.9'), encoding: 'BASE64', type: 'text/csv' },
      ),
    );
    expect(csv.features).toEqual({ a: '1', b: '2', c: '3' });
    expect(csv.prediction).toBe('0.9');
    const json = only(
      captureLine(
        { data: b64('{"a": 1, "b": "é", "c": 3}'), encoding: 'BASE64', type: 'application/json' },
        { data: b64('{"predictions": [0.5]}'), encoding: 'BASE64', type: 'application/json' },
      ),
    );
    expect(json.features).toEqual({ a: 1, b: 'é', c: 3 });
    expect(json.prediction).toBe(0.5);
  });

  it('accepts JSON data given as a value rather than as text', () => {
    const record = only(
      captureLine({ data: { a: 1, b: 2, c: 3 }, encoding: 'JSON' }, { data: 0.5, encoding: 'JSON' }),
    );
    expect(record.features).toEqual({ a: 1, b: 2, c: 3 });
    expect(record.prediction).toBe(0.5);
  });

  it('refuses what it cannot map, with a CaptureFormatError', () => {
    const fails = (line: string, features: readonly string[] | undefined = FEATURES) =>
      expect(() => captureLineRecords(line, features, [])).toThrow(CaptureFormatError);
    fails('{not json');
    fails('[1,2,3]');
    fails('{"eventMetadata": {}}');
    fails(captureLine({ data: '1,2', encoding: 'CSV' }));
    fails(captureLine({ data: '1,2,3,4', encoding: 'CSV' }));
    expect(() => captureLineRecords(captureLine({ data: '1,2,3', encoding: 'CSV' }), undefined, [])).toThrow(
      'a positional input (CSV or a JSON array) needs the ordered feature names',
    );
    fails(captureLine({ data: '1,2,3', encoding: 'UTF-16' }));
    fails(captureLine({ data: '{"a":', encoding: 'JSON', type: 'application/json' }));
    expect(() => captureLineRecords(captureLine({ data: '1,2', encoding: 'CSV' }), FEATURES, [])).toThrow(
      'the input has 2 values for 3 features',
    );
  });

  it('gives no record for an empty input', () => {
    expect(recordsOf(captureLine({ data: '', encoding: 'CSV' }))).toEqual([]);
    expect(recordsOf(captureLine({ data: '[]', encoding: 'JSON', type: 'application/json' }))).toEqual([]);
  });
});

describe('plain JSON Lines', () => {
  it('takes the prediction, id and time fields out of the features', () => {
    expect(
      jsonLineRecord('{"a": 1, "b": "x", "score": 0.3, "inferenceId": "r-1", "ts": "2026-11-27T10:00:00Z"}', {
        prediction: 'score',
        time: 'ts',
      }),
    ).toEqual({
      features: { a: 1, b: 'x' },
      prediction: 0.3,
      inferenceId: 'r-1',
      at: '2026-11-27T10:00:00Z',
    });
  });

  it('keeps the object as it is when it has none of those fields', () => {
    const record = jsonLineRecord('{"a": 1, "b": null}', { prediction: 'p' });
    expect(record.features).toEqual({ a: 1, b: null });
    expect(record.prediction).toBeUndefined();
    expect(record.inferenceId).toBeUndefined();
  });

  it('reads a numeric id and refuses lines that are not objects', () => {
    expect(jsonLineRecord('{"id": 12, "a": 1}', { id: 'id' }).inferenceId).toBe('12');
    expect(() => jsonLineRecord('[1]')).toThrow(CaptureFormatError);
    expect(() => jsonLineRecord('{"a": ')).toThrow(CaptureFormatError);
  });
});

/** Rows of a CSV text fed in the given pieces. */
const rowsInPieces = (pieces: string[]): string[][] => {
  const parser = new CsvParser();
  const rows: string[][] = [];
  const sink = (row: string[]) => {
    rows.push(row);
  };
  for (const piece of pieces) parser.feed(piece, sink);
  parser.end(sink);
  return rows;
};

describe('CSV (RFC 4180)', () => {
  const TEXT =
    '\ufeffid,text,n\r\n1,"a, b",2\r\n2,"she said ""hi""",3\n3,"line one\nline two\r\nline three",4\n\n4,,\r5,"",x"y\n6,"ab"c,7';
  const EXPECTED = [
    ['id', 'text', 'n'],
    ['1', 'a, b', '2'],
    ['2', 'she said "hi"', '3'],
    ['3', 'line one\nline two\r\nline three', '4'],
    ['4', '', ''],
    ['5', '', 'x"y'],
    ['6', 'abc', '7'],
  ];

  it('reads quoted fields with commas, quotes and newlines, CRLF/LF/CR endings, a BOM and blank lines', () => {
    expect(parseCsv(TEXT)).toEqual(EXPECTED);
  });

  it('gives the same rows however the text is cut into pieces', () => {
    for (let cut = 0; cut <= TEXT.length; cut++)
      expect(rowsInPieces([TEXT.slice(0, cut), TEXT.slice(cut)]), `cut at ${cut}`).toEqual(EXPECTED);
    expect(rowsInPieces([...TEXT])).toEqual(EXPECTED);
    for (let a = 0; a < TEXT.length; a += 3)
      for (let b = a; b <= TEXT.length; b += 5)
        expect(rowsInPieces([TEXT.slice(0, a), TEXT.slice(a, b), TEXT.slice(b)])).toEqual(EXPECTED);
  });

  it('ends a last record without a newline, and keeps a trailing empty field', () => {
    expect(parseCsv('a,b\n1,')).toEqual([
      ['a', 'b'],
      ['1', ''],
    ]);
    expect(parseCsv('""')).toEqual([['']]);
    expect(parseCsv('')).toEqual([]);
  });

  it('reports the line where an unclosed quoted field starts', () => {
    expect(() => parseCsv('a,b\n1,2\n3,"open\nstill open')).toThrow(
      'a quoted CSV field starting on line 3 is never closed',
    );
  });

  it('refuses a record longer than its limit (bounded memory)', () => {
    const parser = new CsvParser(100);
    const sink = () => undefined;
    parser.feed('a,b\n', sink);
    parser.feed('1,"', sink);
    expect(() => parser.feed('x'.repeat(200), sink)).toThrow(/longer than 100 characters/);
  });

  it('maps rows to records by the header, with the prediction, id and time columns apart', () => {
    const rows = new CsvRecords({ prediction: 'score', id: 'rid', time: 'at' });
    const out = parseCsv('rid,a,score,b,at\nr1,1,0.5,x,2026-11-27T10:00:00Z\nr2,2,,y\nr3,3')
      .map((row) => rows.row(row))
      .filter((record) => record !== undefined);
    expect(rows.header).toEqual(['rid', 'a', 'score', 'b', 'at']);
    expect(out).toEqual([
      { features: { a: '1', b: 'x' }, prediction: '0.5', inferenceId: 'r1', at: '2026-11-27T10:00:00Z' },
      { features: { a: '2', b: 'y' }, prediction: '', inferenceId: 'r2', at: undefined },
      { features: { a: '3' }, prediction: undefined, inferenceId: 'r3', at: undefined },
    ]);
  });

  it('refuses duplicate header names and rows longer than the header', () => {
    expect(() => new CsvRecords().row(['a', 'a'])).toThrow(/names the column "a" twice/);
    const rows = new CsvRecords();
    rows.row(['a', 'b']);
    expect(() => rows.row(['1', '2', '3'])).toThrow('a CSV row has 3 cells for 2 columns');
  });
});

describe('hour folders', () => {
  const at = (text: string) => Date.parse(text);

  it('names the hour folder of a time, in UTC', () => {
    expect(hourPath(at('2026-11-27T09:59:59.999Z'))).toBe('2026/11/27/09/');
    expect(hourPath(at('2027-01-01T00:00:00Z'))).toBe('2027/01/01/00/');
  });

  it('reads the hour of a file whose parent folders are yyyy/mm/dd/hh', () => {
    expect(hourOfKey('capture/ep/AllTraffic/2026/11/27/10/abc.jsonl')).toBe(at('2026-11-27T10:00:00Z'));
    expect(hourOfKey('2026/02/03/04/x.jsonl.gz')).toBe(at('2026-02-03T04:00:00Z'));
    expect(hourOfKey('capture/ep/AllTraffic/2026/11/27/abc.jsonl')).toBeUndefined();
    expect(hourOfKey('capture/2026/02/30/10/x.jsonl')).toBeUndefined();
    expect(hourOfKey('capture/2026/11/27/24/x.jsonl')).toBeUndefined();
  });

  it('splits a prefix into the variant folder and the period of its date folders', () => {
    expect(splitDatePrefix('capture/ep/AllTraffic/')).toEqual({ base: 'capture/ep/AllTraffic/' });
    expect(splitDatePrefix('capture/ep/AllTraffic/2026/')).toEqual({
      base: 'capture/ep/AllTraffic/',
      from: at('2026-01-01T00:00:00Z'),
      to: at('2027-01-01T00:00:00Z'),
    });
    expect(splitDatePrefix('ep/v/2026/11/')).toEqual({
      base: 'ep/v/',
      from: at('2026-11-01T00:00:00Z'),
      to: at('2026-12-01T00:00:00Z'),
    });
    expect(splitDatePrefix('ep/v/2026/12/31/')).toEqual({
      base: 'ep/v/',
      from: at('2026-12-31T00:00:00Z'),
      to: at('2027-01-01T00:00:00Z'),
    });
    expect(splitDatePrefix('2026/11/27/10/')).toEqual({
      base: '',
      from: at('2026-11-27T10:00:00Z'),
      to: at('2026-11-27T11:00:00Z'),
    });
  });

  it('lists the hours that meet the window, and the hour before it', () => {
    const hours = windowHours(at('2026-11-27T10:30:00Z'), at('2026-11-27T12:00:00Z')).map(hourPath);
    expect(hours).toEqual(['2026/11/27/09/', '2026/11/27/10/', '2026/11/27/11/']);
    const cut = windowHours(
      at('2026-11-27T10:30:00Z'),
      at('2026-11-27T12:00:01Z'),
      at('2026-11-27T10:00:00Z'),
      at('2026-11-28T00:00:00Z'),
    ).map(hourPath);
    expect(cut).toEqual(['2026/11/27/10/', '2026/11/27/11/', '2026/11/27/12/']);
  });
});
