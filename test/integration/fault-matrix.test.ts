import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cell, formatMatrix, runFaultMatrix } from '#local/fault-matrix';
import { type Api, startApi } from './local-api.ts';

/**
 * The fault matrix (infra/local/fault-matrix.ts), in local mode, on one local system: every Task
 * state of the deployment paths (SageMaker new endpoint, blue/green update, its alarm rollback, a
 * failed create's cleanup, manual rollback, decommission, batch transform; Lambda first version,
 * canary with alarm checks, its alarm rollback, manual rollback, decommission) and of the approval
 * machine (approve, reject), each hit by every spelling of a throttle (retried: the path ends as
 * without it) and by a permanent fault (terminal, nothing locked, registry = target, audited). The
 * matrix is printed with its size; every cell must hold.
 */
let api: Api;
let result: Awaited<ReturnType<typeof runFaultMatrix>>;

beforeAll(async () => {
  api = await startApi({ waitScale: 0.001, targetTransitionMs: 40, driftIntervalMs: 0 });
  result = await runFaultMatrix(api.system);
  console.log(formatMatrix(result.cells));
}, 600_000);
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
      'approval (approve): APPROVED',
      'approval (reject): REJECTED',
    ]);
    const states = new Set(result.cells.map((c) => c.state));
    for (const state of [
      'SmUpdateEndpoint',
      'SmDescribe',
      'SmAutoRolledBack',
      'SmDeleteFailedEndpoint',
      'SmRollbackDescribe',
      'SmEndpointGone',
      'BtDescribe',
      'LmCreateAlias',
      'ShiftWeight',
      'StepCheckAlarms',
      'LmFinalCheck',
      'LmRollback',
      'LmManualRollback',
      'LmDeleteAlias',
      'AwaitGroupQuorum',
      'RecordApproved',
      'RecordRejected',
    ])
      expect(states, state).toContain(state);
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
