import { fileURLToPath } from 'node:url';
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type FunctionGroup, functionGroups, routes } from '../../functions/http/routes.ts';
import { type ApprovalWorkflow, taskResponses } from './approvals.ts';
import type { Artifacts } from './artifacts.ts';
import type { StewardContext } from './context.ts';
import type { Data, TableIndex } from './data.ts';
import { ServiceFunction } from './service-function.ts';

/**
 * What a function group may touch. `registry`: read and write table items; `registry-read`: read
 * them only (both with the key that signs list cursors); `artifacts`: upload and read artifacts;
 * `approval-start`: start approval workflows; `approval-answer`: unseal a group's task token and
 * answer its callback task.
 */
type Access = 'registry' | 'registry-read' | 'artifacts' | 'approval-start' | 'approval-answer';

interface GroupNeeds {
  readonly access: readonly Access[];
  /** The table indexes its handlers query; the base table needs no mention. */
  readonly indexes?: readonly TableIndex[];
  /** Whether its handlers resolve environment policies, and so need the seeded ones. */
  readonly environments?: boolean;
}

/** One line per function group: its entry is `functions/http/<group>.ts`; this says what it may touch. */
export const groupNeeds: Record<FunctionGroup, GroupNeeds> = {
  meta: { access: [] },
  // listModels: gsi1.
  models: { access: ['registry'], indexes: ['gsi1'] },
  // Registration checks the target environment's policy (reproducibility).
  versions: { access: ['registry', 'artifacts'], environments: true },
  aliases: { access: ['registry'] },
  lineage: { access: ['registry'] },
  // By model: the table; by actor: gsi1; by day: gsi2.
  audit: { access: ['registry-read'], indexes: ['gsi1', 'gsi2'] },
  // Stored policies are listed through gsi1.
  environments: { access: ['registry'], indexes: ['gsi1'], environments: true },
  // listModels: gsi1.
  inventory: { access: ['registry-read'], indexes: ['gsi1'] },
  // A request resolves its environment's policy; listApprovalsOfVersion queries gsi1. A decision
  // through the API answers the group's task.
  approvals: {
    access: ['registry', 'approval-start', 'approval-answer'],
    indexes: ['gsi1'],
    environments: true,
  },
  // The CSRF token is an HMAC under the cursor key; a decision answers the group's task.
  'approval-links': { access: ['registry', 'approval-answer'] },
};

/**
 * Why the public link methods need no authorizer: what they carry is the credential. Also the
 * reason the access log names the resource template, never the request path.
 */
const LINK_IS_THE_CREDENTIAL =
  "an approver's personal link from an email: the 256-bit secret in the path is the credential " +
  '(single-use, expiring, stored only as its SHA-256). GET and HEAD change nothing; POST decides only ' +
  'with a CSRF token bound to the secret. The methods are throttled tighter than the rest of the API.';

/** A group the route table gained but `groupNeeds` does not state fails the synth by name. */
const needsOf = (group: FunctionGroup): GroupNeeds => {
  const needs = (groupNeeds as Partial<Record<string, GroupNeeds>>)[group];
  if (!needs) throw new Error(`function group "${group}" has no entry in groupNeeds (infra/aws/api.ts)`);
  return needs;
};

export interface ApiProps {
  readonly data: Data;
  readonly artifacts: Artifacts;
  readonly approvals: ApprovalWorkflow;
  readonly settings: StewardContext;
}

/** The public routes whose path carries a secret (the approval links). */
export const linkRoutes = routes.filter((r) => r.auth === 'none' && r.secretParam !== undefined);

const entryOf = (group: FunctionGroup): string =>
  fileURLToPath(new URL(`../../functions/http/${group}.ts`, import.meta.url));

/** `/v1/models/{model}/versions/{version}` -> the names of its path parameters. */
const pathParameters = (path: string): string[] => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);

/** `approval-links` -> `ApprovalLinks`. */
const pascalCase = (name: string): string =>
  name
    .split('-')
    .map((part) => `${part[0]!.toUpperCase()}${part.slice(1)}`)
    .join('');

/**
 * The REST API, built from the route table in `functions/http/routes.ts`: one function per group,
 * IAM (SigV4) authorization on every route the table marks `iam`, Lambda proxy integrations. The
 * approval links are public and throttled on their own; the access log records the resource
 * template (`/v1/approval-links/{secret}`), never the path, so a link's secret never reaches a log.
 */
