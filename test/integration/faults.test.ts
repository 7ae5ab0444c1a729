import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from './invariants.ts';
import { type Api, type ApiResponse, startApi } from './local-api.ts';
import { createModel, publishVersion, sha256, uniqueName } from './registry-fixtures.ts';

/**
 * Local mode under injected faults (`/local/faults`): DynamoDB throttling on a fifth of its
 * requests, transaction conflicts, S3 5xx and failed seals, while a few hundred mixed requests
 * run. Every answer is a success, a 4xx, or a 503 with Retry-After; nothing acknowledged is
 * lost; afterwards every chain verifies, no version is half-written and numbers have no gaps.
 */
const REQUESTS = 300;
const PARALLEL = 8;

describe('under injected faults', () => {
  let api: Api;

  beforeAll(async () => {
    api = await startApi({ targetTransitionMs: 50, waitScale: 0.005 });
  });
  afterAll(() => api.close());

  it('answers a few hundred mixed requests at 20% throttling with success, 4xx or 503 + Retry-After', async () => {
    // Prepare: models with a READY version each, before any fault.
    const models: string[] = [];
    for (let i = 0; i < 4; i++) {
      const name = uniqueName('fault');
      await createModel(api, name, {}, 'ci-pipeline');
      await publishVersion(api, name, randomBytes(64), {}, 'ci-pipeline');
      models.push(name);
    }
    const set = await api.call('POST', '/local/faults', {
      body: {
        rules: [
          {
            service: 'dynamodb',
            fault: 'transaction-conflict',
            rate: 0.05,
            operations: ['TransactWriteItems'],
          },
          { service: 'dynamodb', fault: 'throttle', rate: 0.2 },
          { service: 's3', fault: 'server-error', rate: 0.2 },
          { service: 'seal', fault: 'seal-failure', rate: 0.2 },
        ],
      },
    });
    expect(set.status, set.text).toBe(200);

    // Act: mixed requests, a few at a time.
    const answers: { what: string; res: ApiResponse }[] = [];
    const acknowledged: { model: string; version: number; ready: boolean }[] = [];
    const created: string[] = [];
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
    const one = async (i: number) => {
      const model = pick(models);
      const kind = pick([
        'register',
        'register',
        'publish',
        'patch-model',
        'patch-version',
        'alias',
        'edge',
        'read',
        'list',
        'approval',
        'create-model',
        'deprecate',
      ]);
      const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
        api.call(method, path, {
          principal: 'ci-pipeline',
          headers,
          ...(body === undefined ? {} : { body }),
        });
      let res: ApiResponse;
      if (kind === 'register' || kind === 'publish') {
        const bytes = randomBytes(32);
        res = await call(
          'POST',
          `/v1/models/${model}/versions`,
          { artifact: { sha256: sha256(bytes), sizeBytes: bytes.length } },
          i % 2 ? { 'idempotency-key': `k-${i}` } : {},
        );
        if (res.status === 201) {
          const ack = { model, version: res.body.version as number, ready: false };
          acknowledged.push(ack);
          if (kind === 'publish') {
            await fetch(res.body.upload.url, {
              method: 'PUT',
              headers: res.body.upload.headers,
              body: bytes,
            });
            answers.push({ what: 'register', res });
            res = await call('POST', `/v1/models/${model}/versions/${ack.version}/commit`);
            if (res.status === 200) ack.ready = true;
          }
        }
      } else if (kind === 'patch-model')
        res = await call('PATCH', `/v1/models/${model}`, { description: `d${i}` });
      else if (kind === 'patch-version')
        res = await call('PATCH', `/v1/models/${model}/versions/1`, { tags: { run: String(i) } });
      else if (kind === 'alias')
        res = await call('PUT', `/v1/models/${model}/aliases/champion`, { version: 1 });
      else if (kind === 'edge')
        res = await call('POST', '/v1/lineage/edges', {
          from: { kind: 'dataset', id: `s3://data/${i}` },
          to: { kind: 'model-version', id: `${model}:1` },
          relation: 'trained-on',
        });
      else if (kind === 'read') res = await call('GET', `/v1/models/${model}/versions/1`);
      else if (kind === 'list') res = await call('GET', `/v1/models/${model}/versions?limit=5`);
      else if (kind === 'approval')
        res = await api.call('POST', `/v1/models/${model}/versions/1/approvals`, {
          principal: 'ci-pipeline',
          body: { environment: 'staging', reason: `try ${i}` },
        });
      else if (kind === 'create-model') {
        const name = uniqueName('fresh');
        res = await call('POST', '/v1/models', { name });
        if (res.status === 201) created.push(name);
      } else {
        const latest = (await call('GET', `/v1/models/${model}`)).body?.latestVersion ?? 1;
        res = await call('POST', `/v1/models/${model}/versions/${latest}/transitions`, {
          to: 'DEPRECATED',
          reason: 'fault run',
        });
      }
      answers.push({ what: kind, res });
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < REQUESTS) await one(next++);
      }),
    );
    const injected = (await api.call('GET', '/local/faults')).body.injected as number;
    await api.call('DELETE', '/local/faults');

    // Assess: only documented answers, 503s with Retry-After.
    for (const { what, res } of answers) {
      expect(res.status < 500 || res.status === 503, `${what}: ${res.status} ${res.text}`).toBe(true);
      if (res.status === 503)
        expect(res.headers.get('retry-after'), `${what}: 503 without Retry-After`).toBeTruthy();
    }
    const unavailable = answers.filter((a) => a.res.status === 503).length;
    expect(injected).toBeGreaterThan(0);

    // Nothing acknowledged is lost.
    let lost = 0;
    for (const ack of acknowledged) {
      const v = await api.call('GET', `/v1/models/${ack.model}/versions/${ack.version}`);
      if (v.status !== 200 || (ack.ready && v.body.status !== 'READY' && v.body.status !== 'DEPRECATED'))
        lost++;
    }
    for (const name of created) if ((await api.call('GET', `/v1/models/${name}`)).status !== 200) lost++;
    expect(lost).toBe(0);

    const report = await checkInvariants(api.call);
    console.log(
      `[faults] requests=${answers.length} 503s=${unavailable} writesLost=${lost} faultsInjected=${injected} ` +
        `acknowledgedWrites=${acknowledged.length + created.length} chainsVerified=${report.chains}`,
    );
  });
});
