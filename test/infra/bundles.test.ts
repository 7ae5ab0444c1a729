import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { LAMBDA_BUILD } from '../../bench/bundles.ts';

/**
 * What a Lambda bundle holds, read from esbuild's metafile with the options of the CDK app's
 * bundling (bench/bundles.ts): facts about the modules in it, not timings (`npm run bench:cold`
 * measures those).
 */
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const bundle = async (group: string) => {
  const result = await build({
    ...LAMBDA_BUILD,
    absWorkingDir: root,
    entryPoints: [join(root, 'functions/http', `${group}.ts`)],
    outfile: join(root, '.bench', 'test-bundles', `${group}.mjs`),
    write: false,
  });
  const output = Object.values(result.metafile!.outputs)[0]!;
  return { inputs: output.inputs, text: result.outputFiles![0]!.text };
};

/**
 * Bundles a small program with the Lambda settings (minified, as deployed), runs it in a process
 * of its own with `env`, and returns what it wrote to stdout, parsed as JSON.
 */
const runBundled = async (name: string, lines: string[], env: Record<string, string> = {}) => {
  const dir = join(root, '.bench', 'test-bundles');
  await mkdir(dir, { recursive: true });
  const entry = join(dir, `${name}-entry.ts`);
  await writeFile(entry, lines.join('\n'));
  const outfile = join(dir, `${name}.mjs`);
  await build({ ...LAMBDA_BUILD, absWorkingDir: root, entryPoints: [entry], outfile });
  const { stdout } = await promisify(execFile)(process.execPath, [outfile], {
    env: { PATH: process.env.PATH, ...env },
  });
  return JSON.parse(stdout);
};

/** A class declared as a subclass of one of ours (HttpError, DomainError, ValidationError...), not of Error itself. */
const SUBCLASS = /^(export )?(?:abstract )?class (\w+) extends (?!Error\b)(\w*Error)\b/gm;

const modulesOf = async (group: string): Promise<string[]> => {
  // A module esbuild tree-shook away entirely is listed with no bytes in the output.
  const { inputs } = await bundle(group);
  return Object.entries(inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path);
};

/** The drift job: its use case, its window summaries and tests, its report and the report's page. */
const DRIFT_JOB = [
  'functions/scheduled/drift.ts',
  'functions/services/drift-runs.ts',
  'functions/services/drift-shards.ts',
  'functions/domain/drift/window.ts',
  'functions/domain/drift/report.ts',
  'functions/domain/drift/ks.ts',
  'functions/domain/drift/chi2.ts',
  'functions/presentation/drift-report.ts',
];

describe('Lambda bundles', { timeout: 60_000 }, () => {
  it('keep the drift job out of the monitoring API, and in the function that runs drift on request', async () => {
    const monitoring = await modulesOf('monitoring');
    const driftRuns = await modulesOf('drift-runs');

    expect(monitoring).toContain('functions/http/monitoring.ts');
    expect(monitoring.filter((path) => DRIFT_JOB.includes(path))).toEqual([]);
    expect(DRIFT_JOB.filter((path) => !driftRuns.includes(path))).toEqual(['functions/scheduled/drift.ts']);
  });

  it('leave out the schemas a handler never reaches: the deployments API builds no version body, model or lineage edge', async () => {
    const { text } = await bundle('deployments');

    // Schemas the deployments API uses, and ones of the same modules it does not.
    expect(text).toContain('id:"Deployment"');
    for (const id of ['RegisterVersion', 'CommitVersion', 'CreateModel', 'CreateEdge'])
      expect(text, id).not.toContain(`id:"${id}"`);
  });

  it('keep the name of every error class, which minifying would otherwise rename (logs, a task error type, checks by name)', async () => {
    // Every class of functions/ that extends an error class of ours, found in the sources, so a new
    // one is checked without being listed here; the two modules of error classes whole.
    const found = (await readdir(join(root, 'functions'), { recursive: true }))
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) =>
        [...readFileSync(join(root, 'functions', file), 'utf8').matchAll(SUBCLASS)].map((m) => ({
          file,
          exported: Boolean(m[1]),
          name: m[2]!,
        })),
      );
    const imports = found
      .filter((c) => c.exported)
      .map((c) => `import { ${c.name} } from '${join(root, 'functions', c.file)}';`);
    // Each class, made (any arguments do) and asked its name, inside the bundle.
    const names: Record<string, string> = await runBundled('error-names', [
      "import * as http from '#commons/errors';",
      "import * as domain from '#domain/errors';",
      ...imports,
      `const classes: Record<string, unknown> = { ...http, ...domain, ${found
        .filter((c) => c.exported)
        .map((c) => c.name)
        .join(', ')} };`,
      'const names: Record<string, string> = {};',
      'for (const [key, value] of Object.entries(classes))',
      "  if (typeof value === 'function' && value.prototype instanceof Error && !['HttpError', 'DomainError'].includes(key))",
      "    names[key] = (Reflect.construct(value, Array(4).fill(['x'])) as Error).name;",
      'process.stdout.write(JSON.stringify(names));',
    ]);

    expect(found.filter((c) => !c.exported).map((c) => `${c.file}: ${c.name}`)).toEqual([]);
    expect(found.map((c) => c.name)).toEqual(expect.arrayContaining(['DatasetFormatError', 'SourceError']));
    expect(Object.keys(names).length).toBeGreaterThan(30);
    expect(Object.entries(names).filter(([key, name]) => key !== name)).toEqual([]);
  });

  it('carry only the environment link of the SDK credential chain, and a bundled client signs with the credentials the Lambda runtime sets', async () => {
    const models = await modulesOf('models');
    expect(models).toContain('functions/commons/lambda-credentials.ts');
    expect(
      models.filter((path) =>
        /credential-provider-(node|ini|sso|web-identity|process|http)|nested-clients/.test(path),
      ),
    ).toEqual([]);

    // A client built in a bundle, in a process with a Lambda function's environment.
    const credentials = await runBundled(
      'credentials',
      [
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
        "const client = new DynamoDBClient({ region: 'eu-west-1' });",
        'const credentials = await client.config.credentials();',
        'process.stdout.write(JSON.stringify(credentials));',
      ],
      {
        AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEKEY',
        AWS_SECRET_ACCESS_KEY: 'example-secret',
        AWS_SESSION_TOKEN: 'example-session-token',
      },
    );
    expect(credentials).toMatchObject({
      accessKeyId: 'ASIAEXAMPLEKEY',
      secretAccessKey: 'example-secret',
      sessionToken: 'example-session-token',
    });
  });
});
