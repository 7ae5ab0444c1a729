import { createHash } from 'node:crypto';
import { constraint, ServiceFault } from './targets-errors.ts';
import {
  type EndpointConfigRecord,
  type EndpointPending,
  type EndpointRecord,
  integer,
  iso,
  isRecord,
  type JsonObject,
  json,
  type ModelRecord,
  optionalString,
  type ProductionVariant,
  request,
  requiredString,
  type TargetsCore,
  type TransformJobRecord,
} from './targets-state.ts';

/**
 * Simulated SageMaker: models, endpoint configs, real-time endpoints and batch transform jobs,
 * answering with the API's request and response shapes and its validation errors.
 *
 * Endpoints: CreateEndpoint -> Creating, InService (or Failed) after `transitionMs`. UpdateEndpoint
 * is blue/green, as SageMaker does it: Updating while the new fleet is provisioned (`transitionMs`),
 * then the bake (the traffic-routing wait intervals plus the termination wait, capped at
 * `transitionMs`), then InService on the new config. An alarm of `AutoRollbackConfiguration` in
 * ALARM during the bake rolls back: RollingBack for `transitionMs / 2`, then InService on the old
 * config with a FailureReason. A failed provisioning returns to InService on the old config with a
 * FailureReason.
 */

const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const S3_URI = /^(https|s3):\/\/([^/]+)\/?(.*)$/;

/** The `dueAt` of a step that never comes (an `endpointSettle` fault). */
const NEVER = Number.MAX_SAFE_INTEGER;

export type SageMakerOp = (core: TargetsCore, input: unknown) => unknown;

const arn = (core: TargetsCore, kind: string, name: string) =>
  `arn:aws:sagemaker:${core.region}:${core.accountId}:${kind}/${name.toLowerCase()}`;

const notFound = (what: string, resourceArn: string) =>
  new ServiceFault('ValidationException', `Could not find ${what} "${resourceArn}".`);

const alreadyExists = (what: string, resourceArn: string) =>
  new ServiceFault('ValidationException', `Cannot create already existing ${what} "${resourceArn}".`);

function modelOf(core: TargetsCore, name: string): ModelRecord {
  const model = core.world.models.get(name);
  if (!model) throw notFound('model', arn(core, 'model', name));
  return model;
}

function configOf(core: TargetsCore, name: string): EndpointConfigRecord {
  const config = core.world.endpointConfigs.get(name);
  if (!config) throw notFound('endpoint configuration', arn(core, 'endpoint-config', name));
  return config;
}

function endpointOf(core: TargetsCore, name: string): EndpointRecord {
  const endpoint = core.world.endpoints.get(name);
  if (!endpoint) throw notFound('endpoint', arn(core, 'endpoint', name));
  return endpoint;
}

const healthCheckFailure = (variant: string) =>
  `The primary container for production variant ${variant} did not pass the ping health check. ` +
  'Please check CloudWatch logs for this endpoint.';

// ---------------------------------------------------------------------------------------------
// Operations

export const createModel: SageMakerOp = (core, input) => {
  const req = request(input);
  const name = requiredString(req, 'ModelName', NAME);
  const role = requiredString(req, 'ExecutionRoleArn', ROLE_ARN);
  const container = req.PrimaryContainer;
  if (!isRecord(container)) throw constraint('PrimaryContainer', container, 'Member must not be null');
  requiredString(container, 'Image', undefined, 'PrimaryContainer.Image');
  const dataUrl = optionalString(container, 'ModelDataUrl', S3_URI, 'PrimaryContainer.ModelDataUrl');
  if (core.world.models.has(name)) throw alreadyExists('model', arn(core, 'model', name));
  if (core.failsAt('createModel', [name])) {
    throw new ServiceFault(
      'ValidationException',
      `Could not access model data at ${dataUrl ?? 'the container image'}. Please ensure that the role "${role}" ` +
        'exists and that its trust relationship policy allows the action "sts:AssumeRole" for the service ' +
        `principal "sagemaker.amazonaws.com". Also ensure that the role has "s3:GetObject" permissions and ` +
        `that the object is located in ${core.region}.`,
    );
  }
  const record: ModelRecord = {
    ModelName: name,
    ModelArn: arn(core, 'model', name),
    ExecutionRoleArn: role,
    PrimaryContainer: json(container),
    CreationTime: iso(core.now()),
  };
  core.world.models.set(name, record);
  return { ModelArn: record.ModelArn };
};

