/**
 * What can go wrong when talking to Steward, as classes a caller (the CLI, a script) can tell
 * apart. Each carries the exit code the CLI answers with, by class: usage 2, a refused request
 * (4xx) 3, the service or the network failing (5xx, no answer) 4, a wait that ran out 5.
 */
export const ExitCode = { ok: 0, failure: 1, usage: 2, client: 3, server: 4, timeout: 5 } as const;

export interface FieldProblem {
  path: string;
  message: string;
}

/** An RFC 9457 problem as Steward answers it. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: FieldProblem[];
}

export class StewardError extends Error {
  readonly exitCode: number = ExitCode.failure;
}

/** Bad command-line input, found before anything was sent. */
export class UsageError extends StewardError {
  override readonly exitCode = ExitCode.usage;
}

/** Steward answered with an error status. */
export class ApiError extends StewardError {
  override readonly exitCode: number;
  constructor(
    readonly method: string,
    readonly path: string,
    readonly problem: Problem,
  ) {
    super(
      `${method} ${path}: ${problem.status} ${problem.title ?? ''}${problem.detail ? `: ${problem.detail}` : ''}`,
    );
    this.exitCode = problem.status >= 500 ? ExitCode.server : ExitCode.client;
  }
  get status(): number {
    return this.problem.status;
  }
}

/** No answer at all: connection refused, reset, DNS. */
export class NetworkError extends StewardError {
  override readonly exitCode = ExitCode.server;
}

/** A `--wait` that ran out before the thing waited for happened. */
export class WaitTimeoutError extends StewardError {
  override readonly exitCode = ExitCode.timeout;
}

/** An upload to a presigned URL that S3 refused (after its retries). */
export class UploadError extends StewardError {
  override readonly exitCode = ExitCode.server;
  /** Trying again will not help (S3 refused the request itself). */
  final = false;
}
