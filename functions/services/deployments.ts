import { randomBytes } from 'node:crypto';
import { missingAlarms } from '#adapters/alarms';
import { getApproval, noteDeployment } from '#adapters/approvals-table';
import { retryOnConflict } from '#adapters/audit-chain';
import {
  abandonOperation,
  beginOperation,
  createDeployment,
  type DeploymentItem,
  getDeployment,
  getTarget,
  type Operation,
  listDeployments as queryDeployments,
  servedHistory,
} from '#adapters/deployments-table';
import { resolveEnvironment } from '#adapters/environments-table';
import { getModel, getModelAndVersion } from '#adapters/registry-table';
import { startExecution } from '#adapters/workflow';
import { config } from '#commons/config';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '#commons/errors';
import { ENV, resourceNames } from '#commons/facts';
import { logger } from '#commons/observability';
import { DeploymentBody, Strategy, targetId, targetName } from '#domain/deployment';
import { pageUnderModel } from './model-pages.ts';

/**
 * Starting deployment operations, from the API and from an approval with `deployOnApproval`.
 * The gates are conditions of the write that creates the record (approval APPROVED, target free,
 * version READY), then the workflow starts; if it cannot, the record says so and the target is
 * freed, so nothing is left IN_PROGRESS.
 */
const globMatches = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(value);

const stateMachine = () => {
  const arn = config().deploymentStateMachineArn;
  if (!arn) throw new Error(`${ENV.DEPLOYMENT_STATE_MACHINE_ARN} is not configured`);
  return arn;
};

const launch = async (d: DeploymentItem, operation: Operation) => {
  try {
    await startExecution(stateMachine(), `${d.id}-${operation}-${Date.now()}`, {
      deploymentId: d.id,
      operation,
    });
  } catch (error) {
    logger.error('deployment workflow did not start', {
      error: error as Error,
      deploymentId: d.id,
      operation,
    });
    await retryOnConflict(async () => {
      const head = await getModel(d.model);
      if (head)
        await abandonOperation(
          head,
          { ...d, operation },
          'the deployment workflow could not start',
          new Date().toISOString(),
        );
    });
    throw error;
  }
};

export const startDeployment = async (input: {
  model: string;
  version: number;
  body: DeploymentBody;
  actor: string;
  approvalId?: string;
}): Promise<DeploymentItem> => {
  const { body } = input;
  const environment = await resolveEnvironment(body.environment);
  if (!environment)
    throw new ValidationError(`environment ${body.environment} does not exist`, {
      errors: [{ path: 'body.environment', message: 'unknown environment' }],
    });
  const { target } = body;
  const prefix = config().resourcePrefix;
  if (target.kind === 'sagemaker' && !target.endpointName.startsWith(`${prefix}-`))
    throw new ValidationError(`endpoint names start with "${prefix}-": the deploy role may act on no other`, {
      errors: [{ path: 'body.target.endpointName', message: `must start with ${prefix}-` }],
    });
  // With a target tag, the deploy role's tag condition decides (the tag is not readable from here).
  if (
    target.kind === 'lambda' &&
    !config().lambdaTargetTag &&
    !config().lambdaTargets.some((p) => globMatches(p, target.functionName))
  )
    throw new ForbiddenError(
      `function ${target.functionName} is not one this Steward is configured to manage`,
    );

  const strategy = Strategy.parse(body.strategy ?? {});
  const name = targetName(target).replaceAll(':', '-');
  const alarms = strategy.alarms ?? [resourceNames.rollbackAlarm(name)];
  // Named alarms must exist: an alarm that does not is never in ALARM, so it would gate nothing.
  // (The default `<target>-rollback` is made by the workflow; an environment in another account
  // keeps its alarms there, out of this account's sight: its deploy role's workflow reads them.)
  if (strategy.alarms?.length && !environment.policy.account) {
    const missing = await missingAlarms(strategy.alarms);
    if (missing.length)
      throw new ConflictError(
        `rollback alarm${missing.length > 1 ? 's' : ''} ${missing.join(', ')} do${missing.length > 1 ? '' : 'es'} not exist: create ${missing.length > 1 ? 'them' : 'it'} first, or name no alarms to get the target's default ${resourceNames.rollbackAlarm(name)}`,
        {
          errors: missing.map((alarm) => ({
            path: `body.strategy.alarms.${strategy.alarms!.indexOf(alarm)}`,
            message: `no CloudWatch alarm is named ${alarm}`,
          })),
        },
      );
  }
  const id = `dep-${randomBytes(12).toString('hex')}`;
  const item = await retryOnConflict(async () => {
    const { model, version } = await getModelAndVersion(input.model, input.version);
    if (!model) throw new NotFoundError(`model ${input.model} does not exist`);
    if (!version) throw new NotFoundError(`version ${input.version} of ${input.model} does not exist`);
    if (version.status !== 'READY')
      throw new ConflictError(
        `version ${input.version} is ${version.status}; only a READY version can be deployed`,
      );
    const packaged = target.kind === 'lambda' && (version.artifact.fileName ?? '').endsWith('.zip');
    if (target.kind !== 'lambda' || !packaged) {
      if (!version.lineage.image)
        throw new ConflictError(
          target.kind === 'lambda'
            ? 'a Lambda deployment needs a .zip artifact or a container image in the version lineage'
            : 'a SageMaker deployment needs the container image (lineage.image) the version runs in',
        );
    }
    const at = new Date().toISOString();
    const item: DeploymentItem = {
      entity: 'deployment',
      id,
      model: input.model,
      version: input.version,
      environment: body.environment,
      target,
      targetId: targetId(target),
      strategy,
      alarms,
      status: 'PENDING',
      operation: 'deploy',
      ...(body.reason ? { reason: body.reason } : {}),
      history: [{ at, step: 'requested', detail: { by: input.actor } }],
      resources: {},
      ...(input.approvalId ? { approvalId: input.approvalId } : {}),
      createdAt: at,
      createdBy: input.actor,
      updatedAt: at,
    };
    await createDeployment(model, item, environment.policy.approval.required);
    return item;
  });
  await launch(item, 'deploy');
  return item;
};

