import * as z from 'zod';
import { NodeKind } from '#domain/lineage';

/** Answers that have no schema of their own in the domain: stated once here, for the route entries. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    instance: z.string().optional(),
  })
  .meta({ id: 'Problem' });

export const Alias = z
  .object({
    name: z.string(),
    alias: z.string(),
    version: z.number().int(),
    createdAt: z.string(),
    createdBy: z.string(),
  })
  .meta({ id: 'Alias' });

const NodeOut = z.object({ kind: NodeKind, id: z.string() }).passthrough();
export const Graph = z
  .object({
    nodes: z.array(NodeOut),
    edges: z.array(z.object({ from: NodeOut, to: NodeOut, relation: z.string() })),
  })
  .meta({ id: 'LineageGraph' });

export const AuditEventOut = z
  .object({
    model: z.string(),
    seq: z.number().int(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string(),
    before: z.unknown().optional(),
    after: z.unknown().optional(),
    hash: z.string(),
    prevHash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

export const DeploymentOut = z
  .object({
    id: z.string(),
    model: z.string(),
    version: z.number().int(),
    environment: z.string(),
    target: z.record(z.string(), z.unknown()),
    status: z.string(),
    history: z.array(z.record(z.string(), z.unknown())),
    previousVersion: z.number().int().optional(),
  })
  .meta({ id: 'DeploymentRecord' });

export const Manifest = z
  .object({
    reproducible: z.boolean(),
    missing: z.array(z.object({ path: z.string(), message: z.string() })),
  })
  .passthrough()
  .meta({ id: 'Manifest' });

export const AnyObject = z.record(z.string(), z.unknown());
export const Html = z.string();

export const listOf = (item: z.ZodType, id: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().optional() }).meta({ id });
