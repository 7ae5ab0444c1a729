import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { type FunctionGroup, type Route, routes } from '#api/routes';
import { API_FUNCTION_TIMEOUT_SECONDS } from '#commons/facts';

/**
 * The HTTP adapter of local mode: turns a Node request into the API Gateway (REST, Lambda proxy)
 * event the deployed API sends, calls the same handler the function runs, and writes its result.
 * Routes come from the same table the CDK app builds the REST API from.
 */
type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** One loader per function group: the module is imported on its first request, like a cold start. */
const loaders: Record<FunctionGroup, () => Promise<{ handler: unknown }>> = {
  meta: () => import('#http/meta'),
  models: () => import('#http/models'),
  versions: () => import('#http/versions'),
  aliases: () => import('#http/aliases'),
  lineage: () => import('#http/lineage'),
  audit: () => import('#http/audit'),
  environments: () => import('#http/environments'),
  inventory: () => import('#http/inventory'),
  approvals: () => import('#http/approvals'),
  'approval-links': () => import('#http/approval-links'),
  deployments: () => import('#http/deployments'),
  monitoring: () => import('#http/monitoring'),
  'drift-runs': () => import('#http/drift-runs'),
  evidence: () => import('#http/evidence'),
  mlflow: () => import('#http/mlflow'),
};

/** API Gateway's own payload limit; the handlers enforce the API's 1 MiB themselves. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  params: string[];
}

const compile = (route: Route): CompiledRoute => {
  const params: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)(\+?)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(param[1]!);
      // `{name+}`: API Gateway's greedy parameter, the rest of the path.
      return param[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), params };
};

const compiled = routes.map(compile);

export const matchRoute = (method: string, path: string) => {
  const candidates = compiled.filter((c) => c.pattern.test(path));
  if (candidates.length === 0) return undefined;
  const exact = candidates.find((c) => c.route.method === method) ?? candidates[0]!;
  const values = exact.pattern.exec(path)!.slice(1);
  return {
    route: exact.route,
    pathParameters: Object.fromEntries(exact.params.map((name, i) => [name, safeDecode(values[i]!)])),
  };
};

/** Resources whose path segments after them are secrets: `approval-links` in the route table. */
const secretResources = new Set(
  routes.flatMap((r) => {
    if (!r.secretParam) return [];
    const segments = r.path.split('/');
    const at = segments.indexOf(`{${r.secretParam}}`);
    return at > 0 ? [segments[at - 1]!.toLowerCase()] : [];
  }),
);

/**
 * The path as a log line may show it: every segment after a secret-bearing resource is replaced,
 * judged on the decoded path, so a trailing or doubled slash, a percent-encoded character or an
 * encoded separator that keeps the path from matching a route cannot carry the secret through.
 */
export const redactPath = (pathname: string): string => {
  // Segment by segment: one malformed escape does not keep the others from being decoded.
  const segments = pathname.split(/[/\\]/).flatMap((segment) => safeDecode(segment).split(/[/\\]/));
  const at = segments.findIndex((segment) => secretResources.has(segment.toLowerCase()));
  if (at < 0) return pathname;
  return [...segments.slice(0, at + 1), ...segments.slice(at + 1).map((s) => (s ? '{secret}' : s))].join('/');
};

const safeDecode = (value: string): string => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

const readBody = (req: IncomingMessage): Promise<Buffer | 'too-large'> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > GATEWAY_MAX_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });

/** The API functions' timeout on AWS: middy answers early from `getRemainingTimeInMillis`, as there. */
export const API_FUNCTION_TIMEOUT_MS = API_FUNCTION_TIMEOUT_SECONDS * 1000;

const lambdaContext = (fn: string, requestId: string, timeoutMs: number): Context => {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `steward-local-${fn}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:steward-local-${fn}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/steward-local-${fn}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

export const toEvent = (
  req: IncomingMessage,
  url: URL,
  route: Route,
  pathParameters: Record<string, string>,
  body: Buffer,
  requestId: string,
): APIGatewayProxyEvent => {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  const hasQuery = Object.keys(query).length > 0;
  const now = Date.now();
  return {
    resource: route.path,
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : null,
    stageVariables: null,
    body: body.length ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      domainName: req.headers.host ?? 'localhost',
      httpMethod: req.method ?? 'GET',
      path: url.pathname,
      protocol: `HTTP/${req.httpVersion}`,
      requestId,
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: route.path,
      stage: 'local',
      // As API Gateway does for a request it did not authenticate with IAM.
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
};

/** A local-mode-only route, keyed `<METHOD> <path>`; a body, when sent, arrives parsed as JSON. */
/** A local-only route: JSON by default, or a page (`html`). */
export type LocalRoute = (
  url: URL,
  body: unknown,
) => Promise<{ status: number; body?: unknown; html?: string }>;

const send = (
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
) => {
  res.writeHead(status, headers);
  res.end(body);
};

const problem = (status: number, title: string, detail: string) =>
  JSON.stringify({
    type: `https://steward.dev/problems/${title.toLowerCase().replaceAll(' ', '-')}`,
    title,
    status,
    detail,
  });

