import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { coldOutputs, lambdaBundle } from '../../bench/bundles.ts';
import { ServiceFunction } from '../../infra/aws/service-function.ts';

/**
 * What a Lambda function's code holds, read from esbuild's metafile with the options of the CDK
 * app's bundling (infra/aws/bundling.ts, through bench/bundles.ts): facts about the modules in it,
 * not timings (`npm run bench:cold` measures those).
 */
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const bundle = async (group: string) => {
  const outdir = join(root, '.bench', 'test-bundles', group);
  const result = await build({
    ...lambdaBundle(root, join(root, 'functions/http', `${group}.ts`), outdir),
    write: false,
  });
  const { outputs } = result.metafile!;
  // A module esbuild tree-shook away entirely is listed with no bytes in the output.
  const modulesIn = (paths: string[]) => [
    ...new Set(
      paths.flatMap((path) =>
        Object.entries(outputs[path]!.inputs)
          .filter(([, input]) => input.bytesInOutput > 0)
          .map(([input]) => input),
      ),
    ),
  ];
  const entry = relative(root, join(outdir, 'index.mjs'));
  return {
    /** Every module of the function's code, in any of its files. */
    modules: modulesIn(Object.keys(outputs)),
    /** The modules a cold start reads: the entry file's and its static imports'. */
    coldModules: modulesIn(coldOutputs(result.metafile!, entry)),
    text: result.outputFiles!.map((file) => file.text).join('\n'),
  };
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
  const outdir = join(dir, name);
  await build(lambdaBundle(root, entry, outdir));
  const { stdout } = await promisify(execFile)(process.execPath, [join(outdir, 'index.mjs')], {
    env: { PATH: process.env.PATH, ...env },
  });
  return JSON.parse(stdout);
};

/** A class declaration of functions/: whether it is exported or abstract, its name and what it extends. */
const CLASS = /^(export )?(abstract )?class (\w+) extends (\w+)\b/gm;

interface ErrorClass {
  file: string;
  exported: boolean;
  abstract: boolean;
  name: string;
  base: string;
}

/** Every class of functions/ that extends Error, directly or through classes of ours, found in the sources. */
const errorClasses = async (): Promise<ErrorClass[]> => {
  const declared = (await readdir(join(root, 'functions'), { recursive: true }))
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) =>
      [...readFileSync(join(root, 'functions', file), 'utf8').matchAll(CLASS)].map((m) => ({
        file,
        exported: Boolean(m[1]),
        abstract: Boolean(m[2]),
        name: m[3]!,
        base: m[4]!,
      })),
    );
  const errors = new Set(['Error']);
  for (let grown = true; grown; ) {
    grown = false;
    for (const c of declared)
      if (errors.has(c.base) && !errors.has(c.name)) {
        errors.add(c.name);
        grown = true;
      }
  }
  return declared.filter((c) => errors.has(c.name));
};

