import { describe, expect, it } from 'vitest';
import {
  checkInput,
  enumValues,
  hasOperation,
  operationErrors,
  operationName,
  sdkErrorName,
} from '../../infra/asl/api-models.ts';
import { type ChoiceRule, type State, statesOf, type TaskState } from '../../infra/asl/asl.ts';
import { MACHINES } from '../../infra/asl/machines.ts';
import { SDK_ERROR_PREFIX, type SdkService } from '../../infra/asl/retry-policies.ts';

/**
 * Every Task of every state machine, checked against AWS's published API models (aws-sdk v2
 * `apis/*.min.json` for members, required members and types; the v3 clients' declarations for
 * enums and each operation's modeled errors): what the ASL sends, and what it retries and catches.
 */
const tasks = Object.entries(MACHINES).flatMap(([machine, definition]) =>
  [...statesOf(definition)]
    .filter((entry): entry is [string[], TaskState] => entry[1].Type === 'Task')
    .map(([path, state]) => ({ name: `${machine}/${path.join('/')}`, state })),
);

/**
 * The optimized SageMaker APIs the Step Functions developer guide lists (connect-sagemaker, "Optimized
 * SageMaker AI APIs"); each takes its API's request syntax as Parameters.
 */
const OPTIMIZED_SAGEMAKER = new Set([
  'createEndpoint',
  'createEndpointConfig',
  'createHyperParameterTuningJob',
  'createLabelingJob',
  'createModel',
  'createProcessingJob',
  'createTrainingJob',
  'createTransformJob',
  'stopHyperParameterTuningJob',
  'stopLabelingJob',
  'stopProcessingJob',
  'stopTrainingJob',
  'stopTransformJob',
  'updateEndpoint',
]);

/** Errors Step Functions itself raises (the States Language's predefined error codes). */
const STATES_ERRORS = new Set([
  'States.ALL',
  'States.TaskFailed',
  'States.Timeout',
  'States.HeartbeatTimeout',
  'States.Permissions',
  'States.Runtime',
  'States.DataLimitExceeded',
]);

/** lambda:invoke's documented Parameters (connect-lambda) and the errors of Steward's own functions. */
const INVOKE_PARAMETERS = new Set([
  'FunctionName',
  'Payload',
  'InvocationType',
  'ClientContext',
  'Qualifier',
]);

type Integration =
  | { kind: 'sdk'; service: SdkService; operation: string }
  | { kind: 'sagemaker'; action: string; operation: string }
  | { kind: 'invoke' };

const integrationOf = (resource: string): Integration => {
  const sdk = /^arn:aws:states:::aws-sdk:(\w+):(\w+)$/.exec(resource);
  if (sdk) return { kind: 'sdk', service: sdk[1] as SdkService, operation: operationName(sdk[2]!) };
  const optimized = /^arn:aws:states:::sagemaker:(\w+)$/.exec(resource);
  if (optimized) return { kind: 'sagemaker', action: optimized[1]!, operation: operationName(optimized[1]!) };
  if (/^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/.test(resource)) return { kind: 'invoke' };
  throw new Error(`no model for ${resource}`);
};

/** The error names a Task's integration can raise, besides the States.* ones. */
const raisable = (integration: Integration): Set<string> => {
  switch (integration.kind) {
    case 'sdk': {
      const { service, operation } = integration;
      const prefix = SDK_ERROR_PREFIX[service];
      return new Set([
        ...operationErrors(service, operation).map((error) => sdkErrorName(service, error)),
        // The SDK's base exception (an unmodeled error) and the throttle of the Common Errors.
        `${prefix}.${prefix}Exception`,
        `${prefix}.ThrottlingException`,
      ]);
    }
    case 'sagemaker':
      return new Set([
        ...operationErrors('sagemaker', integration.operation).map((e) => sdkErrorName('sagemaker', e)),
        'SageMaker.AmazonSageMakerException',
      ]);
    case 'invoke':
      return new Set([
        ...operationErrors('lambda', 'Invoke').map((error) => sdkErrorName('lambda', error)),
        // bp-lambda-serviceexception: transient service errors of the invoke itself.
        'Lambda.ClientExecutionTimeoutException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
        'Lambda.Unknown',
      ]);
  }
};

describe('Task Parameters, against the AWS API models', () => {
  it.each(tasks.map((t) => [t.name, t.state] as const))('%s', (_name, state) => {
    const integration = integrationOf(state.Resource);
    const parameters = state.Parameters ?? {};

    if (integration.kind === 'invoke') {
      expect(
        Object.keys(parameters).filter((key) => !INVOKE_PARAMETERS.has(key.replace(/\.\$$/, ''))),
      ).toEqual([]);
      expect(Object.keys(parameters)).toContain('FunctionName');
      return;
    }
    if (integration.kind === 'sagemaker') expect(OPTIMIZED_SAGEMAKER).toContain(integration.action);
    const service = integration.kind === 'sdk' ? integration.service : 'sagemaker';
    expect(hasOperation(service, integration.operation)).toBe(true);
    expect(checkInput(service, integration.operation, parameters)).toEqual([]);
  });
});

