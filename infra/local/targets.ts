import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkInput, loadModels, operationName } from '../asl/api-models.ts';
import type { SdkService } from '../asl/retry-policies.ts';
import type { TaskContext, TaskHandler } from './stepfunctions.ts';
import { type Flavor, ServiceFault, TargetError, toTargetError } from './targets-errors.ts';
import {
  advanceLambda,
  createAlias,
  createFunction,
  deleteAlias,
  describeAlarms,
  functionView,
  getAlias,
  getFunctionConfiguration,
  nextLambdaDue,
  publishVersion,
  putMetricAlarm,
  updateAlias,
  updateFunctionCode,
} from './targets-lambda.ts';
import {
  advanceSageMaker,
  createEndpoint,
  createEndpointConfig,
  createModel,
  createTransformJob,
  deleteEndpoint,
  deleteEndpointConfig,
  deleteModel,
  describeEndpoint,
  describeEndpointConfig,
  describeModel,
  describeTransformJob,
  endpointView,
  listEndpoints,
  nextSageMakerDue,
  rollBackOnAlarm,
  transformJobView,
  updateEndpoint,
} from './targets-sagemaker.ts';
import {
  type AlarmRecord,
  type AlarmState,
  deserializeWorld,
  emptyWorld,
  FAULT_STEPS,
  type FaultStep,
  iso,
  type JsonObject,
  json,
  matches,
  request,
  serializeWorld,
  type TargetsCore,
  type World,
} from './targets-state.ts';

/**
 * Simulated deployment targets for local mode: SageMaker (models, endpoint configs, endpoints with
 * blue/green updates and alarm-based auto-rollback, batch transform), Lambda (code updates,
 * versions, weighted aliases) and CloudWatch alarms. `resources` plugs them into the local Step
 * Functions runner under the same `Resource` ARNs the ASL uses on AWS, so the deployment state
 * machines run unchanged; their failures carry the States error names AWS gives them (see
 * targets-errors.ts). Faults (a step that fails, an alarm that fires while a new version bakes) make
 * the rollback paths run for real.
 *
 * Endpoints and code updates take time (`transitionMs`) driven by one unref'd timer and also
 * brought up to date on every call; with `dataDir` the state is kept in `<dataDir>/targets.json`
 * and what was under way resumes after a restart.
 */

export { errorName, TargetError } from './targets-errors.ts';
export type { AlarmState, FaultStep } from './targets-state.ts';

export interface LocalTargetsOptions {
  /** How long Creating / Updating takes, in ms (default 3000). */
  transitionMs?: number;
  /** Keep the state in `<dataDir>/targets.json`. */
  dataDir?: string;
  region?: string;
  /** The account the simulated resources live in (their ARNs). */
  accountId?: string;
  /** The clock (tests). */
  now?: () => number;
}

export interface FaultSpec {
  /** Endpoint, endpoint config, model, transform job or function name; `*` is a wildcard (`fraud-*`, `*`). */
  target: string;
  /** The step that fails for the target. */
  failAt?: FaultStep;
  /** An alarm put into ALARM when the target bakes a new version (SageMaker) or gets weighted alias routing (Lambda). */
  alarmDuringBake?: string;
  /** Fire once, then go away (default: until clearFaults). */
  once?: boolean;
}

export interface InjectedFault extends FaultSpec {
  id: number;
}

export interface TargetCall {
  resource: string;
  input: unknown;
  /** The Task's `Credentials.RoleArn`, null without one. */
  roleArn: string | null;
  at: string;
  /** The States error it failed with. */
  error?: string;
}

export interface TargetsSnapshot {
  endpoints: Record<string, JsonObject>;
  endpointConfigs: Record<string, JsonObject>;
  models: Record<string, JsonObject>;
  transformJobs: Record<string, JsonObject>;
  functions: Record<string, JsonObject>;
  alarms: Record<string, JsonObject>;
  faults: InjectedFault[];
}

export interface LocalTargets {
  /** Task handlers by Resource ARN, for `createLocalStepFunctions({ resources })`. */
  resources: Record<string, TaskHandler>;
  /** A Lambda function with version 1 published and no aliases; an existing one is returned unchanged. */
  createFunction(name: string, options?: { packageType?: 'Zip' | 'Image' }): JsonObject;
  injectFault(fault: FaultSpec): InjectedFault;
  /** Removes every fault and sets alarms that faults raised back to OK. */
  clearFaults(): void;
  setAlarm(name: string, state: AlarmState, reason?: string): void;
  state(): TargetsSnapshot;
  calls(): TargetCall[];
  close(): Promise<void>;
}

