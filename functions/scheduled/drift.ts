import * as z from 'zod';
import { ConflictError, NotFoundError } from '#commons/errors';
import { TASK_ERRORS } from '#commons/facts';
import { taskHandler } from '#commons/task';
import {
  due as dueMonitors,
  reduceShards as reduce,
  run as runMonitor,
  summariseBatch as summarise,
} from '#services/drift-runs';

/**
 * The drift workflow's tasks (statemachines/drift.asl.json): the dispatcher that claims the
 * monitors due now, one monitor's run, and the Distributed Map's child and reducer. The use case
 * itself, which the monitoring API's "run now" calls too, is functions/services/drift-runs.ts.
 */

/** A scheduled run the service refuses: the deployment is not monitored, or has no baseline. */
export class DriftRunRefusedError extends Error {
  override readonly name = TASK_ERRORS.driftRunRefused;
}

const DeploymentRef = z.object({ deploymentId: z.string().min(1) });
/** A batch of ItemBatcher: the run's plan and consecutive items of its object manifest. */
const ShardBatch = z.object({
  BatchInput: z.object({ planUri: z.string().min(1) }),
  Items: z
    .array(z.object({ index: z.number().int().min(0), uri: z.string().min(1), size: z.number().min(0) }))
    .min(1),
});
const PlanRef = z.object({ planUri: z.string().min(1) });

/** The dispatcher takes nothing (`Payload: {}`), and reads nothing of what it is given. */
export const due = taskHandler('drift-due', z.looseObject({}), () => dueMonitors());

export const run = taskHandler(
  'drift-run',
  DeploymentRef,
  async (input) => {
    try {
      return await runMonitor(input);
    } catch (error) {
      // The service's refusals are the API's (404, 409): a task names them for the machine.
      if (error instanceof NotFoundError || error instanceof ConflictError)
        throw new DriftRunRefusedError(error.message, { cause: error });
      throw error;
    }
  },
  { raises: [TASK_ERRORS.driftRunRefused], keys: (input) => ({ deploymentId: input.deploymentId }) },
);

export const summariseBatch = taskHandler('drift-shard', ShardBatch, (input) => summarise(input), {
  keys: (input) => ({ planUri: input.BatchInput.planUri, first: input.Items[0]?.index }),
});

export const reduceShards = taskHandler('drift-reduce', PlanRef, (input) => reduce(input), {
  raises: [TASK_ERRORS.driftShardsIncomplete],
  keys: (input) => ({ planUri: input.planUri }),
});
