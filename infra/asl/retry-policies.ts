import type { Retrier } from './asl.ts';

/**
 * One retry policy per kind of integration, naming only errors that integration can raise, as the
 * Step Functions developer guide names them:
 *
 * - `lambda:invoke` of Steward's own functions: the transient Lambda service exceptions of "Handle
 *   Lambda service exceptions" (bp-lambda-serviceexception): `Lambda.ClientExecutionTimeoutException`,
 *   `Lambda.ServiceException`, `Lambda.AWSLambdaException`, `Lambda.SdkClientException`, and
 *   `Lambda.TooManyRequestsException` ("when Lambda hits the maximum number of invocations").
 * - AWS SDK integrations (`aws-sdk:<service>:<action>`): "ServiceName.ErrorName", both in
 *   PascalCase, with the `Exception` suffix added even where the service's own name lacks it
 *   (supported-services-awssdk). A throttle is unmodeled for SageMaker and CloudWatch (wire codes
 *   `ThrottlingException`, `Throttling`), so it is named `<Service>.ThrottlingException` by that
 *   rule; the SDK underneath raises an unmodeled error as the service's base exception
 *   (`SageMaker.SageMakerException`, `CloudWatch.CloudWatchException`, `Lambda.LambdaException`).
 *   The guide does not say which of the two spellings a throttle surfaces as, so both are retried.
 * - Optimized SageMaker integrations (`sagemaker:<action>`): an unmodeled error (throttle,
 *   validation, internal failure) surfaces as `SageMaker.AmazonSageMakerException`, a modeled one
 *   as `SageMaker.<Shape>Exception`; of those only the throttle and the internal failure are
 *   transient, and they cannot be told apart by name, so the base exception is retried a few times
 *   (a validation error then fails after those few attempts, and goes to the state's Catch).
 *
 * No integration retries another service's errors: a SageMaker task never names a Lambda error.
 */
export type SdkService = 'sagemaker' | 'lambda' | 'cloudwatch';
export type IntegrationKind = 'lambda-invoke' | 'sagemaker' | `sdk-${SdkService}`;

/** The PascalCase service name of an SDK integration's errors (`SageMaker.`, `CloudWatch.`). */
export const SDK_ERROR_PREFIX: Record<SdkService, string> = {
  sagemaker: 'SageMaker',
  lambda: 'Lambda',
  cloudwatch: 'CloudWatch',
};

const backoff = (errors: readonly string[], maxAttempts: number): Retrier => ({
  ErrorEquals: errors,
  IntervalSeconds: 2,
  MaxAttempts: maxAttempts,
  BackoffRate: 2,
  MaxDelaySeconds: 20,
  JitterStrategy: 'FULL',
});

const POLICIES: Record<IntegrationKind, readonly Retrier[]> = {
  'lambda-invoke': [
    backoff(
      [
        'Lambda.ClientExecutionTimeoutException',
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
        'Lambda.TooManyRequestsException',
      ],
      5,
    ),
  ],
  'sdk-lambda': [
    backoff(
      [
        'Lambda.TooManyRequestsException',
        'Lambda.ServiceException',
        // An update of the function (code, configuration) still in progress: it clears by itself.
        'Lambda.ResourceConflictException',
        'Lambda.LambdaException',
      ],
      5,
    ),
  ],
  'sdk-sagemaker': [backoff(['SageMaker.ThrottlingException', 'SageMaker.SageMakerException'], 5)],
  'sdk-cloudwatch': [backoff(['CloudWatch.ThrottlingException', 'CloudWatch.CloudWatchException'], 5)],
  sagemaker: [backoff(['SageMaker.AmazonSageMakerException'], 4)],
};

export const retryPolicy = (kind: IntegrationKind): readonly Retrier[] => POLICIES[kind];

/**
 * Every spelling a throttle of each integration may surface as (see above): the fault matrix
 * (infra/local/fault-matrix.ts) injects each one, so every spelling is shown to be retried.
 */
export const THROTTLE_NAMES: Record<IntegrationKind, readonly string[]> = {
  'lambda-invoke': ['Lambda.TooManyRequestsException'],
  'sdk-lambda': ['Lambda.TooManyRequestsException'],
  'sdk-sagemaker': ['SageMaker.ThrottlingException', 'SageMaker.SageMakerException'],
  'sdk-cloudwatch': ['CloudWatch.ThrottlingException', 'CloudWatch.CloudWatchException'],
  sagemaker: ['SageMaker.AmazonSageMakerException'],
};
