import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DatasetFormatError,
  type ListedObject,
  listObjects,
  parseDatasetUri,
  type ReadOptions,
  readLines,
  readRecords,
  splitIntoParts,
} from '#adapters/dataset-reader';
import { resetConfig } from '#commons/config';
import { ValidationError } from '#commons/errors';
import { s3 } from '#commons/s3';
import type { CaptureRecord } from '#domain/drift/capture';
import { LabelJoin } from '#domain/drift/ground-truth';
import { localS3ClientConfig } from '#local/s3';
import { ARTIFACTS_BUCKET, type LocalSystem, startLocalSystem } from '#local/system';

/**
 * The dataset reader against local S3 (s3rver) and local files: formats, gzip, hour-folder
 * listing with the time window, file:// in local mode only, pagination past 1,000 keys, and
 * a 200 MB object end to end (the reader's memory over it is a figure of `npm run bench`).
 */
const BUCKET = ARTIFACTS_BUCKET;
const FEATURES = ['a', 'b', 'c'];
const MiB = 1024 * 1024;

let system: LocalSystem;
let scratch: string;

beforeAll(async () => {
  system = await startLocalSystem();
  scratch = await mkdtemp(join(tmpdir(), 'steward-datasets-'));
});

afterAll(async () => {
  await system?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const put = async (
  key: string,
  body: string | Buffer,
  extra: { ContentEncoding?: string } = {},
  client?: S3Client,
) =>
  (client ?? (await s3())).send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: key,
      Body: body,
      ContentLength: Buffer.byteLength(body),
      ...extra,
    }),
  );

const all = async (uri: string, options: ReadOptions): Promise<CaptureRecord[]> => {
  const records: CaptureRecord[] = [];
  for await (const record of readRecords(uri, options)) records.push(record);
  return records;
};

/** A SageMaker capture line with CSV input `a,b,c` and a CSV score. */
const captureLine = (id: string, time: string, cells: string, score: string) =>
  JSON.stringify({
    captureData: {
      endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: cells, encoding: 'CSV' },
      endpointOutput: {
        observedContentType: 'text/csv; charset=utf-8',
        mode: 'OUTPUT',
        data: score,
        encoding: 'CSV',
      },
    },
    eventMetadata: { eventId: `e-${id}`, inferenceId: id, inferenceTime: time },
    eventVersion: '0',
  });

/** A client on the local S3 that records the requests it sends. */
const spiedClient = (endpoint: string) => {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const client = new S3Client({ region: 'us-east-1', ...localS3ClientConfig(endpoint) });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push({ command: String(context.commandName), input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name: 'spy' },
  );
  return { client, calls };
};

