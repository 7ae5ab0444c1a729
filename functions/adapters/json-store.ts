import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
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
