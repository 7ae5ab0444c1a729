import type { S3Client } from '@aws-sdk/client-s3';
import { cachedClient, clientSettings } from './clients.ts';
import { config } from './config.ts';

/** The S3 SDK's module: commands, client, errors. */
export type S3Sdk = typeof import('@aws-sdk/client-s3');
let sdk: Promise<S3Sdk> | undefined;

/**
 * The S3 SDK, imported on first use. It is the largest part of the functions that have it (the
 * client, its schemas, checksums, XML), and most of their routes never touch S3: imported at cold
 * start it was compiled and run by every cold start. The Lambda bundles keep it in a chunk of its
 * own (infra/aws/bundling.ts), read when a request first needs S3; only the adapters that use S3
 * import this module, so a function without them carries no S3 code at all.
 */
export const loadS3 = (): Promise<S3Sdk> => {
  sdk ??= import('@aws-sdk/client-s3').catch((error: unknown) => {
    sdk = undefined;
    throw error;
  });
  return sdk;
};

/** The process's S3 client (made on first use, from the configuration and `setClientSettings`). */
export const s3 = async (): Promise<S3Client> => {
  const { S3Client } = await loadS3();
  return cachedClient('s3', () => new S3Client({ region: config().region, ...clientSettings().s3 }));
};
