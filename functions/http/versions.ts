import { declareResponse } from '#adapters/idempotency-store';
import type { VersionItem } from '#adapters/registry-table';
import { versionsRoutes } from '#api/routes/versions';
import { etagOf, httpHandler, ifMatchRevision, json, operationsFor } from '#commons/http';
import { presentManifest, presentVersion } from '#presentation/representations';
import { artifactDownload } from '#services/artifacts';
import {
  commitVersion,
  listModelVersions,
  readVersion,
  registerVersion,
  transitionVersion,
  updateVersion,
} from '#services/registry';

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
    const { items, nextCursor } = await listModelVersions(request.input.path.model, request.input.query);
    return json(200, { items: items.map(presentVersion), ...(nextCursor ? { nextCursor } : {}) });
  },

  getVersion: async (request) => {
    const { model: name, version } = request.input.path;
    return withEtag(200, await readVersion(name, version));
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
    return json(200, await artifactDownload(name, version));
  },

  getManifest: async (request) => {
    const { model: name, version } = request.input.path;
    return json(200, presentManifest(await readVersion(name, version)));
  },

  transitionVersion: async (request) => {
    const { model: name, version } = request.input.path;
    return withEtag(200, await transitionVersion(request.principal, name, version, request.input.body));
  },
});

export const handler = httpHandler(versionsRoutes, operations);
