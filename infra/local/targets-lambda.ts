import { createHash, randomUUID } from 'node:crypto';
import { constraint, ServiceFault } from './targets-errors.ts';
import {
  type AlarmState,
  type AliasRecord,
  type CodeRecord,
  type FunctionRecord,
  type FunctionVersionRecord,
  iso,
  isRecord,
  type JsonObject,
  json,
  optionalString,
  type RoutingConfig,
  request,
  requiredString,
  type TargetsCore,
} from './targets-state.ts';

/**
 * Simulated Lambda (functions, versions, weighted aliases) and CloudWatch alarms, with the
 * requests, responses and errors of the real APIs. UpdateFunctionCode leaves `$LATEST` at
 * LastUpdateStatus InProgress for `transitionMs / 3`, during which UpdateFunctionCode and
 * PublishVersion answer ResourceConflictException as Lambda does.
 */

export type LambdaOp = (core: TargetsCore, input: unknown) => unknown;

const FUNCTION_REF =
  /^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$/;
const ALIAS_NAME = /^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$/;

const functionArn = (core: TargetsCore, name: string) =>
  `arn:aws:lambda:${core.region}:${core.accountId}:function:${name}`;

const notFound = (message: string) => new ServiceFault('ResourceNotFoundException', message, 404);

const updateInProgress = (fn: FunctionRecord) =>
  new ServiceFault(
    'ResourceConflictException',
    `The operation cannot be performed at this time. An update is in progress for resource: ${fn.FunctionArn}`,
    409,
  );

/** Lambda's timestamp format: `2024-05-01T12:00:00.000+0000`. */
const lambdaTime = (ms: number) => iso(ms).replace('Z', '+0000');

/** The function a `FunctionName` (name, ARN or partial ARN, maybe qualified) names, and its qualifier. */
function resolve(
  core: TargetsCore,
  req: Record<string, unknown>,
): { fn: FunctionRecord; qualifier?: string } {
  const ref = requiredString(req, 'FunctionName');
  const match = FUNCTION_REF.exec(ref);
  if (!match)
    throw constraint(
      'FunctionName',
      ref,
      `Member must satisfy regular expression pattern: ${FUNCTION_REF.source}`,
    );
  const name = match[7] ?? ref;
  const fromRef = match[9];
  const qualifier = optionalString(req, 'Qualifier', /^(|[a-zA-Z0-9$_-]+)$/) ?? fromRef;
  const fn = core.world.functions.get(name);
  if (!fn) {
    const suffix = fromRef ? `:${fromRef}` : '';
    throw notFound(`Function not found: ${functionArn(core, name)}${suffix}`);
  }
  return qualifier === undefined ? { fn } : { fn, qualifier };
}

function codeOf(location: string, packageType: FunctionRecord['PackageType']): CodeRecord {
  const digest = createHash('sha256').update(location).digest();
  return {
    location,
    // Zip functions report the package's SHA-256 in base64; image functions the image digest in hex.
    CodeSha256: packageType === 'Image' ? digest.toString('hex') : digest.toString('base64'),
    CodeSize: packageType === 'Image' ? 0 : 1024 + (digest.readUInt32BE(0) % 4_000_000),
  };
}

function configView(
  core: TargetsCore,
  fn: FunctionRecord,
  version?: FunctionVersionRecord,
  arnQualifier?: string,
): JsonObject {
  const code = version ?? fn;
  const view: JsonObject = {
    FunctionName: fn.FunctionName,
    FunctionArn: arnQualifier ? `${fn.FunctionArn}:${arnQualifier}` : fn.FunctionArn,
  };
  if (fn.PackageType === 'Zip') {
    view.Runtime = 'nodejs20.x';
    view.Handler = 'index.handler';
  }
  Object.assign(view, {
    Role: `arn:aws:iam::${core.accountId}:role/${fn.FunctionName}-role`,
    CodeSize: code.CodeSize,
    Description: version?.Description ?? '',
    Timeout: 30,
    MemorySize: 512,
    LastModified: version?.LastModified ?? fn.LastModified,
    CodeSha256: code.CodeSha256,
    Version: version?.Version ?? '$LATEST',
    State: version ? 'Active' : fn.State,
    LastUpdateStatus: version ? 'Successful' : fn.LastUpdateStatus,
  });
  if (!version && fn.LastUpdateStatusReason) view.LastUpdateStatusReason = fn.LastUpdateStatusReason;
  if (!version && fn.LastUpdateStatusReasonCode)
    view.LastUpdateStatusReasonCode = fn.LastUpdateStatusReasonCode;
  view.PackageType = fn.PackageType;
  view.Architectures = ['x86_64'];
  view.RevisionId = fn.RevisionId;
  return view;
}

