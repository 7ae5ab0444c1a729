import { describe, expect, it } from 'vitest';
import { approvalEmail, expiryText } from '#presentation/approval-email';
import { relativeText, utcText } from '#presentation/time';

const request = {
  model: 'churn',
  version: 2,
  environment: 'prod',
  requestedBy: 'ci-pipeline',
  reason: 'quarterly <retrain>',
  expiresAt: '2026-12-09T17:37:12.000Z',
  groups: [
    { name: 'risk', minApprovals: 1, members: ['risk@example.com'] },
    { name: 'tech', minApprovals: 2, members: ['lead@example.com', 'risk@example.com'] },
  ],
};
const now = new Date('2026-12-06T17:37:12.000Z');
const link = 'https://api.example.com/v1/approval-links/abc';

describe('approval email', () => {
  it('reads the expiry as a distance and a UTC time', () => {
    expect(expiryText(request.expiresAt, now)).toBe('in 3 days (Dec 9, 17:37 UTC)');
    expect(relativeText('2026-12-06T22:40:00.000Z', now)).toBe('in 5 hours');
    expect(relativeText('2026-12-06T17:50:00.000Z', now)).toBe('in 12 minutes');
    expect(relativeText('2026-12-05T17:00:00.000Z', now)).toBe('24 hours ago');
    expect(utcText('2026-01-02T03:04:00.000Z')).toBe('Jan 2, 2026, 03:04 UTC');
  });

  it('names model, version and environment in the subject, and has a text and an HTML part', () => {
    const mail = approvalEmail(request, 'risk@example.com', link, now);

    expect(mail.to).toBe('risk@example.com');
    expect(mail.subject).toBe('Approval requested: churn version 2 for prod');
    expect(mail.text).toContain('Expires:     in 3 days (Dec 9, 17:37 UTC)');
    expect(mail.text).toContain('Reason:      quarterly <retrain>');
    expect(mail.text).toContain('member of risk (1 approval needed) and tech (2 approvals needed)');
    expect(mail.text.split('\n')).toContain(link);
    expect(mail.html).toContain(
      '<time datetime="2026-12-09T17:37:12.000Z">in 3 days (Dec 9, 17:37 UTC)</time>',
    );
    expect(mail.html).toContain('quarterly &lt;retrain&gt;');
    expect(mail.html).not.toContain('<retrain>');
    expect(mail.html).toContain(`href="${link}"`);
    expect(mail.html).toContain('<html lang="en">');
  });
});
