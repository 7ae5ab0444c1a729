import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Part } from '@aws-sdk/client-s3';
import { config } from '#commons/config';
import { loadS3, s3 } from '#commons/s3';
import { loadPresigner, presignGet } from './presign.ts';

/**
 * The artifacts bucket. Bytes go straight between the caller and S3 through presigned URLs; no
 * artifact byte passes through a function, except the streamed hash of the commit step where the
 * store keeps no SHA-256 checksum (local mode, multipart uploads).
 */
export const hexToBase64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');
const base64ToHex = (b64: string): string => Buffer.from(b64, 'base64').toString('hex');

export interface UploadPlan {
  method: 'PUT';
  url?: string;
  headers: Record<string, string>;
  expiresAt: string;
  uploadId?: string;
  parts?: { partNumber: number; url: string; offset: number; sizeBytes: number }[];
}

const MAX_PARTS = 10_000;

export const planUpload = async (
  bucket: string,
  key: string,
  sha256: string,
  sizeBytes: number,
): Promise<UploadPlan> => {
  const { presignTtlSeconds: expiresIn, multipartThresholdBytes, s3Checksums } = config();
  const [{ CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand }, { getSignedUrl }, client] =
    await Promise.all([loadS3(), loadPresigner(), s3()]);
  const expiresAt = new Date(Date.now() + expiresIn * 1000).toISOString();
  if (sizeBytes < multipartThresholdBytes) {
    const checksum = s3Checksums ? { ChecksumSHA256: hexToBase64(sha256) } : {};
    const url = await getSignedUrl(
      client,
      new PutObjectCommand({ Bucket: bucket, Key: key, ContentLength: sizeBytes, ...checksum }),
      {
        expiresIn,
        // The caller must send these as headers, and S3 refuses a body of another size or hash.
        signableHeaders: new Set(['content-length', ...(s3Checksums ? ['x-amz-checksum-sha256'] : [])]),
        unhoistableHeaders: new Set(s3Checksums ? ['x-amz-checksum-sha256'] : []),
      },
    );
    return {
      method: 'PUT',
      url,
      headers: s3Checksums ? { 'x-amz-checksum-sha256': checksum.ChecksumSHA256! } : {},
      expiresAt,
    };
  }
  const partBytes = Math.max(config().multipartPartBytes, Math.ceil(sizeBytes / MAX_PARTS));
  const count = Math.ceil(sizeBytes / partBytes);
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  if (!UploadId) throw new Error('S3 returned no upload id');
  const parts = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const offset = i * partBytes;
      const size = Math.min(partBytes, sizeBytes - offset);
      const url = await getSignedUrl(
        client,
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, ContentLength: size }),
        { expiresIn, signableHeaders: new Set(['content-length']) },
      );
      return { partNumber: i + 1, url, offset, sizeBytes: size };
    }),
  );
  return { method: 'PUT', headers: {}, expiresAt, uploadId: UploadId, parts };
};

/**
 * Finish a multipart upload from the parts the caller reports, or from the parts S3 lists.
 * `gone`: the upload no longer exists, because an earlier commit completed it (and then died
 * before recording the version) or it was aborted; the stored object, if any, tells which.
 */
export const completeMultipart = async (
  bucket: string,
  key: string,
  uploadId: string,
  reported: { partNumber: number; etag: string }[] | undefined,
): Promise<'completed' | 'missing' | 'gone'> => {
  const [{ CompleteMultipartUploadCommand, ListPartsCommand }, client] = await Promise.all([loadS3(), s3()]);
  let parts: Part[];
  if (reported?.length) parts = reported.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag }));
  else {
    parts = [];
    let marker: string | undefined;
    try {
      do {
        const page = await client.send(
          new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }),
        );
        parts.push(...(page.Parts ?? []).map((p) => ({ PartNumber: p.PartNumber, ETag: p.ETag })));
        marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
      } while (marker);
    } catch (error) {
      if ((error as Error).name === 'NoSuchUpload') return 'gone';
      throw error;
    }
  }
  if (parts.length === 0) return 'missing';
  parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
  try {
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NoSuchUpload') return 'gone';
    if (name === 'InvalidPart' || name === 'InvalidPartOrder') return 'missing';
    throw error;
  }
  return 'completed';
};

export interface StoredObject {
  sizeBytes: number;
  /** Hex SHA-256 of the whole object when the store keeps one; undefined otherwise. */
  sha256: string | undefined;
  versionId: string | undefined;
}

export const inspectObject = async (bucket: string, key: string): Promise<StoredObject | undefined> => {
  const [{ HeadObjectCommand }, client] = await Promise.all([loadS3(), s3()]);
  try {
    const head = await client.send(
      new HeadObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(config().s3Checksums ? { ChecksumMode: 'ENABLED' } : {}),
      }),
    );
    // A composite checksum ("<b64>-<parts>") of a multipart upload is not the object's SHA-256.
    const full = head.ChecksumSHA256 && !head.ChecksumSHA256.includes('-') ? head.ChecksumSHA256 : undefined;
    return {
      sizeBytes: head.ContentLength ?? 0,
      sha256: full ? base64ToHex(full) : undefined,
      versionId: head.VersionId ?? undefined,
    };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NotFound' || name === 'NoSuchKey') return undefined;
    throw error;
  }
};

