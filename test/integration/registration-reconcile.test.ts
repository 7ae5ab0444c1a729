import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.ts';
import { type Api, startApi } from './local-api.ts';
import { writerOnceRead } from './pipe.ts';
import { createModel, eventsOf, uniqueName } from './registry-fixtures.ts';

/**
 * No version registered by reference stays PENDING_REGISTRATION for ever: when the registration
 * execution ends FAILED or ABORTED without recording an outcome (its copy task and its failure
 * path both failing, or a StopExecution mid-copy), the "Execution Status Change" event reaches
 * reconcile, which fails the version with the reason and an audit event, and the chain verifies.
 */
let api: Api;
let scratch: string;

beforeAll(async () => {
  api = await startApi({ waitScale: 0.002, driftIntervalMs: 0 });
  scratch = await mkdtemp(join(tmpdir(), 'steward-registration-reconcile-'));
});

afterAll(async () => {
  api?.system.workflows.clearTaskFaults();
  await api?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

const mlflow = (method: string, path: string, body: Record<string, unknown>) =>
  api.call(method, `/api/2.0/mlflow/${path}`, { body });

const versionOf = async (name: string) => {
  const res = await api.call(
    'GET',
    `/api/2.0/mlflow/model-versions/get?name=${encodeURIComponent(name)}&version=1`,
  );
  expect(res.status, res.text).toBe(200);
  return res.body.model_version as { status: string; status_message?: string };
};

const settled = (name: string) =>
  eventually(
    `version 1 of ${name} leaving PENDING_REGISTRATION`,
    async () => {
      const v = await versionOf(name);
      return v.status === 'PENDING_REGISTRATION' ? undefined : v;
    },
    { tries: 400, intervalMs: 50 },
  );

const registrationsOf = (status: 'RUNNING' | 'FAILED' | 'ABORTED') =>
  api.system.workflows.service.listExecutions(api.system.workflows.arns.registration, {
    statusFilter: status,
  }) as { executionArn: string; name: string }[];

const expectFailedAndAudited = async (name: string, reason: RegExp) => {
  const v = await settled(name);
  expect(v.status).toBe('FAILED_REGISTRATION');
  expect(v.status_message).toMatch(reason);
  const v1 = await api.call('GET', `/v1/models/${name}/versions/1`);
  expect(v1.body.status).toBe('FAILED');
  const events = await eventsOf(api, name);
  expect(events.at(-1)?.['detail-type']).toMatch(/failed/i);
  const verified = await api.call('GET', `/v1/audit/verify?model=${name}`);
  expect(verified.body).toMatchObject({ valid: true });
};

describe('registration executions that end without an outcome', () => {
  it('fails the version when the copy and its failure path both fail (execution FAILED)', async () => {
    // Prepare
    const name = uniqueName('reg-failed');
    await createModel(api, name);
    const folder = join(scratch, name);
    execFileSync('mkdir', ['-p', folder]);
    await writeFile(join(folder, 'MLmodel'), 'flavors: {}\n');
    const { workflows } = api.system;
    workflows.injectTaskFault({ stateName: 'Copy', error: 'Lambda.Unknown', cause: 'injected' });
    workflows.injectTaskFault({ stateName: 'Fail', error: 'Lambda.Unknown', cause: 'injected' });

    // Act
    const created = await mlflow('POST', 'model-versions/create', { name, source: `file://${folder}` });
    try {
      await expectFailedAndAudited(name, /did not finish: .*Lambda\.Unknown|ended FAILED/);
    } finally {
      workflows.clearTaskFaults();
    }

    // Assess
    expect(created.status, created.text).toBe(200);
    expect(created.body.model_version.status).toBe('PENDING_REGISTRATION');
    expect(registrationsOf('FAILED').length).toBeGreaterThan(0);
  });

  it('fails the version when the execution is stopped mid-copy (execution ABORTED); the late copy records nothing', async () => {
    // Prepare: a named pipe as the source holds the copy until something writes to it.
    const name = uniqueName('reg-aborted');
    await createModel(api, name);
    const fifo = join(scratch, `${name}.pipe`);
    execFileSync('mkfifo', [fifo]);
    const created = await mlflow('POST', 'model-versions/create', { name, source: `file://${fifo}` });
    expect(created.status, created.text).toBe(200);
    const writer = await writerOnceRead(fifo);
    const running = await eventually(
      `the registration of ${name} running`,
      () => registrationsOf('RUNNING')[0],
    );

    // Act
    api.system.workflows.service.stopExecution(running.executionArn, {
      error: 'OperatorStop',
      cause: 'stopped by the test',
    });
    await expectFailedAndAudited(name, /did not finish: .*(OperatorStop|Aborted)/);
    await writer.write('late bytes');
    await writer.close();
    await sleep(300);

    // Assess
    const after = await versionOf(name);
    expect(after.status).toBe('FAILED_REGISTRATION');
    const verified = await api.call('GET', `/v1/audit/verify?model=${name}`);
    expect(verified.body).toMatchObject({ valid: true });
  });
});
