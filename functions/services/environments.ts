import { retryOnConflict } from '#adapters/audit-chain';
import {
  type EnvironmentItem,
  listStoredEnvironments,
  putEnvironment,
  resolveEnvironment,
} from '#adapters/environments-table';
import { config } from '#commons/config';
import { PreconditionFailedError } from '#commons/errors';
import type { EnvironmentPolicy } from '#domain/environment';

/**
 * Environments and their policies: seeded from configuration, replaced by admins (audited in the
 * system chain), a stored policy winning over its seed.
 */
export interface EnvironmentView {
  name: string;
  policy: EnvironmentPolicy;
  /** The stored revision; undefined for a seed never changed. */
  stored: Pick<EnvironmentItem, 'revision' | 'updatedAt' | 'updatedBy'> | undefined;
}

/** Every environment, seeds and stored, by name. */
export const listEnvironments = async (): Promise<EnvironmentView[]> => {
  const stored = await listStoredEnvironments();
  const byName = new Map<string, EnvironmentView>();
  for (const [name, policy] of Object.entries(config().environments))
    byName.set(name, { name, policy, stored: undefined });
  for (const item of stored) {
    const { name, revision, updatedAt, updatedBy, ...policy } = item;
    byName.set(name, { name, policy, stored: { revision, updatedAt, updatedBy } });
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
};

/** Replace an environment's policy, guarded by the revision read (If-Match; 0 for a seed). */
export const replaceEnvironment = async (
  actor: string,
  name: string,
  policy: EnvironmentPolicy,
  expectedRevision: number | undefined,
): Promise<EnvironmentItem> => {
  const at = new Date().toISOString();
  return retryOnConflict(async () => {
    const current = await resolveEnvironment(name);
    const revision = current?.stored?.revision ?? 0;
    if (expectedRevision !== undefined && expectedRevision !== revision)
      throw new PreconditionFailedError('the environment changed since it was read (If-Match)');
    return await putEnvironment(name, policy, current?.policy, revision, actor, at);
  });
};
