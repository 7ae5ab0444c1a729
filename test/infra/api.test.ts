import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionGroups, routes } from '../../functions/api/routes.ts';
import { apiRoutes, linkRoutes } from '../../infra/aws/api.ts';
import { logicalId, type Synthesized, synthStack } from './synth.ts';

describe('REST API', () => {
  let s: Synthesized;
  let resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  beforeAll(() => {
    s = synthStack({
      apiThrottling: { rateLimit: 25, burstLimit: 40 },
      approvalLinkThrottling: { rateLimit: 3, burstLimit: 6 },
    });
    resources = s.template.toJSON().Resources;
  });

  const apiOf = (route: (typeof routes)[number]) => (route.page ? s.stack.api.linksApi : s.stack.api.restApi);
  const methodOf = (route: (typeof routes)[number]) => {
    const method = apiOf(route).root.resourceForPath(route.path).node.findChild(route.method);
    return resources[logicalId(method)]!.Properties;
  };
  const methodsOf = (api: typeof s.stack.api.restApi) =>
    Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::ApiGateway::Method' &&
        JSON.stringify(r.Properties['RestApiId']) === JSON.stringify({ Ref: logicalId(api) }),
    );
  const stageOf = (api: typeof s.stack.api.restApi) =>
    resources[logicalId(api.deploymentStage)]!.Properties as {
      TracingEnabled?: boolean;
      MethodSettings: Record<string, unknown>[];
      AccessLogSetting: { DestinationArn: unknown; Format: string };
    };

  it('has exactly one method per route in the route table, on one of the two APIs', () => {
    s.template.resourceCountIs('AWS::ApiGateway::RestApi', 2);
    s.template.resourceCountIs('AWS::ApiGateway::Method', routes.length);
    expect(methodsOf(s.stack.api.restApi)).toHaveLength(apiRoutes.length);
    expect(methodsOf(s.stack.api.linksApi)).toHaveLength(linkRoutes.length);
  });

  it('serves the approval-link pages on the links API only, and everything else on the main API only', () => {
    expect(linkRoutes.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/approval-links/{secret}',
      'HEAD /v1/approval-links/{secret}',
      'POST /v1/approval-links/{secret}',
    ]);
    expect(apiRoutes.length + linkRoutes.length).toBe(routes.length);
    const paths = (api: typeof s.stack.api.restApi) =>
      Object.values(resources)
        .filter(
          (r) =>
            r.Type === 'AWS::ApiGateway::Resource' &&
            JSON.stringify(r.Properties['RestApiId']) === JSON.stringify({ Ref: logicalId(api) }),
        )
        .map((r) => r.Properties['PathPart']);
    expect(paths(s.stack.api.restApi)).not.toContain('approval-links');
    expect(paths(s.stack.api.restApi)).not.toContain('{secret}');
    expect(paths(s.stack.api.linksApi).sort()).toEqual(['approval-links', 'v1', '{secret}']);
  });

  it.each(routes.map((r) => [r.method, r.path, r]))(
    '%s %s: authorization as the route table says',
    (_m, _p, route) => {
      expect(methodOf(route)['AuthorizationType']).toBe(route.auth === 'iam' ? 'AWS_IAM' : 'NONE');
    },
  );

  it('leaves only GET /v1/health and the approval links public; every other /v1 and MLflow method needs SigV4', () => {
    const open = routes.filter((r) => methodOf(r)['AuthorizationType'] !== 'AWS_IAM');
    expect(open.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/health',
      'GET /v1/approval-links/{secret}',
      'HEAD /v1/approval-links/{secret}',
      'POST /v1/approval-links/{secret}',
    ]);
    for (const route of open) expect(methodOf(route)['AuthorizationType']).toBe('NONE');
    const iam = routes.filter((r) => !open.includes(r));
    expect(iam.length).toBeGreaterThan(0);
    for (const route of iam) {
      expect(route.path.startsWith('/v1/') || route.path.startsWith('/api/2.0/mlflow')).toBe(true);
      expect(methodOf(route)['AuthorizationType']).toBe('AWS_IAM');
    }
  });

  it('throttles the links API on its own, from the context, and does not trace it', () => {
    const stage = stageOf(s.stack.api.linksApi);
    // X-Ray segments record the request URL, and a link's URL holds its secret.
    expect(stage.TracingEnabled).toBe(false);
    expect(stage.MethodSettings).toEqual([
      {
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: 3,
        ThrottlingBurstLimit: 6,
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
        MetricsEnabled: true,
      },
    ]);
  });

  it('keeps request paths, and so link secrets, out of both access logs, each in its own log group', () => {
    const main = stageOf(s.stack.api.restApi);
    const links = stageOf(s.stack.api.linksApi);
    for (const stage of [main, links]) {
      expect(stage.AccessLogSetting.Format).not.toContain('$context.path');
      expect(JSON.parse(stage.AccessLogSetting.Format)).toMatchObject({
        resourcePath: '$context.resourcePath',
      });
    }
    expect(JSON.stringify(links.AccessLogSetting.DestinationArn)).toContain(
      logicalId(s.stack.api.linksAccessLogs),
    );
    expect(logicalId(s.stack.api.linksAccessLogs)).not.toBe(logicalId(s.stack.api.accessLogs));
  });

  it('sets the links stage up only once the account logging role is in place', () => {
    const stage = s.template.toJSON().Resources[logicalId(s.stack.api.linksApi.deploymentStage)];
    expect(stage.DependsOn).toContain(logicalId(s.stack.api.restApi.node.findChild('Account')));
  });

  it('points approval emails at the links API, and the link page back at the main API', () => {
    const envOf = (group: 'approvals' | 'approval-links') =>
      resources[logicalId(s.stack.api.functions[group].fn)]!.Properties['Environment'] as {
        Variables: Record<string, unknown>;
      };
    const stageUrl = (api: typeof s.stack.api.restApi) => ({
      'Fn::Join': [
        '',
        [
          'https://',
          { Ref: logicalId(api) },
          '.execute-api.',
          { Ref: 'AWS::Region' },
          '.',
          { Ref: 'AWS::URLSuffix' },
          '/prod',
        ],
      ],
    });
    expect(envOf('approvals').Variables['PUBLIC_BASE_URL']).toEqual(stageUrl(s.stack.api.linksApi));
    expect(envOf('approval-links').Variables['PUBLIC_BASE_URL']).toEqual(stageUrl(s.stack.api.restApi));
    const outputs = s.template.toJSON().Outputs;
    expect(outputs.LinksApiUrl.Value).toEqual(stageUrl(s.stack.api.linksApi));
  });

  it('sends each route to its group function through a Lambda proxy integration', () => {
    for (const route of routes) {
      const integration = methodOf(route)['Integration'] as { Type: string; Uri: unknown };
      expect(integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(integration.Uri)).toContain(
        JSON.stringify({ 'Fn::GetAtt': [logicalId(s.stack.api.functions[route.fn].fn), 'Arn'] }),
      );
    }
  });

  it('validates required path parameters on every method', () => {
    for (const route of routes) {
      const validatorId = logicalId(apiOf(route).node.findChild('RequestValidator'));
      const method = methodOf(route);
      expect(method['RequestValidatorId']).toEqual({ Ref: validatorId });
      // A greedy `{proxy+}` is the parameter `proxy`.
      for (const name of route.path.match(/\{[^}]+\}/g) ?? []) {
        expect(method['RequestParameters']).toHaveProperty(
          [`method.request.path.${name.slice(1, -1).replace(/\+$/, '')}`],
          true,
        );
      }
    }
  });

  it('logs access as JSON to its own log group, traces, and throttles as the context says', () => {
    const stage = stageOf(s.stack.api.restApi);
    expect(stage.TracingEnabled).toBe(true);
    expect(stage.MethodSettings).toHaveLength(1);
    expect(JSON.stringify(stage.AccessLogSetting.DestinationArn)).toContain(
      logicalId(s.stack.api.accessLogs),
    );
    expect(JSON.parse(stage.AccessLogSetting.Format)).toMatchObject({
      requestId: '$context.requestId',
      userArn: '$context.identity.userArn',
      status: '$context.status',
    });
    s.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      RestApiId: { Ref: logicalId(s.stack.api.restApi) },
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: 25,
          ThrottlingBurstLimit: 40,
        }),
      ]),
    });
  });

  it('keeps the account-level CloudWatch role setting when the stack goes', () => {
    s.template.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
  });
});

