import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage, Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { type FunctionEnvironment, METRICS } from '../../functions/commons/facts.ts';
import { LAMBDA_ENTRY, LAMBDA_NODE_MAJOR, lambdaBuild } from './bundling.ts';

/**
 * Actions whose service has no resource type to name (X-Ray, task-token callbacks), so the only
 * valid resource is `*`; granted with the reason, which the function's cdk-nag acknowledgement says.
 */
export interface UnscopedGrant {
  readonly actions: readonly string[];
  readonly reason: string;
}

const definedOnly = (environment: Readonly<FunctionEnvironment>): Record<string, string> =>
  Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== undefined));

export interface ServiceFunctionProps {
  /** Absolute path of the entry file. */
  readonly entry: string;
  /** The entry's export that handles invocations. @default 'handler' */
  readonly handler?: string;
  readonly description: string;
  /** Only names a function reads (functions/commons/facts.ts): a stray or misspelt one fails the build. */
  readonly environment?: Readonly<FunctionEnvironment>;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /**
   * `synchronous`: only ever invoked request/response (API Gateway), so a failure goes back to the
   * caller and there is no event to park in a dead-letter queue.
   * `dynamodb-stream`: invoked by an event source mapping on the table's stream, whose on-failure
   * destination receives what keeps failing (a function DLQ only serves asynchronous invocations).
   * `state-machine`: only ever invoked request/response by a Step Functions task, whose Retry and
   * Catch handle a failure; there is no event to park either.
   */
  readonly invocation: 'synchronous' | 'dynamodb-stream' | 'state-machine' | 'eventbridge';
  /**
   * `eventbridge` (an asynchronous invocation by a rule): where an event lands after the function's
   * retries failed; required for that invocation, which has no caller to report to.
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Reserved concurrency: a ceiling that also keeps that many executions free for this function
   * whatever the rest of the account does. Undefined: the account's shared pool.
   */
  readonly reservedConcurrency?: number;
  /** Grants on `*` beyond X-Ray's, each with why `*` is the only valid resource. */
  readonly unscopedGrants?: readonly UnscopedGrant[];
}

const DLQ_REASONS: Record<Exclude<ServiceFunctionProps['invocation'], 'eventbridge'>, string> = {
  synchronous: 'Invoked synchronously by API Gateway only: errors return to the caller, nothing is queued.',
  'dynamodb-stream':
    'Invoked by a DynamoDB stream event source mapping only; records that keep failing go to ' +
    "the mapping's on-failure queue, and a function DLQ would only serve asynchronous invocations.",
  'state-machine':
    'Invoked synchronously (request/response) by a Step Functions task only: the state machine ' +
    "retries and catches the task's errors, nothing is queued.",
};

/**
 * Why a function shares the account's concurrency pool instead of reserving some: a reservation
 * is taken from every other function of the account for good, and fails the deployment in an
 * account with a low concurrency quota. The one public entry (approval links) reserves its own.
 */
const CONCURRENCY_REASONS: Record<ServiceFunctionProps['invocation'], string> = {
  synchronous:
    'Behind the SigV4-authorized main API, whose stage throttling (context apiThrottling) bounds ' +
    'concurrency; a reservation would take capacity from every other function of the account.',
  'dynamodb-stream':
    "Invoked by the table stream's event source mapping, whose concurrency is bounded by the " +
    "stream's shards (one batch per shard at a time); a reservation would only idle capacity.",
  'state-machine':
    'Invoked by a Step Functions task of a Steward workflow, whose executions (and Map concurrency) ' +
    'bound it; a reservation would take capacity from every other function of the account.',
  eventbridge:
    'Invoked by an EventBridge rule for Steward executions that end, at most one event per execution; ' +
    'a reservation would take capacity from every other function of the account.',
};

const RUNTIME = lambda.Runtime.NODEJS_24_X;
if (RUNTIME.name !== `nodejs${LAMBDA_NODE_MAJOR}.x`)
  throw new Error(
    `infra/aws/bundling.ts targets Node ${LAMBDA_NODE_MAJOR}, the functions run ${RUNTIME.name}`,
  );

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A function's code: esbuild with the options of infra/aws/bundling.ts, run in the synth process
 * (no Docker), into the asset's folder. Like NodejsFunction's, the asset is the project root bundled,
 * hashed by its output; a synth that skips bundling (the infra tests) builds nothing.
 */
