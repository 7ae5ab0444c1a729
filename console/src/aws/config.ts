/** What `./config.json` says: local mode, or where the API and Cognito are on AWS. */
export interface LocalConfig {
  mode: 'local';
}

export interface AwsConfig {
  mode: 'aws';
  apiUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  /** The hosted UI, e.g. https://<prefix>.auth.<region>.amazoncognito.com */
  userPoolDomain: string;
  identityPoolId: string;
}

export type ConsoleConfig = LocalConfig | AwsConfig;

const REQUIRED: (keyof AwsConfig)[] = [
  'apiUrl',
  'region',
  'userPoolId',
  'userPoolClientId',
  'userPoolDomain',
  'identityPoolId',
];

/** Reads the runtime configuration, refusing an incomplete one by name rather than failing later. */
export const parseConfig = (raw: unknown): ConsoleConfig => {
  const value = raw as Record<string, unknown> | null;
  if (value?.mode === 'local') return { mode: 'local' };
  if (value?.mode !== 'aws') throw new Error('config.json: mode must be "local" or "aws"');
  const missing = REQUIRED.filter((k) => typeof value[k] !== 'string' || value[k] === '');
  if (missing.length) throw new Error(`config.json: missing ${missing.join(', ')}`);
  for (const k of ['apiUrl', 'userPoolDomain'] as const)
    if (!String(value[k]).startsWith('https://')) throw new Error(`config.json: ${k} must be an https URL`);
  return {
    mode: 'aws',
    apiUrl: String(value.apiUrl).replace(/\/+$/, ''),
    region: String(value.region),
    userPoolId: String(value.userPoolId),
    userPoolClientId: String(value.userPoolClientId),
    userPoolDomain: String(value.userPoolDomain).replace(/\/+$/, ''),
    identityPoolId: String(value.identityPoolId),
  };
};
