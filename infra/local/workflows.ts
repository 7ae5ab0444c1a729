import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecutionStatusChange } from '../../functions/workflows/reconcile.ts';
import { InFlight } from './in-flight.ts';
import {
  createLocalStepFunctions,
  type ExecutionDescription,
  type LocalStepFunctions,
  startLocalStepFunctionsEndpoint,
  type TaskHandler,
} from './stepfunctions.ts';

/**
 * The state machines of `statemachines/`, run locally: the same ASL files the CDK app deploys,
 * with each `${...FunctionArn}` placeholder filled with a local function name whose handler is
 * the same workflow code a Lambda function runs (imported on first use, like a cold start).
 */
type Invoke = (input: unknown) => Promise<unknown>;

const lazy = (load: () => Promise<Invoke>): Invoke => {
  let loaded: Promise<Invoke> | undefined;
  return async (input) => {
    loaded ??= load();
    return (await loaded)(input);
  };
};

export const LOCAL_FUNCTIONS: Record<string, Invoke> = {
  'steward-approval-validate': lazy(
    async () => (await import('../../functions/workflows/approval.ts')).validate as Invoke,
  ),
  'steward-approval-notify': lazy(
    async () => (await import('../../functions/workflows/approval.ts')).notify as Invoke,
  ),
  'steward-approval-record': lazy(
    async () => (await import('../../functions/workflows/approval.ts')).record as Invoke,
  ),
  'steward-deployment-prepare': lazy(
    async () => (await import('../../functions/workflows/deployment.ts')).prepare as Invoke,
  ),
  'steward-deployment-progress': lazy(
    async () => (await import('../../functions/workflows/deployment.ts')).progress as Invoke,
  ),
  'steward-deployment-finish': lazy(
    async () => (await import('../../functions/workflows/deployment.ts')).finish as Invoke,
  ),
  'steward-registration-copy': lazy(
    async () => (await import('../../functions/workflows/registration.ts')).copy as Invoke,
  ),
  'steward-registration-fail': lazy(
    async () => (await import('../../functions/workflows/registration.ts')).fail as Invoke,
  ),
  'steward-drift-due': lazy(async () => (await import('../../functions/scheduled/drift.ts')).due as Invoke),
  'steward-drift-run': lazy(async () => (await import('../../functions/scheduled/drift.ts')).run as Invoke),
  'steward-drift-shard': lazy(
    async () => (await import('../../functions/scheduled/drift.ts')).summariseBatch as Invoke,
  ),
  'steward-drift-reduce': lazy(
    async () => (await import('../../functions/scheduled/drift.ts')).reduceShards as Invoke,
  ),
};

const MACHINES = {
  approval: {
    file: new URL('../../statemachines/approval.asl.json', import.meta.url),
    substitutions: {
      ValidateFunctionArn: 'steward-approval-validate',
      NotifyFunctionArn: 'steward-approval-notify',
      RecordFunctionArn: 'steward-approval-record',
    },
  },
  deployment: {
    file: new URL('../../statemachines/deployment.asl.json', import.meta.url),
    substitutions: {
      PrepareFunctionArn: 'steward-deployment-prepare',
      ProgressFunctionArn: 'steward-deployment-progress',
      FinishFunctionArn: 'steward-deployment-finish',
    },
  },
  drift: {
    file: new URL('../../statemachines/drift.asl.json', import.meta.url),
    substitutions: {
      DueFunctionArn: 'steward-drift-due',
      RunFunctionArn: 'steward-drift-run',
      ShardFunctionArn: 'steward-drift-shard',
      ReduceFunctionArn: 'steward-drift-reduce',
    },
  },
  registration: {
    file: new URL('../../statemachines/registration.asl.json', import.meta.url),
    substitutions: {
      CopyFunctionArn: 'steward-registration-copy',
      FailFunctionArn: 'steward-registration-fail',
    },
  },
} as const;

export interface LocalWorkflows {
  service: LocalStepFunctions;
  endpoint: string;
  arns: Record<keyof typeof MACHINES, string>;
  /** The "Execution Status Change" events raised for executions that ended FAILED, ABORTED or TIMED_OUT. */
  statusChanges: ExecutionStatusChange[];
  /**
   * Raises the event for every execution the journal shows running when the previous process
   * stopped (a kill -9, a crash, a restart), and waits for reconcile to handle each. Call it once
   * the functions' environment is set.
   */
  reconcileLost(): Promise<ExecutionStatusChange[]>;
  /**
   * Makes every call of a Task state fail with `error` (as the integration would name it), `times`
   * times or for good: the fault matrix (test/integration/fault-matrix.test.ts).
   */
  injectTaskFault(fault: TaskFault): void;
  /** The faults injected since the last clear, with how many calls each failed. */
  taskFaults(): (TaskFault & { injected: number })[];
  clearTaskFaults(): void;
  /**
   * The Task states called (with their integration `Resource`) since the last clear, in order,
   * each once per call: which Tasks a path runs through (the fault matrix's rows).
   */
  taskCalls(): { executionArn: string; stateName: string; resource: string }[];
  /** Settles once every status-change event raised so far has been reconciled. */
  reconciled(): Promise<void>;
  /**
   * Interrupts the running executions (kept in the journal for the next start, reported to no
   * one), then waits for the function invocations and reconciles already under way.
   */
  close(): Promise<void>;
}

export interface TaskFault {
  stateName: string;
  error: string;
  cause: string;
  /** How many calls fail; undefined: every call. */
  times?: number;
}

const reconcile = lazy(
  async () => (await import('../../functions/workflows/reconcile.ts')).reconcile as Invoke,
);

/** The cause given to an execution a restart interrupted (functions/workflows/reconcile.ts). */
const LOST_TO_RESTART = 'the execution was lost to a restart of local mode';

