import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './local-api.ts';
import {
  createModel,
  expectProblem,
  publishVersion,
  registerVersion,
  uniqueName,
} from './registry-fixtures.ts';

/**
 * Model governance: reproducibility demanded by risk tier or environment, the manifest, model
 * cards, environment policies and the inventory (JSON and CSV).
 */
const COMPLETE = {
  params: { eta: 0.3 },
  lineage: {
    datasets: [
      { uri: 's3://data/train.parquet', sha256: 'd'.repeat(64) },
      { uri: 's3://data/holdout.parquet', versionId: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY' },
    ],
    code: { repository: 'https://git.example.com/churn', commit: '9fceb02' },
    image: { uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn', digest: `sha256:${'e'.repeat(64)}` },
  },
};

/** RFC 4180 as a spreadsheet reads it: quoted fields may hold commas, doubled quotes and line breaks. */
const parseCsv = (text: string): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
};

describe('governance', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('refuses a high-risk registration without dataset hashes, naming each missing field', async () => {
    const model = uniqueName('risky');
    await createModel(api, model, { riskTier: 'high' });

    const res = await api.call('POST', `/v1/models/${model}/versions`, {
      body: {
        artifact: { sha256: 'a'.repeat(64), sizeBytes: 3 },
        params: {},
        lineage: {
          ...COMPLETE.lineage,
          datasets: [{ uri: 's3://a' }, { uri: 's3://b', sha256: 'f'.repeat(64) }, { uri: 's3://c' }],
        },
      },
    });

    const problem = expectProblem(res, 400);
    expect(problem.errors?.map((e) => e.path)).toEqual([
      'body.lineage.datasets.0.sha256',
      'body.lineage.datasets.2.sha256',
    ]);
    const none = await api.call('GET', `/v1/models/${model}/versions`);
    expect(none.body.items).toEqual([]);
  });

  it('refuses an incomplete registration meant for an environment that requires reproducibility', async () => {
    const model = uniqueName('prodbound');
    await createModel(api, model);

    const res = await api.call('POST', `/v1/models/${model}/versions`, {
      body: { artifact: { sha256: 'a'.repeat(64), sizeBytes: 3 }, environment: 'prod' },
    });
    const unknown = await api.call('POST', `/v1/models/${model}/versions`, {
      body: { artifact: { sha256: 'a'.repeat(64), sizeBytes: 3 }, environment: 'mars' },
    });

    expect(expectProblem(res, 400).errors?.map((e) => e.path)).toEqual([
      'body.lineage.code',
      'body.lineage.image',
      'body.lineage.datasets',
      'body.params',
    ]);
    expect(expectProblem(unknown, 400).errors?.[0]?.path).toBe('body.environment');
    expect(
      (await registerVersion(api, model, Buffer.from('ok'), { ...COMPLETE, environment: 'prod' })).version,
    ).toBe(1);
    expect((await registerVersion(api, model, Buffer.from('dev'), { environment: 'dev' })).version).toBe(2);
  });

  it('says a complete version is reproducible and lists what an incomplete one misses', async () => {
    const model = uniqueName('manifest');
    await createModel(api, model);
    await publishVersion(api, model, Buffer.from('complete'), { ...COMPLETE, framework: 'xgboost' });
    await publishVersion(api, model, Buffer.from('bare'));

    const complete = await api.call('GET', `/v1/models/${model}/versions/1/manifest`);
    const bare = await api.call('GET', `/v1/models/${model}/versions/2/manifest`);

    expect(complete.body).toMatchObject({
      reproducible: true,
      missing: [],
      framework: 'xgboost',
      code: COMPLETE.lineage.code,
      image: COMPLETE.lineage.image,
      datasets: COMPLETE.lineage.datasets,
      params: COMPLETE.params,
      artifact: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(bare.body.reproducible).toBe(false);
    expect(bare.body.missing.map((m: { path: string }) => m.path)).toEqual([
      'lineage.code',
      'lineage.image',
      'lineage.datasets',
      'params',
    ]);
  });

  it('keeps a model card, audits each change and carries its risk tier to the model', async () => {
    const model = uniqueName('card');
    await createModel(api, model, { purpose: 'churn' });
    const empty = await api.call('GET', `/v1/models/${model}/card`);
    expect(empty.body).toMatchObject({ model, purpose: 'churn', revision: 0 });

    const card = {
      purpose: 'Predict churn',
      intendedUse: 'Retention offers',
      limitations: 'Not for credit decisions',
      inputs: 'usage features',
      outputs: 'probability',
      owners: ['growth@example.com'],
      developers: ['ds@example.com'],
      validators: ['mrm@example.com'],
      validation: {
        done: [{ date: '2026-10-01', by: 'mrm@example.com', outcome: 'approved' }],
        planned: [{ date: '2027-04-01' }],
      },
      validityEnd: '2027-10-01',
      riskTier: 'high',
      exceptions: [
        { description: 'Monitoring gap until Q1', approvedBy: 'cro@example.com', expires: '2027-01-31' },
      ],
    };
    const put = await api.call('PUT', `/v1/models/${model}/card`, {
      body: card,
      headers: { 'if-match': '"0"' },
    });
    const stale = await api.call('PUT', `/v1/models/${model}/card`, {
      body: card,
      headers: { 'if-match': '"0"' },
    });
    const stranger = await api.call('PUT', `/v1/models/${model}/card`, {
      body: card,
      principal: 'someone-else',
    });
    const invalid = await api.call('PUT', `/v1/models/${model}/card`, {
      body: { validityEnd: 'next year', colour: 'red' },
    });

    expect(put.status, put.text).toBe(200);
    expect(put.headers.get('etag')).toBe('"1"');
    expect((await api.call('GET', `/v1/models/${model}/card`)).body).toMatchObject({ ...card, revision: 1 });
    expect((await api.call('GET', `/v1/models/${model}`)).body.riskTier).toBe('high');
    expectProblem(stale, 412);
    expectProblem(stranger, 403);
    expect(
      expectProblem(invalid, 400)
        .errors?.map((e) => e.path)
        .sort(),
    ).toEqual(['body.colour', 'body.validityEnd']);
    const events = await api.call('GET', `/v1/audit?model=${model}`);
    expect(events.body.items.map((e: { action: string }) => e.action)).toEqual([
      'model.created',
      'card.updated',
    ]);
    expect(events.body.items[1].after).toMatchObject({ purpose: 'Predict churn' });
  });

  it('serves seeded environments and lets only an admin change a policy', async () => {
    const list = await api.call('GET', '/v1/environments');
    expect(list.body.items.map((e: { name: string }) => e.name)).toEqual(['dev', 'prod', 'staging']);
    const prod = list.body.items.find((e: { name: string }) => e.name === 'prod');
    expect(prod).toMatchObject({
      requireReproducibility: true,
      approvalTtlHours: 72,
      approval: { required: true },
    });

    const policy = {
      approval: {
        required: true,
        groups: [{ name: 'qa', members: ['qa@example.com', 'qa2@example.com'], minApprovals: 2 }],
      },
      approvalTtlHours: 24,
    };
    expectProblem(await api.call('PUT', '/v1/environments/qa', { body: policy, principal: 'dana' }), 403);
    const bad = await api.call('PUT', '/v1/environments/qa', {
      principal: 'admin',
      body: { approval: { required: true, groups: [{ name: 'qa', members: ['a'], minApprovals: 2 }] } },
    });
    const put = await api.call('PUT', '/v1/environments/qa', { body: policy, principal: 'admin' });
    const again = await api.call('PUT', '/v1/environments/qa', {
      body: policy,
      principal: 'admin',
      headers: { 'if-match': '"0"' },
    });

    expect(expectProblem(bad, 400).errors?.[0]?.path).toBe('body.approval.groups.0.minApprovals');
    expect(put.status, put.text).toBe(200);
    expectProblem(again, 412);
    const after = await api.call('GET', '/v1/environments');
    expect(after.body.items.find((e: { name: string }) => e.name === 'qa')).toMatchObject({
      ...policy,
      source: 'stored',
      revision: 1,
    });
    const system = await api.call('GET', '/v1/audit?model=_system&limit=100');
    expect(system.body.items.at(-1)).toMatchObject({
      action: 'environment.updated',
      target: 'environment:qa',
      actor: 'admin',
    });
    expect((await api.call('GET', '/v1/audit/verify?model=_system')).body.valid).toBe(true);
  });

  it('answers the inventory as JSON and as CSV a spreadsheet reads back intact', async () => {
    const model = uniqueName('inv');
    const purpose = 'Scores "churn", weekly\nfor retention';
    await createModel(api, model, { purpose, riskTier: 'medium', owner: '=HYPERLINK("x")' }, 'admin');
    await publishVersion(api, model, undefined, {}, 'admin');

    const json = await api.call('GET', '/v1/inventory');
    const csv = await api.call('GET', '/v1/inventory?format=csv');

    const row = json.body.items.find((r: { name: string }) => r.name === model);
    expect(row).toMatchObject({
      owner: '=HYPERLINK("x")',
      purpose,
      riskTier: 'medium',
      versions: 1,
      deployed: {},
    });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.text.endsWith('\r\n')).toBe(true);
    const [header, ...rows] = parseCsv(csv.text);
    expect(header?.slice(0, 5)).toEqual(['name', 'owner', 'purpose', 'riskTier', 'versions']);
    const parsed = rows.find((r) => r[0] === model);
    expect(parsed?.[2]).toBe(purpose);
    expect(parsed?.[1]).toBe(`'=HYPERLINK("x")`);
    expect(parsed?.[4]).toBe('1');
    expect(rows.every((r) => r.length === header?.length)).toBe(true);
  });
});
