import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './local-api.ts';
import {
  createModel,
  expectProblem,
  publishVersion,
  registerVersion,
  tableClient,
  uniqueName,
} from './registry-fixtures.ts';

/**
 * The audit trail: one event per mutation, in order, readable by model, actor and time, and a
 * hash chain that names the first event someone changed in the table.
 */
type Event = {
  model: string;
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  hash: string;
  prevHash: string;
};

describe('audit trail', () => {
  let api: Api;
  const audit = (query: string, principal?: string) =>
    api.call<{ items: Event[]; nextCursor?: string }>(
      'GET',
      `/v1/audit?${query}`,
      principal ? { principal } : {},
    );
  const verify = (model: string) =>
    api.call<{ valid: boolean; events: number; brokenAt?: number }>('GET', `/v1/audit/verify?model=${model}`);

  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('gives every registry mutation exactly one event, in order', async () => {
    const model = uniqueName('aud');
    const actor = uniqueName('alice');
    await createModel(api, model, {}, actor);
    expect(
      (await api.call('PATCH', `/v1/models/${model}`, { body: { description: 'd' }, principal: actor }))
        .status,
    ).toBe(200);
    await publishVersion(api, model, undefined, {}, actor); // registered + committed
    await registerVersion(api, model, Buffer.from('two'), {}, actor);
    expect(
      (
        await api.call('PATCH', `/v1/models/${model}/versions/1`, {
          body: { tags: { a: 'b' } },
          principal: actor,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await api.call('PUT', `/v1/models/${model}/aliases/champion`, {
          body: { version: 1 },
          principal: actor,
        })
      ).status,
    ).toBe(200);
    expect(
      (await api.call('DELETE', `/v1/models/${model}/aliases/champion`, { principal: actor })).status,
    ).toBe(204);
    expect(
      (await api.call('PUT', `/v1/models/${model}/card`, { body: { purpose: 'p' }, principal: actor }))
        .status,
    ).toBe(200);
    expect(
      (
        await api.call('POST', `/v1/models/${model}/versions/1/transitions`, {
          body: { to: 'DEPRECATED', reason: 'old' },
          principal: actor,
        })
      ).status,
    ).toBe(200);
    // Reads and refusals write nothing.
    await api.call('GET', `/v1/models/${model}`);
    await api.call('POST', `/v1/models/${model}/versions/2/commit`, { principal: actor });

    const res = await audit(`model=${model}&limit=100`);

    expect(res.status).toBe(200);
    expect(res.body.items.map((e) => e.action)).toEqual([
      'model.created',
      'model.updated',
      'version.registered',
      'version.committed',
      'version.registered',
      'version.updated',
      'alias.set',
      'alias.deleted',
      'card.updated',
      'version.transitioned',
    ]);
    expect(res.body.items.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(res.body.items.every((e) => e.actor === actor)).toBe(true);
    expect(res.body.items[0]?.prevHash).toBe('0'.repeat(64));
    for (let i = 1; i < res.body.items.length; i++)
      expect(res.body.items[i]?.prevHash).toBe(res.body.items[i - 1]?.hash);
    expect((await verify(model)).body).toMatchObject({ valid: true, events: 10 });
  });

  it('pages through a model’s events with a cursor, and by actor', async () => {
    const model = uniqueName('page');
    const actor = uniqueName('bob');
    await createModel(api, model, {}, actor);
    for (let i = 0; i < 6; i++) await registerVersion(api, model, Buffer.from(`v${i}`), {}, actor);

    const first = await audit(`model=${model}&limit=4`);
    const second = await audit(`model=${model}&limit=4&cursor=${encodeURIComponent(first.body.nextCursor!)}`);
    const byActor = await audit(`actor=${actor}&limit=100`);

    expect(first.body.items.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(second.body.items.map((e) => e.seq)).toEqual([5, 6, 7]);
    expect(second.body.nextCursor).toBeUndefined();
    expect(byActor.body.items.map((e) => `${e.model}#${e.seq}`)).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((s) => `${model}#${s}`),
    );
    const wrongList = await audit(`actor=${actor}&cursor=${encodeURIComponent(first.body.nextCursor!)}`);
    expectProblem(wrongList, 400);
  });

  it('lists by time range alone', async () => {
    const model = uniqueName('time');
    const before = new Date().toISOString();
    await createModel(api, model);
    await registerVersion(api, model, Buffer.from('x'));
    const after = new Date().toISOString();

    const inside = await audit(`from=${before}&to=${after}&limit=100`);
    const outside = await audit(`from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`);

    expect(inside.status, inside.text).toBe(200);
    expect(inside.body.items.filter((e) => e.model === model).map((e) => e.action)).toEqual([
      'model.created',
      'version.registered',
    ]);
    expect(inside.body.items.every((e) => e.at >= before && e.at <= after)).toBe(true);
    expect(outside.body.items).toEqual([]);
    expectProblem(await audit(`from=${after}&to=${before}`), 400);
  });

  it('names the first event whose stored content was changed', async () => {
    const model = uniqueName('tamper');
    await createModel(api, model);
    for (let i = 0; i < 4; i++) await registerVersion(api, model, Buffer.from(`t${i}`));
    expect((await verify(model)).body).toMatchObject({ valid: true, events: 5 });

    await tableClient(api.system).send(
      new UpdateCommand({
        TableName: 'steward',
        Key: { pk: `AUDIT#${model}`, sk: '000000000003' },
        UpdateExpression: 'SET actor = :who',
        ExpressionAttributeValues: { ':who': 'mallory' },
      }),
    );

    const res = await verify(model);
    expect(res.body).toMatchObject({ valid: false, brokenAt: 3 });
  });

  it('notices a removed last event', async () => {
    const model = uniqueName('trunc');
    await createModel(api, model);
    await registerVersion(api, model, Buffer.from('a'));
    await tableClient(api.system).send(
      new DeleteCommand({ TableName: 'steward', Key: { pk: `AUDIT#${model}`, sk: '000000000002' } }),
    );

    const res = await verify(model);
    expect(res.body).toMatchObject({ valid: false, events: 1, brokenAt: 2 });
  });

  it('lets an auditor read everything and change nothing', async () => {
    const model = uniqueName('aud-ro');
    await createModel(api, model);
    await publishVersion(api, model);
    const reads = [
      '/v1/models',
      `/v1/models/${model}`,
      `/v1/models/${model}/versions`,
      `/v1/models/${model}/versions/1`,
      `/v1/models/${model}/versions/1/artifact`,
      `/v1/models/${model}/versions/1/manifest`,
      `/v1/models/${model}/card`,
      `/v1/lineage?node=model-version:${model}:1`,
      `/v1/audit?model=${model}`,
      `/v1/audit/verify?model=${model}`,
      '/v1/environments',
      '/v1/inventory',
      '/v1/inventory?format=csv',
      '/v1/openapi.json',
    ];
    for (const path of reads)
      expect((await api.call('GET', path, { principal: 'auditor' })).status, path).toBe(200);

    const writes: [string, string, unknown][] = [
      ['POST', '/v1/models', { name: uniqueName('no') }],
      ['PATCH', `/v1/models/${model}`, { description: 'x' }],
      ['POST', `/v1/models/${model}/versions`, { artifact: { sha256: 'a'.repeat(64), sizeBytes: 1 } }],
      ['PATCH', `/v1/models/${model}/versions/1`, { description: 'x' }],
      ['POST', `/v1/models/${model}/versions/1/transitions`, { to: 'DEPRECATED', reason: 'x' }],
      ['PUT', `/v1/models/${model}/aliases/prod`, { version: 1 }],
      ['DELETE', `/v1/models/${model}/aliases/prod`, undefined],
      ['PUT', `/v1/models/${model}/card`, { purpose: 'x' }],
      [
        'POST',
        '/v1/lineage/edges',
        { from: { kind: 'dataset', id: 'a' }, to: { kind: 'dataset', id: 'b' }, relation: 'x' },
      ],
      ['PUT', '/v1/environments/dev', { approval: { required: false, groups: [] } }],
    ];
    const seqBefore = (await verify(model)).body.events;
    for (const [method, path, body] of writes)
      expectProblem(
        await api.call(method, path, { principal: 'auditor', ...(body === undefined ? {} : { body }) }),
        403,
      );
    expect((await verify(model)).body.events).toBe(seqBefore);
  });
});
