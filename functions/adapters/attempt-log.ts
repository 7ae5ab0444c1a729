import { attemptsChain } from '#domain/audit-query';
import { commitMutation, readChainHead, retryOnConflict } from './audit-chain.ts';
import { idempotencyScope } from './idempotency-store.ts';

/**
 * The attempt log: every refused attempt (a 403) appended to a hash chain of its own, so it is
 * listed and verified like the audit trail (`GET /v1/audit?model=_attempts:<model>`,
 * `GET /v1/audit/verify?model=_attempts:<model>`) and queryable by actor, while the model's own
 * chain keeps recording only committed changes.
 */
export interface Attempt {
  model: string | undefined;
  actor: string;
  operation: string;
  /** The route's path template, never the concrete path (an approval link's path is its secret). */
  route: string;
  target: string;
  reason: string;
  at: string;
}

export const recordAttempt = (attempt: Attempt) =>
  // Outside any Idempotency-Key the request holds: a refused request settles no key.
  idempotencyScope.exit(() =>
    retryOnConflict(async () => {
      const chain = attemptsChain(attempt.model);
      const head = await readChainHead(chain);
      return commitMutation({
        head,
        name: chain,
        actor: attempt.actor,
        action: 'attempt.refused',
        target: attempt.target,
        after: {
          operation: attempt.operation,
          route: attempt.route,
          status: 403,
          reason: attempt.reason,
          ...(attempt.model ? { model: attempt.model } : {}),
        },
        at: attempt.at,
        ...(head ? {} : { createModel: { entity: 'chain', name: chain } }),
      });
    }),
  );
