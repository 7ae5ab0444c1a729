import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cell, FAULT_MATRIX_SYSTEM, formatMatrix, runFaultMatrix } from '#local/fault-matrix';
import { type Api, startApi } from './local-api.ts';

/**
 * The fault matrix (infra/local/fault-matrix.ts), in local mode, on one local system: every Task
 * state of every state machine (deployment, approval, registration, drift), found through the
 * paths that reach them (SageMaker new endpoint, with data capture, blue/green update, its alarm
 * rollback, a rollback that fails, an update that never settles, a failed create's cleanup, manual
 * rollback, decommission, batch transform; Lambda zip, image and versioned-zip first versions,
 * canary with alarm checks, its alarm rollback, manual rollback, decommission; approval approved,
 * rejected, expired; registration by reference; drift dispatch in one function and over a
 * Distributed Map) and, for the Tasks only failures reach, through those failures kept in place.
 * Each Task is hit by every spelling of a throttle (retried: the path ends as without it) and by a
 * permanent fault (terminal, nothing locked, registry = target, audited). The matrix is printed
 * with its size; every cell must hold.
 */
let api: Api;
let result: Awaited<ReturnType<typeof runFaultMatrix>>;

beforeAll(async () => {
  api = await startApi(FAULT_MATRIX_SYSTEM);
  result = await runFaultMatrix(api.system);
  console.log(formatMatrix(result.cells));
}, 1_500_000);
afterAll(() => api?.close());

const cellsOf = (kind: Cell['kind']) => () =>
  result.cells.filter((c) => c.kind === kind).map((c) => `${c.path} / ${c.state} / ${c.error}`);

describe('fault matrix', () => {
  it('covers every path the issue names, and the Tasks each runs through', () => {
    expect(result.paths.map((p) => `${p.path}: ${p.status}`)).toEqual([
      'SageMaker new endpoint: SUCCEEDED',
      'SageMaker endpoint update (blue/green canary): SUCCEEDED',
      'SageMaker update rolled back by its alarm: ROLLED_BACK',
      'SageMaker endpoint that fails to create (cleanup): FAILED',
      'SageMaker manual rollback: ROLLED_BACK',
      'SageMaker decommission: DECOMMISSIONED',
      'SageMaker batch transform: SUCCEEDED',
      'Lambda alias, first version (alias created): SUCCEEDED',
      'Lambda alias canary with alarm checks: SUCCEEDED',
      'Lambda canary rolled back by its alarm: ROLLED_BACK',
      'Lambda manual rollback: ROLLED_BACK',
      'Lambda decommission: DECOMMISSIONED',
      'SageMaker new endpoint with data capture: SUCCEEDED',
      'SageMaker update whose rollback fails (UpdateRollbackFailed): FAILED',
      'SageMaker update that never settles (poll budget): FAILED',
      'Lambda alias, first version of an image function: SUCCEEDED',
      'Lambda alias, first version of a zip in a versioned bucket: SUCCEEDED',
      'approval (approve): APPROVED',
      'approval (reject): REJECTED',
      'approval (expire): EXPIRED',
      'registration by reference (MLflow): READY',
      'drift dispatch: DRIFTED',
      'drift dispatch, a window split over a Distributed Map: DRIFTED (distributed)',
    ]);
  });

  it('has a row for every Task state of every state machine under statemachines/', () => {
    // Read from the ASL files themselves, so that a new Task state without a cell fails here.
    const dir = new URL('../../statemachines/', import.meta.url);
    const tasks: string[] = [];
    // biome-ignore lint/suspicious/noExplicitAny: ASL read as plain JSON.
    const walk = (machine: string, states: Record<string, any>) => {
      for (const [name, state] of Object.entries(states)) {
        if (state.Type === 'Task') tasks.push(`${machine}/${name}`);
        for (const inner of [state.Iterator, state.ItemProcessor]) if (inner) walk(machine, inner.States);
        for (const branch of state.Branches ?? []) walk(machine, branch.States);
      }
    };
    const files = readdirSync(dir).filter((f) => f.endsWith('.asl.json'));
    for (const file of files) walk(file, JSON.parse(readFileSync(new URL(file, dir), 'utf8')).States);
    const names = tasks.map((t) => t.split('/')[1]!);
    const rows = new Set(result.cells.map((c) => c.state));

    expect(files.sort()).toEqual([
      'approval.asl.json',
      'deployment.asl.json',
      'drift.asl.json',
      'registration.asl.json',
    ]);
    // Faults are injected by state name: a name used twice would hit both states.
    expect(new Set(names).size).toBe(names.length);
    expect(tasks.filter((t) => !rows.has(t.split('/')[1]!))).toEqual([]);
    expect(rows.size).toBe(tasks.length);
    for (const state of rows) {
      const kinds = new Set(result.cells.filter((c) => c.state === state).map((c) => c.kind));
      expect([...kinds].sort(), state).toEqual(['permanent', 'transient']);
    }
  });

  it('every throttle spelling, once, is retried and the path ends as without it', () => {
    const failed = result.cells.filter((c) => c.kind === 'transient' && !c.held);

    expect(cellsOf('transient')().length).toBeGreaterThan(0);
    expect(failed.map((c) => `${c.path} / ${c.state} / ${c.error}: ${c.problems.join('; ')}`)).toEqual([]);
  });

  it('a permanent fault ends every path terminal, nothing locked, the registry and the target agreeing', () => {
    const failed = result.cells.filter((c) => c.kind === 'permanent' && !c.held);

    expect(cellsOf('permanent')().length).toBeGreaterThan(0);
    expect(failed.map((c) => `${c.path} / ${c.state} / ${c.error}: ${c.problems.join('; ')}`)).toEqual([]);
  });

  it('a describe that keeps failing leads to reconcile, not to teardown', () => {
    const describes = result.cells.filter(
      (c) => c.kind === 'permanent' && ['SmDescribe', 'SmRollbackDescribe', 'BtDescribe'].includes(c.state),
    );

    expect(describes.map((c) => `${c.state}: ${c.status}`)).toEqual(
      describes.map((c) => `${c.state}: ${c.expected}`),
    );
  });
});
