import { randomBytes } from 'node:crypto';
import {
  type ApprovalItem,
  createApproval,
  getApproval,
  listPendingApprovals,
} from '#adapters/approvals-table';
import { retryOnConflict } from '#adapters/audit-chain';
import { resolveEnvironment } from '#adapters/environments-table';
import { getModelAndVersion } from '#adapters/registry-table';
import { startExecution } from '#adapters/workflow';
import { approvalsRoutes } from '#api/routes/approvals';
import { config } from '#commons/config';
import { decodeCursor, encodeCursor } from '#commons/cursor';
import { ConflictError, NotFoundError, ValidationError } from '#commons/errors';
import { httpHandler, json, operationsFor } from '#commons/http';
import { hasRole, sessionNameOf } from '#commons/identity';
import { logger } from '#commons/observability';
import { approversOf, decidability, initialGroups } from '#domain/approval';
import { DeploymentBody } from '#domain/deployment';
import { DEFAULT_APPROVAL_TTL_HOURS } from '#domain/environment';
import { missingForReproducibility } from '#domain/reproducibility';
import { decide, expire, isExpired } from './approval-decisions.ts';

/**
 * Approval requests: ask for a version to be approved for an environment, read a request, decide
 * through the API (approvers who prefer it to the emailed link).
 */
export const presentApproval = (a: ApprovalItem) => ({
  id: a.id,
  model: a.model,
  version: a.version,
  environment: a.environment,
  // A request whose time ran out reads EXPIRED even before the workflow records it.
  status: isExpired(a) ? 'EXPIRED' : a.status,
  ...(a.reason ? { reason: a.reason } : {}),
  requestedBy: a.requestedBy,
  requestedAt: a.requestedAt,
  expiresAt: a.expiresAt,
  requiredApprovals: a.groups.reduce((n, g) => n + g.minApprovals, 0),
  groups: a.groups.map((g) => ({
    name: g.name,
    minApprovals: g.minApprovals,
    approvals: g.approvals,
    done: g.done,
  })),
  approvers: a.approvers,
  decisions: a.decisions.map((d) => ({
    by: d.by,
    decision: d.decision,
    ...(d.comment ? { comment: d.comment } : {}),
    at: d.at,
    group: d.group,
  })),
  ...(a.decidedAt ? { decidedAt: a.decidedAt } : {}),
  ...(a.outcomeReason ? { outcomeReason: a.outcomeReason } : {}),
  ...(a.deployOnApproval ? { deployOnApproval: a.deployOnApproval } : {}),
  ...(a.deploymentId ? { deploymentId: a.deploymentId } : {}),
  ...(a.deploymentError ? { deploymentError: a.deploymentError } : {}),
});

export const operations = operationsFor(approvalsRoutes, {
  requestApproval: async (request) => {
    const { model: name, version: number } = request.input.path;
    const body = request.input.body;
    const stateMachine = config().approvalStateMachineArn;
    if (!stateMachine) throw new Error('APPROVAL_STATE_MACHINE_ARN is not configured');
    const environment = await resolveEnvironment(body.environment);
    if (!environment)
      throw new ValidationError(`environment ${body.environment} does not exist`, {
        errors: [{ path: 'body.environment', message: 'unknown environment' }],
      });
    const policy = environment.policy;
    // A deployment to start on approval is checked now, not when the approval comes.
    if (body.deployOnApproval) {
      const deployment = DeploymentBody.safeParse({
        ...body.deployOnApproval,
        environment: body.environment,
      });
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
    }
    const id = `ar-${randomBytes(16).toString('hex')}`;

    const item = await retryOnConflict(async () => {
      const { model, version } = await getModelAndVersion(name, number);
      if (!model) throw new NotFoundError(`model ${name} does not exist`);
      if (!version) throw new NotFoundError(`version ${number} of ${name} does not exist`);
      if (version.status !== 'READY')
        throw new ConflictError(
          `version ${number} is ${version.status}; only a READY version can be approved`,
        );
      if (policy.requireReproducibility) {
        const missing = missingForReproducibility(version);
        if (missing.length)
          throw new ConflictError(`environment ${body.environment} requires a reproducible version`, {
            errors: missing.map((m) => ({ path: `version.${m.path}`, message: m.message })),
          });
      }
      const groups = initialGroups(policy);
      const registrant = { id: version.createdBy, sessionName: sessionNameOf(version.createdBy) };
      const { approvers, unreachable } = approversOf(groups, registrant);
      if (unreachable.length)
        throw new ConflictError(
          `no quorum is possible in ${unreachable.join(', ')}: the registrant of the version may not approve it`,
        );
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
        requestedBy: request.principal.id,
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
      await createApproval(model, item, request.principal.id);
      return item;
    });

    try {
      await startExecution(stateMachine, id, { requestId: id, linkBaseUrl: request.baseUrl });
    } catch (error) {
      // No half-started workflow: the request is closed, in the audit trail, and the caller may retry.
      logger.error('approval workflow did not start', { error: error as Error, requestId: id });
      await expire(id, 'the approval workflow could not start');
      throw error;
    }
    const body202 = presentApproval(item);
    return json(202, body202, { location: `/v1/approvals/${id}` });
  },

  /**
   * The approvers' inbox: requests still pending, oldest first, each saying whether the caller
   * may decide it now (and why not); `mine=true` keeps only those they may.
   */
  listApprovals: async (request) => {
    const query = request.input.query;
    const scope = `approvals|${query.mine ?? ''}`;
    const page = await listPendingApprovals({
      limit: query.limit,
      startKey: await decodeCursor(query.cursor, scope),
    });
    const who = { id: request.principal.id, sessionName: request.principal.sessionName };
    const approver = hasRole(request.principal, 'approver');
    const items = page.items
      .filter((a) => !isExpired(a))
      .map((a) => {
        const verdict = approver
          ? decidability(a, who, { id: a.registrant, sessionName: sessionNameOf(a.registrant) })
          : ({ mayDecide: false, why: 'this needs the approver role' } as const);
        return { ...presentApproval(a), ...verdict };
      })
      .filter((a) => query.mine !== 'true' || a.mayDecide);
    const nextCursor = await encodeCursor(page.lastKey, scope);
    return json(200, { items, ...(nextCursor ? { nextCursor } : {}) });
  },

  getApproval: async (request) => {
    const { id } = request.input.path;
    const item = await getApproval(id);
    if (!item) throw new NotFoundError(`approval request ${id} does not exist`);
    return json(200, presentApproval(item));
  },

  decideApproval: async (request) => {
    const { id } = request.input.path;
    const body = request.input.body;
    const decided = await decide({
      requestId: id,
      who: { id: request.principal.id, sessionName: request.principal.sessionName },
      decision: body.decision,
      ...(body.comment ? { comment: body.comment } : {}),
      via: 'api',
    });
    return json(200, presentApproval(decided));
  },
});

export const handler = httpHandler(approvalsRoutes, operations);
