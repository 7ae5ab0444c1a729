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
});
