import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { fillMultipartGaps } from './s3-gaps.ts';

/**
 * Local S3: s3rver on disk, with the artifacts bucket and a CORS rule like the deployed bucket's,
 * so presigned URLs work from curl and from a browser. s3rver keeps no versions and no checksums;
 * the commit step hashes the object as a stream instead (S3_CHECKSUMS=false).
 */
export interface LocalS3 {
  endpoint: string;
  close(): Promise<void>;
}

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
  const address = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    close: async () => {
      await server.close();
      if (temporary) await rm(directory, { recursive: true, force: true });
    },
  };
};
