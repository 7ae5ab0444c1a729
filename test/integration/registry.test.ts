import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './local-api.ts';
import {
  commit,
  createModel,
  eventsOf,
  expectProblem,
  publishVersion,
  putArtifact,
  registerVersion,
  sha256,
  uniqueName,
} from './registry-fixtures.ts';

/** The Registry table and the Conventions of API.md, through the local HTTP adapter. */
let api: Api;

beforeAll(async () => {
  api = await startApi();
});

afterAll(async () => {
  await api?.close();
});

const artifactBody = (bytes: Uint8Array = randomBytes(32)) => ({
  artifact: { sha256: sha256(bytes), sizeBytes: bytes.length },
});

describe('health', () => {
  it('answers 200 {status: "ok"}', async () => {
    // Act
    const res = await api.call('GET', '/v1/health');

    // Assess
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });
});

describe('models', () => {
  it('creates a model: 201 with the model, its ETag and Location', async () => {
    // Prepare
    const name = uniqueName('create');

    // Act
    const res = await api.call('POST', '/v1/models', {
      principal: 'alice',
      body: {
        name,
        description: 'churn classifier',
        tags: { team: 'growth' },
        riskTier: 'medium',
        purpose: 'predict churn',
      },
    });

    // Assess
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      name,
      description: 'churn classifier',
      owner: 'alice',
      tags: { team: 'growth' },
      riskTier: 'medium',
      purpose: 'predict churn',
      latestVersion: 0,
      aliases: {},
      createdBy: 'alice',
    });
    expect(Date.parse(res.body.createdAt)).not.toBeNaN();
    expect(res.body.updatedAt).toBe(res.body.createdAt);
    expect(res.headers.get('etag')).toMatch(/^"\d+"$/);
    expect(res.headers.get('location')).toBe(`/v1/models/${name}`);
  });

  it('records an explicit owner instead of the creator', async () => {
    // Prepare
    const name = uniqueName('owned');

    // Act
    const res = await api.call('POST', '/v1/models', { principal: 'alice', body: { name, owner: 'bob' } });

    // Assess
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ owner: 'bob', createdBy: 'alice' });
  });

  it('refuses a second model of the same name with 409', async () => {
    // Prepare
    const name = uniqueName('dup');
    await createModel(api, name, { description: 'first' });

    // Act
    const res = await api.call('POST', '/v1/models', { body: { name, description: 'second' } });

    // Assess
    expectProblem(res, 409);
    const kept = await api.call('GET', `/v1/models/${name}`);
    expect(kept.body.description).toBe('first');
  });

  it('gets a model with every documented field and its aliases', async () => {
    // Prepare
    const name = uniqueName('get');
    await createModel(api, name, { description: 'd', tags: { a: 'b' }, riskTier: 'medium' });
    const { version } = await publishVersion(api, name);
    expect((await api.call('PUT', `/v1/models/${name}/aliases/champion`, { body: { version } })).status).toBe(
      200,
    );

    // Act
    const res = await api.call('GET', `/v1/models/${name}`);

    // Assess
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name,
      description: 'd',
      owner: 'local-user',
      tags: { a: 'b' },
      riskTier: 'medium',
      latestVersion: 1,
      aliases: { champion: 1 },
      createdBy: 'local-user',
    });
    for (const field of ['createdAt', 'updatedAt']) expect(Date.parse(res.body[field])).not.toBeNaN();
    expect(res.headers.get('etag')).toMatch(/^"\d+"$/);
  });

  it('answers 404 for a model that does not exist', async () => {
    // Act
    const res = await api.call('GET', `/v1/models/${uniqueName('missing')}`);

    // Assess
    expectProblem(res, 404);
  });

  describe('list', () => {
    const prefix = `page${process.pid}-`;
    const names: string[] = [];

    beforeAll(async () => {
      for (let i = 0; i < 25; i++) names.push(`${prefix}${String(i).padStart(2, '0')}`);
      await Promise.all(
        names.map((name, i) => createModel(api, name, { tags: { team: i % 5 === 0 ? 'fraud' : 'growth' } })),
      );
      // Names that share no prefix with the page: they must stay out of a prefix list.
      await createModel(api, `other${process.pid}-x`, { tags: { team: 'fraud' } });
    });

    it('pages through every model under a prefix with limit and cursor, each exactly once', async () => {
      // Act
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const query = new URLSearchParams({ prefix, limit: '10', ...(cursor ? { cursor } : {}) });
        const res = await api.call('GET', `/v1/models?${query}`);
        expect(res.status, res.text).toBe(200);
        pages.push(res.body.items.map((m: { name: string }) => m.name));
        cursor = res.body.nextCursor;
      } while (cursor && pages.length < 10);

      // Assess
      expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
      expect(pages.flat()).toEqual(names);
    });

    it('returns 20 items by default', async () => {
      // Act
      const res = await api.call('GET', `/v1/models?prefix=${prefix}`);

      // Assess
      expect(res.status).toBe(200);
      expect(res.body.items).toHaveLength(20);
      expect(res.body.nextCursor).toEqual(expect.any(String));
    });

    it('filters by tag k=v', async () => {
      // Act
      const res = await api.call('GET', `/v1/models?prefix=${prefix}&tag=team%3Dfraud&limit=100`);

      // Assess
      expect(res.status).toBe(200);
      expect(res.body.items.map((m: { name: string }) => m.name)).toEqual(
        names.filter((_, i) => i % 5 === 0),
      );
      expect(res.body.items.every((m: { tags: Record<string, string> }) => m.tags.team === 'fraud')).toBe(
        true,
      );
      expect(res.body.nextCursor).toBeUndefined();
    });

    it('filters by tag across pages without losing or repeating a model', async () => {
      // Act
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let round = 0; round < 10; round++) {
        const query = new URLSearchParams({
          prefix,
          tag: 'team=growth',
          limit: '7',
          ...(cursor ? { cursor } : {}),
        });
        const res = await api.call('GET', `/v1/models?${query}`);
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(7);
        seen.push(...res.body.items.map((m: { name: string }) => m.name));
        cursor = res.body.nextCursor;
        if (!cursor) break;
      }

      // Assess
      expect(seen).toEqual(names.filter((_, i) => i % 5 !== 0));
    });

    it('refuses a limit outside 1-100 and a tag filter without =', async () => {
      // Act
      const responses = await Promise.all(
        ['limit=0', 'limit=101', 'limit=ten', 'tag=team'].map((q) => api.call('GET', `/v1/models?${q}`)),
      );

      // Assess
      for (const res of responses) {
        const problem = expectProblem(res, 400);
        expect(problem.errors?.[0]?.path).toMatch(/^query\.(limit|tag)$/);
      }
    });

    it('refuses a cursor with one character flipped', async () => {
      // Prepare
      const first = await api.call('GET', `/v1/models?prefix=${prefix}&limit=5`);
      const cursor: string = first.body.nextCursor;
      const at = Math.floor(cursor.length / 3);
      const flipped = cursor.slice(0, at) + (cursor[at] === 'A' ? 'B' : 'A') + cursor.slice(at + 1);

      // Act
      const res = await api.call('GET', `/v1/models?prefix=${prefix}&limit=5&cursor=${flipped}`);

      // Assess
      const problem = expectProblem(res, 400);
      expect(problem.errors).toEqual([{ path: 'query.cursor', message: expect.any(String) }]);
    });

    it('refuses a flipped character in the signature as well as in the payload', async () => {
      // Prepare
      const first = await api.call('GET', `/v1/models?prefix=${prefix}&limit=5`);
      const cursor: string = first.body.nextCursor;
      const last = cursor.length - 2;
      const flipped = cursor.slice(0, last) + (cursor[last] === 'A' ? 'B' : 'A') + cursor.slice(last + 1);

      // Act
      const res = await api.call('GET', `/v1/models?prefix=${prefix}&limit=5&cursor=${flipped}`);

      // Assess
      expectProblem(res, 400);
    });

    it('refuses a cursor issued for another list', async () => {
      // Prepare: a valid cursor, but for the list of all models rather than this prefix
      const other = await api.call('GET', '/v1/models?limit=1');
      const cursor: string = other.body.nextCursor;
      expect(cursor).toEqual(expect.any(String));

      // Act
      const sameResource = await api.call('GET', `/v1/models?prefix=${prefix}&cursor=${cursor}`);
      const otherResource = await api.call('GET', `/v1/models/${names[0]}/versions?cursor=${cursor}`);

      // Assess
      expectProblem(sameResource, 400);
      expectProblem(otherResource, 400);
    });
  });

  describe('PATCH', () => {
    it('changes the fields given and leaves the others', async () => {
      // Prepare
      const name = uniqueName('patch');
      await createModel(api, name, { description: 'old', tags: { a: '1' }, riskTier: 'low' });

      // Act
      const res = await api.call('PATCH', `/v1/models/${name}`, {
        body: { description: 'new', riskTier: 'high', purpose: 'scoring' },
      });

      // Assess
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({
        description: 'new',
        riskTier: 'high',
        purpose: 'scoring',
        tags: { a: '1' },
      });
      const read = await api.call('GET', `/v1/models/${name}`);
      expect(read.body).toMatchObject({ description: 'new', riskTier: 'high', purpose: 'scoring' });
      expect(read.headers.get('etag')).toBe(res.headers.get('etag'));
    });

    it('honours If-Match: the current ETag passes, a stale one gets 412 and changes nothing', async () => {
      // Prepare
      const name = uniqueName('ifmatch');
      await createModel(api, name, { description: 'v0' });
      const first = await api.call('GET', `/v1/models/${name}`);
      const etag = first.headers.get('etag')!;

      // Act
      const current = await api.call('PATCH', `/v1/models/${name}`, {
        headers: { 'if-match': etag },
        body: { description: 'v1' },
      });
      const stale = await api.call('PATCH', `/v1/models/${name}`, {
        headers: { 'if-match': etag },
        body: { description: 'v2' },
      });

      // Assess
      expect(current.status, current.text).toBe(200);
      expect(current.headers.get('etag')).not.toBe(etag);
      expectProblem(stale, 412);
      const read = await api.call('GET', `/v1/models/${name}`);
      expect(read.body.description).toBe('v1');
    });

    it('lets only the owner or an admin change a model', async () => {
      // Prepare
      const name = uniqueName('owner');
      await createModel(api, name, { description: 'mine' }, 'alice');

      // Act
      const stranger = await api.call('PATCH', `/v1/models/${name}`, {
        principal: 'mallory',
        body: { description: 'hijacked' },
      });
      const owner = await api.call('PATCH', `/v1/models/${name}`, {
        principal: 'alice',
        body: { description: 'by owner' },
      });
      const admin = await api.call('PATCH', `/v1/models/${name}`, {
        principal: 'admin',
        body: { owner: 'carol' },
      });
      const formerOwner = await api.call('PATCH', `/v1/models/${name}`, {
        principal: 'alice',
        body: { description: 'no longer mine' },
      });

      // Assess
      expectProblem(stranger, 403);
      expect(owner.status).toBe(200);
      expect(admin.status, admin.text).toBe(200);
      expect(admin.body.owner).toBe('carol');
      expectProblem(formerOwner, 403);
      const read = await api.call('GET', `/v1/models/${name}`);
      expect(read.body).toMatchObject({ description: 'by owner', owner: 'carol' });
    });

    it('refuses an unknown field with 400 naming it', async () => {
      // Prepare
      const name = uniqueName('patchbad');
      await createModel(api, name);

      // Act
      const res = await api.call('PATCH', `/v1/models/${name}`, { body: { name: 'renamed' } });

      // Assess
      const problem = expectProblem(res, 400);
      expect(problem.errors?.map((e) => e.path)).toEqual(['body.name']);
    });

    it('answers 404 for a model that does not exist', async () => {
      // Act
      const res = await api.call('PATCH', `/v1/models/${uniqueName('nope')}`, { body: { description: 'x' } });

      // Assess
      expectProblem(res, 404);
    });
  });
});

