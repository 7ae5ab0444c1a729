import {
  completeMultipart,
  hashObject,
  inspectObject,
  planUpload,
  presignDownload,
  type UploadPlan,
} from '#adapters/artifact-store';
import { getVersion, type StoredFile, type VersionItem } from '#adapters/registry-table';
import { config } from '#commons/config';
import { ConflictError, NotFoundError } from '#commons/errors';
import { type ArtifactFile, sortFiles } from '#domain/artifact';

/**
 * Artifacts' use cases: a version's artifact is one object, or (multi-file) one object per file
 * under the version's own prefix. Uploads are planned, verified and downloaded per file, a few at
 * a time; downloads are presigned GETs (no bytes pass through the API); a version's files are
 * listed a folder level at a time (the MLflow artifact proxy).
 */
const WIDTH = 8;

/** `fn` over every item, at most `width` at once, results in order. */
export const mapLimit = async <T, R>(
  items: readonly T[],
  width: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> => {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
};

export interface FilesUploadPlan {
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: string;
  files: ({ path: string } & Omit<UploadPlan, 'uploadId' | 'method' | 'expiresAt'>)[];
}

/** One presigned upload per file (multipart for large ones); the stored files keep the upload ids. */
export const planFilesUpload = async (
  bucket: string,
  prefix: string,
  files: readonly ArtifactFile[],
): Promise<{ stored: StoredFile[]; upload: FilesUploadPlan }> => {
  const sorted = sortFiles(files);
  const plans = await mapLimit(sorted, WIDTH, (f) =>
    planUpload(bucket, `${prefix}${f.path}`, f.sha256, f.sizeBytes),
  );
  const stored = sorted.map((f, i) => ({
    path: f.path,
    sha256: f.sha256,
    sizeBytes: f.sizeBytes,
    ...(plans[i]!.uploadId ? { uploadId: plans[i]!.uploadId } : {}),
  }));
  const expiresAt = new Date(Date.now() + config().presignTtlSeconds * 1000).toISOString();
  return {
    stored,
    upload: {
      method: 'PUT',
      headers: {},
      expiresAt,
      files: sorted.map((f, i) => {
        const { uploadId: _internal, method: _m, expiresAt: _e, ...plan } = plans[i]!;
        return { path: f.path, ...plan };
      }),
    },
  };
};

export type FilesCheck =
  | { outcome: 'missing'; paths: string[] }
  | { outcome: 'checked'; problems: string[]; files: StoredFile[] };

/**
 * Finish each file's upload and compare what is stored with what was registered: S3's SHA-256
 * where it keeps one, else a streamed hash (only when the size already matches). Files not uploaded
 * yet make the whole set `missing`, so that the caller may still upload them.
 */
export const verifyFiles = async (
  bucket: string,
  prefix: string,
  files: readonly StoredFile[],
): Promise<FilesCheck> => {
  const results = await mapLimit(files, WIDTH, async (f) => {
    const key = `${prefix}${f.path}`;
    if (f.uploadId && (await completeMultipart(bucket, key, f.uploadId, undefined)) === 'missing')
      return { f, stored: undefined };
    const stored = await inspectObject(bucket, key);
    if (!stored) return { f, stored: undefined };
    const actual =
      stored.sha256 === undefined && stored.sizeBytes === f.sizeBytes
        ? await hashObject(bucket, key, stored.versionId)
        : stored;
    return { f, stored, actual };
  });
  const missing = results.filter((r) => !r.stored).map((r) => r.f.path);
  if (missing.length) return { outcome: 'missing', paths: missing };
  const problems: string[] = [];
  const checked = results.map(({ f, stored, actual }) => {
    if (actual!.sizeBytes !== f.sizeBytes)
      problems.push(`${f.path}: size is ${actual!.sizeBytes} bytes, registered ${f.sizeBytes}`);
    if (actual!.sha256 !== undefined && actual!.sha256 !== f.sha256)
      problems.push(`${f.path}: sha256 is ${actual!.sha256}, registered ${f.sha256}`);
    return {
      path: f.path,
      sha256: f.sha256,
      sizeBytes: f.sizeBytes,
      ...(stored!.versionId ? { versionId: stored!.versionId } : {}),
    };
  });
  return { outcome: 'checked', problems, files: checked };
};

/** A presigned GET per file. */
export const presignFiles = async (bucket: string, prefix: string, files: readonly StoredFile[]) => {
  const urls = await mapLimit(files, WIDTH, (f) =>
    presignDownload(bucket, `${prefix}${f.path}`, f.versionId, undefined),
  );
  return {
    files: files.map((f, i) => ({
      path: f.path,
      sha256: f.sha256,
      sizeBytes: f.sizeBytes,
      url: urls[i]!.url,
    })),
    expiresAt: urls[0]?.expiresAt ?? new Date().toISOString(),
  };
};

/**
 * What commit finds in the store: `missing` while anything registered is not uploaded yet;
 * otherwise the problems (empty when every file matches) and the artifact to record, with the
 * store's version ids and no upload ids.
 */
export const checkArtifact = async (
  artifact: VersionItem['artifact'],
  parts?: { partNumber: number; etag: string }[],
): Promise<
  | { outcome: 'missing'; detail: string }
  | { outcome: 'checked'; problems: string[]; artifact: VersionItem['artifact'] }
> => {
  const { bucket, key, uploadId, files } = artifact;
  if (files) {
    const result = await verifyFiles(bucket, key, files);
    if (result.outcome === 'missing')
      return { outcome: 'missing', detail: `: ${result.paths.length} file(s), e.g. ${result.paths[0]}` };
    return { outcome: 'checked', problems: result.problems, artifact: { ...artifact, files: result.files } };
  }
  if (uploadId && (await completeMultipart(bucket, key, uploadId, parts)) === 'missing')
    return { outcome: 'missing', detail: '' };
  const stored = await inspectObject(bucket, key);
  if (!stored) return { outcome: 'missing', detail: '' };
  // Hash the stream only where the store keeps no checksum and the size already matches.
  const actual =
    stored.sha256 === undefined && stored.sizeBytes === artifact.sizeBytes
      ? await hashObject(bucket, key, stored.versionId)
      : stored;
  const problems: string[] = [];
  if (actual.sizeBytes !== artifact.sizeBytes)
    problems.push(`size is ${actual.sizeBytes} bytes, registered ${artifact.sizeBytes}`);
  if (actual.sha256 !== undefined && actual.sha256 !== artifact.sha256)
    problems.push(`sha256 is ${actual.sha256}, registered ${artifact.sha256}`);
  const { uploadId: _done, ...rest } = artifact;
  return {
    outcome: 'checked',
    problems,
    artifact: { ...rest, ...(stored.versionId ? { versionId: stored.versionId } : {}) },
  };
};

/** Whether a version has a committed artifact to serve (not before its upload, not after a failure). */
export const hasArtifact = (version: Pick<VersionItem, 'status'>): boolean =>
  version.status !== 'PENDING_UPLOAD' && version.status !== 'FAILED';

/**
 * Presigned GETs for a version's committed artifact: one URL, or one per file. Refused: no such
 * version (404), no committed artifact yet or ever (409).
 */
export const artifactDownload = async (name: string, version: number) => {
  const item = await getVersion(name, version);
  if (!item) throw new NotFoundError(`version ${version} of ${name} does not exist`);
  if (!hasArtifact(item))
    throw new ConflictError(`version ${version} is ${item.status}; it has no committed artifact`);
  const { bucket, key, versionId, fileName, files } = item.artifact;
  if (files) return presignFiles(bucket, key, files);
  return presignDownload(bucket, key, versionId, fileName);
};

export interface ArtifactEntry {
  path: string;
  isDir: boolean;
  sizeBytes?: number;
}

/** One folder level of a version's files under `folder` ('' for the top): its files and subfolders. */
export const listArtifactLevel = (artifact: VersionItem['artifact'], folder: string): ArtifactEntry[] => {
  const base = folder ? `${folder}/` : '';
  const entries = new Map<string, ArtifactEntry>();
  const files = artifact.files ?? [{ path: artifact.key.split('/').at(-1)!, sizeBytes: artifact.sizeBytes }];
  for (const f of files) {
    if (!f.path.startsWith(base)) continue;
    const [head, ...below] = f.path.slice(base.length).split('/');
    if (!head) continue;
    if (below.length) entries.set(head, { path: head, isDir: true });
    else entries.set(head, { path: head, isDir: false, sizeBytes: f.sizeBytes });
  }
  return [...entries.values()];
};

/** A presigned GET for one file of a version's artifact, by its path; undefined when it has none. */
export const fileDownload = async (
  artifact: VersionItem['artifact'],
  path: string,
): Promise<{ url: string } | undefined> => {
  const { bucket, key } = artifact;
  const file = artifact.files
    ? artifact.files.find((f) => f.path === path)
    : key.split('/').at(-1) === path
      ? { path, versionId: artifact.versionId }
      : undefined;
  if (!file) return undefined;
  const objectKey = artifact.files ? `${key}${file.path}` : key;
  const { url } = await presignDownload(bucket, objectKey, file.versionId, undefined);
  return { url };
};
