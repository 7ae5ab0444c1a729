import { catchAll, invoke, stateMachine } from './asl.ts';

/** Where the run task's answer puts a large window's Distributed Map plan. */
const SHARDS = '$.run.result.shards';

export const drift = stateMachine('drift', {
  Comment:
    'Steward drift dispatch: on a schedule, find every monitor that is due (each claimed so that it runs once), then run each in a Map iteration, a few at a time, so a thousand monitored deployments never time out one function. A window too large for one function runs as a Distributed Map over its capture objects (each child summarises a batch into a partial summary in S3) and a reducer merges the partials into the report. A failed run is recorded and does not stop the others.',
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
        // Each monitor a child execution of its own: a large window's Distributed Map runs inside it.
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'RunMonitor',
        States: {
          RunMonitor: invoke(
            'RunFunctionArn',
            { 'deploymentId.$': '$.deploymentId' },
            {
              ResultSelector: { 'result.$': '$.Payload' },
              ResultPath: '$.run',
              TimeoutSeconds: 900,
              Catch: [catchAll('RunFailed')],
              Next: 'WindowTooLarge',
            },
          ),
          WindowTooLarge: {
            Type: 'Choice',
            Choices: [{ Variable: '$.run.result.distributed', BooleanEquals: true, Next: 'SummariseShards' }],
            Default: 'RunDone',
          },
          RunDone: { Type: 'Pass', Parameters: { 'result.$': '$.run.result' }, End: true },
          SummariseShards: {
            Type: 'Map',
            Label: 'DriftShards',
            ItemReader: {
              Resource: 'arn:aws:states:::s3:getObject',
              ReaderConfig: { InputType: 'JSON' },
              Parameters: { 'Bucket.$': `${SHARDS}.bucket`, 'Key.$': `${SHARDS}.manifestKey` },
            },
            ItemBatcher: {
              MaxItemsPerBatchPath: `${SHARDS}.objectsPerChild`,
              BatchInput: { 'planUri.$': `${SHARDS}.planUri` },
            },
            MaxConcurrency: 100,
            ItemProcessor: {
              ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
              StartAt: 'SummariseBatch',
              States: {
                SummariseBatch: invoke(
                  'ShardFunctionArn',
                  { 'BatchInput.$': '$.BatchInput', 'Items.$': '$.Items' },
                  { ResultSelector: { 'partial.$': '$.Payload' }, TimeoutSeconds: 900, End: true },
                ),
              },
            },
            ResultWriter: {
              Resource: 'arn:aws:states:::s3:putObject',
              Parameters: { 'Bucket.$': `${SHARDS}.bucket`, 'Prefix.$': `${SHARDS}.resultsPrefix` },
            },
            ResultPath: '$.shards',
            Catch: [catchAll('RunFailed')],
            Next: 'ReduceShards',
          },
          ReduceShards: invoke(
            'ReduceFunctionArn',
            { 'planUri.$': `${SHARDS}.planUri` },
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
