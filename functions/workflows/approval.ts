import { createHash, randomBytes } from 'node:crypto';
import {
  type ApprovalItem,
  claimGroupToken,
  claimLink,
  getApproval,
  putGroupToken,
} from '#adapters/approvals-table';
import { sendEmail } from '#adapters/mailer';
import { seal } from '#adapters/token-vault';
import { answerTask } from '#adapters/workflow';
import { config } from '#commons/config';
import { TASK_ERRORS } from '#commons/facts';
import { logger } from '#commons/observability';
import type { ApprovalStatus } from '#domain/approval';
import { approvalEmail } from '#presentation/approval-email';
import { deployIfAsked, recordApprovalOutcome } from '#services/approvals';

/**
 * The task handlers of statemachines/approval.asl.json: validate the request, notify one group
 * and keep its task token (sealed), record the outcome.
 */
export class RequestInvalid extends Error {
  override readonly name = 'RequestInvalid';
}

/** Approval emails cannot go out: the sender is the placeholder the stack synthesizes with by default. */
export class MailSenderNotConfigured extends Error {
  override readonly name = 'MailSenderNotConfigured';
}

const senderError = (error: unknown): unknown => {
  const from = config().mailFrom;
  if (!from || /@example\.(com|org|net)$/i.test(from))
    return new MailSenderNotConfigured(
      `approval emails cannot be sent: the sender is ${from ? `the placeholder ${from}` : 'not set'}; deploy ` +
        `with -c mailFrom=<an SES-verified address> (${(error as Error).message})`,
    );
  return error;
};

const load = async (requestId: string): Promise<ApprovalItem> => {
  const request = await getApproval(requestId);
  if (!request) throw new RequestInvalid(`approval request ${requestId} does not exist`);
  return request;
};

export const validate = async (event: { requestId: string }) => {
  // A request decided before the workflow got here (API decisions can be that quick) still runs
  // through: each group's task is answered at once by `notify`, and the outcome is recorded.
  const request = await load(event.requestId);
  const timeoutSeconds = Math.max(1, request.expiresAtEpoch - Math.floor(Date.now() / 1000));
  return { requestId: request.id, groups: request.groups.map((g) => g.name), timeoutSeconds };
};

/**
 * Keep the group's token, then send each of its members (but the registrant, and anyone who got a
 * link through another group) one email with a personal link. If the request moved on before the
 * token was kept (decisions through the API can come first), answer the task now.
 */
export const notify = async (event: {
  requestId: string;
  group: string;
  linkBaseUrl: string;
  taskToken: string;
}) => {
  const binding = { requestId: event.requestId, group: event.group };
  const first = await load(event.requestId);
  await putGroupToken(
    event.requestId,
    event.group,
    await seal(event.taskToken, binding),
    first.expiresAtEpoch + 86_400,
  );
  const request = await load(event.requestId);
  const group = request.groups.find((g) => g.name === event.group);
  if (!group) throw new RequestInvalid(`approval request ${request.id} has no group ${event.group}`);

  // Decisions that came before the token was kept: answer the task now, if no one else has.
  const answer =
    request.status === 'EXPIRED'
      ? { error: TASK_ERRORS.expired, cause: 'the request expired' }
      : request.status === 'REJECTED'
        ? { error: TASK_ERRORS.rejected, cause: 'an approver rejected the request' }
        : group.done
          ? { output: { group: group.name, approvals: group.approvals } }
          : undefined;
  if (answer) {
    if (await claimGroupToken(event.requestId, event.group)) await answerTask(event.taskToken, answer);
    return { notified: 0 };
  }
  if (request.status !== 'PENDING') return { notified: 0 };

  let notified = 0;
  for (const member of group.members.filter((m) => request.approvers.includes(m))) {
    const secret = randomBytes(32).toString('base64url');
    const hash = createHash('sha256').update(secret).digest('hex');
    if (!(await claimLink(request, member, hash))) continue;
    await sendEmail(approvalEmail(request, member, `${event.linkBaseUrl}/v1/approval-links/${secret}`)).catch(
      (error: unknown) => {
        throw senderError(error);
      },
    );
    notified++;
  }
  logger.info('approvers notified', { requestId: request.id, group: group.name, notified });
  return { notified };
};

export const record = async (event: {
  requestId: string;
  outcome: ApprovalStatus;
  reason: string;
  error?: { Error?: string; Cause?: string };
}) => {
  // A failure says what failed (MailSenderNotConfigured, a Lambda error), not only that it did.
  const reason = event.error?.Error
    ? `${event.reason}: ${event.error.Error}${event.error.Cause ? ` (${event.error.Cause.slice(0, 500)})` : ''}`
    : event.reason;
  const recorded = await recordApprovalOutcome(event.requestId, event.outcome, reason);
  if ('missing' in recorded) throw new RequestInvalid(recorded.missing);
  if (recorded.status === 'APPROVED') await deployIfAsked(event.requestId);
  return { requestId: event.requestId, status: recorded.status };
};
