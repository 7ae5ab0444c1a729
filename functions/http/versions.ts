import { randomUUID } from 'node:crypto';
import {
  completeMultipart,
  hashObject,
  inspectObject,
  planUpload,
  presignDownload,
} from '#adapters/artifact-store';
import { retryOnConflict, WriteConditionFailed } from '#adapters/audit-chain';
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
import { artifactsBucket } from '#commons/config';
import { decodeCursor, encodeCursor } from '#commons/cursor';
import { ConflictError, NotFoundError, PreconditionFailedError, UnprocessableError } from '#commons/errors';
import { etagOf, type HttpRequest, httpHandler, ifMatchRevision, input, json } from '#commons/http';
import { requireOwner, requireReader, requireRole } from '#commons/identity';
import { canMove, sourcesOf } from '#domain/lifecycle';
import { ModelPath } from '#domain/model';
import {
  CommitBody,
  ListVersionsQuery,
  RegisterVersionBody,
  TransitionBody,
  UpdateVersionBody,
  VersionPath,
} from '#domain/version';
import { presentVersion } from './representations.ts';

/** The versions resource: register, upload, commit, read, describe and retire model versions. */

const loadForChange = async (request: HttpRequest, name: string, version: number) => {
  const found = await getModelAndVersion(name, version);
  if (!found.model) throw new NotFoundError(`model ${name} does not exist`);
  if (!found.version) throw new NotFoundError(`version ${version} of ${name} does not exist`);
  requireOwner(request.principal, found.model.owner);
  return found as { model: ModelItem; version: VersionItem };
};

/** Retries reread the model only: the version read alongside it is still the one to change. */
const rereadModel = async (name: string, first: ModelItem, attempt: number): Promise<ModelItem> => {
  if (attempt === 0) return first;
  const model = await getModel(name);
  if (!model) throw new NotFoundError(`model ${name} does not exist`);
  return model;
};

const nowIso = () => new Date().toISOString();

