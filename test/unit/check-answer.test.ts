import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { defineRoutes } from '#api/route';
import { resetConfig } from '#commons/config';
import { checkAnswer, httpHandler, json, operationsFor } from '#commons/http';
import { logger } from '#commons/observability';

/**
 * A success must match its route entry: its status one the entry declares, its JSON body what
 * the status's schema describes. Local mode (every test) fails a mismatch as a fault, so every
 * integration test checks the response schemas; on AWS the answer goes out and the mismatch is
 * logged with the route and the field paths, never the values.
 */
const Thing = z.object({ name: z.string(), size: z.number().int() });

const routes = defineRoutes('meta', [
  {
    method: 'GET',
    path: '/v1/things/{thing}',
    operationId: 'getThing',
    auth: 'none',
    role: 'public',
    params: z.object({ thing: z.string() }),
    responses: { 200: { description: 'the thing', schema: Thing } },
  },
]);
const entry = routes[0]!;

/** A value that must never reach a log: the body's data, in the field that is wrong. */
const SECRET = 'token-5f1c9a7e-never-logged';

const eventFor = (thing: string): APIGatewayProxyEvent =>
  ({
    httpMethod: 'GET',
    resource: '/v1/things/{thing}',
    path: `/v1/things/${thing}`,
    headers: {},
    pathParameters: { thing },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', domainName: 'api.example.com', stage: 'v1' },
  }) as unknown as APIGatewayProxyEvent;

const context = {
  functionName: 'things',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:things',
  memoryLimitInMB: '128',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

/** The operation answers a body whose `size` is the secret string, not an integer. */
const handler = httpHandler(
  routes,
  operationsFor(routes, {
    getThing: async (request) =>
      json(200, request.input.path.thing === 'bad' ? { name: 'x', size: SECRET } : { name: 'x', size: 3 }),
  }),
);

const inMode = (mode: 'aws' | 'local') => {
  process.env.STEWARD_MODE = mode;
  process.env.TABLE_NAME ??= 'steward-test';
  resetConfig();
};

describe('an answer against its route entry', () => {
  const saved = { mode: process.env.STEWARD_MODE, table: process.env.TABLE_NAME };
  let errors: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    errors = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    errors.mockRestore();
    process.env.STEWARD_MODE = saved.mode;
    if (saved.table === undefined) delete process.env.TABLE_NAME;
    else process.env.TABLE_NAME = saved.table;
    resetConfig();
  });

  it('fails a body its schema does not describe in local mode, naming the route and the field', () => {
    inMode('local');
    expect(() => checkAnswer(entry, json(200, { name: 'x', size: SECRET }))).toThrow(
      /getThing \(GET \/v1\/things\/\{thing\}\) answered a 200 body .*size/,
    );
  });

  it('passes a body that matches, in either mode', () => {
    for (const mode of ['local', 'aws'] as const) {
      inMode(mode);
      expect(() => checkAnswer(entry, json(200, { name: 'x', size: 3 }))).not.toThrow();
    }
    expect(errors).not.toHaveBeenCalled();
  });

  it('answers a mismatched body as a fault in local mode, so an integration test fails on it', async () => {
    inMode('local');
    const result = await handler(eventFor('bad'), context);
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain(SECRET);
    const good = await handler(eventFor('good'), context);
    expect(good.statusCode).toBe(200);
  });

  it('on AWS answers the body as it is and logs the route and field paths at error level, without the values', async () => {
    inMode('aws');
    const result = await handler(eventFor('bad'), context);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ name: 'x', size: SECRET });
    expect(errors).toHaveBeenCalledTimes(1);
    const [message, detail] = errors.mock.calls[0]!;
    expect(message).toBe('an answer differs from its route entry');
    expect(detail).toMatchObject({
      operation: 'getThing',
      route: 'GET /v1/things/{thing}',
      status: 200,
      issues: ['size: invalid_type'],
    });
    expect(JSON.stringify(errors.mock.calls)).not.toContain(SECRET);
  });

  it('checks a JSON body against the application/json schema of an answer that comes in several types', () => {
    inMode('local');
    const several = {
      ...entry,
      responses: {
        200: { description: 'the thing', content: { 'application/json': Thing, 'text/csv': z.string() } },
      },
    };
    expect(() => checkAnswer(several, json(200, { name: 'x', size: SECRET }))).toThrow(/size/);
    expect(() => checkAnswer(several, json(200, { name: 'x', size: 3 }))).not.toThrow();
    expect(() => checkAnswer(several, json(200, 'name,size\nx,3\n'))).not.toThrow();
  });

  it('fails a field the schema does not name, at any depth, and logs only its path on AWS', () => {
    const Listing = z.object({
      items: z.array(Thing),
      tags: z.record(z.string(), z.string()),
      extra: z.looseObject({ kind: z.string() }),
      shape: z.union([z.object({ circle: z.number() }), z.object({ square: z.number() })]),
    });
    const listing = {
      ...entry,
      responses: { 200: { description: 'things', schema: Listing } },
    };
    const answer = (item: object, shape: object = { circle: 1 }) =>
      json(200, {
        items: [{ name: 'a', size: 1 }, item],
        tags: { any: 'key' },
        extra: { kind: 'k', more: 'kept: a loose object documents other keys' },
        shape,
      });
    inMode('local');
    expect(() => checkAnswer(listing, answer({ name: 'b', size: 2 }))).not.toThrow();
    expect(() => checkAnswer(listing, answer({ name: 'b', size: 2, pk: SECRET }))).toThrow(
      /getThing \(GET \/v1\/things\/\{thing\}\) answered a 200 body .*: items\.1\.pk not in its schema/,
    );
    expect(() => checkAnswer(listing, answer({ name: 'b', size: 2 }, { circle: 1, radius: 2 }))).toThrow(
      /shape\.radius not in its schema/,
    );
    expect(() => checkAnswer(listing, answer({ name: 'b', size: 2, gone: undefined }))).not.toThrow();

    inMode('aws');
    expect(() => checkAnswer(listing, answer({ name: 'b', size: 2, pk: SECRET }))).not.toThrow();
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0]![1]).toMatchObject({ issues: ['items.1.pk: unrecognized_keys'] });
    expect(JSON.stringify(errors.mock.calls)).not.toContain(SECRET);
  });

  it('still refuses an undeclared status in local mode and logs it on AWS', () => {
    inMode('local');
    expect(() => checkAnswer(entry, json(201, { name: 'x', size: 3 }))).toThrow(/does not declare/);
    inMode('aws');
    expect(() => checkAnswer(entry, json(201, { name: 'x', size: 3 }))).not.toThrow();
    expect(errors).toHaveBeenCalledTimes(1);
  });
});
