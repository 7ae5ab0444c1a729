/**
 * Refusals of the use cases, named for what happened. Adapters raise the ones a failed write
 * condition means, chosen from the cancellation reasons and the item as it was (never from the
 * write's position in a transaction); services raise the rest. `functions/commons/errors.ts` maps
 * each to its problem+json answer in one table, so no handler translates them.
 */
/** What a refused attempt was about, for the attempt log (model, target, who tried). */
export interface RefusalSubject {
  model?: string;
  target?: string;
  actor?: string;
}

export abstract class DomainError extends Error {
  /** The error's own name, in a string: a minified bundle renames classes (see HttpError). */
  abstract override readonly name: string;
  readonly subject: RefusalSubject | undefined;

  constructor(message: string, options?: { cause?: unknown; subject?: RefusalSubject }) {
    super(message, options);
    this.subject = options?.subject;
  }
}

// ---- registry ---------------------------------------------------------------------------------

export class ModelExistsError extends DomainError {
  override readonly name = 'ModelExistsError';
  constructor(readonly model: string) {
    super(`model ${model} already exists`);
  }
}

/** The version left READY between the read and the write (an alias, a request, a deployment). */
export class VersionNotReadyError extends DomainError {
  override readonly name = 'VersionNotReadyError';
  constructor(
    readonly model: string,
    readonly version: number,
    readonly status: string | undefined,
  ) {
    super(`version ${version} of ${model} stopped being READY${status ? ` (it is ${status})` : ''}`);
  }
}

/** The version's status is not one the change starts from (another request moved it). */
export class VersionStatusChangedError extends DomainError {
  override readonly name = 'VersionStatusChangedError';
  constructor(
    readonly model: string,
    readonly version: number,
    readonly status: string | undefined,
  ) {
    super(`version ${version} of ${model} is ${status ?? 'gone'} now: another request changed it`);
  }
}

/** The version changed (revision) while it was written: an If-Match the write no longer meets. */
export class VersionChangedError extends DomainError {
  override readonly name = 'VersionChangedError';
  constructor(
    readonly model: string,
    readonly version: number,
  ) {
    super('the version changed while it was being updated');
  }
}

/** A deployment of the version is under way: its status stays until it ends. */
export class VersionDeployingError extends DomainError {
  override readonly name = 'VersionDeployingError';
  constructor(
    readonly model: string,
    readonly version: number,
    readonly deploymentIds: readonly string[],
  ) {
    super(
      `version ${version} of ${model} cannot change: a deployment of it is under way (${deploymentIds.join(', ')})`,
    );
  }
}

/** The version serves somewhere: it cannot be archived. */
export class VersionServingError extends DomainError {
  override readonly name = 'VersionServingError';
  constructor(
    readonly model: string,
    readonly version: number,
  ) {
    super(`version ${version} of ${model} cannot be archived: it has a live deployment`);
  }
}

/** A card or environment policy changed between its read and its write. */
export class ChangedWhileWrittenError extends DomainError {
  override readonly name = 'ChangedWhileWrittenError';
  constructor(what: string) {
    super(`the ${what} changed while it was written`);
  }
}

export class EdgeExistsError extends DomainError {
  override readonly name = 'EdgeExistsError';
  constructor() {
    super('this edge exists already');
  }
}

// ---- approvals --------------------------------------------------------------------------------

export class ApprovalPendingError extends DomainError {
  override readonly name = 'ApprovalPendingError';
  constructor(
    readonly version: number,
    readonly environment: string,
  ) {
    super(`version ${version} already has a pending or approved request for ${environment}`);
  }
}

/** This person decided on this request before: one person decides once. */
export class ApprovalAlreadyDecidedError extends DomainError {
  override readonly name = 'ApprovalAlreadyDecidedError';
  constructor(subject: RefusalSubject) {
    super('you have decided on this request already', { subject });
  }
}

/** The registrant of the version (or someone acting as them) tried to decide its approval. */
export class SelfApprovalError extends DomainError {
  override readonly name = 'SelfApprovalError';
  constructor(subject: RefusalSubject) {
    super('the person who registered the version cannot decide its approval', { subject });
  }
}

/** The caller is in none of the request's approver groups. */
export class NotAnApproverError extends DomainError {
  override readonly name = 'NotAnApproverError';
  constructor(subject: RefusalSubject) {
    super('you are not an approver of this request', { subject });
  }
}

/** The request's time ran out (or its workflow had timed out when the decision came). */
export class ApprovalExpiredError extends DomainError {
  override readonly name = 'ApprovalExpiredError';
  constructor(
    readonly requestId: string,
    detail: string,
  ) {
    super(`approval request ${requestId} ${detail}`);
  }
}

/** The request left PENDING (approved, rejected, failed): nothing more is decided on it. */
export class ApprovalClosedError extends DomainError {
  override readonly name = 'ApprovalClosedError';
  constructor(
    readonly requestId: string,
    readonly status: string,
  ) {
    super(`approval request ${requestId} is ${status} already`);
  }
}

/** The approver's group has its quorum: one more approval there would count for nothing. */
export class GroupQuorumReachedError extends DomainError {
  override readonly name = 'GroupQuorumReachedError';
  constructor(
    readonly group: string,
    readonly minApprovals: number,
  ) {
    super(`group ${group} has its ${minApprovals} approval(s) already`);
  }
}

/** Without the registrant, some group has too few members to reach its quorum. */
export class QuorumUnreachableError extends DomainError {
  override readonly name = 'QuorumUnreachableError';
  constructor(readonly groups: readonly string[]) {
    super(`no quorum is possible in ${groups.join(', ')}: the registrant of the version may not approve it`);
  }
}

/** An approval link is single-use. */
export class LinkUsedError extends DomainError {
  override readonly name = 'LinkUsedError';
  constructor() {
    super('this link was used already');
  }
}

// ---- deployments ------------------------------------------------------------------------------

export class TargetBusyError extends DomainError {
  override readonly name = 'TargetBusyError';
  constructor(
    readonly targetId: string,
    readonly environment: string,
  ) {
    super(`target ${targetId} in ${environment} is busy with another deployment`);
  }
}

export class ApprovalRequiredError extends DomainError {
  override readonly name = 'ApprovalRequiredError';
  constructor(
    readonly environment: string,
    readonly version: number,
  ) {
    super(`environment ${environment} requires an APPROVED approval request for version ${version}`);
  }
}

/** What served before is archived: a rollback cannot bring it back. */
export class RollbackTargetArchivedError extends DomainError {
  override readonly name = 'RollbackTargetArchivedError';
  constructor(
    readonly model: string,
    readonly version: number,
  ) {
    super(`version ${version} of ${model}, which served before, is archived: it cannot serve again`);
  }
}

/** The deployment or its target changed between the read and the write. */
export class DeploymentChangedError extends DomainError {
  override readonly name = 'DeploymentChangedError';
  constructor(readonly deploymentId: string) {
    super(`deployment ${deploymentId} or its target changed; try again`);
  }
}
