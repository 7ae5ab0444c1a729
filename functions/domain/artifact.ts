import { createHash } from 'node:crypto';
import * as z from 'zod';
import { schema } from './schema.ts';

/**
 * A version's artifact is one file or a set of files. A set is a manifest of `{path, sha256,
 * sizeBytes}`; its identity is the tree digest: the SHA-256 of the manifest sorted by path, one
 * line per file, `<path>\t<sha256>\t<sizeBytes>\n` (paths compared as UTF-16 code units, which for
 * the ASCII paths allowed here is byte order). Anyone can recompute it from the file list.
 */
export const Sha256Hex = /* @__PURE__ */ schema(() =>
  z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'a SHA-256 is 64 lowercase hex characters')
    .meta({
      description: 'A SHA-256 digest, 64 lowercase hex characters.',
      example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    }),
);

/** Each file is an object of its own and an entry of the version item (at most 400 KB). */
/** Where an object is, as S3 names it: `s3://<bucket>/<key>`. */
export const s3Uri = (bucket: string, key: string): string => `s3://${bucket}/${key}`;

export const MAX_FILES = 500;
/** At most 5 TiB: the largest object S3 holds. */
export const MAX_FILE_BYTES = 5 * 1024 ** 4;

const SEGMENT = /^[A-Za-z0-9._+=@,-]+$/;

/** Why a relative path is refused, or undefined: no `..`, no absolute path, no empty segment. */
export const pathProblem = (path: string): string | undefined => {
  if (path.length === 0 || path.length > 256) return 'a file path is 1-256 characters';
  if (path.startsWith('/')) return 'a file path is relative (no leading /)';
  const segments = path.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..'))
    return 'a file path has no empty, . or .. segments';
  if (!segments.every((s) => SEGMENT.test(s)))
    return 'a file path is made of A-Z a-z 0-9 . _ + = @ , - separated by /';
  return undefined;
};

export const FilePath = /* @__PURE__ */ schema(() =>
  z.string().superRefine((value, ctx) => {
    const problem = pathProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
);

export const ArtifactFile = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      path: FilePath.meta({
        description:
          'The path inside the artifact, relative, with / between folders (A-Z a-z 0-9 . _ + = @ , - only; no . or .. segments).',
        example: 'model/weights.bin',
      }),
      sha256: Sha256Hex.meta({ description: "The file's SHA-256: the commit checks the upload against it." }),
      sizeBytes: z
        .number()
        .int()
        .min(0)
        .max(MAX_FILE_BYTES)
        .meta({ description: "The file's exact size in bytes (at most 5 TiB).", example: 1048576 }),
    })
    .meta({ description: 'One file of a multi-file artifact.' }),
);
export type ArtifactFile = z.infer<typeof ArtifactFile>;

export const FileList = /* @__PURE__ */ schema(() =>
  z
    .array(ArtifactFile)
    .min(1)
    .max(MAX_FILES)
    .superRefine((files, ctx) => {
      const seen = new Set<string>();
      files.forEach((f, i) => {
        if (seen.has(f.path))
          ctx.addIssue({ code: 'custom', path: [i, 'path'], message: `${f.path} is listed twice` });
        seen.add(f.path);
      });
      // A path that is also a folder of another path cannot be two objects' keys at once in a tree.
      files.forEach((f, i) => {
        const segments = f.path.split('/');
        for (let n = 1; n < segments.length; n++)
          if (seen.has(segments.slice(0, n).join('/'))) {
            ctx.addIssue({ code: 'custom', path: [i, 'path'], message: `${f.path} is inside a listed file` });
            return;
          }
      });
    }),
);

const byPath = (a: ArtifactFile, b: ArtifactFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

export const sortFiles = <T extends ArtifactFile>(files: readonly T[]): T[] => [...files].sort(byPath);

/** The tree digest of a file set (see the module comment). */
export const treeDigest = (files: readonly ArtifactFile[]): string => {
  const hash = createHash('sha256');
  for (const f of sortFiles(files)) hash.update(`${f.path}\t${f.sha256}\t${f.sizeBytes}\n`);
  return hash.digest('hex');
};

export const totalBytes = (files: readonly ArtifactFile[]): number =>
  files.reduce((sum, f) => sum + f.sizeBytes, 0);
