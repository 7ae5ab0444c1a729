/**
 * The esbuild settings of every Lambda bundle, read by the CDK app (ServiceFunction) and by the
 * bench (bench/bundles.ts, test/infra/bundles.test.ts), so that the bench measures what is
 * deployed. This module imports nothing, so the bench can load it without the CDK.
 */

/** The Lambda runtime's Node major version; the bundles target it. */
export const LAMBDA_NODE_MAJOR = 24;

/**
 * Packages replaced in a bundle, by a module of the functions (paths relative to the project root,
 * where both the CDK app and the bench run esbuild).
 *
 * - `@aws-sdk/credential-provider-node`, the SDK's default credential chain, by the environment
 *   link alone: on Lambda the runtime puts the function's credentials in the environment, the
 *   chain's first link, and the rest of the chain (with the STS, SSO and sign-in clients it makes)
 *   is code each cold start compiled and never ran. See functions/commons/lambda-credentials.ts.
 */
export const LAMBDA_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './functions/commons/lambda-credentials.ts',
};

export const LAMBDA_BUNDLING = {
  target: `node${LAMBDA_NODE_MAJOR}`,
  /** ESM dependencies' `module` builds first: esbuild can tree-shake those. */
  mainFields: ['module', 'main'],
  /** ESM output still meets CommonJS dependencies that call require(). */
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  alias: LAMBDA_ALIASES,
} as const;
