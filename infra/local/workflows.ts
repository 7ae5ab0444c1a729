import { readFile } from 'node:fs/promises';
import {
  createLocalStepFunctions,
  type LocalStepFunctions,
  startLocalStepFunctionsEndpoint,
  type TaskHandler,
} from './stepfunctions.ts';

/**
 * The state machines of `statemachines/`, run locally: the same ASL files the CDK app deploys,
 * with each `${...FunctionArn}` placeholder filled with a local function name whose handler is
 * the same workflow code a Lambda function runs (imported on first use, like a cold start).
 */
type Invoke = (input: unknown) => Promise<unknown>;

const lazy = (load: () => Promise<Invoke>): Invoke => {
  let loaded: Promise<Invoke> | undefined;
  return async (input) => {
    loaded ??= load();
    return (await loaded)(input);
  };
};

export const LOCAL_FUNCTIONS: Record<string, Invoke> = {
  'steward-approval-validate': lazy(
    async () => (await import('../../functions/workflows/approval.ts')).validate as Invoke,
  ),
  'steward-approval-notify': lazy(
    async () => (await import('../../functions/workflows/approval.ts')).notify as Invoke,
  ),
  'steward-approval-record': lazy(
    async () => (await import('../../functions/workflows/approval.ts')).record as Invoke,
  ),
  'steward-deployment-prepare': lazy(
    async () => (await import('../../functions/workflows/deployment.ts')).prepare as Invoke,
  ),
  'steward-deployment-progress': lazy(
    async () => (await import('../../functions/workflows/deployment.ts')).progress as Invoke,
  ),
  'steward-deployment-finish': lazy(
    async () => (await import('../../functions/workflows/deployment.ts')).finish as Invoke,
  ),
  'steward-drift-due': lazy(async () => (await import('../../functions/scheduled/drift.ts')).due as Invoke),
  'steward-drift-run': lazy(async () => (await import('../../functions/scheduled/drift.ts')).run as Invoke),
};

const MACHINES = {
  approval: {
    file: new URL('../../statemachines/approval.asl.json', import.meta.url),
    substitutions: {
      ValidateFunctionArn: 'steward-approval-validate',
      NotifyFunctionArn: 'steward-approval-notify',
      RecordFunctionArn: 'steward-approval-record',
    },
  },
  deployment: {
    file: new URL('../../statemachines/deployment.asl.json', import.meta.url),
    substitutions: {
      PrepareFunctionArn: 'steward-deployment-prepare',
      ProgressFunctionArn: 'steward-deployment-progress',
      FinishFunctionArn: 'steward-deployment-finish',
    },
  },
  drift: {
    file: new URL('../../statemachines/drift.asl.json', import.meta.url),
    substitutions: { DueFunctionArn: 'steward-drift-due', RunFunctionArn: 'steward-drift-run' },
  },
} as const;

export interface LocalWorkflows {
  service: LocalStepFunctions;
  endpoint: string;
  arns: Record<keyof typeof MACHINES, string>;
  close(): Promise<void>;
}

/**
 * `services` are the simulated AWS services the deployment tasks call (infra/local/targets.ts);
 * `waitScale` shortens Wait states (polls, bake times) so a local canary takes seconds.
 */
export const startLocalWorkflows = async (
  host: string,
  options: { services: Record<string, TaskHandler>; waitScale: number },
): Promise<LocalWorkflows> => {
  const service = createLocalStepFunctions({
    waitScale: options.waitScale,
    resources: {
      ...options.services,
      ...Object.fromEntries(
        Object.entries(LOCAL_FUNCTIONS).map(([name, invoke]) => [name, (input: unknown) => invoke(input)]),
      ),
    },
  });
  const arns = {} as Record<keyof typeof MACHINES, string>;
  for (const [name, machine] of Object.entries(MACHINES) as [
    keyof typeof MACHINES,
    (typeof MACHINES)[keyof typeof MACHINES],
  ][]) {
    const registered = service.register(name, await readFile(machine.file, 'utf8'), machine.substitutions);
    arns[name] = registered.stateMachineArn;
  }
  const endpoint = await startLocalStepFunctionsEndpoint(service, { host });
  return {
    service,
    endpoint: endpoint.endpoint,
    arns,
    close: async () => {
      await endpoint.close();
      await service.close();
    },
  };
};
