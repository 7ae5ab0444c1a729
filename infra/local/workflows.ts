import { readFile } from 'node:fs/promises';
import {
  createLocalStepFunctions,
  type LocalStepFunctions,
  startLocalStepFunctionsEndpoint,
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
} as const;

export interface LocalWorkflows {
  service: LocalStepFunctions;
  endpoint: string;
  arns: Record<keyof typeof MACHINES, string>;
  close(): Promise<void>;
}

export const startLocalWorkflows = async (host: string): Promise<LocalWorkflows> => {
  const service = createLocalStepFunctions({
    resources: Object.fromEntries(
      Object.entries(LOCAL_FUNCTIONS).map(([name, invoke]) => [name, (input) => invoke(input)]),
    ),
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
