import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './local-api.ts';
import { createModel, eventsOf, publishVersion, uniqueName } from './registry-fixtures.ts';

/**
 * The fault matrix, in local mode, for every Task state a SageMaker endpoint deployment passes
 * through: (a) one transient fault, named as AWS names it for that integration, is retried and the
 * deployment ends exactly as without it; (b) a permanent fault ends it in a terminal status with an
 * audit event (the workflow's Catch, or reconcile when the task that records the outcome is the one
 * failing). The matrix (state x fault, held or not, and whether the registry and the simulated
 * endpoint agree) is printed with its size.
 */
const IMAGE = {
  uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn',
  digest: `sha256:${'e'.repeat(64)}`,
};

/** The Task states of the path, with the transient and permanent error each integration raises. */
const STATES: { state: string; transient: string; permanent: string }[] = [
  { state: 'Prepare', transient: 'Lambda.TooManyRequestsException', permanent: 'Lambda.Unknown' },
  {
    state: 'SmCreateModel',
    transient: 'SageMaker.AmazonSageMakerException',
    permanent: 'SageMaker.ResourceLimitExceededException',
  },
  {
    state: 'SmCreateConfig',
    transient: 'SageMaker.AmazonSageMakerException',
    permanent: 'SageMaker.ResourceLimitExceededException',
  },
  { state: 'SmProgressCreate', transient: 'Lambda.ServiceException', permanent: 'Lambda.Unknown' },
  {
    state: 'SmCreateEndpoint',
    transient: 'SageMaker.AmazonSageMakerException',
    permanent: 'SageMaker.ResourceLimitExceededException',
  },
  {
    state: 'SmDescribe',
    transient: 'SageMaker.ThrottlingException',
    permanent: 'SageMaker.SageMakerException',
  },
  { state: 'SmSucceeded', transient: 'Lambda.TooManyRequestsException', permanent: 'Lambda.Unknown' },
];

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'ROLLED_BACK']);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

let api: Api;
let model: string;
beforeAll(async () => {
  api = await startApi({ waitScale: 0.002, targetTransitionMs: 100, driftIntervalMs: 0 });
  model = uniqueName('faults');
  await createModel(api, model);
  await publishVersion(api, model, Buffer.from('v1'), { lineage: { image: IMAGE } });
});
afterAll(() => api?.close());

interface Cell {
  state: string;
  fault: string;
  status: string;
  held: boolean;
  agree: boolean;
}
const cells: Cell[] = [];

/** One deployment to a fresh endpoint, with `fault` injected; its final record and endpoint. */
const run = async (endpoint: string, fault?: { stateName: string; error: string; times?: number }) => {
  api.system.workflows.clearTaskFaults();
  if (fault) api.system.workflows.injectTaskFault({ ...fault, cause: `injected ${fault.error}` });
  const res = await api.call('POST', `/v1/models/${model}/versions/1/deployments`, {
    body: {
      environment: 'dev',
      target: { kind: 'sagemaker', endpointName: endpoint, instanceType: 'ml.m5.large' },
      strategy: { kind: 'all-at-once', bakeMinutes: 0 },
    },
  });
  expect(res.status, res.text).toBe(202);
  const id = res.body.id as string;
  for (let i = 0; i < 600; i++) {
    const d = (await api.call('GET', `/v1/deployments/${id}`)).body;
    if (TERMINAL.has(d.status)) {
      await api.system.workflows.reconciled();
      const endpointState = api.system.targets.state().endpoints[endpoint] as
        | { EndpointStatus?: string; EndpointConfigName?: string }
        | undefined;
      const audit = (await eventsOf(api, model)).filter((e) => e.detail.target.includes(id));
      return { id, deployment: d, endpoint: endpointState, audit };
    }
    await sleep(25);
  }
  throw new Error(`deployment ${id} did not end`);
};

/** The registry and the simulated endpoint agree: serving iff the record says SUCCEEDED. */
const agrees = (status: string, endpoint: { EndpointStatus?: string } | undefined) =>
  status === 'SUCCEEDED'
    ? endpoint?.EndpointStatus === 'InService'
    : endpoint?.EndpointStatus !== 'InService';

describe('fault matrix: SageMaker endpoint deployment', () => {
  it('without a fault, the deployment SUCCEEDS and the endpoint serves it', async () => {
    const { deployment, endpoint } = await run(`steward-${model}-base`);

    expect(deployment.status).toBe('SUCCEEDED');
    expect(endpoint?.EndpointStatus).toBe('InService');
  });

  it.each(STATES)('$state: one $transient is retried and the deployment ends as without it', async (row) => {
    const { deployment, endpoint, audit } = await run(`steward-${model}-t-${row.state.toLowerCase()}`, {
      stateName: row.state,
      error: row.transient,
      times: 1,
    });
    const held = deployment.status === 'SUCCEEDED' && endpoint?.EndpointStatus === 'InService';
    cells.push({
      state: row.state,
      fault: `transient ${row.transient}`,
      status: deployment.status,
      held,
      agree: agrees(deployment.status, endpoint),
    });

    expect(deployment.status).toBe('SUCCEEDED');
    expect(endpoint?.EndpointStatus).toBe('InService');
    expect(audit.length).toBeGreaterThan(0);
  });

  it.each(STATES)(
    '$state: a permanent $permanent ends the deployment terminal, audited, target free',
    async (row) => {
      const { deployment, endpoint, audit } = await run(`steward-${model}-p-${row.state.toLowerCase()}`, {
        stateName: row.state,
        error: row.permanent,
      });
      const ended = deployment.status === 'FAILED' || deployment.status === 'ROLLED_BACK';
      const last = audit.at(-1)?.['detail-type'] ?? '';
      cells.push({
        state: row.state,
        fault: `permanent ${row.permanent}`,
        status: deployment.status,
        held: ended,
        agree: agrees(deployment.status, endpoint),
      });

      expect(['FAILED', 'ROLLED_BACK']).toContain(deployment.status);
      expect(last).toMatch(/^deployment\./);
      // The target is free: the next deployment to it is accepted.
      api.system.workflows.clearTaskFaults();
      const next = await api.call('POST', `/v1/models/${model}/versions/1/deployments`, {
        body: {
          environment: 'dev',
          target: {
            kind: 'sagemaker',
            endpointName: `steward-${model}-p-${row.state.toLowerCase()}`,
            instanceType: 'ml.m5.large',
          },
          strategy: { kind: 'all-at-once', bakeMinutes: 0 },
        },
      });
      expect(next.status, next.text).toBe(202);
      // Let it end before the system closes under it.
      for (let i = 0; i < 600; i++) {
        if (TERMINAL.has((await api.call('GET', `/v1/deployments/${next.body.id}`)).body.status)) break;
        await sleep(25);
      }
      await api.system.workflows.reconciled();
    },
  );

  afterAll(() => {
    const lines = cells.map(
      (c) =>
        `${c.state.padEnd(18)} ${c.fault.padEnd(52)} ${c.status.padEnd(12)} ${c.held ? 'held' : 'NOT HELD'}  ${c.agree ? 'registry = endpoint' : 'registry != endpoint'}`,
    );
    console.log(
      [
        `fault matrix: ${STATES.length} Task states x 2 faults = ${cells.length} cells, ${cells.filter((c) => c.held).length} held`,
        ...lines,
      ].join('\n'),
    );
  });
});