const SAGEMAKER = 'arn:aws:states:::sagemaker:';
const SAGEMAKER_SDK = 'arn:aws:states:::aws-sdk:sagemaker:';
const LAMBDA_SDK = 'arn:aws:states:::aws-sdk:lambda:';
const CLOUDWATCH_SDK = 'arn:aws:states:::aws-sdk:cloudwatch:';
/** Calls kept for `calls()` (the oldest go first). */
const MAX_CALLS = 10_000;

export function createLocalTargets(options: LocalTargetsOptions = {}): LocalTargets {
  const transitionMs = options.transitionMs ?? 3000;
  if (!Number.isFinite(transitionMs) || transitionMs < 0) throw new TypeError('transitionMs must be >= 0');
  const now = options.now ?? Date.now;
  // Read before the first request: a simulated transition must not run while a model loads.
  loadModels(['sagemaker', 'lambda', 'cloudwatch']);
  const file = options.dataDir ? join(options.dataDir, 'targets.json') : undefined;
  const world: World = file ? load(file) : emptyWorld();
  let saved = file ? serializeWorld(world) : '';
  let faults: InjectedFault[] = [];
  let nextFaultId = 1;
  const log: TargetCall[] = [];
  const waiters = new Set<{ check(): boolean; fail(error: Error): void }>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  /** Fault aspects of a `once` fault that have fired. */
  const fired = new Map<number, Set<'failAt' | 'alarm'>>();
  const use = (fault: InjectedFault, aspect: 'failAt' | 'alarm') => {
    if (!fault.once) return;
    const done = fired.get(fault.id) ?? new Set();
    done.add(aspect);
    fired.set(fault.id, done);
    const aspects = (fault.failAt ? 1 : 0) + (fault.alarmDuringBake ? 1 : 0);
    if (done.size >= aspects) faults = faults.filter((f) => f !== fault);
  };
  const faultFor = (names: string[], wanted: (f: InjectedFault) => boolean) =>
    faults.find((f) => wanted(f) && names.some((name) => matches(f.target, name)));

  const core: TargetsCore = {
    region: options.region ?? 'us-east-1',
    accountId: options.accountId ?? '000000000000',
    transitionMs,
    world,
    now,
    failsAt(step, names) {
      const fault = faultFor(names, (f) => f.failAt === step && !fired.get(f.id)?.has('failAt'));
      if (fault) use(fault, 'failAt');
      return fault !== undefined;
    },
    bakeAlarm(names) {
      const fault = faultFor(names, (f) => f.alarmDuringBake !== undefined && !fired.get(f.id)?.has('alarm'));
      if (fault) use(fault, 'alarm');
      return fault?.alarmDuringBake;
    },
    alarm(name) {
      let alarm = world.alarms.get(name);
      if (!alarm) {
        alarm = {
          AlarmName: name,
          AlarmArn: `arn:aws:cloudwatch:${core.region}:${core.accountId}:alarm:${name}`,
          StateValue: 'OK',
          StateReason: 'Threshold Crossed: no datapoints were breaching the threshold.',
          StateUpdatedTimestamp: iso(now()),
        };
        world.alarms.set(name, alarm);
      }
      return alarm;
    },
    setAlarmState(name, value, reason, byFault = false) {
      const alarm: AlarmRecord = core.alarm(name);
      if (alarm.StateValue !== value) alarm.StateUpdatedTimestamp = iso(now());
      alarm.StateValue = value;
      alarm.StateReason = reason;
      if (byFault && value === 'ALARM') alarm.raisedByFault = true;
      else delete alarm.raisedByFault;
      if (value === 'ALARM') rollBackOnAlarm(core, name);
    },
  };

  function persist(): void {
    if (!file) return;
    const text = serializeWorld(world);
    if (text === saved) return;
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, text, { mode: 0o600 });
    renameSync(temporary, file);
    saved = text;
  }

  /** Brings everything up to now, wakes `.sync` waiters, persists, and arms the timer for what is next. */
  function tick(): void {
    advanceSageMaker(core);
    advanceLambda(core);
    for (const waiter of [...waiters]) if (waiter.check()) waiters.delete(waiter);
    persist();
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (closed) return;
    const dues = [nextSageMakerDue(core), nextLambdaDue(core)].filter((d): d is number => d !== undefined);
    if (dues.length === 0) return;
    // Node fires a longer delay than 2^31 - 1 ms at once: wake up then and look again.
    timer = setTimeout(tick, Math.min(Math.max(0, Math.min(...dues) - now()), 2_147_483_647));
    timer.unref();
  }

  function handler(
    resource: string,
    flavor: Flavor,
    op: (core: TargetsCore, input: unknown) => unknown,
  ): TaskHandler {
    return (input: unknown, ctx?: TaskContext) => {
      const call: TargetCall = {
        resource,
        input: json(input),
        roleArn: typeof ctx?.credentials?.RoleArn === 'string' ? ctx.credentials.RoleArn : null,
        at: iso(now()),
      };
      log.push(call);
      if (log.length > MAX_CALLS) log.splice(0, log.length - MAX_CALLS);
      tick();
      try {
        refuseWhatTheModelRefuses(resource, flavor, input);
        return op(core, input);
      } catch (error) {
        const failure = error instanceof ServiceFault ? toTargetError(flavor, error) : error;
        call.error = failure instanceof Error ? failure.name : 'Error';
        throw failure;
      } finally {
        tick();
      }
    };
  }

  /** `createTransformJob.sync`: starts the job and answers with DescribeTransformJob once it has ended. */
  const createTransformJobSync = (c: TargetsCore, input: unknown) => {
    createTransformJob(c, input);
    const name = String(request(input).TransformJobName);
    return new Promise((resolve, reject) => {
      const waiter = {
        check() {
          const job = world.transformJobs.get(name);
          if (!job || job.TransformJobStatus === 'InProgress' || job.TransformJobStatus === 'Stopping')
            return false;
          const view = transformJobView(job);
          if (job.TransformJobStatus === 'Completed') resolve(view);
          else reject(new TargetError('States.TaskFailed', JSON.stringify(view), job.TransformJobStatus));
          return true;
        },
        fail: reject,
      };
      waiters.add(waiter);
    });
  };

  const sageMakerOps = {
    createModel,
    createEndpointConfig,
    createEndpoint,
    updateEndpoint,
    createTransformJob,
  } as const;
  const resources: Record<string, TaskHandler> = {};
  for (const [name, op] of Object.entries(sageMakerOps)) {
    resources[`${SAGEMAKER}${name}`] = handler(`${SAGEMAKER}${name}`, 'sagemaker', op);
    resources[`${SAGEMAKER_SDK}${name}`] = handler(`${SAGEMAKER_SDK}${name}`, 'sagemaker-sdk', op);
  }
  resources[`${SAGEMAKER}createTransformJob.sync`] = handler(
    `${SAGEMAKER}createTransformJob.sync`,
    'sagemaker',
    createTransformJobSync,
  );
  const sageMakerSdkOps = {
    describeEndpoint,
    describeEndpointConfig,
    describeModel,
    describeTransformJob,
    deleteEndpoint,
    deleteEndpointConfig,
    deleteModel,
    listEndpoints,
  };
  for (const [name, op] of Object.entries(sageMakerSdkOps))
    resources[`${SAGEMAKER_SDK}${name}`] = handler(`${SAGEMAKER_SDK}${name}`, 'sagemaker-sdk', op);
  const lambdaOps = {
    getFunctionConfiguration,
    updateFunctionCode,
    publishVersion,
    getAlias,
    createAlias,
    updateAlias,
    deleteAlias,
  };
  for (const [name, op] of Object.entries(lambdaOps))
    resources[`${LAMBDA_SDK}${name}`] = handler(`${LAMBDA_SDK}${name}`, 'lambda-sdk', op);
  resources[`${CLOUDWATCH_SDK}describeAlarms`] = handler(
    `${CLOUDWATCH_SDK}describeAlarms`,
    'cloudwatch-sdk',
    describeAlarms,
  );
  resources[`${CLOUDWATCH_SDK}putMetricAlarm`] = handler(
    `${CLOUDWATCH_SDK}putMetricAlarm`,
    'cloudwatch-sdk',
    putMetricAlarm,
  );

  tick();

  return {
    resources,

    createFunction(name, functionOptions = {}) {
      tick();
      const view = createFunction(core, name, functionOptions);
      tick();
      return view;
    },

    injectFault(spec) {
      if (typeof spec.target !== 'string' || spec.target.length === 0)
        throw new TypeError('A fault needs a target (an endpoint or function name)');
      if (spec.failAt !== undefined && !FAULT_STEPS.includes(spec.failAt))
        throw new TypeError(`failAt must be one of ${FAULT_STEPS.join(', ')}`);
      if (spec.failAt === undefined && spec.alarmDuringBake === undefined)
        throw new TypeError('A fault needs failAt or alarmDuringBake');
      const fault: InjectedFault = { id: nextFaultId++, target: spec.target, once: spec.once === true };
      if (spec.failAt !== undefined) fault.failAt = spec.failAt;
      if (spec.alarmDuringBake !== undefined) {
        fault.alarmDuringBake = spec.alarmDuringBake;
        core.alarm(spec.alarmDuringBake);
      }
      faults.push(fault);
      tick();
      return { ...fault };
    },

    clearFaults() {
      faults = [];
      fired.clear();
      for (const alarm of world.alarms.values()) {
        if (alarm.raisedByFault) core.setAlarmState(alarm.AlarmName, 'OK', 'Fault cleared');
      }
      tick();
    },

    setAlarm(name, state, reason) {
      if (state !== 'OK' && state !== 'ALARM' && state !== 'INSUFFICIENT_DATA')
        throw new TypeError('state must be OK, ALARM or INSUFFICIENT_DATA');
      tick();
      core.setAlarmState(name, state, reason ?? `Set by the local control API to ${state}`);
      tick();
    },

    state() {
      tick();
      const byName = <T>(map: Map<string, T>, view: (value: T) => JsonObject) =>
        Object.fromEntries([...map].map(([name, value]) => [name, view(value)]));
      return {
        endpoints: byName(world.endpoints, (e) => endpointView(core, e)),
        endpointConfigs: byName(world.endpointConfigs, (c) => json(c)),
        models: byName(world.models, (m) => json(m)),
        transformJobs: byName(world.transformJobs, transformJobView),
        functions: byName(world.functions, (f) => functionView(core, f)),
        alarms: byName(world.alarms, ({ raisedByFault: _r, ...alarm }) => json(alarm)),
        faults: faults.map((f) => ({ ...f })),
      };
    },

    calls() {
      return log.map((call) => ({ ...call, input: json(call.input) }));
    },

    async close() {
      tick();
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      for (const waiter of waiters) waiter.fail(new Error('The local targets were closed'));
      waiters.clear();
    },
  };
}

