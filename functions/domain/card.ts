import * as z from 'zod';
import { RiskTier } from './model.ts';
import { doc, Label, Text } from './names.ts';
import { schema } from './schema.ts';

/**
 * The model card: what a model-risk inventory keeps for each model (SR 11-7's inventory fields,
 * the EU AI Act's Annex IV technical documentation): purpose and limits, data in and out, the
 * people responsible, validation done and planned, how long the validation holds, exceptions.
 */
const Day = /* @__PURE__ */ schema(() => z.iso.date().meta(doc('A calendar day, YYYY-MM-DD.', '2026-03-31')));
const People = (what: string) =>
  z
    .array(Label(256))
    .max(50)
    .meta(doc(what, ['alice@example.com']));

export const ModelCard = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      purpose: Text(4000).optional().meta(doc('What the model is for: the business decision it supports.')),
      intendedUse: Text(4000)
        .optional()
        .meta(doc('Who uses its output and how; the uses it is not meant for.')),
      limitations: Text(4000)
        .optional()
        .meta(doc('Known weaknesses: populations, ranges or conditions where it should not be trusted.')),
      inputs: Text(4000).optional().meta(doc('The data it reads: features, their sources and units.')),
      outputs: Text(4000).optional().meta(doc('What it produces and how to read it (score range, labels).')),
      owners: People('The people who answer for the model (the business owners).').optional(),
      developers: People('The people who built it.').optional(),
      validators: People('The people who validate it independently of its developers.').optional(),
      validation: z
        .strictObject({
          done: z
            .array(
              z.strictObject({
                date: Day,
                by: Label(256).meta(doc('Who validated.', 'model-risk@example.com')),
                summary: Text(2000).optional().meta(doc('What was checked and found.')),
                outcome: Label(64)
                  .optional()
                  .meta(doc('The verdict, in a word or two.', 'approved with conditions')),
              }),
            )
            .max(100)
            .optional()
            .meta(doc('Validations done (at most 100).')),
          planned: z
            .array(
              z.strictObject({
                date: Day,
                scope: Text(1000).optional().meta(doc('What the next validation will cover.')),
              }),
            )
            .max(100)
            .optional()
            .meta(doc('Validations planned (at most 100).')),
        })
        .optional()
        .meta(doc('Validation done and planned.')),
      validityEnd: Day.optional().meta(
        doc('The day the current validation stops holding; the model needs revalidation by then.'),
      ),
      riskTier: RiskTier.optional(),
      exceptions: z
        .array(
          z.strictObject({
            description: Text(2000)
              .pipe(z.string().min(1))
              .meta(doc('The exception granted to a policy or a validation finding.')),
            approvedBy: Label(256).optional().meta(doc('Who granted it.')),
            expires: Day.optional().meta(doc('The day it lapses.')),
          }),
        )
        .max(100)
        .optional()
        .meta(doc('Policy exceptions in force (at most 100).')),
    })
    .meta({
      id: 'ModelCard',
      description:
        'The model card: what a model-risk inventory keeps for a model (SR 11-7 inventory fields, EU AI Act Annex IV). PUT replaces it whole; every change is audited.',
    }),
);
export type ModelCard = z.infer<typeof ModelCard>;
