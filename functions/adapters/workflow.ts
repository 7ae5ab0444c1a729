import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { sfn } from '#commons/clients';

/**
 * Starting workflows and answering their callback tasks. A callback whose task is gone (timed
 * out, or its execution ended) is reported as `'gone'`, never thrown: the caller decides what an
 * expired request means.
 */
export const startExecution = async (
  stateMachineArn: string,
  name: string,
  input: unknown,
): Promise<string> => {
  const out = await sfn().send(
    new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
  );
  return out.executionArn!;
};

export const stopExecution = async (executionArn: string, cause: string): Promise<void> => {
  await sfn().send(new StopExecutionCommand({ executionArn, error: 'Steward.Cancelled', cause }));
};

const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export const answerTask = async (
  taskToken: string,
  answer: { output: unknown } | { error: string; cause: string },
): Promise<'sent' | 'gone'> => {
  try {
    if ('output' in answer)
      await sfn().send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(answer.output) }));
    else
      await sfn().send(new SendTaskFailureCommand({ taskToken, error: answer.error, cause: answer.cause }));
    return 'sent';
  } catch (error) {
    if (GONE.has((error as Error).name)) return 'gone';
    throw error;
  }
};
