import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createLocalStepFunctions,
  type LocalStepFunctions,
  type LocalStepFunctionsOptions,
  startLocalStepFunctionsEndpoint,
  type TaskContext,
} from '#local/stepfunctions';
import { eventually } from '../eventually.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'asl');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

const ACCOUNT = '000000000000';
const NOTIFY_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:steward-notify-approvers`;
const FLAKY_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:steward-flaky`;
const SQUARE_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:steward-square`;
const BROKEN_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:steward-broken`;
const DEPLOY_ROLE = 'arn:aws:iam::111111111111:role/steward-deploy';
const TARGET_ROLE = 'arn:aws:iam::222222222222:role/steward-target';
const QUEUE_URL = `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/steward-callbacks`;

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const rejection = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
};

const parse = (text: string | undefined): unknown => (text === undefined ? undefined : JSON.parse(text));

let service: LocalStepFunctions | undefined;
let closeEndpoint: (() => Promise<void>) | undefined;

const startService = (options: LocalStepFunctionsOptions) => {
  service = createLocalStepFunctions(options);
  return service;
};

const startEndpoint = async (sfn: LocalStepFunctions) => {
  const { endpoint, close } = await startLocalStepFunctionsEndpoint(sfn, { host: '127.0.0.1', port: 0 });
  closeEndpoint = close;
  return new SFNClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
};

afterEach(async () => {
  await service?.close();
  await closeEndpoint?.();
  service = undefined;
  closeEndpoint = undefined;
});

