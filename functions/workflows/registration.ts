import * as z from 'zod';
import { taskHandler } from '#commons/task';
import { failCopy, runCopy } from '#services/registration-copy';

/**
 * Task handlers of the registration state machine (statemachines/registration.asl.json): the copy
 * of a version registered by reference, and its failure path when the copy task itself fails.
 */
const VersionRef = z.object({ model: z.string().min(1), version: z.number().int().positive() });

export const copy = taskHandler('registration-copy', VersionRef, (input) => runCopy(input));
export const fail = taskHandler(
  'registration-fail',
  VersionRef.extend({
    error: z
      .string()
      .nullish()
      .transform((v) => v ?? undefined),
    cause: z
      .string()
      .nullish()
      .transform((v) => v ?? undefined),
  }),
  (input) => failCopy(input),
);
