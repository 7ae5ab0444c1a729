import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ApiRequest, Transport } from '../transport.ts';
import type { Credentials } from './cognito.ts';

/**
 * SigV4 for API Gateway (`execute-api`) in the browser: @smithy/signature-v4, as the CLI signs,
 * with SHA-256 and HMAC from WebCrypto. Credentials come from a provider that refreshes them.
 */
type Data = string | ArrayBuffer | ArrayBufferView;

/** A copy on a fresh ArrayBuffer: what WebCrypto's BufferSource type asks for. */
const bytesOf = (data: Data): Uint8Array<ArrayBuffer> => {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return new Uint8Array(data).slice();
};

/** The `Checksum` constructor signature-v4 expects, on crypto.subtle. */
export class WebCryptoSha256 {
  private chunks: Uint8Array<ArrayBuffer>[] = [];
  private readonly secret: Uint8Array<ArrayBuffer> | undefined;
  constructor(secret?: Data) {
    this.secret = secret === undefined ? undefined : bytesOf(secret);
  }
  update(data: Data): void {
    this.chunks.push(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    const size = this.chunks.reduce((n, c) => n + c.length, 0);
    const all = new Uint8Array(size);
    let at = 0;
    for (const c of this.chunks) {
      all.set(c, at);
      at += c.length;
    }
    if (this.secret === undefined) return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
    const key = await crypto.subtle.importKey('raw', this.secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    return new Uint8Array(await crypto.subtle.sign('HMAC', key, all));
  }
  reset(): void {
    this.chunks = [];
  }
}

export const signRequest = async (
  request: ApiRequest,
  apiUrl: string,
  region: string,
  credentials: () => Promise<Credentials>,
  now?: Date,
): Promise<{ url: string; headers: Record<string, string> }> => {
  const url = new URL(`${apiUrl}${request.path}`);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const seen = query[k];
    query[k] = seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [seen, v];
  }
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: async () => {
      const c = await credentials();
      return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
    },
    sha256: WebCryptoSha256,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: { ...request.headers, host: url.host },
      ...(request.body === undefined ? {} : { body: request.body }),
    }),
    now ? { signingDate: now } : {},
  );
  // The browser sets Host itself and refuses to be told it.
  const { host: _host, ...headers } = signed.headers;
  return { url: url.toString(), headers };
};

export const signedTransport =
  (apiUrl: string, region: string, credentials: () => Promise<Credentials>): Transport =>
  async (request) => {
    const { url, headers } = await signRequest(request, apiUrl, region, credentials);
    return fetch(url, {
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      credentials: 'omit',
      mode: 'cors',
    });
  };