describe('formats from S3', () => {
  it('reads plain JSON Lines from one object and from a folder, skipping blank lines and CRLF', async () => {
    await put(
      'jsonl/part-1.jsonl',
      '{"a": 1, "b": "x", "p": 0.5, "inferenceId": "r1"}\r\n\r\n{"a": 2, "b": "y"}\n',
    );
    await put('jsonl/part-2.jsonl', '{"a": 3, "b": "z", "p": 0.7}');
    await put('jsonl/_SUCCESS', '');
    const one = await all(`s3://${BUCKET}/jsonl/part-1.jsonl`, { format: 'jsonl', prediction: 'p' });
    expect(one).toEqual([
      { features: { a: 1, b: 'x' }, prediction: 0.5, inferenceId: 'r1', at: undefined },
      { features: { a: 2, b: 'y' }, prediction: undefined, inferenceId: undefined, at: undefined },
    ]);
    const folder = readRecords(`s3://${BUCKET}/jsonl/`, { format: 'jsonl', prediction: 'p' });
    const records: CaptureRecord[] = [];
    for await (const record of folder) records.push(record);
    expect(records.map((r) => r.features.a)).toEqual([1, 2, 3]);
    expect(folder.stats).toMatchObject({ objects: 2, lines: 3, records: 3 });
    // Without the trailing slash, a key that is no object is read as a folder.
    expect(await all(`s3://${BUCKET}/jsonl`, { format: 'jsonl' })).toHaveLength(3);
  });

  it('reads CSV whose quoted fields span lines and chunks, gzipped by name or by Content-Encoding', async () => {
    const rows = ['id,text,score'];
    for (let i = 0; i < 20_000; i++)
      rows.push(`${i},"line ${i}, with ""quotes""\nand a second line",${i % 10}`);
    const text = `${rows.join('\r\n')}\r\n`;
    await put('csv/plain.csv', text);
    await put('csv/named.csv.gz', gzipSync(text));
    await put('csv/encoded.csv', gzipSync(text), { ContentEncoding: 'gzip' });
    for (const key of ['csv/plain.csv', 'csv/named.csv.gz', 'csv/encoded.csv']) {
      const records = await all(`s3://${BUCKET}/${key}`, { format: 'csv', prediction: 'score', id: 'id' });
      expect(records, key).toHaveLength(20_000);
      expect(records[12_345]).toEqual({
        features: { text: 'line 12345, with "quotes"\nand a second line' },
        prediction: '5',
        inferenceId: '12345',
        at: undefined,
      });
    }
  });

  it('reads SageMaker capture and joins ground truth read from S3', async () => {
    const lines = [
      captureLine('i1', '2026-11-27T10:00:01Z', '1,2,3', '0.9'),
      captureLine('i2', '2026-11-27T10:00:02Z', '4,5,6', '0.2'),
      captureLine('i3', '2026-11-27T10:00:03Z', '7,8,9', '0.6'),
    ];
    await put('join/capture.jsonl', lines.join('\n'));
    const truth = (id: string, label: string) =>
      JSON.stringify({
        groundTruthData: { data: label, encoding: 'CSV' },
        eventMetadata: { eventId: id },
        eventVersion: '0',
      });
    await put(
      'join/labels/2026/11/27/12/labels.jsonl',
      [truth('i1', '1'), truth('i2', '0'), truth('i9', '1')].join('\n'),
    );
    const join = new LabelJoin({ task: 'binary' });
    for await (const line of readLines(`s3://${BUCKET}/join/labels/`)) join.addLabelLine(line);
    for await (const record of readRecords(`s3://${BUCKET}/join/capture.jsonl`, {
      format: 'sagemaker-capture',
      features: FEATURES,
    }))
      join.addRecord(record);
    expect(join.result()).toMatchObject({
      joined: 2,
      unmatchedPredictions: 1,
      unmatchedLabels: 1,
      accuracy: 1,
      auc: 1,
    });
  });

  it('names the object and the line of a line it cannot read, or one too long', async () => {
    await put(
      'bad/capture.jsonl',
      [captureLine('i1', '2026-11-27T10:00:00Z', '1,2,3', '0.5'), '{"captureData": 5}'].join('\n'),
    );
    const failure = await all(`s3://${BUCKET}/bad/capture.jsonl`, {
      format: 'sagemaker-capture',
      features: FEATURES,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DatasetFormatError);
    expect(failure).toMatchObject({
      statusCode: 422,
      object: `s3://${BUCKET}/bad/capture.jsonl`,
      line: 2,
      message: `s3://${BUCKET}/bad/capture.jsonl line 2: the line has no captureData object`,
    });

    await put('bad/rows.csv', 'a,b\n1,"two\nlines"\n3,4,5\n');
    const csv = await all(`s3://${BUCKET}/bad/rows.csv`, { format: 'csv' }).catch((error: unknown) => error);
    expect(csv).toMatchObject({
      statusCode: 422,
      line: 4,
      message: `s3://${BUCKET}/bad/rows.csv line 4: a CSV row has 3 cells for 2 columns`,
    });

    await put(
      'bad/broken.jsonl.gz',
      Buffer.concat([gzipSync('{"a": 1}\n').subarray(0, 12), Buffer.from('not gzip')]),
    );
    const broken = await all(`s3://${BUCKET}/bad/broken.jsonl.gz`, { format: 'jsonl' }).catch(
      (error: unknown) => error,
    );
    expect(broken).toBeInstanceOf(DatasetFormatError);
    expect(broken).toMatchObject({
      statusCode: 422,
      message: expect.stringMatching(/the gzip stream is not valid/),
    });

    await put('bad/long.jsonl', `{"a": 1}\n{"a": "${'x'.repeat(5000)}"}\n`);
    const long = await all(`s3://${BUCKET}/bad/long.jsonl`, { format: 'jsonl', maxLineLength: 1000 }).catch(
      (error: unknown) => error,
    );
    expect(long).toMatchObject({
      line: 2,
      message: expect.stringMatching(/line 2: the line is longer than 1000/),
    });
  });
});

/**
 * An in-memory S3 with ListObjectsV2's documented semantics (key order, Prefix, Delimiter and
 * CommonPrefixes, MaxKeys, continuation), HeadObject and GetObject: the listing plan is checked
 * here, and the same reads are run against the local S3 below, which must list alike.
 */
const fakeS3 = (objects: Map<string, string>) => {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const input = command.input;
      calls.push({ command: command.constructor.name, input });
      const key = input.Key as string | undefined;
      if (command.constructor.name === 'HeadObjectCommand') {
        if (objects.has(key!)) return {};
        throw Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
      }
      if (command.constructor.name === 'GetObjectCommand')
        return { Body: Readable.from([Buffer.from(objects.get(key!)!)]) };
      const prefix = (input.Prefix as string | undefined) ?? '';
      const delimiter = input.Delimiter as string | undefined;
      const after = (input.ContinuationToken as string | undefined) ?? '';
      const max = (input.MaxKeys as number | undefined) ?? 1000;
      const contents: { Key: string }[] = [];
      const common: string[] = [];
      let last = '';
      let truncated = false;
      for (const k of [...objects.keys()].sort()) {
        if (!k.startsWith(prefix) || k <= after) continue;
        const cut = delimiter ? k.indexOf(delimiter, prefix.length) : -1;
        const entry = cut >= 0 ? k.slice(0, cut + 1) : k;
        if (cut >= 0 && common.includes(entry)) continue;
        if (contents.length + common.length === max) {
          truncated = true;
          break;
        }
        if (cut >= 0) common.push(entry);
        else contents.push({ Key: k });
        last = cut >= 0 ? `${entry}\uffff` : k;
      }
      return {
        Contents: contents,
        CommonPrefixes: common.map((Prefix) => ({ Prefix })),
        IsTruncated: truncated,
        ...(truncated ? { NextContinuationToken: last } : {}),
      };
    },
  };
  return { client: client as unknown as S3Client, calls };
};

