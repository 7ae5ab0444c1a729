import { StewardClient } from '#client/client';
import { UsageError } from '#client/errors';
import { Output } from './output.ts';

/** The options every command shares, read from flags first and the environment second. */
export interface GlobalOptions {
  url?: string;
  as?: string;
  auth?: 'sigv4' | 'local';
  region?: string;
  profile?: string;
  json?: boolean;
}

export interface Context {
  client: StewardClient;
  out: Output;
}

const isLocal = (url: URL) => ['localhost', '127.0.0.1', '::1', '[::1]'].includes(url.hostname);

/** `https://<id>.execute-api.<region>.amazonaws.com/<stage>` names its region. */
const regionOf = (url: URL) => /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname)?.[1];

export const baseUrlOf = (options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string =>
  options.url ?? env.STEWARD_URL ?? `http://localhost:${env.PORT ?? 4000}`;

export const contextOf = (options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Context => {
  const out = new Output(Boolean(options.json));
  const baseUrl = baseUrlOf(options, env);
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`not a URL: ${baseUrl} (from ${options.url ? '--url' : 'STEWARD_URL'})`);
  }
  const auth =
    options.auth ?? (env.STEWARD_AUTH as GlobalOptions['auth']) ?? (isLocal(url) ? 'local' : 'sigv4');
  if (auth !== 'local' && auth !== 'sigv4') throw new UsageError(`--auth is sigv4 or local, not ${auth}`);
  const principal = options.as ?? env.STEWARD_PRINCIPAL;
  if (auth === 'local')
    return { out, client: new StewardClient({ baseUrl, ...(principal ? { principal } : {}) }) };
  if (options.as)
    throw new UsageError('--as is for local mode; on AWS the caller is who the credentials say');
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? regionOf(url);
  if (!region) throw new UsageError('SigV4 needs a region: --region, AWS_REGION, or an execute-api URL');
  const profile = options.profile ?? env.AWS_PROFILE;
  return {
    out,
    client: new StewardClient({ baseUrl, sigv4: { region, ...(profile ? { profile } : {}) } }),
  };
};

/** commander hands an action its positional arguments and options untyped; each command checks them. */
// biome-ignore lint/suspicious/noExplicitAny: the arguments are whatever commander parsed
export type Args = any[];
// biome-ignore lint/suspicious/noExplicitAny: parsed options, checked by each command
export type Opts = Record<string, any>;
export type Run = (
  action: (ctx: Context, ...args: Args) => Promise<void>,
) => (...args: Args) => Promise<void>;
