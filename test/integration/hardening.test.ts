import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './local-api.ts';
import { createModel, expectProblem, publishVersion, uniqueName } from './registry-fixtures.ts';

/**
 * The defects found when Steward was tried as an attacker and a careless client would try it
 * (issue 11): each test here failed before its fix.
 */
const IMAGE = {
  uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn',
  digest: `sha256:${'c'.repeat(64)}`,
};
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('hardening', () => {
  let api: Api;
  const logLines: string[] = [];

  beforeAll(async () => {
    api = await startApi({ targetTransitionMs: 300, waitScale: 0.005, log: (line) => logLines.push(line) });
  });
  afterAll(() => api.close());

  /** Poll a deployment until it leaves PENDING/IN_PROGRESS; fails loudly when it never does. */
  const settled = async (id: string) => {
    for (let i = 0; i < 800; i++) {
      const d = await api.call('GET', `/v1/deployments/${id}`);
      if (!['PENDING', 'IN_PROGRESS'].includes(d.body.status)) return d.body;
      await sleep(25);
    }
    throw new Error(`deployment ${id} never settled`);
  };

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
});
