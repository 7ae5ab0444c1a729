import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type FunctionGroup, functionGroups, type Route, routes } from '../../functions/api/routes.ts';
import {
  API_FUNCTION_TIMEOUT_SECONDS,
  type FunctionEnvironment,
  type RoleRule,
  S3_PREFIX,
} from '../../functions/commons/facts.ts';
import { type ApprovalWorkflow, taskResponses } from './approvals.ts';
import type { Artifacts } from './artifacts.ts';
import type { StewardContext } from './context.ts';
import type { Data, TableIndex } from './data.ts';
import type { DeploymentWorkflow } from './deployments.ts';
import { type DriftWorkflow, targetMetricsRead } from './drift.ts';
import type { Monitoring } from './monitoring.ts';
import type { RegistrationWorkflow } from './registrations.ts';
import { ServiceFunction } from './service-function.ts';
import { RateLimitedWebAcl } from './waf.ts';

/**
 * What a function group may touch. `registry`: read and write table items; `registry-read`: read
 * them only (both with the key that signs list cursors); `artifacts`: upload and read artifacts;
 * `approval-start`: start approval workflows; `approval-answer`: unseal a group's task token and
 * answer its callback task; `deployment-start`: start deployment workflows; `drift`: build
 * baselines and run drift (datasets, captured data, baselines and reports, the targets' metrics);
 * `drift-alarms`: make and remove drift alarms that notify the drift topic; `reports-read`: read
 * the drift reports (their figures) under reports/.
 */
type Access =
  | 'registry'
  | 'registry-read'
  | 'artifacts'
  | 'approval-start'
  | 'registration-start'
  | 'artifacts-read'
  | 'approval-answer'
  | 'deployment-start'
  | 'drift'
  | 'baselines'
  | 'drift-alarms'
  | 'reports-read';

interface GroupNeeds {
  readonly access: readonly Access[];
  /** The table indexes its handlers query; the base table needs no mention. */
  readonly indexes?: readonly TableIndex[];
  /** Whether its handlers resolve environment policies, and so need the seeded ones. */
  readonly environments?: boolean;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** Whether it reserves concurrency (context approvalLinkConcurrency): the public entry does. */
  readonly reservesConcurrency?: boolean;
}

/**
 * API Gateway ends an integration after 29 seconds with a 504 of its own. A function that may run
 * as long would answer nobody and keep working (and writing) after the caller was told it failed;
 * stopping a few seconds earlier lets its own timeout be the one that fires.
 */
export const API_GATEWAY_INTEGRATION_TIMEOUT = Duration.seconds(29);
export const API_FUNCTION_TIMEOUT_MAX = Duration.seconds(API_FUNCTION_TIMEOUT_SECONDS);

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
    // By version: gsi1; pending across models (the inbox): gsi2.
    indexes: ['gsi1', 'gsi2'],
    environments: true,
  },
  // The CSRF token is an HMAC under the cursor key; a decision answers the group's task.
  // The decision page finds what serves the environment now: listDeployments queries gsi1.
  'approval-links': { access: ['registry', 'approval-answer'], indexes: ['gsi1'], reservesConcurrency: true },
  // A deployment checks its environment's policy; listDeployments queries gsi1.
  deployments: { access: ['registry', 'deployment-start'], indexes: ['gsi1'], environments: true },
  // Baselines, monitors and drift runs are items of the base table (the dispatcher's gsi1 query is
  // the scheduled function's). A baseline streams a reference dataset: as long as API Gateway
  // waits, less a margin, and the memory of the scheduled run.
  monitoring: {
    access: ['registry', 'baselines', 'drift-alarms'],
    memorySize: 1024,
    timeout: API_FUNCTION_TIMEOUT_MAX,
  },
  // A drift run on request streams a window of captured data, as the scheduled run does (and with
  // its grants): as long as API Gateway waits, less a margin.
  'drift-runs': {
    access: ['registry', 'drift'],
    memorySize: 1024,
    timeout: API_FUNCTION_TIMEOUT_MAX,
  },
  // The evidence pack reads: the registry (approvals of a version and the model's deployments
  // through gsi1) and the drift reports' figures under reports/.
  evidence: { access: ['registry-read', 'reports-read'], indexes: ['gsi1'] },
  // The MLflow protocol: the registry's operations (listModels and listDeployments before a
  // delete: gsi1), presigned downloads (the artifact proxy), and starting the copy job.
  mlflow: { access: ['registry', 'artifacts-read', 'registration-start'], indexes: ['gsi1'] },
};

