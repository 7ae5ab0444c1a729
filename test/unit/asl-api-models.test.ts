import { describe, expect, it, vi } from 'vitest';
import {
  blueGreenPolicy,
  DeploymentBody,
  SAGEMAKER_LIMITS,
  Strategy,
  trafficSteps,
} from '../../functions/domain/deployment.ts';
import {
  checkInput,
  enumValues,
  hasOperation,
  installedShape,
  memberDocumentation,
  NEWER_BOUNDS,
  operationErrors,
  operationName,
  sdkErrorName,
  shapeBounds,
} from '../../infra/asl/api-models.ts';
import { type ChoiceRule, type State, statesOf, type TaskState } from '../../infra/asl/asl.ts';
import { MACHINES } from '../../infra/asl/machines.ts';
import { SDK_ERROR_PREFIX, type SdkService } from '../../infra/asl/retry-policies.ts';

/**
 * Every Task of every state machine, checked against AWS's published API models (aws-sdk v2
 * `apis/*.min.json` for members, required members and types; the v3 clients' declarations for
 * enums and each operation's modeled errors; botocore's service-2.json, from Debian's
 * python3-botocore, for min/max/pattern): what the ASL sends, and what it retries and catches. The
 * API's SageMaker strategy limits are checked against the same bounds.
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

  it('refuses literals outside the bounds of botocore: lengths, patterns, numbers', () => {
    const issues = checkInput('sagemaker', 'UpdateEndpoint', {
      EndpointName: 'e'.repeat(64),
      EndpointConfigName: '-starts-with-a-dash',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'CANARY',
            WaitIntervalInSeconds: 3601,
            CanarySize: { Type: 'CAPACITY_PERCENT', Value: 0 },
          },
          MaximumExecutionTimeoutInSeconds: 599,
        },
      },
    });
    const alarms = checkInput('cloudwatch', 'DescribeAlarms', {
      AlarmNames: Array.from({ length: 101 }, (_, i) => `a${i}`),
    });

    expect(issues).toEqual([
      { path: 'EndpointName', problem: 'must have length less than or equal to 63' },
      {
        path: 'EndpointConfigName',
        problem: `must satisfy regular expression pattern: ${shapeBounds('sagemaker', 'EndpointConfigName').pattern}`,
      },
      {
        path: 'DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.WaitIntervalInSeconds',
        problem: 'must have value less than or equal to 3600',
      },
      {
        path: 'DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.Value',
        problem: 'must have value greater than or equal to 1',
      },
      {
        path: 'DeploymentConfig.BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds',
        problem: 'must have value greater than or equal to 600',
      },
    ]);
    expect(alarms).toEqual([{ path: 'AlarmNames', problem: 'must have length less than or equal to 100' }]);
  });

  it('fails, naming the Debian package, when botocore is not installed, rather than skip the bounds', async () => {
    vi.resetModules();
    const previous = process.env.BOTOCORE_DATA;
    process.env.BOTOCORE_DATA = '/nonexistent/botocore/data';
    try {
      const models = await import('../../infra/asl/api-models.ts');

      expect(() => models.checkInput('lambda', 'GetAlias', { FunctionName: 'f', Name: 'live' })).toThrow(
        /python3-botocore/,
      );
      expect(() => models.shapeBounds('sagemaker', 'WaitIntervalInSeconds')).toThrow(/python3-botocore/);
      // The local simulators go on without bounds (npm start needs no Debian package).
      expect(
        models.checkInput(
          'lambda',
          'GetAlias',
          { FunctionName: 'f', Name: 'live' },
          { bounds: 'if-installed' },
        ),
      ).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.BOTOCORE_DATA;
      else process.env.BOTOCORE_DATA = previous;
      vi.resetModules();
    }
  });

  it('keeps a newer bound only while the installed model still disagrees with it', () => {
    for (const [service, shapes] of Object.entries(NEWER_BOUNDS))
      for (const [name, newer] of Object.entries(shapes ?? {})) {
        const installed = installedShape(service as SdkService, name);

        expect(installed, `${service} ${name}`).toBeDefined();
        expect(
          installed!.min !== newer.min || installed!.max !== newer.max,
          `${service} ${name}: the installed model agrees now; remove it from NEWER_BOUNDS`,
        ).toBe(true);
        expect(newer.source).toMatch(/API Reference/);
      }
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

describe("the API's SageMaker strategy limits, against the model's bounds", () => {
  const routing = 'TrafficRoutingConfig';
  const percent = (text: string, pattern: RegExp) => {
    const match = pattern.exec(text);
    if (!match) throw new Error(`the model no longer words it so: ${text}`);
    return match.slice(1).map(Number);
  };

  it('a bake is at most WaitIntervalInSeconds, the whole update at most MaximumExecutionTimeoutInSeconds', () => {
    expect(SAGEMAKER_LIMITS.maxWaitSeconds).toBe(shapeBounds('sagemaker', 'WaitIntervalInSeconds').max);
    expect(SAGEMAKER_LIMITS.maxWaitSeconds).toBe(shapeBounds('sagemaker', 'TerminationWaitInSeconds').max);
    expect(SAGEMAKER_LIMITS.maxExecutionSeconds).toBe(
      shapeBounds('sagemaker', 'MaximumExecutionTimeoutInSeconds').max,
    );
  });

  it('a canary and a linear step are the shares the model documents for CanarySize and LinearStepSize', () => {
    const [canary] = percent(
      memberDocumentation('sagemaker', routing, 'CanarySize'),
      /less than or equal to (\d+)% of the variant/,
    );
    const [low, high] = percent(
      memberDocumentation('sagemaker', routing, 'LinearStepSize'),
      /must be (\d+)-(\d+)% of the variant/,
    );

    expect(SAGEMAKER_LIMITS.maxCanaryPercent).toBe(canary);
    expect(SAGEMAKER_LIMITS.linearPercent).toEqual({ min: low, max: high });
    expect(shapeBounds('sagemaker', 'CapacitySizeValue').min).toBe(1);
  });

  /** Every strategy at the edges of the limits, and just past them. */
  const strategies = [
    ...[0, 1, 59, 60, 61].map((bakeMinutes) => ({ kind: 'all-at-once', bakeMinutes })),
    ...[1, 49, 50, 51, 99].flatMap((p) =>
      [0, 5, 60].map((bakeMinutes) => ({ kind: 'canary', percent: p, bakeMinutes })),
    ),
    ...[1, 9, 10, 25, 50, 51].flatMap((p) =>
      [0, 5, 30, 60].map((bakeMinutes) => ({ kind: 'linear', percent: p, bakeMinutes })),
    ),
  ];
  const target = { kind: 'sagemaker', endpointName: 'steward-churn', instanceType: 'ml.m5.large' };

  it.each(strategies.map((s) => [JSON.stringify(s), s] as const))(
    'the API accepts %s exactly when SageMaker would',
    (_name, strategy) => {
      const accepted = DeploymentBody.safeParse({ environment: 'dev', target, strategy }).success;
      const config = blueGreenPolicy(Strategy.parse(strategy), ['steward-churn-rollback']);
      const issues = checkInput('sagemaker', 'UpdateEndpoint', {
        EndpointName: 'steward-churn',
        EndpointConfigName: 'steward-churn-2',
        DeploymentConfig: config,
      });
      const share = (strategy as { percent?: number }).percent ?? 0;
      const documented =
        strategy.kind === 'canary'
          ? share <= SAGEMAKER_LIMITS.maxCanaryPercent
          : strategy.kind === 'linear'
            ? share >= SAGEMAKER_LIMITS.linearPercent.min && share <= SAGEMAKER_LIMITS.linearPercent.max
            : true;

      expect(accepted).toBe(issues.length === 0 && documented);
    },
  );

  it('every Lambda traffic weight is within the model bounds of AdditionalVersionWeights', () => {
    const weight = shapeBounds('lambda', 'Weight');
    for (let p = 1; p <= 99; p++)
      for (const kind of ['canary', 'linear'] as const)
        for (const w of trafficSteps(Strategy.parse({ kind, percent: p })))
          expect(w >= weight.min! && w <= weight.max!, `${kind} ${p}: ${w}`).toBe(true);
  });
});