describe('versions', () => {
  it('registers a version: 201 PENDING_UPLOAD with a presigned upload', async () => {
    // Prepare
    const name = uniqueName('reg');
    await createModel(api, name);
    const bytes = randomBytes(100);

    // Act
    const res = await api.call('POST', `/v1/models/${name}/versions`, {
      body: {
        artifact: { sha256: sha256(bytes), sizeBytes: 100, fileName: 'model.pkl' },
        framework: 'sklearn',
        params: { depth: 3, loss: 'log', warm: false },
        metrics: { auc: 0.91 },
        lineage: {
          datasets: [{ uri: 's3://data/train.csv', sha256: sha256(Buffer.from('d')), role: 'train' }],
          code: { repository: 'https://git.example/churn', commit: 'abc123' },
          image: { uri: 'registry.example/churn', digest: `sha256:${'a'.repeat(64)}` },
          trainingRun: { id: 'run-1' },
        },
        description: 'first',
        tags: { stage: 'exp' },
      },
    });

    // Assess
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      name,
      version: 1,
      status: 'PENDING_UPLOAD',
      artifact: { sha256: sha256(bytes), sizeBytes: 100, fileName: 'model.pkl' },
      upload: { url: expect.stringMatching(/^http/), method: 'PUT', headers: expect.any(Object) },
    });
    expect(Date.parse(res.body.upload.expiresAt)).toBeGreaterThan(Date.now());
    expect(res.body.upload.uploadId).toBeUndefined();
    expect(res.headers.get('location')).toBe(`/v1/models/${name}/versions/1`);
    expect((await api.call('GET', `/v1/models/${name}`)).body.latestVersion).toBe(1);
  });

  it('answers 404 when registering under a model that does not exist', async () => {
    // Act
    const res = await api.call('POST', `/v1/models/${uniqueName('ghost')}/versions`, {
      body: artifactBody(),
    });

    // Assess
    expectProblem(res, 404);
  });

  it('lets only the owner or an admin register a version', async () => {
    // Prepare
    const name = uniqueName('regowner');
    await createModel(api, name, {}, 'alice');

    // Act
    const stranger = await api.call('POST', `/v1/models/${name}/versions`, {
      principal: 'mallory',
      body: artifactBody(),
    });
    const admin = await api.call('POST', `/v1/models/${name}/versions`, {
      principal: 'admin',
      body: artifactBody(),
    });

    // Assess
    expectProblem(stranger, 403);
    expect(admin.status).toBe(201);
    expect(admin.body.version).toBe(1);
  });

  it('gets a version with every documented field and its ETag', async () => {
    // Prepare
    const name = uniqueName('getv');
    await createModel(api, name);
    const registered = await registerVersion(api, name, randomBytes(10), { params: { lr: 0.1 } });

    // Act
    const res = await api.call('GET', `/v1/models/${name}/versions/${registered.version}`);

    // Assess
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name,
      version: 1,
      status: 'PENDING_UPLOAD',
      artifact: { sizeBytes: 10, uri: expect.stringMatching(/^s3:\/\//) },
      lineage: {},
      params: { lr: 0.1 },
      metrics: {},
      tags: {},
      approvals: [],
      deployments: [],
      createdBy: 'local-user',
    });
    expect(Date.parse(res.body.createdAt)).not.toBeNaN();
    expect(res.body.upload).toBeUndefined();
    expect(res.headers.get('etag')).toMatch(/^"\d+"$/);
  });

  it('answers 404 for a version that does not exist, and 400 for one that is not a number', async () => {
    // Prepare
    const name = uniqueName('nov');
    await createModel(api, name);

    // Act
    const missing = await api.call('GET', `/v1/models/${name}/versions/7`);
    const zero = await api.call('GET', `/v1/models/${name}/versions/0`);
    const word = await api.call('GET', `/v1/models/${name}/versions/latest`);

    // Assess
    expectProblem(missing, 404);
    expect(expectProblem(zero, 400).errors?.[0]?.path).toBe('path.version');
    expect(expectProblem(word, 400).errors?.[0]?.path).toBe('path.version');
  });

  describe('list', () => {
    const name = uniqueName('listv');

    beforeAll(async () => {
      await createModel(api, name);
      // 1, 3, 5 READY; 2, 4, 6, 7 PENDING_UPLOAD
      for (let i = 1; i <= 7; i++) {
        if (i % 2 === 1 && i < 7) await publishVersion(api, name);
        else await registerVersion(api, name, randomBytes(8));
      }
    });

    it('lists newest first', async () => {
      // Act
      const res = await api.call('GET', `/v1/models/${name}/versions`);

      // Assess
      expect(res.status).toBe(200);
      expect(res.body.items.map((v: { version: number }) => v.version)).toEqual([7, 6, 5, 4, 3, 2, 1]);
      expect(res.body.nextCursor).toBeUndefined();
    });

    it('pages with limit and cursor', async () => {
      // Act
      const pages: number[][] = [];
      let cursor: string | undefined;
      do {
        const res = await api.call(
          'GET',
          `/v1/models/${name}/versions?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(res.status, res.text).toBe(200);
        pages.push(res.body.items.map((v: { version: number }) => v.version));
        cursor = res.body.nextCursor;
      } while (cursor && pages.length < 10);

      // Assess
      expect(pages).toEqual([[7, 6, 5], [4, 3, 2], [1]]);
    });

    it('filters by status, across pages too', async () => {
      // Act
      const ready = await api.call('GET', `/v1/models/${name}/versions?status=READY`);
      const pending1 = await api.call('GET', `/v1/models/${name}/versions?status=PENDING_UPLOAD&limit=2`);
      const pending2 = await api.call(
        'GET',
        `/v1/models/${name}/versions?status=PENDING_UPLOAD&limit=2&cursor=${encodeURIComponent(pending1.body.nextCursor)}`,
      );

      // Assess
      expect(ready.body.items.map((v: { version: number }) => v.version)).toEqual([5, 3, 1]);
      expect(ready.body.items.every((v: { status: string }) => v.status === 'READY')).toBe(true);
      expect(pending1.body.items.map((v: { version: number }) => v.version)).toEqual([7, 6]);
      expect(pending2.body.items.map((v: { version: number }) => v.version)).toEqual([4, 2]);
    });

    it('refuses an unknown status and a cursor of another status filter', async () => {
      // Prepare
      const page = await api.call('GET', `/v1/models/${name}/versions?status=PENDING_UPLOAD&limit=2`);

      // Act
      const bad = await api.call('GET', `/v1/models/${name}/versions?status=LIVE`);
      const crossed = await api.call(
        'GET',
        `/v1/models/${name}/versions?status=READY&cursor=${encodeURIComponent(page.body.nextCursor)}`,
      );

      // Assess
      expect(expectProblem(bad, 400).errors?.[0]?.path).toBe('query.status');
      expect(expectProblem(crossed, 400).errors?.[0]?.path).toBe('query.cursor');
    });

    it('answers 404 for the versions of a model that does not exist', async () => {
      // Act
      const res = await api.call('GET', `/v1/models/${uniqueName('none')}/versions`);

      // Assess
      expectProblem(res, 404);
    });
  });

  describe('PATCH', () => {
    it('changes description and tags, moves the ETag and keeps the artifact', async () => {
      // Prepare
      const name = uniqueName('patchv');
      await createModel(api, name);
      const registered = await registerVersion(api, name, randomBytes(12), { params: { a: 1 } });
      const before = await api.call('GET', `/v1/models/${name}/versions/1`);

      // Act
      const res = await api.call('PATCH', `/v1/models/${name}/versions/1`, {
        headers: { 'if-match': before.headers.get('etag')! },
        body: { description: 'tuned', tags: { reviewed: 'yes' } },
      });

      // Assess
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ description: 'tuned', tags: { reviewed: 'yes' } });
      expect(res.headers.get('etag')).not.toBe(before.headers.get('etag'));
      const after = await api.call('GET', `/v1/models/${name}/versions/1`);
      expect(after.body).toMatchObject({ description: 'tuned', tags: { reviewed: 'yes' }, params: { a: 1 } });
      expect(after.body.artifact).toEqual(before.body.artifact);
      expect(after.headers.get('etag')).toBe(res.headers.get('etag'));
      expect(registered.version).toBe(1);
    });

    it('never changes the artifact, params or lineage: 400 naming the field', async () => {
      // Prepare
      const name = uniqueName('immut');
      await createModel(api, name);
      await registerVersion(api, name, randomBytes(12), { params: { a: 1 } });
      const before = await api.call('GET', `/v1/models/${name}/versions/1`);

      // Act
      const res = await api.call('PATCH', `/v1/models/${name}/versions/1`, {
        body: {
          artifact: { sha256: 'f'.repeat(64), sizeBytes: 1 },
          params: { a: 2 },
          lineage: { trainingRun: { id: 'x' } },
        },
      });

      // Assess
      const problem = expectProblem(res, 400);
      expect(problem.errors?.map((e) => e.path).sort()).toEqual([
        'body.artifact',
        'body.lineage',
        'body.params',
      ]);
      const after = await api.call('GET', `/v1/models/${name}/versions/1`);
      expect(after.body).toEqual(before.body);
    });

    it('gets 412 with a stale If-Match', async () => {
      // Prepare
      const name = uniqueName('stalev');
      await createModel(api, name);
      await registerVersion(api, name, randomBytes(12));
      const etag = (await api.call('GET', `/v1/models/${name}/versions/1`)).headers.get('etag')!;
      await api.call('PATCH', `/v1/models/${name}/versions/1`, { body: { description: 'first' } });

      // Act
      const res = await api.call('PATCH', `/v1/models/${name}/versions/1`, {
        headers: { 'if-match': etag },
        body: { description: 'second' },
      });

      // Assess
      expectProblem(res, 412);
      expect((await api.call('GET', `/v1/models/${name}/versions/1`)).body.description).toBe('first');
    });

    it('lets only the owner or an admin change a version', async () => {
      // Prepare
      const name = uniqueName('vowner');
      await createModel(api, name, {}, 'alice');
      await registerVersion(api, name, randomBytes(12), {}, 'alice');

      // Act
      const stranger = await api.call('PATCH', `/v1/models/${name}/versions/1`, {
        principal: 'mallory',
        body: { description: 'x' },
      });
      const admin = await api.call('PATCH', `/v1/models/${name}/versions/1`, {
        principal: 'admin',
        body: { description: 'y' },
      });

      // Assess
      expectProblem(stranger, 403);
      expect(admin.status).toBe(200);
      expect((await api.call('GET', `/v1/models/${name}/versions/1`)).body.description).toBe('y');
    });
  });

  describe('artifact URL', () => {
    it('gives a presigned GET for a READY version', async () => {
      // Prepare
      const name = uniqueName('dl');
      await createModel(api, name);
      const bytes = randomBytes(500);
      await publishVersion(api, name, bytes);

      // Act
      const res = await api.call('GET', `/v1/models/${name}/versions/1/artifact`);

      // Assess
      expect(res.status, res.text).toBe(200);
      expect(Date.parse(res.body.expiresAt)).toBeGreaterThan(Date.now());
      const got = await fetch(res.body.url);
      expect(got.status).toBe(200);
      expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    });

    it('refuses a version that has no committed artifact with 409', async () => {
      // Prepare
      const name = uniqueName('nodl');
      await createModel(api, name);
      await registerVersion(api, name, randomBytes(5));

      // Act
      const res = await api.call('GET', `/v1/models/${name}/versions/1/artifact`);

      // Assess
      expectProblem(res, 409);
    });
  });

  describe('transitions', () => {
    const transition = (name: string, version: number, to: string, principal?: string) =>
      api.call('POST', `/v1/models/${name}/versions/${version}/transitions`, {
        body: { to, reason: `moving to ${to}` },
        ...(principal ? { principal } : {}),
      });

    it('moves READY -> DEPRECATED -> ARCHIVED and no further', async () => {
      // Prepare
      const name = uniqueName('life');
      await createModel(api, name);
      await publishVersion(api, name);

      // Act
      const deprecated = await transition(name, 1, 'DEPRECATED');
      const again = await transition(name, 1, 'DEPRECATED');
      const archived = await transition(name, 1, 'ARCHIVED');
      const back = await transition(name, 1, 'DEPRECATED');
      const archivedAgain = await transition(name, 1, 'ARCHIVED');

      // Assess
      expect(deprecated.status, deprecated.text).toBe(200);
      expect(deprecated.body).toMatchObject({ status: 'DEPRECATED', statusReason: 'moving to DEPRECATED' });
      expectProblem(again, 409);
      expect(archived.status, archived.text).toBe(200);
      expect(archived.body.status).toBe('ARCHIVED');
      expectProblem(back, 409);
      expectProblem(archivedAgain, 409);
      expect((await api.call('GET', `/v1/models/${name}/versions/1`)).body.status).toBe('ARCHIVED');
    });

    it('moves READY -> ARCHIVED directly', async () => {
      // Prepare
      const name = uniqueName('arch');
      await createModel(api, name);
      await publishVersion(api, name);

      // Act
      const res = await transition(name, 1, 'ARCHIVED');

      // Assess
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('ARCHIVED');
    });

    it('refuses to move a PENDING_UPLOAD version with 409, and leaves it', async () => {
      // Prepare
      const name = uniqueName('pendmove');
      await createModel(api, name);
      await registerVersion(api, name, randomBytes(5));

      // Act
      const deprecated = await transition(name, 1, 'DEPRECATED');
      const archived = await transition(name, 1, 'ARCHIVED');

      // Assess
      expectProblem(deprecated, 409);
      expectProblem(archived, 409);
      expect((await api.call('GET', `/v1/models/${name}/versions/1`)).body.status).toBe('PENDING_UPLOAD');
    });

    it('refuses a target outside DEPRECATED/ARCHIVED and a missing reason with 400', async () => {
      // Prepare
      const name = uniqueName('badmove');
      await createModel(api, name);
      await publishVersion(api, name);

      // Act
      const toReady = await transition(name, 1, 'READY');
      const noReason = await api.call('POST', `/v1/models/${name}/versions/1/transitions`, {
        body: { to: 'DEPRECATED' },
      });

      // Assess
      expect(expectProblem(toReady, 400).errors?.map((e) => e.path)).toEqual(['body.to']);
      expect(expectProblem(noReason, 400).errors?.map((e) => e.path)).toEqual(['body.reason']);
      expect((await api.call('GET', `/v1/models/${name}/versions/1`)).body.status).toBe('READY');
    });

    it('lets only the owner or an admin move a version', async () => {
      // Prepare
      const name = uniqueName('moveowner');
      await createModel(api, name, {}, 'alice');
      await publishVersion(api, name, randomBytes(20), {}, 'alice');

      // Act
      const stranger = await transition(name, 1, 'DEPRECATED', 'mallory');
      const admin = await transition(name, 1, 'DEPRECATED', 'admin');

      // Assess
      expectProblem(stranger, 403);
      expect(admin.status).toBe(200);
    });
  });
});

describe('aliases', () => {
  it('sets, reads (as the version), moves and deletes an alias', async () => {
    // Prepare
    const name = uniqueName('alias');
    await createModel(api, name);
    await publishVersion(api, name);
    await publishVersion(api, name);

    // Act
    const set = await api.call('PUT', `/v1/models/${name}/aliases/champion`, { body: { version: 1 } });
    const read1 = await api.call('GET', `/v1/models/${name}/aliases/champion`);
    const moved = await api.call('PUT', `/v1/models/${name}/aliases/champion`, { body: { version: 2 } });
    const read2 = await api.call('GET', `/v1/models/${name}/aliases/champion`);
    const deleted = await api.call('DELETE', `/v1/models/${name}/aliases/champion`);
    const gone = await api.call('GET', `/v1/models/${name}/aliases/champion`);
    const deletedAgain = await api.call('DELETE', `/v1/models/${name}/aliases/champion`);

    // Assess
    expect(set.status, set.text).toBe(200);
    expect(set.body).toMatchObject({ name, alias: 'champion', version: 1 });
    expect(read1.status).toBe(200);
    expect(read1.body).toMatchObject({ name, version: 1, status: 'READY', artifact: expect.any(Object) });
    expect(moved.status).toBe(200);
    expect(read2.body.version).toBe(2);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expectProblem(gone, 404);
    expectProblem(deletedAgain, 404);
    expect((await api.call('GET', `/v1/models/${name}`)).body.aliases).toEqual({});
  });

  it('refuses an alias to a version that is not READY with 409', async () => {
    // Prepare
    const name = uniqueName('aliaspend');
    await createModel(api, name);
    await registerVersion(api, name, randomBytes(5));

    // Act
    const res = await api.call('PUT', `/v1/models/${name}/aliases/champion`, { body: { version: 1 } });

    // Assess
    expectProblem(res, 409);
    expectProblem(await api.call('GET', `/v1/models/${name}/aliases/champion`), 404);
  });

  it('refuses an alias to a version that does not exist with 404', async () => {
    // Prepare
    const name = uniqueName('aliasnov');
    await createModel(api, name);

    // Act
    const res = await api.call('PUT', `/v1/models/${name}/aliases/champion`, { body: { version: 3 } });

    // Assess
    expectProblem(res, 404);
  });

  it('refuses an alias named as an integer, or outside [a-z0-9_-], with 400', async () => {
    // Prepare
    const name = uniqueName('aliasname');
    await createModel(api, name);
    await publishVersion(api, name);

    // Act
    const responses = await Promise.all(
      ['42', 'Champion', 'a.b', 'x'.repeat(65)].map((alias) =>
        api.call('PUT', `/v1/models/${name}/aliases/${alias}`, { body: { version: 1 } }),
      ),
    );

    // Assess
    for (const res of responses) expect(expectProblem(res, 400).errors?.[0]?.path).toBe('path.alias');
    expect((await api.call('GET', `/v1/models/${name}`)).body.aliases).toEqual({});
  });

  it('lets only the owner or an admin set or delete an alias', async () => {
    // Prepare
    const name = uniqueName('aliasowner');
    await createModel(api, name, {}, 'alice');
    await publishVersion(api, name, randomBytes(10), {}, 'alice');

    // Act
    const strangerSet = await api.call('PUT', `/v1/models/${name}/aliases/prod`, {
      principal: 'mallory',
      body: { version: 1 },
    });
    const ownerSet = await api.call('PUT', `/v1/models/${name}/aliases/prod`, {
      principal: 'alice',
      body: { version: 1 },
    });
    const strangerDelete = await api.call('DELETE', `/v1/models/${name}/aliases/prod`, {
      principal: 'mallory',
    });
    const adminDelete = await api.call('DELETE', `/v1/models/${name}/aliases/prod`, { principal: 'admin' });

    // Assess
    expectProblem(strangerSet, 403);
    expect(ownerSet.status).toBe(200);
    expectProblem(strangerDelete, 403);
    expect(adminDelete.status).toBe(204);
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

  describe('Idempotency-Key', () => {
    it('replays the first response for the same key and body, creating one model', async () => {
      // Prepare
      const name = uniqueName('idem');
      const key = `key-${name}`;

      // Act
      const first = await api.call('POST', '/v1/models', {
        headers: { 'idempotency-key': key },
        body: { name },
      });
      const second = await api.call('POST', '/v1/models', {
        headers: { 'idempotency-key': key },
        body: { name },
      });

      // Assess
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      const created = (await eventsOf(api, name)).filter((e) => e['detail-type'] === 'model.created');
      expect(created).toHaveLength(1);
    });

    it('replays a version registration: one version, the same upload', async () => {
      // Prepare
      const name = uniqueName('idemv');
      await createModel(api, name);
      const body = artifactBody();
      const headers = { 'idempotency-key': `reg-${name}` };

      // Act
      const first = await api.call('POST', `/v1/models/${name}/versions`, { headers, body });
      const second = await api.call('POST', `/v1/models/${name}/versions`, { headers, body });

      // Assess
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      const list = await api.call('GET', `/v1/models/${name}/versions`);
      expect(list.body.items.map((v: { version: number }) => v.version)).toEqual([1]);
      expect((await api.call('GET', `/v1/models/${name}`)).body.latestVersion).toBe(1);
    });

    it('refuses the same key with another body with 422, creating nothing', async () => {
      // Prepare
      const name = uniqueName('idemx');
      await createModel(api, name);
      const headers = { 'idempotency-key': `mix-${name}` };
      await api.call('POST', `/v1/models/${name}/versions`, { headers, body: artifactBody() });

      // Act
      const res = await api.call('POST', `/v1/models/${name}/versions`, { headers, body: artifactBody() });

      // Assess
      expectProblem(res, 422);
      expect((await api.call('GET', `/v1/models/${name}`)).body.latestVersion).toBe(1);
    });

    it('refuses the same key on another path with 422', async () => {
      // Prepare
      const first = uniqueName('idempath');
      const second = uniqueName('idempath');
      await createModel(api, first);
      await createModel(api, second);
      const headers = { 'idempotency-key': `path-${first}` };
      const body = artifactBody();
      await api.call('POST', `/v1/models/${first}/versions`, { headers, body });

      // Act
      const res = await api.call('POST', `/v1/models/${second}/versions`, { headers, body });

      // Assess
      expectProblem(res, 422);
      expect((await api.call('GET', `/v1/models/${second}`)).body.latestVersion).toBe(0);
    });

    it('scopes keys to the caller: another principal with the same key is not replayed', async () => {
      // Prepare
      const name = uniqueName('idemp');
      const key = `shared-${name}`;
      await api.call('POST', '/v1/models', {
        principal: 'alice',
        headers: { 'idempotency-key': key },
        body: { name },
      });

      // Act
      const res = await api.call('POST', '/v1/models', {
        principal: 'bob',
        headers: { 'idempotency-key': key },
        body: { name },
      });

      // Assess
      expectProblem(res, 409);
    });

    it('does not record a refused request: the corrected retry with the same key succeeds', async () => {
      // Prepare
      const name = uniqueName('idemfix');
      const headers = { 'idempotency-key': `fix-${name}` };
      const refused = await api.call('POST', '/v1/models', { headers, body: { name, riskTier: 'extreme' } });

      // Act
      const retried = await api.call('POST', '/v1/models', { headers, body: { name, riskTier: 'high' } });

      // Assess
      expectProblem(refused, 400);
      expect(retried.status, retried.text).toBe(201);
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

describe('domain events', () => {
  it('emits one event per mutation, with its detail-type and target', async () => {
    // Prepare
    const name = uniqueName('events');
    const bytes = randomBytes(64);

    // Act
    await createModel(api, name);
    await api.call('PATCH', `/v1/models/${name}`, { body: { description: 'd' } });
    const registered = await registerVersion(api, name, bytes);
    await putArtifact(registered.upload, bytes);
    await commit(api, name, 1);
    await api.call('PATCH', `/v1/models/${name}/versions/1`, { body: { description: 'v' } });
    await api.call('PUT', `/v1/models/${name}/aliases/champion`, { body: { version: 1 } });
    await api.call('DELETE', `/v1/models/${name}/aliases/champion`);
    await api.call('POST', `/v1/models/${name}/versions/1/transitions`, {
      body: { to: 'DEPRECATED', reason: 'old' },
    });
    const bad = await registerVersion(api, name, bytes);
    await putArtifact(bad.upload, randomBytes(64));
    await commit(api, name, 2);
    // Refusals change nothing and so emit nothing.
    await api.call('POST', `/v1/models/${name}/versions/1/transitions`, {
      body: { to: 'DEPRECATED', reason: 'x' },
    });
    await api.call('PATCH', `/v1/models/${name}`, { principal: 'mallory', body: { description: 'm' } });

    // Assess
    const events = await eventsOf(api, name);
    expect(events.map((e) => [e['detail-type'], e.detail.target])).toEqual([
      ['model.created', `model:${name}`],
      ['model.updated', `model:${name}`],
      ['version.registered', `version:${name}:1`],
      ['version.committed', `version:${name}:1`],
      ['version.updated', `version:${name}:1`],
      ['alias.set', `alias:${name}:champion`],
      ['alias.deleted', `alias:${name}:champion`],
      ['version.transitioned', `version:${name}:1`],
      ['version.registered', `version:${name}:2`],
      ['version.failed', `version:${name}:2`],
    ]);
    expect(events.map((e) => e.detail.seq)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    const all = (await api.call('GET', '/local/events')).body as {
      source: string;
      time: string;
      id: string;
    }[];
    expect(all.every((e) => e.source === 'steward' && !Number.isNaN(Date.parse(e.time)) && e.id)).toBe(true);
  });
});