/** SHA-256 of a stored object, read as a stream: memory stays flat whatever its size. */
export const hashObject = async (
  bucket: string,
  key: string,
  versionId?: string,
): Promise<{ sha256: string; sizeBytes: number }> => {
  const [{ GetObjectCommand }, client] = await Promise.all([loadS3(), s3()]);
  const { Body } = await client.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }),
  );
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of Body as Readable) {
    hash.update(chunk as Buffer);
    sizeBytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), sizeBytes };
};

export const presignDownload = (
  bucket: string,
  key: string,
  versionId: string | undefined,
  fileName: string | undefined,
): Promise<{ url: string; expiresAt: string }> =>
  presignGet({
    Bucket: bucket,
    Key: key,
    VersionId: versionId,
    ...(fileName
      ? { ResponseContentDisposition: `attachment; filename="${fileName.replaceAll('"', '')}"` }
      : {}),
  });

// ---- copies into the store (registration by reference) ----------------------------------------

export interface ListedObject {
  key: string;
  sizeBytes: number;
}

/** Every object under a prefix, page by page. */
export const listObjects = async (bucket: string, prefix: string): Promise<ListedObject[]> => {
  const [{ ListObjectsV2Command }, client] = await Promise.all([loadS3(), s3()]);
  const out: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? [])
      if (o.Key && !o.Key.endsWith('/')) out.push({ key: o.Key, sizeBytes: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
};

const copySource = (bucket: string, key: string, versionId?: string) =>
  `${bucket}/${encodeURIComponent(key).replaceAll('%2F', '/')}${versionId ? `?versionId=${encodeURIComponent(versionId)}` : ''}`;

/**
 * A server-side copy: no byte passes through the function. Up to `multipartFrom` bytes one
 * CopyObject (asking S3 for the copy's SHA-256 where it keeps checksums); above, UploadPartCopy in
 * parts. The SHA-256 is undefined where the store did not compute one (multipart, local mode).
 */
export const copyObject = async (options: {
  from: { bucket: string; key: string; sizeBytes: number };
  to: { bucket: string; key: string };
  multipartFrom: number;
}): Promise<{ sha256: string | undefined; versionId: string | undefined }> => {
  const { from, to } = options;
  const [
    {
      AbortMultipartUploadCommand,
      CompleteMultipartUploadCommand,
      CopyObjectCommand,
      CreateMultipartUploadCommand,
      UploadPartCopyCommand,
    },
    client,
  ] = await Promise.all([loadS3(), s3()]);
  const source = copySource(from.bucket, from.key);
  if (from.sizeBytes < options.multipartFrom) {
    const out = await client.send(
      new CopyObjectCommand({
        Bucket: to.bucket,
        Key: to.key,
        CopySource: source,
        ...(config().s3Checksums ? { ChecksumAlgorithm: 'SHA256' } : {}),
      }),
    );
    const b64 = out.CopyObjectResult?.ChecksumSHA256;
    return {
      sha256: b64 && !b64.includes('-') ? base64ToHex(b64) : undefined,
      versionId: out.VersionId ?? undefined,
    };
  }
  const partBytes = Math.max(config().multipartPartBytes, Math.ceil(from.sizeBytes / MAX_PARTS));
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({ Bucket: to.bucket, Key: to.key }),
  );
  if (!UploadId) throw new Error('S3 returned no upload id');
  try {
    const parts: Part[] = [];
    for (let offset = 0, n = 1; offset < from.sizeBytes; offset += partBytes, n++) {
      const last = Math.min(offset + partBytes, from.sizeBytes) - 1;
      const out = await client.send(
        new UploadPartCopyCommand({
          Bucket: to.bucket,
          Key: to.key,
          UploadId,
          PartNumber: n,
          CopySource: source,
          CopySourceRange: `bytes=${offset}-${last}`,
        }),
      );
      parts.push({ PartNumber: n, ETag: out.CopyPartResult?.ETag });
    }
    const done = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: to.bucket,
        Key: to.key,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    return { sha256: undefined, versionId: done.VersionId ?? undefined };
  } catch (error) {
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: to.bucket, Key: to.key, UploadId }))
      .catch(() => undefined);
    throw error;
  }
};

/** Store a local file (local mode's file:// sources), hashing it on the way. */
export const putStream = async (
  bucket: string,
  key: string,
  body: Buffer,
): Promise<{ sha256: string; sizeBytes: number; versionId: string | undefined }> => {
  const sha256 = createHash('sha256').update(body).digest('hex');
  const [{ PutObjectCommand }, client] = await Promise.all([loadS3(), s3()]);
  const out = await client.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length }),
  );
  return { sha256, sizeBytes: body.length, versionId: out.VersionId ?? undefined };
};
