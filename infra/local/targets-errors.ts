import { randomUUID } from 'node:crypto';

/**
 * Errors of the simulated targets, named as Step Functions names them on AWS so that the same
 * `Retry` / `Catch` clauses match in both places:
 * - optimized SageMaker integrations (`arn:aws:states:::sagemaker:*`, Java SDK v1 underneath):
 *   `SageMaker.AmazonSageMakerException` for an unmodeled error such as `ValidationException`,
 *   `SageMaker.<Shape>Exception` for a modeled one (`SageMaker.ResourceLimitExceededException`);
 *   the Cause reads `<message> (Service: AmazonSageMaker; Status Code: 400; Error Code: <code>; ...)`.
 * - AWS SDK integrations (`arn:aws:states:::aws-sdk:<service>:*`, Java SDK v2): `<Service>.<Exception>`
 *   for modeled errors (`Lambda.ResourceNotFoundException`, `SageMaker.ResourceNotFoundException`),
 *   the service's base exception for unmodeled ones: SageMaker's `ValidationException` (e.g. "Could
 *   not find endpoint") surfaces as `SageMaker.SageMakerException`.
 */

export type Flavor = 'sagemaker' | 'sagemaker-sdk' | 'lambda-sdk' | 'cloudwatch-sdk';

/** An error as the service answers it: its wire error code, message and HTTP status. */
export class ServiceFault extends Error {
  override readonly name = 'ServiceFault';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** SageMaker's modeled errors (wire code -> Java exception class); every other code is unmodeled. */
const SAGEMAKER_MODELED: Record<string, string> = {
  ResourceNotFound: 'ResourceNotFoundException',
  ResourceLimitExceeded: 'ResourceLimitExceededException',
  ResourceInUse: 'ResourceInUseException',
  ConflictException: 'ConflictException',
};

const LAMBDA_MODELED = new Set([
  'ResourceNotFoundException',
  'ResourceConflictException',
  'InvalidParameterValueException',
  'PreconditionFailedException',
  'CodeStorageExceededException',
  'TooManyRequestsException',
  'ServiceException',
]);

const CLOUDWATCH_MODELED: Record<string, string> = {
  InvalidParameterValue: 'InvalidParameterValueException',
  InvalidParameterCombination: 'InvalidParameterCombinationException',
  InvalidNextToken: 'InvalidNextTokenException',
};

/** The States error name a fault surfaces as through the given kind of integration. */
export function errorName(flavor: Flavor, code: string): string {
  switch (flavor) {
    case 'sagemaker':
      return `SageMaker.${SAGEMAKER_MODELED[code] ?? 'AmazonSageMakerException'}`;
    case 'sagemaker-sdk':
      return `SageMaker.${SAGEMAKER_MODELED[code] ?? 'SageMakerException'}`;
    case 'lambda-sdk':
      return `Lambda.${LAMBDA_MODELED.has(code) ? code : 'LambdaException'}`;
    case 'cloudwatch-sdk':
      return `CloudWatch.${CLOUDWATCH_MODELED[code] ?? 'CloudWatchException'}`;
  }
}

/** What a handler throws: `name` is the States error, `message` the Cause, as on AWS. */
export class TargetError extends Error {
  constructor(
    name: string,
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = name;
  }
}

export function toTargetError(flavor: Flavor, fault: ServiceFault): TargetError {
  const requestId = randomUUID();
  const cause =
    flavor === 'sagemaker'
      ? `${fault.message} (Service: AmazonSageMaker; Status Code: ${fault.status}; Error Code: ${fault.code}; Request ID: ${requestId}; Proxy: null)`
      : `${fault.message} (Service: ${SERVICE[flavor]}, Status Code: ${fault.status}, Request ID: ${requestId})`;
  return new TargetError(errorName(flavor, fault.code), cause, fault.code);
}

const SERVICE: Record<Flavor, string> = {
  sagemaker: 'AmazonSageMaker',
  'sagemaker-sdk': 'SageMaker',
  'lambda-sdk': 'Lambda',
  'cloudwatch-sdk': 'CloudWatch',
};

/** `1 validation error detected: ...` as the AWS JSON protocols word a constraint violation. */
export function constraint(field: string, value: unknown, rule: string): ServiceFault {
  const shown = value === undefined || value === null ? 'null' : `'${String(value)}'`;
  const path = field.replace(/(^|\.)([A-Z])/g, (_m, dot: string, c: string) => dot + c.toLowerCase());
  return new ServiceFault(
    'ValidationException',
    `1 validation error detected: Value ${shown} at '${path}' failed to satisfy constraint: ${rule}`,
  );
}
