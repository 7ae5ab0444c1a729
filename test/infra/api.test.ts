import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionGroups, routes } from '../../functions/http/routes.ts';
import { linkRoutes } from '../../infra/aws/api.ts';
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

  const methodOf = (route: (typeof routes)[number]) => {
    const method = s.stack.api.restApi.root.resourceForPath(route.path).node.findChild(route.method);
    return resources[logicalId(method)]!.Properties;
  };

  it('has exactly one method per route in the route table', () => {
    s.template.resourceCountIs('AWS::ApiGateway::Method', routes.length);
  });

  it.each(routes.map((r) => [r.method, r.path, r]))(
    '%s %s: authorization as the route table says',
    (_m, _p, route) => {
      expect(methodOf(route)['AuthorizationType']).toBe(route.auth === 'iam' ? 'AWS_IAM' : 'NONE');
    },
  );

  it('leaves only GET /v1/health and the approval links public; every other /v1 method needs SigV4', () => {
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
      expect(route.path.startsWith('/v1/')).toBe(true);
      expect(methodOf(route)['AuthorizationType']).toBe('AWS_IAM');
    }
  });

  it('throttles the approval-link methods more tightly than the stage, from the context', () => {
    expect(linkRoutes.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/approval-links/{secret}',
      'HEAD /v1/approval-links/{secret}',
      'POST /v1/approval-links/{secret}',
    ]);
    const stage = resources[logicalId(s.stack.api.restApi.deploymentStage)]!.Properties as {
      MethodSettings: Record<string, unknown>[];
    };
    const linkSettings = stage.MethodSettings.filter((m) => m['ResourcePath'] !== '/*');
    expect(linkSettings).toEqual(
      ['GET', 'HEAD', 'POST'].map((method) => ({
        ResourcePath: '/~1v1~1approval-links~1{secret}',
        HttpMethod: method,
        ThrottlingRateLimit: 3,
        ThrottlingBurstLimit: 6,
        // A method's settings replace the stage's: logging stays on, data tracing off.
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
        MetricsEnabled: true,
      })),
    );
  });

  it('keeps request paths, and so link secrets, out of the access log', () => {
    const stage = resources[logicalId(s.stack.api.restApi.deploymentStage)]!.Properties as {
      AccessLogSetting: { Format: string };
    };
    expect(stage.AccessLogSetting.Format).not.toContain('$context.path');
    expect(JSON.parse(stage.AccessLogSetting.Format)).toMatchObject({
      resourcePath: '$context.resourcePath',
    });
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
    const validatorId = logicalId(s.stack.api.restApi.node.findChild('RequestValidator'));
    for (const route of routes) {
      const method = methodOf(route);
      expect(method['RequestValidatorId']).toEqual({ Ref: validatorId });
      for (const name of route.path.match(/\{[^}]+\}/g) ?? []) {
        expect(method['RequestParameters']).toHaveProperty(
          [`method.request.path.${name.slice(1, -1)}`],
          true,
        );
      }
    }
  });

  it('logs access as JSON to its own log group, traces, and throttles as the context says', () => {
    const stage = resources[logicalId(s.stack.api.restApi.deploymentStage)]!.Properties as {
      AccessLogSetting: { DestinationArn: unknown; Format: string };
    };
    expect(JSON.stringify(stage.AccessLogSetting.DestinationArn)).toContain(
      logicalId(s.stack.api.accessLogs),
    );
    expect(JSON.parse(stage.AccessLogSetting.Format)).toMatchObject({
      requestId: '$context.requestId',
      userArn: '$context.identity.userArn',
      status: '$context.status',
    });
    s.template.hasResourceProperties('AWS::ApiGateway::Stage', {
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

  it('are one per function group, and the stack has no other function but the audit exporter and the approval tasks', () => {
    const fns = Object.keys(s.template.findResources('AWS::Lambda::Function')).sort();
    const { validate, notify, record } = s.stack.approvals;
    const expected = [
      ...functionGroups.map((g) => logicalId(s.stack.api.functions[g].fn)),
      logicalId(s.stack.auditArchive.exporter.fn),
      ...[validate, notify, record].map((task) => logicalId(task.fn)),
    ].sort();
    expect(fns).toEqual(expected);
  });

  it('run the newest Node.js on ARM64 with active tracing, explicit memory and timeout, JSON logs', () => {
    for (const group of functionGroups) {
      const fn = s.template.toJSON().Resources[logicalId(s.stack.api.functions[group].fn)];
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        MemorySize: 512,
        Timeout: 10,
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
