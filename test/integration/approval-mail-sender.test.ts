import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.ts';
import { type Api, startApi } from './local-api.ts';
import { createModel, publishVersion, uniqueName } from './registry-fixtures.ts';

/**
 * A Steward whose mail sender is the shipped placeholder (steward@example.com): SES refuses it, as
 * the local outbox does (a reserved example domain can never be verified). Every approval must
 * then end FAILED and say why (MailSenderNotConfigured), instead of waiting until it expires.
 */
let api: Api;

beforeAll(async () => {
  api = await startApi({ driftIntervalMs: 0, env: { MAIL_FROM: 'steward@example.com' } });
});
afterAll(() => api?.close());

describe('approvals with the placeholder mail sender', () => {
  it('end FAILED at once, the reason naming MailSenderNotConfigured, with no email sent', async () => {
    const model = uniqueName('mail');
    await createModel(api, model);
    await publishVersion(api, model);
    const env = uniqueName('env').toLowerCase().slice(0, 32);
    const put = await api.call('PUT', `/v1/environments/${env}`, {
      principal: 'admin',
      body: {
        approval: { required: true, groups: [{ name: 'g', members: ['ops@example.org'], minApprovals: 1 }] },
      },
    });
    expect(put.status, put.text).toBe(200);

    const created = await api.call('POST', `/v1/models/${model}/versions/1/approvals`, {
      body: { environment: env },
    });
    expect(created.status, created.text).toBe(202);
    const approval = await eventually(`approval ${created.body.id} leaving PENDING`, async () => {
      const read = (await api.call('GET', `/v1/approvals/${created.body.id}`)).body;
      return read.status === 'PENDING' ? undefined : read;
    });

    expect(approval.status).toBe('FAILED');
    expect(approval.outcomeReason).toContain('MailSenderNotConfigured');
    expect(approval.outcomeReason).toContain('mailFrom');
    expect((await api.call('GET', '/local/outbox')).body).toEqual([]);
  });
});
