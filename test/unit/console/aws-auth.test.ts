import { createHash, createHmac } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it, vi } from 'vitest';
import { credentialsFor, loginsOf } from '../../../console/src/aws/cognito.ts';
import { type AwsConfig, parseConfig } from '../../../console/src/aws/config.ts';
import { authorizeUrl, challengeOf, claimsOf, exchangeCode } from '../../../console/src/aws/pkce.ts';
import { signRequest, WebCryptoSha256 } from '../../../console/src/aws/sigv4.ts';

/**
 * The console's sign-in and signing code on AWS, checked without AWS: PKCE against RFC 7636's own
 * example, SigV4 against the AWS SigV4 test suite's get-vanilla vector, and the Cognito and token
 * calls against what the services document, through a fetch that records what it was sent.
 * (No end-to-end run: there is no Cognito or API Gateway here.)
 */
const CONFIG: AwsConfig = {
  mode: 'aws',
  apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_AbCdEf123',
  userPoolClientId: 'client123',
  userPoolDomain: 'https://steward-demo.auth.eu-west-1.amazoncognito.com',
  identityPoolId: 'eu-west-1:11111111-2222-3333-4444-555555555555',
};

const recordingFetch = (answers: unknown[]) => {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetcher = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    return new Response(JSON.stringify(answers.shift()), { status: 200 });
  });
  return { calls, fetcher: fetcher as unknown as typeof fetch };
};

describe('the runtime configuration', () => {
  it('takes local mode, and refuses an incomplete or non-https AWS configuration by name', () => {
    expect(parseConfig({ mode: 'local' })).toEqual({ mode: 'local' });
    expect(parseConfig({ ...CONFIG, apiUrl: `${CONFIG.apiUrl}/` })).toEqual(CONFIG);
    expect(() => parseConfig({ mode: 'aws', apiUrl: CONFIG.apiUrl })).toThrow(/missing region, userPoolId/);
    expect(() => parseConfig({ ...CONFIG, userPoolDomain: 'http://x' })).toThrow(
      /userPoolDomain must be an https URL/,
    );
    expect(() => parseConfig({ mode: 'other' })).toThrow(/mode must be/);
  });
});