export const operations = {
  registerVersion: async (request: HttpRequest) => {
    requireRole(request.principal, 'publisher');
    const { model: name } = input(ModelPath, request.pathParameters, 'path');
    const body = input(RegisterVersionBody, request.body, 'body');
    const first = await getModel(name);
    if (!first) throw new NotFoundError(`model ${name} does not exist`);
    requireOwner(request.principal, first.owner);

    const bucket = artifactsBucket();
    const key = `models/${name}/${randomUUID()}/${body.artifact.fileName ?? 'artifact'}`;
    const upload = await planUpload(bucket, key, body.artifact.sha256, body.artifact.sizeBytes);
    const actor = request.principal.id;

    let attempt = 0;
    const item = await retryOnConflict(async () => {
      const model = await rereadModel(name, first, attempt++);
      const at = nowIso();
      const item: VersionItem = {
        entity: 'version',
        name,
        version: model.latestVersion + 1,
        status: 'PENDING_UPLOAD',
        artifact: {
          sha256: body.artifact.sha256,
          sizeBytes: body.artifact.sizeBytes,
          ...(body.artifact.fileName ? { fileName: body.artifact.fileName } : {}),
          bucket,
          key,
          ...(upload.uploadId ? { uploadId: upload.uploadId } : {}),
        },
        ...(body.framework ? { framework: body.framework } : {}),
        params: body.params ?? {},
        metrics: body.metrics ?? {},
        lineage: body.lineage ?? {},
        ...(body.description === undefined ? {} : { description: body.description }),
        tags: body.tags ?? {},
        revision: 1,
        createdAt: at,
        createdBy: actor,
        updatedAt: at,
        updatedBy: actor,
      };
      await insertVersion(model, item, actor);
      return item;
    });
    const { uploadId: _internal, ...plan } = upload;
    return json(
      201,
      { ...presentVersion(item), upload: plan },
      { etag: etagOf(item.revision), location: `/v1/models/${name}/versions/${item.version}` },
    );
  },

  listVersions: async (request: HttpRequest) => {
    requireReader(request.principal);
    const { model: name } = input(ModelPath, request.pathParameters, 'path');
    const query = input(ListVersionsQuery, request.query, 'query');
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

  getVersion: async (request: HttpRequest) => {
    requireReader(request.principal);
    const { model: name, version } = input(VersionPath, request.pathParameters, 'path');
    const item = await getVersion(name, version);
    if (!item) throw new NotFoundError(`version ${version} of ${name} does not exist`);
    return json(200, presentVersion(item), { etag: etagOf(item.revision) });
  },

  updateVersion: async (request: HttpRequest) => {
    const { model: name, version } = input(VersionPath, request.pathParameters, 'path');
    const body = input(UpdateVersionBody, request.body ?? {}, 'body');
    const expected = ifMatchRevision(request);
    const found = await loadForChange(request, name, version);
    if (expected !== undefined && expected !== found.version.revision)
      throw new PreconditionFailedError('the version changed since it was read (If-Match)');
    const set = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
    if (Object.keys(set).length === 0)
      return json(200, presentVersion(found.version), { etag: etagOf(found.version.revision) });
    const at = nowIso();
    let attempt = 0;
    try {
      await retryOnConflict(async () =>
        changeVersion({
          head: await rereadModel(name, found.model, attempt++),
          version: found.version,
          set,
          expectRevision: found.version.revision,
          action: 'version.updated',
          actor: request.principal.id,
          at,
          before: Object.fromEntries(Object.keys(set).map((k) => [k, found.version[k as keyof VersionItem]])),
          after: set,
        }),
      );
    } catch (error) {
      if (error instanceof WriteConditionFailed)
        throw new PreconditionFailedError('the version changed while it was being updated');
      throw error;
    }
    const updated = { ...found.version, ...set, revision: found.version.revision + 1, updatedAt: at };
    return json(200, presentVersion(updated), { etag: etagOf(updated.revision) });
  },

  commitVersion: async (request: HttpRequest) => {
    const { model: name, version } = input(VersionPath, request.pathParameters, 'path');
    const body = input(CommitBody, request.body ?? {}, 'body');
    const found = await loadForChange(request, name, version);
    const v = found.version;
    if (v.status !== 'PENDING_UPLOAD')
      throw new ConflictError(
        `version ${version} is ${v.status}; only a PENDING_UPLOAD version can be committed`,
      );

    const { bucket, key, uploadId } = v.artifact;
    if (uploadId && (await completeMultipart(bucket, key, uploadId, body.parts)) === 'missing')
      throw new ConflictError('nothing was uploaded for this version yet');
    const stored = await inspectObject(bucket, key);
    if (!stored) throw new ConflictError('nothing was uploaded for this version yet');
    // Hash the stream only where the store keeps no checksum and the size already matches.
    const actual =
      stored.sha256 === undefined && stored.sizeBytes === v.artifact.sizeBytes
        ? await hashObject(bucket, key, stored.versionId)
        : stored;

    const problems: string[] = [];
    if (actual.sizeBytes !== v.artifact.sizeBytes)
      problems.push(`size is ${actual.sizeBytes} bytes, registered ${v.artifact.sizeBytes}`);
    if (actual.sha256 !== undefined && actual.sha256 !== v.artifact.sha256)
      problems.push(`sha256 is ${actual.sha256}, registered ${v.artifact.sha256}`);
    const ok = problems.length === 0;
    const at = nowIso();
    const status = ok ? 'READY' : 'FAILED';
    const { uploadId: _done, ...artifact } = v.artifact;
    const set: Record<string, unknown> = ok
      ? {
          status,
          committedAt: at,
          artifact: { ...artifact, ...(stored.versionId ? { versionId: stored.versionId } : {}) },
        }
      : { status, statusReason: `artifact mismatch: ${problems.join('; ')}` };

    let attempt = 0;
    try {
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
          after: ok ? { status, ...(stored.versionId ? { versionId: stored.versionId } : {}) } : set,
        }),
      );
    } catch (error) {
      if (error instanceof WriteConditionFailed)
        throw new ConflictError(`version ${version} was committed by another request`);
      throw error;
    }
    if (!ok) throw new UnprocessableError(`the uploaded artifact does not match: ${problems.join('; ')}`);
    const committed = await getVersion(name, version);
    return json(200, presentVersion(committed!), { etag: etagOf(committed!.revision) });
  },

  getArtifactUrl: async (request: HttpRequest) => {
    requireReader(request.principal);
    const { model: name, version } = input(VersionPath, request.pathParameters, 'path');
    const item = await getVersion(name, version);
    if (!item) throw new NotFoundError(`version ${version} of ${name} does not exist`);
    if (item.status === 'PENDING_UPLOAD' || item.status === 'FAILED')
      throw new ConflictError(`version ${version} is ${item.status}; it has no committed artifact`);
    const { bucket, key, versionId, fileName } = item.artifact;
    return json(200, await presignDownload(bucket, key, versionId, fileName));
  },

  transitionVersion: async (request: HttpRequest) => {
    const { model: name, version } = input(VersionPath, request.pathParameters, 'path');
    const body = input(TransitionBody, request.body, 'body');
    const found = await loadForChange(request, name, version);
    if (!canMove(found.version.status, body.to))
      throw new ConflictError(`a ${found.version.status} version cannot move to ${body.to}`);
    const at = nowIso();
    let attempt = 0;
    try {
      await retryOnConflict(async () =>
        changeVersion({
          head: await rereadModel(name, found.model, attempt++),
          version: found.version,
          set: { status: body.to, statusReason: body.reason },
          fromStatuses: sourcesOf(body.to),
          ...(body.to === 'ARCHIVED'
            ? {
                condition: {
                  expression: 'attribute_not_exists(liveDeployments) OR liveDeployments = :zero',
                  values: { ':zero': 0 },
                },
              }
            : {}),
          action: 'version.transitioned',
          actor: request.principal.id,
          at,
          before: { status: found.version.status },
          after: { status: body.to, reason: body.reason },
        }),
      );
    } catch (error) {
      if (error instanceof WriteConditionFailed) {
        const now = await getVersion(name, version);
        const why =
          now && (now.liveDeployments ?? 0) > 0
            ? 'it has a live deployment'
            : `it is ${now?.status ?? 'gone'} now`;
        throw new ConflictError(`version ${version} cannot move to ${body.to}: ${why}`);
      }
      throw error;
    }
    const updated = await getVersion(name, version);
    return json(200, presentVersion(updated!), { etag: etagOf(updated!.revision) });
  },
};

export const handler = httpHandler(operations);