function productionVariants(core: TargetsCore, value: unknown): ProductionVariant[] {
  if (!Array.isArray(value) || value.length === 0)
    throw constraint('ProductionVariants', value, 'Member must have length greater than or equal to 1');
  const seen = new Set<string>();
  return value.map((item, index) => {
    const path = `ProductionVariants.${index + 1}.member`;
    const v = request(item);
    const variant: ProductionVariant = {
      VariantName: requiredString(v, 'VariantName', NAME, `${path}.VariantName`),
      ModelName: requiredString(v, 'ModelName', NAME, `${path}.ModelName`),
      InstanceType: requiredString(v, 'InstanceType', /^ml\.[a-z0-9]+\.[a-z0-9]+$/, `${path}.InstanceType`),
      InitialInstanceCount:
        integer(v, 'InitialInstanceCount', 1, 1000, `${path}.InitialInstanceCount`) ??
        (() => {
          throw constraint(`${path}.InitialInstanceCount`, undefined, 'Member must not be null');
        })(),
    };
    const weight = v.InitialVariantWeight;
    if (weight !== undefined && weight !== null) {
      if (typeof weight !== 'number' || weight < 0)
        throw constraint(
          `${path}.InitialVariantWeight`,
          weight,
          'Member must have value greater than or equal to 0',
        );
      variant.InitialVariantWeight = weight;
    }
    if (seen.has(variant.VariantName)) {
      throw new ServiceFault(
        'ValidationException',
        `Duplicate VariantName ${variant.VariantName} is not allowed.`,
      );
    }
    seen.add(variant.VariantName);
    modelOf(core, variant.ModelName);
    return variant;
  });
}

function dataCaptureConfig(value: unknown): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  const c = request(value);
  integer(c, 'InitialSamplingPercentage', 0, 100, 'DataCaptureConfig.InitialSamplingPercentage') ??
    (() => {
      throw constraint('DataCaptureConfig.InitialSamplingPercentage', undefined, 'Member must not be null');
    })();
  requiredString(c, 'DestinationS3Uri', S3_URI, 'DataCaptureConfig.DestinationS3Uri');
  const options = c.CaptureOptions;
  if (!Array.isArray(options) || options.length === 0 || options.length > 2)
    throw constraint('DataCaptureConfig.CaptureOptions', options, 'Member must have length between 1 and 2');
  options.forEach((option, index) => {
    const mode = request(option).CaptureMode;
    if (mode !== 'Input' && mode !== 'Output' && mode !== 'InputAndOutput')
      throw constraint(
        `DataCaptureConfig.CaptureOptions.${index + 1}.member.CaptureMode`,
        mode,
        'Member must satisfy enum value set: [Input, Output, InputAndOutput]',
      );
  });
  if (c.EnableCapture !== undefined && typeof c.EnableCapture !== 'boolean')
    throw constraint('DataCaptureConfig.EnableCapture', c.EnableCapture, 'Member must be a boolean');
  return json(c);
}

export const createEndpointConfig: SageMakerOp = (core, input) => {
  const req = request(input);
  const name = requiredString(req, 'EndpointConfigName', NAME);
  const variants = productionVariants(core, req.ProductionVariants);
  const capture = dataCaptureConfig(req.DataCaptureConfig);
  if (core.world.endpointConfigs.has(name))
    throw alreadyExists('endpoint configuration', arn(core, 'endpoint-config', name));
  if (core.failsAt('createEndpointConfig', [name, ...variants.map((v) => v.ModelName)])) {
    const variant = variants[0];
    throw new ServiceFault(
      'ValidationException',
      `The instance type ${variant?.InstanceType ?? 'requested'} is not supported for production variant ` +
        `${variant?.VariantName ?? ''} in ${core.region}.`,
    );
  }
  const record: EndpointConfigRecord = {
    EndpointConfigName: name,
    EndpointConfigArn: arn(core, 'endpoint-config', name),
    ProductionVariants: variants,
    CreationTime: iso(core.now()),
  };
  if (capture) record.DataCaptureConfig = capture;
  core.world.endpointConfigs.set(name, record);
  return { EndpointConfigArn: record.EndpointConfigArn };
};

