import { artifactsBucket } from '#commons/config';
import { loadS3, s3 } from '#commons/s3';
import { presignGet } from './presign.ts';

/** Documents Steward keeps in its bucket: baseline profiles, drift reports and their pages. */
export const putJson = async (key: string, value: unknown): Promise<string> => {
  const bucket = artifactsBucket();
  const [{ PutObjectCommand }, client] = await Promise.all([loadS3(), s3()]);
  await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(value),
      ContentType: 'application/json',
    }),
  );
  return `s3://${bucket}/${key}`;
};

/** A page Steward keeps in its bucket (a drift report), served as HTML through presigned URLs. */
export const putPage = async (key: string, html: string): Promise<string> => {
  const bucket = artifactsBucket();
  const [{ PutObjectCommand }, client] = await Promise.all([loadS3(), s3()]);
  await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: html,
      ContentType: 'text/html; charset=utf-8',
      CacheControl: 'no-store',
    }),
  );
  return `s3://${bucket}/${key}`;
};

export const getJson = async <T>(uri: string): Promise<T> => {
  const { bucket, key } = parseUri(uri);
  const [{ GetObjectCommand }, client] = await Promise.all([loadS3(), s3()]);
  const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await Body!.transformToString('utf8')) as T;
};

/** The keys under a prefix of the artifacts bucket, in key order (every page). */
export const listJsonKeys = async (prefix: string): Promise<string[]> => {
  const bucket = artifactsBucket();
  const [{ ListObjectsV2Command }, client] = await Promise.all([loadS3(), s3()]);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token !== undefined ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys.sort();
};

/** The artifacts bucket's name (where `putJson` writes). */
export const jsonBucket = (): string => artifactsBucket();

const parseUri = (uri: string) => {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: match[1]!, key: match[2]! };
};

/** A presigned GET of a kept page, answered as HTML to be read in place (not downloaded). */
export const presignPage = (uri: string): Promise<{ url: string; expiresAt: string }> => {
  const { bucket, key } = parseUri(uri);
  return presignGet({
    Bucket: bucket,
    Key: key,
    ResponseContentType: 'text/html; charset=utf-8',
    ResponseContentDisposition: 'inline',
  });
};
