import { constraint } from './targets-errors.ts';

/**
 * The state of the simulated targets: SageMaker models, endpoint configs, endpoints and transform
 * jobs, Lambda functions with versions and aliases, CloudWatch alarms. Records are plain JSON (so
 * they persist as they are); what is under way carries a `pending` step with the epoch millisecond
 * it is due at, so a restart resumes (or catches up with) it.
 */

export type EndpointStatus =
  | 'Creating'
  | 'Updating'
  | 'SystemUpdating'
  | 'RollingBack'
  | 'UpdateRollbackFailed'
  | 'InService'
  | 'OutOfService'
  | 'Deleting'
  | 'Failed';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface ProductionVariant {
  VariantName: string;
  ModelName: string;
  InstanceType: string;
  InitialInstanceCount: number;
  InitialVariantWeight?: number;
}

export interface ModelRecord {
  ModelName: string;
  ModelArn: string;
  ExecutionRoleArn: string;
  PrimaryContainer: JsonObject;
  CreationTime: string;
}

export interface EndpointConfigRecord {
  EndpointConfigName: string;
  EndpointConfigArn: string;
  ProductionVariants: ProductionVariant[];
  DataCaptureConfig?: JsonObject;
  CreationTime: string;
}

export type EndpointPending =
  | { step: 'create'; dueAt: number; failureReason?: string }
  | {
      step: 'provision';
      dueAt: number;
      configName: string;
      startedAt: string;
      bakeMs: number;
      alarms: string[];
      failureReason?: string;
      /** An alarm the fault puts into ALARM when the bake starts. */
      raiseAlarm?: string;
    }
  | { step: 'bake'; dueAt: number; configName: string; startedAt: string; alarms: string[] }
  | { step: 'rollback'; dueAt: number; failureReason: string; fails?: boolean }
  | { step: 'delete'; dueAt: number };

export interface EndpointRecord {
  EndpointName: string;
  EndpointArn: string;
  EndpointConfigName: string;
  EndpointStatus: EndpointStatus;
  FailureReason?: string;
  CreationTime: string;
  LastModifiedTime: string;
  LastDeploymentConfig?: JsonObject;
  pending?: EndpointPending;
}

export interface TransformJobRecord {
  TransformJobName: string;
  TransformJobArn: string;
  ModelName: string;
  TransformJobStatus: 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
  FailureReason?: string;
  TransformInput: JsonObject;
  TransformOutput: JsonObject;
  TransformResources: JsonObject;
  CreationTime: string;
  TransformStartTime?: string;
  TransformEndTime?: string;
  pending?: { dueAt: number; failureReason?: string };
}

export interface CodeRecord {
  /** Where the code came from: `s3://bucket/key[?versionId=...]`, an image URI, or `zip:<sha>`. */
  location: string;
  CodeSha256: string;
  CodeSize: number;
}

export interface FunctionVersionRecord extends CodeRecord {
  Version: string;
  Description: string;
  LastModified: string;
}

export interface RoutingConfig {
  AdditionalVersionWeights: Record<string, number>;
}

export interface AliasRecord {
  Name: string;
  FunctionVersion: string;
  Description: string;
  RoutingConfig?: RoutingConfig;
  RevisionId: string;
}

export interface FunctionRecord extends CodeRecord {
  FunctionName: string;
  FunctionArn: string;
  PackageType: 'Zip' | 'Image';
  LastModified: string;
  State: 'Pending' | 'Active' | 'Inactive' | 'Failed';
  LastUpdateStatus: 'Successful' | 'InProgress' | 'Failed';
  LastUpdateStatusReason?: string;
  LastUpdateStatusReasonCode?: string;
  RevisionId: string;
  versions: FunctionVersionRecord[];
  nextVersion: number;
  aliases: AliasRecord[];
  pending?: { dueAt: number; failureReason?: string; reasonCode?: string; previous: CodeRecord };
}

export interface AlarmRecord {
  AlarmName: string;
  AlarmArn: string;
  StateValue: AlarmState;
  StateReason: string;
  StateUpdatedTimestamp: string;
  /** Put into ALARM by an injected fault (clearFaults sets it back to OK). */
  raisedByFault?: boolean;
  /** What PutMetricAlarm defined (metric, threshold, ...), for GET /local/targets. */
  definition?: JsonObject;
}

export interface World {
  models: Map<string, ModelRecord>;
  endpointConfigs: Map<string, EndpointConfigRecord>;
  endpoints: Map<string, EndpointRecord>;
  transformJobs: Map<string, TransformJobRecord>;
  functions: Map<string, FunctionRecord>;
  alarms: Map<string, AlarmRecord>;
}

export const emptyWorld = (): World => ({
  models: new Map(),
  endpointConfigs: new Map(),
  endpoints: new Map(),
  transformJobs: new Map(),
  functions: new Map(),
  alarms: new Map(),
});

