import { fileURLToPath } from 'node:url';
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type FunctionGroup, functionGroups, routes } from '../../functions/http/routes.ts';
import type { Artifacts } from './artifacts.ts';
import type { StewardContext } from './context.ts';
import type { Data } from './data.ts';
import { ServiceFunction } from './service-function.ts';

/**
 * What a function group may touch. `registry`: read and write table items; `registry-read`: read
 * them only (both with the key that signs list cursors); `artifacts`: upload and read artifacts.
 */
type Access = 'registry' | 'registry-read' | 'artifacts';

/** One line per function group: its entry is `functions/http/<group>.ts`; this says what it may touch. */
export const groupAccess: Record<FunctionGroup, readonly Access[]> = {
  meta: [],
  models: ['registry'],
  versions: ['registry', 'artifacts'],
  aliases: ['registry'],
  lineage: ['registry'],
  audit: ['registry-read'],
  environments: ['registry'],
  inventory: ['registry-read'],
};

export interface ApiProps {
  readonly data: Data;
  readonly artifacts: Artifacts;
  readonly settings: StewardContext;
}

const entryOf = (group: FunctionGroup): string =>
  fileURLToPath(new URL(`../../functions/http/${group}.ts`, import.meta.url));

/** `/v1/models/{model}/versions/{version}` -> the names of its path parameters. */
const pathParameters = (path: string): string[] => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);

/**
 * The REST API, built from the route table in `functions/http/routes.ts`: one function per group,
 * IAM (SigV4) authorization on every route the table marks `iam`, Lambda proxy integrations.
 */
export class Api extends Construct {
  readonly restApi: apigw.RestApi;
  readonly functions: Readonly<Record<FunctionGroup, ServiceFunction>>;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { settings } = props;

    this.functions = Object.fromEntries(
      functionGroups.map((group) => [group, this.serviceFunction(group, groupAccess[group], props)]),
    ) as Record<FunctionGroup, ServiceFunction>;

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.restApi = new apigw.RestApi(this, 'RestApi', {
      description: 'Steward: model registry API',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Access and execution logging need the account's API Gateway CloudWatch role. It is an
      // account-wide setting other APIs rely on too, so it outlives this stack.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: 'prod',
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: settings.apiThrottling.rateLimit,
        throttlingBurstLimit: settings.apiThrottling.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: apigw.AccessLogField.contextRequestId(),
            extendedRequestId: apigw.AccessLogField.contextExtendedRequestId(),
            requestTime: apigw.AccessLogField.contextRequestTime(),
            httpMethod: apigw.AccessLogField.contextHttpMethod(),
            resourcePath: apigw.AccessLogField.contextResourcePath(),
            path: apigw.AccessLogField.contextPath(),
            status: apigw.AccessLogField.contextStatus(),
            protocol: apigw.AccessLogField.contextProtocol(),
            responseLength: apigw.AccessLogField.contextResponseLength(),
            responseLatency: apigw.AccessLogField.contextResponseLatency(),
            integrationLatency: apigw.AccessLogField.contextIntegrationLatency(),
            integrationStatus: apigw.AccessLogField.contextIntegrationStatus(),
            sourceIp: apigw.AccessLogField.contextIdentitySourceIp(),
            userAgent: apigw.AccessLogField.contextIdentityUserAgent(),
            caller: apigw.AccessLogField.contextIdentityCaller(),
            userArn: apigw.AccessLogField.contextIdentityUserArn(),
            errorType: apigw.AccessLogField.contextErrorResponseType(),
            errorMessage: apigw.AccessLogField.contextErrorMessage(),
            xrayTraceId: apigw.AccessLogField.contextXrayTraceId(),
          }),
        ),
      },
    });

    // Basic validation (required path parameters); bodies are validated by the handlers' schemas.
    const requestValidator = this.restApi.addRequestValidator('RequestValidator', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    const integrations = Object.fromEntries(
      Object.entries(this.functions).map(([group, fn]) => [
        group,
        new apigw.LambdaIntegration(fn.fn, { proxy: true, allowTestInvoke: false }),
      ]),
    ) as Record<FunctionGroup, apigw.LambdaIntegration>;

    for (const route of routes) {
      const resource = this.restApi.root.resourceForPath(route.path);
      const method = resource.addMethod(route.method, integrations[route.fn], {
        operationName: route.operationId,
        authorizationType: route.auth === 'iam' ? apigw.AuthorizationType.IAM : apigw.AuthorizationType.NONE,
        requestValidator,
        requestParameters: Object.fromEntries(
          pathParameters(route.path).map((name) => [`method.request.path.${name}`, true]),
        ),
      });
      const cfnMethod = method.node.defaultChild as apigw.CfnMethod;
      if (route.auth === 'iam') {
        Validations.of(cfnMethod).acknowledge({
          id: 'AwsSolutions-COG4',
          reason:
            'Callers are IAM principals (CI roles, SSO users); the method uses IAM (SigV4) authorization.',
        });
      } else {
        Validations.of(cfnMethod).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${route.method} ${route.path} is public by design (route table: auth "none").`,
        });
        Validations.of(cfnMethod).acknowledge({
          id: 'AwsSolutions-COG4',
          reason: `${route.method} ${route.path} is public by design (route table: auth "none").`,
        });
      }
    }

    const cloudWatchRole = this.restApi.node.findChild('CloudWatchRole');
    Validations.of(cloudWatchRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'The account-level API Gateway logging role; AWS maintains this policy for exactly that purpose ' +
        'and API Gateway writes to log groups whose names it chooses at run time.',
    });
    Validations.of(this.restApi.deploymentStage.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'Every /v1 route but health requires SigV4, and the stage is throttled; a WAF web ACL is left ' +
        'to the deploying account (it is billed per ACL and rule).',
    });
  }

  private serviceFunction(group: FunctionGroup, access: readonly Access[], props: ApiProps): ServiceFunction {
    const { data, artifacts, settings } = props;
    const environment: Record<string, string> = {
      STEWARD_MODE: 'aws',
      TABLE_NAME: data.table.tableName,
      CURSOR_SECRET_ARN: data.cursorSecret.secretArn,
      STEWARD_ROLES: JSON.stringify(settings.stewardRoles),
    };
    if (access.includes('artifacts')) {
      environment['ARTIFACTS_BUCKET'] = artifacts.bucket.bucketName;
      environment['S3_CHECKSUMS'] = 'true';
    }
    const fn = new ServiceFunction(this, `${group[0]!.toUpperCase()}${group.slice(1)}Function`, {
      entry: entryOf(group),
      description: `Steward API: ${group}`,
      environment,
      invocation: 'synchronous',
    });
    if (access.includes('registry')) data.grantItemReadWrite(fn);
    if (access.includes('registry-read')) data.grantItemRead(fn);
    if (access.includes('registry') || access.includes('registry-read')) data.grantCursorSecretRead(fn);
    if (access.includes('artifacts')) {
      artifacts.grantUploadAndRead(fn);
      fn.acknowledgePolicyFinding(
        artifacts.objectsWildcardFinding(),
        'Object keys are made per model and version at run time; the grant covers this bucket only.',
      );
    }
    return fn;
  }
}
