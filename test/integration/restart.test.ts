import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '#domain/audit';
import { type Api, startApi } from './local-api.ts';
import {
  auditOf,
  createModel,
  download,
  eventsOf,
  publishVersion,
  registerVersion,
  tableClient,
} from './registry-fixtures.ts';

/**
 * Local mode keeps its state under the data dir: a second system on the same directory finds
 * everything the first one wrote, the artifact bytes and the domain events included.
 */
const MODEL = 'restart-model';
const bytes = randomBytes(64 * 1024);

let dataDir: string;
let first: Api | undefined;
let second: Api | undefined;
const before: {
  model?: Record<string, unknown>;
  version?: Record<string, unknown>;
  events?: unknown[];
  cursor?: string;
} = {};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'steward-restart-'));
  first = await startApi({ dataDir });
  await createModel(first, MODEL, { description: 'survives restarts', tags: { team: 'ops' } });
  await createModel(first, `${MODEL}-2`);
  await publishVersion(first, MODEL, bytes);
  await registerVersion(first, MODEL, randomBytes(10));
  expect(
    (await first.call('PUT', `/v1/models/${MODEL}/aliases/champion`, { body: { version: 1 } })).status,
  ).toBe(200);
  before.model = (await first.call('GET', `/v1/models/${MODEL}`)).body;
  before.version = (await first.call('GET', `/v1/models/${MODEL}/versions/1`)).body;
  before.events = await eventsOf(first, MODEL);
  before.cursor = (await first.call('GET', `/v1/models?prefix=${MODEL}&limit=1`)).body.nextCursor;
  await first.close();
  first = undefined;

  second = await startApi({ dataDir });
});

afterAll(async () => {
  await first?.close();
  await second?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a restart on the same data dir', () => {
  it('keeps the model with its alias', async () => {
    // Act
    const res = await second!.call('GET', `/v1/models/${MODEL}`);

    // Assess
    expect(res.status).toBe(200);
    expect(res.body).toEqual(before.model);
    expect(res.body).toMatchObject({
      description: 'survives restarts',
      latestVersion: 2,
      aliases: { champion: 1 },
    });
  });

  it('keeps the READY version and the alias resolving to it', async () => {
    // Act
    const version = await second!.call('GET', `/v1/models/${MODEL}/versions/1`);
    const alias = await second!.call('GET', `/v1/models/${MODEL}/aliases/champion`);

    // Assess
    expect(version.status).toBe(200);
    expect(version.body).toEqual(before.version);
    expect(version.body.status).toBe('READY');
    expect(alias.status).toBe(200);
    expect(alias.body).toMatchObject({ version: 1, status: 'READY' });
  });

  it('keeps the artifact: the download is byte for byte what was uploaded', async () => {
    // Act
    const downloaded = await download(second!, MODEL, 1);

    // Assess
    expect(downloaded.equals(bytes)).toBe(true);
  });

  it('keeps the domain events', async () => {
    // Act
    const events = await eventsOf(second!, MODEL);

    // Assess
    expect(events).toEqual(before.events);
    expect(events.map((e) => e['detail-type'])).toEqual([
      'model.created',
      'version.registered',
      'version.committed',
      'version.registered',
      'alias.set',
    ]);
  });

  it('honours a list cursor issued before the restart', async () => {
    // Act
    const res = await second!.call(
      'GET',
      `/v1/models?prefix=${MODEL}&limit=1&cursor=${encodeURIComponent(before.cursor!)}`,
    );

    // Assess
    expect(res.status, res.text).toBe(200);
    expect(res.body.items.map((m: { name: string }) => m.name)).toEqual([`${MODEL}-2`]);
  });

  it('carries on where it stopped: the next version is 3 and the audit chain still verifies', async () => {
    // Prepare
    const doc = tableClient(second!.system);

    // Act
    const next = await publishVersion(second!, MODEL);
    const audit = await auditOf(doc, MODEL);
    doc.destroy();

    // Assess
    expect(next.version).toBe(3);
    expect(verifyChain(audit)).toEqual({ valid: true, events: 7 });
    const events = await eventsOf(second!, MODEL);
    expect(events.slice(0, 5)).toEqual(before.events);
    expect(events.slice(5).map((e) => e['detail-type'])).toEqual(['version.registered', 'version.committed']);
  });
});
