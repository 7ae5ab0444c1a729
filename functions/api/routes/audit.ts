import * as z from 'zod';
import { ListAuditQuery, VerifyQuery } from '#domain/audit-query';
import { defineRoutes } from '../route.ts';
import { AuditEventOut, listOf } from '../schemas.ts';

export const auditRoutes = defineRoutes('audit', [
  {
    method: 'GET',
    path: '/v1/audit',
    operationId: 'listAudit',
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
    auth: 'iam',
    role: 'reader',
    summary: "Recompute a model's audit hash chain",
    query: VerifyQuery,
    responses: {
      200: {
        description: 'the outcome',
        schema: z.object({
          model: z.string(),
          valid: z.boolean(),
          events: z.number().int(),
          brokenAt: z.number().int().optional(),
          reason: z.string().optional(),
          headHash: z.string().optional().meta({
            description: "the last event's hash when the chain is intact (what an evidence pack records)",
          }),
        }),
      },
    },
    problems: [400, 403],
  },
]);
