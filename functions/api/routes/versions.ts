import * as z from 'zod';
import { ModelPath } from '#domain/model';
import {
  CommitBody,
  ListVersionsQuery,
  RegisterVersionBody,
  TransitionBody,
  UpdateVersionBody,
  Version,
  VersionPath,
} from '#domain/version';
import { defineRoutes } from '../route.ts';
import { listOf, Manifest } from '../schemas.ts';

/** Versions: registration, upload, commit, reads and lifecycle transitions. */
export const versionsRoutes = defineRoutes('versions', [
  {
    method: 'POST',
    path: '/v1/models/{model}/versions',
    operationId: 'registerVersion',
    description:
      "Registers version n+1 (numbers are gap-free and never reused) and answers how to upload its bytes straight to S3: `upload.url` for one PUT, `upload.parts` for multipart (from 100 MiB by default; PUT each part, in parallel if you like), or `upload.files` for a multi-file artifact (`artifact.files`). Give the artifact's SHA-256 and size now: on AWS the upload URLs are signed with the checksum, so S3 refuses other bytes. Then call `.../commit`. The model's owning team's publishers (or an admin) may register. A high-risk model (`riskTier: high`) needs `lineage` (datasets with hashes, code, image) here, at registration; an environment with `requireReproducibility` will demand the same before approving. `lineage` becomes edges of the lineage graph (`dataset -> model-version:<model>:<n>`) in the same transaction. A version never committed becomes FAILED after the pending-upload time (24 h by default).",
    auth: 'iam',
    role: 'publisher',
    summary: 'Register a version and get its upload URL(s)',
    params: ModelPath,
    body: RegisterVersionBody,
    headers: { idempotencyKey: true },
    responses: { 201: { description: 'PENDING_UPLOAD with upload instructions', schema: Version } },
    problems: [400, 403, 404, 422],
  },
  {
    method: 'GET',
    path: '/v1/models/{model}/versions',
    operationId: 'listVersions',
    description: "A model's versions, newest first, optionally only those in one status.",
    auth: 'iam',
    role: 'reader',
    summary: 'List versions, newest first',
    params: ModelPath,
    query: ListVersionsQuery,
    responses: { 200: { description: 'a page of versions', schema: listOf(Version, 'VersionList') } },
    problems: [400, 403, 404],
  },
  {
    method: 'GET',
    path: '/v1/models/{model}/versions/{version}',
    operationId: 'getVersion',
    description:
      'A version: its status (PENDING_UPLOAD, READY, FAILED, DEPRECATED, ARCHIVED) and `statusReason`, the artifact as stored, lineage, params and metrics, the latest approval per environment and where it serves now.',
    auth: 'iam',
    role: 'reader',
    summary: 'Read a version',
    params: VersionPath,
    responses: { 200: { description: 'the version', schema: Version } },
    problems: [403, 404],
  },
  {
    method: 'PATCH',
    path: '/v1/models/{model}/versions/{version}',
    operationId: 'updateVersion',
    description:
      "Changes a version's description or tags; everything else of a version (artifact, lineage, params) never changes. `If-Match` guards against lost updates.",
    auth: 'iam',
    role: 'owner',
    summary: 'Change description or tags',
    params: VersionPath,
    body: UpdateVersionBody,
    bodyOptional: true,
    headers: { ifMatch: true },
    responses: { 200: { description: 'the version', schema: Version } },
    problems: [400, 403, 404, 412],
  },
  {
    method: 'POST',
    path: '/v1/models/{model}/versions/{version}/commit',
    operationId: 'commitVersion',
    description:
      "Checks what was uploaded against the registered size and SHA-256 and makes the version READY. 422 when the bytes differ: the version is then FAILED with the reason and the number stays taken. 409 when nothing (or not every file) was uploaded yet, or the version is no longer PENDING_UPLOAD (committed already, or expired). Multipart uploads may send the parts' ETags; without them Steward lists the parts itself.",
    auth: 'iam',
    role: 'owner',
    summary: 'Check the uploaded artifact and make the version READY',
    params: VersionPath,
    body: CommitBody,
    bodyOptional: true,
    headers: { idempotencyKey: true },
    responses: { 200: { description: 'READY', schema: Version } },
    problems: [403, 404, 409, 422],
  },
  {
    method: 'GET',
    path: '/v1/models/{model}/versions/{version}/artifact',
    operationId: 'getArtifactUrl',
    description:
      'A presigned GET URL for the artifact (`files`, one URL each, for a multi-file artifact), valid until `expiresAt`. 409 unless the version has its bytes (READY, DEPRECATED or ARCHIVED).',
    auth: 'iam',
    role: 'reader',
    summary: 'A presigned download URL',
    params: VersionPath,
    responses: {
      200: {
        description: 'presigned GET',
        schema: z.object({
          url: z
            .string()
            .optional()
            .meta({ description: 'A presigned GET of the artifact (one-file artifacts).' }),
          files: z
            .array(
              z.object({
                path: z.string().meta({ description: 'The file inside the artifact.' }),
                url: z.string().meta({ description: 'A presigned GET of it.' }),
                sha256: z.string().meta({ description: 'Its SHA-256, to check the download.' }),
                sizeBytes: z.number().int().meta({ description: 'Its size.' }),
              }),
            )
            .optional()
            .meta({ description: 'A multi-file artifact: one presigned GET per file.' }),
          expiresAt: z.string().meta({ description: 'When the URLs stop working.' }),
        }),
      },
    },
    problems: [403, 404, 409],
  },
  {
    method: 'POST',
    path: '/v1/models/{model}/versions/{version}/transitions',
    operationId: 'transitionVersion',
    description:
      'Moves a version by hand: READY -> DEPRECATED (still usable, discouraged), READY or DEPRECATED -> ARCHIVED (final). 409 when the move is not allowed, e.g. archiving a version that serves or is being deployed somewhere. The reason is kept in the audit trail.',
    auth: 'iam',
    role: 'owner',
    summary: 'Deprecate or archive a version',
    params: VersionPath,
    body: TransitionBody,
    headers: { idempotencyKey: true },
    responses: { 200: { description: 'the version', schema: Version } },
    problems: [400, 403, 404, 409],
  },
  {
    method: 'GET',
    path: '/v1/models/{model}/versions/{version}/manifest',
    operationId: 'getManifest',
    description:
      'What it takes to rebuild the version (code commit, image digest, datasets with content hashes, params, framework, artifact SHA-256) and whether anything is missing (`reproducible`, `missing`).',
    auth: 'iam',
    role: 'reader',
    summary: 'What it takes to rebuild the version, and what is missing',
    params: VersionPath,
    responses: { 200: { description: 'the manifest', schema: Manifest } },
    problems: [403, 404],
  },
]);
