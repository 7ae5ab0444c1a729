import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { consoleRoutes, routesForRole } from '../../functions/api/route-roles.ts';
import { ROLE_NAMES } from '../../functions/commons/facts.ts';
import { addNagPacks } from '../../infra/aws/nag.ts';
import { StewardStack } from '../../infra/aws/steward-stack.ts';
import {
  actionsOf,
  cdkContext,
  findingsOf,
  logicalId,
  roleStatements,
  type Synthesized,
  synthStack,
} from './synth.ts';

/**
 * The console on AWS (context console=true): its files behind CloudFront, sign-in through Cognito
 * with MFA, groups mapped to IAM roles that may invoke what each Steward role can use, CORS for
 * its origin only. Off by default, and then nothing of it is in the template.
 */
const CONSOLE_TYPES = [
  'AWS::CloudFront::Distribution',
  'AWS::CloudFront::ResponseHeadersPolicy',
  'AWS::CloudFront::OriginAccessControl',
  'AWS::Cognito::UserPool',
  'AWS::Cognito::UserPoolClient',
  'AWS::Cognito::UserPoolDomain',
  'AWS::Cognito::UserPoolGroup',
  'AWS::Cognito::IdentityPool',
  'AWS::Cognito::IdentityPoolRoleAttachment',
  'Custom::CDKBucketDeployment',
];

describe('console off (the default)', () => {
  it('adds no console resource, no CORS preflight and no console origin', () => {
    const s = synthStack();
    for (const type of CONSOLE_TYPES) expect(s.template.findResources(type), type).toEqual({});
    expect(
      s.template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }),
    ).toEqual({});
    expect(JSON.stringify(s.template.toJSON())).not.toContain('CONSOLE_ORIGIN');
    expect(s.stack.console).toBeUndefined();
  });
});

