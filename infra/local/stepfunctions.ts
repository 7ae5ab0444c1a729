import { randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  type RunOptions,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import {
  isObject,
  type Json,
  LOCAL_KEY,
  MAX_TIMER_MS,
  PARAMS_KEY,
  type PreparedDefinition,
  parseDefinition,
  prepare,
  substitute,
  type TaskInfo,
  validate,
} from './stepfunctions-definition.ts';
import {
  deferred,
  findHandler,
  handlerInput,
  LocalRuntimeError,
  loadTimeoutErrorClass,
  mintToken,
  replaceToken,
  StepFunctionsError,
  type TaskContext,
  TaskFailedError,
  type TaskHandler,
  TokenRegistry,
  taskResult,
  timeoutError,
  toJson,
  toTaskError,
} from './stepfunctions-tasks.ts';

/**
 * Local Step Functions: runs the same ASL files as AWS, in process, on aws-local-stepfunctions.
 *
 * Task handlers are registered per resource (a Lambda function, or a service integration's
 * `Resource`); the runner installs a library override on every Task state, nested Parallel
 * branches and Map processors included, that dispatches to them with the service integration's
 * semantics (see stepfunctions-tasks.ts). Callback tasks (`.waitForTaskToken`) each get a token of
 * their own and wait for `sendTaskSuccess` / `sendTaskFailure`, with `TimeoutSeconds` and
 * `HeartbeatSeconds` enforced here. `startLocalStepFunctionsEndpoint` puts the SFN API in front of
 * it for the real `SFNClient`.
 */

export { InvalidDefinitionError } from './stepfunctions-definition.ts';
export { startLocalStepFunctionsEndpoint } from './stepfunctions-endpoint.ts';
export { StepFunctionsError, type TaskContext, type TaskHandler } from './stepfunctions-tasks.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface LocalStepFunctionsOptions {
  /** Task handlers by Lambda function (name or ARN) or by service-integration `Resource`. */
  resources?: Record<string, TaskHandler>;
  /** Multiplies Wait state durations and Retry intervals (default 1); e.g. 0.001 in tests. */
  waitScale?: number;
  /** Multiplies Task `TimeoutSeconds` / `HeartbeatSeconds` and their paths (default 1). */
  timeoutScale?: number;
  region?: string;
  accountId?: string;
  /**
   * Told of every execution's start and end, as EventBridge hears Step Functions' "Execution Status
   * Change" events on AWS (local mode keeps a journal with it and reconciles from it).
   */
  onStatusChange?: (execution: ExecutionDescription) => void;
}

export interface RegisteredStateMachine {
  name: string;
  stateMachineArn: string;
  /** What its Task states dispatch on, nested ones included: Lambda functions and other `Resource`s. */
  resources: string[];
}

export interface StartExecutionResult {
  executionArn: string;
  startDate: Date;
}

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  /** The execution input as a value (the SFN API sends it as a JSON string). */
  input: unknown;
  /** The output as a value, once SUCCEEDED. */
  output?: unknown;
  error?: string;
  cause?: string;
}

/** One step of an execution, from the library's event log. */
export interface HistoryEvent {
  timestamp: Date;
  /** `ExecutionStarted`, `StateEntered`, `StateExited`, `StateFailed`, `StateRetried`, `StateCaught`, `ParallelBranch*`, `MapIteration*`, `ExecutionSucceeded` / `Failed` / `Aborted` / `Timeout`. */
  type: string;
  stateName?: string;
  stateType?: string;
  input?: unknown;
  output?: unknown;
  error?: string;
  cause?: unknown;
  retryAttempt?: number;
  parentStateName?: string;
  index?: number;
}

interface Machine extends PreparedDefinition {
  name: string;
  arn: string;
}

interface Execution {
  arn: string;
  name: string;
  machine: Machine;
  input: Json;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  output?: Json;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
  /** Resolves once the execution has ended and its history is complete. */
  done: Promise<void>;
  abort?: () => void;
  /** The value `$$.Task.Token` evaluates to in this execution, swapped for a minted token per callback task. */
  tokenPlaceholder: string;
  /** Settles whatever is still in flight (pending tasks, timers) when the execution ends. */
  cleanups: Set<() => void>;
}

export type LocalStepFunctions = ReturnType<typeof createLocalStepFunctions>;

