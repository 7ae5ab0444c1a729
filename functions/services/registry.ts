import { randomUUID } from 'node:crypto';
import type * as z from 'zod';
import { planUpload } from '#adapters/artifact-store';
import { ChainConflict, retryOnConflict } from '#adapters/audit-chain';
import { resolveEnvironment } from '#adapters/environments-table';
import {
  changeVersion,
  getModel,
  getModelAndVersion,
  getVersion,
  insertVersion,
  type ModelItem,
  listVersions as queryVersions,
  type VersionItem,
} from '#adapters/registry-table';
import { artifactsBucket } from '#commons/config';
import {
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  UnprocessableError,
  ValidationError,
} from '#commons/errors';
import { s3Keys } from '#commons/facts';
import { type Principal, requireOwner } from '#commons/identity';
import { totalBytes, treeDigest } from '#domain/artifact';
import { VersionChangedError } from '#domain/errors';
import { canMove, sourcesOf, type VersionStatus } from '#domain/lifecycle';
import { missingForReproducibility } from '#domain/reproducibility';
import type { CommitBody, RegisterVersionBody, TransitionBody, UpdateVersionBody } from '#domain/version';
import { checkArtifact, planFilesUpload } from './artifacts.ts';
import { pageUnderModel } from './model-pages.ts';

/**
 * The registry's use cases for versions: register (with its upload plan), change, commit and move
 * along the lifecycle. The /v1 handlers, MLflow's protocol and the registration job call them;
 * each checks ownership once it has read the model, and each write states its invariants.
 */

const nowIso = () => new Date().toISOString();

/** The model and version a change acts on, read together; the caller must own the model. */
export const loadForChange = async (principal: Principal, name: string, version: number) => {
  const found = await getModelAndVersion(name, version);
  if (!found.model) throw new NotFoundError(`model ${name} does not exist`);
  if (!found.version) throw new NotFoundError(`version ${version} of ${name} does not exist`);
  requireOwner(principal, found.model);
  return found as { model: ModelItem; version: VersionItem };
};

/** Retries reread the model only: the version read alongside it is still the one to change. */
const rereadModel = async (name: string, first: ModelItem, attempt: number): Promise<ModelItem> => {
  if (attempt === 0) return first;
  const model = await getModel(name);
  if (!model) throw new NotFoundError(`model ${name} does not exist`);
  return model;
};

/**
 * Retries read the version again too, where what is written depends on it (the revision a PATCH
 * is guarded by, the status an audit event records as `before`).
 */
const rereadBoth = async (
  name: string,
  version: number,
  first: { model: ModelItem; version: VersionItem },
  attempt: number,
): Promise<{ model: ModelItem; version: VersionItem }> => {
  if (attempt === 0) return first;
  const found = await getModelAndVersion(name, version);
  if (!found.model) throw new NotFoundError(`model ${name} does not exist`);
  if (!found.version) throw new NotFoundError(`version ${version} of ${name} does not exist`);
  return found as { model: ModelItem; version: VersionItem };
};

/** What a new version carries beyond what every new version starts with. */
export type NewVersion = Omit<
  VersionItem,
  | 'entity'
  | 'name'
  | 'version'
  | 'approvalsByEnvironment'
  | 'servingOn'
  | 'revision'
  | 'createdAt'
  | 'createdBy'
  | 'updatedAt'
  | 'updatedBy'
>;

/**
 * Add the model's next version (gap-free: its number is the model's `latestVersion + 1`, and the
 * write is conditioned on the model as read; a race reads the model again). `beforeWrite` sees
 * the item that will be written, so an Idempotency-Key can be completed in the same transaction.
 */
export const insertNextVersion = async (
  first: ModelItem,
  fields: NewVersion,
  actor: string,
  beforeWrite?: (item: VersionItem) => void,
): Promise<VersionItem> => {
  let attempt = 0;
  return retryOnConflict(async () => {
    const model = await rereadModel(first.name, first, attempt++);
    const at = nowIso();
    const item: VersionItem = {
      entity: 'version',
      name: model.name,
      version: model.latestVersion + 1,
      ...fields,
      approvalsByEnvironment: {},
      servingOn: {},
      revision: 1,
      createdAt: at,
      createdBy: actor,
      updatedAt: at,
      updatedBy: actor,
    };
    beforeWrite?.(item);
    await insertVersion(model, item, actor);
    return item;
  });
};

/**
 * A high-risk model, or an environment whose policy says so, takes only versions that can be
 * rebuilt: the 400 names every missing registration field.
 */
