import * as z from 'zod';
import { ListAuditQuery, VerifyQuery } from '#domain/audit-query';
import { defineRoutes } from '../route.ts';
import { AuditEventOut, listOf } from '../schemas.ts';

export const auditRoutes = defineRoutes('audit', [
  {
    method: 'GET',
    path: '/v1/audit',
    operationId: 'listAudit',
    description:
      'Audit events, newest first, by chain (`model`: a model, `_system`, `_attempts:<model>`), by actor and by time. Every change Steward makes is one event in the same transaction as the change; refused attempts (403s) are kept in `_attempts` chains.',
    auth: 'iam',
    role: 'reader',
    summary: 'Audit events by model, actor and time',
    query: ListAuditQuery,
    responses: { 200: { description: 'a page of events', schema: listOf(AuditEventOut, 'AuditEventList') } },
    problems: [400, 403],
  },
  {
    method: 'GET',
    path: '/v1/audit/verify',
    operationId: 'verifyAudit',
    description:
      "Recomputes one chain's hashes from its first event: `valid` false and `brokenAt` (the first bad `seq`) when any event was changed, removed or reordered.",
    auth: 'iam',
    role: 'reader',
    summary: "Recompute a model's audit hash chain",
    query: VerifyQuery,
    responses: {
      200: {
        description: 'the outcome',
        schema: z.object({
          model: z.string().meta({ description: 'The chain verified.', example: 'churn-scorer' }),
          valid: z.boolean().meta({ description: 'Whether every event hashes to what the next one says.' }),
          events: z.number().int().meta({ description: 'How many events the chain holds.', example: 42 }),
          brokenAt: z
            .number()
            .int()
            .optional()
            .meta({ description: 'The seq of the first event that does not verify, when one does not.' }),
          reason: z
            .string()
            .optional()
            .meta({ description: 'Why the chain does not verify, in a sentence.' }),
          headHash: z.string().optional().meta({
            description: "The last event's hash when the chain is intact (what an evidence pack records).",
          }),
        }),
      },
    },
    problems: [400, 403],
  },
]);