describe('SageMaker capture hour folders', () => {
  const ROOT = 'hourly/capture';
  const VARIANT = `${ROOT}/my-endpoint/AllTraffic`;
  const HOURS = ['08', '09', '10', '11', '12', '13'];
  const objects = new Map<string, string>();
  for (const hour of HOURS) {
    const lines = [0, 20, 40].map((minute) =>
      captureLine(
        `h${hour}m${minute}`,
        `2026-11-27T${hour}:${String(minute).padStart(2, '0')}:00Z`,
        '1,2,3',
        '0.5',
      ),
    );
    // a file written in the next hour's folder with the last records of the hour before
    if (hour === '11') lines.push(captureLine('late', '2026-11-27T10:59:59Z', '1,2,3', '0.5'));
    objects.set(`${VARIANT}/2026/11/27/${hour}/capture-${hour}.jsonl`, `${lines.join('\n')}\n`);
  }
  objects.set(
    `${ROOT}/other-endpoint/AllTraffic/2026/11/27/10/x.jsonl`,
    captureLine('other', '2026-11-27T10:45:00Z', '1,2,3', '0.1'),
  );

  beforeAll(async () => {
    for (const [key, body] of objects) await put(key, body);
  });

  const window = { from: new Date('2026-11-27T10:30:00Z'), to: new Date('2026-11-27T12:00:00Z') };
  const read = async (uri: string, client: S3Client, range: { from?: Date; to?: Date } = window) => {
    const reader = readRecords(uri, { format: 'sagemaker-capture', features: FEATURES, client, ...range });
    const ids: string[] = [];
    for await (const record of reader) ids.push(record.inferenceId!);
    return { ids, stats: reader.stats };
  };
  const listings = (calls: { command: string; input: Record<string, unknown> }[]) =>
    calls.filter((c) => c.command === 'ListObjectsV2Command').map((c) => [c.input.Prefix, c.input.Delimiter]);

  it('lists only the hour folders of the window (and the hour before) at the variant folder', async () => {
    const { client, calls } = fakeS3(objects);
    const { ids, stats } = await read(`s3://${BUCKET}/${VARIANT}/`, client);
    expect(ids).toEqual(['h10m40', 'h11m0', 'h11m20', 'h11m40', 'late']);
    expect(stats).toMatchObject({ objects: 3, outsideWindow: 5, untimed: 0 });
    expect(listings(calls)).toEqual([
      [`${VARIANT}/`, '/'],
      [`${VARIANT}/2026/11/27/09/`, undefined],
      [`${VARIANT}/2026/11/27/10/`, undefined],
      [`${VARIANT}/2026/11/27/11/`, undefined],
    ]);
  });

  it('walks down from a folder above the variants, to every variant', async () => {
    const { client, calls } = fakeS3(objects);
    const { ids } = await read(`s3://${BUCKET}/${ROOT}`, client);
    expect(ids).toEqual(['h10m40', 'h11m0', 'h11m20', 'h11m40', 'late', 'other']);
    expect(listings(calls)).toEqual([
      [`${ROOT}/`, '/'],
      [`${ROOT}/my-endpoint/`, '/'],
      [`${VARIANT}/`, '/'],
      [`${ROOT}/other-endpoint/`, '/'],
      [`${ROOT}/other-endpoint/AllTraffic/`, '/'],
      ...['09', '10', '11'].map((hour) => [`${VARIANT}/2026/11/27/${hour}/`, undefined]),
      ...['09', '10', '11'].map((hour) => [
        `${ROOT}/other-endpoint/AllTraffic/2026/11/27/${hour}/`,
        undefined,
      ]),
    ]);
  });

  it('cuts the listing to a day or hour folder the URI points at', async () => {
    const { client, calls } = fakeS3(objects);
    // Only that hour's folder is listed; its records are still kept by the window [from, to).
    const { ids } = await read(`s3://${BUCKET}/${VARIANT}/2026/11/27/11/`, client);
    expect(ids).toEqual(['h11m0', 'h11m20', 'h11m40', 'late']);
    expect(listings(calls)).toEqual([[`${VARIANT}/2026/11/27/11/`, undefined]]);
    const day = await read(`s3://${BUCKET}/${VARIANT}/2026/11/27/`, client, {
      from: new Date('2026-11-27T13:00:00Z'),
      to: new Date('2026-11-28T00:00:00Z'),
    });
    expect(day.ids).toEqual(['h13m0', 'h13m20', 'h13m40']);
  });

  it('lists the whole folder, skipping hour folders outside the window, when only `from` is given', async () => {
    const { client, calls } = fakeS3(objects);
    const { ids, stats } = await read(`s3://${BUCKET}/${VARIANT}/`, client, {
      from: new Date('2026-11-27T12:30:00Z'),
    });
    expect(ids).toEqual(['h12m40', 'h13m0', 'h13m20', 'h13m40']);
    expect(stats.objects).toBe(3);
    expect(listings(calls)).toEqual([[`${VARIANT}/`, undefined]]);
    expect((await read(`s3://${BUCKET}/${VARIANT}/`, client, {})).ids).toHaveLength(19);
  });

  it('gives the same records from the local S3, with the same listings', async () => {
    const cases: [string, { from?: Date; to?: Date }][] = [
      [`${VARIANT}/`, window],
      [ROOT, window],
      [`${VARIANT}/2026/11/27/11/`, window],
      [`${VARIANT}/`, { from: new Date('2026-11-27T12:30:00Z') }],
      [`${VARIANT}/`, {}],
    ];
    for (const [prefix, range] of cases) {
      const fake = fakeS3(objects);
      const expected = await read(`s3://${BUCKET}/${prefix}`, fake.client, range);
      const spied = spiedClient(system.s3.endpoint);
      const actual = await read(`s3://${BUCKET}/${prefix}`, spied.client, range);
      expect(actual.ids, prefix).toEqual(expected.ids);
      expect(listings(spied.calls), prefix).toEqual(listings(fake.calls));
      spied.client.destroy();
    }
  });
});