const requireReproducibleWhereDemanded = async (model: ModelItem, body: RegisterVersionBody) => {
  let demandedBy: string | undefined =
    model.riskTier === 'high' ? `model ${model.name} is high risk` : undefined;
  if (body.environment) {
    const environment = await resolveEnvironment(body.environment);
    if (!environment)
      throw new ValidationError(`environment ${body.environment} does not exist`, {
        errors: [{ path: 'body.environment', message: 'unknown environment' }],
      });
    if (environment.policy.requireReproducibility)
      demandedBy ??= `environment ${body.environment} requires it`;
  }
  if (!demandedBy) return;
  const missing = missingForReproducibility(body);
  if (missing.length)
    throw new ValidationError(
      `this version must be reproducible (${demandedBy}); missing: ${missing.map((m) => m.path).join(', ')}`,
      {
        errors: missing.map((m) => ({
          path: `body.${m.path}`,
          message: `required for reproducibility: ${m.message}`,
        })),
      },
    );
};

/** Where the artifact goes, and how the caller uploads it (presigned PUTs, multipart where large). */
const planArtifact = async (name: string, body: RegisterVersionBody) => {
  const bucket = artifactsBucket();
  const { files } = body.artifact;
  if (files) {
    // A multi-file artifact: its own prefix, one object per file.
    const key = s3Keys.artifactFolder(name, randomUUID());
    const planned = await planFilesUpload(bucket, key, files);
    const artifact: VersionItem['artifact'] = {
      sha256: treeDigest(files),
      sizeBytes: totalBytes(files),
      bucket,
      key,
      files: planned.stored,
    };
    return { artifact, plan: planned.upload as unknown };
  }
  const { sha256, sizeBytes, fileName } = body.artifact as {
    sha256: string;
    sizeBytes: number;
    fileName?: string;
  };
  const key = s3Keys.artifact(name, randomUUID(), fileName ?? 'artifact');
  const upload = await planUpload(bucket, key, sha256, sizeBytes);
  const artifact: VersionItem['artifact'] = {
    sha256,
    sizeBytes,
    ...(fileName ? { fileName } : {}),
    bucket,
    key,
    ...(upload.uploadId ? { uploadId: upload.uploadId } : {}),
  };
  const { uploadId: _internal, ...plan } = upload;
  return { artifact, plan: plan as unknown };
};

/** Register a version: PENDING_UPLOAD, with the plan for its upload. */
export const registerVersion = async (
  principal: Principal,
  name: string,
  body: RegisterVersionBody,
  beforeWrite?: (item: VersionItem, plan: unknown) => void,
): Promise<{ item: VersionItem; plan: unknown }> => {
  const first = await getModel(name);
  if (!first) throw new NotFoundError(`model ${name} does not exist`);
  requireOwner(principal, first);
  await requireReproducibleWhereDemanded(first, body);
  const { artifact, plan } = await planArtifact(name, body);
  const item = await insertNextVersion(
    first,
    {
      status: 'PENDING_UPLOAD',
      artifact,
      ...(body.framework ? { framework: body.framework } : {}),
      ...(body.params ? { params: body.params } : {}),
      metrics: body.metrics ?? {},
      lineage: body.lineage ?? {},
      ...(body.description === undefined ? {} : { description: body.description }),
      tags: body.tags ?? {},
    },
    principal.id,
    beforeWrite && ((item) => beforeWrite(item, plan)),
  );
  return { item, plan };
};

/** Change a version's description or tags; `expected` is the revision an If-Match asked for. */
export const updateVersion = async (
  principal: Principal,
  name: string,
  version: number,
  body: z.output<typeof UpdateVersionBody>,
  expected: number | undefined,
): Promise<VersionItem> => {
  const found = await loadForChange(principal, name, version);
  if (expected !== undefined && expected !== found.version.revision)
    throw new PreconditionFailedError('the version changed since it was read (If-Match)');
  const set = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
  if (Object.keys(set).length === 0) return found.version;
  const at = nowIso();
  let attempt = 0;
  let current = found.version;
  await retryOnConflict(async () => {
    const fresh = await rereadBoth(name, version, found, attempt++);
    current = fresh.version;
    if (expected !== undefined && expected !== current.revision)
      throw new PreconditionFailedError('the version changed since it was read (If-Match)');
    try {
      return await changeVersion({
        head: fresh.model,
        version: current,
        set,
        expectRevision: current.revision,
        action: 'version.updated',
        actor: principal.id,
        at,
        before: Object.fromEntries(Object.keys(set).map((k) => [k, current[k as keyof VersionItem]])),
        after: set,
      });
    } catch (error) {
      // Without If-Match the caller set no precondition: another change in between is read again.
      if (error instanceof VersionChangedError && expected === undefined)
        throw new ChainConflict(`version ${version} of ${name} moved`);
      throw error;
    }
  });
  return { ...current, ...set, revision: current.revision + 1, updatedAt: at } as VersionItem;
};

