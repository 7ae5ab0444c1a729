import { randomUUID } from 'node:crypto';
import type * as z from 'zod';
import { retryOnConflict, WriteConditionFailed } from '#adapters/audit-chain';
import {
  changeVersion,
  getModel,
  getModelAndVersion,
  type StoredFile,
  type VersionItem,
} from '#adapters/registry-table';
import { startExecution } from '#adapters/workflow';
import { artifactsBucket, config } from '#commons/config';
import { ForbiddenError, NotFoundError, ValidationError } from '#commons/errors';
import { ENV, s3Keys } from '#commons/facts';
import { type Principal, requireOwner, requireRole } from '#commons/identity';
import { totalBytes, treeDigest } from '#domain/artifact';
import { sourcesOf } from '#domain/lifecycle';
import { missingForReproducibility } from '#domain/reproducibility';
import { Lineage } from '#domain/version';
import { insertNextVersion } from './registry.ts';

/**
 * Registration by reference: a version whose files are copied from a source URI into Steward's
 * own store by an asynchronous job (the registration state machine), and hashed there. The version
 * is PENDING_UPLOAD until the copy is checked (READY) or fails (FAILED, with the reason).
 */
export type Source = { kind: 's3'; bucket: string; prefix: string } | { kind: 'file'; path: string };

export class SourceError extends ValidationError {
  override readonly name = 'SourceError';
}

/** Which sources a version may come from: s3:// in the allowed buckets; file:// in local mode only. */
export const parseSource = (uri: string): Source => {
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  const local = config().mode === 'local';
  if (s3) {
    const bucket = s3[1]!;
    const prefix = (s3[2] ?? '').replace(/\/+$/, '');
    if (!local && !config().sourceBuckets.includes(bucket))
      throw new SourceError(
        `source bucket ${bucket} is not one Steward may read: the deployment names the allowed buckets in the sourceBuckets context`,
        { errors: [{ path: 'body.source', message: 'bucket not allowed' }] },
      );
    if (prefix.split('/').some((s) => s === '..'))
      throw new SourceError('a source has no .. segments', {
        errors: [{ path: 'body.source', message: 'no .. segments' }],
      });
    return { kind: 's3', bucket, prefix };
  }
  if (uri.startsWith('file://')) {
    if (!local)
      throw new SourceError('file:// sources are accepted in local mode only; register from s3://', {
        errors: [{ path: 'body.source', message: 'file:// is local mode only' }],
      });
    const path = decodeURIComponent(uri.slice('file://'.length));
    if (!path.startsWith('/'))
      throw new SourceError('a file:// source is an absolute path (file:///path/to/model)', {
        errors: [{ path: 'body.source', message: 'not an absolute path' }],
      });
    return { kind: 'file', path };
  }
  throw new SourceError(
    `Steward registers versions from s3:// URIs${local ? ' (or file:// in local mode)' : ''}; ${uri.split(':')[0]}: sources are not supported (a runs:/ or models:/ URI needs MLflow's tracking server: register the run's artifact location, s3://...)`,
    { errors: [{ path: 'body.source', message: 'unsupported scheme' }] },
  );
};

/** Lineage and params a version registered through MLflow may carry in its tags. */
export const LINEAGE_TAG = 'steward.lineage';
export const PARAMS_TAG = 'steward.params';

const fromJsonTag = (tags: Record<string, string>, key: string): unknown => {
  const text = tags[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ValidationError(`tag ${key} is not valid JSON: ${(error as Error).message}`, {
      errors: [{ path: `body.tags.${key}`, message: 'not valid JSON' }],
    });
  }
};

export interface ReferenceRegistration {
  name: string;
  source: string;
  runId?: string | undefined;
  runLink?: string | undefined;
  description?: string | undefined;
  tags: Record<string, string>;
}

/**
 * Register a version by reference. Roles, ownership and governance as through /v1; a version the
 * model's governance refuses (a high-risk model without reproducibility fields) is recorded as
 * FAILED with the missing fields, so the caller polling it learns why.
 */