export function createLocalStepFunctions(options: LocalStepFunctionsOptions = {}) {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const waitScale = options.waitScale ?? 1;
  const timeoutScale = options.timeoutScale ?? 1;
  const handlers = new Map<string, TaskHandler>(Object.entries(options.resources ?? {}));
  const machines = new Map<string, Machine>();
  const executions = new Map<string, Execution>();
  const tokens = new TokenRegistry();
  const timeoutClass = loadTimeoutErrorClass();

  const machineArn = (name: string) => `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;

  function machineOf(nameOrArn: string): Machine {
    const name = nameOrArn.startsWith('arn:') ? nameFromArn(nameOrArn, 'stateMachine') : nameOrArn;
    const machine = machines.get(name);
    if (!machine)
      throw new StepFunctionsError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${nameOrArn}'`,
      );
    return machine;
  }

  function executionOf(arn: string): Execution {
    nameFromArn(arn, 'execution');
    const execution = executions.get(arn);
    if (!execution)
      throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  function describe(execution: Execution): ExecutionDescription {
    const description: ExecutionDescription = {
      executionArn: execution.arn,
      stateMachineArn: execution.machine.arn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate,
      input: structuredClone(execution.input),
    };
    if (execution.stopDate) description.stopDate = execution.stopDate;
    if (execution.output !== undefined) description.output = structuredClone(execution.output);
    if (execution.error !== undefined) description.error = execution.error;
    if (execution.cause !== undefined) description.cause = execution.cause;
    return description;
  }

  /**
   * Ends a running execution. `reported: false` is an execution interrupted by `close` rather than
   * ended: the process stops under it, so no status change is heard (a journal kept from
   * `onStatusChange` still has it running, for the next start to reconcile).
   */
  function end(
    execution: Execution,
    status: ExecutionStatus,
    fields: Partial<Execution> = {},
    { reported = true }: { reported?: boolean } = {},
  ): void {
    if (execution.status !== 'RUNNING') return;
    Object.assign(execution, fields, { status, stopDate: new Date() });
    for (const cleanup of [...execution.cleanups]) cleanup();
    execution.cleanups.clear();
    if (reported) options.onStatusChange?.(describe(execution));
  }

  /** Set by `close`: executions started from then on are recorded as started and never run. */
  let closed = false;

  /** One invocation of a Task state: the override the library calls with the wrapped parameters. */
  function runTask(
    execution: Execution,
    task: TaskInfo,
    wrapped: unknown,
    klass: TimeoutClass,
  ): Promise<Json> {
    const { params: rawParams, local } = unwrap(wrapped);
    const timeoutSeconds = numberField(local.timeoutSeconds, 'TimeoutSecondsPath') ?? task.timeoutSeconds;
    const heartbeatSeconds =
      numberField(local.heartbeatSeconds, 'HeartbeatSecondsPath') ?? task.heartbeatSeconds;
    const { promise, resolve, reject } = deferred<Json>();
    const timers = new Set<NodeJS.Timeout>();
    let token: string | undefined;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      execution.cleanups.delete(onEnd);
      if (token) tokens.close(token);
      outcome();
    };
    const onEnd = () =>
      settle(() => reject(new LocalRuntimeError(`Execution ended while ${task.stateName} ran`)));
    execution.cleanups.add(onEnd);
    const later = (ms: number, fire: () => void) => {
      const timer = setTimeout(fire, Math.min(ms, MAX_TIMER_MS));
      timers.add(timer);
      return timer;
    };

    if (timeoutSeconds !== undefined) {
      later(timeoutSeconds * 1000 * timeoutScale, () =>
        settle(() =>
          reject(timeoutError(klass, 'States.Timeout', `Task timed out after ${timeoutSeconds} s`)),
        ),
      );
    }

    const ctx: TaskContext = {
      stateName: task.stateName,
      executionArn: execution.arn,
      resource: task.resource,
    };
    if (isObject(local.credentials)) ctx.credentials = local.credentials as TaskContext['credentials'];
    let params = rawParams;
    if (task.callback) {
      const minted = mintToken();
      token = minted;
      params = replaceToken(rawParams, execution.tokenPlaceholder, minted);
      ctx.taskToken = minted;
      let heartbeatTimer: NodeJS.Timeout | undefined;
      const armHeartbeat = () => {
        if (heartbeatSeconds === undefined) return;
        if (heartbeatTimer) {
          clearTimeout(heartbeatTimer);
          timers.delete(heartbeatTimer);
        }
        heartbeatTimer = later(heartbeatSeconds * 1000 * timeoutScale, () =>
          settle(() =>
            reject(timeoutError(klass, 'States.HeartbeatTimeout', `No heartbeat for ${heartbeatSeconds} s`)),
          ),
        );
      };
      armHeartbeat();
      tokens.add(minted, {
        executionArn: execution.arn,
        stateName: task.stateName,
        state: 'pending',
        succeed: (output) => settle(() => resolve(output)),
        fail: (error, cause) => settle(() => reject(new TaskFailedError(error, cause))),
        heartbeat: armHeartbeat,
      });
    }

    const found = findHandler(handlers, task.resource, params);
    if ('missing' in found) {
      settle(() =>
        reject(new LocalRuntimeError(`No local handler for ${found.missing} (Task state ${task.stateName})`)),
      );
      return promise;
    }
    const input = handlerInput(task.resource, params);
    (async () => found.handler(input, ctx))().then(
      (result) => {
        // A callback task's result is what SendTaskSuccess sends, not what the invocation returns.
        if (!task.callback) settle(() => resolve(taskResult(task.resource, result)));
      },
      (error: unknown) => settle(() => reject(toTaskError(task.resource, error))),
    );
    return promise;
  }

  /** Stand-in for a Wait state under a wait scale: sleeps the scaled time, passes its input on. */
  function runWait(execution: Execution, wrapped: unknown): Promise<Json> {
    const local = isObject(wrapped) && isObject(wrapped[LOCAL_KEY]) ? wrapped[LOCAL_KEY] : {};
    const wait = isObject(local.wait) ? local.wait : {};
    let ms: number;
    if (typeof wait.seconds === 'number' && wait.seconds >= 0) ms = wait.seconds * 1000;
    else if (typeof wait.timestamp === 'string' && !Number.isNaN(Date.parse(wait.timestamp))) {
      ms = Math.max(0, Date.parse(wait.timestamp) - Date.now());
    } else {
      return Promise.reject(new LocalRuntimeError(`Wait value is not valid: ${JSON.stringify(wait)}`));
    }
    return new Promise((resolve, reject) => {
      const onEnd = () => {
        clearTimeout(timer);
        reject(new LocalRuntimeError('Execution ended during a Wait'));
      };
      const timer = setTimeout(
        () => {
          execution.cleanups.delete(onEnd);
          resolve(local.input ?? null);
        },
        Math.min(ms * waitScale, MAX_TIMER_MS),
      );
      execution.cleanups.add(onEnd);
    });
  }

  async function launch(execution: Execution, klass: TimeoutClass): Promise<void> {
    if (execution.status !== 'RUNNING') return;
    const { machine } = execution;
    const taskOverrides: Record<string, (input: unknown) => Promise<Json>> = {};
    for (const [stateName, task] of machine.tasks) {
      taskOverrides[stateName] = (input) => runTask(execution, task, input, klass);
    }
    for (const stateName of machine.waitShims)
      taskOverrides[stateName] = (input) => runWait(execution, input);
    const overrides = {
      taskResourceLocalHandlers: taskOverrides,
      waitTimeOverrides: machine.waitOverridesMs,
      retryIntervalOverrides: machine.retryOverridesMs,
    } as NonNullable<RunOptions['overrides']>;
    const context: NonNullable<RunOptions['context']> = {
      Execution: { Id: execution.arn, Name: execution.name, StartTime: execution.startDate.toISOString() },
      StateMachine: { Id: machine.arn, Name: machine.name },
      Task: { Token: execution.tokenPlaceholder },
    };
    const run = new StateMachine(machine.runnable as unknown as StateMachineDefinition, {
      validationOptions: { noValidate: true },
    }).run(execution.input as never, { overrides, context });
    execution.abort = run.abort;
    const history = (async () => {
      for await (const event of run.eventLogs) execution.history.push(toHistoryEvent(event, machine));
    })();
    try {
      const output = (await run.result) as Json;
      end(execution, 'SUCCEEDED', { output });
    } catch (error) {
      if (error instanceof ExecutionTimeoutError) {
        end(execution, 'TIMED_OUT', { error: 'States.Timeout', cause: 'The execution timed out' });
      } else if (error instanceof ExecutionAbortedError) {
        end(execution, 'ABORTED');
      } else {
        const cause = error instanceof ExecutionError ? error.cause : error;
        const failure = cause instanceof Error ? cause : new Error(String(cause));
        end(execution, 'FAILED', { error: failure.name, cause: failure.message });
      }
    }
    await history;
  }

  return {
    region,
    accountId,

    /** Adds or replaces a task handler. */
    setHandler(resource: string, handler: TaskHandler): void {
      handlers.set(resource, handler);
    },

    /**
     * Substitutes `${Name}` placeholders (all must be given), validates with asl-validator and
     * stores the machine under `name` (replacing one of that name).
     */
    register(
      name: string,
      definitionJson: string | object,
      substitutions: Record<string, string> = {},
    ): RegisteredStateMachine {
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(name))
        throw new StepFunctionsError('InvalidName', `Invalid name: ${name}`);
      const text = typeof definitionJson === 'string' ? definitionJson : JSON.stringify(definitionJson);
      const definition = parseDefinition(substitute(text, substitutions));
      validate(definition);
      const prepared = prepare(definition, waitScale);
      const machine: Machine = { ...prepared, name, arn: machineArn(name) };
      machines.set(name, machine);
      const resources = [...new Set([...prepared.tasks.values()].map((task) => task.handlerKey))];
      return { name, stateMachineArn: machine.arn, resources };
    },

    /** Starts an execution in the background; `input` is a value (default `{}`). */
    startExecution(
      nameOrArn: string,
      input: unknown = {},
      { executionName }: { executionName?: string } = {},
    ): StartExecutionResult {
      const machine = machineOf(nameOrArn);
      const name = executionName ?? randomUUID();
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(name))
        throw new StepFunctionsError('InvalidName', `Invalid name: ${name}`);
      let json: Json;
      try {
        json = toJson(input);
      } catch (error) {
        throw new StepFunctionsError('InvalidExecutionInput', (error as Error).message);
      }
      const arn = `arn:aws:states:${region}:${accountId}:execution:${machine.name}:${name}`;
      const existing = executions.get(arn);
      if (existing) {
        // As on AWS: the same name and input while it runs is the same start; anything else is a clash.
        if (existing.status === 'RUNNING' && JSON.stringify(existing.input) === JSON.stringify(json)) {
          return { executionArn: arn, startDate: existing.startDate };
        }
        throw new StepFunctionsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
      }
      const { promise: done, resolve: finished } = deferred<void>();
      const execution: Execution = {
        arn,
        name,
        machine,
        input: json,
        status: 'RUNNING',
        startDate: new Date(),
        history: [],
        done,
        tokenPlaceholder: `steward-local-task-token:${randomUUID()}`,
        cleanups: new Set(),
      };
      executions.set(arn, execution);
      options.onStatusChange?.(describe(execution));
      if (closed) {
        // As if the process stopped right after StartExecution answered: the next start reconciles it.
        end(execution, 'ABORTED', { error: 'States.Runtime', cause: INTERRUPTED }, { reported: false });
        finished();
        return { executionArn: arn, startDate: execution.startDate };
      }
      timeoutClass
        .then((klass) => launch(execution, klass))
        .catch((error: unknown) => {
          const failure = error instanceof Error ? error : new Error(String(error));
          end(execution, 'FAILED', { error: 'States.Runtime', cause: failure.message });
        })
        .finally(() => finished());
      return { executionArn: arn, startDate: execution.startDate };
    },

    describeExecution(executionArn: string): ExecutionDescription {
      return describe(executionOf(executionArn));
    },

    /** Resolves with the final description once the execution has ended. */
    async waitForExecution(executionArn: string): Promise<ExecutionDescription> {
      const execution = executionOf(executionArn);
      await execution.done;
      return describe(execution);
    },

    /** The machine's executions, newest first, optionally of one status. */
    listExecutions(nameOrArn: string, { statusFilter }: { statusFilter?: ExecutionStatus } = {}) {
      const machine = machineOf(nameOrArn);
      return [...executions.values()]
        .filter((e) => e.machine.arn === machine.arn && (!statusFilter || e.status === statusFilter))
        .reverse()
        .map(describe);
    },

    stopExecution(
      executionArn: string,
      { error, cause }: { error?: string; cause?: string } = {},
    ): { stopDate: Date } {
      const execution = executionOf(executionArn);
      const fields: Partial<Execution> = {};
      if (error !== undefined) fields.error = error;
      if (cause !== undefined) fields.cause = cause;
      end(execution, 'ABORTED', fields);
      execution.abort?.();
      return { stopDate: execution.stopDate ?? new Date() };
    },

    getExecutionHistory(executionArn: string): HistoryEvent[] {
      return [...executionOf(executionArn).history];
    },

    /** The result of a callback task: `output` is the task's result as a JSON string. */
    sendTaskSuccess(taskToken: string, output: string): void {
      const entry = tokens.open(taskToken);
      let value: Json;
      try {
        value = JSON.parse(output) as Json;
      } catch {
        throw new StepFunctionsError('InvalidOutput', 'Invalid Output: not JSON');
      }
      entry.succeed(value);
    },

    /** Fails a callback task with `error` / `cause`, which its Retry and Catch see. */
    sendTaskFailure(taskToken: string, error?: string, cause?: string): void {
      tokens.open(taskToken).fail(error ?? '', cause ?? '');
    },

    /** Resets the heartbeat clock of a callback task. */
    sendTaskHeartbeat(taskToken: string): void {
      tokens.open(taskToken).heartbeat();
    },

    /** Tokens of callback tasks waiting now (all, or one execution's). */
    pendingTaskTokens(executionArn?: string) {
      return tokens.pending(executionArn);
    },

    /**
     * Stops the service as the process stops (shutdown, test teardown): every running execution is
     * interrupted without a status change being reported, and later starts are recorded but never
     * run. Nothing is reconciled at close; a journal of running executions hands them to the next
     * start, as after a crash. The task handlers still running are not awaited here: the caller
     * knows which of them touch what it is about to close.
     */
    async close(): Promise<void> {
      closed = true;
      const running = [...executions.values()].filter((e) => e.status === 'RUNNING');
      for (const execution of running) {
        end(execution, 'ABORTED', { error: 'States.Runtime', cause: INTERRUPTED }, { reported: false });
        execution.abort?.();
      }
      await Promise.all(running.map((e) => e.done));
    },
  };
}

