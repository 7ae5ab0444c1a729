import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import { TASK_ERRORS } from './facts.ts';
import { logger } from './observability.ts';

/**
 * The input of a task did not parse: a state machine (or a stream) sent what the task does not
 * take. Named for the state machines' Catch (`TASK_ERRORS.invalidInput`); retrying cannot help.
 */
export class InvalidTaskInputError extends Error {
  override readonly name = TASK_ERRORS.invalidInput;
}

/**
 * The wrapper of every non-HTTP entry (Step Functions tasks, the drift job, the stream handler):
 * the event parsed by its zod schema, the logger given the Lambda context and the task's name,
 * and the keys reset after each invocation. An error keeps its own name, which is what the state
 * machine's Retry and Catch match (Step Functions reads `errorType` from it).
 */
export const taskHandler =
  <S extends z.ZodType, R>(task: string, schema: S, run: (input: z.output<S>) => Promise<R>) =>
  async (event: unknown, context?: Context): Promise<R> => {
    if (context) logger.addContext(context);
    logger.appendKeys({ task });
    try {
      const parsed = schema.safeParse(event);
      if (!parsed.success)
        throw new InvalidTaskInputError(
          `${task}: ${parsed.error.issues
            .slice(0, 5)
            .map((i) => `${i.path.join('.') || 'input'}: ${i.message}`)
            .join('; ')}`,
        );
      return await run(parsed.data);
    } catch (error) {
      logger.error('task failed', { error: error as Error });
      throw error;
    } finally {
      logger.resetKeys();
    }
  };
