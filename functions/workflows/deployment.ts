import * as z from 'zod';
import { retryOnConflict } from '#adapters/audit-chain';
import {
  type DeploymentItem,
  type DeploymentResources,
  finishOperation,
  getDeployment,
  getTarget,
  type Outcome,
  recordStep,
} from '#adapters/deployments-table';
import { resolveEnvironment } from '#adapters/environments-table';
import { getModel, getVersion } from '#adapters/registry-table';
import { config } from '#commons/config';
import { ENV, TASK_ERRORS } from '#commons/facts';
import { taskHandler } from '#commons/task';
import { s3Uri } from '#domain/artifact';
import { blueGreenPolicy, resourceName, Strategy, trafficSteps } from '#domain/deployment';

/**
 * The task handlers of statemachines/deployment.asl.json: `prepare` turns a deployment record into
 * the plan the state machine follows (names, role, traffic steps, what to roll back to),
 * `progress` records a step, `finish` records the outcome and what serves now.
 */
export class PlanError extends Error {
  override readonly name = TASK_ERRORS.planError;
}

/** What each task of the machine is sent (its Payload in statemachines/deployment.asl.json). */
const Operation = z.enum(['deploy', 'rollback', 'decommission']);
const PrepareEvent = z.object({ deploymentId: z.string().min(1), operation: Operation });
const ProgressEvent = z.object({ deploymentId: z.string().min(1), step: z.string().min(1) });
const optionalText = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);
/** The parts of the execution's state (`state.$: $`) that finish reads; the rest passes unread. */
export const FinishState = z.looseObject({
  plan: z
    .looseObject({
      sagemaker: z.looseObject({ modelName: optionalText, endpointConfigName: optionalText }).optional(),
      batch: z.looseObject({ transformJobName: optionalText }).optional(),
    })
    .optional(),
  published: z.looseObject({ version: optionalText }).optional(),
  previous: z.looseObject({ version: optionalText }).optional(),
  error: z.looseObject({ Error: optionalText, Cause: optionalText }).optional(),
  endpoint: z.looseObject({ status: optionalText }).optional(),
});
type FinishState = z.infer<typeof FinishState>;
const FinishEvent = z.object({
  deploymentId: z.string().min(1),
  operation: Operation,
  outcome: z.enum([
    'SUCCEEDED',
    'FAILED',
    'ROLLED_BACK',
    'ROLLBACK_FAILED',
    'DECOMMISSIONED',
    'DECOMMISSION_FAILED',
  ]) satisfies z.ZodType<Outcome>,
  state: FinishState.optional(),
  reason: z.string().optional(),
});
const deploymentKeys = (input: { deploymentId: string }) => ({ deploymentId: input.deploymentId });

const load = async (id: string): Promise<DeploymentItem> => {
  const d = await getDeployment(id);
  if (!d) throw new PlanError(`deployment ${id} does not exist`);
  return d;
};

const step = (
  d: DeploymentItem,
  name: string,
  detail?: Record<string, unknown>,
  set?: Record<string, unknown>,
) =>
  retryOnConflict(async () => {
    const head = await getModel(d.model);
    if (!head) throw new PlanError(`model ${d.model} does not exist`);
    await recordStep(head, d, name, new Date().toISOString(), detail, set);
  });

const imageOf = (lineage: { image?: { uri: string; digest: string } }) =>
  lineage.image ? `${lineage.image.uri}@${lineage.image.digest}` : undefined;

