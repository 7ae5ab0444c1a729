import { randomBytes } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '#domain/audit';
import { type Api, startApi } from './local-api.ts';
import {
  auditOf,
  commit,
  createModel,
  eventsOf,
  publishVersion,
  putArtifact,
  registerVersion,
  sha256,
  tableClient,
  uniqueName,
} from './registry-fixtures.ts';

/**
 * The invariants DESIGN.md asks of parallel writers on one model: version numbers 1..n without
 * gaps or repeats, and an audit chain that verifies from its first event, one event per change.
 */
let api: Api;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  // These tests check invariants under contention, not latency: a generous simulated function
  // timeout keeps a loaded machine from turning slowness into 502s (the time is npm run bench's).
  api = await startApi({ functionTimeoutMs: 300_000 });
  doc = tableClient(api.system);
});

afterAll(async () => {
  doc?.destroy();
  await api?.close();
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('parallel writers on one model', () => {
  it('numbers 50 concurrent registrations 1..50, each with one audit event in a valid chain', async () => {
    // Prepare
    const name = uniqueName('race');
    await createModel(api, name);
    const bodies = range(50).map(() => {
      const bytes = randomBytes(16);
      return { artifact: { sha256: sha256(bytes), sizeBytes: bytes.length } };
    });

    // Act
    const responses = await Promise.all(
      bodies.map((body) => api.call('POST', `/v1/models/${name}/versions`, { body })),
    );

    // Assess: every request got its own number, and together they are 1..50
    for (const res of responses) expect(res.status, res.text).toBe(201);
    const numbers = responses.map((r) => r.body.version as number);
    expect([...numbers].sort((a, b) => a - b)).toEqual(range(50));
    // ...each number stands for the artifact its request registered
    for (const [i, res] of responses.entries())
      expect(res.body.artifact.sha256).toBe(bodies[i]!.artifact.sha256);

    const model = await api.call('GET', `/v1/models/${name}`);
    expect(model.body.latestVersion).toBe(50);
    const listed = await api.call('GET', `/v1/models/${name}/versions?limit=100`);
    expect(listed.body.items.map((v: { version: number }) => v.version)).toEqual(range(50).reverse());

    const audit = await auditOf(doc, name);
    expect(audit.map((e) => e.seq)).toEqual(range(51));
    expect(audit[0]!.action).toBe('model.created');
    const registered = audit.filter((e) => e.action === 'version.registered');
    expect(registered.map((e) => e.target).sort()).toEqual(
      range(50)
        .map((n) => `version:${name}:${n}`)
        .sort(),
    );
    for (let i = 1; i < audit.length; i++) expect(audit[i]!.prevHash).toBe(audit[i - 1]!.hash);
    expect(verifyChain(audit)).toEqual({ valid: true, events: 51 });

    const events = await eventsOf(api, name);
    expect(events.filter((e) => e['detail-type'] === 'version.registered')).toHaveLength(50);
  });

  it('keeps the chain valid under concurrent alias sets, PATCHes and registrations', async () => {
    // Prepare
    const name = uniqueName('mixed');
    await createModel(api, name);
    for (let i = 0; i < 3; i++) await publishVersion(api, name);
    const before = (await auditOf(doc, name)).length;

    // Act: the same alias moved by many writers, other aliases set, the model and a version
    // patched, and versions registered, all at once
    const requests = [
      ...range(8).map((i) =>
        api.call('PUT', `/v1/models/${name}/aliases/champion`, { body: { version: (i % 3) + 1 } }),
      ),
      ...range(5).map((i) =>
        api.call('PUT', `/v1/models/${name}/aliases/alias-${i}`, { body: { version: 1 } }),
      ),
      ...range(6).map((i) => api.call('PATCH', `/v1/models/${name}`, { body: { description: `d${i}` } })),
      ...range(4).map((i) =>
        api.call('PATCH', `/v1/models/${name}/versions/2`, { body: { tags: { round: String(i) } } }),
      ),
      ...range(4).map(() =>
        api.call('POST', `/v1/models/${name}/versions`, {
          body: { artifact: { sha256: sha256(randomBytes(8)), sizeBytes: 8 } },
        }),
      ),
    ];
    const responses = await Promise.all(requests);

    // Assess: every request succeeded (none of them set a precondition), once each
    for (const res of responses) expect([200, 201], res.text).toContain(res.status);
    const audit = await auditOf(doc, name);
    expect(verifyChain(audit)).toEqual({ valid: true, events: audit.length });
    expect(audit.length - before).toBe(requests.length);
    const count = (action: string) => audit.filter((e) => e.action === action).length;
    expect(count('alias.set')).toBe(13);
    expect(count('model.updated')).toBe(6);
    expect(count('version.updated')).toBe(4);
    expect(count('version.registered')).toBe(7);

    const model = await api.call('GET', `/v1/models/${name}`);
    expect(model.body.latestVersion).toBe(7);
    expect(Object.keys(model.body.aliases)).toHaveLength(6);
    // The alias ends where the last alias event in the chain says it went.
    const lastChampion = audit.filter((e) => e.target === `alias:${name}:champion`).at(-1)!;
    expect(model.body.aliases.champion).toBe((lastChampion.after as { version: number }).version);
    const lastDescription = audit.filter((e) => e.action === 'model.updated').at(-1)!;
    expect(model.body.description).toBe((lastDescription.after as { description: string }).description);
    const lastTags = audit.filter((e) => e.action === 'version.updated').at(-1)!;
    const version2 = await api.call('GET', `/v1/models/${name}/versions/2`);
    expect(version2.body.tags).toEqual((lastTags.after as { tags: Record<string, string> }).tags);
  });

  it('lets exactly one of five concurrent commits of a version through', async () => {
    // Prepare
    const name = uniqueName('commits');
    await createModel(api, name);
    const bytes = randomBytes(4096);
    const { upload, version } = await registerVersion(api, name, bytes);
    expect((await putArtifact(upload, bytes)).status).toBe(200);

    // Act
    const responses = await Promise.all(range(5).map(() => commit(api, name, version)));

    // Assess
    expect(responses.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
    const audit = await auditOf(doc, name);
    expect(audit.filter((e) => e.action === 'version.committed')).toHaveLength(1);
    expect(verifyChain(audit).valid).toBe(true);
  });

  it('moves a version along the lifecycle only, and audits each move truly, under concurrent transitions', async () => {
    // Prepare
    const name = uniqueName('moves');
    await createModel(api, name);
    await publishVersion(api, name);

    // Act
    const responses = await Promise.all(
      range(6).map((i) =>
        api.call('POST', `/v1/models/${name}/versions/1/transitions`, {
          body: { to: i % 2 ? 'DEPRECATED' : 'ARCHIVED', reason: `r${i}` },
        }),
      ),
    );

    // Assess: the version moved along the graph only; every refusal is a 409
    for (const res of responses) expect([200, 409], res.text).toContain(res.status);
    const audit = await auditOf(doc, name);
    const moves = audit.filter((e) => e.action === 'version.transitioned');
    const path = moves.map((e) => (e.after as { status: string }).status);
    expect([['ARCHIVED'], ['DEPRECATED'], ['DEPRECATED', 'ARCHIVED']]).toContainEqual(path);
    // Each event records the status the version really left.
    expect(moves.map((e) => (e.before as { status: string }).status)).toEqual([
      'READY',
      ...path.slice(0, -1),
    ]);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(moves.length);
    const final = await api.call('GET', `/v1/models/${name}/versions/1`);
    expect(final.body.status).toBe(path.at(-1));
    expect(verifyChain(audit).valid).toBe(true);
  });

  it('creates a model once when many callers race to create it', async () => {
    // Prepare
    const name = uniqueName('create');

    // Act
    const responses = await Promise.all(
      range(10).map((i) => api.call('POST', '/v1/models', { body: { name, description: `by ${i}` } })),
    );

    // Assess
    expect(responses.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    const audit = await auditOf(doc, name);
    expect(audit.map((e) => e.action)).toEqual(['model.created']);
    const winner = responses.find((r) => r.status === 201)!;
    expect((await api.call('GET', `/v1/models/${name}`)).body.description).toBe(winner.body.description);
  });

  it('replays, not repeats, concurrent requests with one Idempotency-Key', async () => {
    // Prepare
    const name = uniqueName('idem');
    await createModel(api, name);
    const body = { artifact: { sha256: sha256(randomBytes(8)), sizeBytes: 8 } };
    const headers = { 'idempotency-key': `k-${name}` };

    // Act
    const responses = await Promise.all(
      range(8).map(() => api.call('POST', `/v1/models/${name}/versions`, { headers, body })),
    );

    // Assess: the first gets its answer, the others either the replay or "still in progress"
    for (const res of responses) expect([201, 409], res.text).toContain(res.status);
    for (const res of responses.filter((r) => r.status === 201)) expect(res.body.version).toBe(1);
    const audit = await auditOf(doc, name);
    expect(audit.filter((e) => e.action === 'version.registered')).toHaveLength(1);
    expect((await api.call('GET', `/v1/models/${name}`)).body.latestVersion).toBe(1);
  });
});
