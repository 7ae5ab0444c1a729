import { createHash } from 'node:crypto';
import {
  claim,
  complete,
  getRecord,
  type IdempotencyScope,
  idempotencyScope,
  release,
} from '#adapters/idempotency-store';
import { ConflictError, UnprocessableError, ValidationError } from './errors.ts';
import type { HttpRequest, HttpResponse, Operation } from './http.ts';

/**
 * `Idempotency-Key` on mutating POSTs: the same key and body replay the first response, the same
 * key with another body is refused with 422, and a key whose first request is still running gets
 * 409. Keys are scoped to the caller. An error releases the key so the caller can retry.
 */
const HEADER = 'idempotency-key';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Over the raw bytes as sent: no re-serialisation of a parsed body (cheap, and exact). */
export const fingerprintOf = (request: HttpRequest): string =>
  sha256(`${request.method} ${request.path}\n${request.rawBody ?? ''}`);

const replay = (stored: HttpResponse): HttpResponse => ({
  ...stored,
  headers: { ...stored.headers, 'idempotent-replayed': 'true' },
});

export const withIdempotency = async (request: HttpRequest, operation: Operation): Promise<HttpResponse> => {
  const key = request.headers[HEADER];
  if (key === undefined) return operation(request);
  if (!/^[\x21-\x7e]{1,255}$/.test(key))
    throw new ValidationError('Idempotency-Key must be 1-255 printable ASCII characters', {
      errors: [{ path: 'headers.idempotency-key', message: '1-255 printable ASCII characters' }],
    });
  const hash = sha256(`${request.principal.id}\n${key}`);
  const fingerprint = fingerprintOf(request);
  const now = Math.floor(Date.now() / 1000);

  const claimId = await claim(hash, fingerprint, now);
  if (claimId === undefined) {
    const record = await getRecord(hash);
    if (record && record.fingerprint !== fingerprint)
      throw new UnprocessableError('this Idempotency-Key was used with another request', {
        errors: [{ path: 'headers.idempotency-key', message: 'already used with a different body or path' }],
      });
    if (record?.state === 'COMPLETE' && record.response) return replay(record.response);
    if (record?.state === 'COMMITTED')
      throw new ConflictError(
        'the request with this Idempotency-Key made its change, but its answer was not recorded (the server stopped); read the resource to see it',
      );
    throw new ConflictError('a request with this Idempotency-Key is still in progress', {
      headers: { 'retry-after': '1' },
    });
  }

  const scope: IdempotencyScope = { hash, claimId, settled: false };
  let response: HttpResponse;
  try {
    response = await idempotencyScope.run(scope, () => operation(request));
  } catch (error) {
    // A request that changed nothing frees the key for a corrected retry; one that committed a
    // change keeps it (COMMITTED), so a retry never makes the change twice.
    const committed = scope.settled;
    scope.settled = true;
    if (!committed) await release(hash, claimId).catch(() => undefined);
    throw error;
  }
  const settledWithAnswer = scope.settled && scope.response !== undefined;
  // Workflows started by this request inherit its context: they settle nothing of it.
  scope.settled = true;
  if (!settledWithAnswer)
    await complete(hash, claimId, {
      statusCode: response.statusCode,
      body: response.body,
      headers: response.headers ?? {},
    });
  return response;
};
