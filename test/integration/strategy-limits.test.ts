import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './local-api.ts';
import { expectProblem } from './registry-fixtures.ts';

/**
 * A SageMaker strategy SageMaker would refuse once the workflow ran is refused at the door, with a
 * problem naming the field (functions/domain/deployment.ts, SAGEMAKER_LIMITS).
 */
let api: Api;
beforeAll(async () => {
  api = await startApi({ driftIntervalMs: 0 });
});
afterAll(() => api?.close());

const deploy = (strategy: Record<string, unknown>, kind: 'sagemaker' | 'lambda' = 'sagemaker') =>
  api.call('POST', '/v1/models/limits-model/versions/1/deployments', {
    body: {
      environment: 'dev',
      target:
        kind === 'sagemaker'
          ? { kind, endpointName: 'steward-limits', instanceType: 'ml.m5.large' }
          : { kind, functionName: 'steward-limits', alias: 'live' },
      strategy,
    },
  });

const fieldOf = (body: { errors?: { path: string }[] }) => body.errors?.map((e) => e.path);

describe('SageMaker strategy limits', () => {
  it.each([
    ['a bake over 3,600 s per wait', { kind: 'all-at-once', bakeMinutes: 61 }, 'body.strategy.bakeMinutes'],
    ['a canary over 50 %', { kind: 'canary', percent: 60, bakeMinutes: 5 }, 'body.strategy.percent'],
    ['a linear step under 10 %', { kind: 'linear', percent: 5, bakeMinutes: 1 }, 'body.strategy.percent'],
    ['a linear step over 50 %', { kind: 'linear', percent: 60, bakeMinutes: 1 }, 'body.strategy.percent'],
    ['a total over 28,800 s', { kind: 'linear', percent: 10, bakeMinutes: 60 }, 'body.strategy.bakeMinutes'],
  ])('refuses %s with 400 naming the field', async (_what, strategy, field) => {
    const res = await deploy(strategy);

    expectProblem(res, 400);
    expect(fieldOf(res.body)).toContain(field);
  });

  it('lets a strategy within every limit through to the next check (the model does not exist: 404)', async () => {
    const res = await deploy({ kind: 'linear', percent: 10, bakeMinutes: 30 });

    expect(res.status, res.text).toBe(404);
  });

  it('keeps the longer bakes for Lambda targets, whose waits are the state machine’s own', async () => {
    const res = await deploy({ kind: 'canary', percent: 60, bakeMinutes: 120 }, 'lambda');

    expect(res.status, res.text).toBe(404);
  });
});
