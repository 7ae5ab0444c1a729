/**
 * A small typed subset of the Amazon States Language: the shapes Steward's state machines use, and
 * the Task helpers that attach each integration's one retry policy (`retry-policies.ts`), so no Retry
 * block is written by hand. `npm run asl` renders the machines of `machines.ts` into
 * `statemachines/*.asl.json`, which the CDK app and local mode read.
 */
import { operationErrors, operationName, sdkErrorName } from './api-models.ts';
import { type IntegrationKind, retryPolicy, SDK_ERROR_PREFIX, type SdkService } from './retry-policies.ts';

/** A JSON value, as Parameters, Payload and selectors hold them. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds: number;
  readonly MaxAttempts: number;
  readonly BackoffRate: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

export interface Catcher {
  readonly ErrorEquals: readonly string[];
  readonly ResultPath?: string | null;
  readonly Next: string;
}

type Transition =
  | { readonly Next: string; readonly End?: never }
  | { readonly End: true; readonly Next?: never };

interface IO {
  readonly Comment?: string;
  readonly InputPath?: string | null;
  readonly OutputPath?: string | null;
}

/** What a Task carries besides its Resource, Parameters, Credentials and Retry. */
export type TaskOptions = IO &
  Transition & {
    readonly ResultSelector?: JsonObject;
    readonly ResultPath?: string | null;
    readonly TimeoutSeconds?: number;
    readonly TimeoutSecondsPath?: string;
    readonly HeartbeatSeconds?: number;
    readonly Catch?: readonly Catcher[];
  };

export type TaskState = {
  readonly Type: 'Task';
  readonly Resource: string;
  readonly Parameters?: JsonObject;
  readonly Credentials?: JsonObject;
  readonly Retry?: readonly Retrier[];
} & TaskOptions;

export type PassState = IO &
  Transition & {
    readonly Type: 'Pass';
    readonly Parameters?: JsonObject;
    readonly Result?: Json;
    readonly ResultPath?: string | null;
  };

export type WaitState = IO &
  Transition & { readonly Type: 'Wait' } & (
    | { readonly Seconds: number }
    | { readonly SecondsPath: string }
    | { readonly Timestamp: string }
    | { readonly TimestampPath: string }
  );

/** A Choice rule: a comparison on `Variable`, or And / Or / Not of rules. */
export type ChoiceRule = { readonly [operator: string]: Json | readonly ChoiceRule[] | ChoiceRule };

export type ChoiceState = IO & {
  readonly Type: 'Choice';
  readonly Choices: readonly (ChoiceRule & { readonly Next: string })[];
  readonly Default?: string;
};

export interface FailState {
  readonly Type: 'Fail';
  readonly Comment?: string;
  readonly Error?: string;
  readonly Cause?: string;
  readonly CausePath?: string;
}

export interface SucceedState {
  readonly Type: 'Succeed';
  readonly Comment?: string;
}

/** The states of a Map iteration or a Parallel branch. */
export interface Graph {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, State>>;
}

export type ItemProcessor = Graph & {
  readonly ProcessorConfig:
    | { readonly Mode: 'INLINE' }
    | { readonly Mode: 'DISTRIBUTED'; readonly ExecutionType: 'STANDARD' | 'EXPRESS' };
};

/** A Distributed Map's source of items: an S3 object, a listing or a manifest. */
export interface ItemReader {
  readonly Resource: string;
  readonly ReaderConfig?: JsonObject;
  readonly Parameters?: JsonObject;
}

export interface ItemBatcher {
  readonly MaxItemsPerBatch?: number;
  readonly MaxItemsPerBatchPath?: string;
  readonly MaxInputBytesPerBatch?: number;
  readonly BatchInput?: JsonObject;
}

export interface ResultWriter {
  readonly Resource: string;
  readonly Parameters: JsonObject;
}

export type MapState = IO &
  Transition & {
    readonly Type: 'Map';
    readonly ItemsPath?: string;
    readonly ItemReader?: ItemReader;
    readonly ItemSelector?: JsonObject;
    readonly ItemBatcher?: ItemBatcher;
    readonly ItemProcessor: ItemProcessor;
    readonly ResultWriter?: ResultWriter;
    readonly MaxConcurrency?: number;
    readonly ToleratedFailurePercentage?: number;
    readonly Label?: string;
    readonly ResultSelector?: JsonObject;
    readonly ResultPath?: string | null;
    readonly Retry?: readonly Retrier[];
    readonly Catch?: readonly Catcher[];
  };

export type ParallelState = IO &
  Transition & {
    readonly Type: 'Parallel';
    readonly Branches: readonly Graph[];
    readonly ResultSelector?: JsonObject;
    readonly ResultPath?: string | null;
    readonly Retry?: readonly Retrier[];
    readonly Catch?: readonly Catcher[];
  };

export type State =
  | TaskState
  | PassState
  | WaitState
  | ChoiceState
  | FailState
  | SucceedState
  | MapState
  | ParallelState;

export type StateMachine = Graph & {
  readonly Comment: string;
  readonly TimeoutSeconds?: number;
};

/** A `${Name}` placeholder, filled by `definitionSubstitutions` (CDK) or local mode. */
export const placeholder = (name: string): string => `\${${name}}`;

/** The Resource ARN of a Step Functions integration (`states:::<service>:<action>`). */
const integration = (path: string): string => `arn:aws:states:::${path}`;