const functionCode = (entry: string): lambda.Code =>
  lambda.Code.fromAsset(PROJECT_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: the local bundling below always succeeds or throws.
      image: DockerImage.fromRegistry('dummy'),
      // Part of the key the CDK caches bundled assets by (the function below is not): without it
      // every function would get the first one's code.
      environment: { STEWARD_ENTRY: relative(PROJECT_ROOT, entry) },
      local: {
        tryBundle(outputDir: string): boolean {
          buildSync({
            ...lambdaBuild({ root: PROJECT_ROOT, entry, outdir: outputDir, sourcemap: true }),
            logLevel: 'warning',
          });
          return true;
        },
      },
    },
  });

/** Runtime, architecture, tracing, logging and bundling defaults for every Steward function. */
export class ServiceFunction extends Construct implements iam.IGrantable {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS });
    // An own role instead of the default one with the AWSLambdaBasicExecutionRole managed policy:
    // it may write to this function's log group and nothing else.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description}: execution role`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new lambda.Function(this, 'Function', {
      code: functionCode(props.entry),
      handler: `${LAMBDA_ENTRY}.${props.handler ?? 'handler'}`,
      description: props.description,
      runtime: RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrency,
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      environment: {
        POWERTOOLS_SERVICE_NAME: METRICS.service,
        POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
        NODE_OPTIONS: '--enable-source-maps',
        ...definedOnly(props.environment ?? {}),
      },
    });

    for (const grant of props.unscopedGrants ?? []) {
      iam.Grant.addToPrincipal({ grantee: this.role, actions: [...grant.actions], resourceArns: ['*'] });
    }
    // Tracing.ACTIVE adds xray:PutTraceSegments and xray:PutTelemetryRecords on '*'; a stream event
    // source adds dynamodb:ListStreams on '*'.
    const wildcardReasons = [
      props.invocation === 'dynamodb-stream'
        ? 'X-Ray PutTraceSegments/PutTelemetryRecords and dynamodb:ListStreams (needed by the stream ' +
          'event source mapping) have no resource type; "*" is the only valid resource.'
        : 'X-Ray PutTraceSegments/PutTelemetryRecords have no resource type; "*" is the only valid resource.',
      ...(props.unscopedGrants ?? []).map((grant) => grant.reason),
    ];
    this.acknowledgePolicyFinding('AwsSolutions-IAM5[Resource::*]', wildcardReasons.join(' '));
    const cfnFunction = this.fn.node.defaultChild as lambda.CfnFunction;
    if (props.invocation === 'eventbridge') {
      if (!props.deadLetterQueue)
        throw new Error(`${id}: a function an EventBridge rule invokes needs a DLQ`);
    } else {
      Validations.of(cfnFunction).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason: DLQ_REASONS[props.invocation],
      });
      Validations.of(cfnFunction).acknowledge({
        id: 'NIST.800.53.R5-LambdaDLQ',
        reason: DLQ_REASONS[props.invocation],
      });
    }
    Validations.of(cfnFunction).acknowledge({
      id: 'NIST.800.53.R5-LambdaInsideVPC',
      reason:
        'Steward functions reach only AWS service APIs (DynamoDB, S3, KMS, Step Functions, SES, ' +
        'CloudWatch, Secrets Manager) over TLS with IAM authorization, and no private network resource: ' +
        'a VPC would add NAT or eight interface endpoints per AZ to cost and operations and no data path.',
    });
    if (props.reservedConcurrency === undefined)
      Validations.of(cfnFunction).acknowledge({
        id: 'NIST.800.53.R5-LambdaConcurrency',
        reason: CONCURRENCY_REASONS[props.invocation],
      });
  }

  /** Acknowledges a cdk-nag finding on this function's IAM policy, where every grant lands. */
  acknowledgePolicyFinding(id: string, reason: string): void {
    Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({ id, reason });
  }

  get grantPrincipal(): iam.IPrincipal {
    return this.role;
  }
}
