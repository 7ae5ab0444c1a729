import type { GetObjectCommandInput } from '@aws-sdk/client-s3';
import { config } from '#commons/config';
import { loadS3, s3 } from '#commons/s3';

/** The S3 presigner, imported on first use with the S3 SDK it signs for (see `loadS3`). */
export const loadPresigner = (): Promise<typeof import('@aws-sdk/s3-request-presigner')> =>
  import('@aws-sdk/s3-request-presigner');

/** A presigned GET of one object, valid for the configured time (`PRESIGN_TTL_SECONDS`). */
export const presignGet = async (
  input: GetObjectCommandInput,
): Promise<{ url: string; expiresAt: string }> => {
  const expiresIn = config().presignTtlSeconds;
  const [{ GetObjectCommand }, { getSignedUrl }, client] = await Promise.all([
    loadS3(),
    loadPresigner(),
    s3(),
  ]);
  const url = await getSignedUrl(client, new GetObjectCommand(input), { expiresIn });
  return { url, expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString() };
};
