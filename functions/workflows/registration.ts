import { failCopy, runCopy } from '#services/registration-copy';

/**
 * Task handlers of the registration state machine (statemachines/registration.asl.json): the copy
 * of a version registered by reference, and its failure path when the copy task itself fails.
 */
export const copy = (input: { model: string; version: number }) => runCopy(input);
export const fail = (input: { model: string; version: number; error?: string; cause?: string }) =>
  failCopy(input);
