import { s3Uri } from '#adapters/artifact-store';
import type { AliasItem, ModelItem, VersionItem } from '#adapters/registry-table';
import type { Model } from '#domain/model';
import type { Version } from '#domain/version';

/** Stored items as the API shows them: no keys, no chain internals, no upload ids. */
export const presentModel = (model: ModelItem, aliases?: AliasItem[]) =>
  ({
    name: model.name,
    ...(model.description === undefined ? {} : { description: model.description }),
    owner: model.owner,
    tags: model.tags ?? {},
    ...(model.riskTier === undefined ? {} : { riskTier: model.riskTier }),
    ...(model.purpose === undefined ? {} : { purpose: model.purpose }),
    latestVersion: model.latestVersion,
    ...(aliases ? { aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version])) } : {}),
    createdAt: model.createdAt,
    createdBy: model.createdBy,
    updatedAt: model.updatedAt,
    updatedBy: model.updatedBy,
  }) satisfies Partial<Model>;

export const presentVersion = (v: VersionItem) =>
  ({
    name: v.name,
    version: v.version,
    status: v.status,
    ...(v.statusReason ? { statusReason: v.statusReason } : {}),
    artifact: {
      sha256: v.artifact.sha256,
      sizeBytes: v.artifact.sizeBytes,
      ...(v.artifact.fileName ? { fileName: v.artifact.fileName } : {}),
      uri: s3Uri(v.artifact.bucket, v.artifact.key),
      ...(v.artifact.versionId ? { versionId: v.artifact.versionId } : {}),
    },
    ...(v.framework ? { framework: v.framework } : {}),
    params: v.params ?? {},
    metrics: v.metrics ?? {},
    lineage: v.lineage ?? {},
    ...(v.description === undefined ? {} : { description: v.description }),
    tags: v.tags ?? {},
    approvals: Object.entries(v.approvalsByEnvironment ?? {}).map(([environment, a]) => ({
      environment,
      ...a,
    })),
    deployments: Object.entries(v.servingOn ?? {}).map(([where, ref]) => {
      const at = where.indexOf('/');
      return { environment: where.slice(0, at), target: where.slice(at + 1), ...ref };
    }),
    createdAt: v.createdAt,
    createdBy: v.createdBy,
    updatedAt: v.updatedAt,
    updatedBy: v.updatedBy,
  }) satisfies Omit<Version, 'upload'>;

export const presentAlias = (a: AliasItem) => ({
  name: a.name,
  alias: a.alias,
  version: a.version,
  createdAt: a.createdAt,
  createdBy: a.createdBy,
});
