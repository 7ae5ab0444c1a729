import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * The SDK clients' default credential provider in a Lambda bundle, in place of
 * `@aws-sdk/credential-provider-node` (the bundler aliases that package to this module:
 * infra/aws/bundling.ts).
 *
 * The Lambda runtime always hands a function its role's credentials in the environment
 * (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), and the environment is the
 * first source the SDK's default chain tries, so on Lambda that chain never gets past it. Its
 * other links (SSO, shared ini files, web identity, process, container and instance metadata, with
 * the STS, SSO and sign-in clients they make) were about 100 KB of every bundle that the runtime
 * compiled at each cold start and never ran. Local mode and the tests run the sources, with the
 * SDK's own chain.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]): ReturnType<typeof fromEnv> =>
  fromEnv(init);
