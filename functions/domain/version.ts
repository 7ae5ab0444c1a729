import * as z from 'zod';
import { ManualTarget, VersionStatus } from './lifecycle.ts';
import { EnvironmentName, Label, ModelName, Tags, Text, VersionNumber } from './names.ts';

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 is 64 lowercase hex characters');
const Uri = z.string().min(1).max(2048);

export const Lineage = z.strictObject({
  datasets: z
    .array(
      z.strictObject({
        uri: Uri,
        sha256: Sha256Hex.optional(),
        versionId: z.string().min(1).max(1024).optional(),
        role: Label(64).optional(),
      }),
    )
    // Each dataset is an edge of two items in the registration's transaction (at most 100 items).
    .max(40)
    .optional(),
  code: z.strictObject({ repository: Uri, commit: z.string().min(1).max(128) }).optional(),
  image: z
    .strictObject({
      uri: Uri,
      digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'an image digest is sha256:<64 hex>'),
    })
    .optional(),
  trainingRun: z.strictObject({ id: Label(256), uri: Uri.optional() }).optional(),
});

/** At most 5 TiB: the largest object S3 holds. */
export const MAX_ARTIFACT_BYTES = 5 * 1024 ** 4;

export const RegisterVersionBody = z
  .strictObject({
    artifact: z.strictObject({
      sha256: Sha256Hex,
      sizeBytes: z.number().int().min(0).max(MAX_ARTIFACT_BYTES),
      fileName: Label(255).optional(),
    }),
    framework: Label(64).optional(),
    params: z
      .record(Label(128), z.union([z.string().max(1024), z.number(), z.boolean()]))
      .refine((p) => Object.keys(p).length <= 200, 'at most 200 params')
      .optional(),
    metrics: z
      .record(Label(128), z.number())
      .refine((m) => Object.keys(m).length <= 200, 'at most 200 metrics')
      .optional(),
    lineage: Lineage.optional(),
    description: Text(4000).optional(),
    tags: Tags.optional(),
    /** The environment the version is meant for; its policy may demand reproducibility. */
    environment: EnvironmentName.optional(),
  })
  .meta({ id: 'RegisterVersion' });
export type RegisterVersionBody = z.infer<typeof RegisterVersionBody>;

export const UpdateVersionBody = z
  .strictObject({ description: Text(4000).optional(), tags: Tags.optional() })
  .meta({ id: 'UpdateVersion' });

export const CommitBody = z
  .strictObject({
    /** Multipart uploads: the parts as S3 answered them; without it the parts are listed. */
    parts: z
      .array(
        z.strictObject({ partNumber: z.number().int().min(1).max(10_000), etag: z.string().min(1).max(256) }),
      )
      .max(10_000)
      .optional(),
  })
  .meta({ id: 'CommitVersion' });

export const TransitionBody = z
  .strictObject({ to: ManualTarget, reason: Text(1000).pipe(z.string().min(1)) })
  .meta({ id: 'Transition' });

export const ListVersionsQuery = z.strictObject({
  status: VersionStatus.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(2048).optional(),
});

export const VersionPath = z.strictObject({ model: ModelName, version: VersionNumber });

export const Artifact = z.object({
  sha256: z.string(),
  sizeBytes: z.number().int(),
  fileName: z.string().optional(),
  uri: z.string(),
  versionId: z.string().optional(),
});

export const Upload = z.object({
  url: z.string().optional(),
  method: z.literal('PUT'),
  headers: z.record(z.string(), z.string()),
  expiresAt: z.iso.datetime(),
  parts: z
    .array(
      z.object({
        partNumber: z.number().int(),
        url: z.string(),
        offset: z.number().int(),
        sizeBytes: z.number().int(),
      }),
    )
    .optional(),
});

export const Version = z
  .object({
    name: z.string(),
    version: z.number().int(),
    status: VersionStatus,
    statusReason: z.string().optional(),
    artifact: Artifact,
    framework: z.string().optional(),
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    metrics: z.record(z.string(), z.number()),
    lineage: Lineage,
    description: z.string().optional(),
    tags: z.record(z.string(), z.string()),
    approvals: z.array(z.unknown()),
    deployments: z.array(z.unknown()),
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
    updatedAt: z.iso.datetime(),
    updatedBy: z.string(),
    upload: Upload.optional(),
  })
  .meta({ id: 'Version' });
export type Version = z.infer<typeof Version>;
