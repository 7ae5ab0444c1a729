import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './local-api.ts';
import { createModel, expectProblem, publishVersion, uniqueName } from './registry-fixtures.ts';

/**
 * Lineage: edges recorded at registration and by hand, walked upstream, downstream or both, to a
 * bounded depth, through cycles and diamonds, as JSON or Mermaid.
 */
const DATASET_SHA = 'b'.repeat(64);
const IMAGE_DIGEST = `sha256:${'c'.repeat(64)}`;

type Node = { kind: string; id: string; status?: string };
type Graph = { nodes: Node[]; edges: { from: Node; to: Node; relation: string }[] };

describe('lineage', () => {
  let api: Api;
  const edge = (from: [string, string], to: [string, string], relation = 'feeds') =>
    api.call('POST', '/v1/lineage/edges', {
      body: { from: { kind: from[0], id: from[1] }, to: { kind: to[0], id: to[1] }, relation },
    });
  const walk = (node: string, direction: string, depth?: number) =>
    api.call<Graph>(
      'GET',
      `/v1/lineage?node=${encodeURIComponent(node)}&direction=${direction}${depth ? `&depth=${depth}` : ''}`,
    );
  const ids = (graph: Graph) => graph.nodes.map((n) => `${n.kind}:${n.id}`).sort();

  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('records where a version came from at registration', async () => {
    const model = uniqueName('lin');
    await createModel(api, model);
    await publishVersion(api, model, undefined, {
      params: { depth: 4 },
      lineage: {
        datasets: [{ uri: 's3://data/train.parquet', sha256: DATASET_SHA, role: 'training' }],
        code: { repository: 'https://git.example.com/churn', commit: 'abc123' },
        image: { uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn', digest: IMAGE_DIGEST },
        trainingRun: { id: 'run-42' },
      },
    });

    const res = await walk(`model-version:${model}:1`, 'upstream');

    expect(res.status, res.text).toBe(200);
    expect(ids(res.body)).toEqual(
      [
        'code:https://git.example.com/churn@abc123',
        'dataset:s3://data/train.parquet',
        `image:123456789012.dkr.ecr.us-east-1.amazonaws.com/churn@${IMAGE_DIGEST}`,
        `model-version:${model}:1`,
        'training-run:run-42',
      ].sort(),
    );
    expect(res.body.edges.map((e) => e.relation).sort()).toEqual([
      'builds',
      'packages',
      'produced',
      'trains',
    ]);
    const trains = res.body.edges.find((e) => e.relation === 'trains') as unknown as { attributes: unknown };
    expect(trains.attributes).toEqual({ sha256: DATASET_SHA, role: 'training' });
    expect(res.body.nodes.find((n) => n.kind === 'model-version')?.status).toBe('READY');
  });

  it('walks a diamond once per node and edge', async () => {
    const model = uniqueName('dia');
    await createModel(api, model);
    await publishVersion(api, model);
    const raw = uniqueName('raw');
    expect((await edge(['dataset', raw], ['feature-set', `${raw}-a`])).status).toBe(201);
    expect((await edge(['dataset', raw], ['feature-set', `${raw}-b`])).status).toBe(201);
    expect((await edge(['feature-set', `${raw}-a`], ['model-version', `${model}:1`], 'trains')).status).toBe(
      201,
    );
    expect((await edge(['feature-set', `${raw}-b`], ['model-version', `${model}:1`], 'trains')).status).toBe(
      201,
    );

    const up = await walk(`model-version:${model}:1`, 'upstream', 5);
    const down = await walk(`dataset:${raw}`, 'downstream', 5);

    expect(ids(up.body)).toEqual(
      [`dataset:${raw}`, `feature-set:${raw}-a`, `feature-set:${raw}-b`, `model-version:${model}:1`].sort(),
    );
    expect(up.body.edges).toHaveLength(4);
    expect(ids(down.body)).toEqual(ids(up.body));
    expect(down.body.edges).toHaveLength(4);
  });

  it('survives a cycle', async () => {
    const a = uniqueName('cyc');
    await edge(['dataset', `${a}-1`], ['dataset', `${a}-2`]);
    await edge(['dataset', `${a}-2`], ['dataset', `${a}-3`]);
    await edge(['dataset', `${a}-3`], ['dataset', `${a}-1`]);

    for (const direction of ['upstream', 'downstream', 'both']) {
      const res = await walk(`dataset:${a}-1`, direction, 10);
      expect(res.status).toBe(200);
      expect(ids(res.body)).toEqual([`dataset:${a}-1`, `dataset:${a}-2`, `dataset:${a}-3`]);
      expect(res.body.edges).toHaveLength(3);
    }
  });

  it('stops at the depth asked for, and refuses a depth over 10', async () => {
    const chain = uniqueName('chain');
    for (let i = 0; i < 12; i++)
      expect((await edge(['dataset', `${chain}-${i}`], ['dataset', `${chain}-${i + 1}`])).status).toBe(201);

    const three = await walk(`dataset:${chain}-0`, 'downstream', 3);
    const ten = await walk(`dataset:${chain}-0`, 'downstream', 10);
    const defaulted = await walk(`dataset:${chain}-0`, 'downstream');
    const tooDeep = await walk(`dataset:${chain}-0`, 'downstream', 11);

    expect(ids(three.body)).toEqual([0, 1, 2, 3].map((i) => `dataset:${chain}-${i}`).sort());
    expect(ten.body.nodes).toHaveLength(11);
    expect(defaulted.body.nodes).toHaveLength(6);
    expect(expectProblem(tooDeep, 400).errors?.[0]?.path).toBe('query.depth');
  });

  it('walks both ways from the middle without pulling in siblings', async () => {
    const m = uniqueName('mid');
    await edge(['dataset', `${m}-up`], ['feature-set', m]);
    await edge(['feature-set', m], ['dataset', `${m}-down`]);
    await edge(['dataset', `${m}-up`], ['feature-set', `${m}-sibling`]);

    const both = await walk(`feature-set:${m}`, 'both', 3);
    const up = await walk(`feature-set:${m}`, 'upstream', 3);
    const down = await walk(`feature-set:${m}`, 'downstream', 3);

    expect(ids(both.body)).toEqual([`dataset:${m}-down`, `dataset:${m}-up`, `feature-set:${m}`].sort());
    expect(ids(up.body)).toEqual([`dataset:${m}-up`, `feature-set:${m}`].sort());
    expect(ids(down.body)).toEqual([`dataset:${m}-down`, `feature-set:${m}`].sort());
  });

  it('answers a Mermaid flowchart when asked', async () => {
    const m = uniqueName('mer');
    await edge(['dataset', `${m}-"quoted"`], ['feature-set', m], 'derives');

    const res = await api.call('GET', `/v1/lineage?node=feature-set:${m}&direction=upstream`, {
      headers: { accept: 'text/vnd.mermaid' },
    });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/vnd\.mermaid/);
    const lines = res.text.trim().split('\n');
    expect(lines[0]).toBe('flowchart LR');
    expect(lines.filter((l) => /^ {2}n\d+/.test(l) && !l.includes('-->'))).toHaveLength(2);
    expect(res.text).toMatch(/n\d+ -->\|derives\| n\d+/);
    expect(res.text).toContain('#quot;quoted#quot;');
  });

  it('refuses a duplicate edge, an edge to a missing version, and bad nodes', async () => {
    const m = uniqueName('dup');
    expect((await edge(['dataset', m], ['feature-set', m])).status).toBe(201);

    expectProblem(await edge(['dataset', m], ['feature-set', m]), 409);
    expectProblem(await edge(['dataset', m], ['model-version', `${uniqueName('none')}:1`]), 404);
    const bad = expectProblem(
      await api.call('POST', '/v1/lineage/edges', {
        body: { from: { kind: 'spaceship', id: 'x' }, to: { kind: 'dataset', id: '' }, relation: 'Feeds' },
      }),
      400,
    );
    expect(bad.errors?.map((e) => e.path).sort()).toEqual(['body.from.kind', 'body.relation', 'body.to.id']);
    expectProblem(await walk('nonsense', 'up'), 400);
  });
});
