import { createHash, randomBytes } from 'node:crypto';
import {
  type ApprovalItem,
  claimGroupToken,
  createApproval,
  type DecisionEntry,
  getApproval,
  getLink,
  type LinkItem,
  listPendingApprovals,
  overrides,
  recordDecision,
  recordOutcome,
} from '#adapters/approvals-table';
import { retryOnConflict } from '#adapters/audit-chain';
import { listDeployments } from '#adapters/deployments-table';
import { resolveEnvironment } from '#adapters/environments-table';
import { walkLineage } from '#adapters/lineage-table';
import { listDriftRuns } from '#adapters/monitoring-table';
import { getCard, getModel, getModelAndVersion, getVersion } from '#adapters/registry-table';
import { unseal } from '#adapters/token-vault';
import { answerTask, startExecution } from '#adapters/workflow';
import { config } from '#commons/config';
import { decodeCursor, encodeCursor } from '#commons/cursor';
import { asHttpError, ConflictError, GoneError, NotFoundError, ValidationError } from '#commons/errors';
import { ENV, TASK_ERRORS } from '#commons/facts';
import { hasRole, type Principal, sessionNameOf } from '#commons/identity';
import { logger } from '#commons/observability';
import {
  type ApprovalStatus,
  approversOf,
  type Decision,
  decidability,
  disqualification,
  groupComplete,
  groupForDecision,
  initialGroups,
  isExpired,
  memberOf,
  type Who,
} from '#domain/approval';
import { DeploymentBody } from '#domain/deployment';
import { DEFAULT_APPROVAL_TTL_HOURS } from '#domain/environment';
import {
  ApprovalAlreadyDecidedError,
  ApprovalClosedError,
  ApprovalExpiredError,
  GroupQuorumReachedError,
  NotAnApproverError,
  QuorumUnreachableError,
  SelfApprovalError,
} from '#domain/errors';
import type { Graph, NodeRef } from '#domain/lineage';
import { modelVersionNode } from '#domain/lineage';
import { missingForReproducibility } from '#domain/reproducibility';
import type { ApprovalPageFacts, LinkState } from '#presentation/approval-pages';

/**
 * The approval use cases: request a version's approval for an environment, decide (through the
 * API or an emailed link: the same rules either way), list the approvers' inbox, read a link, and
 * record the outcome (the workflow's `record` task and an expiry share it). Refusals are named
 * errors (functions/domain/errors.ts): the registrant never decides (SelfApprovalError), only a
 * member does (NotAnApproverError), one person decides once (ApprovalAlreadyDecidedError), nothing
 * is decided on a request that expired (ApprovalExpiredError) or ended (ApprovalClosedError), and a
 * group with its quorum takes no more approvals (GroupQuorumReachedError).
 */

const nowEpoch = () => Math.floor(Date.now() / 1000);

const registrantOf = (request: Pick<ApprovalItem, 'registrant'>): Who => ({
  id: request.registrant,
  sessionName: sessionNameOf(request.registrant),
});

// ---- request ------------------------------------------------------------------------------------

export interface ApprovalRequestInput {
  model: string;
  version: number;
  body: { environment: string; reason?: string; deployOnApproval?: Record<string, unknown> };
  actor: string;
  /** Where the emailed links point (the API's own origin). */
  linkBaseUrl: string;
}

/** A deployment to start on approval is checked when the approval is asked, not when it comes. */
const checkDeployOnApproval = (body: ApprovalRequestInput['body']) => {
  if (!body.deployOnApproval) return;
  const deployment = DeploymentBody.safeParse({ ...body.deployOnApproval, environment: body.environment });
  if (!deployment.success)
    throw new ValidationError('deployOnApproval is not a valid deployment', {
      errors: deployment.error.issues.map((i) => ({
        path: ['body', 'deployOnApproval', ...i.path.map(String)].join('.'),
        message: i.message,
      })),
    });
  if (
    body.deployOnApproval.environment !== undefined &&
    body.deployOnApproval.environment !== body.environment
  )
    throw new ValidationError('deployOnApproval deploys to the environment being approved', {
      errors: [
        { path: 'body.deployOnApproval.environment', message: `must be ${body.environment} or left out` },
      ],
    });
};