export class Api extends Construct {
  readonly restApi: apigw.RestApi;
  readonly functions: Readonly<Record<FunctionGroup, ServiceFunction>>;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { settings } = props;

    this.functions = Object.fromEntries(
      functionGroups.map((group) => [group, this.serviceFunction(group, needsOf(group), props)]),
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
        // A method's settings replace the stage's, so logging and metrics are restated.
        methodOptions: Object.fromEntries(
          linkRoutes.map((route) => [
            `${route.path}/${route.method}`,
            {
              throttlingRateLimit: settings.approvalLinkThrottling.rateLimit,
              throttlingBurstLimit: settings.approvalLinkThrottling.burstLimit,
              loggingLevel: apigw.MethodLoggingLevel.ERROR,
              dataTraceEnabled: false,
              metricsEnabled: true,
            },
          ]),
        ),
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: apigw.AccessLogField.contextRequestId(),
            extendedRequestId: apigw.AccessLogField.contextExtendedRequestId(),
            requestTime: apigw.AccessLogField.contextRequestTime(),
            httpMethod: apigw.AccessLogField.contextHttpMethod(),
            // The template, not $context.path: an approval link's path is its secret.
            resourcePath: apigw.AccessLogField.contextResourcePath(),
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
        const reason = linkRoutes.includes(route)
          ? `${route.method} ${route.path} is public: ${LINK_IS_THE_CREDENTIAL}`
          : `${route.method} ${route.path} is public by design (route table: auth "none").`;
        Validations.of(cfnMethod).acknowledge({ id: 'AwsSolutions-APIG4', reason });
        Validations.of(cfnMethod).acknowledge({ id: 'AwsSolutions-COG4', reason });
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
        'Every /v1 route but health and the approval links requires SigV4, the stage is throttled and ' +
        'the links more tightly; a WAF web ACL is left to the deploying account (it is billed per ACL ' +
        'and rule).',
    });
  }

  private serviceFunction(group: FunctionGroup, needs: GroupNeeds, props: ApiProps): ServiceFunction {
    const { data, artifacts, approvals, settings } = props;
    const { access, indexes = [] } = needs;
    const environment: Record<string, string> = {
      STEWARD_MODE: 'aws',
      TABLE_NAME: data.table.tableName,
      CURSOR_SECRET_ARN: data.cursorSecret.secretArn,
      STEWARD_ROLES: JSON.stringify(settings.stewardRoles),
    };
    if (needs.environments)
      environment['STEWARD_ENVIRONMENTS'] = JSON.stringify(settings.stewardEnvironments);
    if (access.includes('artifacts')) {
      environment['ARTIFACTS_BUCKET'] = artifacts.bucket.bucketName;
      environment['S3_CHECKSUMS'] = 'true';
    }
    if (access.includes('approval-start'))
      environment['APPROVAL_STATE_MACHINE_ARN'] = approvals.stateMachine.stateMachineArn;
    if (access.includes('approval-answer')) environment['TOKEN_KEY_ID'] = approvals.tokenKey.keyArn;
    const fn = new ServiceFunction(this, `${pascalCase(group)}Function`, {
      entry: entryOf(group),
      description: `Steward API: ${group}`,
      environment,
      invocation: 'synchronous',
      unscopedGrants: access.includes('approval-answer')
        ? [taskResponses("a decision answers its group's callback task with the token the workflow kept.")]
        : [],
    });
    if (access.includes('registry')) data.grantItemReadWrite(fn, indexes);
    if (access.includes('registry-read')) data.grantItemRead(fn, indexes);
    if (access.includes('registry') || access.includes('registry-read')) data.grantCursorSecretRead(fn);
    if (access.includes('artifacts')) {
      artifacts.grantUploadAndRead(fn);
      fn.acknowledgePolicyFinding(
        artifacts.objectsWildcardFinding(),
        'Object keys are made per model and version at run time; the grant covers this bucket only.',
      );
    }
    if (access.includes('approval-start')) approvals.grantStart(fn);
    if (access.includes('approval-answer')) approvals.grantTokenDecrypt(fn);
    return fn;
  }
}
