import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getApproval } from '#adapters/approvals-table';
import { getTarget } from '#adapters/deployments-table';
import { keys } from '#adapters/keys';
import { getModelAndVersion } from '#adapters/registry-table';
import { doc } from '#commons/clients';
import { resetConfig } from '#commons/config';
import { type IntegrationKind, THROTTLE_NAMES } from '../asl/retry-policies.ts';
import { writeDriftData } from './drift-data.ts';
import { type LocalSystem, type LocalSystemOptions, TABLE_NAME } from './system.ts';
import type { FaultSpec } from './targets.ts';
import type { TaskFault } from './workflows.ts';

/**
 * The fault matrix: for every Task state of every state machine (`statemachines/*.asl.json`), in
 * local mode,
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
 * which plans each operation differently). The Tasks that only a failure reaches (the failure
 * recorders, the reconcile loops, a rollback's retry) are found the same way: a permanent fault's
 * run that calls a Task no row covers yet becomes a path of its own, that fault kept in place
 * (`setup`), and its new Tasks are rows, their cells run with both faults. A cell holds when its
 * checks find no problem and its faults were really injected. `test/integration/fault-matrix.test.ts`
 * asserts every cell, and that every Task state of every machine is a row; `npm run bench` prints
 * the count.
 *
 * An outcome whose recorded reason says the target is left as it is for an operator (SageMaker's
 * UpdateRollbackFailed, an endpoint that never settles, a describe that failed for the whole poll
 * budget, an alias that could not be rolled back) cannot make the registry and the target agree:
 * there the registry must say so (the operation failed, with that reason), and the target is not
 * compared.
 */
export type FaultKind = 'transient' | 'permanent';

