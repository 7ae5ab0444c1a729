import { randomBytes, randomUUID } from 'node:crypto';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import type { Json } from './stepfunctions-definition.ts';

/**
 * What a Task does in local mode, as the service integrations do it on AWS: which handler a
 * Task calls, the shape of its result, the States error a thrown handler error becomes, and the
 * task tokens of callback tasks.
 */

export function deferred<T>() {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

// aws-local-stepfunctions 3 calls Promise.withResolvers, which Node 20 lacks.
const promiseStatics = Promise as unknown as { withResolvers?: unknown };
if (typeof promiseStatics.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', { configurable: true, writable: true, value: deferred });
}

export interface TaskContext {
  stateName: string;
  executionArn: string;
  /** The Task's `Resource` after substitution. */
  resource: string;
  /** `.waitForTaskToken` tasks: this invocation's own token (also put in the input in place of `$$.Task.Token`). */
  taskToken?: string;
  /** The Task's evaluated `Credentials` (cross-account role), when it has one. */
  credentials?: { RoleArn: string } & Record<string, unknown>;
}

/**
 * A local stand-in for what a Task calls. Keyed by the Lambda function (name or ARN) for Lambda
 * tasks, by the `Resource` otherwise. Returns (or resolves to) the result; throwing fails the task
 * with `error.name` as the States error.
 */
export type TaskHandler = (input: unknown, ctx: TaskContext) => unknown;

/** Error names the SFN API answers with, so callers handle local and AWS alike by `error.name`. */
export type StepFunctionsErrorName =
  | 'TaskDoesNotExist'
  | 'TaskTimedOut'
  | 'InvalidToken'
  | 'InvalidOutput'
  | 'InvalidArn'
  | 'InvalidName'
  | 'InvalidExecutionInput'
  | 'InvalidDefinition'
  | 'ExecutionDoesNotExist'
  | 'ExecutionAlreadyExists'
  | 'StateMachineDoesNotExist'
  | 'ValidationException';

export class StepFunctionsError extends Error {
  constructor(
    override readonly name: StepFunctionsErrorName,
    message: string,
  ) {
    super(message);
  }
}

/** A task failure the ASL can Retry and Catch: `name` is the States `Error`, `message` the `Cause`. */
export class TaskFailedError extends Error {
  readonly isRetryable = true;
  readonly isCatchable = true;
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/** A fault in the local set-up (no handler, bad path value): fails the execution, past Retry and Catch. */
export class LocalRuntimeError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  override readonly name = 'States.Runtime';
}

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LAMBDA_ARN = /^arn:[^:]+:lambda:([^:]*):([^:]*):function:([^:]+)(?::([^:]+))?$/;
const PARTIAL_LAMBDA_ARN = /^(\d{12}):function:([^:]+)(?::([^:]+))?$/;

export type TaskKind = 'lambda-integration' | 'lambda-arn' | 'service';

export function taskKind(resource: string): TaskKind {
  if (resource === LAMBDA_INVOKE || resource === `${LAMBDA_INVOKE}.waitForTaskToken`)
    return 'lambda-integration';
  if (LAMBDA_ARN.test(resource)) return 'lambda-arn';
  return 'service';
}

interface FunctionRef {
  name: string;
  qualifier?: string;
  account?: string;
  region?: string;
}

function parseFunctionRef(ref: string): FunctionRef {
  const full = LAMBDA_ARN.exec(ref);
  const partial = full ? null : PARTIAL_LAMBDA_ARN.exec(ref);
  const [name = ref, qualifier] = full
    ? [full[3], full[4]]
    : partial
      ? [partial[2], partial[3]]
      : ref.split(':');
  const parsed: FunctionRef = { name };
  if (qualifier && qualifier !== '$LATEST') parsed.qualifier = qualifier;
  if (full?.[1]) parsed.region = full[1];
  const account = full?.[2] ?? partial?.[1];
  if (account) parsed.account = account;
  return parsed;
}

/** A handler key names the function when name matches and qualifier, account and region do not disagree. */
function sameFunction(key: string, ref: string): boolean {
  const a = parseFunctionRef(key);
  const b = parseFunctionRef(ref);
  return (
    a.name === b.name &&
    (a.qualifier === undefined || a.qualifier === b.qualifier) &&
    (a.account === undefined || b.account === undefined || a.account === b.account) &&
    (a.region === undefined || b.region === undefined || a.region === b.region)
  );
}

/** The handler a Task calls, and the key it was found under. */
export function findHandler(
  handlers: ReadonlyMap<string, TaskHandler>,
  resource: string,
  params: unknown,
): { key: string; handler: TaskHandler } | { missing: string } {
  const kind = taskKind(resource);
  let wanted: string;
  if (kind === 'lambda-integration') {
    const fn = isRecord(params) ? params.FunctionName : undefined;
    if (typeof fn !== 'string') return { missing: `${resource} without a FunctionName` };
    wanted = fn;
  } else {
    wanted = resource;
  }
  const exact = handlers.get(wanted);
  if (exact) return { key: wanted, handler: exact };
  if (kind !== 'service') {
    for (const [key, handler] of handlers) if (sameFunction(key, wanted)) return { key, handler };
  } else {
    const base = wanted.replace(/\.(waitForTaskToken|sync(:2)?)$/, '');
    const handler = handlers.get(base);
    if (handler) return { key: base, handler };
  }
  return { missing: wanted };
}

/** What the handler is given: the Lambda event for Lambda tasks, the evaluated `Parameters` otherwise. */
export function handlerInput(resource: string, params: Json): Json {
  if (taskKind(resource) !== 'lambda-integration') return params;
  return isRecord(params) && params.Payload !== undefined ? params.Payload : {};
}

/** The Task's result as the integration returns it: `lambda:invoke` wraps the function's answer. */
export function taskResult(resource: string, value: unknown): Json {
  const payload = toJson(value);
  if (resource !== LAMBDA_INVOKE) return payload;
  const requestId = randomUUID();
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload,
    SdkHttpMetadata: {
      HttpHeaders: {
        'Content-Type': 'application/json',
        'X-Amz-Executed-Version': '$LATEST',
        'x-amzn-RequestId': requestId,
      },
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: 200,
  };
}

/**
 * A thrown handler error as the Task's States error. `Error` is `error.name` everywhere (a Lambda
 * function's error type, e.g. `MyError`, or an SDK exception name the handler chose, e.g.
 * `SageMaker.ResourceNotFoundException`). `Cause` is, for Lambda tasks, the function error document
 * that AWS puts there (`{"errorType","errorMessage","trace"}` as a JSON string), and for other
 * integrations the error message.
 */
export function toTaskError(resource: string, error: unknown): Error {
  if (error instanceof TaskFailedError || error instanceof LocalRuntimeError) return error;
  const err = error instanceof Error ? error : new Error(String(error));
  const name = err.name || 'Error';
  if (taskKind(resource) === 'service') return new TaskFailedError(name, err.message);
  const trace = (err.stack ?? `${name}: ${err.message}`).split('\n');
  return new TaskFailedError(name, JSON.stringify({ errorType: name, errorMessage: err.message, trace }));
}

export function toJson(value: unknown): Json {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) as Json;
}