/**
 * Check the uploaded artifact against what was registered: READY when it matches, FAILED (and a
 * 422 naming each mismatch) when it does not. Committed by another request meanwhile: 409.
 */
export const commitVersion = async (
  principal: Principal,
  name: string,
  version: number,
  body: z.output<typeof CommitBody>,
): Promise<VersionItem> => {
  const found = await loadForChange(principal, name, version);
  const v = found.version;
  if (v.status !== 'PENDING_UPLOAD')
    throw new ConflictError(
      `version ${version} is ${v.status}; only a PENDING_UPLOAD version can be committed`,
    );

  const checked = await checkArtifact(v.artifact, body.parts);
  if (checked.outcome === 'missing')
    throw new ConflictError(`nothing was uploaded for this version yet${checked.detail}`);
  const { problems } = checked;
  const ok = problems.length === 0;
  const at = nowIso();
  const status = ok ? 'READY' : 'FAILED';
  const set: Record<string, unknown> = ok
    ? { status, committedAt: at, artifact: checked.artifact }
    : { status, statusReason: `artifact mismatch: ${problems.join('; ')}` };
  const versionId = checked.artifact.versionId;

  let attempt = 0;
  await retryOnConflict(async () =>
    changeVersion({
      head: await rereadModel(name, found.model, attempt++),
      version: v,
      set,
      fromStatuses: sourcesOf(status),
      action: ok ? 'version.committed' : 'version.failed',
      actor: principal.id,
      at,
      before: { status: v.status },
      after: ok ? { status, ...(versionId ? { versionId } : {}) } : set,
    }),
  );
  if (!ok) throw new UnprocessableError(`the uploaded artifact does not match: ${problems.join('; ')}`);
  // The write's conditions guarantee this is what is stored: no read back.
  return { ...v, ...set, revision: v.revision + 1, updatedAt: at, updatedBy: principal.id } as VersionItem;
};

/**
 * Deprecate or archive a version. Refused by the version as the write meets it: a deployment of
 * it under way, serving somewhere (archive), or moved on meanwhile.
 */
export const transitionVersion = async (
  principal: Principal,
  name: string,
  version: number,
  body: z.output<typeof TransitionBody>,
): Promise<VersionItem> => {
  const found = await loadForChange(principal, name, version);
  const at = nowIso();
  let attempt = 0;
  const written: VersionItem = await retryOnConflict(async () => {
    const fresh = await rereadBoth(name, version, found, attempt++);
    const from = fresh.version.status;
    if (!canMove(from, body.to)) throw new ConflictError(`a ${from} version cannot move to ${body.to}`);
    await changeVersion({
      head: fresh.model,
      version: fresh.version,
      set: { status: body.to, statusReason: body.reason },
      // The status read, exactly: it is the `before` of the audit event.
      fromStatuses: [from],
      // No move while a deployment of the version runs (it would finish serving a retired
      // version); and an ARCHIVED version serves nowhere.
      require: body.to === 'ARCHIVED' ? 'idle' : 'not-deploying',
      action: 'version.transitioned',
      actor: principal.id,
      at,
      before: { status: from },
      after: { status: body.to, reason: body.reason },
    });
    return fresh.version;
  });
  return {
    ...written,
    status: body.to,
    statusReason: body.reason,
    revision: written.revision + 1,
    updatedAt: at,
    updatedBy: principal.id,
  } as VersionItem;
};

// ---- reads --------------------------------------------------------------------------------------

export const readVersion = async (name: string, version: number): Promise<VersionItem> => {
  const item = await getVersion(name, version);
  if (!item) throw new NotFoundError(`version ${version} of ${name} does not exist`);
  return item;
};

/** A model's versions, a page at a time; an empty first page of a model that does not exist is a 404. */
export const listModelVersions = async (
  name: string,
  query: { status?: VersionStatus | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: VersionItem[]; nextCursor: string | undefined }> =>
  pageUnderModel(name, `versions|${name}|${query.status ?? ''}`, query.cursor, (startKey) =>
    queryVersions(name, { ...(query.status ? { status: query.status } : {}), limit: query.limit, startKey }),
  );
