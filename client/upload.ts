import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

import type { Readable } from 'node:stream';
import { MAX_FILES, pathProblem } from '#domain/artifact';
import type { StewardClient, VersionOut } from './client.ts';
import { UploadError } from './errors.ts';
import { dirSource, fileSource, folderFiles, type Source } from './sources.ts';

/**
 * Register a version from a file or a folder, upload it straight to S3 through the presigned URLs
 * Steward hands out, and commit it. Steward chooses single or multipart from the size (it says
 * which in the answer: `upload.url` or `upload.parts`); parts go up in parallel, and a failed part
 * is sent again. The SHA-256 is computed as a stream (bounded memory, any size): the API wants it
 * at registration, since on AWS the single-PUT URL is signed with it.
 */
export interface UploadProgress {
  phase: 'hash' | 'upload' | 'commit';
  /** Bytes done in this phase, and of how many. */
  done: number;
  total: number;
}

export interface PublishOptions {
  /** A file; a folder as a multi-file artifact (one object per file); or a folder as one tar archive. */
  file?: string;
  dir?: string;
  tar?: string;
  /** Everything else of the registration body: framework, params, metrics, lineage, tags, ... */
  metadata?: Record<string, unknown>;
  /** Parts in flight at once (multipart). */
  concurrency?: number;
  /** Attempts per part (and for a single PUT) before giving up. */
  attempts?: number;
  onProgress?: (progress: UploadProgress) => void;
  /** Called once registered, before the upload (the version number is known from here). */
  onRegistered?: (version: VersionOut) => void;
}

export interface PublishResult {
  version: VersionOut;
  multipart: boolean;
  parts: number;
  retries: number;
}

export const sourceOf = async (options: { file?: string; tar?: string }): Promise<Source> => {
  if (options.file && options.tar) throw new UploadError('give --file or --tar, not both');
  if (options.file) return fileSource(options.file);
  if (options.tar) return dirSource(options.tar);
  throw new UploadError('give --file, --dir or --tar');
};

/** The SHA-256 of a source, read as a stream. */
export const hashSource = async (source: Source, onBytes?: (n: number) => void): Promise<string> => {
  const hash = createHash('sha256');
  for await (const chunk of source.read(0, source.sizeBytes)) {
    hash.update(chunk as Buffer);
    onBytes?.((chunk as Buffer).length);
  }
  return hash.digest('hex');
};

export const publish = async (
  client: StewardClient,
  model: string,
  options: PublishOptions,
): Promise<PublishResult> => {
  if ([options.file, options.dir, options.tar].filter(Boolean).length > 1)
    throw new UploadError('give one of --file, --dir or --tar');
  if (options.dir) return publishFolder(client, model, options.dir, options);
  const source = await sourceOf(options);
  const total = source.sizeBytes;
  const progress = options.onProgress ?? (() => {});
  let hashed = 0;
  progress({ phase: 'hash', done: 0, total });
  const sha256 = await hashSource(source, (n) => progress({ phase: 'hash', done: (hashed += n), total }));

  const registered = await client.registerVersion(model, {
    ...(options.metadata ?? {}),
    artifact: { sha256, sizeBytes: total, fileName: source.fileName },
  } as Parameters<StewardClient['registerVersion']>[1]);
  options.onRegistered?.(registered);
  const upload = registered.upload;
  if (!upload) throw new UploadError(`version ${registered.version} came back without upload instructions`);

  const attempts = Math.max(1, options.attempts ?? 4);
  let sent = 0;
  let retries = 0;
  const onBytes = (n: number) => progress({ phase: 'upload', done: (sent += n), total });
  progress({ phase: 'upload', done: 0, total });

  let parts: { partNumber: number; etag: string }[] | undefined;
  if (upload.parts?.length) {
    const queue = [...upload.parts];
    const done: { partNumber: number; etag: string }[] = [];
    const worker = async () => {
      for (let part = queue.shift(); part; part = queue.shift()) {
        const p = part;
        const result = await withRetries(attempts, (attempt) => {
          if (attempt > 1) retries++;
          let counted = 0;
          return putBytes(p.url, upload.headers, source.read(p.offset, p.sizeBytes), p.sizeBytes, (n) => {
            counted += n;
            onBytes(n);
          }).catch((error) => {
            // The part starts over: take back what it had counted.
            onBytes(-counted);
            throw error;
          });
        });
        done.push({ partNumber: p.partNumber, etag: result.etag });
      }
    };
    const width = Math.min(Math.max(1, options.concurrency ?? 4), upload.parts.length);
    await Promise.all(Array.from({ length: width }, worker));
    parts = done.sort((a, b) => a.partNumber - b.partNumber);
  } else if (upload.url) {
    const url = upload.url;
    await withRetries(attempts, (attempt) => {
      if (attempt > 1) retries++;
      let counted = 0;
      return putBytes(url, upload.headers, source.read(0, total), total, (n) => {
        counted += n;
        onBytes(n);
      }).catch((error) => {
        onBytes(-counted);
        throw error;
      });
    });
  } else throw new UploadError('the upload instructions have neither a url nor parts');

  progress({ phase: 'commit', done: total, total });
  const version = await client.commitVersion(model, registered.version, parts);
  return { version, multipart: parts !== undefined, parts: parts?.length ?? 1, retries };
};