const modulesOf = async (group: string): Promise<string[]> => (await bundle(group)).modules;

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
    // Every class of functions/ that extends Error, directly or not, found in the sources, so a new
    // one is checked without being listed here.
    const found = await errorClasses();
    const concrete = found.filter((c) => !c.abstract);
    const modules = [...new Set(concrete.map((c) => c.file))];
    // Each class, made (any arguments do) and asked its name, inside the bundle and from the sources.
    const make = (value: unknown) => (Reflect.construct(value as never, Array(4).fill(['x'])) as Error).name;
    const bundled: Record<string, string> = await runBundled('error-names', [
      ...modules.map((file, i) => `import * as m${i} from '${join(root, 'functions', file)}';`),
      `const modules: Record<string, Record<string, unknown>> = { ${modules.map((file, i) => `${JSON.stringify(file)}: m${i}`).join(', ')} };`,
      `const wanted: [string, string][] = ${JSON.stringify(concrete.map((c) => [c.file, c.name]))};`,
      "const make = (value: unknown) => (Reflect.construct(value as never, Array(4).fill(['x'])) as Error).name;",
      'process.stdout.write(JSON.stringify(Object.fromEntries(wanted.map(([file, name]) => [name, make(modules[file]![name])]))));',
    ]);
    const source: Record<string, { name: string; inherited: string }> = {};
    for (const c of concrete) {
      const value = (await import(join(root, 'functions', c.file)))[c.name] as new () => Error;
      const base = Object.getPrototypeOf(value) as unknown;
      source[c.name] = { name: make(value), inherited: base === Error ? 'Error' : make(base) };
    }

    expect(found.filter((c) => !c.exported).map((c) => `${c.file}: ${c.name}`)).toEqual([]);
    expect(found.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'DatasetFormatError',
        'SourceError',
        'CopyRefused',
        'ChainConflict',
        'PlanError',
      ]),
    );
    expect(concrete.length).toBeGreaterThan(40);
    // Each names itself (one that forgets answers its parent's name, or Error's)...
    expect(Object.entries(source).filter(([, s]) => s.name === s.inherited)).toEqual([]);
    // ...in a string, which the minified bundle keeps.
    expect(bundled).toEqual(Object.fromEntries(Object.entries(source).map(([key, s]) => [key, s.name])));
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

  it('read at cold start neither the OpenAPI generator, the routes of other groups, Secrets Manager nor the S3 SDK: those load on first use', async () => {
    const meta = await bundle('meta');
    expect(meta.modules).toContain('functions/api/openapi.ts');
    expect(meta.modules).toContain('functions/api/routes/versions.ts');
    expect(meta.coldModules).toContain('functions/api/routes/meta.ts');
    expect(meta.coldModules).not.toContain('functions/api/openapi.ts');
    expect(meta.coldModules).not.toContain('functions/api/routes/versions.ts');

    const models = await bundle('models');
    const secrets = (paths: string[]) => paths.filter((path) => path.includes('client-secrets-manager'));
    expect(secrets(models.modules)).not.toEqual([]);
    expect(secrets(models.coldModules)).toEqual([]);

    const versions = await bundle('versions');
    const s3 = (paths: string[]) =>
      paths.filter((path) => /@aws-sdk\/(client-s3|s3-request-presigner)\//.test(path));
    expect(s3(versions.modules)).not.toEqual([]);
    expect(s3(versions.coldModules)).toEqual([]);
  });

  it('answer from the split files: the meta function built as deployed serves health, then loads the OpenAPI chunk for the document', async () => {
    const outdir = join(root, '.bench', 'test-bundles', 'meta-run');
    await build(lambdaBundle(root, join(root, 'functions/http/meta.ts'), outdir));
    const script = [
      `const { handler } = await import(${JSON.stringify(pathToFileURL(join(outdir, 'index.mjs')).href)});`,
      'const get = (path) => handler({ httpMethod: "GET", path, resource: path, headers: {}, body: null,',
      '  isBase64Encoded: false, pathParameters: null, queryStringParameters: null,',
      '  requestContext: { requestId: "r1", path, identity: { userArn: "arn:aws:iam::123456789012:user/alice" } } },',
      '  { awsRequestId: "r1", functionName: "meta", getRemainingTimeInMillis: () => 10000 });',
      'const health = await get("/v1/health");',
      'const openapi = await get("/v1/openapi.json");',
      'process.stdout.write(JSON.stringify({ health, openapi: { statusCode: openapi.statusCode, body: JSON.parse(openapi.body) } }));',
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        TABLE_NAME: 'steward',
        STEWARD_ROLES: JSON.stringify([{ pattern: '*', roles: ['admin'] }]),
        POWERTOOLS_METRICS_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
    });
    const answers = JSON.parse(stdout);
    expect(answers.health).toMatchObject({ statusCode: 200, body: JSON.stringify({ status: 'ok' }) });
    expect(answers.openapi.statusCode).toBe(200);
    expect(answers.openapi.body.openapi).toBe('3.1.0');
    expect(Object.keys(answers.openapi.body.paths)).toContain('/v1/models/{model}/versions');
  });

  it('give each function its own code when the CDK app bundles them: two entries, two assets, each with its entry module', async () => {
    const outdir = join(root, '.bench', 'test-bundles', 'cdk.out');
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bundles');
    for (const [id, group] of [
      ['Meta', 'meta'],
      ['Environments', 'environments'],
    ] as const)
      new ServiceFunction(stack, id, {
        entry: join(root, 'functions/http', `${group}.ts`),
        description: group,
        invocation: 'synchronous',
      });
    const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    const keys = functions.map((fn) => (fn.Properties.Code as { S3Key: string }).S3Key);
    expect(functions.map((fn) => fn.Properties.Handler)).toEqual(['index.handler', 'index.handler']);
    expect(new Set(keys).size).toBe(2);
    for (const key of keys)
      expect(existsSync(join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs')), key).toBe(true);
  });
});
