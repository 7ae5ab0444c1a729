import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { copyObject, hashObject, inspectObject, listObjects, putStream } from '#adapters/artifact-store';
import { getModelAndVersion, type StoredFile, type VersionItem } from '#adapters/registry-table';
import { config } from '#commons/config';
import { MAX_FILES, pathProblem, sortFiles } from '#domain/artifact';
import { mapLimit } from './artifacts.ts';
import { finish, parseSource, type Source, SourceError } from './registration.ts';

/**
 * The copy job of a version registered by reference: every object under the source is copied
 * server-side into the version's own prefix, each copy hashed (S3's SHA-256 of the copy where it
 * keeps one, else a streamed hash of the copy), and the version moves to READY with its manifest
 * or to FAILED with the reason. What is hashed is Steward's copy, so later changes at the source
 * change nothing the version serves.
 */
const WIDTH = 4;

interface Found {
  path: string;
  sizeBytes: number;
  copy: (to: string) => Promise<{ sha256: string; sizeBytes: number; versionId: string | undefined }>;
}

const fromS3 = async (source: Extract<Source, { kind: 's3' }>, into: string): Promise<Found[]> => {
  const base = source.prefix ? `${source.prefix}/` : '';
  let objects = await listObjects(source.bucket, base);
  let rel = (key: string) => key.slice(base.length);
  // Not a folder: the URI may name one object.
  if (objects.length === 0 && source.prefix) {
    const one = await inspectObject(source.bucket, source.prefix);
    if (one) {
      objects = [{ key: source.prefix, sizeBytes: one.sizeBytes }];
      rel = (key) => key.split('/').at(-1)!;
    }
  }
  return objects.map((o) => ({
    path: rel(o.key),
    sizeBytes: o.sizeBytes,
    copy: async (to) => {
      const copied = await copyObject({
        from: { bucket: source.bucket, key: o.key, sizeBytes: o.sizeBytes },
        to: { bucket: into, key: to },
        multipartFrom: config().copyMultipartThresholdBytes,
      });
      if (copied.sha256)
        return { sha256: copied.sha256, sizeBytes: o.sizeBytes, versionId: copied.versionId };
      const hashed = await hashObject(into, to, copied.versionId);
      return { ...hashed, versionId: copied.versionId };
    },
  }));
};

const walk = async (dir: string): Promise<string[]> => {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : Promise.resolve(e.isFile() ? [join(dir, e.name)] : []),
    ),
  );
  return nested.flat();
};

const fromFile = async (path: string, into: string): Promise<Found[]> => {
  const files = await walk(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOTDIR') return [path];
    throw error;
  });
  return files.map((file) => ({
    path: file === path ? file.split(sep).at(-1)! : relative(path, file).split(sep).join('/'),
    sizeBytes: 0,
    copy: async (to) => putStream(into, to, await readFile(file)),
  }));
};

/** The source holds nothing to copy, or what a version cannot hold: the version FAILS with the reason. */
export class CopyRefused extends Error {
  override readonly name = 'CopyRefused';
}

const copyAll = async (v: VersionItem): Promise<StoredFile[]> => {
  const source = parseSource(v.artifact.source!);
  const into = v.artifact.bucket;
  const found = source.kind === 's3' ? await fromS3(source, into) : await fromFile(source.path, into);
  if (found.length === 0) throw new CopyRefused(`nothing found at ${v.artifact.source}`);
  if (found.length > MAX_FILES)
    throw new CopyRefused(`${found.length} files at the source; a version holds at most ${MAX_FILES}`);
  const bad = found.find((f) => pathProblem(f.path));
  if (bad) throw new CopyRefused(`${bad.path}: ${pathProblem(bad.path)}`);
  const copied = await mapLimit(found, WIDTH, async (f) => {
    const out = await f.copy(`${v.artifact.key}${f.path}`);
    return {
      path: f.path,
      sha256: out.sha256,
      sizeBytes: out.sizeBytes,
      ...(out.versionId ? { versionId: out.versionId } : {}),
    };
  });
  return sortFiles(copied);
};

/** The job: copy, hash, record. A refusal or fault of the copy becomes the version's reason. */
export const runCopy = async (input: { model: string; version: number }): Promise<{ status: string }> => {
  const { version: v } = await getModelAndVersion(input.model, input.version);
  if (v?.status !== 'PENDING_UPLOAD' || !v.artifact.source) return { status: v?.status ?? 'GONE' };
  try {
    const files = await copyAll(v);
    await finish(input.model, input.version, { files });
    return { status: 'READY' };
  } catch (error) {
    const known = error instanceof CopyRefused || error instanceof SourceError;
    const name = (error as Error).name;
    const reason = known
      ? (error as Error).message
      : name === 'AccessDenied' || name === 'NoSuchBucket'
        ? `could not read ${v.artifact.source}: ${name}`
        : `the copy from ${v.artifact.source} failed: ${name}: ${(error as Error).message}`;
    if (!known && (error as { $retryable?: unknown }).$retryable) throw error;
    await finish(input.model, input.version, { reason });
    return { status: 'FAILED' };
  }
};

/** What the workflow calls when the copy task itself failed (timeout, crash): the version fails. */
export const failCopy = async (input: { model: string; version: number; error?: string; cause?: string }) => {
  await finish(input.model, input.version, {
    reason: `the copy did not finish: ${input.error ?? 'error'}${input.cause ? `: ${input.cause.slice(0, 500)}` : ''}`,
  });
  return { status: 'FAILED' };
};