/**
 * Ask for a READY version to be approved: the request is stored with its audit event, then the
 * workflow starts. If it cannot, the request is closed (EXPIRED, audited) and the error rethrown,
 * so no request waits for a workflow that never runs.
 */
export const requestApproval = async (input: ApprovalRequestInput): Promise<ApprovalItem> => {
  const { model: name, version: number, body } = input;
  const stateMachine = config().approvalStateMachineArn;
  if (!stateMachine) throw new Error(`${ENV.APPROVAL_STATE_MACHINE_ARN} is not configured`);
  const environment = await resolveEnvironment(body.environment);
  if (!environment)
    throw new ValidationError(`environment ${body.environment} does not exist`, {
      errors: [{ path: 'body.environment', message: 'unknown environment' }],
    });
  const policy = environment.policy;
  checkDeployOnApproval(body);
  const id = `ar-${randomBytes(16).toString('hex')}`;

  const item = await retryOnConflict(async () => {
    const { model, version } = await getModelAndVersion(name, number);
    if (!model) throw new NotFoundError(`model ${name} does not exist`);
    if (!version) throw new NotFoundError(`version ${number} of ${name} does not exist`);
    if (version.status !== 'READY')
      throw new ConflictError(`version ${number} is ${version.status}; only a READY version can be approved`);
    if (policy.requireReproducibility) {
      const missing = missingForReproducibility(version);
      if (missing.length)
        throw new ConflictError(`environment ${body.environment} requires a reproducible version`, {
          errors: missing.map((m) => ({ path: `version.${m.path}`, message: m.message })),
        });
    }
    const groups = initialGroups(policy);
    const { approvers, unreachable } = approversOf(groups, registrantOf({ registrant: version.createdBy }));
    if (unreachable.length) throw new QuorumUnreachableError(unreachable);
    const now = Date.now();
    const ttlSeconds = Math.round((policy.approvalTtlHours ?? DEFAULT_APPROVAL_TTL_HOURS) * 3600);
    const item: ApprovalItem = {
      entity: 'approval',
      id,
      model: name,
      version: number,
      environment: body.environment,
      status: 'PENDING',
      ...(body.reason ? { reason: body.reason } : {}),
      requestedBy: input.actor,
      requestedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + ttlSeconds * 1000).toISOString(),
      expiresAtEpoch: Math.floor(now / 1000) + ttlSeconds,
      registrant: version.createdBy,
      groups,
      approvers: approvers.map((a) => a.member),
      decisions: [],
      ...(body.deployOnApproval ? { deployOnApproval: body.deployOnApproval } : {}),
      revision: 1,
    };
    await createApproval(model, item, input.actor);
    return item;
  });

  try {
    await startExecution(stateMachine, id, { requestId: id, linkBaseUrl: input.linkBaseUrl });
  } catch (error) {
    // No half-started workflow: the request is closed, in the audit trail, and the caller may retry.
    logger.error('approval workflow did not start', { error: error as Error, requestId: id });
    await expire(id, 'the approval workflow could not start');
    throw error;
  }
  return item;
};

// ---- read ---------------------------------------------------------------------------------------

export const readApproval = async (id: string): Promise<ApprovalItem> => {
  const item = await getApproval(id);
  if (!item) throw new NotFoundError(`approval request ${id} does not exist`);
  return item;
};

export type InboxEntry = ApprovalItem & ({ mayDecide: true } | { mayDecide: false; why: string });

/**
 * The approvers' inbox: requests still pending, oldest first, each saying whether the caller may
 * decide it now (and why not); `mine` keeps only those they may.
 */