const task = (
  kind: IntegrationKind,
  resource: string,
  parameters: JsonObject,
  credentials: JsonObject | undefined,
  options: TaskOptions,
  extraRetry: readonly Retrier[] = [],
): TaskState => {
  const { Catch, Next, End, ...rest } = options;
  return {
    Type: 'Task',
    Resource: resource,
    Parameters: parameters,
    ...(credentials ? { Credentials: credentials } : {}),
    ...rest,
    Retry: [...retryPolicy(kind), ...extraRetry],
    ...(Catch ? { Catch } : {}),
    ...((End ? { End } : { Next }) as Transition),
  };
};

/** `lambda:invoke` (or `.waitForTaskToken`) of one of Steward's own task functions. */
export const invoke = (
  functionPlaceholder: string,
  payload: JsonObject,
  options: TaskOptions & {
    /**
     * The function is idempotent and its failure is worth retrying (a record of an outcome that
     * must not be lost to a conflict or a brief outage): States.TaskFailed is retried too.
     */
    readonly idempotent?: boolean;
    readonly waitForTaskToken?: boolean;
  },
): TaskState => {
  const { idempotent, waitForTaskToken, ...rest } = options;
  return task(
    'lambda-invoke',
    integration(waitForTaskToken ? 'lambda:invoke.waitForTaskToken' : 'lambda:invoke'),
    { FunctionName: placeholder(functionPlaceholder), Payload: payload },
    undefined,
    rest,
    idempotent ? [IDEMPOTENT_TASK_RETRY] : [],
  );
};

const IDEMPOTENT_TASK_RETRY: Retrier = {
  ErrorEquals: ['States.TaskFailed'],
  IntervalSeconds: 2,
  MaxAttempts: 4,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
};

/** The Task helpers of a target account: every call made with `credentials` (an assumed role). */
export const targetTasks = (credentials: JsonObject) => ({
  /**
   * An AWS SDK integration: `aws-sdk:<service>:<action>`, Parameters in the API's PascalCase. The
   * service's retry policy keeps only the errors this operation can raise (its modeled errors, the
   * SDK's base exception, the throttle).
   */
  sdk: (service: SdkService, action: string, parameters: JsonObject, options: TaskOptions): TaskState => {
    const state = task(
      `sdk-${service}`,
      integration(`aws-sdk:${service}:${action}`),
      parameters,
      credentials,
      options,
    );
    const prefix = SDK_ERROR_PREFIX[service];
    const raisable = new Set([
      ...operationErrors(service, operationName(action)).map((error) => sdkErrorName(service, error)),
      `${prefix}.${prefix}Exception`,
      `${prefix}.ThrottlingException`,
    ]);
    const Retry = (state.Retry ?? [])
      .map((retrier) => ({ ...retrier, ErrorEquals: retrier.ErrorEquals.filter((e) => raisable.has(e)) }))
      .filter((retrier) => retrier.ErrorEquals.length > 0);
    return { ...state, Retry };
  },
  /** An optimized SageMaker integration: `sagemaker:<action>` (request/response). */
  sageMaker: (action: string, parameters: JsonObject, options: TaskOptions): TaskState =>
    task('sagemaker', integration(`sagemaker:${action}`), parameters, credentials, options),
});

/** A Catch of every error, its details kept at `resultPath`. */
export const catchAll = (next: string, resultPath: string | null = '$.error'): Catcher => ({
  ErrorEquals: ['States.ALL'],
  ResultPath: resultPath,
  Next: next,
});

/** Every state a machine (and its Map / Parallel graphs) holds, with the path of names to it. */
export function* statesOf(graph: Graph, path: readonly string[] = []): Generator<[string[], State]> {
  for (const [name, state] of Object.entries(graph.States)) {
    yield [[...path, name], state];
    if (state.Type === 'Map') yield* statesOf(state.ItemProcessor, [...path, name]);
    if (state.Type === 'Parallel')
      for (const [i, branch] of state.Branches.entries()) yield* statesOf(branch, [...path, name, `${i}`]);
  }
}

/** The states a transition names, checked to exist in the same graph (a typo fails `npm run asl`). */
const checkGraph = (graph: Graph, where: string): void => {
  const names = new Set(Object.keys(graph.States));
  const targets: string[] = [graph.StartAt];
  for (const [name, state] of Object.entries(graph.States)) {
    if ('Next' in state && state.Next) targets.push(state.Next);
    if ('Catch' in state) for (const c of state.Catch ?? []) targets.push(c.Next);
    if (state.Type === 'Choice') {
      for (const c of state.Choices) targets.push(c.Next);
      if (state.Default) targets.push(state.Default);
    }
    if (state.Type === 'Map') checkGraph(state.ItemProcessor, `${where}/${name}`);
    if (state.Type === 'Parallel') for (const b of state.Branches) checkGraph(b, `${where}/${name}`);
  }
  const missing = targets.filter((t) => !names.has(t));
  if (missing.length) throw new Error(`${where}: transitions to unknown states ${JSON.stringify(missing)}`);
};

export const stateMachine = (name: string, machine: StateMachine): StateMachine => {
  checkGraph(machine, name);
  return machine;
};

/** The text of an ASL file as `npm run asl` writes it. */
export const render = (machine: StateMachine): string => `${JSON.stringify(machine, null, 2)}\n`;
