import { retryOnConflict } from '#adapters/audit-chain';
import { listStoredEnvironments, putEnvironment, resolveEnvironment } from '#adapters/environments-table';
import { environmentsRoutes } from '#api/routes/environments';
import { config } from '#commons/config';
import { PreconditionFailedError } from '#commons/errors';
import { etagOf, httpHandler, ifMatchRevision, json, operationsFor } from '#commons/http';
import { DEFAULT_APPROVAL_TTL_HOURS, type EnvironmentPolicy } from '#domain/environment';

/** Environments and their policies: seeded from configuration, changed by admins, audited. */
const present = (
  name: string,
  policy: EnvironmentPolicy,
  stored: { revision: number; updatedAt: string; updatedBy: string } | undefined,
) => ({
  name,
  ...policy,
  approvalTtlHours: policy.approvalTtlHours ?? DEFAULT_APPROVAL_TTL_HOURS,
  requireReproducibility: policy.requireReproducibility ?? false,
  source: stored ? 'stored' : 'default',
  revision: stored?.revision ?? 0,
  ...(stored ? { updatedAt: stored.updatedAt, updatedBy: stored.updatedBy } : {}),
});

export const operations = operationsFor(environmentsRoutes, {
  listEnvironments: async (_request) => {
    const stored = await listStoredEnvironments();
    const byName = new Map<string, ReturnType<typeof present>>();
    for (const [name, policy] of Object.entries(config().environments))
      byName.set(name, present(name, policy, undefined));
    for (const item of stored) {
      const { name, revision, updatedAt, updatedBy, ...policy } = item;
      byName.set(name, present(name, policy, { revision, updatedAt, updatedBy }));
    }
    const items = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    return json(200, { items });
  },

  putEnvironment: async (request) => {
    const { environment: name } = request.input.path;
    const policy = request.input.body;
    const expected = ifMatchRevision(request);
    const at = new Date().toISOString();
    const saved = await retryOnConflict(async () => {
      const current = await resolveEnvironment(name);
      const revision = current?.stored?.revision ?? 0;
      if (expected !== undefined && expected !== revision)
        throw new PreconditionFailedError('the environment changed since it was read (If-Match)');
      return await putEnvironment(name, policy, current?.policy, revision, request.principal.id, at);
    });
    return json(200, present(name, policy, saved), { etag: etagOf(saved.revision) });
  },
});

export const handler = httpHandler(environmentsRoutes, operations);
