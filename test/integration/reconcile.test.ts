import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.ts';
import { type Api, clientOf } from './local-api.ts';
import { writerOnceRead } from './pipe.ts';
import { freePorts } from './ports.ts';
import { createModel, eventsOf, publishVersion, uniqueName } from './registry-fixtures.ts';

/**
 * Nothing stays locked: a deployment whose execution is lost to a kill -9 of `npm start` ends FAILED
 * after the restart, its target free, because local mode raises the Step Functions "Execution
 * Status Change" event for it and reconcile records the outcome (the same handler an EventBridge
 * rule invokes on AWS).
 */
const IMAGE = {
  uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn',
  digest: `sha256:${'d'.repeat(64)}`,
};

let dataDir: string;
let child: ChildProcess | undefined;
let env: NodeJS.ProcessEnv;
let api: Api;

/** `npm start` in a child process, on the test's data dir and ports; resolves once it serves. */
const start = async () => {
  const started = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  started.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  started.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  // A cold `npm start` (tsx compiling every module) takes tens of seconds on a loaded machine.
  await eventually(
    'local mode serving',
    async () =>
      output.includes('is serving')
        ? true
        : started.exitCode !== null
          ? Promise.reject(new Error(output))
          : undefined,
    { tries: 1800, intervalMs: 50 },
  );
  child = started;
  return () => output;
};

const killHard = async () => {
  const running = child!;
  const exited = new Promise((done) => running.once('exit', done));
  running.kill('SIGKILL');
  await exited;
  child = undefined;
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'steward-reconcile-'));
  const port = await freePorts(2);
  const s3Port = port + 1;
  env = {
    ...process.env,
    PORT: String(port),
    S3_PORT: String(s3Port),
    STEWARD_DATA_DIR: dataDir,
    // The endpoint stays Creating for the whole test: the deployment is mid-flight when killed.
    STEWARD_LOCAL_TRANSITION_MS: '600000',
    STEWARD_LOCAL_DRIFT_INTERVAL_MS: '0',
  };
  api = { call: clientOf(`http://127.0.0.1:${port}`) } as Api;
});

afterAll(async () => {
  if (child) await killHard();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a deployment lost to kill -9', { timeout: 180_000 }, () => {
  it('ends FAILED after the restart, with an audit event, and its target takes the next deployment', async () => {
    await start();
    const model = uniqueName('lost');
    await createModel(api, model);
    await publishVersion(api, model, Buffer.from('v1'), { lineage: { image: IMAGE } });
    const target = { kind: 'sagemaker', endpointName: `steward-${model}`, instanceType: 'ml.m5.large' };
    const started = await api.call('POST', `/v1/models/${model}/versions/1/deployments`, {
      body: { environment: 'dev', target, strategy: { kind: 'all-at-once', bakeMinutes: 0 } },
    });
    expect(started.status, started.text).toBe(202);
    const id = started.body.id as string;
    await eventually('the endpoint being created', async () => {
      const d = (await api.call('GET', `/v1/deployments/${id}`)).body;
      return d.history.some((h: { step: string }) => h.step === 'creating-endpoint') ? d : undefined;
    });

    await killHard();
    await start();

    const after = (await api.call('GET', `/v1/deployments/${id}`)).body;
    expect(after.status).toBe('FAILED');
    expect(JSON.stringify(after.history.at(-1))).toContain('ended FAILED');
    const events = await eventsOf(api, model);
    expect(events.at(-1)?.detail.target).toContain(id);
    const next = await api.call('POST', `/v1/models/${model}/versions/1/deployments`, {
      body: { environment: 'dev', target, strategy: { kind: 'all-at-once', bakeMinutes: 0 } },
    });
    expect(next.status, next.text).toBe(202);
  });
});

describe('a registration copy lost to kill -9', { timeout: 180_000 }, () => {
  it('is copied again after the restart and ends READY, hashed', async () => {
    if (!child) await start();
    const model = uniqueName('lost-copy');
    await createModel(api, model);
    // A named pipe as the source holds the copy until something writes to it.
    const fifo = join(dataDir, `${model}.bin`);
    execFileSync('mkfifo', [fifo]);
    const created = await api.call('POST', '/api/2.0/mlflow/model-versions/create', {
      body: { name: model, source: `file://${fifo}` },
    });
    expect(created.status, created.text).toBe(200);
    // Killed while the copy reads the pipe; the write end closes once its reader is gone.
    const writer = await writerOnceRead(fifo);
    await killHard();
    await writer.close();
    await start();
    await writeFile(fifo, 'the weights');

    const version = await eventually('the version leaving PENDING_UPLOAD', async () => {
      const v = (await api.call('GET', `/v1/models/${model}/versions/1`)).body;
      return v.status === 'PENDING_UPLOAD' ? undefined : v;
    });
    expect(version.status, JSON.stringify(version)).toBe('READY');
    expect(version.artifact.files).toEqual([
      expect.objectContaining({ path: `${model}.bin`, sizeBytes: 'the weights'.length }),
    ]);
    const verified = await api.call('GET', `/v1/audit/verify?model=${model}`);
    expect(verified.body).toMatchObject({ valid: true });
  });
});

describe('a pending approval lost to kill -9', { timeout: 180_000 }, () => {
  it('is resumed after the restart: the link already mailed decides it, and no second email goes out', async () => {
    if (child) await killHard();
    await start();
    const model = uniqueName('lostappr');
    await createModel(api, model);
    await publishVersion(api, model, Buffer.from('a1'));
    const env = `lost-${process.pid}`.slice(0, 32);
    const approver = 'keeper@example.com';
    const put = await api.call('PUT', `/v1/environments/${env}`, {
      principal: 'admin',
      body: { approval: { required: true, groups: [{ name: 'g', members: [approver], minApprovals: 1 }] } },
    });
    expect(put.status, put.text).toBe(200);
    const created = await api.call('POST', `/v1/models/${model}/versions/1/approvals`, {
      body: { environment: env },
    });
    expect(created.status, created.text).toBe(202);
    const mailsTo = async () =>
      (
        (await api.call('GET', '/local/outbox')).body as { to: string; subject: string; links: string[] }[]
      ).filter((m) => m.to === approver && m.subject.includes(model));
    const [mail] = await eventually('the approval email', async () => {
      const mails = await mailsTo();
      return mails.length ? mails : undefined;
    });

    await killHard();
    await start();

    expect((await api.call('GET', `/v1/approvals/${created.body.id}`)).body.status).toBe('PENDING');
    // The link mailed before the crash still decides the request.
    const link = mail!.links[0]!;
    const page = await eventually('the decision page', async () => {
      const res = await fetch(link);
      const html = await res.text();
      return res.status === 200 ? html : undefined;
    });
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    expect(csrf).toBeDefined();
    const decided = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: csrf!, decision: 'approve', comment: 'after the restart' }),
    });
    expect(decided.status).toBe(200);
    const approved = await eventually('the approval recorded', async () => {
      const a = (await api.call('GET', `/v1/approvals/${created.body.id}`)).body;
      return a.status === 'APPROVED' && a.outcomeReason ? a : undefined;
    });
    expect(approved.decisions.map((d: { by: string }) => d.by)).toEqual([approver]);
    expect(await mailsTo()).toHaveLength(1);
  });
});