export const registerByReference = async (
  principal: Principal,
  input: ReferenceRegistration,
): Promise<VersionItem> => {
  requireRole(principal, 'publisher');
  const first = await getModel(input.name);
  if (!first || first.deletedAt) throw new NotFoundError(`registered model ${input.name} does not exist`);
  requireOwner(principal, first.owner);
  parseSource(input.source);

  const lineageTag = fromJsonTag(input.tags, LINEAGE_TAG);
  let tagged: z.infer<typeof Lineage> = {};
  if (lineageTag !== undefined) {
    const parsed = Lineage.safeParse(lineageTag);
    if (!parsed.success)
      throw new ValidationError(`tag ${LINEAGE_TAG} is not a Steward lineage`, {
        errors: parsed.error.issues.map((i) => ({
          path: `body.tags.${LINEAGE_TAG}.${i.path.join('.')}`,
          message: i.message,
        })),
      });
    tagged = parsed.data;
  }
  const lineage = {
    ...tagged,
    ...(input.runId
      ? { trainingRun: { id: input.runId, ...(input.runLink ? { uri: input.runLink } : {}) } }
      : {}),
  };
  const params = fromJsonTag(input.tags, PARAMS_TAG) as VersionItem['params'] | undefined;
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params)))
    throw new ValidationError(`tag ${PARAMS_TAG} is a JSON object`, {
      errors: [{ path: `body.tags.${PARAMS_TAG}`, message: 'not a JSON object' }],
    });

  const missing = first.riskTier === 'high' ? missingForReproducibility({ lineage, params }) : [];
  const refused = missing.length
    ? `model ${input.name} is high risk, so its versions must be reproducible; missing: ${missing.map((m) => m.path).join(', ')} (give them in the tags ${LINEAGE_TAG} and ${PARAMS_TAG} as JSON)`
    : undefined;

  const bucket = artifactsBucket();
  const key = s3Keys.artifactFolder(input.name, randomUUID());
  const item = await insertNextVersion(
    first,
    {
      status: refused ? 'FAILED' : 'PENDING_UPLOAD',
      ...(refused ? { statusReason: refused } : {}),
      artifact: { sha256: '', sizeBytes: 0, bucket, key, files: [], source: input.source },
      ...(params ? { params } : {}),
      metrics: {},
      lineage,
      ...(input.description ? { description: input.description } : {}),
      tags: input.tags,
    },
    principal.id,
  );
  if (!refused) await startCopy(item);
  return item;
};

/** Start the copy; a version whose copy could not start fails at once rather than stay pending. */
const startCopy = async (item: VersionItem) => {
  try {
    const arn = config().registrationStateMachineArn;
    if (!arn) throw new Error(`${ENV.REGISTRATION_STATE_MACHINE_ARN} is not configured`);
    // Execution names are unique per state machine for 90 days; the version's own key part is.
    const id = item.artifact.key.split('/').at(-2)!;
    await startExecution(arn, `copy-${id}`, { model: item.name, version: item.version });
  } catch (error) {
    await finish(item.name, item.version, {
      reason: `the copy could not start: ${(error as Error).name}: ${(error as Error).message}`,
    });
    throw error;
  }
};

const ACTOR = 'steward:registration';

/**
 * Record a registration's outcome: READY with the manifest of Steward's copy, or FAILED with the
 * reason; an audited write, done only while the version is still PENDING_UPLOAD.
 */
export const finish = async (
  name: string,
  version: number,
  outcome: { files: StoredFile[] } | { reason: string },
) => {
  let attempt = 0;
  try {
    await retryOnConflict(async () => {
      attempt++;
      const { model, version: v } = await getModelAndVersion(name, version);
      if (!model || !v || v.status !== 'PENDING_UPLOAD') return;
      const at = new Date().toISOString();
      if ('files' in outcome) {
        const artifact = {
          ...v.artifact,
          files: outcome.files,
          sha256: treeDigest(outcome.files),
          sizeBytes: totalBytes(outcome.files),
        };
        await changeVersion({
          head: model,
          version: v,
          set: { status: 'READY', committedAt: at, artifact },
          fromStatuses: sourcesOf('READY'),
          action: 'version.committed',
          actor: ACTOR,
          at,
          before: { status: v.status },
          after: {
            status: 'READY',
            sha256: artifact.sha256,
            files: outcome.files.length,
            source: v.artifact.source,
          },
        });
      } else {
        const set = { status: 'FAILED', statusReason: outcome.reason };
        await changeVersion({
          head: model,
          version: v,
          set,
          fromStatuses: sourcesOf('FAILED'),
          action: 'version.failed',
          actor: ACTOR,
          at,
          before: { status: v.status },
          after: set,
        });
      }
    });
  } catch (error) {
    // Another writer moved the version first (a delete, or a commit): its outcome stands.
    if (!(error instanceof WriteConditionFailed) || attempt === 0) throw error;
  }
};

export { ForbiddenError };
