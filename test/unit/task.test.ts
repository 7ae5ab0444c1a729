import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { TASK_ERRORS } from '#commons/facts';
import { InvalidTaskInputError, type TaskHandler, taskHandler } from '#commons/task';
import * as driftTasks from '#scheduled/drift';
import * as uploadExpiry from '#scheduled/upload-expiry';
import * as approvalTasks from '#workflows/approval';
import * as deploymentTasks from '#workflows/deployment';
import * as reconcileTask from '#workflows/reconcile';
import * as registrationTasks from '#workflows/registration';
import * as auditExport from '../../functions/streams/audit-export.ts';
import { approval } from '../../infra/asl/approval.ts';
import { statesOf } from '../../infra/asl/asl.ts';
import { MACHINES } from '../../infra/asl/machines.ts';

describe('the wrapper of non-HTTP entries', () => {
  const task = taskHandler(
    't',
    z.object({ model: z.string(), version: z.number().int() }),
    async (input) => ({
      echoed: `${input.model}:${input.version}`,
    }),
  );

  it('hands the task its parsed input', async () => {
    await expect(task({ model: 'churn', version: 3, extra: true })).resolves.toEqual({ echoed: 'churn:3' });
  });

  it('fails an input that does not parse with the error the state machines name, naming the field', async () => {
    const failure = await task({ model: 'churn', version: 'three' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InvalidTaskInputError);
    expect((failure as Error).name).toBe(TASK_ERRORS.invalidInput);
    expect((failure as Error).message).toContain('version');
  });

  it('keeps the name of an error the task raises, which Retry and Catch match', async () => {
    class Rejected extends Error {
      override readonly name = TASK_ERRORS.rejected;
    }
    const failing = taskHandler('f', z.unknown(), async () => {
      throw new Rejected('no');
    });
    await expect(failing({})).rejects.toMatchObject({ name: 'Rejected' });
  });

  it('matches the approval machine Catch clauses by the same names the callbacks send', () => {
    const text = JSON.stringify(approval);
    expect(text).toContain(`"ErrorEquals":["${TASK_ERRORS.rejected}"]`);
    expect(text).toContain(`"${TASK_ERRORS.expired}"`);
  });
});

/** Every Lambda task of the state machines, by the placeholder its state names, and its handler. */
const TASKS: Record<string, TaskHandler<unknown>> = {
  ValidateFunctionArn: approvalTasks.validate,
  NotifyFunctionArn: approvalTasks.notify,
  RecordFunctionArn: approvalTasks.record,
  PrepareFunctionArn: deploymentTasks.prepare,
  ProgressFunctionArn: deploymentTasks.progress,
  FinishFunctionArn: deploymentTasks.finish,
  DueFunctionArn: driftTasks.due,
  RunFunctionArn: driftTasks.run,
  ShardFunctionArn: driftTasks.summariseBatch,
  ReduceFunctionArn: driftTasks.reduceShards,
  CopyFunctionArn: registrationTasks.copy,
  FailFunctionArn: registrationTasks.fail,
};

/**
 * Task states whose failure ends the execution on purpose, none of them part of a path that
 * records an outcome: reconcile (functions/workflows/reconcile.ts) records it from the execution's
 * end, or the next schedule runs again.
 */
const FAILS_THE_EXECUTION: Record<string, string> = {
  'deployment/SmProgressCreate': 'a step of the history; reconcile records the deployment FAILED',
  'deployment/SmProgressUpdate': 'a step of the history; reconcile records the deployment FAILED',
  'deployment/BtProgress': 'a step of the history; reconcile records the deployment FAILED',
  'deployment/LmProgressShift': 'a step of the history; reconcile records the deployment FAILED',
  'drift/FindDueMonitors': 'the dispatcher; the next schedule claims the monitors again',
  'registration/Fail': 'the failure path itself; reconcile fails the version',
};

/** Whether a Catch or Retry clause names an error: by name, or by a wildcard that covers a task's error. */
const matches = (errorEquals: readonly string[], error: string) =>
  errorEquals.includes(error) ||
  errorEquals.includes('States.ALL') ||
  errorEquals.includes('States.TaskFailed');

const lambdaTasks = () =>
  Object.entries(MACHINES).flatMap(([machine, graph]) => {
    const states = [...statesOf(graph)];
    const byPath = new Map(states.map(([path, state]) => [path.join('/'), state]));
    return states.flatMap(([path, state]) => {
      if (state.Type !== 'Task' || !state.Resource.includes(':lambda:invoke')) return [];
      const placeholder = /^\$\{(\w+)\}$/.exec(String(state.Parameters?.FunctionName))?.[1] ?? '';
      // The state's own Catch, then those of the Map / Parallel states it runs inside.
      const catchers = path
        .map((_, i) => byPath.get(path.slice(0, path.length - i).join('/')))
        .flatMap((s) => (s && 'Catch' in s ? (s.Catch ?? []) : []));
      return [{ where: `${machine}/${path.join('/')}`, placeholder, catchers }];
    });
  });

describe('the errors each task raises, against the state machines that call it', () => {
  it('knows the handler of every Lambda task the machines call', () => {
    const placeholders = new Set(lambdaTasks().map((t) => t.placeholder));

    expect([...placeholders].sort()).toEqual(Object.keys(TASKS).sort());
  });

  it('catches every error a task declares in the state that calls it (or one it runs inside)', () => {
    const uncaught = lambdaTasks().flatMap(({ where, placeholder, catchers }) =>
      TASKS[placeholder]!.raises.filter((error) => !catchers.some((c) => matches(c.ErrorEquals, error))).map(
        (error) => `${where}: ${error}`,
      ),
    );
    const expected = Object.keys(FAILS_THE_EXECUTION).flatMap((where) => {
      const task = lambdaTasks().find((t) => t.where === where);
      return task
        ? TASKS[task.placeholder]!.raises.map((error) => `${where}: ${error}`)
        : [`${where}: no such task`];
    });

    expect(uncaught.sort()).toEqual(expected.sort());
  });

  it('names in Catch only errors that a task raises or a callback sends', () => {
    const known = new Set<string>([
      ...Object.values(TASKS).flatMap((t) => t.raises),
      TASK_ERRORS.rejected,
      TASK_ERRORS.expired,
    ]);
    const named = Object.values(MACHINES).flatMap((graph) =>
      [...statesOf(graph)].flatMap(([, state]) => ('Catch' in state ? (state.Catch ?? []) : [])),
    );
    // States.* are Step Functions' own; `Service.Error` names come from an AWS integration.
    const ours = named
      .flatMap((c) => c.ErrorEquals)
      .filter((e) => !e.startsWith('States.') && !e.includes('.'));

    expect(ours.length).toBeGreaterThan(0);
    expect(ours.filter((e) => !known.has(e))).toEqual([]);
  });

  it.each([
    ...Object.entries(TASKS),
    ['reconcile', reconcileTask.reconcile],
    ['upload-expiry', uploadExpiry.sweep],
    ['audit-export', auditExport.handler],
  ] as [string, TaskHandler<unknown>][])(
    '%s: an event that is not one fails as InvalidTaskInput, naming the task',
    async (_, handler) => {
      const failure = await handler(42).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(InvalidTaskInputError);
      expect((failure as Error).message).toContain(handler.task);
    },
  );

  it('names the field of a task input that does not parse, before anything is read', async () => {
    const prepare = await deploymentTasks
      .prepare({ deploymentId: 'd-1', operation: 'explode' })
      .catch((e) => e);
    const notify = await approvalTasks
      .notify({ requestId: 'r-1', group: 'risk', linkBaseUrl: 'https://x' })
      .catch((e) => e);
    const shard = await driftTasks
      .summariseBatch({
        BatchInput: { planUri: 's3://b/p.json' },
        Items: [{ index: -1, uri: 's3://b/o', size: 1 }],
      })
      .catch((e) => e);
    const change = await reconcileTask.reconcile({ detail: { status: 'FAILED' } }).catch((e) => e);

    expect(prepare).toMatchObject({
      name: TASK_ERRORS.invalidInput,
      message: expect.stringContaining('operation'),
    });
    expect(notify).toMatchObject({
      name: TASK_ERRORS.invalidInput,
      message: expect.stringContaining('taskToken'),
    });
    expect(shard).toMatchObject({
      name: TASK_ERRORS.invalidInput,
      message: expect.stringContaining('Items.0.index'),
    });
    expect(change).toMatchObject({
      name: TASK_ERRORS.invalidInput,
      message: expect.stringContaining('detail.executionArn'),
    });
  });
});
