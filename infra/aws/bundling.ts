import type { BuildOptions } from 'esbuild';

/**
 * How every Lambda function's code is built: the CDK app (ServiceFunction) and the bench
 * (bench/bundles.ts, test/infra/bundles.test.ts) both call {@link lambdaBuild}, so the bench
 * measures the code that is deployed. This module imports nothing at run time, so the bench can
 * load it without the CDK.
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

/** ESM output still meets CommonJS dependencies that call require(). */
const BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** The module the runtime loads, `index.mjs`; a function's handler setting is `index.<export>`. */
export const LAMBDA_ENTRY = 'index';

/**
 * The esbuild options of one function: ESM for the runtime's Node, minified, the SDK bundled
 * rather than the runtime's copy, ESM dependencies' `module` builds first (esbuild tree-shakes
 * those), the aliases above.
 *
 * Split: what the code imports with `import()` (the S3 SDK and its presigner, the OpenAPI
 * document, Secrets Manager, the SDK's event streams) becomes a file of its own in `chunks/`,
 * which Node reads and compiles only when a request first needs it. In one file, esbuild would have to keep
 * such code, and everything it imports, behind lazy wrappers that the runtime still parses at every
 * cold start and that disable tree-shaking.
 */
export const lambdaBuild = (options: {
  /** The project root: entry and alias paths are resolved from it. */
  root: string;
  entry: string;
  outdir: string;
  sourcemap: boolean;
}): BuildOptions => ({
  absWorkingDir: options.root,
  entryPoints: { [LAMBDA_ENTRY]: options.entry },
  outdir: options.outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: `node${LAMBDA_NODE_MAJOR}`,
  minify: true,
  mainFields: ['module', 'main'],
  banner: { js: BANNER },
  alias: { ...LAMBDA_ALIASES },
  // The browser's user-agent parser, which the SDK imports only on its browser code path: split
  // builds would otherwise ship it as a chunk that Node never loads.
  external: ['bowser'],
  sourcemap: options.sourcemap,
  sourcesContent: false,
});