/** Replaces the execution-wide placeholder for `$$.Task.Token` by this invocation's token. */
export function replaceToken(value: Json, placeholder: string, token: string): Json {
  if (typeof value === 'string') return value.split(placeholder).join(token);
  if (Array.isArray(value)) return value.map((item) => replaceToken(item, placeholder, token));
  if (isRecord(value)) {
    const out: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(value))
      out[key] = replaceToken(item as Json, placeholder, token);
    return out;
  }
  return value;
}

export function mintToken(): string {
  return randomBytes(96).toString('base64url');
}

export type TokenState = 'pending' | 'closed';

export interface TokenEntry {
  executionArn: string;
  stateName: string;
  state: TokenState;
  succeed(output: Json): void;
  fail(error: string, cause: string): void;
  heartbeat(): void;
}

/** Task tokens issued by callback tasks; closed ones are kept to answer `TaskTimedOut`. */
export class TokenRegistry {
  private readonly entries = new Map<string, TokenEntry>();

  add(token: string, entry: TokenEntry): void {
    this.entries.set(token, entry);
  }

  close(token: string): void {
    const entry = this.entries.get(token);
    if (entry) entry.state = 'closed';
  }

  pending(executionArn?: string): { token: string; executionArn: string; stateName: string }[] {
    return [...this.entries]
      .filter(
        ([, e]) => e.state === 'pending' && (executionArn === undefined || e.executionArn === executionArn),
      )
      .map(([token, e]) => ({ token, executionArn: e.executionArn, stateName: e.stateName }));
  }

  /** The open task of a token, or the SFN API's error for it. */
  open(token: unknown): TokenEntry {
    if (typeof token !== 'string' || token.length === 0 || token.length > 2048) {
      throw new StepFunctionsError('InvalidToken', 'Invalid token');
    }
    const entry = this.entries.get(token);
    if (!entry) throw new StepFunctionsError('TaskDoesNotExist', 'Task does not exist anymore');
    if (entry.state === 'closed')
      throw new StepFunctionsError('TaskTimedOut', 'Task Timed Out: the task is closed');
    return entry;
  }
}

type TimeoutErrorClass = new () => Error;
let timeoutErrorClass: Promise<TimeoutErrorClass | undefined> | undefined;

/**
 * The library's own `States.Timeout` error class, which it does not export. Its Retry and Catch
 * keep `States.TaskFailed` from matching a timeout by `instanceof`, so timeouts the runner raises
 * must be instances of it: a one-task machine with a 1 ms timeout hands one over (once, lazily).
 */
export function loadTimeoutErrorClass(): Promise<TimeoutErrorClass | undefined> {
  timeoutErrorClass ??= (async () => {
    const probe = new StateMachine(
      {
        StartAt: 'Probe',
        States: { Probe: { Type: 'Task', Resource: 'probe', TimeoutSeconds: 0.001, End: true } },
      },
      { validationOptions: { noValidate: true } },
    );
    const never = () => new Promise<never>(() => {});
    const run = probe.run(null, { overrides: { taskResourceLocalHandlers: { Probe: never } } });
    try {
      await run.result;
    } catch (error) {
      const cause = error instanceof ExecutionError ? error.cause : undefined;
      if (cause instanceof Error && cause.name === 'States.Timeout')
        return cause.constructor as TimeoutErrorClass;
    }
    return undefined;
  })();
  return timeoutErrorClass;
}

/** `States.Timeout` (or `States.HeartbeatTimeout`) as the library's own class when it could be had. */
export function timeoutError(klass: TimeoutErrorClass | undefined, name: string, cause: string): Error {
  if (!klass) return new TaskFailedError(name, cause);
  const error = new klass();
  error.name = name;
  error.message = cause;
  return error;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
