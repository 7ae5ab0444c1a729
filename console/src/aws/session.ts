import { type Credentials, credentialsFor } from './cognito.ts';
import type { AwsConfig } from './config.ts';
import {
  authorizeUrl,
  challengeOf,
  claimsOf,
  exchangeCode,
  logoutUrl,
  randomToken,
  refreshTokens,
  type Tokens,
} from './pkce.ts';

/**
 * The signed-in session on AWS: finish a hosted-UI round trip (code in the query, checked
 * against the stored state), keep tokens in sessionStorage (gone with the tab), and hand out
 * identity-pool credentials, renewed a few minutes before they expire.
 */
const PENDING = 'steward.signin';
const TOKENS = 'steward.tokens';
const EARLY_MS = 5 * 60_000;

export interface AwsSession {
  who: string;
  credentials: () => Promise<Credentials>;
  signOut: () => void;
}

const redirectUri = () => `${window.location.origin}${window.location.pathname}`;

export const startSignIn = async (config: AwsConfig): Promise<never> => {
  const verifier = randomToken(48);
  const state = randomToken(24);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, hash: window.location.hash }));
  window.location.assign(authorizeUrl(config, redirectUri(), state, await challengeOf(verifier)));
  return new Promise<never>(() => undefined);
};

const finishSignIn = async (config: AwsConfig, params: URLSearchParams): Promise<Tokens> => {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as {
    verifier: string;
    state: string;
    hash: string;
  } | null;
  sessionStorage.removeItem(PENDING);
  // The code leaves the address bar at once, whatever happens next.
  window.history.replaceState(null, '', `${window.location.pathname}${pending?.hash ?? ''}`);
  if (!pending || params.get('state') !== pending.state)
    throw new Error('sign-in state does not match; try again');
  return exchangeCode(config, params.get('code') ?? '', pending.verifier, redirectUri());
};

export const awsSession = async (config: AwsConfig): Promise<AwsSession> => {
  const params = new URLSearchParams(window.location.search);
  let tokens: Tokens | null = JSON.parse(sessionStorage.getItem(TOKENS) ?? 'null') as Tokens | null;
  if (params.has('error')) {
    window.history.replaceState(null, '', window.location.pathname);
    throw new Error(`sign-in refused: ${params.get('error_description') ?? params.get('error')}`);
  }
  if (params.has('code')) tokens = await finishSignIn(config, params);
  if (!tokens) return startSignIn(config);
  sessionStorage.setItem(TOKENS, JSON.stringify(tokens));

  let current: Credentials | undefined;
  const fresh = async (): Promise<Credentials> => {
    if (current && current.expiration - Date.now() > EARLY_MS) return current;
    if (tokens!.expiresAt - Date.now() < EARLY_MS) {
      if (!tokens!.refreshToken) return startSignIn(config);
      tokens = await refreshTokens(config, tokens!.refreshToken);
      sessionStorage.setItem(TOKENS, JSON.stringify(tokens));
    }
    current = await credentialsFor(config, tokens!.idToken);
    return current;
  };
  const claims = claimsOf(tokens.idToken);
  return {
    who: String(claims.email ?? claims['cognito:username'] ?? 'signed in'),
    credentials: fresh,
    signOut: () => {
      sessionStorage.removeItem(TOKENS);
      window.location.assign(logoutUrl(config, redirectUri()));
    },
  };
};
