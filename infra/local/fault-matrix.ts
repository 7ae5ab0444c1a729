import { createHash } from 'node:crypto';
import { getApproval } from '#adapters/approvals-table';
import { getTarget } from '#adapters/deployments-table';
import { getModelAndVersion } from '#adapters/registry-table';
import { type IntegrationKind, THROTTLE_NAMES } from '../asl/retry-policies.ts';
import type { LocalSystem } from './system.ts';

/**
 * The fault matrix: for every Task state each workflow path runs through, in local mode,
 *
 * - (a) one transient fault, in every spelling AWS may give a throttle of that integration
 *   (`THROTTLE_NAMES`), is retried and the path ends exactly as without it;
 * - (b) a permanent fault (every call of that Task fails) ends the path in a terminal status with
 *   nothing left locked (the target free, no version still marked as deploying, no approval left
 *   pending), the registry and the simulated target in agreement (what the registry says serves is
 *   what the endpoint or alias serves), and the outcome's audit event last.
 *
 * The rows are found, not listed: each path first runs without a fault, and every Task state it
 * called is a row (a state already covered by an earlier path is not run again, except `Prepare`,
 * which plans each operation differently). A cell holds when its checks find no problem and the
 * fault was really injected. `test/integration/fault-matrix.test.ts` asserts every cell; `npm run
 * bench` prints the count.
 */
export type FaultKind = 'transient' | 'permanent';

export interface Cell {
  path: string;
  state: string;
  integration: IntegrationKind;
  kind: FaultKind;
  error: string;
  /** The status the path ended in (deployment or approval status). */
  status: string;
  /** The status the path ends in without a fault. */
  expected: string;
  injected: number;
  problems: string[];
  held: boolean;
}

/** A persistent error of each integration: not retried, or retried until the retries are spent. */
export const PERMANENT_ERROR: Record<IntegrationKind, string> = {
  // The task function itself failing (a crash, an unhandled error).
  'lambda-invoke': 'Lambda.Unknown',
  sagemaker: 'SageMaker.ResourceLimitExceededException',
  // An outage that outlasts the retries (the SDK's base exception: an unmodeled 5xx or throttle).
  'sdk-sagemaker': 'SageMaker.SageMakerException',
  'sdk-lambda': 'Lambda.InvalidParameterValueException',
  'sdk-cloudwatch': 'CloudWatch.CloudWatchException',
};

/** The integration a Task's `Resource` names. */
export const integrationOf = (resource: string): IntegrationKind => {
  const sdk = /:::aws-sdk:([a-z]+):/.exec(resource);
  if (sdk) return `sdk-${sdk[1]}` as IntegrationKind;
  if (/:::sagemaker:/.test(resource)) return 'sagemaker';
  if (/:::lambda:invoke/.test(resource)) return 'lambda-invoke';
  throw new Error(`no retry policy is known for ${resource}`);
};

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

interface Response {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the matrix reads a few known fields of API answers.
  body: any;
  text: string;
}

/** What a path's run ends in: its status, and the problems the checks found. */
interface Ended {
  status: string;
  problems: string[];
}

interface Path {
  name: string;
  /** Sets up what the path needs (without faults) and returns the run that the faults hit. */
  prepare(): Promise<() => Promise<Ended>>;
}

const IMAGE = {
  uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn',
  digest: `sha256:${'f'.repeat(64)}`,
};

const DEPLOY_OUTCOMES = new Set([
  'succeeded',
  'failed',
  'rolled-back',
  'decommissioned',
  'rollback-failed',
  'decommission-failed',
  'failed-to-start',
]);
const TRANSITIONAL = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting']);

