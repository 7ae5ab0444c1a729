import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { functionGroups } from '#api/routes';
import { LAMBDA_BUNDLING } from '../infra/aws/bundling.ts';
import { bytes, heading, marker, megabytes, print, type TargetResult, table } from './report.ts';

/**
 * The minified size of each Lambda bundle, built as the CDK app builds it (ServiceFunction, with
 * the settings of infra/aws/bundling.ts: ESM, the runtime's Node version, the createRequire banner,
 * `module` before `main`, the package aliases, the SDK bundled rather than taken from the
 * runtime), but without a source map, so that the figure is the code the runtime loads.
 */
export const BUNDLE_LIMIT_BYTES = 1_000_000;
export const EMPTY = 'empty';

export interface Bundle {
  fn: string;
  file: string;
  bytes: number;
  /** Output bytes per npm package (or per source folder), largest first. */
  packages: [string, number][];
  /** Bytes of zod's locale files in the output: see the note printed under the table. */
  zodLocaleBytes: number;
  warnings: number;
  marker: 'PASS' | 'OVER' | undefined;
}

const EMPTY_HANDLER = "export const handler = async () => ({ statusCode: 200, body: '' });\n";

/** The esbuild options of every Lambda bundle (test/infra/bundles.test.ts reads the same metafile). */
export const LAMBDA_BUILD: BuildOptions = {
  bundle: true,
  minify: true,
  platform: 'node',
  format: 'esm',
  target: LAMBDA_BUNDLING.target,
  sourcemap: false,
  mainFields: [...LAMBDA_BUNDLING.mainFields],
  banner: { js: LAMBDA_BUNDLING.banner },
  alias: { ...LAMBDA_BUNDLING.alias },
  metafile: true,
  logLevel: 'silent',
};

const packageOf = (input: string): string => {
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (inModules) return inModules[1]!;
  return input.split('/').slice(0, 2).join('/');
};

const analyse = (metafile: Metafile) => {
  const output = Object.values(metafile.outputs)[0]!;
  const perPackage = new Map<string, number>();
  let zodLocaleBytes = 0;
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = packageOf(input);
    perPackage.set(name, (perPackage.get(name) ?? 0) + bytesInOutput);
    if (/node_modules\/zod\/.*\/locales\//.test(input)) zodLocaleBytes += bytesInOutput;
  }
  return {
    bytes: output.bytes,
    packages: [...perPackage.entries()].sort((a, b) => b[1] - a[1]),
    zodLocaleBytes,
  };
};

export const buildBundles = async (root: string, outDir: string): Promise<Bundle[]> => {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const bundles: Bundle[] = [];
  for (const fn of [...functionGroups, EMPTY]) {
    const file = join(outDir, `${fn}.mjs`);
    const result = await build({
      ...LAMBDA_BUILD,
      absWorkingDir: root,
      outfile: file,
      ...(fn === EMPTY
        ? {
            stdin: {
              contents: EMPTY_HANDLER,
              loader: 'ts',
              resolveDir: root,
              sourcefile: 'empty-handler.ts',
            },
          }
        : { entryPoints: [join(root, 'functions/http', `${fn}.ts`)] }),
    });
    const figures = analyse(result.metafile!);
    bundles.push({
      fn,
      file,
      ...figures,
      warnings: result.warnings.length,
      marker: fn === EMPTY ? undefined : marker(figures.bytes <= BUNDLE_LIMIT_BYTES),
    });
  }
  return bundles;
};

export const bundleTargets = (bundles: readonly Bundle[]): TargetResult[] =>
  bundles
    .filter((b) => b.marker !== undefined)
    .map((b) => ({
      figure: `${b.fn} bundle size`,
      value: `${bytes(b.bytes)} bytes`,
      target: '<= 1,000,000 bytes',
      marker: b.marker!,
    }));

export const printBundles = (bundles: readonly Bundle[], outDir: string): void => {
  print(heading('Lambda bundle sizes (minified, SDK included)'));
  print(
    `  esbuild: bundle, minify, ESM, ${LAMBDA_BUNDLING.target}, mainFields module/main, createRequire banner, no externals,`,
  );
  print(`  aliases ${Object.keys(LAMBDA_BUNDLING.alias).join(', ')} (infra/aws/bundling.ts), no source map.`);
  print(`  Written to ${outDir}. 1 MB = 1,000,000 bytes (decimal).`);
  print();
  print(
    table(
      [
        { title: 'function' },
        { title: 'bytes', align: 'right' },
        { title: 'MB', align: 'right' },
        { title: 'target', align: 'right' },
        { title: '' },
        { title: 'largest parts (bytes in output)' },
      ],
      bundles.map((b) => [
        b.fn,
        bytes(b.bytes),
        megabytes(b.bytes),
        b.marker === undefined ? '-' : '<= 1 MB',
        b.marker ?? '',
        b.packages
          .slice(0, 4)
          .map(([name, size]) => `${name} ${Math.round(size / 1000)}k`)
          .join(', '),
      ]),
    ),
  );
  const warnings = bundles.reduce((sum, b) => sum + b.warnings, 0);
  if (warnings > 0) print(`\n  ! esbuild reported ${warnings} warning(s)`);
  const locales = bundles.filter((b) => b.zodLocaleBytes > 10_000);
  if (locales.length > 0)
    print(
      `\n  zod's locale files (every language's error messages) are in the bundles: ${locales
        .map((b) => `${b.fn} ${bytes(b.zodLocaleBytes)}`)
        .join(', ')} bytes.`,
    );
};