export interface Cell {
  path: string;
  /** The permanent faults kept in place to reach `state` (Task states), none for a fault-free path. */
  setup: string[];
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

export interface AslTaskState {
  machine: string;
  state: string;
  resource: string;
}

/** Every Task state of every state machine under statemachines/, inside Maps and Parallels too. */
export const aslTaskStates = (): AslTaskState[] => {
  const dir = new URL('../../statemachines/', import.meta.url);
  const out: AslTaskState[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: ASL read as plain JSON.
  const walk = (machine: string, states: Record<string, any>) => {
    for (const [state, body] of Object.entries(states)) {
      if (body.Type === 'Task') out.push({ machine, state, resource: String(body.Resource) });
      for (const inner of [body.Iterator, body.ItemProcessor]) if (inner) walk(machine, inner.States);
      for (const branch of body.Branches ?? []) walk(machine, branch.States);
    }
  };
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.asl.json'))
    .sort())
    walk(file.replace(/\.asl\.json$/, ''), JSON.parse(readFileSync(new URL(file, dir), 'utf8')).States);
  return out;
};

/**
 * The local system the matrix runs on: short waits, fast targets, no drift schedule (the drift
 * paths dispatch themselves), and a poll budget of 300 s (150 polls of 2 s, at the local wait scale
 * a few seconds), so that a reconcile loop or an endpoint that never settles runs out in seconds
 * rather than after 16,200 polls.
 */
export const FAULT_MATRIX_SYSTEM: LocalSystemOptions = {
  waitScale: 0.001,
  targetTransitionMs: 40,
  driftIntervalMs: 0,
  env: { DEPLOY_POLL_BUDGET_SECONDS: '300' },
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
/** A recorded reason that says the target was left as it is for an operator (see above). */
const LEFT_FOR_OPERATOR = /left as they are|an operator must/;

export interface MatrixPath {
  path: string;
  status: string;
  tasks: string[];
}

export const runFaultMatrix = async (
  system: LocalSystem,
  options: { log?: (line: string) => void } = {},
): Promise<{ cells: Cell[]; paths: MatrixPath[]; derived: MatrixPath[] }> => {
  const scratch = await mkdtemp(join(tmpdir(), 'steward-fault-matrix-'));
  try {
    return await runIn(system, scratch, options);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
};

const runIn = async (
  system: LocalSystem,
  scratch: string,
  options: { log?: (line: string) => void },
): Promise<{ cells: Cell[]; paths: MatrixPath[]; derived: MatrixPath[] }> => {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    principal?: string,
  ): Promise<Response> => {
    const headers: Record<string, string> = {};
    if (principal) headers['x-steward-principal'] = principal;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const send = () =>
      fetch(`${system.url}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    // A kept-alive socket that the server closes as the client reuses it (their idle timers differ
    // by a second, and under load the timers run late) fails before the server reads the request:
    // sent again on a new socket, once.
    const res = await send().catch((error: Error & { cause?: { code?: string } }) => {
      if (error.cause?.code !== 'ECONNRESET') throw error;
      return send();
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
  /** Runs `run` with faults of the simulated targets in place, and clears them after. */
  const withFault = async <T>(faults: FaultSpec | FaultSpec[], run: () => Promise<T>): Promise<T> => {
    for (const fault of [faults].flat()) system.targets.injectFault(fault);
    try {
      return await run();
    } finally {
      system.targets.clearFaults();
    }
  };

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
    const leftForOperator = LEFT_FOR_OPERATOR.test(d.statusReason ?? '');
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
      if (leftForOperator) break;
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
    if (leftForOperator) {
      // The registry says the target is left for an operator: nothing to compare it with.
    } else if (target.kind === 'sagemaker') {
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
  /** An endpoint serving v`deploy` of a model of `versions` versions, and the id of that deployment. */
  const sagemakerServing = async (versions: number, deploy: number) => {
    const name = await model(versions);
    const target = sagemaker(`steward-${name}`);
    let id = '';
    for (let v = 1; v <= deploy; v++) id = (await deployed(name, v, { target, strategy: ALL_AT_ONCE })).id;
    return { name, target, id };
  };

  /**
   * The run of a path that deploys version `v` (the model's latest) of `name` to `target` and
   * checks how it ended, with the simulated target's `faults` in place for the run (none: a plain
   * deployment).
   */
  const faultedDeploy =
    (
      name: string,
      v: number,
      target: Target,
      strategy?: Record<string, unknown>,
      faults: FaultSpec | FaultSpec[] = [],
    ) =>
    () =>
      withFault(faults, async () =>
        checkDeployment(
          name,
          v,
          await deploy(name, v, { target, ...(strategy ? { strategy } : {}) }),
          target,
          'deploy',
        ),
      );
  /** The run of a path that rolls back or takes down deployment `id`, and checks how it ended. */
  const operated =
    (name: string, versions: number, id: string, target: Target, operation: 'rollback' | 'decommission') =>
    async () => {
      const res =
        operation === 'rollback'
          ? await call('POST', `/v1/deployments/${id}/rollback`, { reason: 'fault matrix' })
          : await call('DELETE', `/v1/deployments/${id}`);
      must(operation, res, 202);
      return checkDeployment(name, versions, id, target, operation);
    };

  const PATHS: Path[] = [
    {
      name: 'SageMaker new endpoint',
      prepare: async () => {
        const name = await model(1);
        const target = sagemaker(`steward-${name}`);
        return faultedDeploy(name, 1, target, ALL_AT_ONCE);
      },
    },
    {
      name: 'SageMaker endpoint update (blue/green canary)',
      prepare: async () => {
        const { name, target } = await sagemakerServing(2, 1);
        return faultedDeploy(name, 2, target, CANARY);
      },
    },
    {
      name: 'SageMaker update rolled back by its alarm',
      prepare: async () => {
        const { name, target } = await sagemakerServing(2, 1);
        return faultedDeploy(name, 2, target, CANARY, {
          target: target.endpointName,
          alarmDuringBake: `${target.endpointName}-rollback`,
        });
      },
    },
    {
      name: 'SageMaker endpoint that fails to create (cleanup)',
      prepare: async () => {
        const name = await model(1);
        const target = sagemaker(`steward-${name}`);
        return faultedDeploy(name, 1, target, ALL_AT_ONCE, {
          target: target.endpointName,
          failAt: 'createEndpoint',
        });
      },
    },
    {
      name: 'SageMaker manual rollback',
      prepare: async () => {
        const { name, target, id } = await sagemakerServing(2, 2);
        return operated(name, 2, id, target, 'rollback');
      },
    },
    {
      name: 'SageMaker decommission',
      prepare: async () => {
        const { name, target, id } = await sagemakerServing(1, 1);
        return operated(name, 1, id, target, 'decommission');
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
        return faultedDeploy(name, 1, target);
      },
    },
    {
      name: 'Lambda alias, first version (alias created)',
      prepare: async () => {
        const { name, target } = await lambdaServing(1);
        return faultedDeploy(name, 1, target);
      },
    },
    {
      name: 'Lambda alias canary with alarm checks',
      prepare: async () => {
        const { name, target } = await lambdaServing(2);
        await deployed(name, 1, { target });
        return faultedDeploy(name, 2, target, CANARY);
      },
    },
    {
      name: 'Lambda canary rolled back by its alarm',
      prepare: async () => {
        const { name, fn, target } = await lambdaServing(2);
        await deployed(name, 1, { target });
        return faultedDeploy(name, 2, target, CANARY, { target: fn, alarmDuringBake: `${fn}-live-rollback` });
      },
    },
    {
      name: 'Lambda manual rollback',
      prepare: async () => {
        const { name, target } = await lambdaServing(2);
        await deployed(name, 1, { target });
        const second = await deployed(name, 2, { target });
        return operated(name, 2, second.id, target, 'rollback');
      },
    },
    {
      name: 'Lambda decommission',
      prepare: async () => {
        const { name, target } = await lambdaServing(1);
        const first = await deployed(name, 1, { target });
        return operated(name, 1, first.id, target, 'decommission');
      },
    },
    {
      name: 'SageMaker new endpoint with data capture',
      prepare: async () => {
        const name = await model(1);
        const target = {
          ...sagemaker(`steward-${name}`),
          dataCapture: { destinationS3Uri: 's3://steward-capture/fault-matrix/', samplingPercent: 50 },
        };
        return faultedDeploy(name, 1, target, ALL_AT_ONCE);
      },
    },
    {
      name: 'SageMaker update whose rollback fails (UpdateRollbackFailed)',
      prepare: async () => {
        const { name, target } = await sagemakerServing(2, 1);
        const endpoint = target.endpointName;
        return faultedDeploy(name, 2, target, CANARY, [
          { target: endpoint, alarmDuringBake: `${endpoint}-rollback` },
          { target: endpoint, failAt: 'updateRollback' },
        ]);
      },
    },
    {
      name: 'SageMaker update that never settles (poll budget)',
      prepare: async () => {
        const { name, target } = await sagemakerServing(2, 1);
        return faultedDeploy(name, 2, target, ALL_AT_ONCE, {
          target: target.endpointName,
          failAt: 'endpointSettle',
        });
      },
    },
    {
      name: 'Lambda alias, first version of an image function',
      prepare: async () => {
        const name = await model(1);
        const fn = unique('fm-image');
        must(
          'create function',
          await call('POST', '/local/targets/functions', { name: fn, packageType: 'Image' }),
          201,
        );
        const target = { kind: 'lambda' as const, functionName: fn, alias: 'live' };
        return faultedDeploy(name, 1, target);
      },
    },
    {
      name: 'Lambda alias, first version of a zip in a versioned bucket',
      prepare: async () => {
        const { name, target } = await lambdaServing(1);
        // The artifacts bucket is versioned on AWS, and commit records the object's version; the
        // local S3 keeps no versions, so the record gets the version id commit would have kept.
        await doc().send(
          new UpdateCommand({
            TableName: TABLE_NAME,
            Key: keys.version(name, 1),
            UpdateExpression: 'SET artifact.versionId = :v',
            ExpressionAttributeValues: { ':v': 'fm.3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY' },
          }),
        );
        return faultedDeploy(name, 1, target);
      },
    },
    ...(['approve', 'reject', 'expire'] as const).map(
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
                // No one decides, and the request expires after a second.
                ...(decision === 'expire' ? { approvalTtlHours: 1 / 3600 } : {}),
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
            return checkApproval(
              request.id as string,
              name,
              approver,
              decision === 'expire' ? undefined : decision,
            );
          };
        },
      }),
    ),
    {
      name: 'registration by reference (MLflow)',
      prepare: async () => {
        const name = unique('fm-reg');
        must('create model', await call('POST', '/api/2.0/mlflow/registered-models/create', { name }), 200);
        const folder = join(scratch, name);
        await mkdir(folder, { recursive: true });
        await writeFile(join(folder, 'MLmodel'), 'flavors: {}\n');
        await writeFile(join(folder, 'model.pkl'), `weights of ${name}\n`);
        return async () => {
          must(
            'create version',
            await call('POST', '/api/2.0/mlflow/model-versions/create', {
              name,
              source: pathToFileURL(folder).href,
            }),
            200,
          );
          return checkRegistration(name);
        };
      },
    },
    {
      name: 'drift dispatch',
      prepare: async () => {
        const { deploymentId } = await driftMonitor();
        return () => dispatchDrift(deploymentId, false);
      },
    },
    {
      name: 'drift dispatch, a window split over a Distributed Map',
      prepare: async () => {
        const { deploymentId } = await driftMonitor();
        return () => dispatchDrift(deploymentId, true);
      },
    },
  ];

  // ----- approvals -----------------------------------------------------------------------------
  const APPROVAL_ENDED = new Set(['APPROVED', 'REJECTED', 'EXPIRED', 'FAILED']);
  /** Decides once the approver has been mailed, then checks the request ended and nothing waits. */
  const checkApproval = async (
    id: string,
    name: string,
    approver: string,
    /** Undefined: no one decides (the request expires). */
    decision: 'approve' | 'reject' | undefined,
  ) => {
    let decided = false;
    let approval: { status: string; decisions: { decision: string }[] } | undefined;
    for (let i = 0; i < 2000; i++) {
      approval = must('read approval', await call('GET', `/v1/approvals/${id}`), 200);
      // Ended once the workflow (or reconcile) has recorded the outcome: a decision that reaches the
      // quorum shows APPROVED before the workflow records it.
      if (APPROVAL_ENDED.has(approval!.status) && (await getApproval(id))?.recordedAt) break;
      if (decision && !decided) {
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

  // ----- registrations by reference -----------------------------------------------------------
  /** Waits for the copy to end (by the workflow or by reconcile), then checks nothing is pending. */
  const checkRegistration = async (name: string): Promise<Ended> => {
    const read = async () => must('read version', await call('GET', `/v1/models/${name}/versions/1`), 200);
    for (let i = 0; i < 2000 && (await read()).status === 'PENDING_UPLOAD'; i++)
      await sleep(i < 100 ? 10 : 50);
    await workflows.reconciled();
    const v = await read();
    const problems: string[] = [];
    if (v.status === 'PENDING_UPLOAD') problems.push('the version is still PENDING_UPLOAD');
    const running = workflows.service.listExecutions(workflows.arns.registration, {
      statusFilter: 'RUNNING',
    });
    if (running.length) problems.push(`${running.length} registration execution(s) still run`);
    const events = (
      (await call('GET', '/local/events')).body as {
        'detail-type': string;
        detail: { model?: string; seq: string };
      }[]
    )
      .filter((e) => e.detail.model === name)
      .sort((a, b) => Number(a.detail.seq) - Number(b.detail.seq));
    const expected = v.status === 'READY' ? 'version.committed' : 'version.failed';
    const last = events.at(-1)?.['detail-type'];
    if (last !== expected) problems.push(`the last audit event is ${last ?? 'none'}, not ${expected}`);
    return { status: v.status as string, problems };
  };

  // ----- drift dispatch ------------------------------------------------------------------------
  /** A SageMaker deployment with a baseline and a monitor over three capture objects (made once). */
  let monitored: Promise<{ deploymentId: string }> | undefined;
  const driftMonitor = () => {
    monitored ??= (async () => {
      const name = await model(1);
      const dir = join(scratch, name);
      const at = new Date(Date.now() - 5 * 60_000);
      // Three objects: a window the Distributed Map splits over three children.
      const data = await writeDriftData(dir, at, {
        files: ['capture-0001.jsonl', 'capture-0002.jsonl', 'capture-0003.jsonl'],
        perFile: 100,
      });
      must(
        'baseline',
        await call('PUT', `/v1/models/${name}/versions/1/baseline`, {
          dataset: { uri: data.reference, format: 'csv' },
        }),
        200,
      );
      const d = await deployed(name, 1, { target: sagemaker(`steward-${name}`), strategy: ALL_AT_ONCE });
      must(
        'monitor',
        await call('PUT', `/v1/deployments/${d.id}/monitoring`, {
          capture: { uri: data.capture, format: 'sagemaker-capture' },
          schedule: 'rate(1 hour)',
        }),
        200,
      );
      return { deploymentId: d.id as string };
    })();
    return monitored;
  };
  const PAST = '2020-01-01T00:00:00.000Z';
  /**
   * Makes the monitor due and dispatches as the schedule does, then checks: a run recorded exactly
   * when the dispatch says it ran (none half-written by a failed one), a monitor claimed only when
   * it ran or its failure is in the dispatch's answer (one not claimed stays due, for the next
   * dispatch), and no dispatch still running.
   */
  const dispatchDrift = async (deploymentId: string, distributed: boolean): Promise<Ended> => {
    await doc().send(
      new UpdateCommand({
        TableName: TABLE_NAME,
        Key: keys.monitor(deploymentId),
        UpdateExpression: 'SET nextRunAt = :past, gsi1sk = :sk',
        ExpressionAttributeValues: { ':past': PAST, ':sk': `${PAST}#${deploymentId}` },
      }),
    );
    const runs = async () =>
      (must('list runs', await call('GET', `/v1/deployments/${deploymentId}/drift-runs`), 200).items ??
        []) as {
        id: string;
        status: string;
      }[];
    const before = new Set((await runs()).map((r) => r.id));
    // Every window is "large", and each child gets one capture object.
    const env = distributed ? { DRIFT_DISTRIBUTED_BYTES: '1', DRIFT_CHILD_BYTES: '1' } : {};
    Object.assign(process.env, env);
    resetConfig();
    let execution: { status: string; output?: { runs?: DriftIteration[] } };
    try {
      execution = (await system.dispatchDrift()) as typeof execution;
    } finally {
      for (const key of Object.keys(env)) delete process.env[key];
      resetConfig();
    }
    await workflows.reconciled();
    const problems: string[] = [];
    const mine = execution.output?.runs?.find(
      (r) => (r.result?.deploymentId ?? r.deploymentId) === deploymentId,
    );
    const status =
      execution.status !== 'SUCCEEDED'
        ? `dispatch ${execution.status}`
        : !mine
          ? 'not run'
          : mine.failed
            ? 'run failed'
            : `${mine.result?.status}${mine.result?.distributed ? ' (distributed)' : ''}`;
    const added = (await runs()).filter((r) => !before.has(r.id));
    const ran = mine?.result?.runId;
    if (ran ? added.length !== 1 || added[0]?.id !== ran : added.length !== 0)
      problems.push(`the dispatch says ${status}; ${added.length} run(s) were recorded`);
    const monitor = must('monitor', await call('GET', `/v1/deployments/${deploymentId}/monitoring`), 200);
    const due = Date.parse(monitor.nextRunAt) <= Date.now();
    if (mine && due) problems.push('the monitor ran but is still due');
    if (!mine && !due) problems.push('the monitor was claimed, but neither ran nor failed in the dispatch');
    const running = workflows.service.listExecutions(workflows.arns.drift, { statusFilter: 'RUNNING' });
    if (running.length) problems.push(`${running.length} drift dispatch(es) still run`);
    return { status, problems };
  };

