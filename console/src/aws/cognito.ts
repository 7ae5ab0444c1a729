import type { AwsConfig } from './config.ts';

/**
 * AWS credentials for the signed-in person from the Cognito identity pool (enhanced flow):
 * GetId, then GetCredentialsForIdentity, with the user pool's ID token as the login. The pool
 * maps the person's group to an IAM role; both calls are unsigned JSON 1.1 requests, so plain
 * fetch does (no SDK client in the bundle).
 */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch milliseconds. */
  expiration: number;
}

const call = async (
  config: AwsConfig,
  target: 'GetId' | 'GetCredentialsForIdentity',
  body: unknown,
  fetcher: typeof fetch,
): Promise<Record<string, unknown>> => {
  const response = await fetcher(`https://cognito-identity.${config.region}.amazonaws.com/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityService.${target}`,
    },
    body: JSON.stringify(body),
  });
  const out = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok)
    throw new Error(
      `${target} failed: ${String(out.__type ?? response.status)} ${String(out.message ?? '')}`.trim(),
    );
  return out;
};

export const loginsOf = (config: AwsConfig, idToken: string) => ({
  [`cognito-idp.${config.region}.amazonaws.com/${config.userPoolId}`]: idToken,
});

export const credentialsFor = async (
  config: AwsConfig,
  idToken: string,
  fetcher: typeof fetch = fetch,
): Promise<Credentials> => {
  const Logins = loginsOf(config, idToken);
  const { IdentityId } = await call(
    config,
    'GetId',
    { IdentityPoolId: config.identityPoolId, Logins },
    fetcher,
  );
  if (typeof IdentityId !== 'string') throw new Error('GetId answered no IdentityId');
  const out = await call(config, 'GetCredentialsForIdentity', { IdentityId, Logins }, fetcher);
  const c = out.Credentials as Record<string, unknown> | undefined;
  if (
    !c ||
    typeof c.AccessKeyId !== 'string' ||
    typeof c.SecretKey !== 'string' ||
    typeof c.SessionToken !== 'string'
  )
    throw new Error('GetCredentialsForIdentity answered no credentials');
  // The service answers Expiration in epoch seconds.
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretKey,
    sessionToken: c.SessionToken,
    expiration: Number(c.Expiration) * 1000,
  };
};
