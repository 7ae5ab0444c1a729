import * as refusal from '#domain/errors';
import { DomainError } from '#domain/errors';
/**
 * Typed errors. The HTTP error middleware turns each into an RFC 9457 problem; 4xx details are
 * shown to the caller, anything else is logged and answered generically.
 */
export interface FieldProblem {
  path: string;
  message: string;
}

export abstract class HttpError extends Error {
  /**
   * Each error class names itself in a string: the Lambda bundles are minified, and a name taken
   * from the class (`new.target.name`) would read `t` in the logs and in a task's `errorType`.
   */
  abstract override readonly name: string;
  abstract readonly statusCode: number;
  abstract readonly title: string;
  readonly errors: FieldProblem[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    detail: string,
    options: { errors?: FieldProblem[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail, { cause: options.cause });
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }

  /** The problem type: a stable, documented URI per kind of error. */
  get type(): string {
    return `https://steward.dev/problems/${this.title.toLowerCase().replaceAll(' ', '-')}`;
  }
}

export class ValidationError extends HttpError {
  override readonly name: string = 'ValidationError';
  readonly statusCode = 400;
  readonly title = 'Invalid request';
}

export class UnauthenticatedError extends HttpError {
  override readonly name: string = 'UnauthenticatedError';
  readonly statusCode = 401;
  readonly title = 'Unauthenticated';
}

/** What a refused attempt was about, for the attempt log (when the path does not say it). */
export interface AttemptSubject {
  model?: string;
  target?: string;
  /** Who tried, when it is not the request's principal (an approval link's member). */
  actor?: string;
}

export class ForbiddenError extends HttpError {
  override readonly name: string = 'ForbiddenError';
  readonly statusCode = 403;
  readonly title = 'Forbidden';
  readonly subject: AttemptSubject | undefined;

  constructor(
    detail: string,
    options: { errors?: FieldProblem[]; headers?: Record<string, string>; subject?: AttemptSubject } = {},
  ) {
    super(detail, options);
    this.subject = options.subject;
  }
}

export class NotFoundError extends HttpError {
  override readonly name: string = 'NotFoundError';
  readonly statusCode = 404;
  readonly title = 'Not found';
}

export class MethodNotAllowedError extends HttpError {
  override readonly name: string = 'MethodNotAllowedError';
  readonly statusCode = 405;
  readonly title = 'Method not allowed';
}

export class ConflictError extends HttpError {
  override readonly name: string = 'ConflictError';
  readonly statusCode = 409;
  readonly title = 'Conflict';
}

export class GoneError extends HttpError {
  override readonly name: string = 'GoneError';
  readonly statusCode = 410;
  readonly title = 'Gone';
}

export class PreconditionFailedError extends HttpError {
  override readonly name: string = 'PreconditionFailedError';
  readonly statusCode = 412;
  readonly title = 'Precondition failed';
}

export class PayloadTooLargeError extends HttpError {
  override readonly name: string = 'PayloadTooLargeError';
  readonly statusCode = 413;
  readonly title = 'Payload too large';
}

export class UnsupportedMediaTypeError extends HttpError {
  override readonly name: string = 'UnsupportedMediaTypeError';
  readonly statusCode = 415;
  readonly title = 'Unsupported media type';
}

export class UnprocessableError extends HttpError {
  override readonly name: string = 'UnprocessableError';
  readonly statusCode = 422;
  readonly title = 'Unprocessable request';
}

export class ServiceUnavailableError extends HttpError {
  override readonly name: string = 'ServiceUnavailableError';
  readonly statusCode = 503;
  readonly title = 'Service unavailable';
}

type HttpErrorClass = new (
  detail: string,
  options?: { cause?: unknown; subject?: AttemptSubject },
) => HttpError;

/**
 * The one table from the use cases' named refusals (functions/domain/errors.ts) to their
 * problem+json answers. A refusal not listed here is a bug and answers 500.
 */
const PROBLEM_OF = new Map<abstract new (...args: never[]) => DomainError, HttpErrorClass>([
  [refusal.ModelExistsError, ConflictError],
  [refusal.VersionNotReadyError, ConflictError],
  [refusal.VersionStatusChangedError, ConflictError],
  [refusal.VersionChangedError, PreconditionFailedError],
  [refusal.VersionDeployingError, ConflictError],
  [refusal.VersionServingError, ConflictError],
  [refusal.ChangedWhileWrittenError, PreconditionFailedError],
  [refusal.EdgeExistsError, ConflictError],
  [refusal.ApprovalPendingError, ConflictError],
  [refusal.ApprovalAlreadyDecidedError, ForbiddenError],
  [refusal.SelfApprovalError, ForbiddenError],
  [refusal.NotAnApproverError, ForbiddenError],
  [refusal.ApprovalExpiredError, GoneError],
  [refusal.ApprovalClosedError, ConflictError],
  [refusal.GroupQuorumReachedError, ConflictError],
  [refusal.QuorumUnreachableError, ConflictError],
  [refusal.LinkUsedError, NotFoundError],
  [refusal.TargetBusyError, ConflictError],
  [refusal.ApprovalRequiredError, ConflictError],
  [refusal.RollbackTargetArchivedError, ConflictError],
  [refusal.DeploymentChangedError, ConflictError],
]);

/** The HTTP error an error answers as: itself, or the problem its refusal maps to. */
export const asHttpError = (error: unknown): HttpError | undefined => {
  if (error instanceof HttpError) return error;
  if (!(error instanceof DomainError)) return undefined;
  const Problem = PROBLEM_OF.get(error.constructor as new (...args: never[]) => DomainError);
  return Problem
    ? new Problem(error.message, { cause: error, ...(error.subject ? { subject: error.subject } : {}) })
    : undefined;
};

/** Faults of the storage services that go away on their own: the caller should retry. */
const TRANSIENT = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'TransactionInProgressException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'SlowDown',
  'RequestTimeout',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
]);

export const isTransient = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  const meta = (error as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown; code?: string })
    .$metadata;
  if (TRANSIENT.has(error.name)) return true;
  const code = (error as { code?: string }).code;
  if (code && TRANSIENT.has(code)) return true;
  if ((error as { $retryable?: unknown }).$retryable) return true;
  // A transaction cancelled because another transaction touched the same items.
  if (error.name === 'TransactionCanceledException') {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
    return reasons.some((r) => r.Code === 'TransactionConflict' || r.Code === 'ThrottlingError');
  }
  return meta?.httpStatusCode === 500 || meta?.httpStatusCode === 503;
};
