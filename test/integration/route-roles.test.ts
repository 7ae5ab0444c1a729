import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#api/routes';
import { type Api, startApi } from './local-api.ts';

/**
 * Each route entry declares its role, and the middleware enforces it before anything of the
 * request is read: a caller without the role gets 403 whatever the path and body say.
 */
const concrete = (path: string) =>
  path
    .replace('{model}', 'no-such-model')
    .replace('{version}', '1')
    .replace('{alias}', 'champion')
    .replace('{environment}', 'prod')
    .replace('{id}', 'no-such-id')
    .replace('{run}', 'latest')
    .replace('{proxy+}', 'anything')
    .replace('{path+}', 'a/b');

describe('route entries declare their role and the middleware enforces it', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  const named = routes.filter(
    (r) => typeof r.role !== 'string' || !['public', 'authenticated', 'reader', 'owner'].includes(r.role),
  );

  it('names at least the publisher, deployer, approver and admin operations', () => {
    const roles = new Set<string>(
      named.flatMap((r): readonly string[] => (typeof r.role === 'string' ? [r.role] : r.role)),
    );
    for (const role of ['publisher', 'deployer', 'approver', 'admin']) expect(roles).toContain(role);
  });

  it('refuses an auditor (read-only) every operation that names a role, before reading its input', async () => {
    for (const route of named) {
      // Prepare: an auditor holds only the auditor role (local mode's default role map).
      // Act: a body the operation could not accept anyway, on a path that names nothing.
      const response = await api.call(route.method, concrete(route.path), {
        principal: 'auditor',
        ...(['POST', 'PUT', 'PATCH'].includes(route.method) ? { body: { nonsense: true } } : {}),
      });
      // Assess: the role decides first.
      expect(response.status, `${route.method} ${route.path}`).toBe(403);
    }
  });

  it('lets an auditor through the reader operations to their own answers (never a 403)', async () => {
    for (const route of routes.filter((r) => r.role === 'reader' && r.protocol !== 'mlflow')) {
      const response = await api.call(route.method, concrete(route.path), { principal: 'auditor' });
      expect(response.status, `${route.method} ${route.path}`).not.toBe(403);
      expect(response.status, `${route.method} ${route.path}`).toBeLessThan(500);
    }
  });
});
