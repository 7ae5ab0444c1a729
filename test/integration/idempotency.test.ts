import { describe, expect, it } from 'vitest';
import { artifactBody, localApiPerFile } from './registry-api.ts';
import { createModel, eventsOf, expectProblem, uniqueName } from './registry-fixtures.ts';

/** Idempotency-Key (a Convention of API.md): replays, refusals and scoping, through the local HTTP adapter. */
const api = localApiPerFile();

describe('conventions', () => {
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
});
