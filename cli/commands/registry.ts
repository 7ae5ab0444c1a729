import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { ModelOut, VersionOut } from '#client/client';
import { UploadError, UsageError } from '#client/errors';
import { publish } from '#client/upload';
import { collect, integer, jsonArg, pairs, resolveVersion } from '../args.ts';
import type { Opts, Run } from '../context.ts';
import { bytes, type Output } from '../output.ts';
import { progressReporter } from '../progress.ts';

const statusColour = (out: Output, status: string) =>
  status === 'READY' || status === 'SUCCEEDED' || status === 'APPROVED'
    ? out.colors.green(status)
    : status === 'FAILED' || status === 'REJECTED' || status === 'ROLLED_BACK' || status === 'EXPIRED'
      ? out.colors.red(status)
      : out.colors.yellow(status);

export { statusColour };

const showModel = (out: Output, m: ModelOut) =>
  out.record([
    ['name', out.colors.bold(m.name)],
    ['description', m.description],
    ['owner', m.owner],
    ['owners', m.owners],
    ['may change', m.mayAct?.change],
    ['may register', m.mayAct?.registerVersions],
    ['risk tier', m.riskTier],
    ['purpose', m.purpose],
    ['latest version', m.latestVersion],
    ['aliases', Object.entries(m.aliases ?? {}).map(([a, v]) => `${a} -> v${v}`)],
    ['tags', m.tags],
    ['created', `${m.createdAt} by ${m.createdBy}`],
    ['updated', `${m.updatedAt} by ${m.updatedBy}`],
  ]);

const showVersion = (out: Output, v: VersionOut) =>
  out.record([
    ['model', v.name],
    ['version', out.colors.bold(String(v.version))],
    ['status', statusColour(out, v.status) + (v.statusReason ? ` (${v.statusReason})` : '')],
    [
      'artifact',
      `${v.artifact.fileName ?? ''} ${bytes(v.artifact.sizeBytes)} sha256 ${v.artifact.sha256}`.trim(),
    ],
    ['framework', v.framework],
    ['params', Object.keys(v.params ?? {}).length ? v.params : undefined],
    ['metrics', Object.keys(v.metrics ?? {}).length ? v.metrics : undefined],
    ['lineage', Object.keys(v.lineage ?? {}).length ? JSON.stringify(v.lineage) : undefined],
    ['tags', Object.keys(v.tags ?? {}).length ? v.tags : undefined],
    ['description', v.description],
    ['created', `${v.createdAt} by ${v.createdBy}`],
  ]);

const modelBody = (o: Opts) => {
  const body: Record<string, unknown> = {};
  if (o.description !== undefined) body.description = o.description;
  if (o.owner !== undefined) body.owner = o.owner;
  if (o.owners !== undefined)
    body.owners = String(o.owners)
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  if (o.riskTier !== undefined) body.riskTier = o.riskTier;
  if (o.purpose !== undefined) body.purpose = o.purpose;
  const tags = pairs('--tag', o.tag);
  if (tags) body.tags = tags;
  return body;
};

/** Download to `target` (through a `.part` file), refusing bytes that do not hash to `sha256`. */
const fetchChecked = async (url: string, target: string, sha256: string): Promise<string> => {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new UploadError(`S3 answered ${response.status} to the download`);
  const hash = createHash('sha256');
  const partial = `${target}.part`;
  const body = Readable.fromWeb(response.body as never);
  body.on('data', (c: Buffer) => hash.update(c));
  await pipeline(body, createWriteStream(partial));
  const sha = hash.digest('hex');
  if (sha !== sha256) {
    await rm(partial, { force: true });
    throw new UploadError(`${target}: downloaded bytes hash to ${sha}, the version says ${sha256}`);
  }
  await rename(partial, target);
  return sha;
};

