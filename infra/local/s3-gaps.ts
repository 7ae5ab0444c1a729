import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type S3rver from 's3rver';

/**
 * What s3rver lacks, added as S3 does it. Around multipart uploads: ListParts (the commit step
 * lists the parts when the caller does not report them), NoSuchUpload for an upload that was
 * completed or never begun (s3rver answers a 500 there), and UploadPartCopy (a part copied from a
 * byte range of another object, server-side: registration by reference copies large objects so;
 * s3rver answers NotImplemented). And in a delimiter listing, the common prefixes of folders that
 * hold no object directly (s3rver's store stops its walk one level below the prefix, so it finds
 * `a/` only when some `a/x` exists, never from `a/b/x` alone).
 */
interface Context {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
}
interface ListOptions {
  delimiter?: string;
  prefix?: string;
  startAfter?: string;
  maxKeys?: number;
}
interface ListResult {
  objects: unknown[];
  commonPrefixes: string[];
  isTruncated: boolean;
}
type Middleware = (ctx: Context, next: () => Promise<void>) => Promise<void>;

/** s3rver is a Koa application: its middleware list is composed when it starts listening. */
interface KoaInsides {
  middleware: Middleware[];
  store: {
    getBucketPath(bucket: string): string;
    listObjects(bucket: string, options: ListOptions): Promise<ListResult>;
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    getObject(
      bucket: string,
      key: string,
      range?: { start: number; end: number },
    ): Promise<{ content: Readable | null; metadata: Record<string, string> } | null>;
    putPart(
      bucket: string,
      uploadId: string,
      partNumber: number,
      content: Readable,
    ): Promise<{ md5: string }>;
  };
}

const xmlEscape = (text: string): string => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

const s3Error = (ctx: Context, status: number, code: string, message: string) => {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`;
};

const multipartGaps =
  (store: KoaInsides['store']): Middleware =>
  async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    const listing = ctx.method === 'GET' && ctx.query.partNumber === undefined;
    if (typeof uploadId !== 'string' || !(listing || ctx.method === 'POST')) return next();
    const [, bucket, ...keyParts] = ctx.path.split('/').map(decodeURIComponent);
    if (!bucket || keyParts.length === 0 || !/^[0-9a-f]+$/.test(uploadId)) return next();
    const directory = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
    const exists = await stat(directory).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!exists) return s3Error(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist.');
    if (!listing) return next();

    const marker = Number(ctx.query['part-number-marker'] ?? 0);
    const maxParts = Math.min(Number(ctx.query['max-parts'] ?? 1000), 1000);
    const numbers = (await readdir(directory))
      .filter((f) => /^\d+$/.test(f))
      .map(Number)
      .filter((n) => n > marker)
      .sort((a, b) => a - b);
    const page = numbers.slice(0, maxParts);
    const parts = await Promise.all(
      page.map(async (n) => {
        const [info, md5] = await Promise.all([
          stat(join(directory, String(n))),
          readFile(join(directory, `${n}.md5`), 'utf8'),
        ]);
        return `<Part><PartNumber>${n}</PartNumber><LastModified>${info.mtime.toISOString()}</LastModified><ETag>&quot;${md5.trim()}&quot;</ETag><Size>${info.size}</Size></Part>`;
      }),
    );
    ctx.status = 200;
    ctx.type = 'application/xml';
    ctx.body = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      `<Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(keyParts.join('/'))}</Key>`,
      `<UploadId>${uploadId}</UploadId><PartNumberMarker>${marker}</PartNumberMarker>`,
      `<NextPartNumberMarker>${page.at(-1) ?? marker}</NextPartNumberMarker><MaxParts>${maxParts}</MaxParts>`,
      `<IsTruncated>${numbers.length > page.length}</IsTruncated>`,
      ...parts,
      '</ListPartsResult>',
    ].join('');
  };

const uploadExists = (store: KoaInsides['store'], bucket: string, uploadId: string) =>
  stat(join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId)).then(
    (s) => s.isDirectory(),
    () => false,
  );

/**
 * UploadPartCopy: `PUT /bucket/key?partNumber=N&uploadId=U` with `x-amz-copy-source` (and
 * optionally `x-amz-copy-source-range: bytes=first-last`, both inclusive) stores that range of the
 * source object as part N, and answers its ETag in a CopyPartResult, with S3's errors for a
 * missing upload, a missing source and a range outside the source.
 */
const uploadPartCopy =
  (store: KoaInsides['store']): Middleware =>
  async (ctx, next) => {
    const { uploadId, partNumber } = ctx.query;
    const header = ctx.headers['x-amz-copy-source'];
    if (ctx.method !== 'PUT' || typeof uploadId !== 'string' || typeof header !== 'string') return next();
    const [, bucket, ...keyParts] = ctx.path.split('/').map(decodeURIComponent);
    const part = Number(partNumber);
    if (!bucket || keyParts.length === 0) return next();
    if (!Number.isInteger(part) || part < 1 || part > 10_000)
      return s3Error(
        ctx,
        400,
        'InvalidArgument',
        'Part number must be an integer between 1 and 10000, inclusive',
      );
    if (!/^[0-9a-f]+$/.test(uploadId) || !(await uploadExists(store, bucket, uploadId)))
      return s3Error(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist.');

    const [path, query] = header.replace(/^\//, '').split('?') as [string, string | undefined];
    if (query && !/^versionId=/.test(query))
      return s3Error(ctx, 400, 'InvalidArgument', 'x-amz-copy-source takes only a versionId');
    const [sourceBucket, ...sourceKey] = decodeURIComponent(path).split('/');
    const found =
      sourceBucket && sourceKey.length ? await store.getObject(sourceBucket, sourceKey.join('/')) : null;
    if (!found) return s3Error(ctx, 404, 'NoSuchKey', 'The specified key does not exist.');
    found.content?.destroy();
    const size = Number(found.metadata['content-length']);

    const rangeHeader = ctx.headers['x-amz-copy-source-range'];
    let range = { start: 0, end: size - 1 };
    if (typeof rangeHeader === 'string') {
      const m = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader);
      if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= size)
        return s3Error(
          ctx,
          400,
          'InvalidArgument',
          `The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy, within the source's ${size} bytes`,
        );
      range = { start: Number(m[1]), end: Number(m[2]) };
    }
    const source = await store.getObject(sourceBucket!, sourceKey.join('/'), range);
    if (!source?.content) return s3Error(ctx, 404, 'NoSuchKey', 'The specified key does not exist.');
    const { md5 } = await store.putPart(bucket, uploadId, part, source.content);
    ctx.status = 200;
    ctx.type = 'application/xml';
    ctx.body = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      `<LastModified>${new Date().toISOString()}</LastModified><ETag>&quot;${md5}&quot;</ETag>`,
      '</CopyPartResult>',
    ].join('');
  };