export const createEndpoint: SageMakerOp = (core, input) => {
  const req = request(input);
  const name = requiredString(req, 'EndpointName', NAME);
  const configName = requiredString(req, 'EndpointConfigName', NAME);
  if (core.world.endpoints.has(name)) throw alreadyExists('endpoint', arn(core, 'endpoint', name));
  const config = configOf(core, configName);
  const now = core.now();
  const pending: EndpointPending = { step: 'create', dueAt: now + core.transitionMs };
  if (core.failsAt('createEndpoint', [name, configName])) {
    pending.failureReason = healthCheckFailure(config.ProductionVariants[0]?.VariantName ?? 'AllTraffic');
  }
  if (core.failsAt('endpointSettle', [name, configName])) pending.dueAt = NEVER;
  const record: EndpointRecord = {
    EndpointName: name,
    EndpointArn: arn(core, 'endpoint', name),
    EndpointConfigName: configName,
    EndpointStatus: 'Creating',
    CreationTime: iso(now),
    LastModifiedTime: iso(now),
    pending,
  };
  core.world.endpoints.set(name, record);
  return { EndpointArn: record.EndpointArn };
};

const ROUTING_TYPES = ['ALL_AT_ONCE', 'CANARY', 'LINEAR'];

function capacitySize(value: unknown, path: string): { Type: string; Value: number } {
  const size = request(value);
  if (size.Type !== 'INSTANCE_COUNT' && size.Type !== 'CAPACITY_PERCENT')
    throw constraint(
      `${path}.Type`,
      size.Type,
      'Member must satisfy enum value set: [INSTANCE_COUNT, CAPACITY_PERCENT]',
    );
  const amount = integer(size, 'Value', 1, 100000, `${path}.Value`);
  if (amount === undefined) throw constraint(`${path}.Value`, undefined, 'Member must not be null');
  return { Type: size.Type, Value: amount };
}

/** Seconds the new fleet bakes under the policy before the old one is let go. */
function bakeSeconds(policy: Record<string, unknown>, instances: number): number {
  const routing = request(policy.TrafficRoutingConfiguration);
  const path = 'DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration';
  if (typeof routing.Type !== 'string' || !ROUTING_TYPES.includes(routing.Type))
    throw constraint(
      `${path}.Type`,
      routing.Type,
      `Member must satisfy enum value set: [${ROUTING_TYPES.join(', ')}]`,
    );
  const wait = integer(routing, 'WaitIntervalInSeconds', 0, 3600, `${path}.WaitIntervalInSeconds`);
  if (wait === undefined)
    throw constraint(`${path}.WaitIntervalInSeconds`, undefined, 'Member must not be null');
  let intervals = 1;
  if (routing.Type === 'CANARY') {
    if (routing.CanarySize === undefined)
      throw new ServiceFault(
        'ValidationException',
        'CanarySize must be specified for CANARY traffic routing.',
      );
    capacitySize(routing.CanarySize, `${path}.CanarySize`);
  } else if (routing.Type === 'LINEAR') {
    if (routing.LinearStepSize === undefined)
      throw new ServiceFault(
        'ValidationException',
        'LinearStepSize must be specified for LINEAR traffic routing.',
      );
    const step = capacitySize(routing.LinearStepSize, `${path}.LinearStepSize`);
    intervals = Math.ceil((step.Type === 'CAPACITY_PERCENT' ? 100 : Math.max(instances, 1)) / step.Value);
  }
  const termination =
    integer(
      policy,
      'TerminationWaitInSeconds',
      0,
      3600,
      'DeploymentConfig.BlueGreenUpdatePolicy.TerminationWaitInSeconds',
    ) ?? 0;
  integer(
    policy,
    'MaximumExecutionTimeoutInSeconds',
    600,
    28800,
    'DeploymentConfig.BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds',
  );
  return wait * intervals + termination;
}

function rollbackAlarms(config: Record<string, unknown>): string[] {
  const auto = config.AutoRollbackConfiguration;
  if (auto === undefined || auto === null) return [];
  const alarms = request(auto).Alarms;
  if (!Array.isArray(alarms) || alarms.length === 0 || alarms.length > 10)
    throw constraint(
      'DeploymentConfig.AutoRollbackConfiguration.Alarms',
      alarms,
      'Member must have length between 1 and 10',
    );
  return alarms.map((alarm, index) =>
    requiredString(
      request(alarm),
      'AlarmName',
      undefined,
      `DeploymentConfig.AutoRollbackConfiguration.Alarms.${index + 1}.member.AlarmName`,
    ),
  );
}