/** Roll a serving deployment back to what served before it, or take it down. */
export const startOperation = async (
  id: string,
  operation: 'rollback' | 'decommission',
  actor: string,
  reason?: string,
) => {
  const d = await retryOnConflict(async () => {
    const d = await getDeployment(id);
    if (!d) throw new NotFoundError(`deployment ${id} does not exist`);
    const target = await getTarget(d.environment, d.targetId);
    if (d.status !== 'SUCCEEDED' || target?.current?.deploymentId !== d.id)
      throw new ConflictError(`deployment ${id} is ${d.status} and does not serve on ${d.targetId} now`);
    if (target.busyWith) throw new ConflictError(`target ${d.targetId} is busy with another operation`);
    if (operation === 'rollback' && !target.previous)
      throw new ConflictError(
        `nothing served on ${d.targetId} before deployment ${id}: there is nothing to roll back to`,
      );
    const head = await getModel(d.model);
    if (!head) throw new NotFoundError(`model ${d.model} does not exist`);
    const rollbackTo =
      operation === 'rollback' && target.previous
        ? { model: target.previous.model, version: target.previous.version }
        : undefined;
    await beginOperation(head, d, operation, actor, new Date().toISOString(), reason, rollbackTo);
    return { ...d, operation, ...(rollbackTo ? { rollbackTo } : {}) };
  });
  await launch(d, operation);
  return d;
};

// ---- reads --------------------------------------------------------------------------------------

export const readDeployment = async (id: string): Promise<DeploymentItem> => {
  const d = await getDeployment(id);
  if (!d) throw new NotFoundError(`deployment ${id} does not exist`);
  return d;
};

/** A model's deployments, a page at a time; an empty first page of a model that does not exist is a 404. */
export const listModelDeployments = async (
  model: string,
  query: { environment?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: DeploymentItem[]; nextCursor: string | undefined }> =>
  pageUnderModel(model, `deployments|${model}|${query.environment ?? ''}`, query.cursor, (startKey) =>
    queryDeployments(model, {
      ...(query.environment ? { environment: query.environment } : {}),
      limit: query.limit,
      startKey,
    }),
  );

/** What served on one target of an environment, and when (at one moment, with `at`). */
export const servedOn = (environment: string, target: string, at?: string) =>
  servedHistory(environment, target, at);

/** An approved request that names a deployment starts it, once, as the requester. */
export const deployIfAsked = async (requestId: string): Promise<void> => {
  const request = await getApproval(requestId);
  if (!request?.deployOnApproval || request.deploymentId || request.deploymentError) return;
  try {
    const deployment = await startDeployment({
      model: request.model,
      version: request.version,
      body: DeploymentBody.parse({ ...request.deployOnApproval, environment: request.environment }),
      actor: request.requestedBy,
      approvalId: request.id,
    });
    await noteDeployment(request.id, { deploymentId: deployment.id });
  } catch (error) {
    logger.warn('deployment on approval did not start', { requestId, error: error as Error });
    await noteDeployment(request.id, { deploymentError: (error as Error).message }).catch(() => undefined);
  }
};