function versionOf(
  core: TargetsCore,
  fn: FunctionRecord,
  version: string,
): FunctionVersionRecord | undefined {
  if (version === '$LATEST') return undefined;
  const found = fn.versions.find((v) => v.Version === version);
  if (!found) throw notFound(`Function not found: ${functionArn(core, fn.FunctionName)}:${version}`);
  return found;
}

/** Control API: a function with its code at version 1 and no aliases (returns the existing one unchanged). */
export function createFunction(
  core: TargetsCore,
  name: string,
  options: { packageType?: 'Zip' | 'Image' } = {},
): JsonObject {
  if (!/^[a-zA-Z0-9-_]{1,64}$/.test(name)) throw new TypeError(`Invalid function name: ${name}`);
  const existing = core.world.functions.get(name);
  if (existing) return configView(core, existing);
  const packageType = options.packageType ?? 'Zip';
  const now = lambdaTime(core.now());
  const code = codeOf(
    packageType === 'Image'
      ? `${core.accountId}.dkr.ecr.${core.region}.amazonaws.com/${name}:initial`
      : `s3://steward-local-code/${name}/initial.zip`,
    packageType,
  );
  const fn: FunctionRecord = {
    FunctionName: name,
    FunctionArn: functionArn(core, name),
    PackageType: packageType,
    ...code,
    LastModified: now,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    RevisionId: randomUUID(),
    versions: [{ Version: '1', Description: '', LastModified: now, ...code }],
    nextVersion: 2,
    aliases: [],
  };
  core.world.functions.set(name, fn);
  return configView(core, fn);
}

export const getFunctionConfiguration: LambdaOp = (core, input) => {
  const { fn, qualifier } = resolve(core, request(input));
  if (qualifier === undefined || qualifier === '$LATEST') return configView(core, fn, undefined, qualifier);
  if (/^\d+$/.test(qualifier)) return configView(core, fn, versionOf(core, fn, qualifier), qualifier);
  const alias = fn.aliases.find((a) => a.Name === qualifier);
  if (!alias) throw notFound(`Function not found: ${fn.FunctionArn}:${qualifier}`);
  return configView(core, fn, versionOf(core, fn, alias.FunctionVersion), qualifier);
};

export const updateFunctionCode: LambdaOp = (core, input) => {
  const req = request(input);
  const { fn } = resolve(core, req);
  const imageUri = optionalString(req, 'ImageUri');
  const bucket = optionalString(req, 'S3Bucket', /^[0-9A-Za-z.\-_]*(?<!\.)$/);
  const key = optionalString(req, 'S3Key');
  const objectVersion = optionalString(req, 'S3ObjectVersion');
  const zipFile = optionalString(req, 'ZipFile');
  if (fn.PackageType === 'Image' && !imageUri)
    throw new ServiceFault(
      'InvalidParameterValueException',
      'Please provide ImageUri when updating a function with packageType Image.',
    );
  if (fn.PackageType === 'Zip' && imageUri)
    throw new ServiceFault(
      'InvalidParameterValueException',
      "Please don't provide ImageUri when updating a function with packageType Zip.",
    );
  if (fn.PackageType === 'Zip' && !zipFile && !(bucket && key))
    throw new ServiceFault('InvalidParameterValueException', 'Please provide a source for function code.');
  const revision = optionalString(req, 'RevisionId');
  if (revision !== undefined && revision !== fn.RevisionId)
    throw new ServiceFault(
      'PreconditionFailedException',
      'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      412,
    );
  if (fn.pending) throw updateInProgress(fn);
  if (core.failsAt('updateFunctionCode', [fn.FunctionName])) {
    throw new ServiceFault(
      'InvalidParameterValueException',
      imageUri
        ? `Source image ${imageUri} does not exist. Provide a valid source image.`
        : 'Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.',
    );
  }
  const location = imageUri
    ? imageUri
    : zipFile
      ? `zip:${createHash('sha256').update(zipFile).digest('hex')}`
      : `s3://${bucket}/${key}${objectVersion ? `?versionId=${objectVersion}` : ''}`;
  const previous: CodeRecord = { location: fn.location, CodeSha256: fn.CodeSha256, CodeSize: fn.CodeSize };
  const now = core.now();
  Object.assign(fn, codeOf(location, fn.PackageType));
  fn.LastModified = lambdaTime(now);
  fn.LastUpdateStatus = 'InProgress';
  fn.LastUpdateStatusReason = 'The function is being created.';
  fn.LastUpdateStatusReasonCode = 'Creating';
  fn.RevisionId = randomUUID();
  fn.pending = { dueAt: now + Math.ceil(core.transitionMs / 3), previous };
  if (core.failsAt('functionUpdate', [fn.FunctionName])) {
    Object.assign(
      fn.pending,
      fn.PackageType === 'Image'
        ? {
            reasonCode: 'ImageAccessDenied',
            failureReason:
              'Lambda does not have permission to access the ECR image. Check the ECR permissions.',
          }
        : {
            reasonCode: 'EniLimitExceeded',
            failureReason:
              'Lambda was not able to create an ENI in the VPC of the Lambda function because the limit for Network Interfaces has been reached.',
          },
    );
  }
  if (req.Publish === true) return configView(core, fn, publish(core, fn, ''), undefined);
  return configView(core, fn);
};

