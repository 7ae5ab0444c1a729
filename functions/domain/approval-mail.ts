import { escapeHtml } from './html.ts';

/** The approval email: one per approver, with their personal link and nothing else secret. */
export interface ApprovalMailFacts {
  model: string;
  version: number;
  environment: string;
  requestedBy: string;
  reason?: string;
  expiresAt: string;
}

export const approvalEmail = (request: ApprovalMailFacts, member: string, link: string) => {
  const what = `${request.model} version ${request.version} for ${request.environment}`;
  const lines = [
    `${request.requestedBy} asks you to approve ${what}.`,
    request.reason ? `Reason: ${request.reason}` : undefined,
    `The request expires at ${request.expiresAt}.`,
    '',
    `Open this link to review the version and approve or reject it:`,
    link,
    '',
    'Opening the link changes nothing; only the buttons on the page decide. The link is yours alone and works once.',
  ].filter((l) => l !== undefined);
  return {
    to: member,
    subject: `Approval requested: ${what}`,
    text: lines.join('\n'),
    html: `<!doctype html><html><body style="font-family:system-ui,sans-serif">
<p>${escapeHtml(request.requestedBy)} asks you to approve <strong>${escapeHtml(what)}</strong>.</p>
${request.reason ? `<p>Reason: ${escapeHtml(request.reason)}</p>` : ''}
<p>The request expires at ${escapeHtml(request.expiresAt)}.</p>
<p><a href="${escapeHtml(link)}">Review and decide</a></p>
<p style="color:#555">Opening the link changes nothing; only the buttons on the page decide. The link is yours alone and works once.</p>
</body></html>`,
  };
};
