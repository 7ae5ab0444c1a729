import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '#cli/main';
import { ExitCode } from '#client/errors';
import { type Api, startApi } from './local-api.ts';
import { createModel, publishVersion, uniqueName } from './registry-fixtures.ts';

/**
 * The `steward` CLI against local mode over real HTTP: commands run in-process through `main`
 * (the same function the bin calls) with stdout and stderr captured, and once through the bin.
 */
interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

describe('steward CLI', () => {
  let api: Api;
  let dir: string;

  const steward = async (...args: string[]): Promise<Ran> => {
    let stdout = '';
    let stderr = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    try {
      const code = await main(['node', 'steward', '--url', api.url, ...args]);
      return { code, stdout, stderr };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  };
  const json = async <T = any>(...args: string[]): Promise<T> => {
    const ran = await steward('--json', ...args);
    expect(ran.code, ran.stderr).toBe(0);
    return JSON.parse(ran.stdout) as T;
  };

  beforeAll(async () => {
    api = await startApi({ targetTransitionMs: 100, waitScale: 0.005 });
    dir = await mkdtemp(join(tmpdir(), 'steward-cli-'));
  });
  afterAll(async () => {
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates, lists, shows and updates models as tables and as JSON', async () => {
    const name = uniqueName('cli');
    const created = await steward(
      '--as',
      'ci-bot',
      'models',
      'create',
      name,
      '--risk-tier',
      'low',
      '--tag',
      'team=growth',
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`name\\s+${name}`));
    expect(created.stdout).not.toContain('\u001b['); // not a TTY: no colour

    const shown = await json('models', 'show', name);
    expect(shown).toMatchObject({ name, riskTier: 'low', tags: { team: 'growth' }, createdBy: 'ci-bot' });
    const human = await steward('models', 'show', name);
    expect(human.stdout).toMatch(/may register\s+publisher matching ci-bot, any admin/);

    const team = await json(
      '--as',
      'ci-bot',
      'models',
      'update',
      name,
      '--owner',
      'ml-platform',
      '--owners',
      'ml-platform,ci-*',
    );
    expect(team.owners).toEqual(['ml-platform', 'ci-*']);

    const listed = await steward('models', 'list', '--prefix', name);
    expect(listed.stdout.split('\n')[0]).toMatch(/^NAME\s+LATEST\s+OWNER\s+RISK\s+UPDATED$/);
    expect(listed.stdout).toContain(name);

    const updated = await json('--as', 'ci-bot', 'models', 'update', name, '--description', 'churn scorer');
    expect(updated.description).toBe('churn scorer');
  });

  it('shows problem details and field errors plainly, with exit codes by class', async () => {
    const missing = await steward('models', 'show', 'no-such-model-here');
    expect(missing.code).toBe(ExitCode.client);
    expect(missing.stderr).toMatch(/error: .*no-such-model-here.* \(404 Not found\)/);

    const invalid = await steward('models', 'create', 'bad name!');
    expect(invalid.code).toBe(ExitCode.client);
    expect(invalid.stderr).toMatch(/\(400 Invalid request\)/);
    expect(invalid.stderr).toMatch(/^ {2}body\.name: a model name is/m);

    const usage = await steward('versions', 'register', 'x');
    expect(usage.code).toBe(ExitCode.usage);
    expect(usage.stderr).toContain('give exactly one of --file, --dir or --tar');

    const unknown = await steward('models', 'frobnicate');
    expect(unknown.code).toBe(ExitCode.usage);

    const down = await main(['node', 'steward', '--url', 'http://127.0.0.1:9', 'models', 'list']).catch(
      (e) => e,
    );
    expect(down).toBe(ExitCode.server);
  });

  it('registers a 120 MiB file in one command: multipart, parallel parts, hash checked at commit', async () => {
    const name = uniqueName('big');
    await json('models', 'create', name);
    const file = join(dir, 'model.bin');
    const hash = createHash('sha256');
    const block = randomBytes(1024 * 1024);
    const sink = createWriteStream(file);
    for (let i = 0; i < 120; i++) {
      block.writeUInt32BE(i, 0); // each MiB differs, so a misplaced part changes the hash
      hash.update(block);
      if (!sink.write(block)) await new Promise<void>((r) => sink.once('drain', () => r()));
    }
    await new Promise<void>((r, j) => sink.end((e?: Error | null) => (e ? j(e) : r())));
    const sha256 = hash.digest('hex');

    const ran = await steward(
      'versions',
      'register',
      name,
      '--file',
      file,
      '--framework',
      'xgboost',
      '--metric',
      'auc=0.91',
      '--param',
      'depth=6',
      '--alias',
      'champion',
    );
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toMatch(/registered .* v1: multipart, 2 parts/);
    expect(ran.stderr).toMatch(/upload: 120\.0 MiB/);
    expect(ran.stdout).toMatch(/v1 is READY \(120\.0 MiB, 2 parts\); alias champion -> v1/);

    const version = await json('versions', 'show', name, 'champion');
    expect(version).toMatchObject({
      status: 'READY',
      framework: 'xgboost',
      metrics: { auc: 0.91 },
      params: { depth: '6' },
      artifact: { sha256, sizeBytes: 120 * 1024 * 1024, fileName: 'model.bin' },
    });

    // Download and check: the bytes that come back hash to the registered SHA-256.
    const target = join(dir, 'back.bin');
    const got = await json('versions', 'download', name, '1', '-o', target);
    expect(got.sha256).toBe(sha256);
    await rm(target);
  });

  it('registers a folder as a multi-file artifact, each file checked, and downloads it back', async () => {
    const name = uniqueName('dir');
    await json('models', 'create', name);
    const folder = join(dir, 'files');
    await mkdir(join(folder, 'weights'), { recursive: true });
    const config = Buffer.from('{"layers":3}');
    const weights = randomBytes(3000);
    await writeFile(join(folder, 'config.json'), config);
    await writeFile(join(folder, 'weights', 'w.bin'), weights);

    const v = await json('versions', 'register', name, '--dir', folder);

    expect(v.status).toBe('READY');
    const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const manifest = [
      { path: 'config.json', sha256: digest(config), sizeBytes: config.length },
      { path: 'weights/w.bin', sha256: digest(weights), sizeBytes: weights.length },
    ];
    expect(
      v.artifact.files.map(({ path, sha256, sizeBytes }: Record<string, unknown>) => ({
        path,
        sha256,
        sizeBytes,
      })),
    ).toEqual(manifest);
    // The tree digest, as anyone can recompute it from the manifest.
    expect(v.artifact.sha256).toBe(
      digest(Buffer.from(manifest.map((f) => `${f.path}\t${f.sha256}\t${f.sizeBytes}\n`).join(''))),
    );
    expect(v.artifact.sizeBytes).toBe(config.length + weights.length);

    const back = join(dir, 'files-back');
    const got = await json('versions', 'download', name, '1', '-o', back);
    expect(got.files).toBe(2);
    expect(await readFile(join(back, 'weights', 'w.bin'))).toEqual(weights);
    expect(await readFile(join(back, 'config.json'))).toEqual(config);
  });

  it('refuses a folder with a file name a multi-file artifact cannot hold, before registering', async () => {
    const name = uniqueName('dir-bad');
    await json('models', 'create', name);
    const folder = join(dir, 'bad');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'a b.txt'), 'x');

    const res = await steward('versions', 'register', name, '--dir', folder);

    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('a b.txt');
    expect((await api.call('GET', `/v1/models/${name}`)).body.latestVersion).toBe(0);
  });

  it('registers a folder as one deterministic tar archive with --tar', async () => {
    const name = uniqueName('tar');
    await json('models', 'create', name);
    const folder = join(dir, 'bundle');
    await mkdir(join(folder, 'weights'), { recursive: true });
    await writeFile(join(folder, 'config.json'), '{"layers":3}');
    await writeFile(join(folder, 'weights', 'w.bin'), randomBytes(3000));

    const first = await json('versions', 'register', name, '--tar', folder);
    const second = await json('versions', 'register', name, '--tar', folder);
    expect(first.status).toBe('READY');
    expect(first.artifact.fileName).toBe('bundle.tar');
    // 2 entries: a 512-byte header each, contents padded to 512 (512 + 3072), and two end blocks.
    expect(first.artifact.sizeBytes).toBe(512 + 512 + 512 + 3072 + 1024);
    expect(second.artifact.sha256).toBe(first.artifact.sha256);

    // The archive is a tar that lists the files (Debian's tar reads it back).
    const out = join(dir, 'bundle.tar');
    await json('versions', 'download', name, '1', '-o', out);
    const { stdout } = await promisify(execFile)('tar', ['-tf', out]);
    expect(stdout.trim().split('\n')).toEqual(['config.json', 'weights/w.bin']);
  });

  it('deploys with --wait, showing each step, then rolls back', async () => {
    const name = uniqueName('dep');
    await json('models', 'create', name);
    const fn = `fn-${name}`;
    await api.call('POST', '/local/targets/functions', { body: { name: fn } });
    for (const n of [1, 2]) {
      const zip = join(dir, `handler-${n}.zip`);
      await writeFile(zip, `zip ${name} ${n}`);
      await json('versions', 'register', name, '--file', zip);
    }

    const first = await steward(
      'deploy',
      name,
      '1',
      '--env',
      'dev',
      '--lambda',
      `${fn}:live`,
      '--wait',
      '--interval',
      '0.05s',
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/deployment dep-[0-9a-f]+ SUCCEEDED/);
    const steps = first.stderr
      .split('\n')
      .filter((l) => /^\d\d:\d\d:\d\d /.test(l))
      .map((l) => l.split(/\s+/)[1])
      .filter(Boolean);
    expect(steps.slice(0, 2), first.stderr).toEqual(['requested', 'started']);
    expect(steps.at(-1)).toBe('succeeded');

    const second = await steward(
      '--json',
      'deploy',
      name,
      '2',
      '--env',
      'dev',
      '--lambda',
      `${fn}:live`,
      '--strategy',
      'canary',
      '--percent',
      '10',
      '--bake',
      '0',
      '--wait',
      '--interval',
      '0.05s',
    );
    expect(second.code, second.stderr).toBe(0);
    const deployed = JSON.parse(second.stdout);
    expect(deployed).toMatchObject({ status: 'SUCCEEDED', version: 2, previousVersion: 1 });

    const back = await steward(
      'rollback',
      deployed.id,
      '--reason',
      'canary looked off',
      '--wait',
      '--interval',
      '0.05s',
    );
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain('ROLLED_BACK');
    expect(back.stderr).toMatch(/rolled-back/);
  });

  it('times out a wait with its own exit code', async () => {
    const name = uniqueName('slow');
    await json('models', 'create', name);
    const zip = join(dir, 'slow.zip');
    await writeFile(zip, 'zip');
    await json('versions', 'register', name, '--file', zip);
    const ran = await steward(
      'approvals',
      'request',
      name,
      '1',
      '--env',
      'staging',
      '--wait',
      '--timeout',
      '0.3s',
      '--interval',
      '0.1s',
    );
    expect(ran.code).toBe(ExitCode.timeout);
    expect(ran.stderr).toMatch(/gave up waiting for approval .* \(last seen: PENDING, tech-leads 0\/1\)/);
  });

  it('saves the lineage picture as a self-contained page', async () => {
    const name = uniqueName('clipic');
    await createModel(api, name);
    await publishVersion(api, name, undefined, {
      lineage: { datasets: [{ uri: 's3://data/cli.csv', sha256: 'a'.repeat(64) }] },
    });
    const file = join(dir, 'lineage.html');

    const saved = await steward('lineage', `${name}:1`, '--format', 'html', '-o', file);

    expect(saved.code, saved.stderr).toBe(0);
    const html = await readFile(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).toContain(`data-id="${name}:1"`);
    expect(html).toContain('data-kind="dataset" data-id="s3://data/cli.csv"');
  });

  it('downloads the evidence pack of a version', async () => {
    const name = uniqueName('clievidence');
    await createModel(api, name);
    const version = await publishVersion(api, name, undefined, {
      lineage: { datasets: [{ uri: 's3://data/evidence.csv', sha256: 'b'.repeat(64) }] },
    });
    const file = join(dir, 'evidence.html');

    const saved = await steward('evidence', name, 'latest', '-o', file);

    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stderr).toContain(`wrote ${file}`);
    const html = await readFile(file, 'utf8');
    const served = await api.call('GET', `/v1/models/${name}/versions/${version.version}/evidence`);
    // The page as the API serves it, but for the moment it was made.
    const strip = (page: string) => page.replace(/<time[^>]*>[^<]*<\/time>/g, '');
    expect(strip(html)).toBe(strip(served.text));
    expect(html).toContain(`Evidence pack: ${name} version 1`);
    expect(html).toContain('s3://data/evidence.csv');
    const missing = await steward('evidence', name, '7', '-o', join(dir, 'none.html'));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('version 7');
  });

  it('runs as the package bin', async () => {
    const run = promisify(execFile);
    const { stdout } = await run(
      process.execPath,
      ['bin/steward.mjs', '--url', api.url, '--json', 'models', 'list', '--limit', '1'],
      {
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    expect(JSON.parse(stdout).items).toHaveLength(1);
    const usage = await run(process.execPath, ['bin/steward.mjs', 'versions', 'transition'], {}).catch(
      (e) => e,
    );
    expect(usage.code).toBe(ExitCode.usage);
    expect(await readFile('package.json', 'utf8')).toContain('"steward": "bin/steward.mjs"');
  });
});