export const updateEndpoint: SageMakerOp = (core, input) => {
  const req = request(input);
  const name = requiredString(req, 'EndpointName', NAME);
  const configName = requiredString(req, 'EndpointConfigName', NAME);
  const endpoint = endpointOf(core, name);
  const config = configOf(core, configName);
  const deployment =
    req.DeploymentConfig === undefined || req.DeploymentConfig === null
      ? undefined
      : request(req.DeploymentConfig);
  let bakeMs = 0;
  let alarms: string[] = [];
  if (deployment) {
    const instances = config.ProductionVariants.reduce((sum, v) => sum + v.InitialInstanceCount, 0);
    if (isRecord(deployment.BlueGreenUpdatePolicy)) {
      bakeMs = Math.min(bakeSeconds(deployment.BlueGreenUpdatePolicy, instances) * 1000, core.transitionMs);
    } else if (isRecord(deployment.RollingUpdatePolicy)) {
      const wait =
        integer(
          deployment.RollingUpdatePolicy,
          'WaitIntervalInSeconds',
          0,
          3600,
          'DeploymentConfig.RollingUpdatePolicy.WaitIntervalInSeconds',
        ) ?? 0;
      bakeMs = Math.min(wait * 1000, core.transitionMs);
    } else {
      throw new ServiceFault(
        'ValidationException',
        'DeploymentConfig must specify BlueGreenUpdatePolicy or RollingUpdatePolicy.',
      );
    }
    alarms = rollbackAlarms(deployment);
  }
  if (endpoint.EndpointStatus !== 'InService') {
    const what = endpoint.EndpointStatus === 'Failed' ? 'failed' : 'in-progress';
    throw new ServiceFault(
      'ValidationException',
      `Cannot update ${what} endpoint "${endpoint.EndpointArn}".`,
    );
  }
  for (const alarm of alarms) core.alarm(alarm);
  const now = core.now();
  const pending: EndpointRecord['pending'] = {
    step: 'provision',
    dueAt: now + core.transitionMs,
    configName,
    startedAt: iso(now),
    bakeMs,
    alarms,
  };
  if (core.failsAt('updateEndpoint', [name, configName])) {
    pending.failureReason = healthCheckFailure(config.ProductionVariants[0]?.VariantName ?? 'AllTraffic');
  }
  if (core.failsAt('endpointSettle', [name, configName])) pending.dueAt = NEVER;
  const raise = core.bakeAlarm([name, configName]);
  if (raise) pending.raiseAlarm = raise;
  endpoint.EndpointStatus = 'Updating';
  endpoint.LastModifiedTime = iso(now);
  delete endpoint.FailureReason;
  if (deployment) endpoint.LastDeploymentConfig = json(deployment);
  endpoint.pending = pending;
  return { EndpointArn: endpoint.EndpointArn };
};

