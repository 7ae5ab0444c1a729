import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.ts';
import { type Api, startApi } from './local-api.ts';
import {
  createModel,
  expectProblem,
  publishVersion,
  sha256,
  tableClient,
  uniqueName,
} from './registry-fixtures.ts';

/**
 * The defects found when Steward was tried as an attacker and a careless client would try it
 * (issue 11): each test here failed before its fix.
 */
const IMAGE = {
  uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn',
  digest: `sha256:${'c'.repeat(64)}`,
};
type Mail = { to: string; subject: string; links: string[] };
const ARTIFACT = { sha256: sha256(Buffer.from('x')), sizeBytes: 1 };

/** A raw HTTP request, with headers fetch will not let a caller set (Host). */
const rawRequest = (
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; text: string }> =>
  new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });

describe('hardening', () => {
  let api: Api;
  const logLines: string[] = [];

  beforeAll(async () => {
    api = await startApi({ targetTransitionMs: 300, waitScale: 0.005, log: (line) => logLines.push(line) });
  });
  afterAll(() => api.close());

  /** Poll a deployment until it leaves PENDING/IN_PROGRESS; fails loudly when it never does. */
  const settled = (id: string) =>
    eventually(`deployment ${id} settled`, async () => {
      const d = await api.call('GET', `/v1/deployments/${id}`);
      return ['PENDING', 'IN_PROGRESS'].includes(d.body.status) ? undefined : d.body;
    });

  const readyVersion = async () => {
    const name = uniqueName('hard');
    await createModel(api, name);
    await publishVersion(api, name, Buffer.from(name), { lineage: { image: IMAGE } });
    return name;
  };

  it('refuses to retire a version while a deployment of it runs (defect 1)', async () => {
    const name = await readyVersion();
    const started = await api.call('POST', `/v1/models/${name}/versions/1/deployments`, {
      body: {
        environment: 'dev',
        target: { kind: 'sagemaker', endpointName: `steward-${name}`, instanceType: 'ml.m5.large' },
      },
    });
    expect(started.status, started.text).toBe(202);

    for (const to of ['ARCHIVED', 'DEPRECATED']) {
      const refused = await api.call('POST', `/v1/models/${name}/versions/1/transitions`, {
        body: { to, reason: 'retire it now' },
      });
      expect(expectProblem(refused, 409).detail).toMatch(/deployment .* under way/);
    }

    const done = await settled(started.body.id);
    expect(done.status).toBe('SUCCEEDED');
    const version = await api.call('GET', `/v1/models/${name}/versions/1`);
    expect(version.body.status).toBe('READY');
    // Serving now: archiving is still refused, deprecating is allowed.
    const archive = await api.call('POST', `/v1/models/${name}/versions/1/transitions`, {
      body: { to: 'ARCHIVED', reason: 'serving' },
    });
    expectProblem(archive, 409);
    const deprecate = await api.call('POST', `/v1/models/${name}/versions/1/transitions`, {
      body: { to: 'DEPRECATED', reason: 'superseded' },
    });
    expect(deprecate.status, deprecate.text).toBe(200);
  });

  /** An approval request for staging (group tech-leads: lead@example.com), by `registrant`. */
  const approvalFor = async (registrant = 'ci-pipeline', headers: Record<string, string> = {}) => {
    const name = uniqueName('appr');
    await createModel(api, name, {}, registrant);
    await publishVersion(api, name, Buffer.from(name), {}, registrant);
    const requested = await api.call('POST', `/v1/models/${name}/versions/1/approvals`, {
      principal: registrant,
      headers,
      body: { environment: 'staging', reason: 'release' },
    });
    expect(requested.status, requested.text).toBe(202);
    const link = await eventually(`the approval email for ${name}`, async () => {
      const mails = ((await api.call<Mail[]>('GET', '/local/outbox')).body ?? []).filter((m) =>
        m.subject.includes(`${name} version`),
      );
      return mails[0]?.links[0];
    });
    return { name, id: requested.body.id as string, link };
  };

  const csrfOf = async (link: string) => {
    const html = await (await fetch(link)).text();
    return /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  };

  it('refuses constructor and __proto__ keys with a 400 naming the field (defect 2)', async () => {
    const name = uniqueName('proto');
    await createModel(api, name);
    const tags = await api.call('POST', `/v1/models/${name}/versions`, {
      body: { artifact: ARTIFACT, tags: { constructor: 'x' } },
    });
    expect(expectProblem(tags, 400).errors).toEqual([
      expect.objectContaining({ path: 'body.tags.constructor' }),
    ]);
    const params = await api.call('POST', `/v1/models/${name}/versions`, {
      raw: `{"artifact":${JSON.stringify(ARTIFACT)},"params":{"__proto__":{"polluted":1}},"metrics":{"constructor":1}}`,
    });
    expect(expectProblem(params, 400).errors?.map((e) => e.path)).toEqual([
      'body.params.__proto__',
      'body.metrics.constructor',
    ]);
    const model = await api.call('PATCH', `/v1/models/${name}`, { raw: '{"tags":{"__proto__":"x"}}' });
    expect(expectProblem(model, 400).errors?.[0]?.path).toBe('body.tags.__proto__');
    // Nothing was written: the model has no version.
    expect((await api.call('GET', `/v1/models/${name}`)).body.latestVersion).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads an environment named like an Object member as unknown, not as a policy (found by the adversarial suite)', async () => {
    const name = await readyVersion();
    for (const environment of ['constructor', 'toString', 'hasOwnProperty']) {
      const deploy = await api.call('POST', `/v1/models/${name}/versions/1/deployments`, {
        body: {
          environment,
          target: { kind: 'sagemaker', endpointName: `steward-${name}`, instanceType: 'ml.m5.large' },
        },
      });
      expect(expectProblem(deploy, 400).errors).toEqual([
        expect.objectContaining({ path: 'body.environment' }),
      ]);
      const approval = await api.call('POST', `/v1/models/${name}/versions/1/approvals`, {
        body: { environment },
      });
      expect(expectProblem(approval, 400).errors).toEqual([
        expect.objectContaining({ path: 'body.environment' }),
      ]);
    }
    // Nothing was started: the version serves nowhere and has no deployment.
    const deployments = await api.call('GET', `/v1/models/${name}/deployments`);
    expect(deployments.status).toBe(200);
    expect(deployments.body.items).toEqual([]);
  });

  it('refuses a body nested too deep before any processing, with or without a key (defect 3)', async () => {
    const name = uniqueName('deep');
    await createModel(api, name);
    const deep = `{"artifact":${'['.repeat(150_000)}${']'.repeat(150_000)}}`;
    for (const headers of [{}, { 'idempotency-key': `deep-${name}` }] as Record<string, string>[]) {
      const res = await api.call('POST', `/v1/models/${name}/versions`, { raw: deep, headers });
      expect(expectProblem(res, 400).errors?.[0]).toMatchObject({ path: 'body', message: /nested deeper/ });
    }
    // Brackets inside strings are text, not depth.
    const text = await api.call('POST', `/v1/models/${name}/versions`, {
      body: { artifact: ARTIFACT, description: '['.repeat(3000) },
    });
    expect(text.status, text.text).toBe(201);
  });

  it('fingerprints an idempotent request by its raw bytes (defect 3)', async () => {
    const name = uniqueName('fp');
    await createModel(api, name);
    const headers = { 'idempotency-key': `fp-${name}` };
    const raw = JSON.stringify({ artifact: ARTIFACT });
    const first = await api.call('POST', `/v1/models/${name}/versions`, { raw, headers });
    expect(first.status, first.text).toBe(201);
    const replay = await api.call('POST', `/v1/models/${name}/versions`, { raw, headers });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const other = await api.call('POST', `/v1/models/${name}/versions`, {
      raw: JSON.stringify({ artifact: { ...ARTIFACT, sizeBytes: 2 } }),
      headers,
    });
    expectProblem(other, 422);
    expect((await api.call('GET', `/v1/models/${name}`)).body.latestVersion).toBe(1);
  });

  it('refuses dot segments, separators and control characters in a file name (defect 4)', async () => {
    const name = uniqueName('dots');
    await createModel(api, name);
    for (const fileName of ['.', '..', 'a/b', '..\\\\x', 'a\u0000', 'exe\u202Enib.bin']) {
      const res = await api.call('POST', `/v1/models/${name}/versions`, {
        body: { artifact: { ...ARTIFACT, fileName } },
      });
      expect(expectProblem(res, 400).errors?.[0]?.path, fileName).toBe('body.artifact.fileName');
    }
    expect((await api.call('GET', `/v1/models/${name}`)).body.latestVersion).toBe(0);
  });

  it('keeps a link secret out of the log whether or not the path matches a route (defect 5)', async () => {
    const secret = 'S3cr3tL1nkS3cr3tL1nkS3cr3tL1nkS3cr3tL1nkABC';
    const encoded = `%${secret.charCodeAt(0).toString(16)}${secret.slice(1)}`;
    const paths = [
      `/v1/approval-links/${secret}`,
      `/v1/approval-links/${secret}/`,
      `//v1/approval-links/${secret}`,
      `/v1//approval-links/${secret}`,
      `/v1/approval-links/${encoded}`,
      `/v1/approval-links/${encoded}/x`,
      `/v1/approval%2Dlinks/${secret}`,
      `/v1/approval-links%2F${secret}`,
      `/v1/APPROVAL-LINKS/${secret}`,
    ];
    for (const path of paths) await rawRequest(`${api.url}${path}`, 'GET', {});
    const lines = logLines.filter((l) => l.startsWith('GET ') && /approval/i.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(paths.length);
    for (const line of lines) {
      expect(line).not.toContain(secret);
      expect(line).not.toContain(secret.slice(1));
    }
  });

  it('refuses an approval link POST from a foreign Origin and accepts Origin: null (defect 6)', async () => {
    const { id, link } = await approvalFor();
    const form = async (origin: string) =>
      fetch(link, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
        body: new URLSearchParams({ csrf: await csrfOf(link), decision: 'approve' }),
      });
    const evil = await form('https://evil.example');
    expect(evil.status).toBe(403);
    expect((await api.call('GET', `/v1/approvals/${id}`)).body.status).toBe('PENDING');
    const own = await form('null');
    expect(own.status, await own.text()).toBe(200);
    expect((await api.call('GET', `/v1/approvals/${id}`)).body.status).toBe('APPROVED');
  });

  it('points approval links at the configured base URL, never the Host header (defect 9)', async () => {
    const name = uniqueName('host');
    await createModel(api, name, {}, 'ci-pipeline');
    await publishVersion(api, name, Buffer.from(name), {}, 'ci-pipeline');
    const res = await rawRequest(
      `${api.url}/v1/models/${name}/versions/1/approvals`,
      'POST',
      {
        host: 'evil.example',
        'content-type': 'application/json',
        'x-steward-principal': 'ci-pipeline',
      },
      JSON.stringify({ environment: 'staging' }),
    );
    expect(res.status, res.text).toBe(202);
    const mails = await eventually(`the approval emails for ${name}`, async () => {
      const found = ((await api.call<Mail[]>('GET', '/local/outbox')).body ?? []).filter((m) =>
        m.subject.includes(`${name} version`),
      );
      return found.length ? found : undefined;
    });
    for (const mail of mails) expect(mail.links[0]).toMatch(new RegExp(`^${api.url}/v1/approval-links/`));
  });

  it('never registers twice when the key was not completed after the write (defect 8)', async () => {
    const name = uniqueName('idem');
    await createModel(api, name);
    const key = `crash-${name}`;
    const body = { artifact: ARTIFACT };
    // The "crash": every write of the key's record after the version's transaction fails.
    const faults = await api.call('POST', '/local/faults', {
      body: {
        rules: [{ service: 'dynamodb', fault: 'throttle', operations: ['UpdateItem'], keyPrefix: 'IDEM#' }],
      },
    });
    expect(faults.status, faults.text).toBe(200);
    const first = await api.call('POST', `/v1/models/${name}/versions`, {
      body,
      headers: { 'idempotency-key': key },
    });
    await api.call('DELETE', '/local/faults');
    expect([201, 503]).toContain(first.status);
    expect((await api.call('GET', `/v1/models/${name}`)).body.latestVersion).toBe(1);

    // The 60 s lock runs out (moved into the past rather than waited for).
    const hash = createHash('sha256').update(`local-user\n${key}`).digest('hex');
    await tableClient(api.system).send(
      new UpdateCommand({
        TableName: 'steward',
        Key: { pk: `IDEM#${hash}`, sk: '#IDEM' },
        UpdateExpression: 'SET lockExpiresAt = :past',
        ExpressionAttributeValues: { ':past': 0 },
      }),
    );
    const retry = await api.call('POST', `/v1/models/${name}/versions`, {
      body,
      headers: { 'idempotency-key': key },
    });
    expect(retry.status, retry.text).toBe(201);
    expect(retry.body.version).toBe(1);
    expect((await api.call('GET', `/v1/models/${name}`)).body.latestVersion).toBe(1);
  });

  it('records refused attempts in a chain of their own that verifies (defect 7)', async () => {
    const { name, id } = await approvalFor('ci-pipeline');
    const self = await api.call('POST', `/v1/approvals/${id}/decisions`, {
      principal: 'ci-pipeline',
      body: { decision: 'approve' },
    });
    expectProblem(self, 403);
    const stranger = await api.call('POST', `/v1/approvals/${id}/decisions`, {
      principal: 'mallory',
      body: { decision: 'approve' },
    });
    expectProblem(stranger, 403);
    const auditorWrite = await api.call('PATCH', `/v1/models/${name}`, {
      principal: 'auditor',
      body: { description: 'mine now' },
    });
    expectProblem(auditorWrite, 403);

    const chain = `_attempts:${name}`;
    const listed = await api.call('GET', `/v1/audit?model=${encodeURIComponent(chain)}&limit=100`);
    expect(listed.status, listed.text).toBe(200);
    expect(
      listed.body.items.map((e: { actor: string; action: string; target: string }) => [
        e.actor,
        e.action,
        e.target,
      ]),
    ).toEqual([
      ['ci-pipeline', 'attempt.refused', `approval:${id}`],
      ['mallory', 'attempt.refused', `approval:${id}`],
      ['auditor', 'attempt.refused', `updateModel:${name}`],
    ]);
    expect(listed.body.items[0].after).toMatchObject({
      status: 403,
      reason: expect.stringMatching(/registered/),
    });
    const verified = await api.call('GET', `/v1/audit/verify?model=${encodeURIComponent(chain)}`);
    expect(verified.body).toMatchObject({ valid: true, events: 3 });
    // By actor too, and the model's own chain is untouched and still verifies.
    const byActor = await api.call('GET', '/v1/audit?actor=mallory&limit=100');
    expect(byActor.body.items.some((e: { target: string }) => e.target === `approval:${id}`)).toBe(true);
    const own = await api.call('GET', `/v1/audit/verify?model=${name}`);
    expect(own.body.valid).toBe(true);
    const ownEvents = await api.call('GET', `/v1/audit?model=${name}&limit=100`);
    expect(ownEvents.body.items.map((e: { action: string }) => e.action)).not.toContain('attempt.refused');
  });
});
