import { GetObjectCommand, type GetObjectCommandInput } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3 } from '#commons/clients';
import { config } from '#commons/config';

/** A presigned GET of one object, valid for the configured time (`PRESIGN_TTL_SECONDS`). */
export const presignGet = async (
  input: GetObjectCommandInput,
): Promise<{ url: string; expiresAt: string }> => {
  const expiresIn = config().presignTtlSeconds;
  const url = await getSignedUrl(s3(), new GetObjectCommand(input), { expiresIn });
  return { url, expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString() };
};
