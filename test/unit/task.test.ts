import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { TASK_ERRORS } from '#commons/facts';
import { InvalidTaskInputError, taskHandler } from '#commons/task';
import { approval } from '../../infra/asl/approval.ts';

describe('the wrapper of non-HTTP entries', () => {
  const task = taskHandler(
    't',
    z.object({ model: z.string(), version: z.number().int() }),
    async (input) => ({
      echoed: `${input.model}:${input.version}`,
    }),
  );

  it('hands the task its parsed input', async () => {
    await expect(task({ model: 'churn', version: 3, extra: true })).resolves.toEqual({ echoed: 'churn:3' });
  });

  it('fails an input that does not parse with the error the state machines name, naming the field', async () => {
    const failure = await task({ model: 'churn', version: 'three' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InvalidTaskInputError);
    expect((failure as Error).name).toBe(TASK_ERRORS.invalidInput);
    expect((failure as Error).message).toContain('version');
  });

  it('keeps the name of an error the task raises, which Retry and Catch match', async () => {
    class Rejected extends Error {
      override readonly name = TASK_ERRORS.rejected;
    }
    const failing = taskHandler('f', z.unknown(), async () => {
      throw new Rejected('no');
    });
    await expect(failing({})).rejects.toMatchObject({ name: 'Rejected' });
  });

  it('matches the approval machine Catch clauses by the same names the callbacks send', () => {
    const text = JSON.stringify(approval);
    expect(text).toContain(`"ErrorEquals":["${TASK_ERRORS.rejected}"]`);
    expect(text).toContain(`"${TASK_ERRORS.expired}"`);
  });
});