export const createTransformJob: SageMakerOp = (core, input) => {
  const req = request(input);
  const name = requiredString(req, 'TransformJobName', NAME);
  const modelName = requiredString(req, 'ModelName', NAME);
  const transformInput = request(req.TransformInput);
  if (!isRecord(req.TransformInput)) throw constraint('TransformInput', undefined, 'Member must not be null');
  const s3 = request(request(transformInput.DataSource).S3DataSource);
  const dataType = s3.S3DataType;
  if (dataType !== 'S3Prefix' && dataType !== 'ManifestFile' && dataType !== 'AugmentedManifestFile')
    throw constraint(
      'TransformInput.DataSource.S3DataSource.S3DataType',
      dataType,
      'Member must satisfy enum value set: [ManifestFile, S3Prefix, AugmentedManifestFile]',
    );
  requiredString(s3, 'S3Uri', S3_URI, 'TransformInput.DataSource.S3DataSource.S3Uri');
  if (!isRecord(req.TransformOutput))
    throw constraint('TransformOutput', undefined, 'Member must not be null');
  requiredString(req.TransformOutput, 'S3OutputPath', S3_URI, 'TransformOutput.S3OutputPath');
  if (!isRecord(req.TransformResources))
    throw constraint('TransformResources', undefined, 'Member must not be null');
  const instanceType = requiredString(
    req.TransformResources,
    'InstanceType',
    /^ml\.[a-z0-9]+\.[a-z0-9]+$/,
    'TransformResources.InstanceType',
  );
  if (
    integer(req.TransformResources, 'InstanceCount', 1, 1000, 'TransformResources.InstanceCount') ===
    undefined
  )
    throw constraint('TransformResources.InstanceCount', undefined, 'Member must not be null');
  const jobArn = arn(core, 'transform-job', name);
  if (core.world.transformJobs.has(name)) {
    throw new ServiceFault(
      'ResourceInUse',
      `Job name must be unique within an AWS account and region, and a job with this name already exists (${jobArn})`,
    );
  }
  modelOf(core, modelName);
  if (core.failsAt('createTransformJob', [name, modelName])) {
    throw new ServiceFault(
      'ResourceLimitExceeded',
      `The account-level service limit '${instanceType} for transform job usage' is 0 Instances, with current ` +
        'utilization of 0 Instances and a request delta of 1 Instances. Please use AWS Service Quotas to request ' +
        'an increase for this quota. If AWS Service Quotas is not available, contact AWS support to request an ' +
        'increase for this quota.',
    );
  }
  const now = core.now();
  const job: TransformJobRecord = {
    TransformJobName: name,
    TransformJobArn: jobArn,
    ModelName: modelName,
    TransformJobStatus: 'InProgress',
    TransformInput: json(req.TransformInput),
    TransformOutput: json(req.TransformOutput),
    TransformResources: json(req.TransformResources),
    CreationTime: iso(now),
    TransformStartTime: iso(now),
    pending: { dueAt: now + core.transitionMs },
  };
  if (core.failsAt('transformJob', [name, modelName]) && job.pending) {
    job.pending.failureReason = 'AlgorithmError: See job logs for more information';
  }
  core.world.transformJobs.set(name, job);
  return { TransformJobArn: jobArn };
};

export const describeEndpoint: SageMakerOp = (core, input) => {
  const name = requiredString(request(input), 'EndpointName', NAME);
  return endpointView(core, endpointOf(core, name));
};

export function endpointView(core: TargetsCore, endpoint: EndpointRecord): JsonObject {
  const view: JsonObject = {
    EndpointName: endpoint.EndpointName,
    EndpointArn: endpoint.EndpointArn,
    EndpointConfigName: endpoint.EndpointConfigName,
  };
  const config = core.world.endpointConfigs.get(endpoint.EndpointConfigName);
  const live = endpoint.EndpointStatus !== 'Creating' && endpoint.EndpointStatus !== 'Failed';
  if (config && live) view.ProductionVariants = config.ProductionVariants.map((v) => variantView(core, v));
  const capture = config?.DataCaptureConfig;
  if (capture) {
    const enabled = capture.EnableCapture !== false;
    view.DataCaptureConfig = {
      EnableCapture: enabled,
      CaptureStatus: enabled ? 'Started' : 'Stopped',
      CurrentSamplingPercentage: capture.InitialSamplingPercentage ?? 0,
      DestinationS3Uri: capture.DestinationS3Uri ?? '',
      ...(typeof capture.KmsKeyId === 'string' ? { KmsKeyId: capture.KmsKeyId } : {}),
    };
  }
  view.EndpointStatus = endpoint.EndpointStatus;
  if (endpoint.FailureReason !== undefined) view.FailureReason = endpoint.FailureReason;
  view.CreationTime = endpoint.CreationTime;
  view.LastModifiedTime = endpoint.LastModifiedTime;
  if (endpoint.LastDeploymentConfig) view.LastDeploymentConfig = endpoint.LastDeploymentConfig;
  const pending = endpoint.pending;
  if (pending && (pending.step === 'provision' || pending.step === 'bake')) {
    const next = core.world.endpointConfigs.get(pending.configName);
    view.PendingDeploymentSummary = {
      EndpointConfigName: pending.configName,
      ProductionVariants: (next?.ProductionVariants ?? []).map((v) => ({
        VariantName: v.VariantName,
        DesiredWeight: v.InitialVariantWeight ?? 1,
        DesiredInstanceCount: v.InitialInstanceCount,
        VariantStatus: [
          { Status: pending.step === 'bake' ? 'Baking' : 'Creating', StartTime: pending.startedAt },
        ],
      })),
      StartTime: pending.startedAt,
    };
  }
  return view;
}

