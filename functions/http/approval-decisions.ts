import {
  type ApprovalItem,
  claimGroupToken,
  getApproval,
  recordDecision,
  recordOutcome,
} from '#adapters/approvals-table';
import { retryOnConflict } from '#adapters/audit-chain';
import { getModel } from '#adapters/registry-table';
import { unseal } from '#adapters/token-vault';
import { answerTask } from '#adapters/workflow';
import { ConflictError, ForbiddenError, GoneError, NotFoundError } from '#commons/errors';
import { TASK_ERRORS } from '#commons/facts';
import { sessionNameOf } from '#commons/identity';
import { logger } from '#commons/observability';
import { type ApprovalStatus, type Decision, groupForDecision, isMember, type Who } from '#domain/approval';

/**
 * One decision on an approval request, from the API or from a link: the same rules either way.
 * The registrant gets 403, a non-member 403, a second decision by the same person 403, a decided
 * request 409, an expired one 410. After the decision is stored, the group's task is answered;
 * a task that is gone (timed out) makes the request EXPIRED, never a 500.
 */
export interface DecisionInput {
  requestId: string;
  who: Who;
  decision: Decision;
  comment?: string;
  via: 'api' | 'link';
  /** For a link: the hash of its secret (the link is used up with the decision) and its member. */
  link?: { hash: string; member: string };
}

const nowEpoch = () => Math.floor(Date.now() / 1000);

export const isExpired = (request: ApprovalItem, now = nowEpoch()) =>
  request.status === 'EXPIRED' || (request.status === 'PENDING' && request.expiresAtEpoch <= now);

const registrantOf = (request: ApprovalItem): Who => ({
  id: request.registrant,
  sessionName: sessionNameOf(request.registrant),
});

export const decide = async (input: DecisionInput): Promise<ApprovalItem> => {
  const at = new Date().toISOString();
  const outcome = await retryOnConflict(async () => {
    const request = await getApproval(input.requestId);
    if (!request) throw new NotFoundError(`approval request ${input.requestId} does not exist`);
    if (isExpired(request))
      throw new GoneError(`approval request ${request.id} expired at ${request.expiresAt}`);
    if (request.status !== 'PENDING')
      throw new ConflictError(`approval request ${request.id} is ${request.status} already`);

    const registrant = registrantOf(request);
    const subject = {
      model: request.model,
      target: `approval:${request.id}`,
      ...(input.link ? { actor: input.link.member } : {}),
    };
    const member =
      input.link?.member ?? request.groups.flatMap((g) => g.members).find((m) => isMember(input.who, m));
    if (
      input.who.id === registrant.id ||
      (input.who.sessionName !== undefined && input.who.sessionName === registrant.sessionName) ||
      (member !== undefined && isMember(registrant, member))
    )
      throw new ForbiddenError('the person who registered the version cannot decide its approval', {
        subject,
      });
    const group = groupForDecision(
      request.groups,
      member ? { id: member, sessionName: undefined } : input.who,
    );
    if (!group || !member) throw new ForbiddenError('you are not an approver of this request', { subject });
    if (request.decisions.some((d) => d.member === member || d.by === input.who.id))
      throw new ForbiddenError('you have decided on this request already', { subject });
    if (input.decision === 'approve' && group.done)
      throw new ConflictError(`group ${group.name} has its ${group.minApprovals} approval(s) already`);

    const groupIndex = request.groups.indexOf(group);
    const approvals = group.approvals + (input.decision === 'approve' ? 1 : 0);
    const groupDone = approvals >= group.minApprovals;
    const status: ApprovalStatus =
      input.decision === 'reject'
        ? 'REJECTED'
        : groupDone && request.groups.every((g, i) => i === groupIndex || g.done)
          ? 'APPROVED'
          : 'PENDING';
    const head = await getModel(request.model);
    if (!head) throw new NotFoundError(`model ${request.model} does not exist`);
    const entry = {
      by: input.who.id,
      member,
      decision: input.decision,
      ...(input.comment ? { comment: input.comment } : {}),
      at,
      group: group.name,
      via: input.via,
    };
    // Refusals: decided already (403), link used (404); a request that moved is read again.
    await recordDecision({
      head,
      request,
      entry,
      groupIndex,
      status,
      nowEpoch: nowEpoch(),
      ...(input.link ? { linkHash: input.link.hash } : {}),
    });
    const decided: ApprovalItem = {
      ...request,
      status,
      decisions: [...request.decisions, entry],
      groups: request.groups.map((g, i) => (i === groupIndex ? { ...g, approvals, done: groupDone } : g)),
    };
    const signal: 'approve' | 'reject' | undefined =
      input.decision === 'reject' ? 'reject' : groupDone ? 'approve' : undefined;
    return { decided, group: group.name, signal };
  });

  if (outcome.signal) await signalGroup(outcome.decided, outcome.group, outcome.signal);
  return (await getApproval(input.requestId)) ?? outcome.decided;
};

/**
 * Answer the group's callback task: an approval that completes its group answers that group's
 * task; a rejection fails the first group task still open (one failure ends the whole wait).
 * Before the workflow kept a token there is nothing to answer: `notify` sees the decision and
 * answers itself. A task that is gone (timed out, execution stopped) expires the request.
 */
const signalGroup = async (request: ApprovalItem, group: string, signal: 'approve' | 'reject') => {
  const groups =
    signal === 'approve' ? [group] : [group, ...request.groups.map((g) => g.name).filter((g) => g !== group)];
  for (const name of groups) {
    const sealed = await claimGroupToken(request.id, name);
    if (!sealed) continue;
    const token = await unseal(sealed, { requestId: request.id, group: name });
    const answer =
      signal === 'approve'
        ? { output: { group: name } }
        : { error: TASK_ERRORS.rejected, cause: `group ${group} rejected the request` };
    if ((await answerTask(token, answer)) === 'sent') return;
    logger.warn('approval task gone; the request expires', { requestId: request.id, group: name });
    await expire(request.id, 'the workflow had already timed out when the decision arrived');
    throw new GoneError(`approval request ${request.id} expired before the decision could take effect`);
  }
};

export const expire = async (requestId: string, reason: string) => {
  const at = new Date().toISOString();
  await retryOnConflict(async () => {
    const request = await getApproval(requestId);
    if (!request || request.recordedAt) return;
    const head = await getModel(request.model);
    if (!head) return;
    await recordOutcome(head, request, 'EXPIRED', reason, at);
  });
};
