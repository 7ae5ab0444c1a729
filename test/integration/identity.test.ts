import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetConfig } from '#commons/config';
import { resolvePrincipal } from '#commons/identity';
import { handler } from '#http/models';
import { type Api, startApi } from './local-api.ts';

/**
 * The principal comes from IAM on AWS; `X-Steward-Principal` counts in local mode only.
 */
const PUBLISHER_ARN = 'arn:aws:sts::123456789012:assumed-role/ModelPublisher/alice@example.com';

const gatewayEvent = (overrides: {
  userArn: string | null;
  headers: Record<string, string>;
  body?: unknown;
}) =>
  ({
    resource: '/v1/models',
    path: '/v1/models',
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json', ...overrides.headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: JSON.stringify(overrides.body ?? { name: 'fraud' }),
    isBase64Encoded: false,
    requestContext: {
      requestId: 'r-1',
      identity: { userArn: overrides.userArn, caller: null, sourceIp: '10.0.0.1' },
    },
  }) as unknown as APIGatewayProxyEvent;

const context = {
  awsRequestId: 'r-1',
  functionName: 'models',
  getRemainingTimeInMillis: () => 1000,
} as Context;

describe('identity outside local mode', () => {
  let api: Api;

  beforeAll(async () => {
    api = await startApi();
    // The same handlers and table, configured as the CDK app configures them on AWS.
    process.env.STEWARD_MODE = 'aws';
    // As on Lambda, credentials come from the environment.
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
    process.env.STEWARD_ROLES = JSON.stringify([
      { pattern: 'arn:aws:sts::123456789012:assumed-role/ModelPublisher/*', roles: ['publisher'] },
    ]);
    resetConfig();
  });

  afterAll(async () => {
    process.env.STEWARD_MODE = 'local';
    delete process.env.STEWARD_ROLES;
    resetConfig();
    await api.close();
  });

  it('ignores X-Steward-Principal and records the IAM principal', async () => {
    const result = await handler(
      gatewayEvent({ userArn: PUBLISHER_ARN, headers: { 'X-Steward-Principal': 'admin' } }),
      context,
    );
    expect(result.statusCode).toBe(201);
    const model = JSON.parse(result.body);
    expect(model.createdBy).toBe(PUBLISHER_ARN);
    expect(model.owner).toBe(PUBLISHER_ARN);
  });

  it('refuses a request without an IAM identity even when the header names an admin', async () => {
    const result = await handler(
      gatewayEvent({ userArn: null, headers: { 'X-Steward-Principal': 'admin' }, body: { name: 'other' } }),
      context,
    );
    expect(result.statusCode).toBe(401);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
  });

  it('gives a principal no rule matches no role at all', async () => {
    const result = await handler(
      gatewayEvent({ userArn: 'arn:aws:iam::123456789012:user/bob', headers: {}, body: { name: 'bobs' } }),
      context,
    );
    expect(result.statusCode).toBe(403);
  });
});

describe('principal resolution', () => {
  const event = (userArn: string | null, header?: string) =>
    ({
      headers: header ? { 'x-steward-principal': header } : {},
      requestContext: { identity: { userArn } },
    }) as unknown as APIGatewayProxyEvent;

  it('takes the header in local mode, with local-user as the default', () => {
    expect(resolvePrincipal(event(null, 'carol'), 'local', undefined).id).toBe('carol');
    expect(resolvePrincipal(event(null), 'local', undefined).id).toBe('local-user');
  });

  it('gives local mode default roles: auditor read-only, admin admin, anyone else publisher', () => {
    expect([...resolvePrincipal(event(null, 'auditor'), 'local', undefined).roles]).toEqual(['auditor']);
    expect(resolvePrincipal(event(null, 'admin'), 'local', undefined).roles.has('admin')).toBe(true);
    expect(resolvePrincipal(event(null, 'dana'), 'local', undefined).roles.has('publisher')).toBe(true);
  });

  it('reads the role session name of an assumed role', () => {
    const principal = resolvePrincipal(event(PUBLISHER_ARN, 'admin'), 'aws', [
      { pattern: 'alice@example.com', roles: ['approver'] },
    ]);
    expect(principal.id).toBe(PUBLISHER_ARN);
    expect(principal.sessionName).toBe('alice@example.com');
    expect([...principal.roles]).toEqual(['approver']);
  });

  it('names a console user by their Cognito sub, not the shared identity-pool session, with the role of their group', () => {
    const arn =
      'arn:aws:sts::123456789012:assumed-role/Steward-ConsoleApproverRole-X1/CognitoIdentityCredentials';
    const sub = '5f2c1b7e-0a9d-4c1e-9f3a-2b8d7e6c5a41';
    const rules = [
      {
        pattern: 'arn:aws:sts::123456789012:assumed-role/Steward-ConsoleApproverRole-X1/*',
        roles: ['approver' as const],
      },
    ];
    const signedIn = {
      headers: {},
      requestContext: {
        identity: {
          userArn: arn,
          cognitoAuthenticationType: 'authenticated',
          cognitoAuthenticationProvider: `cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc,cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc:CognitoSignIn:${sub}`,
        },
      },
    } as unknown as APIGatewayProxyEvent;

    const principal = resolvePrincipal(signedIn, 'aws', rules);

    expect(principal.id).toBe(arn.replace('CognitoIdentityCredentials', sub));
    expect(principal.sessionName).toBe(sub);
    expect([...principal.roles]).toEqual(['approver']);
    // Without the provider API Gateway derives from the credentials, the ARN stays as it is.
    const bare = {
      headers: {},
      requestContext: { identity: { userArn: arn } },
    } as unknown as APIGatewayProxyEvent;
    expect(resolvePrincipal(bare, 'aws', rules).id).toBe(arn);
  });
});