const prepareOperation = async (event: z.infer<typeof PrepareEvent>) => {
  const d = await load(event.deploymentId);
  if (d.operation !== event.operation)
    throw new PlanError(`deployment ${d.id} is not doing a ${event.operation}`);
  const target = await getTarget(d.environment, d.targetId);
  const environment = await resolveEnvironment(d.environment);
  const roleArn = environment?.policy.account?.deployRoleArn ?? config().deployRoleArn;
  if (!roleArn) throw new PlanError(`no deploy role: set ${ENV.DEPLOY_ROLE_ARN} or the environment account`);
  const strategy = Strategy.parse(d.strategy);
  const bakeSeconds = Math.round(strategy.bakeMinutes * 60);
  const prefix = config().resourcePrefix;
  const base = {
    deploymentId: d.id,
    operation: d.operation,
    kind: d.target.kind,
    roleArn,
    pollSeconds: config().deployPollSeconds,
    // Every poll loop of the state machine leaves after this many polls (statemachines: pollAgain).
    maxPolls: Math.ceil(config().deployPollBudgetSeconds / config().deployPollSeconds),
    bakeSeconds,
    stepBakeSeconds: bakeSeconds,
    alarms: d.alarms,
  };

  if (d.operation === 'deploy') {
    await step(d, 'started', { roleArn }, { status: 'IN_PROGRESS' });
    // A deployment that names no alarms is watched by its target's default one, which the workflow
    // makes (or updates) in the target account before anything changes: errors of the target.
    const rollbackAlarm =
      strategy.alarms === undefined && d.target.kind !== 'sagemaker-batch' && d.alarms[0]
        ? defaultRollbackAlarm(d.alarms[0], d.target)
        : undefined;
    if (rollbackAlarm) Object.assign(base, { rollbackAlarm });
    const version = await getVersion(d.model, d.version);
    if (!version) throw new PlanError(`version ${d.version} of ${d.model} does not exist`);
    const names = resourceName(prefix, d.model, d.version, d.id);
    // A multi-file version is served from its prefix, uncompressed, as SageMaker allows.
    const modelData = version.artifact.files
      ? {
          ModelDataSource: {
            S3DataSource: {
              S3Uri: s3Uri(version.artifact.bucket, version.artifact.key),
              S3DataType: 'S3Prefix',
              CompressionType: 'None',
            },
          },
        }
      : { ModelDataUrl: s3Uri(version.artifact.bucket, version.artifact.key) };
    // A role cannot be passed across accounts: another account's models run as its own
    // `<prefix>-model-execution` role, which its deploy-role stack creates, in the partition of
    // that account's deploy role (aws, aws-cn, aws-us-gov).
    const account = environment?.policy.account;
    const executionRoleArn = account
      ? `arn:${account.deployRoleArn.split(':')[1]}:iam::${account.id}:role/${prefix}-model-execution`
      : config().sagemakerExecutionRoleArn;
    /** The SageMaker model both an endpoint and a batch transform run. */
    const sagemakerModel = () => {
      if (!executionRoleArn) throw new PlanError(`${ENV.SAGEMAKER_EXECUTION_ROLE_ARN} is not configured`);
      return {
        modelName: names,
        executionRoleArn,
        container: { Image: imageOf(version.lineage), ...modelData },
      };
    };
    if (d.target.kind === 'sagemaker') {
      const t = d.target;
      return {
        ...base,
        sagemaker: {
          ...sagemakerModel(),
          endpointConfigName: names,
          endpointName: t.endpointName,
          variants: [
            {
              VariantName: 'AllTraffic',
              ModelName: names,
              InstanceType: t.instanceType,
              InitialInstanceCount: t.instanceCount,
              InitialVariantWeight: 1,
            },
          ],
          ...(t.dataCapture
            ? {
                dataCapture: {
                  EnableCapture: true,
                  InitialSamplingPercentage: t.dataCapture.samplingPercent,
                  DestinationS3Uri: t.dataCapture.destinationS3Uri,
                  CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
                  CaptureContentTypeHeader: {
                    CsvContentTypes: ['text/csv'],
                    JsonContentTypes: ['application/json'],
                  },
                },
              }
            : {}),
          update: target?.current !== undefined,
          deploymentConfig: blueGreenPolicy(strategy, d.alarms),
        },
      };
    }
    if (d.target.kind === 'sagemaker-batch') {
      const t = d.target;
      return {
        ...base,
        batch: {
          ...sagemakerModel(),
          transformJobName: names,
          inputUri: t.inputUri,
          outputUri: t.outputUri,
          contentType: t.contentType,
          instanceType: t.instanceType,
          instanceCount: t.instanceCount,
        },
      };
    }
    const t = d.target;
    const zip = (version.artifact.fileName ?? '').endsWith('.zip');
    return {
      ...base,
      lambda: {
        functionName: t.functionName,
        alias: t.alias,
        description: `steward ${d.model} v${d.version} (${d.id})`,
        steps: trafficSteps(strategy),
        ...(zip
          ? {
              s3Bucket: version.artifact.bucket,
              s3Key: version.artifact.key,
              ...(version.artifact.versionId ? { s3ObjectVersion: version.artifact.versionId } : {}),
            }
          : { imageUri: imageOf(version.lineage) }),
      },
    };
  }

  // Rollback and decommission act on what serves now (and served before).
  const current = target?.current;
  if (!current || current.deploymentId !== d.id) throw new PlanError(`deployment ${d.id} does not serve now`);
  const back = d.operation === 'rollback' ? target?.previous : current;
  if (!back) throw new PlanError(`nothing served on ${d.targetId} before deployment ${d.id}`);
  await step(d, `${d.operation}-started`, { to: d.operation === 'rollback' ? back.version : null });
  if (d.target.kind === 'sagemaker')
    return {
      ...base,
      sagemaker: {
        endpointName: d.target.endpointName,
        endpointConfigName: back.resources.endpointConfigName,
        modelName: back.resources.sagemakerModelName,
      },
    };
  if (d.target.kind === 'lambda')
    return {
      ...base,
      lambda: {
        functionName: d.target.functionName,
        alias: d.target.alias,
        rollbackVersion: current.resources.previousLambdaVersion ?? back.resources.lambdaVersion,
      },
    };
  return { ...base };
};