type TimeoutClass = Awaited<ReturnType<typeof loadTimeoutErrorClass>>;

/** The cause an execution interrupted by `close` carries in this process (nothing reports it). */
const INTERRUPTED = 'the local Step Functions service was closed while the execution ran';

function unwrap(wrapped: unknown): { params: Json; local: Record<string, Json> } {
  if (!isObject(wrapped) || !isObject(wrapped[LOCAL_KEY])) {
    throw new LocalRuntimeError('Task input was not prepared by the local runner');
  }
  return { params: wrapped[PARAMS_KEY] ?? null, local: wrapped[LOCAL_KEY] };
}

function numberField(value: Json | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new LocalRuntimeError(`${field} must point to a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function nameFromArn(arn: string, kind: 'stateMachine' | 'execution'): string {
  const parts = arn.split(':');
  if (parts.length < 7 || parts[0] !== 'arn' || parts[2] !== 'states' || parts[5] !== kind || !parts[6]) {
    throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${arn}'`);
  }
  return parts[6];
}

type LibraryEvent = {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  parentState?: { name: string };
  index?: number;
  Error?: string;
  Cause?: unknown;
  retry?: { attempt: number };
  input?: unknown;
  output?: unknown;
};

function toHistoryEvent(raw: object, machine: Machine): HistoryEvent {
  const event = raw as LibraryEvent;
  const history: HistoryEvent = { timestamp: new Date(event.timestamp), type: event.type };
  if (event.state) {
    history.stateName = event.state.name;
    history.stateType = machine.stateTypes.get(event.state.name) ?? event.state.type;
    history.input = event.state.input;
    if (event.state.output !== undefined) history.output = event.state.output;
  } else {
    if (event.input !== undefined) history.input = event.input;
    if (event.output !== undefined) history.output = event.output;
  }
  if (event.parentState) history.parentStateName = event.parentState.name;
  if (event.index !== undefined) history.index = event.index;
  if (event.Error !== undefined) history.error = event.Error;
  if (event.Cause !== undefined) history.cause = event.Cause;
  if (event.retry) history.retryAttempt = event.retry.attempt;
  return history;
}