describe('service functions', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStack();
  });

  it('are one per function group, and the stack has no other function but the audit exporter, the workflow tasks, reconcile and the upload expiry', () => {
    const fns = Object.keys(s.template.findResources('AWS::Lambda::Function')).sort();
    const { validate, notify, record } = s.stack.approvals;
    const { prepare, progress, finish } = s.stack.deployments;
    const { due, run, shard, reduce } = s.stack.drift;
    const { copy, fail } = s.stack.registrations;
    const expected = [
      ...functionGroups.map((g) => logicalId(s.stack.api.functions[g].fn)),
      logicalId(s.stack.auditArchive.exporter.fn),
      logicalId(s.stack.reconcile.function.fn),
      logicalId(s.stack.uploadExpiry.function.fn),
      ...[validate, notify, record, prepare, progress, finish, due, run, shard, reduce, copy, fail].map(
        (task) => logicalId(task.fn),
      ),
    ].sort();
    expect(fns).toEqual(expected);
  });

  it('run the newest Node.js on ARM64 with active tracing, explicit memory and timeout, JSON logs', () => {
    // A drift run on request, and a baseline of a reference dataset, stream data with 1024 MB, and
    // end before API Gateway's 29 seconds do, so a slow one answers with the function's own error
    // rather than the gateway's 504.
    const sized: Partial<Record<string, { MemorySize: number; Timeout: number }>> = {
      monitoring: { MemorySize: 1024, Timeout: 25 },
      'drift-runs': { MemorySize: 1024, Timeout: 25 },
    };
    for (const group of functionGroups) {
      const fn = s.template.toJSON().Resources[logicalId(s.stack.api.functions[group].fn)];
      expect(fn.Properties, group).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        ...(sized[group] ?? { MemorySize: 512, Timeout: 10 }),
        Handler: 'index.handler',
        LoggingConfig: {
          LogFormat: 'JSON',
          LogGroup: { Ref: logicalId(s.stack.api.functions[group].logGroup) },
        },
      });
    }
  });

  it('log to their own log groups with a retention period', () => {
    for (const group of functionGroups) {
      const logs = s.template.toJSON().Resources[logicalId(s.stack.api.functions[group].logGroup)];
      expect(logs.Properties.RetentionInDays).toBe(90);
    }
  });
});