/**
 * Why the public link methods need no authorizer: what they carry is the credential. Also the
 * reason the links API neither traces nor logs request paths.
 */
const LINK_IS_THE_CREDENTIAL =
  "an approver's personal link from an email: the 256-bit secret in the path is the credential " +
  '(single-use, expiring, stored only as its SHA-256). GET and HEAD change nothing; POST decides only ' +
  'with a CSRF token bound to the secret. The links API is throttled tighter than the main API.';

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
  readonly deployments: DeploymentWorkflow;
  readonly drift: DriftWorkflow;
  readonly monitoring: Monitoring;
  readonly registrations: RegistrationWorkflow;
  readonly settings: StewardContext;
  /**
   * The console, when context deploys it: its origin gets CORS (and only it), and its group roles
   * come first in every function's `stewardRoles`.
   */
  readonly console?: { readonly origin: string; readonly roleRules: readonly RoleRule[] };
}

/**
 * The pages for people (the approval links): public, and their path carries a secret. They get an
 * API of their own, the links API, because API Gateway's X-Ray segments record the request URL.
 */
export const linkRoutes = routes.filter((r) => r.page === true);
/** Everything else: the main API, traced. */
export const apiRoutes = routes.filter((r) => r.page !== true);

/** Both APIs serve one stage; the URLs handed to functions are built from it. */
export const STAGE_NAME = 'prod';

const entryOf = (group: FunctionGroup): string =>
  fileURLToPath(new URL(`../../functions/http/${group}.ts`, import.meta.url));

/** `/v1/models/{model}/versions/{version}` -> the names of its path parameters. */
const pathParameters = (path: string): string[] =>
  // A greedy `{proxy+}` is the parameter `proxy`.
  [...path.matchAll(/\{([^}+]+)\+?\}/g)].map((m) => m[1]!);

/** `approval-links` -> `ApprovalLinks`. */
const pascalCase = (name: string): string =>
  name
    .split('-')
    .map((part) => `${part[0]!.toUpperCase()}${part.slice(1)}`)
    .join('');

/**
 * One JSON line per request. The resource template, never `$context.path`: on the links API the path
 * is an approval link's secret.
 */