/**
 * A folder as a multi-file artifact: each file hashed (streamed), registered as `artifact.files`,
 * uploaded to its own presigned URL or parts (files and parts share one pool of `concurrency`
 * requests), and checked by the commit one by one. The version's sha256 is the tree digest.
 */
const publishFolder = async (
  client: StewardClient,
  model: string,
  dir: string,
  options: PublishOptions,
): Promise<PublishResult> => {
  const { files } = await folderFiles(dir);
  if (files.length > MAX_FILES)
    throw new UploadError(
      `${dir} holds ${files.length} files; a multi-file artifact holds at most ${MAX_FILES}`,
    );
  for (const f of files) {
    const problem = pathProblem(f.path);
    if (problem)
      throw new UploadError(`${f.path}: ${problem} (or send the folder as one archive with --tar)`);
  }
  const total = files.reduce((sum, f) => sum + f.sizeBytes, 0);
  const progress = options.onProgress ?? (() => {});
  let hashed = 0;
  progress({ phase: 'hash', done: 0, total });
  const manifest = [];
  for (const f of files) {
    const source = await fileSource(f.file);
    const sha256 = await hashSource(source, (n) => progress({ phase: 'hash', done: (hashed += n), total }));
    manifest.push({ path: f.path, sha256, sizeBytes: f.sizeBytes, source });
  }

  const registered = await client.registerVersion(model, {
    ...(options.metadata ?? {}),
    artifact: { files: manifest.map(({ path, sha256, sizeBytes }) => ({ path, sha256, sizeBytes })) },
  } as Parameters<StewardClient['registerVersion']>[1]);
  options.onRegistered?.(registered);
  const plans = new Map((registered.upload?.files ?? []).map((p) => [p.path, p]));

  // One job per single upload or part, across every file.
  const jobs: {
    url: string;
    headers: Record<string, string>;
    source: Source;
    offset: number;
    size: number;
  }[] = [];
  for (const f of manifest) {
    const plan = plans.get(f.path);
    if (!plan)
      throw new UploadError(`version ${registered.version} came back without an upload for ${f.path}`);
    if (plan.parts?.length)
      for (const part of plan.parts)
        jobs.push({
          url: part.url,
          headers: plan.headers,
          source: f.source,
          offset: part.offset,
          size: part.sizeBytes,
        });
    else if (plan.url)
      jobs.push({ url: plan.url, headers: plan.headers, source: f.source, offset: 0, size: f.sizeBytes });
    else throw new UploadError(`the upload of ${f.path} has neither a url nor parts`);
  }
  const attempts = Math.max(1, options.attempts ?? 4);
  let sent = 0;
  let retries = 0;
  progress({ phase: 'upload', done: 0, total });
  const queue = [...jobs];
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const j = job;
      await withRetries(attempts, (attempt) => {
        if (attempt > 1) retries++;
        let counted = 0;
        const onBytes = (n: number) => {
          counted += n;
          progress({ phase: 'upload', done: (sent += n), total });
        };
        return putBytes(j.url, j.headers, j.source.read(j.offset, j.size), j.size, onBytes).catch((error) => {
          progress({ phase: 'upload', done: (sent -= counted), total });
          throw error;
        });
      });
    }
  };
  const width = Math.min(Math.max(1, options.concurrency ?? 4), jobs.length);
  await Promise.all(Array.from({ length: width }, worker));

  progress({ phase: 'commit', done: total, total });
  // The commit lists each multipart file's parts itself: no ETags to send.
  const version = await client.commitVersion(model, registered.version);
  return { version, multipart: jobs.length > files.length, parts: jobs.length, retries };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Try again after 0.2 s, 0.4 s, 0.8 s ... on a network error or a 5xx; a 4xx is final. */
export const withRetries = async <T>(attempts: number, run: (attempt: number) => Promise<T>): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt);
    } catch (error) {
      const final = error instanceof UploadError && error.final;
      if (final || attempt >= attempts) throw error;
      await sleep(200 * 2 ** (attempt - 1));
    }
  }
};

class PutFailed extends UploadError {}

/** One PUT of `size` bytes to a presigned URL, streamed, with an exact Content-Length. */
export const putBytes = (
  url: string,
  headers: Record<string, string>,
  body: Readable,
  size: number,
  onBytes: (n: number) => void,
): Promise<{ etag: string }> =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      { method: 'PUT', headers: { ...headers, 'content-length': String(size) } },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve({ etag: String(res.headers.etag ?? '') });
            return;
          }
          const text = Buffer.concat(chunks).toString('utf8');
          const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
          const error = new PutFailed(`S3 refused the upload: ${status}${code ? ` ${code}` : ''}`);
          // A 4xx other than a throttle will not get better by trying again.
          error.final = status >= 400 && status < 500 && status !== 429 && status !== 408;
          reject(error);
        });
        res.on('error', reject);
      },
    );
    req.on('error', (error) => reject(new PutFailed(`upload failed: ${error.message}`, { cause: error })));
    body.on('data', (chunk: Buffer) => onBytes(chunk.length));
    body.on('error', (error) => req.destroy(error));
    body.pipe(req);
  });
