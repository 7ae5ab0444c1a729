import { escapeHtml } from '#domain/html';
import { relativeText, utcText } from './time.ts';

/**
 * The approval email: one per approver, with their personal link and nothing else secret. A text
 * part and an HTML part say the same; the subject names the model, version and environment, and
 * the expiry reads "in 3 days (Dec 9, 17:37 UTC)". Mail clients run no scripts and load no
 * styles, so the HTML carries its styles inline and stays plain.
 */
export interface ApprovalMailFacts {
  model: string;
  version: number;
  environment: string;
  requestedBy: string;
  reason?: string;
  expiresAt: string;
  groups?: { name: string; minApprovals: number; members: string[] }[];
}

/** `in 3 days (Dec 9, 17:37 UTC)` */
export const expiryText = (expiresAt: string, now: Date): string =>
  `${relativeText(expiresAt, now)} (${utcText(expiresAt, false)})`;

export const approvalEmail = (request: ApprovalMailFacts, member: string, link: string, now = new Date()) => {
  const what = `${request.model} version ${request.version} for ${request.environment}`;
  const expiry = expiryText(request.expiresAt, now);
  const mine = (request.groups ?? []).filter((g) => g.members.includes(member));
  const role = mine.length
    ? `You are asked as a member of ${mine.map((g) => `${g.name} (${g.minApprovals} approval${g.minApprovals === 1 ? '' : 's'} needed)`).join(' and ')}.`
    : undefined;
  const lines = [
    `${request.requestedBy} asks you to approve ${what}.`,
    '',
    `Model:       ${request.model}`,
    `Version:     ${request.version}`,
    `Environment: ${request.environment}`,
    `Reason:      ${request.reason ?? 'none given'}`,
    `Expires:     ${expiry}`,
    ...(role ? ['', role] : []),
    '',
    'Review the version (its card, metrics against what serves now, lineage) and approve or reject it here:',
    link,
    '',
    'Opening the link changes nothing; only the buttons on the page decide. The link is yours alone and works once.',
  ];
  const row = (label: string, value: string) =>
    `<tr><th scope="row" style="text-align:left;padding:4px 16px 4px 0;color:#59636e;font-weight:normal">${label}</th><td style="padding:4px 0">${value}</td></tr>`;
  return {
    to: member,
    subject: `Approval requested: ${what}`,
    text: lines.join('\n'),
    html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(`Approval requested: ${what}`)}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#1f2328;line-height:1.5;max-width:36rem;margin:0 auto;padding:16px">
<h1 style="font-size:20px;margin:0 0 12px">Approve ${escapeHtml(what)}?</h1>
<p>${escapeHtml(request.requestedBy)} asks you to approve this version.</p>
<table role="presentation" style="border-collapse:collapse;margin:8px 0 16px">
${row('Model', `<strong>${escapeHtml(request.model)}</strong>`)}
${row('Version', String(request.version))}
${row('Environment', `<strong>${escapeHtml(request.environment)}</strong>`)}
${row('Reason', request.reason ? escapeHtml(request.reason) : '<span style="color:#59636e">none given</span>')}
${row('Expires', `<time datetime="${escapeHtml(request.expiresAt)}">${escapeHtml(expiry)}</time>`)}
</table>
${role ? `<p>${escapeHtml(role)}</p>` : ''}
<p><a href="${escapeHtml(link)}" style="display:inline-block;background:#1f883d;color:#ffffff;padding:10px 20px;border-radius:6px;text-decoration:none;font-weight:600">Review and decide</a></p>
<p style="color:#59636e;font-size:14px">The page shows the model card, the metrics against the version serving ${escapeHtml(request.environment)} now, and the lineage. Opening the link changes nothing; only the buttons on the page decide. The link is yours alone and works once.</p>
</body></html>`,
  };
};