export const listInbox = async (
  principal: Principal,
  query: { mine?: 'true' | 'false' | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: InboxEntry[]; nextCursor: string | undefined }> => {
  const scope = `approvals|${query.mine ?? ''}`;
  const page = await listPendingApprovals({
    limit: query.limit,
    startKey: await decodeCursor(query.cursor, scope),
  });
  const who = { id: principal.id, sessionName: principal.sessionName };
  const approver = hasRole(principal, 'approver');
  const items = page.items
    .filter((a) => !isExpired(a))
    .map((a): InboxEntry => {
      const verdict = approver
        ? decidability(a, who, registrantOf(a))
        : ({ mayDecide: false, why: 'this needs the approver role' } as const);
      return { ...a, ...verdict };
    })
    .filter((a) => query.mine !== 'true' || a.mayDecide);
  return { items, nextCursor: await encodeCursor(page.lastKey, scope) };
};

// ---- decide -------------------------------------------------------------------------------------

export interface DecisionInput {
  requestId: string;
  who: Who;
  decision: Decision;
  comment?: string;
  via: 'api' | 'link';
  /** For a link: the hash of its secret (the link is used up with the decision) and its member. */
  link?: { hash: string; member: string };
}

/**
 * One decision, from the API or from a link. After it is stored, the group's task is answered;
 * a task that is gone (timed out) makes the request EXPIRED (ApprovalExpiredError), never a 500.
 * A request that moved while the decision was written is read again and judged afresh.
 */
export const decide = async (input: DecisionInput): Promise<ApprovalItem> => {
  const at = new Date().toISOString();
  const outcome = await retryOnConflict(async () => {
    const request = await getApproval(input.requestId);
    if (!request) throw new NotFoundError(`approval request ${input.requestId} does not exist`);
    if (isExpired(request)) throw new ApprovalExpiredError(request.id, `expired at ${request.expiresAt}`);
    if (request.status !== 'PENDING') throw new ApprovalClosedError(request.id, request.status);

    const subject = {
      model: request.model,
      target: `approval:${request.id}`,
      ...(input.link ? { actor: input.link.member } : {}),
    };
    const member = input.link?.member ?? memberOf(request.groups, input.who);
    const refused = disqualification(request, input.who, registrantOf(request), member);
    if (refused === 'registrant') throw new SelfApprovalError(subject);
    const group = groupForDecision(
      request.groups,
      member ? { id: member, sessionName: undefined } : input.who,
    );
    if (!group || !member || refused === 'not-an-approver') throw new NotAnApproverError(subject);
    if (refused === 'decided-already') throw new ApprovalAlreadyDecidedError(subject);
    if (input.decision === 'approve' && group.done)
      throw new GroupQuorumReachedError(group.name, group.minApprovals);

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
    const entry: DecisionEntry = {
      by: input.who.id,
      member,
      decision: input.decision,
      ...(input.comment ? { comment: input.comment } : {}),
      at,
      group: group.name,
      via: input.via,
    };
    // Refused: decided already, link used; a request that moved is read again (ChainConflict).
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
    throw new ApprovalExpiredError(request.id, 'expired before the decision could take effect');
  }
};

// ---- outcome ------------------------------------------------------------------------------------

/**
 * Record a request's outcome once (EXPIRED and FAILED win over a decision the workflow never
 * recorded). Answers the status the request ends with, or `missing` naming what is gone.
 */
export const recordApprovalOutcome = async (
  requestId: string,
  outcome: ApprovalStatus,
  reason: string,
): Promise<{ status: ApprovalStatus } | { missing: string }> => {
  const at = new Date().toISOString();
  return retryOnConflict(async () => {
    const request = await getApproval(requestId);
    if (!request) return { missing: `approval request ${requestId} does not exist` };
    if (request.recordedAt) return { status: request.status };
    const head = await getModel(request.model);
    if (!head) return { missing: `model ${request.model} does not exist` };
    await recordOutcome(head, request, outcome, reason, at);
    return { status: request.status === 'PENDING' || overrides(outcome) ? outcome : request.status };
  });
};

/** Close a request that can no longer be decided; a request gone or recorded already stays as it is. */
export const expire = async (requestId: string, reason: string): Promise<void> => {
  await recordApprovalOutcome(requestId, 'EXPIRED', reason);
};

// ---- links --------------------------------------------------------------------------------------

/** Links are found by the SHA-256 of their secret: the secret itself is never stored. */
export const linkHashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

export type LinkLookup =
  | { open: true; link: LinkItem; hash: string; approval: ApprovalItem }
  | { open: false; state: LinkState };

/**
 * What a link's secret opens: its request, still decidable by its member, or the state that
 * closes it (unknown, used, expired, decided, decided by this member). A malformed secret
 * (`undefined`) is as unknown as a wrong one.
 */
export const openLink = (secret: string | undefined): Promise<LinkLookup> =>
  secret === undefined
    ? Promise.resolve({ open: false, state: { kind: 'unknown' } })
    : lookLink(linkHashOf(secret));

const lookLink = async (hash: string): Promise<LinkLookup> => {
  const link = await getLink(hash);
  const approval = link ? await getApproval(link.requestId) : undefined;
  if (!link || !approval) return { open: false, state: { kind: 'unknown' } };
  if (link.usedAt)
    return {
      open: false,
      state: { kind: 'used', request: approval, member: link.member, usedAt: link.usedAt },
    };
  if (isExpired(approval)) return { open: false, state: { kind: 'expired', request: approval } };
  if (approval.status !== 'PENDING') return { open: false, state: { kind: 'decided', request: approval } };
  if (approval.decisions.some((d) => d.member === link.member))
    return { open: false, state: { kind: 'decided-by-you', request: approval, member: link.member } };
  return { open: true, link, hash, approval };
};

/** What serves the request's environment now: the model's newest deployment there that succeeded. */
const servingNow = async (approval: ApprovalItem) => {
  const { items } = await listDeployments(approval.model, { environment: approval.environment, limit: 25 });
  return items.find((d) => d.status === 'SUCCEEDED');
};

/**
 * Everything the decision page shows, read in two parallel rounds; the version's upstream lineage
 * comes as a graph (the page draws it).
 */
export const linkPageFacts = async (
  approval: ApprovalItem,
  member: string,
): Promise<{ facts: Omit<ApprovalPageFacts, 'lineage'>; lineage?: { graph: Graph; start: NodeRef } }> => {
  const start = modelVersionNode(approval.model, approval.version);
  const [version, model, card, serving, graph] = await Promise.all([
    getVersion(approval.model, approval.version),
    getModel(approval.model),
    getCard(approval.model),
    servingNow(approval),
    walkLineage(start, 'upstream', 3),
  ]);
  const [servingVersion, runs] = serving
    ? await Promise.all([getVersion(serving.model, serving.version), listDriftRuns(serving.id, 1)])
    : [undefined, undefined];
  const run = runs?.items[0];
  const missing = version ? missingForReproducibility(version) : undefined;
  return {
    facts: {
      request: approval,
      member,
      ...(version ? { version } : {}),
      ...(missing
        ? { reproducibility: { reproducible: missing.length === 0, missing: missing.map((m) => m.message) } }
        : {}),
      ...(model ? { model } : {}),
      ...(card ? { card: card.card } : {}),
      ...(serving
        ? {
            serving: {
              version: serving.version,
              deploymentId: serving.id,
              targetId: serving.targetId,
              since: serving.updatedAt,
              metrics: servingVersion?.metrics ?? {},
            },
          }
        : {}),
      ...(run ? { drift: run } : {}),
    },
    ...(graph.edges.length > 0 ? { lineage: { graph, start } } : {}),
  };
};

export type LinkDecision =
  | { kind: 'decided'; approval: ApprovalItem; entry: DecisionEntry }
  /** The member's groups have their quorum: an approval would count for nothing. */
  | { kind: 'group-complete' }
  /** Another decision, the expiry or a second tab got there first: the link's state now. */
  | { kind: 'closed'; state: LinkState; statusCode: number };

/** A decision through an open link, as its member; the link is used up with it. */
export const decideByLink = async (
  found: Extract<LinkLookup, { open: true }>,
  form: { decision: Decision; comment?: string | undefined },
): Promise<LinkDecision> => {
  const { link, hash, approval } = found;
  if (form.decision === 'approve' && groupComplete(approval.groups, link.member))
    return { kind: 'group-complete' };
  try {
    const decided = await decide({
      requestId: approval.id,
      who: { id: link.member, sessionName: undefined },
      decision: form.decision,
      ...(form.comment ? { comment: form.comment } : {}),
      via: 'link',
      link: { hash, member: link.member },
    });
    const entry = decided.decisions.findLast((d) => d.member === link.member);
    if (!entry) throw new GoneError('the decision was not recorded; open the link again');
    return { kind: 'decided', approval: decided, entry };
  } catch (error) {
    const refusal = asHttpError(error);
    if (!refusal || refusal.statusCode >= 500) throw error;
    const now = await lookLink(hash);
    if (now.open) throw error;
    return { kind: 'closed', state: now.state, statusCode: refusal.statusCode };
  }
};