/** Static files under a path prefix (the console), answered for GET and HEAD. */
export type StaticSite = (
  pathname: string,
) => Promise<{ status: number; headers: Record<string, string>; body: string | Buffer }>;

export const createRequestListener = (options: {
  localRoutes: Record<string, LocalRoute>;
  /** Path prefix -> site; a path equal to the prefix or under it goes to the site. */
  sites?: Record<string, StaticSite>;
  log: (line: string) => void;
  /** The simulated function timeout (default: the API functions' timeout on AWS). */
  functionTimeoutMs?: number;
}): RequestListener => {
  const timeoutMs = options.functionTimeoutMs ?? API_FUNCTION_TIMEOUT_MS;
  const handlers = new Map<FunctionGroup, Promise<Handler>>();
  const handlerFor = (fn: FunctionGroup) => {
    let loaded = handlers.get(fn);
    if (!loaded) {
      loaded = loaders[fn]().then((m) => m.handler as Handler);
      handlers.set(fn, loaded);
    }
    return loaded;
  };

  return async (req, res) => {
    const started = performance.now();
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://localhost');
    let status = 500;
    let label: string;
    let match: ReturnType<typeof matchRoute>;
    try {
      const local = options.localRoutes[`${req.method} ${url.pathname}`];
      const site =
        req.method === 'GET' || req.method === 'HEAD'
          ? Object.entries(options.sites ?? {}).find(
              ([prefix]) => url.pathname === prefix || url.pathname.startsWith(`${prefix}/`),
            )?.[1]
          : undefined;
      match = local || site ? undefined : matchRoute(req.method ?? 'GET', url.pathname);
      if (site) {
        const out = await site(url.pathname);
        status = out.status;
        res.writeHead(status, out.headers);
        res.end(req.method === 'HEAD' ? undefined : out.body);
      } else if (local) {
        const raw = await readBody(req);
        let body: unknown;
        try {
          body = raw !== 'too-large' && raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
        } catch {
          body = undefined;
        }
        const out = await local(url, body);
        status = out.status;
        if (out.html !== undefined)
          send(
            res,
            status,
            { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
            out.html,
          );
        else
          send(
            res,
            status,
            {
              'content-type': status >= 400 ? 'application/problem+json' : 'application/json',
              'cache-control': 'no-store',
            },
            JSON.stringify(out.body),
          );
      } else if (!match) {
        status = 404;
        send(
          res,
          404,
          { 'content-type': 'application/problem+json' },
          problem(404, 'Not found', `no route for ${url.pathname}`),
        );
      } else {
        const body = await readBody(req);
        if (body === 'too-large') {
          status = 413;
          send(
            res,
            413,
            { 'content-type': 'application/problem+json' },
            problem(413, 'Payload too large', 'over 10 MB'),
          );
        } else {
          const event = toEvent(req, url, match.route, match.pathParameters, body, requestId);
          const handler = await handlerFor(match.route.fn);
          const result = await handler(event, lambdaContext(match.route.fn, requestId, timeoutMs));
          status = result.statusCode;
          const headers: Record<string, string> = { 'x-request-id': requestId };
          for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
          send(
            res,
            status,
            headers,
            result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body,
          );
        }
      }
    } catch (error) {
      status = 502;
      // As API Gateway answers when the integration fails; the cause stays in the server's log.
      options.log(`integration error: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent)
        send(
          res,
          502,
          { 'content-type': 'application/problem+json' },
          problem(502, 'Bad gateway', 'internal server error'),
        );
    } finally {
      // A secret in the path (an approval link) never reaches a log line, whether or not it matched.
      label = redactPath(url.pathname);
      const principal = req.headers['x-steward-principal'] ?? '-';
      options.log(
        `${req.method} ${label} ${status} ${(performance.now() - started).toFixed(1)}ms ${principal}`,
      );
    }
  };
};
