import * as z from 'zod';
import { FileList, MAX_FILE_BYTES, Sha256Hex } from './artifact.ts';
import { ManualTarget, VersionStatus } from './lifecycle.ts';
import { EnvironmentName, Label, ModelName, Tags, Text, VersionNumber } from './names.ts';

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

export const MAX_ARTIFACT_BYTES = MAX_FILE_BYTES;

/** One file (`sha256`, `sizeBytes`, `fileName?`) or a set of files (`files`), never both. */
export const ArtifactInput = z
  .strictObject({
    sha256: Sha256Hex.optional(),
    sizeBytes: z.number().int().min(0).max(MAX_ARTIFACT_BYTES).optional(),
    fileName: Label(255).optional(),
    files: FileList.optional(),
  })
  .superRefine((a, ctx) => {
    if (a.files) {
      for (const field of ['sha256', 'sizeBytes', 'fileName'] as const)
        if (a[field] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: 'a multi-file artifact gives sha256 and sizeBytes per file, in files',
          });
      return;
    }
    if (a.sha256 === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['sha256'],
        message: 'required (or files for a multi-file artifact)',
      });
    if (a.sizeBytes === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['sizeBytes'],
        message: 'required (or files for a multi-file artifact)',
      });
  })
  // The refinement above is invisible to JSON Schema: state the two shapes in the document too
  // (oneOf: a body giving both shapes matches both, and is refused).
  .meta({
    override: {
      oneOf: [
        { title: 'one file', required: ['sha256', 'sizeBytes'] },
        { title: 'a set of files', required: ['files'] },
      ],
    },
  });
export type ArtifactInput = z.infer<typeof ArtifactInput>;

export const RegisterVersionBody = z
  .strictObject({
    artifact: ArtifactInput,
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
  /** A multi-file artifact's tree digest. */
  sha256: z.string(),
  /** A multi-file artifact's total. */
  sizeBytes: z.number().int(),
  fileName: z.string().optional(),
  /** A multi-file artifact's prefix (ending in `/`). */
  uri: z.string(),
  versionId: z.string().optional(),
  files: z
    .array(
      z.object({
        path: z.string(),
        sha256: z.string(),
        sizeBytes: z.number().int(),
        versionId: z.string().optional(),
      }),
    )
    .optional(),
  /** Where a version registered by reference was copied from, as given. */
  source: z.string().optional(),
});

const FileUpload = z.object({
  path: z.string(),
  url: z.string().optional(),
  headers: z.record(z.string(), z.string()),
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

export const Upload = z.object({
  url: z.string().optional(),
  /** A multi-file artifact: one upload per file. */
  files: z.array(FileUpload).optional(),
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