const KINDS = ['models', 'endpointConfigs', 'endpoints', 'transformJobs', 'functions', 'alarms'] as const;

/** The world as the JSON kept in `targets.json`: each kind as a list of records. */
export function serializeWorld(world: World): string {
  const out: Record<string, unknown[]> = {};
  for (const kind of KINDS) out[kind] = [...world[kind].values()];
  return `${JSON.stringify({ version: 1, ...out }, null, 2)}\n`;
}

export function deserializeWorld(text: string): World {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const world = emptyWorld();
  const key: Record<(typeof KINDS)[number], string> = {
    models: 'ModelName',
    endpointConfigs: 'EndpointConfigName',
    endpoints: 'EndpointName',
    transformJobs: 'TransformJobName',
    functions: 'FunctionName',
    alarms: 'AlarmName',
  };
  for (const kind of KINDS) {
    const list = parsed[kind];
    if (!Array.isArray(list)) continue;
    const map = world[kind] as Map<string, unknown>;
    for (const record of list) {
      const name = isRecord(record) ? record[key[kind]] : undefined;
      if (typeof name === 'string') map.set(name, record);
    }
  }
  return world;
}

/** A step that can be told to fail (`failAt`). */
export type FaultStep =
  | 'createModel'
  | 'createEndpointConfig'
  | 'createEndpoint'
  | 'updateEndpoint'
  /** The update's rollback fails too: the endpoint ends UpdateRollbackFailed, serving a mix of both. */
  | 'updateRollback'
  /** The create or update never settles (Creating or Updating for good), as one stuck past any deadline. */
  | 'endpointSettle'
  | 'createTransformJob'
  | 'transformJob'
  | 'updateFunctionCode'
  | 'functionUpdate'
  | 'publishVersion'
  | 'createAlias'
  | 'updateAlias';

export const FAULT_STEPS: readonly FaultStep[] = [
  'createModel',
  'createEndpointConfig',
  'createEndpoint',
  'updateEndpoint',
  'updateRollback',
  'endpointSettle',
  'createTransformJob',
  'transformJob',
  'updateFunctionCode',
  'functionUpdate',
  'publishVersion',
  'createAlias',
  'updateAlias',
];

/** What the operation modules need from the simulator. */
export interface TargetsCore {
  readonly region: string;
  readonly accountId: string;
  /** How long Creating / Updating takes, in ms. */
  readonly transitionMs: number;
  readonly world: World;
  now(): number;
  /** Whether a `failAt` fault for this step names one of `names`; consumes a `once` fault. */
  failsAt(step: FaultStep, names: string[]): boolean;
  /** The alarm an `alarmDuringBake` fault names for one of `names`, if any; consumes a `once` fault. */
  bakeAlarm(names: string[]): string | undefined;
  /** The alarm of that name, created in state OK on first mention. */
  alarm(name: string): AlarmRecord;
  /** Sets an alarm's state (and rolls back endpoints baking under it). */
  setAlarmState(name: string, value: AlarmState, reason: string, byFault?: boolean): void;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The request as an object (Step Functions sends the evaluated `Parameters`, an object). */
export function request(input: unknown): Record<string, unknown> {
  return isRecord(input) ? input : {};
}

/** A required string member, checked against `pattern` as the API's constraint. */
export function requiredString(
  req: Record<string, unknown>,
  field: string,
  pattern?: RegExp,
  path = field,
): string {
  const value = req[field];
  if (value === undefined || value === null) throw constraint(path, value, 'Member must not be null');
  if (typeof value !== 'string' || value.length === 0)
    throw constraint(path, value, 'Member must have length greater than or equal to 1');
  if (pattern && !pattern.test(value))
    throw constraint(path, value, `Member must satisfy regular expression pattern: ${pattern.source}`);
  return value;
}

export function optionalString(
  req: Record<string, unknown>,
  field: string,
  pattern?: RegExp,
  path = field,
): string | undefined {
  if (req[field] === undefined || req[field] === null) return undefined;
  return requiredString(req, field, pattern, path);
}

export function integer(
  req: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
  path = field,
): number | undefined {
  const value = req[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw constraint(path, value, 'Member must be an integer');
  if (value < min) throw constraint(path, value, `Member must have value greater than or equal to ${min}`);
  if (value > max) throw constraint(path, value, `Member must have value less than or equal to ${max}`);
  return value;
}

/** Deep copy of a JSON-like value from a request, dropping `undefined`. */
export function json<T = JsonObject>(value: unknown): T {
  return JSON.parse(JSON.stringify(value ?? null)) as T;
}

/** A tiny glob: `*` matches any run of characters; everything else matches itself. */
export function matches(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(name);
}