function publish(core: TargetsCore, fn: FunctionRecord, description: string): FunctionVersionRecord {
  const last = fn.versions.at(-1);
  // Lambda publishes nothing new when neither code nor configuration changed since the last version.
  if (last && last.CodeSha256 === fn.CodeSha256 && last.Description === description) return last;
  const version: FunctionVersionRecord = {
    Version: String(fn.nextVersion),
    Description: description,
    LastModified: lambdaTime(core.now()),
    location: fn.location,
    CodeSha256: fn.CodeSha256,
    CodeSize: fn.CodeSize,
  };
  fn.nextVersion += 1;
  fn.versions.push(version);
  return version;
}

export const publishVersion: LambdaOp = (core, input) => {
  const req = request(input);
  const { fn } = resolve(core, req);
  const sha = optionalString(req, 'CodeSha256');
  const description = optionalString(req, 'Description') ?? '';
  if (fn.pending) throw updateInProgress(fn);
  if (sha !== undefined && sha !== fn.CodeSha256)
    throw new ServiceFault(
      'InvalidParameterValueException',
      `CodeSHA256 (${sha}) is different from current CodeSHA256 in $LATEST (${fn.CodeSha256}). Please try again with the current CodeSHA256.`,
    );
  const revision = optionalString(req, 'RevisionId');
  if (revision !== undefined && revision !== fn.RevisionId)
    throw new ServiceFault(
      'PreconditionFailedException',
      'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      412,
    );
  if (core.failsAt('publishVersion', [fn.FunctionName]))
    throw new ServiceFault('CodeStorageExceededException', 'Code storage limit exceeded.');
  const version = publish(core, fn, description);
  return configView(core, fn, version, version.Version);
};

function aliasView(fn: FunctionRecord, alias: AliasRecord): JsonObject {
  const view: JsonObject = {
    AliasArn: `${fn.FunctionArn}:${alias.Name}`,
    Name: alias.Name,
    FunctionVersion: alias.FunctionVersion,
    Description: alias.Description,
  };
  if (alias.RoutingConfig) view.RoutingConfig = json(alias.RoutingConfig);
  view.RevisionId = alias.RevisionId;
  return view;
}

function aliasOf(fn: FunctionRecord, name: string): AliasRecord {
  const alias = fn.aliases.find((a) => a.Name === name);
  if (!alias) throw notFound(`Alias not found: ${fn.FunctionArn}:${name}`);
  return alias;
}

