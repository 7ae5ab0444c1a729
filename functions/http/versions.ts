import { randomUUID } from 'node:crypto';
import { planUpload, presignDownload } from '#adapters/artifact-store';
import { ChainConflict, retryOnConflict } from '#adapters/audit-chain';
import { resolveEnvironment } from '#adapters/environments-table';
import { declareResponse } from '#adapters/idempotency-store';
import {
  changeVersion,
  getModel,
  getModelAndVersion,
  getVersion,
  insertVersion,
  listVersions,
  type ModelItem,
  type VersionItem,
} from '#adapters/registry-table';
import { versionsRoutes } from '#api/routes/versions';
import { artifactsBucket } from '#commons/config';
import { decodeCursor, encodeCursor } from '#commons/cursor';
import {
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  UnprocessableError,
  ValidationError,
} from '#commons/errors';
import { s3Keys } from '#commons/facts';
import { etagOf, type HttpRequest, httpHandler, ifMatchRevision, json, operationsFor } from '#commons/http';
import { requireOwner } from '#commons/identity';
import { totalBytes, treeDigest } from '#domain/artifact';
import { VersionChangedError } from '#domain/errors';
import { canMove, sourcesOf } from '#domain/lifecycle';
import { missingForReproducibility } from '#domain/reproducibility';
import type { RegisterVersionBody } from '#domain/version';
import { presentArtifact, presentVersion } from '#presentation/representations';
import { checkArtifact, planFilesUpload, presignFiles } from '#services/artifact-files';

/** The versions resource: register, upload, commit, read, describe and retire model versions. */

