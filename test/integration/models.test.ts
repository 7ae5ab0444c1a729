import { beforeAll, describe, expect, it } from 'vitest';
import { localApiPerFile } from './registry-api.ts';
import { createModel, expectProblem, publishVersion, uniqueName } from './registry-fixtures.ts';

/** Models: create, get, list (prefix, tag, cursor) and PATCH, through the local HTTP adapter. */
const api = localApiPerFile();

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
