import * as z from 'zod';
import { FileList, MAX_FILE_BYTES, Sha256Hex } from './artifact.ts';
import { ManualTarget, VersionStatus } from './lifecycle.ts';
import { Cursor, doc, EnvironmentName, Label, Limit, ModelName, Tags, Text, VersionNumber } from './names.ts';
import { schema } from './schema.ts';

const Uri = /* @__PURE__ */ schema(() => z.string().min(1).max(2048));

export const Lineage = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      datasets: z
        .array(
          z
            .strictObject({
              uri: Uri.meta(
                doc(
                  'Where the dataset is (s3://, https://; file:// in local mode).',
                  's3://ml-data/churn/2026-11/',
                ),
              ),
              sha256: Sha256Hex.optional().meta(
                doc('The SHA-256 of its content, if known: what makes it reproducible.'),
              ),
              versionId: z
                .string()
                .min(1)
                .max(1024)
                .optional()
                .meta(doc('The S3 object version, if the bucket keeps versions.')),
              role: Label(64).optional().meta(doc('What it was used for.', 'training')),
            })
            .meta(doc('One dataset the version was trained or evaluated on.')),
        )
        // Each dataset is an edge of two items in the registration's transaction (at most 100 items).
        .max(40)
        .optional()
        .meta(
          doc(
            'The datasets it came from (at most 40); each becomes a lineage edge dataset -> model-version.',
          ),
        ),
      code: z
        .strictObject({
          repository: Uri.meta(doc('The repository URL.', 'https://github.com/acme/churn')),
          commit: z.string().min(1).max(128).meta(doc('The commit it was trained from.', '9f1c2e4')),
        })
        .optional()
        .meta(doc('The training code: repository and commit.')),
      image: z
        .strictObject({
          uri: Uri.meta(doc('The image URI.', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn')),
          digest: z
            .string()
            .regex(/^sha256:[0-9a-f]{64}$/, 'an image digest is sha256:<64 hex>')
            .meta(doc('The image digest, sha256:<64 hex>: the exact image, whatever its tag says later.')),
        })
        .optional()
        .meta(doc('The serving container image. A SageMaker deployment needs it.')),
      trainingRun: z
        .strictObject({
          id: Label(256).meta(doc('The run id in the training system.', 'run-2026-11-30-01')),
          uri: Uri.optional().meta(doc('A link to the run.')),
        })
        .optional()
        .meta(doc('The training run that produced it.')),
    })
    .meta(
      doc(
        'Where the version came from. Recorded as lineage edges in the registration transaction; a high-risk model needs it at registration, and an environment that demands reproducibility needs code, image and hashed datasets. Never changes.',
      ),
    ),
);

export const MAX_ARTIFACT_BYTES = MAX_FILE_BYTES;

/** One file (`sha256`, `sizeBytes`, `fileName?`) or a set of files (`files`), never both. */
export const ArtifactInput = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      sha256: Sha256Hex.optional().meta(
        doc(
          'The SHA-256 of the file (64 lowercase hex). The commit checks the upload against it.',
          'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        ),
      ),
      sizeBytes: z
        .number()
        .int()
        .min(0)
        .max(MAX_ARTIFACT_BYTES)
        .optional()
        .meta(
          doc(
            'The exact size in bytes. At 100 MiB and above (by default) the upload is multipart.',
            125829120,
          ),
        ),
      fileName: Label(255)
        .optional()
        .meta(
          doc(
            'The file name, kept for downloads. A Lambda deployment needs one ending in .zip.',
            'model.tar.gz',
          ),
        ),
      files: FileList.optional().meta(
        doc('A multi-file artifact: one entry per file, instead of sha256/sizeBytes/fileName.'),
      ),
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
      ...doc('The artifact: one file (sha256, sizeBytes, fileName) or a set of files (files).'),
      override: {
        oneOf: [
          { title: 'one file', required: ['sha256', 'sizeBytes'] },
          { title: 'a set of files', required: ['files'] },
        ],
      },
    }),
);
export type ArtifactInput = z.infer<typeof ArtifactInput>;

