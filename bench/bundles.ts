import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { functionGroups } from '#api/routes';
import { LAMBDA_ALIASES, LAMBDA_ENTRY, LAMBDA_NODE_MAJOR, lambdaBuild } from '../infra/aws/bundling.ts';
import { bytes, heading, marker, megabytes, print, type TargetResult, table } from './report.ts';

/**
 * The minified size of each Lambda function's code, built as the CDK app builds it
 * (ServiceFunction, with infra/aws/bundling.ts: ESM for the runtime's Node, the SDK bundled,
 * the package aliases, split at `import()`), but without a source map, so that the figures are
 * the code the runtime loads: all of it (`bytes`, the target), and the part a cold start reads
 * (`coldBytes`: the entry module and the chunks it imports statically; the other chunks are read
 * when a request first needs them).
 */
export const BUNDLE_LIMIT_BYTES = 1_000_000;
export const EMPTY = 'empty';

export interface Bundle {
  fn: string;
  /** The entry module, `index.mjs`: what the runtime imports. */
  file: string;
  /** Every module of the function's code. */
  bytes: number;
  /** The entry module and the chunks it imports statically: what a cold start reads and compiles. */
  coldBytes: number;
  files: number;
  /** Bytes per npm package (or per source folder) in the modules a cold start reads, largest first. */
  packages: [string, number][];
  /** Bytes of zod's locale files in the output: see the note printed under the table. */
  zodLocaleBytes: number;
  warnings: number;
  marker: 'PASS' | 'OVER' | undefined;
}

const EMPTY_HANDLER = "export const handler = async () => ({ statusCode: 200, body: '' });\n";

/**
 * The options of one function's build, as deployed but with a metafile and no source map
 * (test/infra/bundles.test.ts reads the same metafile).
 */
export const lambdaBundle = (root: string, entry: string, outdir: string): BuildOptions => ({
  ...lambdaBuild({ root, entry, outdir, sourcemap: false }),
  metafile: true,
  logLevel: 'silent',
});

const packageOf = (input: string): string => {
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (inModules) return inModules[1]!;
  return input.split('/').slice(0, 2).join('/');
};

/** The output files a cold start loads: the entry and, transitively, its static imports. */
export const coldOutputs = (metafile: Metafile, entryOutput: string): string[] => {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const imported of metafile.outputs[path]?.imports ?? [])
      if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
  };
  visit(entryOutput);
  return [...seen];
};

const analyse = (metafile: Metafile, entryOutput: string) => {
  const outputs = Object.entries(metafile.outputs).filter(([path]) => path.endsWith('.mjs'));
  const cold = coldOutputs(metafile, entryOutput);
  const perPackage = new Map<string, number>();
  let zodLocaleBytes = 0;
  for (const path of cold)
    for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[path]!.inputs)) {
      const name = packageOf(input);
      perPackage.set(name, (perPackage.get(name) ?? 0) + bytesInOutput);
      if (/node_modules\/zod\/.*\/locales\//.test(input)) zodLocaleBytes += bytesInOutput;
    }
  return {
    bytes: outputs.reduce((sum, [, output]) => sum + output.bytes, 0),
    coldBytes: cold.reduce((sum, path) => sum + metafile.outputs[path]!.bytes, 0),
    files: outputs.length,
    packages: [...perPackage.entries()].sort((a, b) => b[1] - a[1]),
    zodLocaleBytes,
  };
};

export const buildBundles = async (root: string, outDir: string): Promise<Bundle[]> => {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const emptyEntry = join(outDir, 'empty-handler.ts');
  await writeFile(emptyEntry, EMPTY_HANDLER);
  const bundles: Bundle[] = [];
  for (const fn of [...functionGroups, EMPTY]) {
    const dir = join(outDir, fn);
    const file = join(dir, `${LAMBDA_ENTRY}.mjs`);
    const entry = fn === EMPTY ? emptyEntry : join(root, 'functions/http', `${fn}.ts`);
    const result = await build(lambdaBundle(root, entry, dir));
    // The metafile names outputs relative to the working directory.
    const figures = analyse(result.metafile!, relative(root, resolve(file)));
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
    `  esbuild as the CDK app runs it (infra/aws/bundling.ts): bundle, minify, ESM, node${LAMBDA_NODE_MAJOR}, mainFields`,
  );
  print(`  module/main, SDK included, aliases ${Object.keys(LAMBDA_ALIASES).join(', ')}, split at import();`);
  print('  no source map. "bytes": every module of the function (the target); "at cold start": the entry');
  print('  module and the chunks it imports statically, which a cold start reads and compiles; the other');
  print(`  chunks are read when a request first needs them. Written to ${outDir}. 1 MB = 1,000,000 bytes.`);
  print();
  print(
    table(
      [
        { title: 'function' },
        { title: 'bytes', align: 'right' },
        { title: 'MB', align: 'right' },
        { title: 'target', align: 'right' },
        { title: '' },
        { title: 'at cold start', align: 'right' },
        { title: 'files', align: 'right' },
        { title: 'largest parts at cold start' },
      ],
      bundles.map((b) => [
        b.fn,
        bytes(b.bytes),
        megabytes(b.bytes),
        b.marker === undefined ? '-' : '<= 1 MB',
        b.marker ?? '',
        bytes(b.coldBytes),
        String(b.files),
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