export const registryCommands = (program: Command, run: Run) => {
  const models = program.command('models').description('create, list, show and update models');
  const modelFlags = (c: Command) =>
    c
      .option('--description <text>', 'what the model does')
      .option('--owner <owner>', 'who answers for the model: a principal or a team name')
      .option(
        '--owners <list>',
        'the owning team, comma-separated principals or patterns (ci-*, arn:...:assumed-role/Ci/*)',
      )
      .option('--risk-tier <tier>', 'low, medium or high (high needs lineage at registration)')
      .option('--purpose <text>', 'what the model is used for')
      .option('--tag <key=value>', 'a tag (repeatable)', collect);
  modelFlags(models.command('create <name>').description('create a model')).action(
    run(async ({ client, out }, name: string, o) => {
      const m = await client.createModel({ name, ...modelBody(o) } as never);
      out.result(m, () => showModel(out, m));
    }),
  );
  models
    .command('list')
    .description('list models')
    .option('--prefix <prefix>', 'names starting with it')
    .option('--tag <key=value>', 'models with this tag')
    .option('--limit <n>', 'at most this many', integer('--limit'))
    .action(
      run(async ({ client, out }, o) => {
        const page = await client.listModels({ prefix: o.prefix, tag: o.tag, limit: o.limit });
        out.result(page, () => {
          out.table(page.items as never, [
            { key: 'name' },
            { key: 'latestVersion', title: 'LATEST' },
            { key: 'owner' },
            { key: 'riskTier', title: 'RISK' },
            { key: 'updatedAt', title: 'UPDATED' },
          ]);
          if (page.nextCursor) out.note('(more: use --limit, or --json and the cursor)');
        });
      }),
    );
  models
    .command('show <name>')
    .description('show a model, its aliases and who may act on it')
    .action(
      run(async ({ client, out }, name: string) => {
        const m = await client.getModel(name);
        out.result(m, () => showModel(out, m));
      }),
    );
  modelFlags(models.command('update <name>').description('change a model’s metadata')).action(
    run(async ({ client, out }, name: string, o) => {
      const body = modelBody(o);
      if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give at least one flag');
      const m = await client.updateModel(name, body as never);
      out.result(m, () => showModel(out, m));
    }),
  );

  const versions = program
    .command('versions')
    .description('register, list, show, download and transition versions');
  versions
    .command('register <model>')
    .description('register a version, upload its artifact (single or multipart, in parallel) and commit it')
    .option('--file <path>', 'the artifact file')
    .option('--dir <path>', 'a folder, as a multi-file artifact: one object per file, each checked')
    .option('--tar <path>', 'a folder, uploaded as one deterministic tar archive')
    .option('--framework <name>', 'e.g. sklearn, xgboost, pytorch')
    .option('--param <key=value>', 'a training parameter (repeatable)', collect)
    .option('--metric <key=number>', 'an evaluation metric (repeatable)', collect)
    .option('--tag <key=value>', 'a tag (repeatable)', collect)
    .option('--description <text>', 'what changed in this version')
    .option('--environment <env>', 'the environment it is meant for (its policy may demand reproducibility)')
    .option('--dataset <uri>', 'a training dataset (repeatable; lineage)', collect)
    .option('--code <repository@commit>', 'the code it was trained from (lineage)')
    .option('--image <uri@sha256:digest>', 'the serving image (lineage)')
    .option('--training-run <id>', 'the training run (lineage)')
    .option('--lineage <json|@file>', 'the whole lineage object, as the API takes it')
    .option('--concurrency <n>', 'parts uploaded at once', integer('--concurrency'), 4)
    .option('--alias <name>', 'point this alias at the version once it is READY')
    .addHelpText(
      'after',
      "\nThe API needs each file's SHA-256 at registration (on AWS the upload URLs are signed with it, so S3\n" +
        'refuses other bytes): each file is read twice, once to hash (streamed) and once to upload.\n' +
        'Steward picks single or multipart upload per file (multipart from 100 MiB by default).',
    )
    .action(
      run(async ({ client, out }, model: string, o) => {
        if ([o.file, o.dir, o.tar].filter(Boolean).length !== 1)
          throw new UsageError('give exactly one of --file, --dir or --tar');
        const metadata: Record<string, unknown> = {};
        if (o.framework) metadata.framework = o.framework;
        if (o.description) metadata.description = o.description;
        if (o.environment) metadata.environment = o.environment;
        const params = pairs('--param', o.param);
        if (params) metadata.params = params;
        const metrics = pairs('--metric', o.metric, true);
        if (metrics) metadata.metrics = metrics;
        const tags = pairs('--tag', o.tag);
        if (tags) metadata.tags = tags;
        const lineage = ((await jsonArg('--lineage', o.lineage)) ?? {}) as Record<string, unknown>;
        if (o.dataset) lineage.datasets = (o.dataset as string[]).map((uri) => ({ uri }));
        if (o.code) {
          const at = (o.code as string).lastIndexOf('@');
          if (at <= 0) throw new UsageError('--code takes repository@commit');
          lineage.code = { repository: o.code.slice(0, at), commit: o.code.slice(at + 1) };
        }
        if (o.image) {
          const at = (o.image as string).lastIndexOf('@');
          if (at <= 0) throw new UsageError('--image takes uri@sha256:digest');
          lineage.image = { uri: o.image.slice(0, at), digest: o.image.slice(at + 1) };
        }
        if (o.trainingRun) lineage.trainingRun = { id: o.trainingRun };
        if (Object.keys(lineage).length) metadata.lineage = lineage;

        const reporter = progressReporter(out);
        let result: Awaited<ReturnType<typeof publish>>;
        try {
          result = await publish(client, model, {
            ...(o.file ? { file: o.file } : o.dir ? { dir: o.dir } : { tar: o.tar }),
            metadata,
            concurrency: o.concurrency,
            onProgress: reporter.onProgress,
            onRegistered: (v) =>
              out.note(
                `registered ${v.name} v${v.version}: ${v.upload?.files ? `${v.upload.files.length} files` : v.upload?.parts ? `multipart, ${v.upload.parts.length} parts` : 'single upload'}`,
              ),
          });
        } finally {
          reporter.stop();
        }
        if (o.alias) await client.setAlias(model, o.alias, result.version.version);
        out.result(result.version, () => {
          out.line(
            `${out.colors.green('✔')} ${model} v${result.version.version} is ${result.version.status}` +
              ` (${bytes(result.version.artifact.sizeBytes)}, ${result.multipart ? `${result.parts} parts` : 'one request'}` +
              `${result.retries ? `, ${result.retries} retried` : ''})${o.alias ? `; alias ${o.alias} -> v${result.version.version}` : ''}`,
          );
          out.line(`sha256 ${result.version.artifact.sha256}`);
        });
      }),
    );
  versions
    .command('list <model>')
    .description('list versions, newest first')
    .option('--status <status>', 'PENDING_UPLOAD, READY, FAILED, DEPRECATED or ARCHIVED')
    .option('--limit <n>', 'at most this many', integer('--limit'))
    .action(
      run(async ({ client, out }, model: string, o) => {
        const page = await client.listVersions(model, { status: o.status, limit: o.limit });
        out.result(page, () =>
          out.table(page.items as never, [
            { key: 'version' },
            { key: 'status', format: (s) => statusColour(out, String(s)) },
            { key: 'artifact', title: 'SIZE', format: (a) => bytes((a as { sizeBytes: number }).sizeBytes) },
            { key: 'framework' },
            { key: 'createdBy', title: 'BY' },
            { key: 'createdAt', title: 'CREATED' },
          ]),
        );
      }),
    );
  versions
    .command('show <model> <version>')
    .description('show a version (a number, an alias, or "latest")')
    .action(
      run(async ({ client, out }, model: string, ref: string) => {
        const v = await client.getVersion(model, await resolveVersion(client, model, ref));
        out.result(v, () => showVersion(out, v));
      }),
    );
  versions
    .command('download <model> <version>')
    .description(
      'download the artifact and check its SHA-256 (a multi-file artifact: each file, into a folder)',
    )
    .option('-o, --output <path>', 'where to write it (default: the artifact’s file name, or <model>-v<n>/)')
    .action(
      run(async ({ client, out }, model: string, ref: string, o) => {
        const number = await resolveVersion(client, model, ref);
        const v = await client.getVersion(model, number);
        const answer = await client.artifactUrl(model, number);
        if (answer.files) {
          const folder = o.output ?? `${model}-v${number}`;
          for (const f of answer.files) {
            const target = join(folder, ...f.path.split('/'));
            await mkdir(dirname(target), { recursive: true });
            await fetchChecked(f.url, target, f.sha256);
          }
          const result = {
            path: folder,
            sha256: v.artifact.sha256,
            sizeBytes: v.artifact.sizeBytes,
            files: answer.files.length,
          };
          out.result(result, () =>
            out.line(
              `${out.colors.green('✔')} ${folder}/ (${answer.files!.length} files, ${bytes(v.artifact.sizeBytes)}, each sha256 verified)`,
            ),
          );
          return;
        }
        if (!answer.url) throw new UploadError('the artifact answer has neither a url nor files');
        const target = o.output ?? v.artifact.fileName ?? `${model}-v${number}.bin`;
        const sha = await fetchChecked(answer.url, target, v.artifact.sha256);
        const result = { path: target, sha256: sha, sizeBytes: v.artifact.sizeBytes };
        out.result(result, () =>
          out.line(`${out.colors.green('✔')} ${target} (${bytes(v.artifact.sizeBytes)}, sha256 verified)`),
        );
      }),
    );
  versions
    .command('transition <model> <version> <to>')
    .description('move a version to DEPRECATED or ARCHIVED')
    .requiredOption('--reason <text>', 'why (kept in the audit trail)')
    .action(
      run(async ({ client, out }, model: string, ref: string, to: string, o) => {
        const target = to.toUpperCase();
        if (target !== 'DEPRECATED' && target !== 'ARCHIVED')
          throw new UsageError('<to> is DEPRECATED or ARCHIVED');
        const v = await client.transitionVersion(
          model,
          await resolveVersion(client, model, ref),
          target,
          o.reason,
        );
        out.result(v, () => out.line(`${model} v${v.version} is ${statusColour(out, v.status)}`));
      }),
    );

  const alias = program.command('alias').description('set, show and remove aliases');
  alias
    .command('set <model> <alias> <version>')
    .description('point an alias at a READY version')
    .action(
      run(async ({ client, out }, model: string, name: string, ref: string) => {
        const a = await client.setAlias(model, name, await resolveVersion(client, model, ref));
        out.result(a, () => out.line(`${model}@${name} -> v${a.version}`));
      }),
    );
  alias
    .command('show <model> <alias>')
    .description('the version an alias points at')
    .action(
      run(async ({ client, out }, model: string, name: string) => {
        const v = await client.getAlias(model, name);
        out.result(v, () => showVersion(out, v));
      }),
    );
  alias
    .command('rm <model> <alias>')
    .description('remove an alias')
    .action(
      run(async ({ client, out }, model: string, name: string) => {
        await client.deleteAlias(model, name);
        out.result({ model, alias: name, removed: true }, () => out.line(`removed ${model}@${name}`));
      }),
    );
};
