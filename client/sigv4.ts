import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * SigV4 for API Gateway (`execute-api`) with the default credential chain: environment, SSO,
 * profile (`AWS_PROFILE` or `--profile`), web identity (GitHub Actions OIDC), container and
 * instance roles. Credentials are cached and refreshed by the provider.
 */
export interface SigV4Options {
  region: string;
  profile?: string;
}

const toBytes = (data?: string | ArrayBuffer | ArrayBufferView): string | Uint8Array | undefined => {
  if (data === undefined || typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
};

/** The SHA-256 that @smithy/signature-v4 asks for, on node:crypto (HMAC when given a secret). */
class NodeSha256 {
  private hash: Hash | Hmac;
  private readonly secret: string | Uint8Array | undefined;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret = toBytes(secret);
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data) ?? '');
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

export type Signer = (request: {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}) => Promise<Record<string, string>>;

export const sigV4Signer = (options: SigV4Options): Signer => {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: fromNodeProviderChain(options.profile ? { profile: options.profile } : {}),
    sha256: NodeSha256,
  });
  return async ({ method, url, headers, body }) => {
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const seen = query[k];
      query[k] = seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [seen, v];
    }
    const request = new HttpRequest({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: { ...headers, host: url.host },
      ...(body === undefined ? {} : { body }),
    });
    const signed = await signer.sign(request);
    return signed.headers;
  };
};