const SERVICE_OF: Record<Flavor, SdkService> = {
  sagemaker: 'sagemaker',
  'sagemaker-sdk': 'sagemaker',
  'lambda-sdk': 'lambda',
  'cloudwatch-sdk': 'cloudwatch',
};

/** The wire code each service answers a request its model refuses with. */
const VALIDATION_CODE: Record<SdkService, string> = {
  sagemaker: 'ValidationException',
  lambda: 'InvalidParameterValueException',
  cloudwatch: 'InvalidParameterValue',
};

/**
 * A request the service's published model refuses (an unknown or missing member, a wrong type, an
 * enum literal it does not know, a value outside its bounds where botocore's model is installed) fails here as it would on AWS, before the simulator acts on it
 * (infra/asl/api-models.ts).
 */
function refuseWhatTheModelRefuses(resource: string, flavor: Flavor, input: unknown): void {
  const action = resource.slice(resource.lastIndexOf(':') + 1).replace(/\.sync$/, '');
  const service = SERVICE_OF[flavor];
  const [issue] = checkInput(service, operationName(action), input ?? {}, { bounds: 'if-installed' });
  if (issue)
    throw new ServiceFault(
      VALIDATION_CODE[service],
      `1 validation error detected: Value at '${issue.path}' failed to satisfy constraint: Member ${issue.problem}`,
    );
}

function load(file: string): World {
  mkdirSync(join(file, '..'), { recursive: true });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyWorld();
    throw error;
  }
  try {
    return deserializeWorld(text);
  } catch (error) {
    throw new Error(`${file} is not valid targets state: ${(error as Error).message}`);
  }
}
