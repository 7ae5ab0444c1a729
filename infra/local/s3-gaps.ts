import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type S3rver from 's3rver';

/**
 * What s3rver lacks around multipart uploads, added as S3 does it: ListParts (the commit step
 * lists the parts when the caller does not report them), and NoSuchUpload for an upload that was
 * completed or never begun (s3rver answers a 500 there).
 */
interface Context {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
}
type Middleware = (ctx: Context, next: () => Promise<void>) => Promise<void>;

/** s3rver is a Koa application: its middleware list is composed when it starts listening. */
interface KoaInsides {
  middleware: Middleware[];
  store: { getResourcePath(bucket: string, key: string | undefined, resource: string): string };
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

/** Call before `run()`: the handler goes first, ahead of s3rver's own routes. */
export const fillMultipartGaps = (server: S3rver): void => {
  const koa = server as unknown as KoaInsides;
  koa.middleware.unshift(multipartGaps(koa.store));
};
