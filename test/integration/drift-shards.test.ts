import { PutObjectCommand } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listObjects } from '#adapters/dataset-reader';
import { s3 } from '#commons/s3';
import { BaselineBuilder, type BaselineProfile } from '#domain/drift/profile';
import { Xoshiro128 } from '#domain/drift/random';
import { driftReport } from '#domain/drift/report';
import { ARTIFACTS_BUCKET, type LocalSystem, startLocalSystem } from '#local/system';
import {
  mergeShards,
  type ShardTask,
  SharedRanges,
  splitObjects,
  startShardWorkers,
  summariseRanges,
  summariseShard,
  summariseWithWorkers,
} from '#services/drift-shards';

/**
 * A window's capture objects on local S3 summarised in worker threads (each a run of consecutive
 * objects) and merged: the same summary and report as one pass in this thread.
 */
let system: LocalSystem;
const FEATURES = ['a', 'b', 'colour'];
const FROM = '2026-11-27T10:00:00Z';
const TO = '2026-11-27T13:00:00Z';

const line = (id: string, time: string, cells: string, score: string) =>
  JSON.stringify({
    captureData: {
      endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: cells, encoding: 'CSV' },
      endpointOutput: { observedContentType: 'text/csv', mode: 'OUTPUT', data: score, encoding: 'CSV' },
    },
    eventMetadata: { eventId: id, inferenceTime: time },
    eventVersion: '0',
  });

let baseline: BaselineProfile;

/** The window's capture objects under `uri`, listed as a run lists them, as a shard task. */
const windowTask = async (uri: string, predictions: boolean): Promise<ShardTask> => {
  const { objects } = await listObjects(uri, {
    format: 'sagemaker-capture',
    from: new Date(FROM),
    to: new Date(TO),
  });
  return { uri, baseline, format: 'sagemaker-capture', from: FROM, to: TO, objects, predictions };
};

beforeAll(async () => {
  system = await startLocalSystem();
  const random = new Xoshiro128(7);
  const colours = ['red', 'green', 'blue', 'teal'];
  const builder = new BaselineBuilder({
    features: FEATURES,
    kinds: { colour: 'categorical' },
    prediction: 'score',
  });
  for (let i = 0; i < 500; i++)
    builder.addRecord({
      a: random.nextDouble() * 10,
      b: Math.floor(random.nextDouble() * 5),
      colour: colours[i % 3],
      score: random.nextDouble(),
    });
  baseline = builder.finish();
  // Six objects over three hours (plus the hour before), records on both sides of the window.
  let n = 0;
  for (const hour of ['09', '10', '11', '12'])
    for (const part of [0, 1]) {
      if (hour === '09' && part === 1) continue;
      const lines: string[] = [];
      for (let i = 0; i < 150; i++) {
        const minute = String(Math.floor(i / 3)).padStart(2, '0');
        const h = hour === '09' && i % 2 === 0 ? '10' : hour;
        const cells = `${(random.nextDouble() * 11).toFixed(3)},${Math.floor(random.nextDouble() * 6)},${colours[Math.floor(random.nextDouble() * 4)]}`;
        lines.push(
          line(`e${n++}`, `2026-11-27T${h}:${minute}:0${part}Z`, cells, random.nextDouble().toFixed(4)),
        );
      }
      const body = `${lines.join('\n')}\n`;
      await (await s3()).send(
        new PutObjectCommand({
          Bucket: ARTIFACTS_BUCKET,
          Key: `shards/ep/AllTraffic/2026/11/27/${hour}/part-${part}.jsonl`,
          Body: body,
          ContentLength: Buffer.byteLength(body),
        }),
      );
    }
}, 120_000);

afterAll(async () => {
  await system?.close();
});