export const RegisterVersionBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      artifact: ArtifactInput,
      framework: Label(64).optional().meta(doc('The ML framework.', 'xgboost')),
      params: z
        .record(Label(128), z.union([z.string().max(1024), z.number(), z.boolean()]))
        .refine((p) => Object.keys(p).length <= 200, 'at most 200 params')
        .optional()
        .meta(doc('Training parameters (at most 200). Never change.', { max_depth: 6, eta: 0.1 })),
      metrics: z
        .record(Label(128), z.number())
        .refine((m) => Object.keys(m).length <= 200, 'at most 200 metrics')
        .optional()
        .meta(doc('Evaluation metrics (at most 200).', { auc: 0.91 })),
      lineage: Lineage.optional(),
      description: Text(4000).optional().meta(doc('What changed in this version.')),
      tags: Tags.optional(),
      environment: EnvironmentName.optional().meta(
        doc(
          'The environment the version is meant for: its policy may demand a reproducible version (code, image, hashed datasets).',
        ),
      ),
    })
    .meta({
      id: 'RegisterVersion',
      description:
        "A new version: its artifact (the bytes are uploaded afterwards through the presigned URLs in the answer) and what it came from. The caller must be a publisher in the model's owning team.",
    }),
);
export type RegisterVersionBody = z.infer<typeof RegisterVersionBody>;

export const UpdateVersionBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      description: Text(4000).optional().meta(doc('What changed in this version.')),
      tags: Tags.optional(),
    })
    .meta({
      id: 'UpdateVersion',
      description: 'The only things of a version that may change: description and tags.',
    }),
);

export const CommitBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      /** Multipart uploads: the parts as S3 answered them; without it the parts are listed. */
      parts: z
        .array(
          z.strictObject({
            partNumber: z
              .number()
              .int()
              .min(1)
              .max(10_000)
              .meta(doc('The part number from upload.parts.', 1)),
            etag: z
              .string()
              .min(1)
              .max(256)
              .meta(
                doc("The ETag header S3 answered to that part's PUT.", '"9b2cf535f27731c974343645a3985328"'),
              ),
          }),
        )
        .max(10_000)
        .optional()
        .meta(doc('Multipart uploads: each part and its ETag. Without it Steward lists the parts itself.')),
    })
    .meta({
      id: 'CommitVersion',
      description: 'Optional: the multipart ETags. A single upload commits with an empty body.',
    }),
);

export const TransitionBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      to: ManualTarget.meta(
        doc('DEPRECATED (still usable, discouraged) or ARCHIVED (final; not while deployed).', 'DEPRECATED'),
      ),
      reason: Text(1000)
        .pipe(z.string().min(1, 'give a reason (kept in the audit trail)'))
        .meta(doc('Why, kept in the audit trail.', 'superseded by v4')),
    })
    .meta({ id: 'Transition', description: 'A lifecycle move made by hand.' }),
);

export const ListVersionsQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    status: VersionStatus.optional().meta(doc('Only versions in this status.', 'READY')),
    limit: Limit,
    cursor: Cursor.optional(),
  }),
);

export const VersionPath = /* @__PURE__ */ schema(() =>
  z.strictObject({ model: ModelName, version: VersionNumber }),
);

/** The evidence pack's one representation today is a self-contained HTML page. */
export const EvidenceQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    format: z.enum(['html']).optional().meta({
      description: 'html (the default): one self-contained page, styles and pictures inline.',
      example: 'html',
    }),
  }),
);

export const Artifact = /* @__PURE__ */ schema(() =>
  z
    .object({
      sha256: z
        .string()
        .meta(
          doc(
            'The SHA-256 of the file; for a multi-file artifact, the tree digest (SHA-256 over the sorted manifest).',
          ),
        ),
      sizeBytes: z.number().int().meta(doc('Size in bytes; for a multi-file artifact, the total.')),
      fileName: z.string().optional().meta(doc('The file name given at registration.')),
      uri: z
        .string()
        .meta(doc('Where Steward keeps it (s3://); for a multi-file artifact, the prefix ending in /.')),
      versionId: z
        .string()
        .optional()
        .meta(doc('The S3 object version (on AWS, where the bucket keeps versions).')),
      files: z
        .array(
          z.object({
            path: z.string().meta(doc("The file's path inside the artifact.")),
            sha256: z.string().meta(doc('Its SHA-256.')),
            sizeBytes: z.number().int().meta(doc('Its size in bytes.')),
            versionId: z.string().optional().meta(doc('Its S3 object version.')),
          }),
        )
        .optional()
        .meta(doc("A multi-file artifact's manifest.")),
      source: z
        .string()
        .optional()
        .meta(doc('Where a version registered by reference was copied from, as given.')),
    })
    .meta(doc('The artifact as stored. Never changes once the version is READY.')),
);

