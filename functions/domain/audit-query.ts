import * as z from 'zod';
import { Cursor, doc, Limit, ModelName } from './names.ts';
import { schema } from './schema.ts';

/** Queries of the audit API. `_system` is the chain of changes that belong to no model. */
export const SYSTEM_CHAIN = '_system';

/**
 * Refused attempts (403s) are kept in chains of their own, beside the model's: `_attempts:<model>`
 * for a model's, `_attempts` for the rest. The model's chain stays a chain of committed changes;
 * the attempt chains verify the same way.
 */
export const ATTEMPTS_CHAIN = '_attempts';
export const attemptsChain = (model?: string): string =>
  model ? `${ATTEMPTS_CHAIN}:${model}` : ATTEMPTS_CHAIN;

const AttemptsChainName = /* @__PURE__ */ schema(() =>
  z
    .string()
    .regex(
      /^_attempts(:[A-Za-z0-9][A-Za-z0-9._-]{0,127})?$/,
      'an attempts chain is _attempts or _attempts:<model>',
    ),
);

const ChainName = /* @__PURE__ */ schema(() =>
  z
    .union([ModelName, z.literal(SYSTEM_CHAIN), AttemptsChainName])
    .meta(
      doc(
        "Which hash chain: a model name (its committed changes), `_system` (changes that belong to no model, such as environment policies), `_attempts:<model>` (a model's refused attempts) or `_attempts` (the other refused attempts).",
        'churn-scorer',
      ),
    ),
);

export const ListAuditQuery = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      model: ChainName.optional(),
      actor: z
        .string()
        .min(1)
        .max(2048)
        .optional()
        .meta(doc('Only events by this principal (as the events name it).', 'ci-bot')),
      from: z.iso
        .datetime()
        .optional()
        .meta(doc('Only events at or after this instant (ISO 8601 UTC).', '2026-01-01T00:00:00Z')),
      to: z.iso
        .datetime()
        .optional()
        .meta(doc('Only events at or before this instant (ISO 8601 UTC).', '2026-12-31T23:59:59Z')),
      limit: Limit,
      cursor: Cursor.optional(),
    })
    .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from is after to', path: ['from'] }),
);

export const VerifyQuery = /* @__PURE__ */ schema(() => z.strictObject({ model: ChainName }));
