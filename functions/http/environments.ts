import { environmentsRoutes } from '#api/routes/environments';
import { etagOf, httpHandler, ifMatchRevision, json, operationsFor } from '#commons/http';
import { DEFAULT_APPROVAL_TTL_HOURS, type EnvironmentPolicy } from '#domain/environment';
import { listEnvironments, replaceEnvironment } from '#services/environments';

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
    const items = (await listEnvironments()).map((e) => present(e.name, e.policy, e.stored));
    return json(200, { items });
  },

  putEnvironment: async (request) => {
    const { environment: name } = request.input.path;
    const policy = request.input.body;
    const saved = await replaceEnvironment(request.principal.id, name, policy, ifMatchRevision(request));
    return json(200, present(name, policy, saved), { etag: etagOf(saved.revision) });
  },
});

export const handler = httpHandler(environmentsRoutes, operations);
