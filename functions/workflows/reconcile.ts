import * as z from 'zod';
import { getApproval } from '#adapters/approvals-table';
import type { Outcome } from '#adapters/deployments-table';
import { getModelAndVersion } from '#adapters/registry-table';
import { startExecution } from '#adapters/workflow';
import { config } from '#commons/config';
import { logger } from '#commons/observability';
import { taskHandler } from '#commons/task';
import { failCopy } from '#services/registration-copy';
import { recordApproval } from './approval.ts';
import { FinishState, finishDeployment } from './deployment.ts';

/**
 * Reconcile: the handler of Step Functions' "Execution Status Change" events (an EventBridge rule
 * on AWS, the local runner in local mode) for executions that ended FAILED, ABORTED or TIMED_OUT,
 * whatever ended them (StopExecution, a runtime error, the execution timeout, a task that could not
 * record its own outcome, local mode's restart). A deployment's target is freed and its outcome
 * recorded, with its audit event, by the same `finish` the workflow uses (which does nothing when
 * the workflow recorded an outcome itself). An approval is recorded FAILED, except one whose
 * execution was lost to a restart of local mode while still pending: that one is started again,
 * and the links already mailed keep deciding it (no new email is sent to anyone who has a link).
 * A registration by reference whose copy execution ended without recording an outcome fails its
 * version (FAILED, the reason, an audit event), so no version stays PENDING_UPLOAD for ever; one
 * lost to a restart of local mode is copied again instead.
 */
const ExecutionStatusChange = z.object({
  source: z.string().optional(),
  'detail-type': z.string().optional(),
  detail: z.object({
    executionArn: z.string().min(1),
    stateMachineArn: z.string().min(1),
    name: z.string().optional(),
    status: z.string().min(1),
    input: z.string().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});
export type ExecutionStatusChange = z.input<typeof ExecutionStatusChange>;

/** The `cause` local mode gives an execution that a restart interrupted. */
export const LOST_TO_RESTART = 'the execution was lost to a restart of local mode';

const ENDED = new Set(['FAILED', 'ABORTED', 'TIMED_OUT']);

const FAILED_OUTCOME = {
  deploy: 'FAILED',
  rollback: 'ROLLBACK_FAILED',
  decommission: 'DECOMMISSION_FAILED',
} as const;

/** The outcomes each operation may record (what a finish Task of the deployment machine names). */
const OUTCOMES: Record<keyof typeof FAILED_OUTCOME, readonly string[]> = {
  deploy: ['SUCCEEDED', 'FAILED', 'ROLLED_BACK'],
  rollback: ['ROLLED_BACK', 'ROLLBACK_FAILED'],
  decommission: ['DECOMMISSIONED', 'DECOMMISSION_FAILED'],
};

/**
 * The error of a deployment execution whose finish Task could not record the outcome it reached;
 * its cause is the execution's state as JSON, with `unrecorded: {outcome, reason?}`
 * (infra/asl/deployment.ts: withUnrecordedOutcomes).
 */
export const OUTCOME_NOT_RECORDED = 'Steward.OutcomeNotRecorded';

const parse = (input: string | null | undefined): Record<string, unknown> => {
  try {
    const value = JSON.parse(input ?? '{}') as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

const reconcileExecution = async (event: z.output<typeof ExecutionStatusChange>) => {
  const { detail } = event;
  if (!ENDED.has(detail.status)) return { reconciled: 'nothing' as const };
  const input = parse(detail.input);
  const error = {
    Error:
      detail.error ??
      `Execution${detail.status === 'TIMED_OUT' ? 'TimedOut' : detail.status === 'ABORTED' ? 'Aborted' : 'Failed'}`,
    Cause: detail.cause ?? `the execution ended ${detail.status}`,
  };
  const reason = `the workflow execution ended ${detail.status} before it recorded an outcome`;

  if (typeof input.deploymentId === 'string' && typeof input.operation === 'string') {
    const operation = input.operation as keyof typeof FAILED_OUTCOME;
    if (!FAILED_OUTCOME[operation]) return { reconciled: 'nothing' as const };
    // The workflow reached an outcome but could not record it: record that one, not a blind FAILED.
    const reached = detail.error === OUTCOME_NOT_RECORDED ? parse(detail.cause) : {};
    const unrecorded = reached.unrecorded as { outcome?: unknown; reason?: unknown } | undefined;
    const status =
      unrecorded && typeof unrecorded.outcome === 'string' && OUTCOMES[operation].includes(unrecorded.outcome)
        ? await finishDeployment({
            deploymentId: input.deploymentId,
            operation,
            outcome: unrecorded.outcome as Outcome,
            // What the state held that finish reads (names of what was made); the rest is left.
            state: FinishState.catch({}).parse(reached),
            reason:
              typeof unrecorded.reason === 'string'
                ? unrecorded.reason
                : 'the workflow reached this outcome but could not record it; reconcile recorded it',
          })
        : await finishDeployment({
            deploymentId: input.deploymentId,
            operation,
            outcome: FAILED_OUTCOME[operation],
            state: { error },
            reason,
          });
    logger.info('deployment reconciled', {
      deploymentId: input.deploymentId,
      execution: detail.executionArn,
      status,
    });
    return { reconciled: 'deployment' as const, deploymentId: input.deploymentId, status };
  }

  const registrations = config().registrationStateMachineArn;
  if (
    registrations &&
    detail.stateMachineArn === registrations &&
    typeof input.model === 'string' &&
    typeof input.version === 'number'
  ) {
    const { version } = await getModelAndVersion(input.model, input.version);
    if (version?.status !== 'PENDING_UPLOAD') return { reconciled: 'nothing' as const };
    if (detail.cause === LOST_TO_RESTART) {
      // The copy is idempotent (same keys, hashes of Steward's copy): run it again.
      const name = `${(detail.name ?? 'copy').slice(0, 41)}-resumed-${Date.now()}`;
      await startExecution(registrations, name, { model: input.model, version: input.version });
      logger.info('registration resumed', { model: input.model, version: input.version });
      return { reconciled: 'registration-resumed' as const, model: input.model, version: input.version };
    }
    const { status } = await failCopy({
      model: input.model,
      version: input.version,
      error: error.Error,
      cause: error.Cause,
    });
    logger.info('registration reconciled', {
      model: input.model,
      version: input.version,
      execution: detail.executionArn,
    });
    return { reconciled: 'registration' as const, model: input.model, version: input.version, status };
  }

  if (typeof input.requestId === 'string') {
    const request = await getApproval(input.requestId);
    if (!request || request.recordedAt) return { reconciled: 'nothing' as const };
    const stateMachine = config().approvalStateMachineArn;
    if (detail.cause === LOST_TO_RESTART && request.status === 'PENDING' && stateMachine) {
      await startExecution(stateMachine, `${request.id}-resumed-${Date.now()}`, input);
      logger.info('approval resumed', { requestId: request.id, execution: detail.executionArn });
      return { reconciled: 'approval-resumed' as const, requestId: request.id };
    }
    const { status } = await recordApproval({ requestId: request.id, outcome: 'FAILED', reason, error });
    return { reconciled: 'approval' as const, requestId: request.id, status };
  }
  return { reconciled: 'nothing' as const };
};

export const reconcile = taskHandler('reconcile', ExecutionStatusChange, reconcileExecution, {
  keys: (event) => ({ execution: event.detail.executionArn }),
});