const loadForChange = async (request: HttpRequest, name: string, version: number) => {
  const found = await getModelAndVersion(name, version);
  if (!found.model) throw new NotFoundError(`model ${name} does not exist`);
  if (!found.version) throw new NotFoundError(`version ${version} of ${name} does not exist`);
  requireOwner(request.principal, found.model);
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

const nowIso = () => new Date().toISOString();

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

export const operations = operationsFor(versionsRoutes, {
  registerVersion: async (request) => {
    const { model: name } = request.input.path;
    const body = request.input.body;
    const first = await getModel(name);
    if (!first) throw new NotFoundError(`model ${name} does not exist`);
    requireOwner(request.principal, first);
    await requireReproducibleWhereDemanded(first, body);

    const bucket = artifactsBucket();
    const { files } = body.artifact;
    let artifact: VersionItem['artifact'];
    let plan: unknown;
    if (files) {
      // A multi-file artifact: its own prefix, one object per file.
      const key = s3Keys.artifactFolder(name, randomUUID());
      const planned = await planFilesUpload(bucket, key, files);
      artifact = {
        sha256: treeDigest(files),
        sizeBytes: totalBytes(files),
        bucket,
        key,
        files: planned.stored,
      };
      plan = planned.upload;
    } else {
      const { sha256, sizeBytes, fileName } = body.artifact as {
        sha256: string;
        sizeBytes: number;
        fileName?: string;
      };
      const key = s3Keys.artifact(name, randomUUID(), fileName ?? 'artifact');
      const upload = await planUpload(bucket, key, sha256, sizeBytes);
      artifact = {
        sha256,
        sizeBytes,
        ...(fileName ? { fileName } : {}),
        bucket,
        key,
        ...(upload.uploadId ? { uploadId: upload.uploadId } : {}),
      };
      const { uploadId: _internal, ...rest } = upload;
      plan = rest;
    }
    const actor = request.principal.id;
    const answer = (item: VersionItem) =>
      json(
        201,
        { ...presentVersion(item), upload: plan },
        { etag: etagOf(item.revision), location: `/v1/models/${name}/versions/${item.version}` },
      );

    let attempt = 0;
    const item = await retryOnConflict(async () => {
      const model = await rereadModel(name, first, attempt++);
      const at = nowIso();
      const item: VersionItem = {
        entity: 'version',
        name,
        version: model.latestVersion + 1,
        status: 'PENDING_UPLOAD',
        artifact,
        ...(body.framework ? { framework: body.framework } : {}),
        ...(body.params ? { params: body.params } : {}),
        metrics: body.metrics ?? {},
        lineage: body.lineage ?? {},
        ...(body.description === undefined ? {} : { description: body.description }),
        tags: body.tags ?? {},
        approvalsByEnvironment: {},
        servingOn: {},
        revision: 1,
        createdAt: at,
        createdBy: actor,
        updatedAt: at,
        updatedBy: actor,
      };
      // The answer is known before the write: an Idempotency-Key is completed with it in the
      // version's own transaction, so no crash can leave a registered version without it.
      declareResponse(answer(item));
      await insertVersion(model, item, actor);
      return item;
    });
    return answer(item);
  },

  listVersions: async (request) => {
    const { model: name } = request.input.path;
    const query = request.input.query;
    const scope = `versions|${name}|${query.status ?? ''}`;
    const page = await listVersions(name, {
      ...(query.status ? { status: query.status } : {}),
      limit: query.limit,
      startKey: await decodeCursor(query.cursor, scope),
    });
    if (page.items.length === 0 && !query.cursor && !(await getModel(name)))
      throw new NotFoundError(`model ${name} does not exist`);
    const nextCursor = await encodeCursor(page.lastKey, scope);
    return json(200, { items: page.items.map(presentVersion), ...(nextCursor ? { nextCursor } : {}) });
  },

  getVersion: async (request) => {
    const { model: name, version } = request.input.path;
    const item = await getVersion(name, version);
    if (!item) throw new NotFoundError(`version ${version} of ${name} does not exist`);
    return json(200, presentVersion(item), { etag: etagOf(item.revision) });
  },

  updateVersion: async (request) => {
    const { model: name, version } = request.input.path;
    const body = request.input.body;
    const expected = ifMatchRevision(request);
    const found = await loadForChange(request, name, version);
    if (expected !== undefined && expected !== found.version.revision)
      throw new PreconditionFailedError('the version changed since it was read (If-Match)');
    const set = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
    if (Object.keys(set).length === 0)
      return json(200, presentVersion(found.version), { etag: etagOf(found.version.revision) });
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
          actor: request.principal.id,
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
    const updated = { ...current, ...set, revision: current.revision + 1, updatedAt: at };
    return json(200, presentVersion(updated), { etag: etagOf(updated.revision) });
  },

  commitVersion: async (request) => {
    const { model: name, version } = request.input.path;
    const body = request.input.body;
    const found = await loadForChange(request, name, version);
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
    // Committed by another request meanwhile: VersionStatusChangedError (409).
    await retryOnConflict(async () =>
      changeVersion({
        head: await rereadModel(name, found.model, attempt++),
        version: v,
        set,
        fromStatuses: sourcesOf(status),
        action: ok ? 'version.committed' : 'version.failed',
        actor: request.principal.id,
        at,
        before: { status: v.status },
        after: ok ? { status, ...(versionId ? { versionId } : {}) } : set,
      }),
    );
    if (!ok) throw new UnprocessableError(`the uploaded artifact does not match: ${problems.join('; ')}`);
    // The write's conditions guarantee this is what is stored: no read back.
    const committed = {
      ...v,
      ...set,
      revision: v.revision + 1,
      updatedAt: at,
      updatedBy: request.principal.id,
    } as VersionItem;
    return json(200, presentVersion(committed), { etag: etagOf(committed.revision) });
  },

  getArtifactUrl: async (request) => {
    const { model: name, version } = request.input.path;
    const item = await getVersion(name, version);
    if (!item) throw new NotFoundError(`version ${version} of ${name} does not exist`);
    if (item.status === 'PENDING_UPLOAD' || item.status === 'FAILED')
      throw new ConflictError(`version ${version} is ${item.status}; it has no committed artifact`);
    const { bucket, key, versionId, fileName, files } = item.artifact;
    if (files) return json(200, await presignFiles(bucket, key, files));
    return json(200, await presignDownload(bucket, key, versionId, fileName));
  },

  getManifest: async (request) => {
    const { model: name, version } = request.input.path;
    const item = await getVersion(name, version);
    if (!item) throw new NotFoundError(`version ${version} of ${name} does not exist`);
    const missing = missingForReproducibility(item);
    const { lineage } = item;
    return json(200, {
      name,
      version,
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
    });
  },

  transitionVersion: async (request) => {
    const { model: name, version } = request.input.path;
    const body = request.input.body;
    const found = await loadForChange(request, name, version);
    const at = nowIso();
    let attempt = 0;
    // Refused by the version as the write met it: deploying, serving (archive) or moved on.
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
        condition: {
          expression:
            body.to === 'ARCHIVED'
              ? '(attribute_not_exists(deployingIds) OR size(deployingIds) = :zero) AND (attribute_not_exists(servingOn) OR size(servingOn) = :zero)'
              : 'attribute_not_exists(deployingIds) OR size(deployingIds) = :zero',
          values: { ':zero': 0 },
        },
        action: 'version.transitioned',
        actor: request.principal.id,
        at,
        before: { status: from },
        after: { status: body.to, reason: body.reason },
      });
      return fresh.version;
    });
    const updated = {
      ...written,
      status: body.to,
      statusReason: body.reason,
      revision: written.revision + 1,
      updatedAt: at,
      updatedBy: request.principal.id,
    } as VersionItem;
    return json(200, presentVersion(updated), { etag: etagOf(updated.revision) });
  },
});

export const handler = httpHandler(versionsRoutes, operations);
