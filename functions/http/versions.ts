import { presignDownload } from '#adapters/artifact-store';
import { declareResponse } from '#adapters/idempotency-store';
import { getModel, getVersion, listVersions, type VersionItem } from '#adapters/registry-table';
import { versionsRoutes } from '#api/routes/versions';
import { decodeCursor, encodeCursor } from '#commons/cursor';
import { ConflictError, NotFoundError } from '#commons/errors';
import { etagOf, httpHandler, ifMatchRevision, json, operationsFor } from '#commons/http';
import { missingForReproducibility } from '#domain/reproducibility';
import { presentArtifact, presentVersion } from '#presentation/representations';
import { presignFiles } from '#services/artifact-files';
import { commitVersion, registerVersion, transitionVersion, updateVersion } from '#services/registry';

/** The versions resource: register, upload, commit, read, describe and retire model versions. */

const withEtag = (status: number, item: VersionItem) =>
  json(status, presentVersion(item), { etag: etagOf(item.revision) });

export const operations = operationsFor(versionsRoutes, {
  registerVersion: async (request) => {
    const { model: name } = request.input.path;
    const answer = (item: VersionItem, plan: unknown) =>
      json(
        201,
        { ...presentVersion(item), upload: plan },
        { etag: etagOf(item.revision), location: `/v1/models/${name}/versions/${item.version}` },
      );
    // The answer is known before the write: an Idempotency-Key is completed with it in the
    // version's own transaction, so no crash can leave a registered version without it.
    const { item, plan } = await registerVersion(request.principal, name, request.input.body, (item, plan) =>
      declareResponse(answer(item, plan)),
    );
    return answer(item, plan);
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
    const expected = ifMatchRevision(request);
    return withEtag(200, await updateVersion(request.principal, name, version, request.input.body, expected));
  },

  commitVersion: async (request) => {
    const { model: name, version } = request.input.path;
    return withEtag(200, await commitVersion(request.principal, name, version, request.input.body));
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
    return withEtag(200, await transitionVersion(request.principal, name, version, request.input.body));
  },
});

export const handler = httpHandler(versionsRoutes, operations);
