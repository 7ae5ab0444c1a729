import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { artifactBody, localApiPerFile } from './registry-api.ts';
import {
  createModel,
  expectProblem,
  publishVersion,
  registerVersion,
  sha256,
  uniqueName,
} from './registry-fixtures.ts';

/** Versions: register, get, list, PATCH and the artifact URL, through the local HTTP adapter. */
const api = localApiPerFile();

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
});