describe('Retry and Catch error names, against the errors each integration can raise', () => {
  it.each(tasks.map((t) => [t.name, t.state] as const))('%s', (_name, state) => {
    const known = raisable(integrationOf(state.Resource));
    const named = [...(state.Retry ?? []), ...(state.Catch ?? [])].flatMap((clause) => clause.ErrorEquals);

    expect(named.filter((error) => !STATES_ERRORS.has(error) && !known.has(error))).toEqual([]);
  });
});

describe('the model check itself', () => {
  it('refuses an unknown member, a missing required member, a wrong type and an unknown enum literal', () => {
    const issues = checkInput('cloudwatch', 'DescribeAlarms', {
      AlarmNames: 'not-a-list',
      StateValue: 'RED',
      Colour: 'blue',
    });
    const missing = checkInput('sagemaker', 'UpdateEndpoint', { 'EndpointName.$': '$.name' });
    const nested = checkInput('sagemaker', 'CreateEndpointConfig', {
      EndpointConfigName: 'c',
      ProductionVariants: [{ VariantName: 'v', ModelName: 'm', InstanceType: 'ml.nope', Weight: 1 }],
    });

    expect(issues.map((i) => i.path).sort()).toEqual(['AlarmNames', 'Colour', 'StateValue']);
    expect(missing).toEqual([{ path: 'EndpointConfigName', problem: 'is required' }]);
    expect(nested.map((i) => i.path)).toEqual([
      'ProductionVariants[0].InstanceType',
      'ProductionVariants[0].Weight',
    ]);
  });

  it('knows the errors each operation is modeled to throw', () => {
    expect(operationErrors('lambda', 'GetAlias')).toContain('ResourceNotFoundException');
    expect(operationErrors('sagemaker', 'CreateModel')).toEqual(['ResourceLimitExceeded']);
    expect(operationErrors('sagemaker', 'DescribeEndpoint')).toEqual([]);
    expect(sdkErrorName('sagemaker', 'ResourceLimitExceeded')).toBe(
      'SageMaker.ResourceLimitExceededException',
    );
  });
});

/** The string literals a Choice compares `variable` with, in every rule (And / Or / Not included). */
const literalsOf = (rules: readonly ChoiceRule[], variable: string): string[] =>
  rules.flatMap((rule) => {
    const nested = ['And', 'Or'].flatMap((op) => (rule[op] as readonly ChoiceRule[] | undefined) ?? []);
    const not = rule['Not'] ? [rule['Not'] as ChoiceRule] : [];
    const own =
      rule['Variable'] === variable && typeof rule['StringEquals'] === 'string' ? [rule['StringEquals']] : [];
    return [...own, ...literalsOf([...nested, ...not], variable)];
  });

describe('every status a poll loop reads is one the model documents, and every settled one is handled', () => {
  const states = MACHINES['deployment']!.States as Record<string, State>;
  /** The statuses that are still moving: the loop polls again (until its deadline) on these. */
  it.each([
    [
      'SmStatus',
      '$.endpoint.status',
      'sagemaker',
      'EndpointStatus',
      ['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting'],
    ],
    [
      'SmRollbackStatus',
      '$.endpoint.status',
      'sagemaker',
      'EndpointStatus',
      ['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting'],
    ],
    ['BtStatus', '$.job.status', 'sagemaker', 'TransformJobStatus', ['InProgress', 'Stopping']],
    ['LmUpdated', '$.configuration.status', 'lambda', 'LastUpdateStatus', ['InProgress']],
  ] as const)('%s reads %s: %s %s', (name, variable, service, enumName, moving) => {
    const state = states[name]!;
    if (state.Type !== 'Choice') throw new Error(`${name} is not a Choice`);
    const documented = enumValues(service, enumName);
    const handled = new Set(literalsOf(state.Choices, variable));

    expect([...handled].filter((value) => !documented.includes(value))).toEqual([]);
    expect(moving.filter((value) => !documented.includes(value))).toEqual([]);
    expect(
      documented.filter((value) => !handled.has(value) && !(moving as readonly string[]).includes(value)),
    ).toEqual([]);
    // Polling again goes through the loop's deadline, never straight back to its Wait.
    expect(states[state.Default!]?.Type).toBe('Pass');
  });
});
