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

/** A non-HTTP entry, with what the state machines' checks need to know of it. */
export interface TaskHandler<R> {
  (event: unknown, context?: Context): Promise<R>;
  /** The task's name in its log lines. */
  readonly task: string;
  /** Every error name the task declares it raises (InvalidTaskInput first): Catch must match each. */
  readonly raises: readonly string[];
}

export interface TaskOptions<I> {
  /** The error names (TASK_ERRORS) the task raises besides InvalidTaskInput. */
  readonly raises?: readonly string[];
  /** Log keys taken from the parsed input (a request or deployment id), on every line of the call. */
  readonly keys?: (input: I) => Record<string, unknown>;
}

/**
 * The wrapper of every non-HTTP entry (Step Functions tasks, the drift job, the stream handler,
 * the schedules): the event parsed by its zod schema, the logger given the Lambda context, the
 * task's name and the keys of its input, and the keys reset after each invocation. An error
 * keeps its own name, which is what the state machine's Retry and Catch match (Step Functions
 * reads `errorType` from it); the names a task raises on purpose are declared in `raises`.
 */
export const taskHandler = <S extends z.ZodType, R>(
  task: string,
  schema: S,
  run: (input: z.output<S>) => Promise<R>,
  options: TaskOptions<z.output<S>> = {},
): TaskHandler<R> => {
  const handler = async (event: unknown, context?: Context): Promise<R> => {
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
      if (options.keys) logger.appendKeys(options.keys(parsed.data));
      return await run(parsed.data);
    } catch (error) {
      logger.error('task failed', { error: error as Error });
      throw error;
    } finally {
      logger.resetKeys();
    }
  };
  return Object.assign(handler, {
    task,
    raises: [TASK_ERRORS.invalidInput, ...(options.raises ?? [])],
  });
};
