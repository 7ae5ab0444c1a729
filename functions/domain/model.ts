import * as z from 'zod';
import { AliasName, Label, ModelName, Tags, Text } from './names.ts';

export const RiskTier = z.enum(['low', 'medium', 'high']);

export const CreateModelBody = z
  .strictObject({
    name: ModelName,
    description: Text(4000).optional(),
    owner: Label(256).optional(),
    tags: Tags.optional(),
    riskTier: RiskTier.optional(),
    purpose: Text(2000).optional(),
  })
  .meta({ id: 'CreateModel' });
export type CreateModelBody = z.infer<typeof CreateModelBody>;

export const UpdateModelBody = z
  .strictObject({
    description: Text(4000).optional(),
    owner: Label(256).optional(),
    tags: Tags.optional(),
    riskTier: RiskTier.optional(),
    purpose: Text(2000).optional(),
  })
  .meta({ id: 'UpdateModel' });
export type UpdateModelBody = z.infer<typeof UpdateModelBody>;

export const ListModelsQuery = z.strictObject({
  prefix: z.string().max(128).optional(),
  tag: z
    .string()
    .regex(/^[^=]+=.*$/, 'a tag filter is key=value')
    .transform((t) => {
      const at = t.indexOf('=');
      return { key: t.slice(0, at), value: t.slice(at + 1) };
    })
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(2048).optional(),
});

export const Model = z
  .object({
    name: z.string(),
    description: z.string().optional(),
    owner: z.string(),
    tags: z.record(z.string(), z.string()),
    riskTier: RiskTier.optional(),
    purpose: z.string().optional(),
    latestVersion: z.number().int(),
    aliases: z.record(z.string(), z.number().int()),
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
    updatedAt: z.iso.datetime(),
    updatedBy: z.string(),
  })
  .meta({ id: 'Model' });
export type Model = z.infer<typeof Model>;

export const ModelPath = z.strictObject({ model: ModelName });
export const AliasPath = z.strictObject({ model: ModelName, alias: AliasName });

export const SetAliasBody = z.strictObject({ version: z.number().int().min(1) }).meta({ id: 'SetAlias' });
