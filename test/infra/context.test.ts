import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { contextDefaults, readStewardContext } from '../../infra/aws/context.ts';
import { cdkContext } from './synth.ts';

describe('deploy-time context', () => {
  it('ships cdk.json with the same settings the code falls back to', () => {
    const app = new App({ context: cdkContext() });
    expect(readStewardContext(app)).toEqual(contextDefaults);
  });

  it('falls back to the defaults when cdk.json says nothing', () => {
    expect(readStewardContext(new App())).toEqual(contextDefaults);
  });

  it('accepts JSON given on the command line (-c key=value arrives as a string)', () => {
    const app = new App({
      context: { stewardRoles: '[{"pattern":"arn:aws:iam::1:user/ci","roles":["publisher"]}]' },
    });
    expect(readStewardContext(app).stewardRoles).toEqual([
      { pattern: 'arn:aws:iam::1:user/ci', roles: ['publisher'] },
    ]);
  });

  it('refuses an unknown role, so a typo fails the synth and not the first request', () => {
    const app = new App({ context: { stewardRoles: [{ pattern: '*', roles: ['admn'] }] } });
    expect(() => readStewardContext(app)).toThrow(/stewardRoles\.0\.roles\.0/);
  });

  it('refuses a throttling setting that is not a positive number', () => {
    const app = new App({ context: { apiThrottling: { rateLimit: 0, burstLimit: 10 } } });
    expect(() => readStewardContext(app)).toThrow(/apiThrottling\.rateLimit/);
  });
  it('takes the approval-link throttling from the context, tighter than the API by default', () => {
    expect(contextDefaults.approvalLinkThrottling.rateLimit).toBeLessThan(
      contextDefaults.apiThrottling.rateLimit,
    );
    const app = new App({ context: { approvalLinkThrottling: '{"rateLimit":2,"burstLimit":4}' } });
    expect(readStewardContext(app).approvalLinkThrottling).toEqual({ rateLimit: 2, burstLimit: 4 });
    expect(() =>
      readStewardContext(new App({ context: { approvalLinkThrottling: { rateLimit: 1, burstLimit: 0 } } })),
    ).toThrow(/approvalLinkThrottling\.burstLimit/);
  });

  it('takes the approval mail sender from the context (a bare -c value too) and refuses a non-address', () => {
    const app = new App({ context: { mailFrom: 'approvals@models.example.org' } });
    expect(readStewardContext(app).mailFrom).toBe('approvals@models.example.org');
    expect(() => readStewardContext(new App({ context: { mailFrom: 'steward' } }))).toThrow(/mailFrom/);
  });

  it('ships environments dev (no approval), staging (one group) and prod (two groups, reproducible, 72 h)', () => {
    const { dev, staging, prod } = readStewardContext(new App({ context: cdkContext() })).stewardEnvironments;
    expect(dev?.approval).toEqual({ required: false, groups: [] });
    expect(staging?.approval.required).toBe(true);
    expect(staging?.approval.groups).toHaveLength(1);
    expect(prod?.approval.groups).toHaveLength(2);
    expect(prod).toMatchObject({ requireReproducibility: true, approvalTtlHours: 72 });
  });

  it('refuses environment policies the functions would refuse at cold start', () => {
    const app = new App({
      context: {
        stewardEnvironments: {
          prod: {
            approval: {
              required: true,
              groups: [{ name: 'risk', members: ['a@example.com'], minApprovals: 2 }],
            },
          },
        },
      },
    });
    expect(() => readStewardContext(app)).toThrow(
      /stewardEnvironments\.prod\.approval\.groups\.0\.minApprovals/,
    );
  });

  it("refuses seeded settings too large for the functions' 4 KB of environment variables", () => {
    const members = Array.from({ length: 100 }, (_, i) => `approver-${i}@example.com`);
    const app = new App({
      context: {
        stewardEnvironments: {
          prod: { approval: { required: true, groups: [{ name: 'all', members, minApprovals: 1 }] } },
        },
      },
    });
    expect(() => readStewardContext(app)).toThrow(/4 KB/);
  });

  it('takes the audit retention from the context, years 1-100, COMPLIANCE or GOVERNANCE', () => {
    const settings = readStewardContext(
      new App({ context: { auditRetentionYears: '7', auditRetentionMode: 'GOVERNANCE' } }),
    );
    expect(settings).toMatchObject({ auditRetentionYears: 7, auditRetentionMode: 'GOVERNANCE' });
    expect(() => readStewardContext(new App({ context: { auditRetentionYears: 0 } }))).toThrow(
      /auditRetentionYears/,
    );
    expect(() => readStewardContext(new App({ context: { auditRetentionMode: 'LEGAL_HOLD' } }))).toThrow(
      /auditRetentionMode/,
    );
  });

  it('takes the deployment settings from the context, with safe defaults: prefix steward, no Lambda function, any ECR repository', () => {
    expect(contextDefaults).toMatchObject({
      resourcePrefix: 'steward',
      lambdaTargets: [],
      ecrRepositories: [],
      deployPollSeconds: 30,
    });
    expect(contextDefaults.lambdaTargetTag).toBeUndefined();
    const settings = readStewardContext(
      new App({
        context: {
          resourcePrefix: 'mlops',
          lambdaTargets: '["fraud-*","arn:aws:lambda:eu-west-1:111122223333:function:scorer"]',
          lambdaTargetTag: { key: 'steward:managed', value: 'true' },
          deployPollSeconds: '15',
        },
      }),
    );
    expect(settings).toMatchObject({
      resourcePrefix: 'mlops',
      lambdaTargets: ['fraud-*', 'arn:aws:lambda:eu-west-1:111122223333:function:scorer'],
      lambdaTargetTag: { key: 'steward:managed', value: 'true' },
      deployPollSeconds: 15,
    });
  });

  it('refuses a resource prefix SageMaker names could not start with, and Lambda targets that name every function', () => {
    for (const resourcePrefix of ['Steward', '1st', 'a-prefix-longer-than-twenty'])
      expect(() => readStewardContext(new App({ context: { resourcePrefix } })), resourcePrefix).toThrow(
        /resourcePrefix/,
      );
    for (const target of ['*', '**', 'arn:aws:lambda:eu-west-1:111122223333:function:*', 'my function'])
      expect(() => readStewardContext(new App({ context: { lambdaTargets: [target] } })), target).toThrow(
        /lambdaTargets\.0/,
      );
  });

  it('takes the drift settings from the context: no data bucket, a dispatch every 15 minutes and no alarm email by default', () => {
    expect(contextDefaults).toMatchObject({ dataBuckets: [], driftDispatchRate: 'rate(15 minutes)' });
    expect(contextDefaults.driftAlarmEmail).toBeUndefined();
    const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

    const settings = readStewardContext(
      new App({
        context: {
          dataBuckets: `["reference-data",{"bucket":"labels.example","keyArn":"${keyArn}"}]`,
          // Bare -c values: neither is JSON.
          driftDispatchRate: 'rate(1 hour)',
          driftAlarmEmail: 'ml-oncall@example.com',
        },
      }),
    );

    expect(settings).toMatchObject({
      dataBuckets: ['reference-data', { bucket: 'labels.example', keyArn }],
      driftDispatchRate: 'rate(1 hour)',
      driftAlarmEmail: 'ml-oncall@example.com',
    });
    expect(
      readStewardContext(new App({ context: { driftDispatchRate: 'cron(0/30 * * * ? *)' } }))
        .driftDispatchRate,
    ).toBe('cron(0/30 * * * ? *)');
  });

  it('refuses drift settings Scheduler, S3, KMS or SNS would refuse', () => {
    for (const driftDispatchRate of ['rate(5 minute)', 'rate(1 minutes)', 'every 5 minutes', 'rate(0 hours)'])
      expect(
        () => readStewardContext(new App({ context: { driftDispatchRate } })),
        driftDispatchRate,
      ).toThrow(/driftDispatchRate/);
    for (const entry of [
      'Reference_Data',
      's3://reference-data',
      { bucket: 'labels', keyArn: 'alias/labels' },
    ])
      expect(
        () => readStewardContext(new App({ context: { dataBuckets: [entry] } })),
        JSON.stringify(entry),
      ).toThrow(/dataBuckets\.0/);
    expect(() => readStewardContext(new App({ context: { driftAlarmEmail: 'oncall' } }))).toThrow(
      /driftAlarmEmail/,
    );
  });

  it("refuses an environment whose deploy role is not in the environment's account", () => {
    const app = new App({
      context: {
        stewardEnvironments: {
          prod: {
            approval: { required: false, groups: [] },
            account: { id: '111122223333', deployRoleArn: 'arn:aws:iam::444455556666:role/steward-deploy' },
          },
        },
      },
    });
    expect(() => readStewardContext(app)).toThrow(/stewardEnvironments\.prod\.account\.deployRoleArn/);
  });
});