describe('file:// URIs', () => {
  it('are read in local mode: a file, or a folder recursively, gzip included', async () => {
    const folder = join(scratch, 'capture', 'ep', 'AllTraffic', '2026', '11', '27', '10');
    await mkdir(folder, { recursive: true });
    await writeFile(
      join(folder, 'a.jsonl'),
      `${captureLine('f1', '2026-11-27T10:01:00Z', '1,2,3', '0.1')}\n`,
    );
    await writeFile(
      join(folder, 'b.jsonl.gz'),
      gzipSync(captureLine('f2', '2026-11-27T10:02:00Z', '4,5,6', '0.2')),
    );
    await writeFile(join(folder, '.hidden.jsonl'), 'not read');
    const uri = pathToFileURL(join(scratch, 'capture')).href;
    const records = await all(uri, { format: 'sagemaker-capture', features: FEATURES });
    expect(records.map((r) => [r.inferenceId, r.features.b, r.prediction])).toEqual([
      ['f1', '2', '0.1'],
      ['f2', '5', '0.2'],
    ]);
    const windowed = await all(uri, {
      format: 'sagemaker-capture',
      features: FEATURES,
      from: new Date('2026-11-27T10:01:30Z'),
      to: new Date('2026-11-27T11:00:00Z'),
    });
    expect(windowed.map((r) => r.inferenceId)).toEqual(['f2']);
    const csv = join(scratch, 'reference.csv');
    await writeFile(csv, 'a,b\n1,"two\nlines"\n');
    expect(await all(pathToFileURL(csv).href, { format: 'csv' })).toEqual([
      { features: { a: '1', b: 'two\nlines' }, prediction: undefined, inferenceId: undefined, at: undefined },
    ]);
    expect(await all(pathToFileURL(join(scratch, 'nothing-here')).href, { format: 'csv' })).toEqual([]);
  });

  it('read a file of several reads whole, characters split across reads and chunks included', async () => {
    // Lines of 2-, 3- and 4-byte characters, of lengths that put every offset of a character
    // on the 64 KiB chunk and 1 MiB read boundaries at some point of a 3 MiB file.
    const lines: string[] = [];
    let bytes = 0;
    for (let i = 0; bytes < 3 * MiB; i++) {
      const line = JSON.stringify({ i, text: `é€𝄞${'x'.repeat(i % 7)}`.repeat(1 + (i % 5)) });
      lines.push(line);
      bytes += Buffer.byteLength(line) + 1;
    }
    const path = join(scratch, 'long.jsonl');
    await writeFile(path, `${lines.join('\n')}\n`);
    const reader = readRecords(pathToFileURL(path).href, { format: 'jsonl' });
    let count = 0;
    for await (const record of reader) {
      const expected = JSON.parse(lines[count]!) as { i: number; text: string };
      if (record.features.i !== expected.i || record.features.text !== expected.text)
        throw new Error(`record ${count} read as ${JSON.stringify(record.features)}`);
      count++;
    }
    expect(count).toBe(lines.length);
    expect(reader.stats.bytes).toBe(bytes);
  });

  it('files read one after another and side by side in one thread each read whole', async () => {
    // The read buffers go back for the next file: two files read at once must not share them.
    const files = await Promise.all(
      ['left', 'right'].map(async (name, f) => {
        const lines = Array.from({ length: 12_000 }, (_, i) =>
          JSON.stringify({ f, i, pad: 'y'.repeat(200 + (i % 50)) }),
        );
        const path = join(scratch, `${name}.jsonl`);
        await writeFile(path, `${lines.join('\n')}\n`);
        return { path, lines };
      }),
    );
    const readAll = async ({ path, lines }: { path: string; lines: string[] }) => {
      let count = 0;
      for await (const record of readRecords(pathToFileURL(path).href, { format: 'jsonl' })) {
        const expected = JSON.parse(lines[count]!) as { f: number; i: number; pad: string };
        if (
          record.features.f !== expected.f ||
          record.features.i !== expected.i ||
          record.features.pad !== expected.pad
        )
          throw new Error(`${path} record ${count} read as ${JSON.stringify(record.features).slice(0, 80)}`);
        count++;
      }
      return count;
    };
    for (let round = 0; round < 3; round++) {
      expect(await Promise.all(files.map(readAll))).toEqual([12_000, 12_000]);
      expect(await readAll(files[0]!)).toBe(12_000);
    }
  });

  it('a reader stopped early closes the file, with its read ahead', async () => {
    const path = join(scratch, 'stopped.jsonl');
    const line = JSON.stringify({ text: 'x'.repeat(200) });
    await writeFile(path, `${`${line}\n`.repeat(Math.ceil((3 * MiB) / line.length))}`);
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    for (let round = 0; round < 20; round++) {
      let seen = 0;
      for await (const _ of readRecords(pathToFileURL(path).href, { format: 'jsonl' }))
        if (++seen === 5000) break;
      expect(seen).toBe(5000);
    }
    expect(open()).toBeLessThanOrEqual(before);
  });

  it('are refused with a 400 in aws mode, naming the request field', () => {
    const mode = process.env.STEWARD_MODE;
    process.env.STEWARD_MODE = 'aws';
    resetConfig();
    try {
      const refusal = (() => {
        try {
          readRecords('file:///tmp/data.csv', { format: 'csv', uriPath: 'dataset.uri' });
        } catch (error) {
          return error;
        }
      })();
      expect(refusal).toBeInstanceOf(ValidationError);
      expect(refusal).toMatchObject({
        statusCode: 400,
        errors: [
          { path: 'dataset.uri', message: 'file:// URIs are accepted in local mode only; use an s3:// URI' },
        ],
      });
      expect(() => readLines('file:///tmp/x', { uriPath: 'capture.uri' })).toThrow(ValidationError);
    } finally {
      process.env.STEWARD_MODE = mode;
      resetConfig();
    }
  });

  it('are checked by parseDatasetUri', () => {
    expect(parseDatasetUri('s3://bucket-1/some/prefix/', 'aws')).toEqual({
      scheme: 's3',
      uri: 's3://bucket-1/some/prefix/',
      bucket: 'bucket-1',
      key: 'some/prefix/',
    });
    expect(parseDatasetUri('file:///data/my%20set.csv', 'local')).toMatchObject({
      scheme: 'file',
      path: '/data/my set.csv',
    });
    expect(() => parseDatasetUri('file:///data/x.csv', 'aws')).toThrow(ValidationError);
    expect(() => parseDatasetUri('file://host/data/x.csv', 'local')).toThrow(/file:\/\/\/absolute\/path/);
    expect(() => parseDatasetUri('file:relative.csv', 'local')).toThrow(ValidationError);
    expect(() => parseDatasetUri('https://example.com/x.csv', 'aws')).toThrow('expected an s3:// URI');
    expect(() => parseDatasetUri('s3://Bad_Bucket/x', 'aws')).toThrow(/not an S3 bucket name/);
  });
});

