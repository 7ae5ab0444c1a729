import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
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
import { taskHandler } from '#commons/task';
import { ApprovalStatus } from '#domain/approval';
import { approvalEmail } from '#presentation/approval-email';
import { recordApprovalOutcome } from '#services/approvals';
import { deployIfAsked } from '#services/deployments';

/**
 * The task handlers of statemachines/approval.asl.json: validate the request, notify one group
 * and keep its task token (sealed), record the outcome.
 */
export class RequestInvalid extends Error {
  override readonly name = TASK_ERRORS.requestInvalid;
}

/** Approval emails cannot go out: the sender is the placeholder the stack synthesizes with by default. */
export class MailSenderNotConfigured extends Error {
  override readonly name = TASK_ERRORS.mailSenderNotConfigured;
}

/** What each task of the machine is sent (its Payload in statemachines/approval.asl.json). */
const RequestRef = z.object({ requestId: z.string().min(1) });
const NotifyEvent = RequestRef.extend({
  group: z.string().min(1),
  linkBaseUrl: z.string().min(1),
  taskToken: z.string().min(1),
});
/** The error a Catch put in the state (`ResultPath: $.error`); a missing Cause comes as null. */
const CaughtError = z.looseObject({ Error: z.string().nullish(), Cause: z.string().nullish() });
const RecordEvent = RequestRef.extend({
  outcome: ApprovalStatus,
  reason: z.string().min(1),
  error: CaughtError.optional(),
});
export type RecordEvent = z.infer<typeof RecordEvent>;
const requestKeys = (input: { requestId: string }) => ({ requestId: input.requestId });

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

const validateRequest = async (event: z.infer<typeof RequestRef>) => {
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
const notifyGroup = async (event: z.infer<typeof NotifyEvent>) => {
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

/** Records the outcome (the workflow's last task, and reconcile's for an execution that ended without one). */
export const recordApproval = async (event: RecordEvent) => {
  // A failure says what failed (MailSenderNotConfigured, a Lambda error), not only that it did.
  const reason = event.error?.Error
    ? `${event.reason}: ${event.error.Error}${event.error.Cause ? ` (${event.error.Cause.slice(0, 500)})` : ''}`
    : event.reason;
  const recorded = await recordApprovalOutcome(event.requestId, event.outcome, reason);
  if ('missing' in recorded) throw new RequestInvalid(recorded.missing);
  if (recorded.status === 'APPROVED') await deployIfAsked(event.requestId);
  return { requestId: event.requestId, status: recorded.status };
};

export const validate = taskHandler('approval-validate', RequestRef, validateRequest, {
  raises: [TASK_ERRORS.requestInvalid],
  keys: requestKeys,
});
export const notify = taskHandler('approval-notify', NotifyEvent, notifyGroup, {
  raises: [TASK_ERRORS.requestInvalid, TASK_ERRORS.mailSenderNotConfigured],
  keys: (input) => ({ requestId: input.requestId, group: input.group }),
});
export const record = taskHandler('approval-record', RecordEvent, recordApproval, {
  raises: [TASK_ERRORS.requestInvalid],
  keys: requestKeys,
});