describe('console on', () => {
  let s: Synthesized;
  let template: ReturnType<Template['toJSON']>;
  /** The console's own (nested) stack. */
  let ct: Template;
  let nestedId: string;
  beforeAll(() => {
    s = synthStack({ console: true });
    template = s.template.toJSON();
    ct = Template.fromStack(s.stack.console!);
    nestedId = s.stack.resolve(s.stack.getLogicalId(s.stack.console!.nestedStackResource as never)) as string;
  });
  const console = () => s.stack.console!;
  const ref = (construct: Parameters<typeof logicalId>[0]) => ({ Ref: logicalId(construct) });

  it('serves the files from a private, encrypted, SSL-only, logged bucket through origin access control', () => {
    ct.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { LogFilePrefix: 'console/' },
    });
    const policy = Object.values(ct.findResources('AWS::S3::BucketPolicy')).find(
      (p) => JSON.stringify(p['Properties'].Bucket) === JSON.stringify(ref(console().bucket)),
    )!;
    const statements = policy['Properties'].PolicyDocument.Statement as Record<string, unknown>[];
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
      }),
    );
    ct.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    ct.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
        Logging: Match.objectLike({ Prefix: 'console/' }),
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue() })],
      }),
    });
  });

  it('sends security headers: a CSP without inline script, HSTS, no framing, no sniffing, no referrer', () => {
    const policies = Object.values(ct.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
    expect(policies).toHaveLength(1);
    const headers = policies[0]!['Properties'].ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = JSON.stringify(headers.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    // The region is filled in (a template, not a literal placeholder), and reports may be framed
    // from the artifacts bucket only.
    expect(csp).not.toContain('${region}');
    expect(csp).toMatch(/form-action 'self' https:\/\/\*\.auth\./);
    expect(csp).toMatch(/frame-src https:\/\/[^;*]+/);
    expect(headers.StrictTransportSecurity).toMatchObject({
      AccessControlMaxAgeSec: 63_072_000,
      IncludeSubdomains: true,
    });
    expect(headers.FrameOptions).toMatchObject({ FrameOption: 'DENY' });
    expect(headers.ContentTypeOptions).toMatchObject({ Override: true });
    expect(headers.ReferrerPolicy).toMatchObject({ ReferrerPolicy: 'no-referrer' });
  });

  it('uses a custom domain with its us-east-1 certificate and TLS 1.2 when context names one', () => {
    const custom = synthStack({
      console: true,
      consoleDomain: {
        domainName: 'steward.example.com',
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
      },
    });
    Template.fromStack(custom.stack.console!).hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['steward.example.com'],
        ViewerCertificate: Match.objectLike({
          AcmCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
          MinimumProtocolVersion: 'TLSv1.2_2021',
        }),
      }),
    });
    Template.fromStack(custom.stack.console!).hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: ['https://steward.example.com/'],
    });
  });

  it('signs people in through a user pool: no self sign-up, TOTP MFA required, threat protection, hosted UI', () => {
    ct.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      UserPoolTier: 'PLUS',
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 14 }) },
    });
    ct.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    ct.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      GenerateSecret: false,
      SupportedIdentityProviders: ['COGNITO'],
      CallbackURLs: [
        {
          'Fn::Join': [
            '',
            ['https://', { 'Fn::GetAtt': [logicalId(console().distribution), 'DomainName'] }, '/'],
          ],
        },
      ],
    });
  });

  it('federates with the company IdP when context says so', () => {
    const saml = synthStack({
      console: true,
      consoleFederation: { kind: 'saml', name: 'Corp', metadataUrl: 'https://idp.example.com/metadata' },
    });
    Template.fromStack(saml.stack.console!).hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'Corp',
      ProviderType: 'SAML',
    });
    Template.fromStack(saml.stack.console!).hasResourceProperties('AWS::Cognito::UserPoolClient', {
      SupportedIdentityProviders: ['COGNITO', { Ref: logicalId(saml.stack.console!.node.findChild('Saml')) }],
    });
  });

  it('maps each group to its IAM role through the identity pool, from the token, denying the ambiguous', () => {
    ct.hasResourceProperties('AWS::Cognito::IdentityPool', {
      AllowUnauthenticatedIdentities: false,
      AllowClassicFlow: false,
    });
    ct.hasResourceProperties('AWS::Cognito::IdentityPoolRoleAttachment', {
      RoleMappings: { console: { Type: 'Token', AmbiguousRoleResolution: 'Deny' } },
    });
    for (const role of ROLE_NAMES) {
      ct.hasResourceProperties('AWS::Cognito::UserPoolGroup', {
        GroupName: role,
        RoleArn: { 'Fn::GetAtt': [logicalId(console().roles[role]), 'Arn'] },
      });
      ct.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            Match.objectLike({
              Action: 'sts:AssumeRoleWithWebIdentity',
              Principal: { Federated: 'cognito-identity.amazonaws.com' },
              Condition: {
                StringEquals: {
                  'cognito-identity.amazonaws.com:aud': { Ref: logicalId(console().identityPool) },
                },
                'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
              },
            }),
          ],
        },
      });
    }
  });

  it('grants each group role exactly execute-api:Invoke on the routes its Steward role can use', () => {
    for (const role of ROLE_NAMES) {
      const statements = roleStatements(ct, logicalId(console().roles[role]));
      expect(statements.flatMap(actionsOf)).toEqual(['execute-api:Invoke']);
      const resources = JSON.stringify(statements[0]!.Resource);
      const expected = [
        ...new Set(routesForRole(role).map((r) => `/prod/${r.method}${r.path.replace(/\{[^}]+\}/g, '*')}`)),
      ];
      expect((statements[0]!.Resource as unknown[]).length, role).toBe(expected.length);
      for (const path of expected) expect(resources, `${role} ${path}`).toContain(`${path}"`);
      expect(resources).toContain('{"Ref":"ApiId"}');
    }
    const auditor = JSON.stringify(roleStatements(ct, logicalId(console().roles.auditor))[0]!.Resource);
    expect(auditor).not.toMatch(/\/(POST|PUT|PATCH|DELETE)\//);
    const approver = JSON.stringify(roleStatements(ct, logicalId(console().roles.approver))[0]!.Resource);
    expect(approver).toContain('/prod/POST/v1/approvals/*/decisions"');
    expect(approver).not.toContain('/prod/POST/v1/models/*/versions/*/deployments"');
    expect(approver).not.toContain('/api/2.0/');
    const admin = roleStatements(ct, logicalId(console().roles.admin))[0]!.Resource as unknown[];
    expect(admin.length).toBe(new Set(consoleRoutes.map((r) => `${r.method} ${r.path}`)).size);
  });

  it('puts the group roles first in stewardRoles, so no second permission system decides', () => {
    const fn = template.Resources[logicalId(s.stack.api.functions.approvals.fn)];
    const rules = JSON.stringify(fn.Properties.Environment.Variables.STEWARD_ROLES);
    // Each group role's name comes from the console stack's outputs, before the context's rules.
    for (const role of ROLE_NAMES) expect(rules).toContain(`\\"roles\\":[\\"${role}\\"]`);
    expect(rules.match(new RegExp(`"${nestedId}","Outputs\\.`, 'g'))).toHaveLength(ROLE_NAMES.length);
    expect(rules.indexOf(nestedId)).toBeLessThan(rules.indexOf('StewardAdmin'));
  });

  it('answers CORS for the console origin only: preflights without authorization, the origin on every function', () => {
    const options = Object.values(
      s.template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }),
    );
    expect(options.length).toBeGreaterThan(10);
    for (const method of options) {
      expect(method['Properties'].AuthorizationType).toBe('NONE');
      expect(method['Properties'].Integration.Type).toBe('MOCK');
      expect(JSON.stringify(method['Properties'].Integration.IntegrationResponses)).toContain(nestedId);
      expect(JSON.stringify(method['Properties'].Integration.IntegrationResponses)).not.toContain("'*'");
    }
    for (const fn of Object.values(s.stack.api.functions)) {
      const env = template.Resources[logicalId(fn.fn)].Properties.Environment.Variables;
      expect(JSON.stringify(env.CONSOLE_ORIGIN)).toContain(nestedId);
    }
    s.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'DEFAULT_4XX',
      ResponseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': Match.anyValue() },
    });
  });

  it('deploys the built files with a config.json the console reads', () => {
    const deploy = Object.values(ct.findResources('Custom::CDKBucketDeployment'));
    expect(deploy).toHaveLength(1);
    const props = deploy[0]!['Properties'];
    expect(props.DestinationBucketName).toEqual(ref(console().bucket));
    expect(props.DistributionPaths).toEqual(['/*']);
    const markers = JSON.stringify(props.SourceMarkers);
    for (const key of ['userPoolId', 'userPoolClientId', 'identityPoolId', 'apiUrl', 'userPoolDomain'])
      expect(markers + JSON.stringify(props), key).toMatch(/<<marker|Ref|GetAtt/);
  });

  it('is cdk-nag clean (AwsSolutions, Serverless, NIST 800-53 R5), every acknowledgement with its reason', () => {
    const app = new App({ context: cdkContext({ console: true, '@aws-cdk/core:appMode': 'inmemory' }) });
    new StewardStack(app, 'Steward');
    addNagPacks(app);

    app.synth();

    expect(findingsOf(app)).toEqual([]);
  }, 300_000);

  it('synthesizes nothing of the console in a stack built without the flag in another app', () => {
    const app = new App({ context: cdkContext({ console: false }), builtinCloudFormationValidation: false });
    const stack = new StewardStack(app, 'Steward');
    expect(Template.fromStack(stack).findResources('AWS::Cognito::UserPool')).toEqual({});
    expect(Stack.of(stack).node.tryFindChild('Console')).toBeUndefined();
  });
});