/**
 * s3rver signs its ListObjectsV2 continuation tokens with DES, which Node 20's OpenSSL 3 refuses
 * unless the process runs with `--openssl-legacy-provider` (DESIGN.md, local mode): any listing
 * that does not fit one page (more than 1,000 keys, or fewer with a small MaxKeys) fails with a
 * 500 in the test process's own s3rver. The reader is not bent around that: this test runs an
 * s3rver of its own in a child process started with the flag, and reads from it.
 */
describe('pagination past 1,000 keys', () => {
  let child: ChildProcess | undefined;
  let endpoint = '';

  beforeAll(async () => {
    const script = `
      import S3rver from 's3rver';
      import { mkdtempSync, rmSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      import { join } from 'node:path';
      const directory = mkdtempSync(join(tmpdir(), 'steward-s3-legacy-'));
      const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory,
        configureBuckets: [{ name: ${JSON.stringify(BUCKET)}, configs: [] }] });
      const { port } = await server.run();
      process.stdout.write(JSON.stringify({ port }) + '\\n');
      process.stdin.on('end', async () => { await server.close(); rmSync(directory, { recursive: true, force: true }); process.exit(0); });
      process.stdin.resume();`;
    child = spawn(process.execPath, ['--openssl-legacy-provider', '--input-type=module', '-e', script], {
      cwd: process.cwd(),
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const port = await new Promise<number>((done, fail) => {
      child!.once('error', fail);
      child!.stdout!.once('data', (data: Buffer) => done(JSON.parse(data.toString()).port));
    });
    endpoint = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    if (!child) return;
    const exited = new Promise((done) => child!.once('exit', done));
    child.stdin!.end();
    await exited;
  });

  it('follows ListObjectsV2 continuation tokens over 1,100 objects', async () => {
    const { client, calls } = spiedClient(endpoint);
    const keys = Array.from({ length: 1_100 }, (_, i) => `many/part-${String(i).padStart(5, '0')}.jsonl`);
    for (let i = 0; i < keys.length; i += 50)
      await Promise.all(keys.slice(i, i + 50).map((key, j) => put(key, `{"n": ${i + j}}\n`, {}, client)));
    const reader = readRecords(`s3://${BUCKET}/many/`, { format: 'jsonl', client });
    const seen: number[] = [];
    for await (const batch of reader.batches())
      for (const record of batch) seen.push(record.features.n as number);
    expect(seen).toEqual(keys.map((_, i) => i));
    const listings = calls.filter((c) => c.command === 'ListObjectsV2Command');
    expect(listings).toHaveLength(2);
    expect(listings[1]!.input.ContinuationToken).toEqual(expect.any(String));
    client.destroy();
  });
});

describe('a large object', () => {
  // Its memory (heap and buffers growth while streaming) is a figure of `npm run bench`.
  it('streams a 200 MB capture object to its last record and byte', async () => {
    // A fixed-size line, so the object's length is known before it is generated.
    const line = (i: number) =>
      `${captureLine(`id-${String(i).padStart(9, '0')}`, '2026-11-27T10:00:00.000Z', `${(i % 997) / 7},${i % 13},"q${i % 5}"`.padEnd(60, ' '), '0.50')}\n`;
    const lineBytes = Buffer.byteLength(line(0));
    const count = Math.ceil((200 * MiB) / lineBytes);
    const body = Readable.from(
      (function* () {
        const chunk: string[] = [];
        for (let i = 0; i < count; i++) {
          chunk.push(line(i));
          if (chunk.length === 2000 || i === count - 1) {
            yield Buffer.from(chunk.join(''));
            chunk.length = 0;
          }
        }
      })(),
    );
    await (await s3()).send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'big/capture.jsonl',
        Body: body,
        ContentLength: count * lineBytes,
      }),
    );

    let records = 0;
    const reader = readRecords(`s3://${BUCKET}/big/capture.jsonl`, {
      format: 'sagemaker-capture',
      features: FEATURES,
    });
    for await (const batch of reader.batches()) {
      records += batch.length;
    }
    expect(records).toBe(count);
    expect(reader.stats.bytes).toBe(count * lineBytes);
    expect(reader.stats.bytes).toBeGreaterThan(200 * MiB);
  }, 180_000);
});

