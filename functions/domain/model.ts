import * as z from 'zod';
import { AliasName, Cursor, doc, Label, Limit, ModelName, Tags, Text } from './names.ts';
import { schema } from './schema.ts';

export const RiskTier = /* @__PURE__ */ schema(() =>
  z
    .enum(['low', 'medium', 'high'])
    .meta(
      doc(
        'The model risk tier. A high-risk model must carry lineage (datasets, code, image) at every registration.',
        'medium',
      ),
    ),
);

const Owner = /* @__PURE__ */ schema(() =>
  Label(256).meta(
    doc(
      'Who answers for the model: a principal or the name of the owning team. Shown in the inventory; who may act is `owners`.',
      'ml-platform',
    ),
  ),
);

/**
 * The owning team: principals or patterns, any of which may change the model and, with the
 * publisher role, register its versions. A model stored before teams existed has only `owner`;
 * it reads as a team of that one principal (`teamOf`), and its first change writes `owners`.
 */
export const Owners = /* @__PURE__ */ schema(() =>
  z
    .array(Label(256))
    .min(1)
    .max(20)
    .refine((o) => new Set(o).size === o.length, 'a principal is listed twice')
    .meta(
      doc(
        'The owning team: IAM ARNs, role session names (local mode: principal names) or patterns with `*` (e.g. `arn:aws:sts::123456789012:assumed-role/CiPublisher/*`). Members who are publishers change the model and register versions; members or an admin edit this list. Default: `owner` and the creator.',
        ['alice@example.com', 'arn:aws:sts::123456789012:assumed-role/CiPublisher/*'],
      ),
    ),
);

export const CreateModelBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      name: ModelName,
      description: Text(4000)
        .optional()
        .meta(doc('What the model does.', 'Predicts which customers cancel next month')),
      owner: Owner.optional(),
      owners: Owners.optional(),
      tags: Tags.optional(),
      riskTier: RiskTier.optional(),
      purpose: Text(2000)
        .optional()
        .meta(
          doc('What the model is used for (the model card and inventory show it).', 'retention campaigns'),
        ),
    })
    .meta({ id: 'CreateModel', description: 'A new model. The caller needs the publisher role.' }),
);
export type CreateModelBody = z.infer<typeof CreateModelBody>;

export const UpdateModelBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      description: Text(4000).optional().meta(doc('What the model does.')),
      owner: Owner.optional(),
      owners: Owners.optional(),
      tags: Tags.optional(),
      riskTier: RiskTier.optional(),
      purpose: Text(2000).optional().meta(doc('What the model is used for.')),
    })
    .meta({
      id: 'UpdateModel',
      description: 'The fields to change; the others stay. Owners or an admin only.',
    }),
);
export type UpdateModelBody = z.infer<typeof UpdateModelBody>;

export const ListModelsQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    prefix: z.string().max(128).optional().meta(doc('Only models whose name starts with it.', 'churn')),
    tag: z
      .string()
      .regex(/^[^=]+=.*$/, 'a tag filter is key=value')
      .transform((t) => {
        const at = t.indexOf('=');
        return { key: t.slice(0, at), value: t.slice(at + 1) };
      })
      .optional()
      .meta(doc('Only models with this tag, as key=value.', 'team=growth')),
    limit: Limit,
    cursor: Cursor.optional(),
  }),
);

export const Model = /* @__PURE__ */ schema(() =>
  z
    .object({
      name: z.string().meta(doc('The model name.', 'churn-scorer')),
      description: z.string().optional().meta(doc('What the model does.')),
      owner: z.string().meta(doc('Who answers for the model: a principal or a team name.')),
      owners: z
        .array(z.string())
        .meta(doc('The owning team: the principals or patterns that may act on the model.')),
      mayAct: z
        .object({
          change: z.array(z.string()).meta(doc('Who may change the model, its aliases and card.')),
          registerVersions: z.array(z.string()).meta(doc('Who may register and commit versions.')),
        })
        .meta(doc('Who may act on this model, in words.')),
      tags: z.record(z.string(), z.string()).meta(doc('Free-form labels.')),
      riskTier: RiskTier.optional(),
      purpose: z.string().optional().meta(doc('What the model is used for.')),
      latestVersion: z
        .number()
        .int()
        .meta(doc('The highest version number registered (0 before the first).', 3)),
      aliases: z
        .record(z.string(), z.number().int())
        .meta(doc('Each alias and the version it points at.', { champion: 3 })),
      createdAt: z.iso.datetime().meta(doc('When it was created.')),
      createdBy: z.string().meta(doc('Who created it.')),
      updatedAt: z.iso.datetime().meta(doc('When it last changed.')),
      updatedBy: z.string().meta(doc('Who changed it last.')),
    })
    .meta({
      id: 'Model',
      description: 'A model: the named thing that has versions, aliases, a card and an owning team.',
    }),
);
export type Model = z.infer<typeof Model>;

/**
 * A model as a list shows it: the model without its aliases, which live in items of their own and
 * are read only for one model at a time (`GET /v1/models/{model}`).
 */
export const ModelListItem = /* @__PURE__ */ schema(() =>
  Model.omit({ aliases: true }).meta({
    id: 'ModelListItem',
    description: 'A model in a list: everything of the model but its aliases (read the model for them).',
  }),
);
export type ModelListItem = z.infer<typeof ModelListItem>;

/** The owning team of a stored model; a model from before teams is its single owner. */
export const teamOf = (model: { owner: string; owners?: readonly string[] | undefined }): string[] =>
  model.owners?.length ? [...model.owners] : [model.owner];

/** A new model's team when none is given: its owner, and its creator so the creating pipeline keeps working. */
export const defaultOwners = (owner: string | undefined, creator: string): string[] =>
  owner && owner !== creator ? [owner, creator] : [creator];

/** A new `owner` without new `owners` takes the old owner's place in the team. */
export const withOwnerReplaced = (team: readonly string[], from: string, to: string): string[] => {
  const next = team.filter((m) => m !== from && m !== to);
  return [to, ...next];
};

/** Who may act, in words, for the API and the CLI. */
export const mayActOn = (owners: readonly string[]) => {
  const team = owners.map((o) => `publisher matching ${o}`);
  return { change: [...team, 'any admin'], registerVersions: [...team, 'any admin'] };
};

export const ModelPath = /* @__PURE__ */ schema(() => z.strictObject({ model: ModelName }));
export const AliasPath = /* @__PURE__ */ schema(() => z.strictObject({ model: ModelName, alias: AliasName }));

export const SetAliasBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      version: z.number().int().min(1).meta(doc('The READY version to point the alias at.', 3)),
    })
    .meta({ id: 'SetAlias', description: 'Where the alias should point.' }),
);
