import type { ApprovalItem } from '#adapters/approvals-table';
import type { AliasItem, ModelItem, VersionItem } from '#adapters/registry-table';
import { isExpired } from '#domain/approval';
import { s3Uri } from '#domain/artifact';
import type { BaselineProfile, FeatureProfile } from '#domain/drift/profile';
import type { EncodedValues } from '#domain/drift/values-codec';
import { type Model, type ModelListItem, mayActOn, teamOf } from '#domain/model';
import { missingForReproducibility } from '#domain/reproducibility';
import type { Version } from '#domain/version';

/** Stored items as the API shows them: no keys, no chain internals, no upload ids. */
export const presentModelSummary = (model: ModelItem) =>
  ({
    name: model.name,
    ...(model.description === undefined ? {} : { description: model.description }),
    owner: model.owner,
    owners: teamOf(model),
    mayAct: mayActOn(teamOf(model)),
    tags: model.tags ?? {},
    ...(model.riskTier === undefined ? {} : { riskTier: model.riskTier }),
    ...(model.purpose === undefined ? {} : { purpose: model.purpose }),
    latestVersion: model.latestVersion,
    createdAt: model.createdAt,
    createdBy: model.createdBy,
    updatedAt: model.updatedAt,
    updatedBy: model.updatedBy,
  }) satisfies ModelListItem;

/** A model with its aliases, as one model is read. */
export const presentModel = (model: ModelItem, aliases: readonly AliasItem[]) =>
  ({
    ...presentModelSummary(model),
    aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version])),
  }) satisfies Model;

export const presentArtifact = (a: VersionItem['artifact']) => ({
  sha256: a.sha256,
  sizeBytes: a.sizeBytes,
  ...(a.fileName ? { fileName: a.fileName } : {}),
  uri: s3Uri(a.bucket, a.key),
  ...(a.versionId ? { versionId: a.versionId } : {}),
  ...(a.files
    ? {
        files: a.files.map((f) => ({
          path: f.path,
          sha256: f.sha256,
          sizeBytes: f.sizeBytes,
          ...(f.versionId ? { versionId: f.versionId } : {}),
        })),
      }
    : {}),
  ...(a.source ? { source: a.source } : {}),
});

export const presentVersion = (v: VersionItem) =>
  ({
    name: v.name,
    version: v.version,
    status: v.status,
    ...(v.statusReason ? { statusReason: v.statusReason } : {}),
    artifact: presentArtifact(v.artifact),
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

export const presentApproval = (a: ApprovalItem) => ({
  id: a.id,
  model: a.model,
  version: a.version,
  environment: a.environment,
  // A request whose time ran out reads EXPIRED even before the workflow records it.
  status: isExpired(a) ? 'EXPIRED' : a.status,
  ...(a.reason ? { reason: a.reason } : {}),
  requestedBy: a.requestedBy,
  requestedAt: a.requestedAt,
  expiresAt: a.expiresAt,
  requiredApprovals: a.groups.reduce((n, g) => n + g.minApprovals, 0),
  groups: a.groups.map((g) => ({
    name: g.name,
    minApprovals: g.minApprovals,
    approvals: g.approvals,
    done: g.done,
  })),
  approvers: a.approvers,
  decisions: a.decisions.map((d) => ({
    by: d.by,
    decision: d.decision,
    ...(d.comment ? { comment: d.comment } : {}),
    at: d.at,
    group: d.group,
  })),
  ...(a.decidedAt ? { decidedAt: a.decidedAt } : {}),
  ...(a.outcomeReason ? { outcomeReason: a.outcomeReason } : {}),
  ...(a.deployOnApproval ? { deployOnApproval: a.deployOnApproval } : {}),
  ...(a.deploymentId ? { deploymentId: a.deploymentId } : {}),
  ...(a.deploymentError ? { deploymentError: a.deploymentError } : {}),
});

/** The model card as the API shows it: the model's name, the card's fields, its revision. */
export const presentCard = (
  name: string,
  c: { card: Record<string, unknown>; revision: number; updatedAt?: string; updatedBy?: string },
) => ({
  model: name,
  ...c.card,
  revision: c.revision,
  ...(c.updatedAt ? { updatedAt: c.updatedAt, updatedBy: c.updatedBy } : {}),
});

/** A feature as the API shows it: its KS values (every value, or a sketch) stay in S3. */
const presentFeature = (feature: FeatureProfile) => {
  const { distribution, sample, ...rest } = feature as FeatureProfile & {
    distribution?: EncodedValues;
    sample?: number[];
  };
  if (distribution)
    return {
      ...rest,
      ksValues:
        distribution.kind === 'exact'
          ? { kind: 'exact', count: distribution.count }
          : {
              kind: 'sketch',
              count: distribution.n,
              rankErrorBound: distribution.errorWeight / distribution.n,
            },
    };
  return { ...rest, ...(sample ? { sampleSize: sample.length } : {}) };
};

/** The profile as the API shows it: everything but the values kept for KS, which stay in S3. */
export const presentProfile = (profile: BaselineProfile, uri: string) => ({
  uri,
  rows: profile.rows,
  ...(profile.ksExactMax !== undefined ? { ksExactMax: profile.ksExactMax } : {}),
  features: profile.features.map(presentFeature),
  ...(profile.prediction ? { prediction: presentFeature(profile.prediction) } : {}),
});

/** What reproducing a version needs, and what of it the version lacks. */
export const presentManifest = (item: VersionItem) => {
  const missing = missingForReproducibility(item);
  const { lineage } = item;
  return {
    name: item.name,
    version: item.version,
    status: item.status,
    reproducible: missing.length === 0,
    missing,
    artifact: presentArtifact(item.artifact),
    ...(item.framework ? { framework: item.framework } : {}),
    ...(lineage.code ? { code: lineage.code } : {}),
    ...(lineage.image ? { image: lineage.image } : {}),
    datasets: lineage.datasets ?? [],
    ...(lineage.trainingRun ? { trainingRun: lineage.trainingRun } : {}),
    ...(item.params ? { params: item.params } : {}),
  };
};
