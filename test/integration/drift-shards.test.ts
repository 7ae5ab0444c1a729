import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listObjects } from '#adapters/dataset-reader';
import { s3 } from '#commons/s3';
import { BaselineBuilder, type BaselineProfile } from '#domain/drift/profile';
import { Xoshiro128 } from '#domain/drift/random';
import { driftReport } from '#domain/drift/report';
import { ARTIFACTS_BUCKET, type LocalSystem, startLocalSystem } from '#local/system';
import {
  FrontRun,
  type ShardTask,
  splitObjects,
  startShardWorkers,
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
    const uri = `s3://${ARTIFACTS_BUCKET}/shards/ep/AllTraffic/`;
    const { objects } = await listObjects(uri, {
      format: 'sagemaker-capture',
      from: new Date(FROM),
      to: new Date(TO),
    });
    expect(objects).toHaveLength(7);
    expect(objects.every((o) => o.size > 0)).toBe(true);
    const task: ShardTask = {
      uri,
      baseline,
      format: 'sagemaker-capture',
      from: FROM,
      to: TO,
      objects,
      predictions: true,
    };
    const one = await summariseShard(task);
    const three = await summariseWithWorkers(task, 3);
    expect(three.workers).toBe(3);
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

  it('workers started ahead of the task give the same summary, and say when each phase ended', async () => {
    const uri = `s3://${ARTIFACTS_BUCKET}/shards/ep/AllTraffic/`;
    const pool = startShardWorkers(2);
    const { objects } = await listObjects(uri, {
      format: 'sagemaker-capture',
      from: new Date(FROM),
      to: new Date(TO),
    });
    const task: ShardTask = {
      uri,
      baseline,
      format: 'sagemaker-capture',
      from: FROM,
      to: TO,
      objects,
      predictions: true,
    };
    const two = await summariseWithWorkers(task, 2, { pool, figures: true }).finally(() => pool.close());
    const one = await summariseShard(task);
    expect(two.workers).toBe(2);
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

  it('shares out the objects this thread has not begun once the workers are ready', () => {
    const objects = [4, 4, 4, 4, 4, 4, 4, 4].map((size, i) => ({ uri: `s3://b/k${i}`, size }));
    // Begun on object 1 of its first share (0..3): objects 1..7 split again in 2, the first its own.
    const reading = new FrontRun(objects, 4);
    const taken = reading[Symbol.iterator]();
    taken.next();
    taken.next();
    const theirs = reading.share(1);
    expect(theirs).toEqual([objects.slice(5)]);
    const rest: string[] = [];
    for (let step = taken.next(); !step.done; step = taken.next()) rest.push(step.value.uri);
    expect(rest).toEqual(['s3://b/k2', 's3://b/k3', 's3://b/k4']);
    expect(reading.read()).toEqual(objects.slice(0, 5));
    // Its share read before the workers were ready: theirs as they were, split among them.
    const early = new FrontRun(objects, 2);
    expect([...early]).toEqual(objects.slice(0, 2));
    expect(early.share(2)).toEqual([objects.slice(2, 5), objects.slice(5)]);
    expect(early.read()).toEqual(objects.slice(0, 2));
    // Too few objects left for every worker: fewer runs.
    const late = new FrontRun(objects, 8);
    const all = late[Symbol.iterator]();
    for (let i = 0; i < 7; i++) all.next();
    expect(late.share(3)).toEqual([[objects[7]]]);
    expect(all.next().done).toBe(true);
    expect(late.read()).toEqual(objects.slice(0, 7));
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
    const uri = `s3://${ARTIFACTS_BUCKET}/broken/ep/AllTraffic/`;
    const { objects } = await listObjects(uri, {
      format: 'sagemaker-capture',
      from: new Date(FROM),
      to: new Date(TO),
    });
    const task: ShardTask = {
      uri,
      baseline,
      format: 'sagemaker-capture',
      from: FROM,
      to: TO,
      objects,
      predictions: false,
    };
    await expect(summariseWithWorkers(task, 2)).rejects.toMatchObject({
      name: 'DatasetFormatError',
      object: `s3://${ARTIFACTS_BUCKET}/${key}`,
      line: 2,
    });
  });
});
