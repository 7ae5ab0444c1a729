import { createRequire } from 'node:module';

/**
 * Turns an ASL file into what the local runner executes: `${Name}` placeholders substituted (as
 * CloudFormation's `DefinitionSubstitutions` does, textually), checked with asl-validator, and
 * rewritten for aws-local-stepfunctions, which knows nothing of callbacks, heartbeats, task
 * `Credentials` or AWS's default task timeout:
 * - every Task gets `Parameters` wrapped so that its local override receives the evaluated
 *   parameters together with the state's effective input, the context object (for the execution's
 *   token placeholder), the evaluated `Credentials` and any `TimeoutSecondsPath` /
 *   `HeartbeatSecondsPath` value; the runner then owns task timeouts and heartbeats itself;
 * - with a wait scale other than 1, Wait states are shortened: `Seconds` through the library's
 *   wait overrides, the other forms by a stand-in Task (same name, `InputPath`, `OutputPath`,
 *   `Next`/`End`) whose override sleeps for the scaled time and passes its input through.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Where the wrapped `Parameters` put the runner's extras, and the evaluated original. */
export const LOCAL_KEY = '__stewardLocal';
export const PARAMS_KEY = '__stewardParams';
/** Resource of the stand-in Task that replaces a scaled Wait state. */
export const WAIT_RESOURCE = 'arn:aws:states:::steward-local:wait';
/** Longest delay a Node timer accepts (about 24.8 days); longer ones would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;
const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

const CALLBACK_SUFFIX = '.waitForTaskToken';

export interface TaskInfo {
  stateName: string;
  resource: string;
  /** What a handler is registered under: the `FunctionName` of `lambda:invoke` tasks, else the `Resource`. */
  handlerKey: string;
  /** `.waitForTaskToken`: the task ends on SendTaskSuccess / SendTaskFailure. */
  callback: boolean;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
}

export interface PreparedDefinition {
  /** The substituted and validated definition, as written. */
  definition: JsonObject;
  /** The rewritten definition handed to aws-local-stepfunctions. */
  runnable: JsonObject;
  /** Task states by name (state names are unique across the whole machine). */
  tasks: Map<string, TaskInfo>;
  /** Wait states replaced by a stand-in Task. */
  waitShims: Set<string>;
  /** Each state's type as written, so history shows `Wait` for stand-ins. */
  stateTypes: Map<string, string>;
  /** `waitTimeOverrides` for the library, in milliseconds. */
  waitOverridesMs: Record<string, number>;
  /** `retryIntervalOverrides` for the library, in milliseconds per retrier. */
  retryOverridesMs: Record<string, number[]>;
}

/** A definition or substitution the runner refuses; named like CreateStateMachine's error. */
export class InvalidDefinitionError extends Error {
  override readonly name = 'InvalidDefinition';
}

const require = createRequire(import.meta.url);
type AslValidator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
const aslValidator = require('asl-validator') as AslValidator;

const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** Replaces every `${Name}`; throws naming each placeholder left without a value. */
export function substitute(text: string, substitutions: Record<string, string>): string {
  const missing = new Set<string>();
  const result = text.replace(PLACEHOLDER, (whole, name: string) => {
    const value = Object.hasOwn(substitutions, name) ? substitutions[name] : undefined;
    if (value === undefined) {
      missing.add(whole);
      return whole;
    }
    return value;
  });
  if (missing.size > 0) {
    throw new InvalidDefinitionError(`Placeholders without a substitution: ${[...missing].join(', ')}`);
  }
  return result;
}

