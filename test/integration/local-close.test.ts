import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventually } from '../eventually.ts';
import { type Api, startApi } from './local-api.ts';
import { createModel, publishVersion, uniqueName } from './registry-fixtures.ts';

/**
 * Closing local mode with work in flight: a pending approval waiting on its links, another one
 * stopped a moment before (its reconcile running), a request whose workflow has just started,
 * a drift dispatch, an upload-expiry sweep and an HTTP request. A clean close logs no error: what
 * was in flight finishes or is left to the next start, and nothing runs against the emulators
 * once they are gone. An error of work that ran while the system was open is still logged.
 */

/** Every line written while the test runs: the functions' logger (stdout/stderr), console.error, local mode's own log. */
const captured: string[] = [];

const isError = (line: string): boolean => {
  try {
    const entry = JSON.parse(line) as { level?: string };
    return entry.level === 'ERROR' || entry.level === 'CRITICAL';
  } catch {
    return /\bfailed:|integration error|Error\b/.test(line);
  }
};

const capture = () => {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      captured.push(...String(chunk).split('\n').filter(Boolean));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  }
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    captured.push(args.map(String).join(' '));
  });
};

const approverOf = (env: string) => `approver-${env}@example.com`;

/** An environment whose approvals wait for one approver, and a READY version to request. */
const prepare = async (api: Api) => {
  const env = uniqueName('close').toLowerCase().slice(0, 32);
  const put = await api.call('PUT', `/v1/environments/${env}`, {
    principal: 'admin',
    body: {
      approval: { required: true, groups: [{ name: 'g', members: [approverOf(env)], minApprovals: 1 }] },
    },
  });
  expect(put.status, put.text).toBe(200);
  const model = uniqueName('close');
  await createModel(api, model);
  await publishVersion(api, model);
  return { env, model };
};

const requestApproval = async (api: Api, model: string, env: string) => {
  const created = await api.call('POST', `/v1/models/${model}/versions/1/approvals`, {
    body: { environment: env },
  });
  expect(created.status, created.text).toBe(202);
  return created.body.id as string;
};

/** Waits until the approval's email is out: its workflow waits on the approver's link. */
const mailed = (api: Api, model: string, env: string) =>
  eventually(`the approval email for ${model}`, async () => {
    const mails = (await api.call('GET', '/local/outbox')).body as { to: string; subject: string }[];
    return mails.find((m) => m.to === approverOf(env) && m.subject.includes(model));
  });

const runningApprovals = (api: Api) =>
  api.system.workflows.service.listExecutions('approval', { statusFilter: 'RUNNING' });

describe('closing local mode with work in flight', { timeout: 120_000 }, () => {
  let dataDir: string;
  const local: string[] = [];

  beforeEach(async () => {
    captured.length = 0;
    local.length = 0;
    dataDir = await mkdtemp(join(tmpdir(), 'steward-close-'));
    capture();
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('logs no error once close begins, and still logs an error of work that ran while open', async () => {
    const api = await startApi({
      log: (line) => local.push(line),
      driftIntervalMs: 0,
      uploadSweepIntervalMs: 0,
    });
    const errors = () => [...captured, ...local].filter(isError);
    try {
      // Work that fails while the system is open is logged (the validate task refuses the request).
      const bad = api.system.workflows.service.startExecution('approval', { requestId: 'no-such-request' });
      await api.system.workflows.service.waitForExecution(bad.executionArn);
      await api.system.workflows.reconciled();
      expect(errors().join('\n')).toContain('RequestInvalid');

      const { env, model } = await prepare(api);
      const waiting = await requestApproval(api, model, env);
      await mailed(api, model, env);
      // A second request, stopped: its reconcile (an ABORTED execution) is what runs at close.
      const { env: env2, model: model2 } = await prepare(api);
      const second = await requestApproval(api, model2, env2);
      await mailed(api, model2, env2);
      const stopped = runningApprovals(api).find((e) => JSON.stringify(e.input).includes(second));
      expect(stopped).toBeDefined();
      // A third, whose workflow has only just started.
      const { env: env3, model: model3 } = await prepare(api);
      await requestApproval(api, model3, env3);
      expect((await api.call('GET', `/v1/approvals/${waiting}`)).body.status).toBe('PENDING');

      const before = errors().length;
      api.system.workflows.service.stopExecution(stopped!.executionArn, { cause: 'stopped by the test' });
      const inFlight = [
        api.system.dispatchDrift(),
        api.system.expireUploads(),
        fetch(`${api.url}/v1/models`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-steward-principal': 'alice' },
          body: JSON.stringify({ name: uniqueName('late') }),
        }),
      ].map((work) => work.catch((error: Error) => error));
      await api.close();
      await Promise.all(inFlight);
      // Anything left running would fail now against the closed emulators: give it the time to.
      await new Promise((done) => setTimeout(done, 1_000));

      expect(errors().slice(before)).toEqual([]);
    } finally {
      await api.close();
    }
  });

  it('leaves an approval pending at close to the next start, which resumes its workflow', async () => {
    const first = await startApi({ dataDir, driftIntervalMs: 0, uploadSweepIntervalMs: 0 });
    let id: string;
    let prepared: { env: string; model: string };
    try {
      prepared = await prepare(first);
      id = await requestApproval(first, prepared.model, prepared.env);
      await mailed(first, prepared.model, prepared.env);
    } finally {
      await first.close();
    }

    const second = await startApi({ dataDir, driftIntervalMs: 0, uploadSweepIntervalMs: 0 });
    try {
      await second.system.workflows.reconciled();
      expect((await second.call('GET', `/v1/approvals/${id}`)).body.status).toBe('PENDING');
      expect(
        runningApprovals(second).filter((e) => JSON.stringify(e.input).includes(id)),
        'the approval workflow running again',
      ).toHaveLength(1);
      expect(captured.filter(isError)).toEqual([]);
    } finally {
      await second.close();
    }
  });
});