/** Call before `run()`: the handlers go first, ahead of s3rver's own routes. */
export const fillMultipartGaps = (server: S3rver): void => {
  const koa = server as unknown as KoaInsides;
  koa.middleware.unshift(multipartGaps(koa.store), uploadPartCopy(koa.store));
};

/** s3rver keeps an object's bytes in `<folder>/<name>._S3rver_object` and its own files beside it. */
const OBJECT_FILE = '._S3rver_object';
const OWN_FILE = '._S3rver_';

const holdsObject = async (directory: string): Promise<boolean> => {
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(OBJECT_FILE)) return true;
    if (
      entry.isDirectory() &&
      !entry.name.includes(OWN_FILE) &&
      (await holdsObject(join(directory, entry.name)))
    )
      return true;
  }
  return false;
};

/** The folders (`.../name/`) just below `prefix` whose names continue it and that hold some object. */
const foldersBelow = async (bucketPath: string, prefix: string): Promise<string[]> => {
  const cut = prefix.lastIndexOf('/') + 1;
  const parent = prefix.slice(0, cut);
  const start = prefix.slice(cut);
  const entries = await readdir(join(bucketPath, parent), { withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
      throw error;
    },
  );
  const folders: string[] = [];
  for (const entry of entries)
    if (entry.isDirectory() && entry.name.startsWith(start) && !entry.name.includes(OWN_FILE))
      if (await holdsObject(join(bucketPath, parent, entry.name))) folders.push(`${parent}${entry.name}/`);
  return folders;
};

/**
 * Call before `run()`: a `/`-delimited listing answers every folder below the prefix that holds
 * objects at any depth, as S3 does. A folder wholly before `start-after` (a continuation) is left
 * out, as S3 leaves out the keys under it.
 */
export const fillListingGaps = (server: S3rver): void => {
  const { store } = server as unknown as KoaInsides;
  const listObjects = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    const result = await listObjects(bucket, options);
    if (options.delimiter !== '/') return result;
    const after = options.startAfter ?? '';
    const folders = (await foldersBelow(store.getBucketPath(bucket), options.prefix ?? '')).filter(
      (folder) => !(folder < after && !after.startsWith(folder)),
    );
    return { ...result, commonPrefixes: [...new Set([...result.commonPrefixes, ...folders])].sort() };
  };
};