interface JournalEntry {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: unknown;
  startDate: string;
}

/** The event EventBridge delivers for a Step Functions execution's status change. */
const statusChange = (
  execution: JournalEntry,
  status: string,
  error: string | undefined,
  cause: string | undefined,
): ExecutionStatusChange => ({
  source: 'aws.states',
  'detail-type': 'Step Functions Execution Status Change',
  detail: {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status,
    input: JSON.stringify(execution.input ?? {}),
    error: error ?? null,
    cause: cause ?? null,
  },
});

/**
 * `services` are the simulated AWS services the deployment tasks call (infra/local/targets.ts);
 * `waitScale` shortens Wait states (polls, bake times) so a local canary takes seconds.
 */
export const startLocalWorkflows = async (
  host: string,
  options: {
    services: Record<string, TaskHandler>;
    waitScale: number;
    /** Keep the journal of running executions in `<dataDir>/executions.json`. */
    dataDir?: string;
    log?: (line: string) => void;
  },
): Promise<LocalWorkflows> => {
  const journalFile = options.dataDir ? join(options.dataDir, 'executions.json') : undefined;
  const lost: Record<string, JournalEntry> = journalFile ? readJournal(journalFile) : {};
  const running: Record<string, JournalEntry> = {};
  const writeJournal = () => {
    if (!journalFile) return;
    const temporary = `${journalFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ ...lost, ...running }), { mode: 0o600 });
    renameSync(temporary, journalFile);
  };
  const statusChanges: ExecutionStatusChange[] = [];
  let pending: Promise<unknown> = Promise.resolve();
  const raise = (event: ExecutionStatusChange): Promise<unknown> => {
    statusChanges.push(event);
    const handled = pending.then(() =>
      reconcile(event).catch((error: Error) =>
        options.log?.(`reconcile of ${event.detail.executionArn} failed: ${error.message}`),
      ),
    );
    pending = handled;
    return handled;
  };
  const onStatusChange = (execution: ExecutionDescription) => {
    const entry: JournalEntry = {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      input: execution.input,
      startDate: execution.startDate.toISOString(),
    };
    if (execution.status === 'RUNNING') running[execution.executionArn] = entry;
    else delete running[execution.executionArn];
    writeJournal();
    if (execution.status === 'FAILED' || execution.status === 'ABORTED' || execution.status === 'TIMED_OUT')
      void raise(statusChange(entry, execution.status, execution.error, execution.cause));
  };
  // The functions' invocations still running: an interrupted execution does not stop its Lambda
  // function, and close waits for them while the emulators they talk to are still up.
  const invocations = new InFlight();
  const invocation = (invoke: Invoke) => (input: unknown) => invocations.track(invoke(input));
  const faults: (TaskFault & { injected: number })[] = [];
  const calls: { executionArn: string; stateName: string; resource: string }[] = [];
  /** A handler that first raises the fault injected for the Task state calling it, if any. */
  const withFaults =
    (handler: TaskHandler): TaskHandler =>
    (input, ctx) => {
      if (calls.length < 10_000)
        calls.push({ executionArn: ctx.executionArn, stateName: ctx.stateName, resource: ctx.resource });
      const fault = faults.find((f) => f.stateName === ctx.stateName && f.times !== 0);
      if (!fault) return handler(input, ctx);
      if (fault.times !== undefined) fault.times--;
      fault.injected++;
      const error = new Error(fault.cause);
      error.name = fault.error;
      throw error;
    };
  const service = createLocalStepFunctions({
    onStatusChange,
    waitScale: options.waitScale,
    resources: Object.fromEntries(
      Object.entries({
        ...options.services,
        ...Object.fromEntries(
          Object.entries(LOCAL_FUNCTIONS).map(([name, invoke]) => [name, invocation(invoke)]),
        ),
      }).map(([name, handler]) => [name, withFaults(handler)]),
    ),
  });
  const arns = {} as Record<keyof typeof MACHINES, string>;
  for (const [name, machine] of Object.entries(MACHINES) as [
    keyof typeof MACHINES,
    (typeof MACHINES)[keyof typeof MACHINES],
  ][]) {
    const registered = service.register(name, await readFile(machine.file, 'utf8'), machine.substitutions);
    arns[name] = registered.stateMachineArn;
  }
  const endpoint = await startLocalStepFunctionsEndpoint(service, { host });
  return {
    service,
    endpoint: endpoint.endpoint,
    arns,
    statusChanges,
    injectTaskFault(fault) {
      faults.push({ ...fault, injected: 0 });
    },
    taskFaults: () => faults.map((f) => ({ ...f })),
    clearTaskFaults() {
      faults.length = 0;
      calls.length = 0;
    },
    taskCalls: () => [...calls],
    async reconcileLost() {
      const events = Object.values(lost).map((entry) =>
        statusChange(entry, 'FAILED', 'States.Runtime', LOST_TO_RESTART),
      );
      for (const key of Object.keys(lost)) delete lost[key];
      await Promise.all(events.map(raise));
      writeJournal();
      return events;
    },
    reconciled: async () => {
      await pending;
    },
    close: async () => {
      // No new work: running executions are left to the next start (the journal keeps them).
      await service.close();
      // What is already running finishes against the open emulators: the functions' invocations,
      // and the reconciles of executions that ended before (which may invoke a function again).
      for (;;) {
        const queued = pending;
        await invocations.settled();
        await queued;
        if (invocations.size === 0 && pending === queued) break;
      }
      await endpoint.close();
    },
  };
};

function readJournal(file: string): Record<string, JournalEntry> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, JournalEntry>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`${file} is not a journal of local executions: ${(error as Error).message}`);
  }
}
