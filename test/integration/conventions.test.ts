import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Api } from './local-api.ts';
import { artifactBody, localApiPerFile } from './registry-api.ts';
import {
  createModel,
  eventsOf,
  expectProblem,
  publishVersion,
  registerVersion,
  uniqueName,
} from './registry-fixtures.ts';

/** The Conventions of API.md (health, validation, names, the auditor role, problem+json errors), through the local HTTP adapter. */
const api = localApiPerFile();

describe('health', () => {
  it('answers 200 {status: "ok"}', async () => {
    // Act
    const res = await api.call('GET', '/v1/health');

    // Assess
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });
});

describe('conventions', () => {
  it('answers malformed JSON with 400', async () => {
    // Act
    const res = await api.call('POST', '/v1/models', { raw: '{"name": "x",' });

    // Assess
    const problem = expectProblem(res, 400);
    expect(problem.errors?.[0]?.path).toBe('body');
  });

  it('answers an unknown field with 400 naming it in errors[].path', async () => {
    // Act
    const res = await api.call('POST', '/v1/models', { body: { name: uniqueName('unk'), colour: 'blue' } });

    // Assess
    const problem = expectProblem(res, 400);
    expect(problem.errors).toEqual([{ path: 'body.colour', message: expect.any(String) }]);
  });

  it('lists every invalid field, not just the first', async () => {
    // Act
    const res = await api.call('POST', '/v1/models', {
      body: { name: '-bad', riskTier: 'extreme', tags: { ok: 1 }, description: 5, extra: true },
    });

    // Assess
    const problem = expectProblem(res, 400);
    expect(problem.errors?.map((e) => e.path).sort()).toEqual([
      'body.description',
      'body.extra',
      'body.name',
      'body.riskTier',
      'body.tags.ok',
    ]);
    for (const e of problem.errors ?? []) expect(e.message.length).toBeGreaterThan(0);
  });

  it('lists every invalid field of a version body, nested ones by their path', async () => {
    // Prepare
    const name = uniqueName('badv');
    await createModel(api, name);

    // Act
    const res = await api.call('POST', `/v1/models/${name}/versions`, {
      body: { artifact: { sha256: 'XYZ', sizeBytes: -1 }, lineage: { image: { uri: 'i', digest: 'nope' } } },
    });

    // Assess
    const problem = expectProblem(res, 400);
    expect(problem.errors?.map((e) => e.path).sort()).toEqual([
      'body.artifact.sha256',
      'body.artifact.sizeBytes',
      'body.lineage.image.digest',
    ]);
    expect((await api.call('GET', `/v1/models/${name}`)).body.latestVersion).toBe(0);
  });

  it('refuses a body over 1 MiB with 413', async () => {
    // Prepare
    const name = uniqueName('big');
    const raw = JSON.stringify({ name, description: 'x'.repeat(1024 * 1024) });

    // Act
    const res = await api.call('POST', '/v1/models', { raw });

    // Assess
    expectProblem(res, 413);
    expectProblem(await api.call('GET', `/v1/models/${name}`), 404);
  });

  it('refuses a body that is not JSON with 415', async () => {
    // Act
    const res = await api.call('POST', '/v1/models', {
      raw: `name=${uniqueName('form')}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    // Assess
    expectProblem(res, 415);
  });

  describe('names', () => {
    const cyrillic = 'mod\u0435l'; // the 'е' is U+0435, not 'e'

    it.each([
      ['a look-alike Cyrillic letter', `ch\u0430mpion-${process.pid}`],
      ['a control character', `bell\u0007-${process.pid}`],
      ['a path separator', `a/b-${process.pid}`],
      ['a backslash', `a\\b-${process.pid}`],
      ['a leading dot', `.hidden-${process.pid}`],
      ['a space', `two words-${process.pid}`],
      ['an empty name', ''],
      ['129 characters', 'm'.repeat(129)],
    ])('refuses a model name with %s in the body (400 on body.name)', async (_what, name) => {
      // Act
      const res = await api.call('POST', '/v1/models', { body: { name } });

      // Assess
      const problem = expectProblem(res, 400);
      expect(problem.errors?.map((e) => e.path)).toEqual(['body.name']);
    });

    it('accepts a name of exactly 128 characters', async () => {
      // Act
      const res = await api.call('POST', '/v1/models', {
        body: { name: `n${process.pid}`.padEnd(128, 'x') },
      });

      // Assess
      expect(res.status, res.text).toBe(201);
    });

    it.each([
      ['a look-alike Cyrillic letter', encodeURIComponent(cyrillic)],
      ['a control character', 'bell%07'],
      ['an encoded path separator', 'a%2Fb'],
      ['an encoded backslash', 'a%5Cb'],
    ])('refuses a model name with %s in the path (400 on path.model)', async (_what, segment) => {
      // Act
      const get = await api.call('GET', `/v1/models/${segment}`);
      const patch = await api.call('PATCH', `/v1/models/${segment}`, { body: { description: 'x' } });
      const register = await api.call('POST', `/v1/models/${segment}/versions`, { body: artifactBody() });

      // Assess
      for (const res of [get, patch, register])
        expect(expectProblem(res, 400).errors?.map((e) => e.path)).toEqual(['path.model']);
    });

    it('refuses look-alike and control characters in aliases', async () => {
      // Prepare
      const name = uniqueName('aliaschars');
      await createModel(api, name);

      // Act
      const lookalike = await api.call(
        'PUT',
        `/v1/models/${name}/aliases/${encodeURIComponent('prod\u0430')}`,
        {
          body: { version: 1 },
        },
      );
      const control = await api.call('PUT', `/v1/models/${name}/aliases/prod%00`, { body: { version: 1 } });
      const separator = await api.call('PUT', `/v1/models/${name}/aliases/a%2Fb`, { body: { version: 1 } });

      // Assess
      for (const res of [lookalike, control, separator])
        expect(expectProblem(res, 400).errors?.[0]?.path).toBe('path.alias');
    });

    it('refuses a path separator or control character in a file name or tag key', async () => {
      // Prepare
      const name = uniqueName('labels');
      await createModel(api, name);

      // Act
      const res = await api.call('POST', `/v1/models/${name}/versions`, {
        body: {
          artifact: { sha256: 'a'.repeat(64), sizeBytes: 1, fileName: '../../etc/passwd' },
          tags: { 'x\u0000y': 'v' },
        },
      });

      // Assess
      const problem = expectProblem(res, 400);
      expect(problem.errors?.map((e) => e.path).sort()).toEqual([
        'body.artifact.fileName',
        'body.tags.x\u0000y',
      ]);
    });
  });

  describe('the auditor role', () => {
    const name = uniqueName('audited');

    beforeAll(async () => {
      await createModel(api, name);
      await publishVersion(api, name);
      await registerVersion(api, name, randomBytes(4));
      await api.call('PUT', `/v1/models/${name}/aliases/live`, { body: { version: 1 } });
    });

    it('reads everything', async () => {
      // Act
      const reads = await Promise.all(
        [
          '/v1/models',
          `/v1/models/${name}`,
          `/v1/models/${name}/versions`,
          `/v1/models/${name}/versions/1`,
          `/v1/models/${name}/versions/1/artifact`,
          `/v1/models/${name}/aliases/live`,
        ].map((path) => api.call('GET', path, { principal: 'auditor' })),
      );

      // Assess
      for (const res of reads) expect(res.status, res.text).toBe(200);
    });

    it('gets 403 on every mutation, and nothing changes', async () => {
      // Prepare
      const before = await eventsOf(api, name);
      const mutations: [string, string, unknown][] = [
        ['POST', '/v1/models', { name: uniqueName('byauditor') }],
        ['PATCH', `/v1/models/${name}`, { description: 'x' }],
        ['POST', `/v1/models/${name}/versions`, artifactBody()],
        ['PATCH', `/v1/models/${name}/versions/1`, { description: 'x' }],
        ['POST', `/v1/models/${name}/versions/2/commit`, undefined],
        ['POST', `/v1/models/${name}/versions/1/transitions`, { to: 'DEPRECATED', reason: 'r' }],
        ['PUT', `/v1/models/${name}/aliases/other`, { version: 1 }],
        ['DELETE', `/v1/models/${name}/aliases/live`, undefined],
      ];

      // Act
      const responses = await Promise.all(
        mutations.map(([method, path, body]) =>
          api.call(method, path, { principal: 'auditor', ...(body === undefined ? {} : { body }) }),
        ),
      );

      // Assess
      responses.forEach((res, i) => {
        expect(res.status, `${mutations[i]![0]} ${mutations[i]![1]}: ${res.text}`).toBe(403);
        expectProblem(res, 403);
      });
      expect(await eventsOf(api, name)).toEqual(before);
    });
  });

  it('answers 404 for an unknown route, with a problem', async () => {
    // Act
    const res = await api.call('GET', '/v1/nothing-here');

    // Assess
    expectProblem(res, 404);
  });

  it('answers a method the resource does not have with 405', async () => {
    // Prepare
    const name = uniqueName('method');
    await createModel(api, name);

    // Act
    const res = await api.call('DELETE', `/v1/models/${name}`);

    // Assess
    expectProblem(res, 405);
    expect((await api.call('GET', `/v1/models/${name}`)).status).toBe(200);
  });

  it('answers every kind of error as problem+json without internals', async () => {
    // Prepare
    const name = uniqueName('shape');
    await createModel(api, name);
    const etag = (await api.call('GET', `/v1/models/${name}`)).headers.get('etag')!;
    await api.call('PATCH', `/v1/models/${name}`, { body: { description: 'moved' } });

    // Act
    const cases: [number, Promise<Awaited<ReturnType<Api['call']>>>][] = [
      [400, api.call('POST', '/v1/models', { raw: '{' })],
      [403, api.call('PATCH', `/v1/models/${name}`, { principal: 'auditor', body: {} })],
      [404, api.call('GET', `/v1/models/${name}/versions/9`)],
      [409, api.call('POST', '/v1/models', { body: { name } })],
      [
        412,
        api.call('PATCH', `/v1/models/${name}`, {
          headers: { 'if-match': etag },
          body: { description: 'y' },
        }),
      ],
      [
        413,
        api.call('POST', '/v1/models', {
          raw: JSON.stringify({ name: 'x', description: 'y'.repeat(1 << 20) }),
        }),
      ],
    ];
    const responses = await Promise.all(cases.map(([, res]) => res));

    // Assess
    responses.forEach((res, i) => {
      const problem = expectProblem(res, cases[i]![0]);
      expect(problem.type).toMatch(/^https:\/\//);
      expect(
        Object.keys(problem).every((k) =>
          ['type', 'title', 'status', 'detail', 'errors', 'instance'].includes(k),
        ),
      ).toBe(true);
    });
  });
});