/** A RoutingConfig as Lambda accepts it: at most one other published version, weight in [0, 1]. */
function routingConfig(
  core: TargetsCore,
  fn: FunctionRecord,
  value: unknown,
  functionVersion: string,
): RoutingConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const weightsValue = request(value).AdditionalVersionWeights;
  const weights = isRecord(weightsValue) ? weightsValue : {};
  const entries = Object.entries(weights);
  if (entries.length === 0) return undefined;
  if (entries.length > 1)
    throw new ServiceFault(
      'InvalidParameterValueException',
      'Number of additional version weights cannot be greater than 1.',
    );
  const [version, weight] = entries[0] as [string, unknown];
  if (typeof weight !== 'number' || weight < 0 || weight > 1)
    throw constraint(
      'RoutingConfig.AdditionalVersionWeights',
      weight,
      'Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]',
    );
  if (!/^\d+$/.test(version) || functionVersion === '$LATEST')
    throw new ServiceFault(
      'InvalidParameterValueException',
      '$LATEST is not supported for an alias pointing to more than 1 version',
    );
  if (version === functionVersion)
    throw new ServiceFault(
      'InvalidParameterValueException',
      `Invalid function version ${version}. Function version ${version} is already included in routing configuration.`,
    );
  versionOf(core, fn, version);
  return { AdditionalVersionWeights: { [version]: weight } };
}

/** The `alarmDuringBake` of a Lambda fault fires once an alias sends weighted traffic. */
function weightedRouting(core: TargetsCore, fn: FunctionRecord, alias: AliasRecord): void {
  if (!alias.RoutingConfig) return;
  const alarm = core.bakeAlarm([fn.FunctionName]);
  if (alarm) {
    core.setAlarmState(
      alarm,
      'ALARM',
      `Threshold Crossed: injected fault while alias ${alias.Name} of ${fn.FunctionName} shifted traffic`,
      true,
    );
  }
}

export const getAlias: LambdaOp = (core, input) => {
  const req = request(input);
  const { fn } = resolve(core, req);
  return aliasView(fn, aliasOf(fn, requiredString(req, 'Name', ALIAS_NAME)));
};

export const createAlias: LambdaOp = (core, input) => {
  const req = request(input);
  const { fn } = resolve(core, req);
  const name = requiredString(req, 'Name', ALIAS_NAME);
  const functionVersion = requiredString(req, 'FunctionVersion', /^(\$LATEST|[0-9]+)$/);
  versionOf(core, fn, functionVersion);
  const routing = routingConfig(core, fn, req.RoutingConfig, functionVersion);
  if (fn.aliases.some((a) => a.Name === name))
    throw new ServiceFault(
      'ResourceConflictException',
      `Alias already exists: ${fn.FunctionArn}:${name}`,
      409,
    );
  if (core.failsAt('createAlias', [fn.FunctionName])) throw updateInProgress(fn);
  const alias: AliasRecord = {
    Name: name,
    FunctionVersion: functionVersion,
    Description: optionalString(req, 'Description') ?? '',
    RevisionId: randomUUID(),
  };
  if (routing) alias.RoutingConfig = routing;
  fn.aliases.push(alias);
  weightedRouting(core, fn, alias);
  return aliasView(fn, alias);
};

export const updateAlias: LambdaOp = (core, input) => {
  const req = request(input);
  const { fn } = resolve(core, req);
  const alias = aliasOf(fn, requiredString(req, 'Name', ALIAS_NAME));
  const functionVersion =
    optionalString(req, 'FunctionVersion', /^(\$LATEST|[0-9]+)$/) ?? alias.FunctionVersion;
  versionOf(core, fn, functionVersion);
  const revision = optionalString(req, 'RevisionId');
  if (revision !== undefined && revision !== alias.RevisionId)
    throw new ServiceFault(
      'PreconditionFailedException',
      'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      412,
    );
  // Without RoutingConfig the alias keeps its routing (if it still makes sense for the version).
  const routingInput = req.RoutingConfig === undefined ? alias.RoutingConfig : req.RoutingConfig;
  const routing = routingConfig(core, fn, routingInput, functionVersion);
  if (core.failsAt('updateAlias', [fn.FunctionName])) throw updateInProgress(fn);
  alias.FunctionVersion = functionVersion;
  const description = optionalString(req, 'Description');
  if (description !== undefined) alias.Description = description;
  if (routing) alias.RoutingConfig = routing;
  else delete alias.RoutingConfig;
  alias.RevisionId = randomUUID();
  weightedRouting(core, fn, alias);
  return aliasView(fn, alias);
};