const accessLogFormat = (): apigw.AccessLogFormat =>
  apigw.AccessLogFormat.custom(
    JSON.stringify({
      requestId: apigw.AccessLogField.contextRequestId(),
      extendedRequestId: apigw.AccessLogField.contextExtendedRequestId(),
      requestTime: apigw.AccessLogField.contextRequestTime(),
      httpMethod: apigw.AccessLogField.contextHttpMethod(),
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
  );

/**
 * The HTTP APIs, built from the route table in `functions/api/routes.ts`, one function per group
 * and Lambda proxy integrations:
 * - the main API: every route but the pages, IAM (SigV4) authorization on every route the table
 *   marks `iam`, traced with X-Ray;
 * - the links API: the approval-link pages only, public, throttled on its own, not traced (X-Ray
 *   records the URL, which holds the link's secret), its access log naming the resource template.
 */
export class Api extends Construct {
  readonly restApi: apigw.RestApi;
  readonly linksApi: apigw.RestApi;
  readonly functions: Readonly<Record<FunctionGroup, ServiceFunction>>;
  readonly accessLogs: logs.LogGroup;
  /** The links API's web ACL (per-IP rate limit), and the main API's when context asks for one. */
  readonly linksWebAcl: RateLimitedWebAcl;
  readonly webAcl?: RateLimitedWebAcl;
  readonly linksAccessLogs: logs.LogGroup;
  /** Stage URLs without a trailing slash, built from the API ids so that they add no dependency. */
  readonly url: string;
  readonly linksUrl: string;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { settings } = props;

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
        stageName: STAGE_NAME,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: settings.apiThrottling.rateLimit,
        throttlingBurstLimit: settings.apiThrottling.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: accessLogFormat(),
      },
    });

    this.linksAccessLogs = new logs.LogGroup(this, 'LinksAccessLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.linksApi = new apigw.RestApi(this, 'LinksApi', {
      description: "Steward: approvers' links from email (public; the path carries the link's secret)",
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // The account's logging role is the main API's.
      cloudWatchRole: false,
      deployOptions: {
        stageName: STAGE_NAME,
        // X-Ray segments record the request URL, and the URL holds the secret.
        tracingEnabled: false,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: settings.approvalLinkThrottling.rateLimit,
        throttlingBurstLimit: settings.approvalLinkThrottling.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.linksAccessLogs),
        accessLogFormat: accessLogFormat(),
      },
    });
    // Stage logging needs the account's CloudWatch role set first.
    this.linksApi.deploymentStage.node.addDependency(this.restApi.node.findChild('Account'));

    const stack = Stack.of(this);
    const stageUrl = (api: apigw.RestApi) =>
      `https://${api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${STAGE_NAME}`;
    this.url = stageUrl(this.restApi);
    this.linksUrl = stageUrl(this.linksApi);

    this.functions = Object.fromEntries(
      functionGroups.map((group) => [group, this.serviceFunction(group, needsOf(group), props)]),
    ) as Record<FunctionGroup, ServiceFunction>;

    const integrations = Object.fromEntries(
      Object.entries(this.functions).map(([group, fn]) => [
        group,
        new apigw.LambdaIntegration(fn.fn, { proxy: true, allowTestInvoke: false }),
      ]),
    ) as Record<FunctionGroup, apigw.LambdaIntegration>;

    this.addRoutes(this.restApi, apiRoutes, integrations);
    this.addRoutes(this.linksApi, linkRoutes, integrations);
    if (props.console) this.allowOrigin(props.console.origin);

    const cloudWatchRole = this.restApi.node.findChild('CloudWatchRole');
    Validations.of(cloudWatchRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'The account-level API Gateway logging role; AWS maintains this policy for exactly that purpose ' +
        'and API Gateway writes to log groups whose names it chooses at run time.',
    });
    // The public links API always has a per-IP rate limit in WAF; the main API when context
    // apiWafRateLimit asks for one.
    this.linksWebAcl = new RateLimitedWebAcl(this, 'LinksWaf', {
      stage: this.linksApi.deploymentStage,
      limit: settings.approvalLinkWafRateLimit,
      pathIsSecret: true,
    });
    const mainStage = this.restApi.deploymentStage.node.defaultChild!;
    if (settings.apiWafRateLimit !== undefined)
      this.webAcl = new RateLimitedWebAcl(this, 'ApiWaf', {
        stage: this.restApi.deploymentStage,
        limit: settings.apiWafRateLimit,
        pathIsSecret: false,
      });
    else {
      const reason =
        'Every /v1 route but health requires SigV4 and the stage is throttled (context apiThrottling); ' +
        'a per-IP WAF rate limit is opt-in with context apiWafRateLimit (WAF is billed per ACL and rule).';
      Validations.of(mainStage).acknowledge({ id: 'AwsSolutions-APIG3', reason });
      Validations.of(mainStage).acknowledge({ id: 'NIST.800.53.R5-APIGWAssociatedWithWAF', reason });
    }
    const linksStage = this.linksApi.deploymentStage.node.defaultChild!;
    for (const stage of [mainStage, linksStage]) {
      Validations.of(stage).acknowledge({
        id: 'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted',
        reason:
          'No stage cache: every response depends on its caller (SigV4 identity and roles) or on a ' +
          "link's single-use state, and a GET must show the current state; a cache would serve one " +
          "caller's answer to another, or a stale one.",
      });
      Validations.of(stage).acknowledge({
        id: 'NIST.800.53.R5-APIGWSSLEnabled',
        reason:
          'Backend client certificates authenticate API Gateway to an HTTP backend; every integration ' +
          'here is a Lambda proxy, invoked through the Lambda API with IAM, so there is no backend to verify it.',
      });
    }
    Validations.of(linksStage).acknowledge({
      id: 'Serverless-APIGWXrayEnabled',
      reason:
        "No X-Ray by design: a trace segment records the request URL, and an approval link's URL " +
        'carries its secret, which must never reach a trace, a log line or an email other than its own.',
    });
  }

  /**
   * CORS for the console's origin only. A browser's preflight carries no credentials, so API
   * Gateway answers OPTIONS itself (a mock integration, no authorization, no function); the
   * functions add the allow-origin header to their answers, and API Gateway's own errors (a
   * refused signature, throttling) carry it too so the console can show them.
   */
  private allowOrigin(origin: string): void {
    const preflight: apigw.CorsOptions = {
      allowOrigins: [origin],
      allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowHeaders: [
        'authorization',
        'content-type',
        'x-amz-date',
        'x-amz-security-token',
        'x-amz-content-sha256',
        'idempotency-key',
        'if-match',
        'accept',
      ],
      exposeHeaders: ['etag', 'location', 'retry-after', 'content-disposition'],
      maxAge: Duration.hours(1),
    };
    const visit = (resource: apigw.IResource) => {
      if (resource !== this.restApi.root) {
        const method = resource.addCorsPreflight(preflight);
        const reason =
          'A CORS preflight: browsers send OPTIONS without credentials, so it cannot require SigV4. ' +
          "API Gateway answers it itself (mock integration) with the console's origin only; no data.";
        Validations.of(method.node.defaultChild!).acknowledge({ id: 'AwsSolutions-APIG4', reason });
        Validations.of(method.node.defaultChild!).acknowledge({ id: 'AwsSolutions-COG4', reason });
      }
      for (const child of resource.node.children) if (child instanceof apigw.Resource) visit(child);
    };
    visit(this.restApi.root);
    for (const [id, type] of [
      ['Default4xx', apigw.ResponseType.DEFAULT_4XX],
      ['Default5xx', apigw.ResponseType.DEFAULT_5XX],
    ] as const)
      this.restApi.addGatewayResponse(id, {
        type,
        responseHeaders: {
          'Access-Control-Allow-Origin': `'${origin}'`,
          Vary: "'Origin'",
        },
      });
  }

  private addRoutes(
    api: apigw.RestApi,
    table: readonly Route[],
    integrations: Record<FunctionGroup, apigw.LambdaIntegration>,
  ): void {
    // Basic validation (required path parameters); bodies are validated by the handlers' schemas.
    const requestValidator = api.addRequestValidator('RequestValidator', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    for (const route of table) {
      const resource = api.root.resourceForPath(route.path);
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
        const reason =
          route.secretParam !== undefined
            ? `${route.method} ${route.path} is public: ${LINK_IS_THE_CREDENTIAL}`
            : `${route.method} ${route.path} is public by design (route table: auth "none").`;
        Validations.of(cfnMethod).acknowledge({ id: 'AwsSolutions-APIG4', reason });
        Validations.of(cfnMethod).acknowledge({ id: 'AwsSolutions-COG4', reason });
      }
    }
  }

  private serviceFunction(group: FunctionGroup, needs: GroupNeeds, props: ApiProps): ServiceFunction {
    if (needs.timeout && needs.timeout.toSeconds() > API_FUNCTION_TIMEOUT_MAX.toSeconds())
      throw new Error(
        `function group "${group}": a timeout of ${needs.timeout.toSeconds()} s reaches API Gateway's ` +
          `${API_GATEWAY_INTEGRATION_TIMEOUT.toSeconds()} s; at most ${API_FUNCTION_TIMEOUT_MAX.toSeconds()} s`,
      );
    const { data, artifacts, approvals, deployments, drift, monitoring, registrations, settings } = props;
    const { access, indexes = [] } = needs;
    const environment: FunctionEnvironment = {
      STEWARD_MODE: 'aws',
      TABLE_NAME: data.table.tableName,
      CURSOR_SECRET_ARN: data.cursorSecret.secretArn,
      STEWARD_ROLES: JSON.stringify([...(props.console?.roleRules ?? []), ...settings.stewardRoles]),
    };
    if (props.console) environment.CONSOLE_ORIGIN = props.console.origin;
    if (needs.environments) environment.STEWARD_ENVIRONMENTS = JSON.stringify(settings.stewardEnvironments);
    if (access.includes('artifacts') || access.includes('artifacts-read')) {
      environment.ARTIFACTS_BUCKET = artifacts.bucket.bucketName;
      environment.S3_CHECKSUMS = 'true';
    }
    if (access.includes('approval-start')) {
      environment.APPROVAL_STATE_MACHINE_ARN = approvals.stateMachine.stateMachineArn;
      // The links in approval emails point at the links API.
      environment.PUBLIC_BASE_URL = this.linksUrl;
    }
    // A link's page points back at the main API (its lineage link is a signed API request).
    if (group === 'approval-links') environment.PUBLIC_BASE_URL = this.url;
    if (access.includes('registration-start')) {
      environment.REGISTRATION_STATE_MACHINE_ARN = registrations.stateMachine.stateMachineArn;
      environment.SOURCE_BUCKETS = JSON.stringify(
        settings.sourceBuckets.map((b) => (typeof b === 'string' ? b : b.bucket)),
      );
    }
    if (access.includes('approval-answer')) environment.TOKEN_KEY_ID = approvals.tokenKey.keyArn;
    if (access.includes('deployment-start')) Object.assign(environment, deployments.starterEnvironment);
    if (access.includes('drift') || access.includes('baselines'))
      Object.assign(environment, drift.runEnvironment);
    if (access.includes('drift-alarms')) environment.DRIFT_ALARM_TOPIC_ARN = monitoring.alarmTopic.topicArn;
    const fn = new ServiceFunction(this, `${pascalCase(group)}Function`, {
      entry: entryOf(group),
      description: `Steward API: ${group}`,
      environment,
      memorySize: needs.memorySize,
      timeout: needs.timeout,
      reservedConcurrency: needs.reservesConcurrency ? settings.approvalLinkConcurrency : undefined,
      invocation: 'synchronous',
      unscopedGrants: [
        ...(access.includes('approval-answer')
          ? [taskResponses("a decision answers its group's callback task with the token the workflow kept.")]
          : []),
        ...(access.includes('drift') ? [targetMetricsRead] : []),
      ],
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
    if (access.includes('artifacts-read')) {
      artifacts.grantRead(fn);
      fn.acknowledgePolicyFinding(
        artifacts.modelsWildcardFinding(),
        `Presigned downloads of model files under ${S3_PREFIX.models}, whose keys are made per version at run time; read only.`,
      );
    }
    if (access.includes('reports-read')) {
      environment.ARTIFACTS_BUCKET = artifacts.bucket.bucketName;
      drift.grantReportsRead(fn);
    }
    if (access.includes('approval-start')) approvals.grantStart(fn);
    if (access.includes('registration-start')) registrations.grantStart(fn);
    if (access.includes('approval-answer')) approvals.grantTokenDecrypt(fn);
    if (access.includes('registration-start')) registrations.grantStart(fn);
    if (access.includes('deployment-start')) deployments.grantStart(fn);
    if (access.includes('drift')) drift.grantDriftRun(fn);
    if (access.includes('baselines')) drift.grantBaselines(fn);
    if (access.includes('drift-alarms')) monitoring.grantDriftAlarms(fn);
    return fn;
  }
}
