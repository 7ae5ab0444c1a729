import * as z from 'zod';
import { RiskTier } from './model.ts';
import { Label, Text } from './names.ts';

/**
 * The model card: what a model-risk inventory keeps for each model (SR 11-7's inventory fields,
 * the EU AI Act's Annex IV technical documentation): purpose and limits, data in and out, the
 * people responsible, validation done and planned, how long the validation holds, exceptions.
 */
const Day = z.iso.date();
const People = z.array(Label(256)).max(50);

export const ModelCard = z
  .strictObject({
    purpose: Text(4000).optional(),
    intendedUse: Text(4000).optional(),
    limitations: Text(4000).optional(),
    inputs: Text(4000).optional(),
    outputs: Text(4000).optional(),
    owners: People.optional(),
    developers: People.optional(),
    validators: People.optional(),
    validation: z
      .strictObject({
        done: z
          .array(
            z.strictObject({
              date: Day,
              by: Label(256),
              summary: Text(2000).optional(),
              outcome: Label(64).optional(),
            }),
          )
          .max(100)
          .optional(),
        planned: z
          .array(z.strictObject({ date: Day, scope: Text(1000).optional() }))
          .max(100)
          .optional(),
      })
      .optional(),
    validityEnd: Day.optional(),
    riskTier: RiskTier.optional(),
    exceptions: z
      .array(
        z.strictObject({
          description: Text(2000).pipe(z.string().min(1)),
          approvedBy: Label(256).optional(),
          expires: Day.optional(),
        }),
      )
      .max(100)
      .optional(),
  })
  .meta({ id: 'ModelCard' });
export type ModelCard = z.infer<typeof ModelCard>;