describe('hosted-UI sign-in with PKCE', () => {
  it('derives the S256 challenge of RFC 7636 appendix B', async () => {
    expect(await challengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('sends the browser to /oauth2/authorize with the code flow, the challenge and the state', () => {
    const url = new URL(authorizeUrl(CONFIG, 'https://console.example.com/', 'st4te', 'ch4llenge'));
    expect(`${url.origin}${url.pathname}`).toBe(`${CONFIG.userPoolDomain}/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client123',
      redirect_uri: 'https://console.example.com/',
      scope: 'openid email profile',
      state: 'st4te',
      code_challenge_method: 'S256',
      code_challenge: 'ch4llenge',
    });
  });

  it('exchanges the code at /oauth2/token with the verifier, as a form, and keeps the tokens', async () => {
    const { calls, fetcher } = recordingFetch([
      {
        id_token: 'id.tok.en',
        access_token: 'acc',
        refresh_token: 'ref',
        expires_in: 3600,
        token_type: 'Bearer',
      },
    ]);
    const tokens = await exchangeCode(
      CONFIG,
      'the-code',
      'the-verifier',
      'https://console.example.com/',
      fetcher,
      1000,
    );
    expect(tokens).toEqual({
      idToken: 'id.tok.en',
      accessToken: 'acc',
      refreshToken: 'ref',
      expiresAt: 1000 + 3_600_000,
    });
    expect(calls[0]!.url).toBe(`${CONFIG.userPoolDomain}/oauth2/token`);
    expect(calls[0]!.init.method).toBe('POST');
    expect(calls[0]!.init.headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded' });
    expect(Object.fromEntries(new URLSearchParams(String(calls[0]!.init.body)))).toEqual({
      grant_type: 'authorization_code',
      client_id: 'client123',
      code: 'the-code',
      code_verifier: 'the-verifier',
      redirect_uri: 'https://console.example.com/',
    });
  });

  it('refuses a token answer without tokens, naming the error', async () => {
    const fetcher = (async () =>
      new Response(JSON.stringify({ error: 'invalid_grant' }), { status: 400 })) as typeof fetch;
    await expect(exchangeCode(CONFIG, 'c', 'v', 'https://x/', fetcher)).rejects.toThrow(
      'sign-in failed: invalid_grant',
    );
  });

  it('reads the claims of an ID token (base64url, UTF-8) to say who is signed in', () => {
    const payload = Buffer.from(JSON.stringify({ email: 'zoë@example.com' })).toString('base64url');
    expect(claimsOf(`h.${payload}.s`)).toEqual({ email: 'zoë@example.com' });
    expect(claimsOf('garbage')).toEqual({});
  });
});

describe('identity-pool credentials', () => {
  it('calls GetId then GetCredentialsForIdentity with the user pool login, and converts the expiry', async () => {
    const { calls, fetcher } = recordingFetch([
      { IdentityId: 'eu-west-1:abc' },
      {
        IdentityId: 'eu-west-1:abc',
        Credentials: {
          AccessKeyId: 'ASIA1',
          SecretKey: 'secret',
          SessionToken: 'session',
          Expiration: 1_800_000_000,
        },
      },
    ]);
    const credentials = await credentialsFor(CONFIG, 'the-id-token', fetcher);
    expect(credentials).toEqual({
      accessKeyId: 'ASIA1',
      secretAccessKey: 'secret',
      sessionToken: 'session',
      expiration: 1_800_000_000_000,
    });
    const logins = { 'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123': 'the-id-token' };
    expect(loginsOf(CONFIG, 'the-id-token')).toEqual(logins);
    expect(calls.map((c) => [c.url, (c.init.headers as Record<string, string>)['x-amz-target']])).toEqual([
      ['https://cognito-identity.eu-west-1.amazonaws.com/', 'AWSCognitoIdentityService.GetId'],
      [
        'https://cognito-identity.eu-west-1.amazonaws.com/',
        'AWSCognitoIdentityService.GetCredentialsForIdentity',
      ],
    ]);
    expect((calls[0]!.init.headers as Record<string, string>)['content-type']).toBe(
      'application/x-amz-json-1.1',
    );
    expect(JSON.parse(String(calls[0]!.init.body))).toEqual({
      IdentityPoolId: CONFIG.identityPoolId,
      Logins: logins,
    });
    expect(JSON.parse(String(calls[1]!.init.body))).toEqual({ IdentityId: 'eu-west-1:abc', Logins: logins });
  });
});

describe('SigV4 in the browser', () => {
  it('hashes and HMACs on WebCrypto as node:crypto does, across chunks', async () => {
    const plain = new WebCryptoSha256();
    plain.update('hello ');
    plain.update(new TextEncoder().encode('world'));
    expect(Buffer.from(await plain.digest()).toString('hex')).toBe(
      createHash('sha256').update('hello world').digest('hex'),
    );
    const keyed = new WebCryptoSha256('key');
    keyed.update('message');
    expect(Buffer.from(await keyed.digest()).toString('hex')).toBe(
      createHmac('sha256', 'key').update('message').digest('hex'),
    );
  });

  it('signs the AWS SigV4 test suite get-vanilla request to its published signature', async () => {
    const signer = new SignatureV4({
      service: 'service',
      region: 'us-east-1',
      credentials: {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      },
      sha256: WebCryptoSha256,
      applyChecksum: false,
    });
    const signed = await signer.sign(
      new HttpRequest({
        method: 'GET',
        protocol: 'https:',
        hostname: 'example.amazonaws.com',
        path: '/',
        headers: { host: 'example.amazonaws.com' },
      }),
      { signingDate: new Date('2015-08-30T12:36:00Z') },
    );
    expect(signed.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it('signs a /v1 call for execute-api with the session token, under the stage path, without a Host header', async () => {
    const credentials = async () => ({
      accessKeyId: 'ASIA1',
      secretAccessKey: 'secret',
      sessionToken: 'session',
      expiration: Date.now() + 3_600_000,
    });
    const { url, headers } = await signRequest(
      {
        method: 'POST',
        path: '/v1/approvals/ar-1/decisions?x=1',
        headers: { 'content-type': 'application/json' },
        body: '{"decision":"approve"}',
      },
      CONFIG.apiUrl,
      CONFIG.region,
      credentials,
      new Date('2026-12-06T12:00:00Z'),
    );
    expect(url).toBe(
      'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/v1/approvals/ar-1/decisions?x=1',
    );
    expect(headers.host).toBeUndefined();
    expect(headers['x-amz-security-token']).toBe('session');
    expect(headers['x-amz-date']).toBe('20261206T120000Z');
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIA1\/20261206\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    // The same request signed by @smithy on node:crypto (as the CLI signs) gives the same signature.
    class NodeSha256 {
      private readonly parts: Buffer[] = [];
      constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {}
      update(data: string | ArrayBuffer | ArrayBufferView) {
        this.parts.push(typeof data === 'string' ? Buffer.from(data) : Buffer.from(data as Uint8Array));
      }
      async digest() {
        const all = Buffer.concat(this.parts);
        return new Uint8Array(
          (this.secret === undefined
            ? createHash('sha256')
            : createHmac('sha256', this.secret as string | Uint8Array)
          )
            .update(all)
            .digest(),
        );
      }
      reset() {
        this.parts.length = 0;
      }
    }
    const reference = await new SignatureV4({
      service: 'execute-api',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'ASIA1', secretAccessKey: 'secret', sessionToken: 'session' },
      sha256: NodeSha256,
    }).sign(
      new HttpRequest({
        method: 'POST',
        protocol: 'https:',
        hostname: 'abc123.execute-api.eu-west-1.amazonaws.com',
        path: '/prod/v1/approvals/ar-1/decisions',
        query: { x: '1' },
        headers: { 'content-type': 'application/json', host: 'abc123.execute-api.eu-west-1.amazonaws.com' },
        body: '{"decision":"approve"}',
      }),
      { signingDate: new Date('2026-12-06T12:00:00Z') },
    );
    expect(headers.authorization).toBe(reference.headers.authorization);
  });
});