export const deleteAlias: LambdaOp = (core, input) => {
  const req = request(input);
  const { fn } = resolve(core, req);
  const alias = aliasOf(fn, requiredString(req, 'Name', ALIAS_NAME));
  fn.aliases = fn.aliases.filter((a) => a !== alias);
  return {};
};

/** Control-API view of a function: `$LATEST`, its versions by number and its aliases by name. */
export function functionView(core: TargetsCore, fn: FunctionRecord): JsonObject {
  return {
    ...configView(core, fn),
    versions: Object.fromEntries(fn.versions.map((v) => [v.Version, configView(core, fn, v, v.Version)])),
    aliases: Object.fromEntries(fn.aliases.map((a) => [a.Name, aliasView(fn, a)])),
  };
}

// ---------------------------------------------------------------------------------------------
// CloudWatch

const ALARM_STATES: AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

export const describeAlarms: LambdaOp = (core, input) => {
  const req = request(input);
  const names = req.AlarmNames;
  const prefix = optionalString(req, 'AlarmNamePrefix');
  const state = optionalString(req, 'StateValue');
  if (names !== undefined && names !== null && !Array.isArray(names))
    throw new ServiceFault('InvalidParameterValue', 'AlarmNames must be a list of alarm names.');
  if (Array.isArray(names) && names.length > 100)
    throw constraint('AlarmNames', names.length, 'Member must have length less than or equal to 100');
  if (Array.isArray(names) && names.length > 0 && prefix !== undefined)
    throw new ServiceFault(
      'InvalidParameterCombination',
      'AlarmNamePrefix and AlarmNames cannot both be specified in a DescribeAlarms call.',
    );
  if (state !== undefined && !ALARM_STATES.includes(state as AlarmState))
    throw constraint('StateValue', state, `Member must satisfy enum value set: [${ALARM_STATES.join(', ')}]`);
  const wanted = Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : undefined;
  // As on AWS, a name that no alarm has is left out of the answer (it is not made up).
  const alarms = [...core.world.alarms.values()]
    .filter((a) => (wanted && wanted.length > 0 ? wanted.includes(a.AlarmName) : true))
    .filter((a) => prefix === undefined || a.AlarmName.startsWith(prefix))
    .filter((a) => state === undefined || a.StateValue === state)
    .sort((a, b) => a.AlarmName.localeCompare(b.AlarmName))
    .map((a) => ({
      AlarmName: a.AlarmName,
      AlarmArn: a.AlarmArn,
      ActionsEnabled: true,
      StateValue: a.StateValue,
      StateReason: a.StateReason,
      StateUpdatedTimestamp: a.StateUpdatedTimestamp,
    }));
  return { MetricAlarms: alarms, CompositeAlarms: [] };
};

/**
 * PutMetricAlarm: makes the alarm or replaces its definition; an existing alarm keeps its state (as
 * CloudWatch does). The deployment workflow makes a target's default rollback alarm with it.
 */
export const putMetricAlarm: LambdaOp = (core, input) => {
  const req = request(input);
  const name = requiredString(req, 'AlarmName');
  if (name.length > 255)
    throw constraint('AlarmName', name, 'Member must have length less than or equal to 255');
  const alarm = core.alarm(name);
  alarm.definition = json(req);
  return {};
};

// ---------------------------------------------------------------------------------------------
// Time passing

export function nextLambdaDue(core: TargetsCore): number | undefined {
  let next: number | undefined;
  for (const fn of core.world.functions.values())
    if (fn.pending) next = Math.min(next ?? Infinity, fn.pending.dueAt);
  return next;
}

export function advanceLambda(core: TargetsCore): boolean {
  let changed = false;
  const now = core.now();
  for (const fn of core.world.functions.values()) {
    const pending = fn.pending;
    if (!pending || pending.dueAt > now) continue;
    delete fn.pending;
    if (pending.failureReason) {
      Object.assign(fn, pending.previous);
      fn.LastUpdateStatus = 'Failed';
      fn.LastUpdateStatusReason = pending.failureReason;
      if (pending.reasonCode) fn.LastUpdateStatusReasonCode = pending.reasonCode;
    } else {
      fn.LastUpdateStatus = 'Successful';
      delete fn.LastUpdateStatusReason;
      delete fn.LastUpdateStatusReasonCode;
    }
    fn.RevisionId = randomUUID();
    changed = true;
  }
  return changed;
}
