import { TASK_ERRORS } from '../../functions/commons/facts.ts';
import { catchAll, invoke, stateMachine } from './asl.ts';

export const approval = stateMachine('approval', {
  Comment:
    "Steward approval: validate the request, wait in parallel for each approver group's quorum (a callback task per group), record the outcome. Any rejection ends it REJECTED, all quorums APPROVED, the time limit EXPIRED, a workflow that cannot run FAILED.",
  StartAt: 'ValidateRequest',
  States: {
    ValidateRequest: invoke(
      'ValidateFunctionArn',
      { 'requestId.$': '$.requestId' },
      {
        ResultSelector: { 'groups.$': '$.Payload.groups', 'timeoutSeconds.$': '$.Payload.timeoutSeconds' },
        ResultPath: '$.plan',
        Catch: [catchAll('RecordFailed')],
        Next: 'AwaitQuorums',
      },
    ),
    AwaitQuorums: {
      Type: 'Map',
      ItemsPath: '$.plan.groups',
      MaxConcurrency: 0,
      ItemSelector: {
        'requestId.$': '$.requestId',
        'linkBaseUrl.$': '$.linkBaseUrl',
        'timeoutSeconds.$': '$.plan.timeoutSeconds',
        'group.$': '$$.Map.Item.Value',
      },
      ResultPath: '$.quorums',
      Next: 'RecordApproved',
      Catch: [
        { ErrorEquals: [TASK_ERRORS.rejected], ResultPath: '$.error', Next: 'RecordRejected' },
        {
          ErrorEquals: ['States.Timeout', 'States.HeartbeatTimeout', TASK_ERRORS.expired],
          ResultPath: '$.error',
          Next: 'RecordExpired',
        },
        catchAll('RecordFailed'),
      ],
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'AwaitGroupQuorum',
        States: {
          AwaitGroupQuorum: invoke(
            'NotifyFunctionArn',
            {
              'requestId.$': '$.requestId',
              'group.$': '$.group',
              'linkBaseUrl.$': '$.linkBaseUrl',
              'taskToken.$': '$$.Task.Token',
            },
            { TimeoutSecondsPath: '$.timeoutSeconds', End: true, waitForTaskToken: true },
          ),
        },
      },
    },
    RecordApproved: invoke(
      'RecordFunctionArn',
      {
        'requestId.$': '$.requestId',
        outcome: 'APPROVED',
        reason: 'every approver group reached its quorum',
      },
      {
        ResultSelector: { 'status.$': '$.Payload.status' },
        ResultPath: '$.outcome',
        // An outcome that cannot be recorded is a failure of the workflow, recorded as such.
        Catch: [catchAll('RecordFailed')],
        End: true,
        idempotent: true,
      },
    ),
    RecordRejected: invoke(
      'RecordFunctionArn',
      { 'requestId.$': '$.requestId', outcome: 'REJECTED', reason: 'an approver rejected the request' },
      {
        ResultSelector: { 'status.$': '$.Payload.status' },
        ResultPath: '$.outcome',
        // An outcome that cannot be recorded is a failure of the workflow, recorded as such.
        Catch: [catchAll('RecordFailed')],
        End: true,
        idempotent: true,
      },
    ),
    RecordExpired: invoke(
      'RecordFunctionArn',
      { 'requestId.$': '$.requestId', outcome: 'EXPIRED', reason: 'the approval time limit passed' },
      {
        ResultSelector: { 'status.$': '$.Payload.status' },
        ResultPath: '$.outcome',
        // An outcome that cannot be recorded is a failure of the workflow, recorded as such.
        Catch: [catchAll('RecordFailed')],
        End: true,
        idempotent: true,
      },
    ),
    RecordFailed: invoke(
      'RecordFunctionArn',
      {
        'requestId.$': '$.requestId',
        outcome: 'FAILED',
        reason: 'the approval workflow failed',
        'error.$': '$.error',
      },
      {
        ResultSelector: { 'status.$': '$.Payload.status' },
        ResultPath: '$.outcome',
        // Not even the failure could be recorded: the execution fails, and the status-change rule
        // (reconcile) records it from the event.
        Catch: [catchAll('Failed', '$.recordError')],
        Next: 'Failed',
        idempotent: true,
      },
    ),
    Failed: {
      Type: 'Fail',
      Error: 'ApprovalWorkflowFailed',
      Cause: 'the approval workflow could not run to an outcome; the request is recorded FAILED',
    },
  },
});
