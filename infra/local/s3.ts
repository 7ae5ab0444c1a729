import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { fillListingGaps, fillMultipartGaps } from './s3-gaps.ts';

/**
 * Local S3: s3rver on disk, with the artifacts bucket and a CORS rule like the deployed bucket's,
 * so presigned URLs work from curl and from a browser. s3rver keeps no versions and no checksums;
 * the commit step hashes the object as a stream instead (S3_CHECKSUMS=false).
 */
export interface LocalS3 {
  endpoint: string;
  /** What an S3 client needs to talk to this store: the handlers' (injected), the tests'. */
  clientConfig: S3ClientConfig;
  close(): Promise<void>;
}

/** s3rver's one account: any S3 client must sign with it. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * An S3 client's settings for s3rver at `endpoint`: buckets in the path (no DNS names per bucket
 * here), s3rver's credentials, and checksums only where an operation requires them (s3rver stores
 * an aws-chunked body with its framing, which the SDK sends when it adds a checksum on its own).
 */
export const localS3ClientConfig = (endpoint: string): S3ClientConfig => ({
  endpoint,
  forcePathStyle: true,
  credentials: { ...S3RVER_CREDENTIALS },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});

const CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

export const startLocalS3 = async (options: {
  dataDir?: string;
  port?: number;
  host?: string;
  buckets: string[];
}): Promise<LocalS3> => {
  const temporary = options.dataDir === undefined;
  const directory = options.dataDir
    ? join(options.dataDir, 's3')
    : await mkdtemp(join(tmpdir(), 'steward-s3-'));
  await mkdir(directory, { recursive: true });
  const host = options.host ?? '127.0.0.1';
  const server = new S3rver({
    address: host,
    port: options.port ?? 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [CORS] })),
  });
  fillMultipartGaps(server);
  fillListingGaps(server);
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  return {
    endpoint,
    clientConfig: localS3ClientConfig(endpoint),
    close: async () => {
      await server.close();
      if (temporary) await rm(directory, { recursive: true, force: true });
    },
  };
};
