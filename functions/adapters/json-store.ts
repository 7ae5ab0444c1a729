import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3 } from '#commons/clients';
import { artifactsBucket } from '#commons/config';

/** JSON documents Steward keeps in its bucket: baseline profiles and drift reports. */
export const putJson = async (key: string, value: unknown): Promise<string> => {
  const bucket = artifactsBucket();
  await s3().send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(value),
      ContentType: 'application/json',
    }),
  );
  return `s3://${bucket}/${key}`;
};

export const getJson = async <T>(uri: string): Promise<T> => {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// URI: ${uri}`);
  const { Body } = await s3().send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
  return JSON.parse(await Body!.transformToString('utf8')) as T;
};

/** The keys under a prefix of the artifacts bucket, in key order (every page). */
export const listJsonKeys = async (prefix: string): Promise<string[]> => {
  const bucket = artifactsBucket();
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3().send(
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