function variantView(core: TargetsCore, variant: ProductionVariant): JsonObject {
  const view: JsonObject = { VariantName: variant.VariantName };
  const image = core.world.models.get(variant.ModelName)?.PrimaryContainer.Image;
  if (typeof image === 'string') {
    const digest = createHash('sha256').update(image).digest('hex');
    view.DeployedImages = [
      { SpecifiedImage: image, ResolvedImage: `${image.replace(/[:@].*$/, '')}@sha256:${digest}` },
    ];
  }
  const weight = variant.InitialVariantWeight ?? 1;
  view.CurrentWeight = weight;
  view.DesiredWeight = weight;
  view.CurrentInstanceCount = variant.InitialInstanceCount;
  view.DesiredInstanceCount = variant.InitialInstanceCount;
  return view;
}

export const describeEndpointConfig: SageMakerOp = (core, input) => {
  const config = configOf(core, requiredString(request(input), 'EndpointConfigName', NAME));
  return json(config);
};

export const describeModel: SageMakerOp = (core, input) => {
  const model = modelOf(core, requiredString(request(input), 'ModelName', NAME));
  return json(model);
};

export const describeTransformJob: SageMakerOp = (core, input) => {
  const name = requiredString(request(input), 'TransformJobName', NAME);
  const job = core.world.transformJobs.get(name);
  if (!job) throw new ServiceFault('ResourceNotFound', `Could not find requested job with name ${name}`);
  return transformJobView(job);
};

export function transformJobView(job: TransformJobRecord): JsonObject {
  const { pending: _pending, ...view } = job;
  return json(view);
}

export const deleteEndpoint: SageMakerOp = (core, input) => {
  const endpoint = endpointOf(core, requiredString(request(input), 'EndpointName', NAME));
  const now = core.now();
  endpoint.EndpointStatus = 'Deleting';
  endpoint.LastModifiedTime = iso(now);
  endpoint.pending = { step: 'delete', dueAt: now + Math.ceil(core.transitionMs / 3) };
  return {};
};

export const deleteEndpointConfig: SageMakerOp = (core, input) => {
  const config = configOf(core, requiredString(request(input), 'EndpointConfigName', NAME));
  core.world.endpointConfigs.delete(config.EndpointConfigName);
  return {};
};

export const deleteModel: SageMakerOp = (core, input) => {
  const model = modelOf(core, requiredString(request(input), 'ModelName', NAME));
  core.world.models.delete(model.ModelName);
  return {};
};

const STATUSES = [
  'OutOfService',
  'Creating',
  'Updating',
  'SystemUpdating',
  'RollingBack',
  'InService',
  'Deleting',
  'Failed',
];

export const listEndpoints: SageMakerOp = (core, input) => {
  const req = request(input);
  const contains = optionalString(req, 'NameContains');
  const status = optionalString(req, 'StatusEquals');
  if (status !== undefined && !STATUSES.includes(status))
    throw constraint('StatusEquals', status, `Member must satisfy enum value set: [${STATUSES.join(', ')}]`);
  const ascending = req.SortOrder === 'Ascending';
  const byName = req.SortBy === 'Name';
  const endpoints = [...core.world.endpoints.values()]
    .filter(
      (e) =>
        (contains === undefined || e.EndpointName.includes(contains)) &&
        (!status || e.EndpointStatus === status),
    )
    .sort((a, b) => {
      const order = byName
        ? a.EndpointName.localeCompare(b.EndpointName)
        : a.CreationTime.localeCompare(b.CreationTime);
      return ascending ? order : -order;
    })
    .map((e) => ({
      EndpointName: e.EndpointName,
      EndpointArn: e.EndpointArn,
      CreationTime: e.CreationTime,
      LastModifiedTime: e.LastModifiedTime,
      EndpointStatus: e.EndpointStatus,
    }));
  return { Endpoints: endpoints };
};

// ---------------------------------------------------------------------------------------------
// Time passing

/** Earliest due time of anything under way on the SageMaker side. */
export function nextSageMakerDue(core: TargetsCore): number | undefined {
  let next: number | undefined;
  for (const e of core.world.endpoints.values())
    if (e.pending) next = Math.min(next ?? Infinity, e.pending.dueAt);
  for (const j of core.world.transformJobs.values())
    if (j.pending) next = Math.min(next ?? Infinity, j.pending.dueAt);
  return next;
}