  // ----- the matrix ----------------------------------------------------------------------------
  const TASKS = new Set(aslTaskStates().map((t) => t.state));
  const cells: Cell[] = [];
  const paths: MatrixPath[] = [];
  const derived: MatrixPath[] = [];
  const covered = new Set<string>();
  const permanent = (state: string, integration: IntegrationKind): TaskFault => ({
    stateName: state,
    error: PERMANENT_ERROR[integration],
    cause: `injected by the fault matrix: ${PERMANENT_ERROR[integration]}`,
  });
  /** One run of a path with `faults` injected after its set-up: how it ended, and what it called. */
  const runWith = async (path: Path, faults: TaskFault[]) => {
    const run = await path.prepare();
    workflows.clearTaskFaults();
    for (const fault of faults) workflows.injectTaskFault(fault);
    const ended = await run();
    const injected = new Map(workflows.taskFaults().map((f) => [f.stateName, f.injected]));
    const called = new Map<string, string>();
    for (const c of workflows.taskCalls())
      if (TASKS.has(c.stateName) && !called.has(c.stateName)) called.set(c.stateName, c.resource);
    workflows.clearTaskFaults();
    return { ended, injected, called };
  };
  interface Row {
    path: Path;
    label: string;
    setup: TaskFault[];
    status: string;
    called: Map<string, string>;
  }
  /** The cells of every Task a row calls that no row covers yet; a run that reaches new Tasks is a row. */
  const cellsOf = async (row: Row, queue: Row[]) => {
    for (const [state, resource] of row.called) {
      if (!(state === 'Prepare' && row.setup.length === 0) && covered.has(state)) continue;
      covered.add(state);
      const integration = integrationOf(resource);
      const faults: [FaultKind, string][] = [
        ...THROTTLE_NAMES[integration].map((error): [FaultKind, string] => ['transient', error]),
        ['permanent', PERMANENT_ERROR[integration]],
      ];
      for (const [kind, error] of faults) {
        const fault: TaskFault = {
          stateName: state,
          error,
          cause: `injected by the fault matrix: ${error}`,
          ...(kind === 'transient' ? { times: 1 } : {}),
        };
        const { ended, injected, called } = await runWith(row.path, [...row.setup, fault]);
        const problems = [...ended.problems];
        if (!injected.get(state)) problems.push('the fault was never injected');
        for (const setup of row.setup)
          if (!injected.get(setup.stateName))
            problems.push(`the set-up fault at ${setup.stateName} was never injected`);
        if (kind === 'transient' && ended.status !== row.status)
          problems.push(`ended ${ended.status}, not ${row.status} as without the fault`);
        const cell: Cell = {
          path: row.label,
          setup: row.setup.map((f) => f.stateName),
          state,
          integration,
          kind,
          error,
          status: ended.status,
          expected: row.status,
          injected: injected.get(state) ?? 0,
          problems,
          held: problems.length === 0,
        };
        cells.push(cell);
        options.log?.(formatCell(cell));
        if (kind === 'permanent' && [...called.keys()].some((s) => !covered.has(s))) {
          const next: Row = {
            path: row.path,
            label: `${row.label}, ${state} failing`,
            setup: [...row.setup, permanent(state, integration)],
            status: ended.status,
            called,
          };
          queue.push(next);
          derived.push({ path: next.label, status: next.status, tasks: [...called.keys()] });
        }
      }
    }
  };
  const queue: Row[] = [];
  for (const path of PATHS) {
    const base = await runWith(path, []);
    if (base.ended.problems.length)
      throw new Error(`${path.name} without a fault: ${base.ended.problems.join('; ')}`);
    paths.push({ path: path.name, status: base.ended.status, tasks: [...base.called.keys()] });
    options.log?.(`${path.name}: ${base.ended.status} through ${[...base.called.keys()].join(', ')}`);
    await cellsOf(
      { path, label: path.name, setup: [], status: base.ended.status, called: base.called },
      queue,
    );
  }
  // The Tasks only failures reach, breadth first: each found by the fewest faults kept in place.
  for (let row = queue.shift(); row; row = queue.shift()) await cellsOf(row, queue);
  return { cells, paths, derived };
};

interface DriftIteration {
  deploymentId?: string;
  failed?: boolean;
  result?: { deploymentId: string; runId?: string; status?: string; distributed?: boolean };
}

export const formatCell = (c: Cell): string =>
  `${c.held ? 'held    ' : 'NOT HELD'} ${c.state.padEnd(30)} ${c.kind.padEnd(9)} ${c.error.padEnd(42)} -> ${c.status.padEnd(15)}${c.setup.length ? ` (with ${c.setup.join(', ')} failing)` : ''}${c.problems.length ? ` ${c.problems.join('; ')}` : ''}`;

/** The matrix as printed by the test and the bench: a count line, then one line per cell. */
export const formatMatrix = (cells: readonly Cell[]): string =>
  [
    `faultMatrix cells=${cells.length} held=${cells.filter((c) => c.held).length} states=${new Set(cells.map((c) => c.state)).size}`,
    ...cells.map(formatCell),
  ].join('\n');
