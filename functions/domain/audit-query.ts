import * as z from 'zod';
import { ModelName } from './names.ts';

/** Queries of the audit API. `_system` is the chain of changes that belong to no model. */
export const SYSTEM_CHAIN = '_system';

const ChainName = z.union([ModelName, z.literal(SYSTEM_CHAIN)]);

export const ListAuditQuery = z
  .strictObject({
    model: ChainName.optional(),
    actor: z.string().min(1).max(2048).optional(),
    from: z.iso.datetime().optional(),
    to: z.iso.datetime().optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(4096).optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from is after to', path: ['from'] });

export const VerifyQuery = z.strictObject({ model: ChainName });