export function parseDefinition(text: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidDefinitionError(`Definition is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new InvalidDefinitionError('Definition is not a JSON object');
  return parsed;
}

/** asl-validator's verdict; it annotates what it reads, so it gets a copy. */
export function validate(definition: JsonObject): void {
  const { isValid, errorsText } = aslValidator(structuredClone(definition), {
    checkPaths: true,
    checkArn: true,
  });
  if (!isValid) throw new InvalidDefinitionError(`Definition is invalid: ${errorsText('; ')}`);
}

export function prepare(definition: JsonObject, waitScale: number): PreparedDefinition {
  const prepared: PreparedDefinition = {
    definition,
    runnable: {},
    tasks: new Map(),
    waitShims: new Set(),
    stateTypes: new Map(),
    waitOverridesMs: {},
    retryOverridesMs: {},
  };
  if (definition.QueryLanguage === 'JSONata') unsupported('JSONata (the local runner runs JSONPath only)');
  const runnable = rewriteMachine(definition, prepared, waitScale);
  if (typeof runnable.TimeoutSeconds === 'number') {
    runnable.TimeoutSeconds = Math.min(runnable.TimeoutSeconds, MAX_TIMER_SECONDS);
  }
  prepared.runnable = runnable;
  return prepared;
}

function rewriteMachine(machine: JsonObject, prepared: PreparedDefinition, waitScale: number): JsonObject {
  const states = machine.States;
  if (!isObject(states)) return machine;
  const rewritten: JsonObject = {};
  for (const [name, state] of Object.entries(states)) {
    if (isObject(state) && state.Type === 'Map' && ('ItemReader' in state || 'ResultWriter' in state)) {
      for (const [part, partState] of Object.entries(distributedMapStates(name, state)))
        rewritten[part] = rewriteState(part, partState, prepared, waitScale);
      prepared.stateTypes.set(name, 'Map');
      continue;
    }
    rewritten[name] = isObject(state) ? rewriteState(name, state, prepared, waitScale) : state;
  }
  return { ...machine, States: rewritten };
}

/** The local stand-ins of a Distributed Map's reader and writer (infra/local/stepfunctions-distributed.ts). */
export const MAP_ITEMS_RESOURCE = 'arn:aws:states:::steward-local:map-items';
export const MAP_RESULTS_RESOURCE = 'arn:aws:states:::steward-local:map-results';

/**
 * A Distributed Map as three states aws-local-stepfunctions runs: `<name>` reads the items
 * (ItemReader) and batches them (ItemBatcher) into a scratch field of the input; `<name> Items`
 * is an inline Map over them with the same ItemProcessor, ItemSelector and MaxConcurrency;
 * `<name> Results` writes the results as ResultWriter says (or keeps them as the Map's result) and
 * puts that where ResultPath says, then goes on as the Map would (OutputPath, Next or End). Each
 * of the three carries the Map's Retry and Catch.
 */
function distributedMapStates(name: string, state: JsonObject): Record<string, JsonObject> {
  const scratch = `$.${MAP_SCRATCH}`;
  const items = `${name} Items`;
  const results = `${name} Results`;
  const shared: JsonObject = {};
  for (const key of ['Retry', 'Catch']) if (key in state) shared[key] = state[key] ?? null;
  const batcher = isObject(state.ItemBatcher) ? state.ItemBatcher : undefined;
  const batching: JsonObject = {};
  if (batcher) {
    for (const [key, value] of Object.entries(batcher)) {
      if (key === 'MaxItemsPerBatchPath') batching['MaxItemsPerBatch.$'] = value;
      else if (key === 'MaxInputBytesPerBatchPath') batching['MaxInputBytesPerBatch.$'] = value;
      else batching[key] = value;
    }
  }
  const processor = isObject(state.ItemProcessor) ? state.ItemProcessor : {};
  const inline: JsonObject = {
    Type: 'Map',
    ItemsPath: `${scratch}.items`,
    ItemProcessor: { ...processor, ProcessorConfig: { Mode: 'INLINE' } },
    ResultPath: `${scratch}.results`,
    Next: results,
    ...shared,
  };
  if ('ItemSelector' in state) inline.ItemSelector = state.ItemSelector ?? null;
  if (typeof state.MaxConcurrency === 'number') inline.MaxConcurrency = state.MaxConcurrency;
  const writer = isObject(state.ResultWriter) ? state.ResultWriter : undefined;
  const write: JsonObject = {
    Type: 'Task',
    Resource: MAP_RESULTS_RESOURCE,
    Parameters: {
      'state.$': '$',
      scratch: MAP_SCRATCH,
      resultPath: 'ResultPath' in state ? (state.ResultPath ?? null) : '$',
      ...(writer ? { writer } : {}),
    },
    ...shared,
  };
  for (const key of ['OutputPath', 'Next', 'End']) if (key in state) write[key] = state[key] ?? null;
  const read: JsonObject = {
    Type: 'Task',
    Resource: MAP_ITEMS_RESOURCE,
    Parameters: {
      ...(isObject(state.ItemReader) ? { reader: state.ItemReader } : { 'items.$': state.ItemsPath ?? '$' }),
      ...(batcher ? { batcher: batching } : {}),
    },
    ResultPath: scratch,
    Next: items,
    ...shared,
  };
  if ('InputPath' in state || 'ResultSelector' in state)
    unsupported(`InputPath or ResultSelector on the Distributed Map ${name}`);
  return { [name]: read, [items]: inline, [results]: write };
}

/** The input field the stand-ins of a Distributed Map keep their items and results in. */
export const MAP_SCRATCH = '__stewardDistributedMap';

function rewriteState(
  name: string,
  state: JsonObject,
  prepared: PreparedDefinition,
  scale: number,
): JsonObject {
  const type = String(state.Type);
  prepared.stateTypes.set(name, type);
  if (state.QueryLanguage === 'JSONata') unsupported(`JSONata in state ${name}`);
  for (const field of ['Assign', 'Arguments', 'Output']) {
    if (field in state) unsupported(`${field} in state ${name}`);
  }
  if (Array.isArray(state.Retry) && scale !== 1) {
    prepared.retryOverridesMs[name] = state.Retry.map((retrier) => {
      const r = isObject(retrier) ? retrier : {};
      const interval = typeof r.IntervalSeconds === 'number' ? r.IntervalSeconds : 1;
      const capped = typeof r.MaxDelaySeconds === 'number' ? Math.min(interval, r.MaxDelaySeconds) : interval;
      return capped * 1000 * scale;
    });
  }
  switch (type) {
    case 'Task':
      return rewriteTask(name, state, prepared);
    case 'Wait':
      return rewriteWait(name, state, prepared, scale);
    case 'Parallel':
      return {
        ...state,
        Branches: (Array.isArray(state.Branches) ? state.Branches : []).map((branch) =>
          isObject(branch) ? rewriteMachine(branch, prepared, scale) : branch,
        ),
      };
    case 'Map': {
      // A Distributed Map without a reader (items from the input) runs inline locally.
      const { Label: _label, ToleratedFailurePercentage: _tolerated, ...copy } = state;
      if (isObject(copy.ItemProcessor) && isObject(copy.ItemProcessor.ProcessorConfig))
        copy.ItemProcessor = { ...copy.ItemProcessor, ProcessorConfig: { Mode: 'INLINE' } };
      for (const key of ['ItemProcessor', 'Iterator']) {
        const inner = copy[key];
        if (isObject(inner)) copy[key] = rewriteMachine(inner, prepared, scale);
      }
      return copy;
    }
    default:
      return state;
  }
}

function rewriteTask(name: string, state: JsonObject, prepared: PreparedDefinition): JsonObject {
  const resource = String(state.Resource);
  const functionName = isObject(state.Parameters) ? state.Parameters.FunctionName : undefined;
  const handlerKey =
    resource.startsWith('arn:aws:states:::lambda:invoke') && typeof functionName === 'string'
      ? functionName
      : resource;
  const info: TaskInfo = {
    stateName: name,
    resource,
    handlerKey,
    callback: resource.endsWith(CALLBACK_SUFFIX),
  };
  if (typeof state.TimeoutSeconds === 'number') info.timeoutSeconds = state.TimeoutSeconds;
  if (typeof state.HeartbeatSeconds === 'number') info.heartbeatSeconds = state.HeartbeatSeconds;
  prepared.tasks.set(name, info);

  const local: JsonObject = { 'input.$': '$', 'context.$': '$$' };
  if ('Credentials' in state) local.credentials = state.Credentials ?? null;
  if (typeof state.TimeoutSecondsPath === 'string') local['timeoutSeconds.$'] = state.TimeoutSecondsPath;
  if (typeof state.HeartbeatSecondsPath === 'string')
    local['heartbeatSeconds.$'] = state.HeartbeatSecondsPath;

  const {
    Credentials: _credentials,
    TimeoutSeconds: _timeout,
    TimeoutSecondsPath: _timeoutPath,
    HeartbeatSeconds: _heartbeat,
    HeartbeatSecondsPath: _heartbeatPath,
    Parameters: parameters,
    ...rest
  } = state;
  const wrapped: JsonObject =
    parameters === undefined ? { [`${PARAMS_KEY}.$`]: '$' } : { [PARAMS_KEY]: parameters };
  wrapped[LOCAL_KEY] = local;
  // The runner enforces the real timeout; the library's own (60 s by default) must never fire first.
  return { ...rest, Parameters: wrapped, TimeoutSeconds: MAX_TIMER_SECONDS };
}

function rewriteWait(
  name: string,
  state: JsonObject,
  prepared: PreparedDefinition,
  scale: number,
): JsonObject {
  if (scale === 1) return state;
  if (typeof state.Seconds === 'number') {
    prepared.waitOverridesMs[name] = state.Seconds * 1000 * scale;
    return state;
  }
  const wait: JsonObject = {};
  if (typeof state.Timestamp === 'string') wait.timestamp = state.Timestamp;
  if (typeof state.SecondsPath === 'string') wait['seconds.$'] = state.SecondsPath;
  if (typeof state.TimestampPath === 'string') wait['timestamp.$'] = state.TimestampPath;
  prepared.waitShims.add(name);
  const shim: JsonObject = {
    Type: 'Task',
    Resource: WAIT_RESOURCE,
    Parameters: { [LOCAL_KEY]: { 'input.$': '$', wait } },
    TimeoutSeconds: MAX_TIMER_SECONDS,
  };
  for (const key of ['Comment', 'InputPath', 'OutputPath', 'Next', 'End']) {
    if (key in state) shim[key] = state[key] ?? null;
  }
  return shim;
}

function unsupported(what: string): never {
  throw new InvalidDefinitionError(`Not supported by the local Step Functions runner: ${what}`);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
