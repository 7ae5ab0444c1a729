import { catchAll, invoke, stateMachine } from './asl.ts';

export const registration = stateMachine('registration', {
  Comment:
    "Steward registration by reference: copy every object under the source into the version's own prefix and hash each copy (one task of up to 15 minutes, longer than the API's 29 s), then READY with the manifest or FAILED with the reason. A copy task that fails outright (timeout, crash) fails the version.",
  StartAt: 'Copy',
  States: {
    Copy: invoke(
      'CopyFunctionArn',
      { 'model.$': '$.model', 'version.$': '$.version' },
      {
        ResultSelector: { 'status.$': '$.Payload.status' },
        ResultPath: '$.copy',
        TimeoutSeconds: 900,
        idempotent: true,
        Catch: [catchAll('Fail')],
        End: true,
      },
    ),
    Fail: invoke(
      'FailFunctionArn',
      {
        'model.$': '$.model',
        'version.$': '$.version',
        'error.$': '$.error.Error',
        'cause.$': '$.error.Cause',
      },
      {
        ResultSelector: { 'status.$': '$.Payload.status' },
        ResultPath: '$.copy',
        idempotent: true,
        End: true,
      },
    ),
  },
});
