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
});
