import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundles, printBundles } from './bundles.ts';
import { measureColdImports, printColdImports } from './cold-import.ts';
import { describeOtherLoad, otherLoadMeter } from './machine.ts';
import { note } from './report.ts';

/**
 * `npm run bench:cold`: the cheap part of the bench alone, bundle sizes and cold imports, for a
 * quick look while cutting imports (`npm run bench` prints the same figures among the others).
 * COLD_RUNS sets the measured rounds (15 by default, as in the full bench).
 */
const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const bundleDir = join(root, '.bench', 'bundles');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const baseEnv: NodeJS.ProcessEnv = { ...process.env };
const COLD = { warmups: 2, runs: Number(process.env.COLD_RUNS ?? 15) };

note('bundling the Lambda functions with esbuild');
const bundles = await buildBundles(root, bundleDir);
printBundles(bundles, bundleDir);
note(`cold imports: ${COLD.warmups + COLD.runs} rounds of ${bundles.length} fresh node processes`);
const meter = otherLoadMeter();
const cold = await measureColdImports(bundles, { base: baseEnv, ...COLD });
printColdImports(cold.results, cold.stderr, COLD, describeOtherLoad(meter()));
