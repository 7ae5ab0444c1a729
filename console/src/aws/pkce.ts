import type { AwsConfig } from './config.ts';

/**
 * Sign-in through the Cognito hosted UI: OAuth 2.0 authorization code with PKCE (RFC 7636, S256),
 * for a public client (no secret in the browser). The verifier and state stay in sessionStorage
 * for the one round trip; tokens never go into a URL.
 */
export const base64url = (bytes: Uint8Array): string => {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
};

export const randomToken = (bytes = 32): string => base64url(crypto.getRandomValues(new Uint8Array(bytes)));

export const challengeOf = async (verifier: string): Promise<string> =>
  base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));

export const authorizeUrl = (
  config: AwsConfig,
  redirectUri: string,
  state: string,
  challenge: string,
): string => {
  const url = new URL(`${config.userPoolDomain}/oauth2/authorize`);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', config.userPoolClientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('scope', 'openid email profile');
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('code_challenge', challenge);
  return url.toString();
};

export interface Tokens {
  idToken: string;
  accessToken: string;
  refreshToken?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

const tokensOf = async (response: Response, now: number, previousRefresh?: string): Promise<Tokens> => {
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body.id_token !== 'string' || typeof body.access_token !== 'string')
    throw new Error(`sign-in failed: ${String(body.error ?? response.status)}`);
  const refresh = typeof body.refresh_token === 'string' ? body.refresh_token : previousRefresh;
  return {
    idToken: body.id_token,
    accessToken: body.access_token,
    ...(refresh ? { refreshToken: refresh } : {}),
    expiresAt: now + Number(body.expires_in ?? 3600) * 1000,
  };
};

/** The token endpoint takes a form body: code, verifier and the same redirect URI. */
export const exchangeCode = async (
  config: AwsConfig,
  code: string,
  verifier: string,
  redirectUri: string,
  fetcher: typeof fetch = fetch,
  now = Date.now(),
): Promise<Tokens> => {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: config.userPoolClientId,
    code,
    code_verifier: verifier,
    redirect_uri: redirectUri,
  });
  const response = await fetcher(`${config.userPoolDomain}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
  });
  return tokensOf(response, now);
};

export const refreshTokens = async (
  config: AwsConfig,
  refreshToken: string,
  fetcher: typeof fetch = fetch,
  now = Date.now(),
): Promise<Tokens> => {
  const body = new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: config.userPoolClientId,
    refresh_token: refreshToken,
  });
  const response = await fetcher(`${config.userPoolDomain}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
  });
  return tokensOf(response, now, refreshToken);
};

export const logoutUrl = (config: AwsConfig, redirectUri: string): string => {
  const url = new URL(`${config.userPoolDomain}/logout`);
  url.searchParams.set('client_id', config.userPoolClientId);
  url.searchParams.set('logout_uri', redirectUri);
  return url.toString();
};

/** The claims of an ID token, for showing who is signed in (the API checks the signature, not this). */
export const claimsOf = (jwt: string): Record<string, unknown> => {
  const part = jwt.split('.')[1];
  if (!part) return {};
  const padded = part
    .replaceAll('-', '+')
    .replaceAll('_', '/')
    .padEnd(Math.ceil(part.length / 4) * 4, '=');
  try {
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return {};
  }
};