/** Applies every step that is due (catching up in order after a restart); true if anything changed. */
export function advanceSageMaker(core: TargetsCore): boolean {
  let changed = false;
  const now = core.now();
  for (const endpoint of [...core.world.endpoints.values()]) {
    while (endpoint.pending && endpoint.pending.dueAt <= now) {
      stepEndpoint(core, endpoint);
      changed = true;
    }
  }
  for (const job of core.world.transformJobs.values()) {
    const pending = job.pending;
    if (!pending || pending.dueAt > now) continue;
    job.TransformJobStatus = pending.failureReason ? 'Failed' : 'Completed';
    if (pending.failureReason) job.FailureReason = pending.failureReason;
    job.TransformEndTime = iso(pending.dueAt);
    delete job.pending;
    changed = true;
  }
  return changed;
}

function stepEndpoint(core: TargetsCore, endpoint: EndpointRecord): void {
  const pending = endpoint.pending;
  if (!pending) return;
  const at = pending.dueAt;
  endpoint.LastModifiedTime = iso(at);
  switch (pending.step) {
    case 'create':
      delete endpoint.pending;
      if (pending.failureReason) {
        endpoint.EndpointStatus = 'Failed';
        endpoint.FailureReason = pending.failureReason;
      } else {
        endpoint.EndpointStatus = 'InService';
      }
      return;
    case 'provision': {
      if (pending.failureReason) {
        delete endpoint.pending;
        endpoint.EndpointStatus = 'InService';
        endpoint.FailureReason = pending.failureReason;
        return;
      }
      endpoint.pending = {
        step: 'bake',
        dueAt: at + pending.bakeMs,
        configName: pending.configName,
        startedAt: pending.startedAt,
        alarms: pending.alarms,
      };
      if (pending.raiseAlarm) {
        core.setAlarmState(
          pending.raiseAlarm,
          'ALARM',
          `Threshold Crossed: injected fault while ${endpoint.EndpointName} was baking`,
          true,
        );
      }
      // setAlarmState may have started the rollback already; otherwise look at the alarms as they are.
      if (endpoint.pending?.step === 'bake') checkBake(core, endpoint, at);
      return;
    }
    case 'bake':
      if (checkBake(core, endpoint, at)) return;
      delete endpoint.pending;
      endpoint.EndpointStatus = 'InService';
      endpoint.EndpointConfigName = pending.configName;
      delete endpoint.FailureReason;
      return;
    case 'rollback':
      delete endpoint.pending;
      endpoint.EndpointStatus = pending.fails ? 'UpdateRollbackFailed' : 'InService';
      endpoint.FailureReason = pending.fails
        ? `${pending.failureReason} The rollback failed: the endpoint serves a mix of both endpoint configs.`
        : pending.failureReason;
      return;
    case 'delete':
      delete endpoint.pending;
      core.world.endpoints.delete(endpoint.EndpointName);
      return;
  }
}

/** Starts the rollback if an alarm of the baking update is in ALARM; true if it did. */
function checkBake(core: TargetsCore, endpoint: EndpointRecord, at: number): boolean {
  const pending = endpoint.pending;
  if (pending?.step !== 'bake') return false;
  const firing = pending.alarms.find((name) => core.world.alarms.get(name)?.StateValue === 'ALARM');
  if (!firing) return false;
  endpoint.EndpointStatus = 'RollingBack';
  endpoint.LastModifiedTime = iso(at);
  endpoint.pending = {
    step: 'rollback',
    dueAt: at + Math.ceil(core.transitionMs / 2),
    failureReason:
      `Rolled back to endpoint config ${endpoint.EndpointConfigName}: CloudWatch alarm ${firing} went into ALARM ` +
      `state while endpoint config ${pending.configName} was baking.`,
  };
  if (core.failsAt('updateRollback', [endpoint.EndpointName, pending.configName]))
    endpoint.pending.fails = true;
  return true;
}

/** An alarm went into ALARM: endpoints baking under it roll back now. */
export function rollBackOnAlarm(core: TargetsCore, alarm: string): boolean {
  let changed = false;
  for (const endpoint of core.world.endpoints.values()) {
    const pending = endpoint.pending;
    if (pending?.step === 'bake' && pending.alarms.includes(alarm)) {
      changed = checkBake(core, endpoint, core.now()) || changed;
    }
  }
  return changed;
}
