import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { readRecords } from '#adapters/dataset-reader';
import { s3 } from '#commons/s3';
import { ARTIFACTS_BUCKET, startLocalSystem } from '#local/system';
import { heading, marker, print, type TargetResult, table } from './report.ts';

/**
 * Memory of the dataset reader, in local mode in this process: a 200 MiB SageMaker capture object
 * in local S3, read through `readRecords` as the drift job reads it. Heap and array buffers are
 * sampled two ways: raw (garbage included, every 5,000 records, against the level before reading)
 * and retained (after a full collection, every 50,000 records, against the first such sample).
 * Targets: raw growth under 64 MiB, retained growth under 16 MiB: the reader streams, it never
 * holds the object. (These figures were assertions of test/integration/dataset-reader.test.ts.)
 */
export interface ReaderMemory {
  objectMiB: number;
  records: number;
  rawGrowthMiB: number;
  retainedGrowthMiB: number;
  readSeconds: number;
}

const MiB = 1024 * 1024;
const OBJECT_MIB = 200;
const RAW_TARGET_MIB = 64;
const RETAINED_TARGET_MIB = 16;
const KEY = 'bench/reader-memory/capture.jsonl';

/** A capture line of fixed length for record `i`, so the object's size is known before it is made. */
const captureLine = (i: number): string => {
  const id = `id-${String(i).padStart(9, '0')}`;
  const line = JSON.stringify({
    captureData: {
      endpointInput: {
        observedContentType: 'text/csv',
        mode: 'INPUT',
        data: `${(i % 997) / 7},${i % 13},"q${i % 5}"`.padEnd(60, ' '),
        encoding: 'CSV',
      },
      endpointOutput: {
        observedContentType: 'text/csv; charset=utf-8',
        mode: 'OUTPUT',
        data: '0.50',
        encoding: 'CSV',
      },
    },
    eventMetadata: { eventId: `e-${id}`, inferenceId: id, inferenceTime: '2026-11-27T10:00:00.000Z' },
    eventVersion: '0',
  });
  return `${line}\n`;
};

export const measureReaderMemory = async (): Promise<ReaderMemory> => {
  const system = await startLocalSystem();
  try {
    const lineBytes = Buffer.byteLength(captureLine(0));
    const count = Math.ceil((OBJECT_MIB * MiB) / lineBytes);
    const body = Readable.from(
      (function* () {
        const chunk: string[] = [];
        for (let i = 0; i < count; i++) {
          chunk.push(captureLine(i));
          if (chunk.length === 2000 || i === count - 1) {
            yield Buffer.from(chunk.join(''));
            chunk.length = 0;
          }
        }
      })(),
    );
    await (await s3()).send(
      new PutObjectCommand({
        Bucket: ARTIFACTS_BUCKET,
        Key: KEY,
        Body: body,
        ContentLength: count * lineBytes,
      }),
    );

    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const inUse = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    gc();
    const start = inUse();
    let rawGrowth = 0;
    let first: number | undefined;
    let retainedGrowth = 0;
    let records = 0;
    let nextRaw = 0;
    let nextRetained = 0;
    const started = performance.now();
    const reader = readRecords(`s3://${ARTIFACTS_BUCKET}/${KEY}`, {
      format: 'sagemaker-capture',
      features: ['a', 'b', 'c'],
    });
    for await (const batch of reader.batches()) {
      records += batch.length;
      if (records >= nextRaw) {
        rawGrowth = Math.max(rawGrowth, inUse() - start);
        nextRaw += 5_000;
      }
      if (records >= nextRetained) {
        gc();
        const retained = inUse();
        first ??= retained;
        retainedGrowth = Math.max(retainedGrowth, retained - first);
        nextRetained += 50_000;
      }
    }
    const readSeconds = (performance.now() - started) / 1000;
    // A figure of a reader that lost records would mean nothing: that is a crash, not a finding.
    if (records !== count || reader.stats.bytes !== count * lineBytes)
      throw new Error(`the reader gave ${records} of ${count} records, ${reader.stats.bytes} bytes`);
    return {
      objectMiB: reader.stats.bytes / MiB,
      records,
      rawGrowthMiB: rawGrowth / MiB,
      retainedGrowthMiB: retainedGrowth / MiB,
      readSeconds,
    };
  } finally {
    await system.close();
  }
};

export const readerMemoryTargets = (m: ReaderMemory): TargetResult[] => [
  {
    figure: `dataset reader over ${m.objectMiB.toFixed(0)} MiB: raw heap+buffers growth`,
    value: `${m.rawGrowthMiB.toFixed(1)} MiB`,
    target: `< ${RAW_TARGET_MIB} MiB`,
    marker: marker(m.rawGrowthMiB < RAW_TARGET_MIB),
  },
  {
    figure: `dataset reader over ${m.objectMiB.toFixed(0)} MiB: retained heap+buffers growth`,
    value: `${m.retainedGrowthMiB.toFixed(1)} MiB`,
    target: `< ${RETAINED_TARGET_MIB} MiB`,
    marker: marker(m.retainedGrowthMiB < RETAINED_TARGET_MIB),
  },
];

export const printReaderMemory = (m: ReaderMemory): void => {
  print(heading('Dataset reader memory (a capture object in local S3, streamed)'));
  print(
    table(
      [
        { title: 'figure' },
        { title: 'value', align: 'right' },
        { title: 'target', align: 'right' },
        { title: '' },
      ],
      [
        ...readerMemoryTargets(m).map((t) => [t.figure, t.value, t.target, t.marker]),
        ['records read', m.records.toLocaleString('en-US'), '-', ''],
        [
          'read rate (with the collections of the sampling)',
          `${(m.objectMiB / m.readSeconds).toFixed(1)} MiB/s`,
          '-',
          '',
        ],
      ],
    ),
  );
};