describe('parts of an object', () => {
  /** The records and figures of reading `objects` in order (parts or whole objects). */
  const readOf = async (uri: string, objects: ListedObject[], options: Omit<ReadOptions, 'objects'>) => {
    const reader = readRecords(uri, { ...options, objects });
    const records: CaptureRecord[] = [];
    for await (const batch of reader.batches()) records.push(...batch);
    return { records, stats: reader.stats };
  };
  const failureOf = (uri: string, objects: ListedObject[], options: Omit<ReadOptions, 'objects'>) =>
    readOf(uri, objects, options).then(
      () => undefined,
      (error: unknown) => error,
    );

  it('are cut at about equal bytes, at most partBytes each, gzip objects whole', () => {
    const objects = [
      { uri: 'file:///a.jsonl', size: 10 },
      { uri: 'file:///b.jsonl', size: 25 },
      { uri: 'file:///c.jsonl.gz', size: 25 },
      { uri: 'file:///d.jsonl', size: 0 },
    ];
    expect(splitIntoParts(objects, 10)).toEqual([
      { uri: 'file:///a.jsonl', size: 10 },
      { uri: 'file:///b.jsonl', size: 25, start: 0, end: 8 },
      { uri: 'file:///b.jsonl', size: 25, start: 8, end: 17 },
      { uri: 'file:///b.jsonl', size: 25, start: 17, end: 25 },
      { uri: 'file:///c.jsonl.gz', size: 25 },
      { uri: 'file:///d.jsonl', size: 0 },
    ]);
  });

  it('read every line of a file exactly once, whatever the cuts (property)', async () => {
    // Lines of 1- to 4-byte characters, blank lines, CRLF, no final LF, and lines longer than a
    // part (a part that owns no line), cut at every size down to a byte.
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', 'é', '€', '𝄞', '"'), maxLength: 40 });
    const line = fc.oneof(
      { weight: 6, arbitrary: fc.record({ n: fc.integer(), t: text }).map((r) => JSON.stringify(r)) },
      { weight: 1, arbitrary: fc.constantFrom('', '   ') },
    );
    const file = fc.record({
      lines: fc.array(fc.tuple(line, fc.boolean()), { minLength: 1, maxLength: 30 }),
      finalBreak: fc.boolean(),
      partBytes: fc.integer({ min: 1, max: 300 }),
    });
    let round = 0;
    await fc.assert(
      fc.asyncProperty(file, async ({ lines, finalBreak, partBytes }) => {
        const body =
          lines.map(([l, crlf], i) => (i < lines.length - 1 ? `${l}${crlf ? '\r\n' : '\n'}` : l)).join('') +
          (finalBreak ? '\n' : '');
        const path = join(scratch, `parts-${round++}.jsonl`);
        await writeFile(path, body);
        const uri = pathToFileURL(path).href;
        const [whole] = (await listObjects(uri, { format: 'jsonl' })).objects;
        const parts = splitIntoParts([whole!], partBytes);
        const one = await readOf(uri, [whole!], { format: 'jsonl' });
        const cut = await readOf(uri, parts, { format: 'jsonl' });
        expect(cut.records).toEqual(one.records);
        expect(cut.stats).toEqual(one.stats);
        expect(cut.stats).toMatchObject({ objects: 1, bytes: Buffer.byteLength(body) });
        await rm(path);
      }),
      { numRuns: 150 },
    );
  });

  it('name the line of the object in an error, as a whole read does', async () => {
    const good = (i: number) => JSON.stringify({ n: i, t: 'é'.repeat(i % 9) });
    const lines = Array.from({ length: 60 }, (_, i) => (i % 7 === 3 ? '' : good(i)));
    lines[41] = '{"n": 41, "t": ';
    const path = join(scratch, 'parts-bad.jsonl');
    await writeFile(path, lines.join('\r\n'));
    const uri = pathToFileURL(path).href;
    const [whole] = (await listObjects(uri, { format: 'jsonl' })).objects;
    const expected = await failureOf(uri, [whole!], { format: 'jsonl' });
    expect(expected).toMatchObject({ line: 42 });
    for (const partBytes of [7, 64, 300, 1000]) {
      const failure = await failureOf(uri, splitIntoParts([whole!], partBytes), { format: 'jsonl' });
      expect(failure).toBeInstanceOf(DatasetFormatError);
      expect(failure).toMatchObject({ line: 42, message: (expected as Error).message });
    }
    // A line too long, owned by a part that starts after the object's first line.
    const long = [good(0), good(1), JSON.stringify({ n: 2, t: 'x'.repeat(500) }), good(3)].join('\n');
    await writeFile(path, long);
    const failure = await failureOf(uri, splitIntoParts([{ uri, size: Buffer.byteLength(long) }], 100), {
      format: 'jsonl',
      maxLineLength: 200,
    });
    expect(failure).toMatchObject({
      line: 3,
      message: `${uri} line 3: the line is longer than 200 characters`,
    });
  });

  it('read from S3 by ranged GETs, a last line past the range included, gzip by Content-Encoding whole', async () => {
    // Capture lines, one of them 200 KiB: longer than the bytes a part asks for past its end.
    const lines = Array.from({ length: 40 }, (_, i) =>
      captureLine(
        `p${i}`,
        '2026-11-27T10:00:00Z',
        `${i},${i % 3},"${i === 17 ? 'w'.repeat(200 * 1024) : 'v'}"`,
        '0.5',
      ),
    );
    const body = `${lines.join('\n')}\n`;
    await put('parts/capture.jsonl', body);
    await put('parts/encoded.jsonl', gzipSync(body), { ContentEncoding: 'gzip' });
    const options = { format: 'sagemaker-capture' as const, features: FEATURES };
    for (const key of ['parts/capture.jsonl', 'parts/encoded.jsonl']) {
      const uri = `s3://${BUCKET}/${key}`;
      const { objects } = await listObjects(uri, { format: 'sagemaker-capture' });
      const one = await readOf(uri, objects, options);
      expect(one.records).toHaveLength(40);
      const size = objects[0]!.size;
      for (const partBytes of [1000, Math.ceil(size / 7), Math.ceil(size / 2)]) {
        const parts = splitIntoParts(objects, partBytes);
        expect(parts.length).toBeGreaterThan(1);
        const cut = await readOf(uri, parts, options);
        expect(cut.records).toEqual(one.records);
        expect(cut.stats).toEqual(one.stats);
      }
    }
  });
});