const UploadPart = /* @__PURE__ */ schema(() =>
  z
    .object({
      partNumber: z.number().int().meta(doc('The part number (1-based); report it with its ETag at commit.')),
      url: z.string().meta(doc('A presigned PUT URL for this part.')),
      offset: z.number().int().meta(doc('Where the part starts in the file, in bytes.')),
      sizeBytes: z.number().int().meta(doc('How many bytes the part holds (the last one may be shorter).')),
    })
    .meta(doc('One part of a multipart upload: PUT bytes [offset, offset + sizeBytes) to url.')),
);

const FileUpload = /* @__PURE__ */ schema(() =>
  z.object({
    path: z.string().meta(doc('The file this upload is for.')),
    url: z.string().optional().meta(doc('A presigned PUT URL (single upload).')),
    headers: z.record(z.string(), z.string()).meta(doc('Headers to send with each PUT, exactly.')),
    parts: z.array(UploadPart).optional().meta(doc('Multipart: the parts, in order.')),
  }),
);

export const Upload = /* @__PURE__ */ schema(() =>
  z
    .object({
      url: z.string().optional().meta(doc('Single upload: one presigned PUT URL for the whole file.')),
      files: z.array(FileUpload).optional().meta(doc('A multi-file artifact: one upload per file.')),
      method: z.literal('PUT').meta(doc('Always PUT.')),
      headers: z
        .record(z.string(), z.string())
        .meta(doc('Headers to send with each PUT, exactly (e.g. x-amz-checksum-sha256 on AWS).')),
      expiresAt: z.iso
        .datetime()
        .meta(
          doc(
            'When the URLs stop working (15 minutes after this answer by default; the deployment may set another time).',
          ),
        ),
      parts: z
        .array(UploadPart)
        .optional()
        .meta(
          doc(
            'Multipart (files of 100 MiB and more by default): PUT each part to its URL, in any order and in parallel, then commit.',
          ),
        ),
    })
    .meta(
      doc('How to upload the bytes: url for a single PUT, or parts for multipart. Then POST .../commit.'),
    ),
);

export const Version = /* @__PURE__ */ schema(() =>
  z
    .object({
      name: z.string().meta(doc('The model.', 'churn-scorer')),
      version: z.number().int().meta(doc('The version number.', 3)),
      status: VersionStatus,
      statusReason: z
        .string()
        .optional()
        .meta(doc('Why it is FAILED: an artifact mismatch, or an upload that never came.')),
      artifact: Artifact,
      framework: z.string().optional().meta(doc('The ML framework.')),
      params: z
        .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
        .meta(doc('Training parameters.')),
      metrics: z.record(z.string(), z.number()).meta(doc('Evaluation metrics.')),
      lineage: Lineage,
      description: z.string().optional().meta(doc('What changed in this version.')),
      tags: z.record(z.string(), z.string()).meta(doc('Free-form labels.')),
      approvals: z
        .array(z.unknown())
        .meta(doc('The latest approval per environment: its id, status and when.')),
      deployments: z
        .array(z.unknown())
        .meta(doc('Where it serves now: environment, target, deployment id, since when.')),
      createdAt: z.iso.datetime().meta(doc('When it was registered.')),
      createdBy: z.string().meta(doc('Who registered it (the registrant never approves it).')),
      updatedAt: z.iso.datetime().meta(doc('When it last changed.')),
      updatedBy: z.string().meta(doc('Who changed it last.')),
      upload: Upload.optional().meta(
        doc('Only in the answer to the registration: where to upload the bytes.'),
      ),
    })
    .meta({
      id: 'Version',
      description: 'A version of a model: an immutable artifact with its lineage, and its lifecycle status.',
    }),
);
export type Version = z.infer<typeof Version>;
