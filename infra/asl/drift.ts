import { catchAll, invoke, stateMachine } from './asl.ts';

export const drift = stateMachine('drift', {
  Comment:
    'Steward drift dispatch: on a schedule, find every monitor that is due (each claimed so that it runs once), then run each in a Map iteration, a few at a time, so a thousand monitored deployments never time out one function. A failed run is recorded and does not stop the others.',
  StartAt: 'FindDueMonitors',
  States: {
    FindDueMonitors: invoke(
      'DueFunctionArn',
      {},
      { ResultSelector: { 'monitors.$': '$.Payload.monitors' }, ResultPath: '$.due', Next: 'RunMonitors' },
    ),
    RunMonitors: {
      Type: 'Map',
      ItemsPath: '$.due.monitors',
      MaxConcurrency: 10,
      ResultPath: '$.runs',
      End: true,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'RunMonitor',
        States: {
          RunMonitor: invoke(
            'RunFunctionArn',
            { 'deploymentId.$': '$.deploymentId' },
            {
              ResultSelector: { 'result.$': '$.Payload' },
              TimeoutSeconds: 900,
              Catch: [catchAll('RunFailed')],
              End: true,
            },
          ),
          RunFailed: {
            Type: 'Pass',
            Parameters: { 'deploymentId.$': '$.deploymentId', failed: true, 'error.$': '$.error.Error' },
            End: true,
          },
        },
      },
    },
  },
});