export const runFaultMatrix = async (
  system: LocalSystem,
  options: { log?: (line: string) => void } = {},
): Promise<{ cells: Cell[]; paths: { path: string; status: string; tasks: string[] }[] }> => {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    principal?: string,
  ): Promise<Response> => {
    const headers: Record<string, string> = {};
    if (principal) headers['x-steward-principal'] = principal;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${system.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed, text };
  };
  const must = (what: string, res: Response, status: number) => {
    if (res.status !== status) throw new Error(`${what}: ${res.status} ${res.text}`);
    return res.body;
  };
  const workflows = system.workflows;

  // ----- registry fixtures ---------------------------------------------------------------------
  const version = async (model: string, bytes: Buffer, extra: Record<string, unknown>) => {
    const reg = must(
      'register',
      await call('POST', `/v1/models/${model}/versions`, {
        artifact: { sha256: sha256(bytes), sizeBytes: bytes.length, ...extra },
        lineage: { image: IMAGE },
      }),
      201,
    );
    const put = await fetch(reg.upload.url, {
      method: reg.upload.method,
      headers: reg.upload.headers,
      body: bytes,
    });
    if (put.status !== 200) throw new Error(`upload: ${put.status}`);
    must('commit', await call('POST', `/v1/models/${model}/versions/${reg.version}/commit`), 200);
  };
  const model = async (versions: number, fileName = 'model.bin') => {
    const name = unique('fm');
    must('create model', await call('POST', '/v1/models', { name }), 201);
    for (let i = 0; i < versions; i++) await version(name, Buffer.from(`${name}-${i}`), { fileName });
    return name;
  };

  // ----- deployments ---------------------------------------------------------------------------
  /** The record once the operation has recorded its outcome (by the workflow or by reconcile). */
  const settle = async (id: string, operation: string) => {
    for (let i = 0; i < 2000; i++) {
      const d = must('read deployment', await call('GET', `/v1/deployments/${id}`), 200);
      if (d.operation === operation && DEPLOY_OUTCOMES.has(d.history.at(-1)?.step ?? '')) {
        await workflows.reconciled();
        return d;
      }
      await sleep(i < 100 ? 10 : 50);
    }
    throw new Error(`deployment ${id} (${operation}) never recorded an outcome`);
  };
  const deploy = async (name: string, v: number, body: Record<string, unknown>) => {
    const res = await call('POST', `/v1/models/${name}/versions/${v}/deployments`, {
      environment: 'dev',
      ...body,
    });
    return must('deploy', res, 202).id as string;
  };
  const deployed = async (name: string, v: number, body: Record<string, unknown>) => {
    const d = await settle(await deploy(name, v, body), 'deploy');
    if (d.status !== 'SUCCEEDED') throw new Error(`the setup deployment ended ${d.status}`);
    return d;
  };

  type Target =
    | { kind: 'sagemaker'; endpointName: string; instanceType: string }
    | { kind: 'lambda'; functionName: string; alias: string }
    | {
        kind: 'sagemaker-batch';
        jobPrefix: string;
        inputUri: string;
        outputUri: string;
        instanceType: string;
      };

  /** Waits for the simulated target to stop moving, then checks the registry against it. */
  const checkDeployment = async (
    name: string,
    versions: number,
    id: string,
    target: Target,
    operation: string,
  ) => {
    const d = await settle(id, operation);
    const problems: string[] = [];
    const targetId =
      target.kind === 'sagemaker'
        ? `sagemaker:${target.endpointName}`
        : target.kind === 'lambda'
          ? `lambda:${target.functionName}:${target.alias}`
          : d.targetId;
    // biome-ignore lint/suspicious/noExplicitAny: the simulated targets' views are plain JSON.
    let state: any;
    for (let i = 0; i < 400; i++) {
      state = system.targets.state();
      const endpoint = target.kind === 'sagemaker' ? state.endpoints[target.endpointName] : undefined;
      const job =
        target.kind === 'sagemaker-batch'
          ? state.transformJobs[d.resources?.transformJobName ?? '']
          : undefined;
      if (!TRANSITIONAL.has(endpoint?.EndpointStatus) && job?.TransformJobStatus !== 'InProgress') break;
      await sleep(20);
    }
    const record = await getTarget(d.environment, d.targetId ?? targetId);
    if (record?.busyWith) problems.push(`the target is still busy with ${record.busyWith}`);
    for (let v = 1; v <= versions; v++) {
      const { version: item } = await getModelAndVersion(name, v);
      const deploying = [...((item?.deployingIds as Iterable<string> | undefined) ?? [])];
      if (deploying.length) problems.push(`version ${v} is still marked deploying (${deploying.join(', ')})`);
    }
    const current = record?.current;
    if (target.kind === 'sagemaker') {
      const endpoint = state.endpoints[target.endpointName];
      if (current) {
        if (
          endpoint?.EndpointStatus !== 'InService' ||
          endpoint.EndpointConfigName !== current.resources.endpointConfigName
        )
          problems.push(
            `the registry says v${current.version} (${current.resources.endpointConfigName}) serves; the endpoint is ${endpoint?.EndpointStatus ?? 'absent'} on ${endpoint?.EndpointConfigName}`,
          );
      } else if (endpoint?.EndpointStatus === 'InService')
        problems.push(`the registry says nothing serves; the endpoint serves ${endpoint.EndpointConfigName}`);
    } else if (target.kind === 'lambda') {
      const alias = state.functions[target.functionName]?.aliases?.[target.alias];
      const weights = Object.keys(alias?.RoutingConfig?.AdditionalVersionWeights ?? {});
      if (current) {
        if (alias?.FunctionVersion !== current.resources.lambdaVersion || weights.length)
          problems.push(
            `the registry says version ${current.resources.lambdaVersion} serves; the alias is on ${alias?.FunctionVersion ?? 'nothing'}${weights.length ? ` with weights on ${weights}` : ''}`,
          );
      } else if (alias)
        problems.push(`the registry says nothing serves; the alias points to ${alias.FunctionVersion}`);
    } else {
      const job = state.transformJobs[d.resources?.transformJobName ?? ''];
      if ((d.status === 'SUCCEEDED') !== (job?.TransformJobStatus === 'Completed'))
        problems.push(
          `the registry says ${d.status}; the transform job is ${job?.TransformJobStatus ?? 'absent'}`,
        );
    }
    const events = (
      (await call('GET', '/local/events')).body as {
        'detail-type': string;
        detail: { target: string; seq: string };
      }[]
    )
      .filter((e) => e.detail.target?.includes(id))
      .sort((a, b) => Number(a.detail.seq) - Number(b.detail.seq));
    const last = events.at(-1)?.['detail-type'];
    if (last !== `deployment.${d.history.at(-1)?.step}`)
      problems.push(`the last audit event is ${last ?? 'none'}, not deployment.${d.history.at(-1)?.step}`);
    return { status: d.status as string, problems };
  };

  const sagemaker = (endpointName: string) => ({
    kind: 'sagemaker' as const,
    endpointName,
    instanceType: 'ml.m5.large',
  });
  const ALL_AT_ONCE = { kind: 'all-at-once', bakeMinutes: 0 };
  const CANARY = { kind: 'canary', percent: 10, bakeMinutes: 1 };
  /** A function with an alias serving v1 of a zip model (rollback alarm created, OK). */
  const lambdaServing = async (versions: number) => {
    const name = await model(versions, 'handler.zip');
    const fn = unique('fm-fn');
    must('create function', await call('POST', '/local/targets/functions', { name: fn }), 201);
    const target = { kind: 'lambda' as const, functionName: fn, alias: 'live' };
    system.targets.setAlarm(`${fn}-live-rollback`, 'OK');
    return { name, fn, target };
  };
  const sagemakerServing = async (versions: number, deploy: number) => {
    const name = await model(versions);
    const target = sagemaker(`steward-${name}`);
    for (let v = 1; v <= deploy; v++) await deployed(name, v, { target, strategy: ALL_AT_ONCE });
    return { name, target };
  };

  const PATHS: Path[] = [
    {
      name: 'SageMaker new endpoint',
      prepare: async () => {
        const name = await model(1);
        const target = sagemaker(`steward-${name}`);
        return async () =>
          checkDeployment(
            name,
            1,
            await deploy(name, 1, { target, strategy: ALL_AT_ONCE }),
            target,
            'deploy',
          );
      },
    },
    {
      name: 'SageMaker endpoint update (blue/green canary)',
      prepare: async () => {
        const { name, target } = await sagemakerServing(2, 1);
        return async () =>
          checkDeployment(name, 2, await deploy(name, 2, { target, strategy: CANARY }), target, 'deploy');
      },
    },
    {
      name: 'SageMaker update rolled back by its alarm',
      prepare: async () => {
        const { name, target } = await sagemakerServing(2, 1);
        return async () => {
          system.targets.injectFault({
            target: target.endpointName,
            alarmDuringBake: `${target.endpointName}-rollback`,
          });
          try {
            return await checkDeployment(
              name,
              2,
              await deploy(name, 2, { target, strategy: CANARY }),
              target,
              'deploy',
            );
          } finally {
            system.targets.clearFaults();
          }
        };
      },
    },
    {
      name: 'SageMaker endpoint that fails to create (cleanup)',
      prepare: async () => {
        const name = await model(1);
        const target = sagemaker(`steward-${name}`);
        return async () => {
          system.targets.injectFault({ target: target.endpointName, failAt: 'createEndpoint' });
          try {
            return await checkDeployment(
              name,
              1,
              await deploy(name, 1, { target, strategy: ALL_AT_ONCE }),
              target,
              'deploy',
            );
          } finally {
            system.targets.clearFaults();
          }
        };
      },
    },
    {
      name: 'SageMaker manual rollback',
      prepare: async () => {
        const { name, target } = await sagemakerServing(2, 2);
        const second = must(
          'read target',
          await call('GET', `/v1/environments/dev/served?target=sagemaker:${target.endpointName}`),
          200,
        );
        const id = (second.items as { deploymentId: string; to?: string }[]).find((s) => !s.to)!.deploymentId;
        return async () => {
          must(
            'rollback',
            await call('POST', `/v1/deployments/${id}/rollback`, { reason: 'fault matrix' }),
            202,
          );
          return checkDeployment(name, 2, id, target, 'rollback');
        };
      },
    },
    {
      name: 'SageMaker decommission',
      prepare: async () => {
        const { name, target } = await sagemakerServing(1, 1);
        const served = must(
          'read target',
          await call('GET', `/v1/environments/dev/served?target=sagemaker:${target.endpointName}`),
          200,
        );
        const id = (served.items as { deploymentId: string; to?: string }[]).find((s) => !s.to)!.deploymentId;
        return async () => {
          must('decommission', await call('DELETE', `/v1/deployments/${id}`), 202);
          return checkDeployment(name, 1, id, target, 'decommission');
        };
      },
    },
    {
      name: 'SageMaker batch transform',
      prepare: async () => {
        const name = await model(1);
        const target = {
          kind: 'sagemaker-batch' as const,
          jobPrefix: 'steward-fm',
          inputUri: 's3://data/in/',
          outputUri: 's3://data/out/',
          instanceType: 'ml.m5.xlarge',
        };
        return async () => checkDeployment(name, 1, await deploy(name, 1, { target }), target, 'deploy');
      },
    },
    {
      name: 'Lambda alias, first version (alias created)',
      prepare: async () => {
        const { name, target } = await lambdaServing(1);
        return async () => checkDeployment(name, 1, await deploy(name, 1, { target }), target, 'deploy');
      },
    },
    {
      name: 'Lambda alias canary with alarm checks',
      prepare: async () => {
        const { name, target } = await lambdaServing(2);
        await deployed(name, 1, { target });
        return async () =>
          checkDeployment(name, 2, await deploy(name, 2, { target, strategy: CANARY }), target, 'deploy');
      },
    },
    {
      name: 'Lambda canary rolled back by its alarm',
      prepare: async () => {
        const { name, fn, target } = await lambdaServing(2);
        await deployed(name, 1, { target });
        return async () => {
          system.targets.injectFault({ target: fn, alarmDuringBake: `${fn}-live-rollback` });
          try {
            return await checkDeployment(
              name,
              2,
              await deploy(name, 2, { target, strategy: CANARY }),
              target,
              'deploy',
            );
          } finally {
            system.targets.clearFaults();
          }
        };
      },
    },
    {
      name: 'Lambda manual rollback',
      prepare: async () => {
        const { name, target } = await lambdaServing(2);
        await deployed(name, 1, { target });
        const second = await deployed(name, 2, { target });
        return async () => {
          must(
            'rollback',
            await call('POST', `/v1/deployments/${second.id}/rollback`, { reason: 'fault matrix' }),
            202,
          );
          return checkDeployment(name, 2, second.id, target, 'rollback');
        };
      },
    },
    {
      name: 'Lambda decommission',
      prepare: async () => {
        const { name, target } = await lambdaServing(1);
        const first = await deployed(name, 1, { target });
        return async () => {
          must('decommission', await call('DELETE', `/v1/deployments/${first.id}`), 202);
          return checkDeployment(name, 1, first.id, target, 'decommission');
        };
      },
    },
    ...(['approve', 'reject'] as const).map(
      (decision): Path => ({
        name: `approval (${decision})`,
        prepare: async () => {
          const name = await model(1);
          const env = unique('fm-env').toLowerCase().slice(0, 32);
          const approver = `${env}@example.com`;
          must(
            'environment',
            await call(
              'PUT',
              `/v1/environments/${env}`,
              {
                approval: { required: true, groups: [{ name: 'ops', members: [approver], minApprovals: 1 }] },
              },
              'admin',
            ),
            200,
          );
          return async () => {
            const request = must(
              'request approval',
              await call('POST', `/v1/models/${name}/versions/1/approvals`, { environment: env }),
              202,
            );
            return checkApproval(request.id as string, name, approver, decision);
          };
        },
      }),
    ),
  ];

  // ----- approvals -----------------------------------------------------------------------------
  const APPROVAL_ENDED = new Set(['APPROVED', 'REJECTED', 'EXPIRED', 'FAILED']);
  /** Decides once the approver has been mailed, then checks the request ended and nothing waits. */
  const checkApproval = async (
    id: string,
    name: string,
    approver: string,
    decision: 'approve' | 'reject',
  ) => {
    let decided = false;
    let approval: { status: string; decisions: { decision: string }[] } | undefined;
    for (let i = 0; i < 2000; i++) {
      approval = must('read approval', await call('GET', `/v1/approvals/${id}`), 200);
      // Ended once the workflow (or reconcile) has recorded the outcome: a decision that reaches the
      // quorum shows APPROVED before the workflow records it.
      if (APPROVAL_ENDED.has(approval!.status) && (await getApproval(id))?.recordedAt) break;
      if (!decided) {
        const mails = (await call('GET', '/local/outbox')).body as { to: string; subject: string }[];
        if (mails.some((m) => m.to === approver && m.subject.includes(`${name} version`))) {
          must('decide', await call('POST', `/v1/approvals/${id}/decisions`, { decision }, approver), 200);
          decided = true;
        }
      }
      await sleep(i < 100 ? 10 : 50);
    }
    await workflows.reconciled();
    approval = must('read approval', await call('GET', `/v1/approvals/${id}`), 200);
    const problems: string[] = [];
    const status = approval!.status;
    if (!APPROVAL_ENDED.has(status)) problems.push(`the request is still ${status}`);
    const item = await getApproval(id);
    if (APPROVAL_ENDED.has(status) && !item?.recordedAt) problems.push('no outcome was recorded');
    if (status === 'APPROVED' && !approval!.decisions.some((d) => d.decision === 'approve'))
      problems.push('APPROVED without an approving decision');
    if (status === 'REJECTED' && !approval!.decisions.some((d) => d.decision === 'reject'))
      problems.push('REJECTED without a rejecting decision');
    const waiting = workflows.service.pendingTaskTokens().length;
    if (waiting) problems.push(`${waiting} callback task(s) still wait`);
    return { status, problems };
  };

  // ----- the matrix ----------------------------------------------------------------------------
  const cells: Cell[] = [];
  const paths: { path: string; status: string; tasks: string[] }[] = [];
  const covered = new Set<string>();
  for (const path of PATHS) {
    const run = await path.prepare();
    workflows.clearTaskFaults();
    const base = await run();
    if (base.problems.length) throw new Error(`${path.name} without a fault: ${base.problems.join('; ')}`);
    const called = new Map<string, string>();
    for (const c of workflows.taskCalls()) if (!called.has(c.stateName)) called.set(c.stateName, c.resource);
    paths.push({ path: path.name, status: base.status, tasks: [...called.keys()] });
    options.log?.(`${path.name}: ${base.status} through ${[...called.keys()].join(', ')}`);
    for (const [state, resource] of called) {
      if (state !== 'Prepare' && covered.has(state)) continue;
      covered.add(state);
      const integration = integrationOf(resource);
      const faults: [FaultKind, string][] = [
        ...THROTTLE_NAMES[integration].map((error): [FaultKind, string] => ['transient', error]),
        ['permanent', PERMANENT_ERROR[integration]],
      ];
      for (const [kind, error] of faults) {
        const attempt = await path.prepare();
        workflows.clearTaskFaults();
        workflows.injectTaskFault({
          stateName: state,
          error,
          cause: `injected by the fault matrix: ${error}`,
          ...(kind === 'transient' ? { times: 1 } : {}),
        });
        const ended = await attempt();
        const injected = workflows.taskFaults()[0]?.injected ?? 0;
        workflows.clearTaskFaults();
        const problems = [...ended.problems];
        if (injected === 0) problems.push('the fault was never injected');
        if (kind === 'transient' && ended.status !== base.status)
          problems.push(`ended ${ended.status}, not ${base.status} as without the fault`);
        const cell: Cell = {
          path: path.name,
          state,
          integration,
          kind,
          error,
          status: ended.status,
          expected: base.status,
          injected,
          problems,
          held: problems.length === 0,
        };
        cells.push(cell);
        options.log?.(formatCell(cell));
      }
    }
  }
  return { cells, paths };
};

export const formatCell = (c: Cell): string =>
  `${c.held ? 'held    ' : 'NOT HELD'} ${c.state.padEnd(26)} ${c.kind.padEnd(9)} ${c.error.padEnd(42)} -> ${c.status.padEnd(15)}${c.problems.length ? ` ${c.problems.join('; ')}` : ''}`;

/** The matrix as printed by the test and the bench: a count line, then one line per cell. */
export const formatMatrix = (cells: readonly Cell[]): string =>
  [
    `faultMatrix cells=${cells.length} held=${cells.filter((c) => c.held).length} states=${new Set(cells.map((c) => c.state)).size}`,
    ...cells.map(formatCell),
  ].join('\n');