/** The default rollback alarm of a target: any 5xx (SageMaker) or error (Lambda alias) in a minute. */
const defaultRollbackAlarm = (
  name: string,
  target:
    | { kind: 'sagemaker'; endpointName: string }
    | { kind: 'lambda'; functionName: string; alias: string },
) =>
  target.kind === 'sagemaker'
    ? {
        name,
        description: `Steward: rolls back a deployment to ${target.endpointName} on server errors`,
        namespace: 'AWS/SageMaker',
        metricName: 'Invocation5XXErrors',
        dimensions: [
          { Name: 'EndpointName', Value: target.endpointName },
          { Name: 'VariantName', Value: 'AllTraffic' },
        ],
      }
    : {
        name,
        description: `Steward: rolls back a deployment to ${target.functionName}:${target.alias} on errors`,
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions: [
          { Name: 'FunctionName', Value: target.functionName },
          { Name: 'Resource', Value: `${target.functionName}:${target.alias}` },
        ],
      };

const recordProgress = async (event: z.infer<typeof ProgressEvent>) => {
  const d = await load(event.deploymentId);
  await step(d, event.step);
  return {};
};

/** What the operation made, from the state machine's state, for the record. */
const resourcesOf = (d: DeploymentItem, state: FinishState): DeploymentResources => {
  if (d.operation !== 'deploy') return {};
  const sm = state.plan?.sagemaker;
  return {
    ...(sm?.modelName ? { sagemakerModelName: sm.modelName } : {}),
    ...(sm?.endpointConfigName ? { endpointConfigName: sm.endpointConfigName } : {}),
    ...(state.published?.version ? { lambdaVersion: state.published.version } : {}),
    ...(state.previous?.version ? { previousLambdaVersion: state.previous.version } : {}),
    ...(state.plan?.batch?.transformJobName ? { transformJobName: state.plan.batch.transformJobName } : {}),
  };
};

/** Records the outcome (the workflow's finish tasks, and reconcile's for an execution that ended without one). */
export const finishDeployment = async (event: z.output<typeof FinishEvent>) => {
  const at = new Date().toISOString();
  const status = await retryOnConflict(async () => {
    const d = await load(event.deploymentId);
    const target = await getTarget(d.environment, d.targetId);
    // Finished already (a retried task): nothing more to record.
    if (d.operation !== event.operation || target?.busyWith !== d.id) return d.status;
    const head = await getModel(d.model);
    if (!head) throw new PlanError(`model ${d.model} does not exist`);
    const error = event.state?.error;
    const detail = {
      ...(error?.Error ? { error: error.Error } : {}),
      ...(error?.Cause ? { cause: error.Cause.slice(0, 1000) } : {}),
      ...(event.reason ? { reason: event.reason } : {}),
      // A SageMaker endpoint that went to Failed ends the run without an error of its own.
      ...(!error && !event.reason && event.outcome === 'FAILED' && event.state?.endpoint?.status
        ? { reason: `the SageMaker endpoint is ${event.state.endpoint.status}` }
        : {}),
    };
    // A deployment that moved meanwhile is read again (ChainConflict).
    await finishOperation({
      head,
      deployment: d,
      target,
      outcome: event.outcome,
      resources: resourcesOf(d, event.state ?? {}),
      ...(Object.keys(detail).length ? { detail } : {}),
      at,
    });
    return (await load(d.id)).status;
  });
  return { deploymentId: event.deploymentId, status };
};

export const prepare = taskHandler('deployment-prepare', PrepareEvent, prepareOperation, {
  raises: [TASK_ERRORS.planError],
  keys: deploymentKeys,
});
export const progress = taskHandler('deployment-progress', ProgressEvent, recordProgress, {
  raises: [TASK_ERRORS.planError],
  keys: deploymentKeys,
});
export const finish = taskHandler('deployment-finish', FinishEvent, finishDeployment, {
  raises: [TASK_ERRORS.planError],
  keys: deploymentKeys,
});
