import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '#local/events';
import { type Api, startApi } from './local-api.ts';
import { createModel, tableClient } from './registry-fixtures.ts';

/**
 * An event exists exactly when its audit item committed, across a crash too: the write is
 * acknowledged before its event is appended to events.jsonl, so a kill -9 can leave the file short
 * (or with a torn last line); the next start delivers what the file lacks, as a stream would.
 */
const MODELS = ['events-restart-a', 'events-restart-b'];

let dataDir: string;
let api: Api | undefined;
/** Every event the first run emitted, in the order it emitted them. */
let before: DomainEvent[] = [];

const file = () => join(dataDir, 'events.jsonl');
const eventsFile = async (): Promise<DomainEvent[]> =>
  (await readFile(file(), 'utf8'))
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as DomainEvent);
const allEvents = async (): Promise<DomainEvent[]> => {
  const res = await api!.call('GET', '/local/events');
  expect(res.status).toBe(200);
  return res.body as DomainEvent[];
};
const restart = async () => {
  await api?.close();
  api = await startApi({ dataDir });
};
/** model and seq of every audit item committed in the table, read with the real SDK client. */
const committed = async (): Promise<string[]> => {
  const doc = tableClient(api!.system);
  const keys: string[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: 'steward',
        FilterExpression: 'entity = :audit',
        ExpressionAttributeValues: { ':audit': 'audit' },
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) keys.push(`${item.model}#${item.seq}`);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  doc.destroy();
  return keys.sort();
};
const keysOf = (events: DomainEvent[]) => events.map((e) => `${e.detail.model}#${e.detail.seq}`);
const withoutId = ({ id: _id, ...rest }: DomainEvent) => rest;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'steward-events-restart-'));
  api = await startApi({ dataDir });
  for (const name of MODELS) {
    await createModel(api, name);
    for (const description of ['one', 'two', 'three']) {
      const res = await api.call('PATCH', `/v1/models/${name}`, { body: { description } });
      expect(res.status, res.text).toBe(200);
    }
  }
  before = await allEvents();
  expect(before.filter((e) => MODELS.includes(e.detail.model))).toHaveLength(8);
  await api.close();
  api = undefined;
});

afterAll(async () => {
  await api?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('domain events across a restart', () => {
  it('adds nothing after a clean stop', async () => {
    // Act
    await restart();

    // Assess
    expect(await allEvents()).toEqual(before);
    expect(await eventsFile()).toEqual(before);
  });

  it('delivers the events a crash kept out of events.jsonl, once each, in order, with the same fields', async () => {
    // Prepare: the crash kept the last three appends off the disk and tore the one before them.
    await api?.close();
    api = undefined;
    const lines = (await readFile(file(), 'utf8')).split('\n').filter((line) => line.trim());
    const kept = lines.length - 4;
    await writeFile(file(), `${lines.slice(0, kept).join('\n')}\n${lines[kept]!.slice(0, 40)}`);

    // Act
    await restart();

    // Assess
    const after = await allEvents();
    expect(keysOf(after).sort()).toEqual(await committed());
    expect(new Set(keysOf(after)).size).toBe(after.length);
    expect(after.map(withoutId)).toEqual(before.map(withoutId));
    expect(after.slice(0, kept)).toEqual(before.slice(0, kept));
    for (const name of MODELS) {
      const seqs = after.filter((e) => e.detail.model === name).map((e) => Number(e.detail.seq));
      expect(seqs).toEqual([1, 2, 3, 4]);
    }
    expect(await eventsFile()).toEqual(after);
  });

  it('keeps emitting new writes once each after the reconcile, and a further restart adds nothing', async () => {
    // Act
    const res = await api!.call('PATCH', `/v1/models/${MODELS[0]}`, { body: { description: 'four' } });
    expect(res.status, res.text).toBe(200);
    const live = await allEvents();
    await restart();

    // Assess
    const after = await allEvents();
    expect(after).toEqual(live);
    expect(keysOf(after).sort()).toEqual(await committed());
    expect(after.at(-1)?.detail).toMatchObject({ model: MODELS[0], seq: '5', action: 'model.updated' });
    expect(await eventsFile()).toEqual(after);
  });

  it('goes on when an append fails, and the next start writes the events it could not', async () => {
    // Prepare: events.jsonl cannot be appended to (a directory stands in its place).
    const saved = join(dataDir, 'events.saved');
    await rename(file(), saved);
    await mkdir(file());
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);

    // Act: two writes commit while their events cannot be appended.
    for (const description of ['five', 'six']) {
      const res = await api!.call('PATCH', `/v1/models/${MODELS[1]}`, { body: { description } });
      expect(res.status, res.text).toBe(200);
    }
    await api!.system.events.flush();
    const live = await allEvents();
    const failed = api!.system.events.failedAppends;
    await new Promise((resolve) => setTimeout(resolve, 50));
    process.off('unhandledRejection', onUnhandled);
    await api!.close();
    api = undefined;
    await rm(file(), { recursive: true });
    await rename(saved, file());
    await restart();

    // Assess
    expect(unhandled).toEqual([]);
    expect(failed).toBe(2);
    expect(keysOf(live).slice(-2)).toEqual([`${MODELS[1]}#5`, `${MODELS[1]}#6`]);
    const after = await allEvents();
    expect(keysOf(after).sort()).toEqual(await committed());
    expect(after.map(withoutId)).toEqual(live.map(withoutId));
    expect(await eventsFile()).toEqual(after);
  });
});