describe('drift shards in worker threads', () => {
  it('merge to the summary and report of one pass', async () => {
    const task = await windowTask(`s3://${ARTIFACTS_BUCKET}/shards/ep/AllTraffic/`, true);
    expect(task.objects).toHaveLength(7);
    expect(task.objects.every((o) => o.size > 0)).toBe(true);
    const one = await summariseShard(task);
    const three = await summariseWithWorkers(task, 3);
    // The threads that read something: the workers load the sources with tsx here, slower than
    // this thread reads seven small objects, which may leave them nothing.
    expect(three.workers).toBeGreaterThanOrEqual(1);
    expect(three.workers).toBeLessThanOrEqual(3);
    expect(three.window).toEqual(one.window);
    expect(three.predictions).toEqual(one.predictions);
    expect(three.stats).toEqual(one.stats);
    expect(three.figures).toBeUndefined();
    expect(one.stats.outsideWindow).toBeGreaterThan(0);
    expect(one.stats.records).toBeGreaterThan(0);
    expect(driftReport(baseline, three.window)).toEqual(driftReport(baseline, one.window));
    // The features merged and their figures computed over the three threads: the same report.
    const shared = await summariseWithWorkers(task, 3, { figures: true });
    expect(shared.window).toEqual(one.window);
    expect(shared.figures?.features.map((f) => f.name)).toEqual([...FEATURES]);
    expect(shared.figures?.prediction?.name).toBe('score');
    expect(driftReport(baseline, shared.window, {}, shared.figures)).toEqual(
      driftReport(baseline, one.window),
    );
  });

  it('threads sharing objects by parts merge to the summary of one pass', async () => {
    const task = await windowTask(`s3://${ARTIFACTS_BUCKET}/shards/ep/AllTraffic/`, true);
    const one = await summariseShard(task);
    const parts = await summariseWithWorkers(task, 3, { partBytes: 5000, figures: true });
    // Each object of about 40 KB read as parts of at most 5,000 bytes, by ranged GETs.
    expect(parts.timing.shards.reduce((total, s) => total + s.objects, 0)).toBeGreaterThan(8 * 7);
    expect(parts.window).toEqual(one.window);
    expect(parts.predictions).toEqual(one.predictions);
    expect(parts.stats).toEqual(one.stats);
    expect(driftReport(baseline, parts.window, {}, parts.figures)).toEqual(driftReport(baseline, one.window));
  });

  it('a line it cannot read in a part is named by its line in the object', async () => {
    const lines = Array.from({ length: 120 }, (_, i) =>
      line(`bad${i}`, `2026-11-27T11:${String(i % 60).padStart(2, '0')}:00Z`, `${i},1,red`, '0.5'),
    );
    lines[93] = '{"captureData": 5}';
    const body = `${lines.join('\n')}\n`;
    await (await s3()).send(
      new PutObjectCommand({
        Bucket: ARTIFACTS_BUCKET,
        Key: 'shards-bad/ep/AllTraffic/2026/11/27/11/part-0.jsonl',
        Body: body,
        ContentLength: Buffer.byteLength(body),
      }),
    );
    const task = await windowTask(`s3://${ARTIFACTS_BUCKET}/shards-bad/ep/AllTraffic/`, false);
    const alone = await summariseShard(task).catch((error: unknown) => error);
    expect(alone).toMatchObject({ line: 94, statusCode: 422 });
    const shared = await summariseWithWorkers(task, 2, { partBytes: 4000 }).catch((error: unknown) => error);
    expect(shared).toMatchObject({ line: 94, statusCode: 422, message: (alone as Error).message });
  });

  it('workers started ahead of the task give the same summary, and say when each phase ended', async () => {
    const pool = startShardWorkers(2);
    const task = await windowTask(`s3://${ARTIFACTS_BUCKET}/shards/ep/AllTraffic/`, true);
    const { objects } = task;
    const two = await summariseWithWorkers(task, 2, { pool, figures: true }).finally(() => pool.close());
    const one = await summariseShard(task);
    expect([1, 2]).toContain(two.workers);
    expect(two.window).toEqual(one.window);
    expect(two.predictions).toEqual(one.predictions);
    expect(two.stats).toEqual(one.stats);
    expect(driftReport(baseline, two.window, {}, two.figures)).toEqual(driftReport(baseline, one.window));
    const [main, worker] = two.timing.shards;
    expect(main).toMatchObject({ thread: 'main' });
    expect(worker).toMatchObject({ thread: 'worker' });
    expect(two.timing.shards.reduce((total, s) => total + s.objects, 0)).toBe(objects.length);
    expect(two.timing.shards.reduce((total, s) => total + s.bytes, 0)).toBe(
      objects.reduce((total, o) => total + o.size, 0),
    );
    // Compared within a thread only (each thread's clock has its own origin).
    for (const s of two.timing.shards) {
      expect(s.loaded).toBeLessThanOrEqual(s.ready);
      expect(s.ready).toBeLessThanOrEqual(s.summarised);
      expect(s.received).toBeLessThanOrEqual(two.timing.merged);
    }
    expect(main!.spawned).toBeLessThanOrEqual(main!.summarised);
  });

  it('splits objects into consecutive runs of about equal bytes', () => {
    const objects = [5, 1, 1, 1, 1, 1, 5, 5].map((size, i) => ({ uri: `s3://b/k${i}`, size }));
    const runs = splitObjects(objects, 3);
    expect(runs.flat()).toEqual(objects);
    expect(runs.map((run) => run.reduce((t, o) => t + o.size, 0))).toEqual([7, 8, 5]);
    expect(splitObjects(objects.slice(0, 2), 5)).toHaveLength(2);
    expect(splitObjects([], 4)).toEqual([]);
  });

  it('a thread takes the back half of the largest range left once its own is done', () => {
    const objects = [4, 4, 4, 4, 4, 4, 4, 4].map((size, i) => ({ uri: `s3://b/k${i}`, size }));
    const ranges = SharedRanges.share(objects, splitObjects(objects, 2), 2);
    const claims = (thread: number) => {
      const taken: number[] = [];
      for (let i = ranges.claim(thread); i !== undefined; i = ranges.claim(thread)) taken.push(i);
      return taken;
    };
    expect(ranges.claim(1)).toBe(4);
    expect(claims(0)).toEqual([0, 1, 2, 3]);
    // Thread 1 is on object 4: 5..7 are left, and thread 0 takes the back half of their bytes.
    expect(ranges.steal(0)).toBe(true);
    expect(claims(0)).toEqual([6, 7]);
    expect(claims(1)).toEqual([5]);
    expect(ranges.steal(0)).toBe(false);
    expect(ranges.steal(1)).toBe(false);
    // A last object is taken whole; by bytes, one large object is half of a range.
    const sized = [1, 1, 1, 1, 12].map((size, i) => ({ uri: `s3://b/s${i}`, size }));
    const other = SharedRanges.share(sized, [sized.slice(0, 1), sized.slice(1)], 2);
    expect(other.claim(0)).toBe(0);
    expect(other.claim(0)).toBeUndefined();
    expect(other.steal(0)).toBe(true);
    expect(other.claim(0)).toBe(4);
    expect(other.claim(0)).toBeUndefined();
    expect(other.claim(1)).toBe(1);
    expect(other.steal(0)).toBe(true);
    expect(other.claim(0)).toBe(3);
    expect(other.claim(1)).toBe(2);
    expect(other.claim(1)).toBeUndefined();
  });

  it('threads claiming and stealing in any interleaving read every object once, in consecutive runs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 400 }),
        (sizes, threads, schedule) => {
          const objects = sizes.map((size, i) => ({ uri: `s3://b/k${i}`, size }));
          const ranges = SharedRanges.share(objects, splitObjects(objects, threads), threads);
          // Each thread's runs (a new one after each steal); a thread with nothing left stops.
          const runs: number[][][] = Array.from({ length: threads }, () => [[]]);
          const stopped = new Set<number>();
          const step = (thread: number) => {
            const claimed = ranges.claim(thread);
            if (claimed !== undefined) runs[thread]!.at(-1)!.push(claimed);
            else if (ranges.steal(thread)) runs[thread]!.push([]);
            else stopped.add(thread);
          };
          for (const pick of schedule) if (stopped.size < threads) step(pick % threads);
          for (let thread = 0; thread < threads; thread++) while (!stopped.has(thread)) step(thread);
          const all = runs.flat(2).sort((a, b) => a - b);
          expect(all).toEqual(objects.map((_, i) => i));
          for (const run of runs.flat())
            run.forEach((index, i) => {
              if (i > 0) expect(index).toBe(run[i - 1]! + 1);
            });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a thread alone reads the others' ranges in stolen runs, which merged in order give one pass", async () => {
    const task = await windowTask(`s3://${ARTIFACTS_BUCKET}/shards/ep/AllTraffic/`, true);
    const { objects } = task;
    // Three threads' ranges, the other two never started: thread 0 steals their objects run by run.
    const ranges = SharedRanges.share(objects, splitObjects(objects, 3), 3);
    const pieces = await summariseRanges(task, ranges, 0);
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    expect(pieces.map((p) => p.first)).not.toEqual([...pieces.map((p) => p.first)].sort((a, b) => a - b));
    const inOrder = [...pieces].sort((a, b) => a.first - b.first);
    expect(inOrder.reduce((total, p) => total + p.objects, 0)).toBe(objects.length);
    inOrder.forEach((p, i) => {
      if (i > 0) expect(p.first).toBe(inOrder[i - 1]!.first + inOrder[i - 1]!.objects);
    });
    const merged = inOrder.map((p) => p.summary).reduce((a, b) => mergeShards(a, b, baseline));
    const one = await summariseShard(task);
    expect(merged.window).toEqual(one.window);
    expect(merged.predictions).toEqual(one.predictions);
    expect(merged.stats).toEqual(one.stats);
    expect(await summariseRanges(task, ranges, 1)).toEqual([]);
  });

  it('a capture line that cannot be read fails the run with the object and line named', async () => {
    const key = 'broken/ep/AllTraffic/2026/11/27/10/part-0.jsonl';
    const body = `${line('x1', '2026-11-27T10:00:00Z', '1,2,red', '0.5')}\n{"captureData": 5}\n`;
    await (await s3()).send(
      new PutObjectCommand({ Bucket: ARTIFACTS_BUCKET, Key: key, Body: body, ContentLength: body.length }),
    );
    const good = 'broken/ep/AllTraffic/2026/11/27/11/part-0.jsonl';
    const goodBody = `${line('x2', '2026-11-27T11:00:00Z', '1,2,red', '0.5')}\n`;
    await (await s3()).send(
      new PutObjectCommand({
        Bucket: ARTIFACTS_BUCKET,
        Key: good,
        Body: goodBody,
        ContentLength: goodBody.length,
      }),
    );
    const task = await windowTask(`s3://${ARTIFACTS_BUCKET}/broken/ep/AllTraffic/`, false);
    await expect(summariseWithWorkers(task, 2)).rejects.toMatchObject({
      name: 'DatasetFormatError',
      object: `s3://${ARTIFACTS_BUCKET}/${key}`,
      line: 2,
    });
  });
});