// Suite time limits make a runner that ignores a timeout or a scale fail instead of passing slowly.
describe('local Step Functions: callback tasks through the real SFNClient', { timeout: 10_000 }, () => {
  interface Notification {
    payload: { group: string; version: string; taskToken: string; executionId: string };
    ctx: TaskContext;
  }

  const approvalSetup = async (options: Partial<LocalStepFunctionsOptions> = {}) => {
    const notifications: Notification[] = [];
    const sfn = startService({
      ...options,
      resources: {
        [NOTIFY_ARN]: async (input, ctx) => {
          notifications.push({ payload: input as Notification['payload'], ctx });
          return { sent: true };
        },
      },
    });
    const { stateMachineArn } = sfn.register('approval', fixture('parallel-callback.asl.json'), {
      NotifyFunctionArn: NOTIFY_ARN,
    });
    const client = await startEndpoint(sfn);
    const tokenOf = (group: string) =>
      notifications.find((n) => n.payload.group === group)?.payload.taskToken;
    return { sfn, client, stateMachineArn, notifications, tokenOf };
  };

  it('gives each parallel branch its own token and resumes each branch with its own output', async () => {
    const { sfn, client, stateMachineArn, notifications, tokenOf } = await approvalSetup();

    const started = await client.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: 'approve-v3',
        input: JSON.stringify({ version: 'v3', timeoutSeconds: 3600 }),
      }),
    );
    const riskToken = await eventually('the risk notification', () => tokenOf('risk'));
    const techToken = await eventually('the tech notification', () => tokenOf('tech'));

    expect(started.executionArn).toBe(`arn:aws:states:us-east-1:${ACCOUNT}:execution:approval:approve-v3`);
    expect(riskToken).not.toBe(techToken);
    for (const n of notifications) {
      expect(n.ctx.taskToken).toBe(n.payload.taskToken);
      expect(n.payload.executionId).toBe(started.executionArn);
      expect(n.payload.version).toBe('v3');
    }
    const running = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(running.status).toBe('RUNNING');

    // Answer in the opposite order: the results still land in branch order.
    await client.send(
      new SendTaskSuccessCommand({
        taskToken: techToken,
        output: JSON.stringify({ approved: true, by: 'tech' }),
      }),
    );
    await client.send(
      new SendTaskSuccessCommand({
        taskToken: riskToken,
        output: JSON.stringify({ approved: true, by: 'risk' }),
      }),
    );
    await sfn.waitForExecution(started.executionArn!);
    const done = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));

    expect(done.status).toBe('SUCCEEDED');
    expect(done.stopDate).toBeInstanceOf(Date);
    expect(parse(done.output)).toEqual({
      outcome: 'approved',
      decisions: [
        { approved: true, by: 'risk' },
        { approved: true, by: 'tech' },
      ],
    });
  });

  it('answers TaskTimedOut for a closed token and TaskDoesNotExist for an unknown one, as SDK exceptions', async () => {
    const { sfn, client, stateMachineArn, tokenOf } = await approvalSetup();
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn,
        input: JSON.stringify({ version: 'v4', timeoutSeconds: 3600 }),
      }),
    );
    const riskToken = await eventually('the risk notification', () => tokenOf('risk'));
    const techToken = await eventually('the tech notification', () => tokenOf('tech'));
    await client.send(new SendTaskHeartbeatCommand({ taskToken: riskToken }));
    await client.send(new SendTaskSuccessCommand({ taskToken: riskToken, output: '{"approved":true}' }));

    const again = await rejection(
      client.send(new SendTaskSuccessCommand({ taskToken: riskToken, output: '{}' })),
    );
    const unknown = await rejection(
      client.send(new SendTaskFailureCommand({ taskToken: 'no-such-token', error: 'Rejected' })),
    );
    const badOutput = await rejection(
      client.send(new SendTaskSuccessCommand({ taskToken: techToken, output: '{' })),
    );
    const inProcess = await rejection(Promise.resolve().then(() => sfn.sendTaskSuccess(riskToken, '{}')));

    expect(again.name).toBe('TaskTimedOut');
    expect(unknown.name).toBe('TaskDoesNotExist');
    expect(badOutput.name).toBe('InvalidOutput');
    expect(inProcess.name).toBe('TaskTimedOut');
    expect(sfn.describeExecution(executionArn!).status).toBe('RUNNING');
  });

  it('fails a branch on SendTaskFailure, so the Parallel Catch sees the error and cause', async () => {
    const { sfn, client, stateMachineArn, tokenOf } = await approvalSetup();
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn,
        input: JSON.stringify({ version: 'v5', timeoutSeconds: 3600 }),
      }),
    );
    const riskToken = await eventually('the risk notification', () => tokenOf('risk'));
    const techToken = await eventually('the tech notification', () => tokenOf('tech'));

    await client.send(
      new SendTaskFailureCommand({ taskToken: riskToken, error: 'Rejected', cause: 'calibration is off' }),
    );
    const done = await sfn.waitForExecution(executionArn!);
    // The other branch was abandoned with the execution: its token is closed too.
    const late = await rejection(
      client.send(new SendTaskSuccessCommand({ taskToken: techToken, output: '{}' })),
    );

    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toEqual({ outcome: 'rejected', error: 'Rejected', cause: 'calibration is off' });
    expect(late.name).toBe('TaskTimedOut');
    expect(sfn.pendingTaskTokens(executionArn)).toEqual([]);
  });

  it('times a callback task out after TimeoutSecondsPath, caught as States.Timeout by a Catch into a Pass state', async () => {
    const { sfn, client, stateMachineArn, tokenOf } = await approvalSetup({ timeoutScale: 0.05 });
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn,
        input: JSON.stringify({ version: 'v6', timeoutSeconds: 1 }),
      }),
    );
    const riskToken = await eventually('the risk notification', () => tokenOf('risk'));

    const done = await sfn.waitForExecution(executionArn!);
    const late = await rejection(
      client.send(new SendTaskSuccessCommand({ taskToken: riskToken, output: '{}' })),
    );

    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toEqual({ outcome: 'timed-out', error: 'States.Timeout' });
    expect(late.name).toBe('TaskTimedOut');
  });

  it('stops and lists executions through the SFN API', async () => {
    const { client, stateMachineArn } = await approvalSetup();
    const first = await client.send(
      new StartExecutionCommand({
        stateMachineArn,
        input: JSON.stringify({ version: 'v7', timeoutSeconds: 3600 }),
      }),
    );
    const second = await client.send(
      new StartExecutionCommand({
        stateMachineArn,
        input: JSON.stringify({ version: 'v8', timeoutSeconds: 3600 }),
      }),
    );

    await client.send(new StopExecutionCommand({ executionArn: first.executionArn, error: 'Withdrawn' }));
    const stopped = await client.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    const aborted = await client.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: 'ABORTED' }),
    );
    const all = await client.send(new ListExecutionsCommand({ stateMachineArn }));
    const missing = await rejection(
      client.send(
        new StartExecutionCommand({
          stateMachineArn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:nope`,
        }),
      ),
    );
    const clash = await rejection(
      client.send(new StartExecutionCommand({ stateMachineArn, name: first.executionArn!.split(':').pop() })),
    );

    expect(stopped.status).toBe('ABORTED');
    expect(stopped.error).toBe('Withdrawn');
    expect(aborted.executions?.map((e) => e.executionArn)).toEqual([first.executionArn]);
    expect(all.executions?.map((e) => e.executionArn)).toEqual([second.executionArn, first.executionArn]);
    expect(missing.name).toBe('StateMachineDoesNotExist');
    expect(clash.name).toBe('ExecutionAlreadyExists');
  });
});

describe('local Step Functions: task timeouts and heartbeats', { timeout: 10_000 }, () => {
  const setup = () => {
    const messages: { token: string; request: string }[] = [];
    const sfn = startService({
      timeoutScale: 0.02, // TimeoutSeconds 60 -> 1.2 s, HeartbeatSeconds 10 -> 200 ms
      resources: {
        // Registered without the `.waitForTaskToken` suffix: the integration's base resource serves both.
        'arn:aws:states:::sqs:sendMessage': (input) => {
          const { MessageBody } = input as { MessageBody: { token: string; request: string } };
          messages.push(MessageBody);
          return { MessageId: 'm-1' };
        },
      },
    });
    sfn.register('callback', fixture('callback-timeouts.asl.json'), { QueueUrl: QUEUE_URL });
    return { sfn, messages };
  };

  it('fails the task with States.HeartbeatTimeout when no heartbeat comes', async () => {
    const { sfn } = setup();
    const { executionArn } = sfn.startExecution('callback', { request: 'r1' });

    const done = await sfn.waitForExecution(executionArn);

    expect(done.output).toMatchObject({
      caught: 'heartbeat-timeout',
      error: { Error: 'States.HeartbeatTimeout' },
    });
  });

  it('keeps a task alive on heartbeats until TimeoutSeconds, which States.TaskFailed does not catch', async () => {
    const { sfn, messages } = setup();
    const { executionArn } = sfn.startExecution('callback', { request: 'r2' });
    const token = await eventually('the callback message', () => messages[0]?.token);
    const beat = setInterval(() => {
      try {
        sfn.sendTaskHeartbeat(token);
      } catch {
        clearInterval(beat);
      }
    }, 40);

    const done = await sfn.waitForExecution(executionArn);
    clearInterval(beat);

    expect(messages[0]?.request).toBe('r2');
    expect(done.output).toMatchObject({ caught: 'timeout', error: { Error: 'States.Timeout' } });
  });

  it('lets States.TaskFailed catch a failure sent for the token', async () => {
    const { sfn, messages } = setup();
    const { executionArn } = sfn.startExecution('callback', { request: 'r3' });
    const token = await eventually('the callback message', () => messages[0]?.token);

    sfn.sendTaskFailure(token, 'Boom', 'worker gave up');
    const done = await sfn.waitForExecution(executionArn);

    expect(done.output).toMatchObject({
      caught: 'task-failed',
      error: { Error: 'Boom', Cause: 'worker gave up' },
    });
  });
});

describe('local Step Functions: Lambda tasks, Retry and Catch', { timeout: 5_000 }, () => {
  const substitutions = {
    FlakyFunctionArn: FLAKY_ARN,
    SquareFunctionName: 'steward-square',
    BrokenFunctionArn: BROKEN_ARN,
  };

  const setup = (flakyFailures: number) => {
    const calls = { flaky: 0, square: 0, broken: 0 };
    const sfn = startService({
      waitScale: 0.001,
      resources: {
        [FLAKY_ARN]: (input) => {
          calls.flaky++;
          if (calls.flaky <= flakyFailures)
            throw new NamedError('TransientError', `attempt ${calls.flaky} failed`);
          return { ok: true, attempts: calls.flaky, model: (input as { model: string }).model };
        },
        // Registered by ARN, called by name from inside a Map iteration.
        [SQUARE_ARN]: async (input) => {
          calls.square++;
          return (input as number) ** 2;
        },
        [BROKEN_ARN]: () => {
          calls.broken++;
          throw new NamedError('BrokenError', 'the model file is corrupt');
        },
      },
    });
    const registered = sfn.register('lambdas', fixture('lambda-retry-catch.asl.json'), substitutions);
    return { sfn, calls, registered };
  };

  it('retries a custom error name, shapes lambda:invoke results, runs Map tasks and catches with States.ALL', async () => {
    const { sfn, calls, registered } = setup(2);

    const { executionArn } = sfn.startExecution('lambdas', { model: 'churn', numbers: [2, 3, 4] });
    const done = await sfn.waitForExecution(executionArn);

    expect(registered.resources).toEqual([FLAKY_ARN, 'steward-square', BROKEN_ARN]);
    expect(done.status).toBe('SUCCEEDED');
    expect(calls).toEqual({ flaky: 3, square: 3, broken: 1 });
    const output = done.output as {
      flaky: unknown;
      squares: unknown;
      failure: { Error: string; Cause: string };
    };
    expect(output.flaky).toEqual({ ok: true, attempts: 3, statusCode: 200 });
    expect(output.squares).toEqual([4, 9, 16]);
    expect(output.failure.Error).toBe('BrokenError');
    expect(JSON.parse(output.failure.Cause)).toMatchObject({
      errorType: 'BrokenError',
      errorMessage: 'the model file is corrupt',
    });
    const history = sfn.getExecutionHistory(executionArn);
    expect(history.filter((e) => e.type === 'StateRetried').map((e) => e.stateName)).toEqual([
      'Flaky',
      'Flaky',
    ]);
    expect(history.find((e) => e.type === 'StateCaught')?.stateName).toBe('Broken');
    expect(history.at(-1)?.type).toBe('ExecutionSucceeded');
  });

  it('fails the execution with the error name once Retry is exhausted', async () => {
    const { sfn, calls } = setup(100);

    const { executionArn } = sfn.startExecution('lambdas', { model: 'churn', numbers: [] });
    const done = await sfn.waitForExecution(executionArn);

    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('TransientError');
    expect(JSON.parse(done.cause ?? '{}')).toMatchObject({ errorMessage: 'attempt 4 failed' });
    expect(calls.flaky).toBe(4);
  });

  it('fails the execution, past Retry and Catch, when a Task has no local handler', async () => {
    const sfn = startService({ waitScale: 0.001, resources: {} });
    sfn.register('lambdas', fixture('lambda-retry-catch.asl.json'), substitutions);

    const done = await sfn.waitForExecution(
      sfn.startExecution('lambdas', { model: 'm', numbers: [] }).executionArn,
    );

    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('States.Runtime');
    expect(done.cause).toContain(FLAKY_ARN);
  });
});

describe('local Step Functions: service integrations, Wait loops and Credentials', {
  timeout: 10_000,
}, () => {
  const setup = (statuses: string[]) => {
    const seen: { resource: string; input: unknown; credentials: TaskContext['credentials'] }[] = [];
    let describeCalls = 0;
    const sfn = startService({
      waitScale: 0.001, // Wait 30 s -> 30 ms, SecondsPath 60 s -> 60 ms, Retry 5 s -> 5 ms
      resources: {
        'arn:aws:states:::sagemaker:createEndpoint': (input, ctx) => {
          seen.push({ resource: ctx.resource, input, credentials: ctx.credentials });
          return { EndpointArn: 'arn:aws:sagemaker:us-east-1:222222222222:endpoint/churn' };
        },
        'arn:aws:states:::aws-sdk:sagemaker:describeEndpoint': (input, ctx) => {
          seen.push({ resource: ctx.resource, input, credentials: ctx.credentials });
          describeCalls++;
          if (describeCalls === 1) throw new NamedError('SageMaker.ThrottlingException', 'Rate exceeded');
          return { EndpointName: 'churn', EndpointStatus: statuses[describeCalls - 2] ?? 'InService' };
        },
      },
    });
    sfn.register('deploy', fixture('deploy-poll.asl.json'), { DeployRoleArn: DEPLOY_ROLE });
    const input = {
      endpointName: 'churn',
      endpointConfigName: 'churn-v3',
      pollSeconds: 60,
      targetRoleArn: TARGET_ROLE,
    };
    return { sfn, seen, input };
  };

  it('polls DescribeEndpoint through a Choice + Wait loop until InService, with scaled waits', async () => {
    const { sfn, seen, input } = setup(['Creating', 'Creating', 'InService']);

    const { executionArn } = sfn.startExecution('deploy', input);
    const done = await sfn.waitForExecution(executionArn);

    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toEqual({ endpointName: 'churn', status: 'InService' });
    expect(seen.map((s) => s.resource)).toEqual([
      'arn:aws:states:::sagemaker:createEndpoint',
      ...Array(4).fill('arn:aws:states:::aws-sdk:sagemaker:describeEndpoint'),
    ]);
    expect(seen[0]?.input).toEqual({ EndpointName: 'churn', EndpointConfigName: 'churn-v3' });
    const waits = sfn.getExecutionHistory(executionArn).filter((e) => e.type === 'StateEntered');
    expect(waits.filter((e) => e.stateName === 'WaitForEndpoint').map((e) => e.stateType)).toEqual([
      'Wait',
      'Wait',
      'Wait',
    ]);
  });

  it('hands each Task its evaluated Credentials: a substituted role and a role from the input', async () => {
    const { sfn, seen, input } = setup(['InService']);

    await sfn.waitForExecution(sfn.startExecution('deploy', input).executionArn);

    expect(seen[0]?.credentials).toEqual({ RoleArn: DEPLOY_ROLE });
    expect(seen[1]?.credentials).toEqual({ RoleArn: TARGET_ROLE });
  });

  it('ends in the Fail state with its Error and Cause when the endpoint fails', async () => {
    const { sfn, input } = setup(['Creating', 'Failed']);

    const done = await sfn.waitForExecution(sfn.startExecution('deploy', input).executionArn);

    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('DeploymentFailed');
    expect(done.cause).toBe('The endpoint went to Failed');
  });
});

describe('local Step Functions: registration', () => {
  it('refuses a definition with a placeholder left unsubstituted, naming it', () => {
    const sfn = startService({});

    const attempt = () => sfn.register('deploy', fixture('deploy-poll.asl.json'), { Unrelated: 'x' });

    expect(attempt).toThrow(/\$\{DeployRoleArn\}/);
    expect(attempt).toThrow(expect.objectContaining({ name: 'InvalidDefinition' }));
  });

  it('refuses a definition asl-validator rejects, with its errors', () => {
    const sfn = startService({});

    const attempt = () =>
      sfn.register('broken', fixture('invalid-missing-target.asl.json'), { NextState: 'Nowhere' });

    expect(attempt).toThrow(/MISSING_TRANSITION_TARGET.*Nowhere/);
  });

  it('accepts the same file once the placeholder names an existing state', () => {
    const sfn = startService({});

    const registered = sfn.register('fixed', fixture('invalid-missing-target.asl.json'), {
      NextState: 'End',
    });

    expect(registered.stateMachineArn).toBe(`arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:fixed`);
  });

  it('refuses JSONata, which the library would silently ignore', () => {
    const sfn = startService({});
    const definition = {
      QueryLanguage: 'JSONata',
      StartAt: 'Done',
      States: { Done: { Type: 'Pass', Output: '{% $states.input %}', End: true } },
    };

    expect(() => sfn.register('jsonata', definition)).toThrow(/JSONata/);
  });
});
