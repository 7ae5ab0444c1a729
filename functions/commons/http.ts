import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type * as z from 'zod';
import { recordAttempt } from '#adapters/attempt-log';
import type { InputOf, Route, RouteEntry, RouteRole } from '#api/route';
import { escapeHtml } from '#domain/html';
import { ModelName } from '#domain/names';
import { PAGE_HEADERS, page } from '#presentation/page';
import { config } from './config.ts';
import {
  asHttpError,
  type FieldProblem,
  ForbiddenError,
  type HttpError,
  isTransient,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors.ts';
import { METRICS } from './facts.ts';
import { withIdempotency } from './idempotency.ts';
import { hasRole, type Principal, requireReader, requireRole, resolvePrincipal } from './identity.ts';
import { logger, metrics } from './observability.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

/** A request after the middleware: headers lower-cased, JSON parsed, caller resolved. */
export interface HttpRequest {
  operationId: string;
  method: string;
  /** The concrete path, e.g. `/v1/models/churn`. */
  path: string;
  /** The route's path template, e.g. `/v1/models/{model}`. */
  resourcePath: string;
  principal: Principal;
  headers: Readonly<Record<string, string>>;
  pathParameters: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string>>;
  /** Every value of a repeated query parameter (`order_by=a&order_by=b`), in order. */
  multiQuery: Readonly<Record<string, readonly string[]>>;
  body: unknown;
  rawBody: string | undefined;
  requestId: string;
  /** The API's own base URL from configuration (PUBLIC_BASE_URL), for links. */
  baseUrl: string;
  /** The origin (scheme, host, port) of the API this request reached, for `Origin` checks. */
  ownOrigin: string;
}

export interface HttpResponse {
  statusCode: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Operation = (request: HttpRequest) => Promise<HttpResponse>;

/** A request whose input its route entry's schemas have parsed. */
export interface ParsedRequest<E> extends HttpRequest {
  input: InputOf<E>;
}

/** What a handler writes per operation: it receives the parsed input, the caller's role checked. */
export type OperationsOf<T extends readonly RouteEntry[]> = {
  [K in T[number]['operationId']]: (
    request: ParsedRequest<Extract<T[number], { readonly operationId: K }>>,
  ) => Promise<HttpResponse>;
};

const BASE_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export const json = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse => ({
  statusCode,
  body,
  headers,
});

/** `ETag` of a stored item: its revision, which every write bumps. */
export const etagOf = (revision: number): string => `"${revision}"`;

/** The revision an `If-Match` header asks for; undefined when the header is absent or `*`. */
export const ifMatchRevision = (request: HttpRequest): number | undefined => {
  const header = request.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d+)"\s*$/.exec(header);
  if (!match) throw new PreconditionFailedError('If-Match must be an ETag this service issued');
  return Number(match[1]);
};

const formatIssues = (issues: z.core.$ZodIssue[], where: string): FieldProblem[] =>
  issues.flatMap((issue) => {
    const base = [where, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ path: `${base}.${key}`, message: 'unknown field' }));
    // zod's own text for an absent field ("expected string, received undefined") says it plainly.
    if (issue.code === 'invalid_type' && issue.input === undefined)
      return [
        {
          path: base,
          message: `required: ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`,
        },
      ];
    // A union's own text is "Invalid input"; say what is missing, or what each branch wanted.
    if (issue.code === 'invalid_union') {
      if (issue.input === undefined) return [{ path: base, message: 'required' }];
      const wanted = [
        ...new Set(
          issue.errors.map((branch) => branch[0]?.message.replace(/^Invalid input: /, '')).filter(Boolean),
        ),
      ];
      if (wanted.length > 0) return [{ path: base, message: wanted.join('; or ') }];
    }
    return [{ path: base, message: issue.message }];
  });

/** Validate one part of the request; every invalid field is named in the 400. */
export const input = <S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' | 'path',
): z.output<S> => {
  // reportInput: an issue carries its input, so an absent field can be told from a wrong one.
  const parsed = schema.safeParse(value, { reportInput: true });
  if (parsed.success) return parsed.data;
  const errors = formatIssues(parsed.error.issues, where);
  throw new ValidationError(
    `${errors.length} invalid field${errors.length === 1 ? '' : 's'} in the ${where}`,
    {
      errors,
    },
  );
};

/** The route entry's role, checked before anything of the request is read. */
export const enforceRole = (principal: Principal, role: RouteRole): void => {
  if (role === 'public' || role === 'authenticated' || role === 'owner') return;
  if (role === 'reader') requireReader(principal);
  else if (typeof role === 'string') requireRole(principal, role);
  else if (!role.some((r) => hasRole(principal, r))) requireRole(principal, role[role.length - 1]!);
};

/** The input of a request as its route entry states it: path, then query, then body. */
export const parseInput = <E extends RouteEntry>(entry: E, request: HttpRequest): InputOf<E> => {
  if (entry.parsesOwnInput)
    return { path: request.pathParameters, query: request.query, body: request.body } as InputOf<E>;
  const path = entry.params ? input(entry.params, request.pathParameters, 'path') : request.pathParameters;
  const query = entry.query ? input(entry.query, request.query, 'query') : request.query;
  const raw = request.body === undefined && entry.bodyOptional ? {} : request.body;
  const body = entry.body ? input(entry.body, raw, 'body') : request.body;
  return { path, query, body } as InputOf<E>;
};

/**
 * A group's operations as callable with a plain request: each checks its entry's role, parses
 * its input and calls the handler's function with it. The middleware serves them; another
 * operation may call one with a request of its own and gets the same checks.
 */
export const operationsFor = <T extends readonly Route[]>(
  table: T,
  handlers: OperationsOf<NoInfer<T>>,
): Readonly<Record<T[number]['operationId'], Operation>> => {
  const out: Record<string, Operation> = {};
  const fns = handlers as unknown as Record<
    string,
    (request: ParsedRequest<RouteEntry>) => Promise<HttpResponse>
  >;
  for (const entry of table) {
    const fn = fns[entry.operationId];
    if (!fn) throw new Error(`no operation for ${entry.operationId}`);
    // One entry per operation id serves its checks; an id on two methods (MLflow) shares them.
    out[entry.operationId] ??= async (request) => {
      enforceRole(request.principal, entry.role);
      return fn({ ...request, input: parseInput(entry, request) });
    };
  }
  return out as Record<T[number]['operationId'], Operation>;
};

const lowerCaseHeaders = (headers: APIGatewayProxyEvent['headers']): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
};

const ANONYMOUS: Principal = { id: 'anonymous', sessionName: undefined, roles: new Set() };

/** No request body of this API nests deeper than this; deeper is refused before it is parsed. */
export const MAX_BODY_DEPTH = 32;

/**
 * How deep a JSON text nests, read from the raw text without parsing it (so a hostile body
 * 150,000 levels deep costs one linear scan, never a recursion). Stops counting past `limit`.
 */
export const jsonDepth = (raw: string, limit = MAX_BODY_DEPTH): number => {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
};

/**
 * Keys that name the object machinery rather than data: `__proto__` would be dropped (or worse)
 * by any code that copies the object, `constructor` makes the DynamoDB marshaller (and AWS's)
 * take the map for a class instance. They are refused with a 400 naming the field, never dropped.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor']);

const reservedKeyPaths = (value: unknown, path: string, found: string[]): string[] => {
  if (found.length >= 20 || value === null || typeof value !== 'object') return found;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) reservedKeyPaths(v, `${path}.${i}`, found);
    return found;
  }
  for (const key of Object.keys(value)) {
    if (RESERVED_KEYS.has(key)) found.push(`${path}.${key}`);
    else reservedKeyPaths((value as Record<string, unknown>)[key], `${path}.${key}`, found);
  }
  return found;
};

/** Refuse reserved keys anywhere in a parsed body (its depth is already bounded). */
export const refuseReservedKeys = (value: unknown, where: string) => {
  const paths = reservedKeyPaths(value, where, []);
  if (paths.length)
    throw new ValidationError(
      `${paths.length} reserved key${paths.length === 1 ? '' : 's'} in the ${where}`,
      {
        errors: paths.map((path) => ({
          path,
          message: 'reserved key (__proto__ and constructor are not accepted as names)',
        })),
      },
    );
};

const parseBody = (event: APIGatewayProxyEvent, headers: Record<string, string>, forms: boolean) => {
  if (event.body === null || event.body === undefined || event.body === '')
    return { body: undefined, raw: undefined };
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES)
    throw new PayloadTooLargeError('the body is larger than 1 MiB');
  const type = headers['content-type'] ?? '';
  // Pages post forms; everything else speaks JSON.
  if (forms && /^application\/x-www-form-urlencoded\b/i.test(type)) {
    const body = Object.fromEntries(new URLSearchParams(raw)) as unknown;
    refuseReservedKeys(body, 'body');
    return { body, raw };
  }
  if (!/^application\/([a-z.+-]+\+)?json\b/i.test(type))
    throw new UnsupportedMediaTypeError('the body must be application/json');
  // Before anything else looks at it: nothing downstream (validation, fingerprints, logs) recurses deep.
  if (jsonDepth(raw) > MAX_BODY_DEPTH)
    throw new ValidationError(`the body nests deeper than ${MAX_BODY_DEPTH} levels`, {
      errors: [{ path: 'body', message: `nested deeper than ${MAX_BODY_DEPTH} levels` }],
    });
  let body: unknown;
  try {
    body = JSON.parse(raw) as unknown;
  } catch (error) {
    throw new ValidationError('the body is not valid JSON', {
      errors: [{ path: 'body', message: (error as Error).message }],
    });
  }
  refuseReservedKeys(body, 'body');
  return { body, raw };
};

const toRequest = (
  event: APIGatewayProxyEvent,
  route: Route | undefined,
  table: readonly Route[],
): HttpRequest => {
  if (!route) {
    if (table.some((r) => r.path === event.resource))
      throw new MethodNotAllowedError(`${event.httpMethod} is not allowed on ${event.resource}`);
    throw new NotFoundError(`no route for ${event.httpMethod} ${event.path}`);
  }
  const headers = lowerCaseHeaders(event.headers);
  const { body, raw } = parseBody(event, headers, route.page === true);
  // Public routes (health, later the approval links) have no IAM identity to resolve.
  const principal =
    route.auth === 'none' ? ANONYMOUS : resolvePrincipal(event, config().mode, config().roles);
  return {
    operationId: route.operationId,
    method: event.httpMethod,
    path: event.path,
    resourcePath: event.resource,
    principal,
    headers,
    pathParameters: (event.pathParameters ?? {}) as Record<string, string>,
    query: (event.queryStringParameters ?? {}) as Record<string, string>,
    multiQuery: (event.multiValueQueryStringParameters ?? {}) as Record<string, string[]>,
    body,
    rawBody: raw,
    requestId: event.requestContext?.requestId ?? 'local',
    baseUrl: baseUrlOf(event),
    ownOrigin: ownOriginOf(event),
  };
};

/**
 * The API's own base URL, for links: from configuration (PUBLIC_BASE_URL), never from the
 * request's `Host` header, which the caller chooses. Without configuration on AWS, the domain API
 * Gateway itself reports (its own routing, not a header) and the stage.
 */
const baseUrlOf = (event: APIGatewayProxyEvent): string => {
  const configured = config().publicBaseUrl;
  if (configured) return configured.replace(/\/$/, '');
  if (config().mode === 'local') return 'http://localhost:4000';
  const host = event.requestContext?.domainName ?? 'localhost';
  const stage = event.requestContext?.stage;
  return `https://${host}${stage ? `/${stage}` : ''}`;
};

/**
 * The origin this request arrived at, as the deployment knows it: on AWS the domain API Gateway
 * routed it by; in local mode the configured base URL. Pages compare a form's `Origin` with it.
 */
const ownOriginOf = (event: APIGatewayProxyEvent): string => {
  if (config().mode === 'local') return new URL(baseUrlOf(event)).origin;
  return `https://${event.requestContext?.domainName ?? 'localhost'}`;
};

const problem = (error: HttpError, requestId: string): APIGatewayProxyResult => ({
  statusCode: error.statusCode,
  headers: { ...BASE_HEADERS, 'content-type': 'application/problem+json', ...error.headers },
  body: JSON.stringify({
    type: error.type,
    title: error.title,
    status: error.statusCode,
    detail: error.message,
    ...(error.errors ? { errors: error.errors } : {}),
    instance: requestId,
  }),
});

/** The answer to any error: typed errors as they are, transient faults as 503, the rest as 500. */
export const toProblem = (error: unknown, requestId: string): APIGatewayProxyResult => {
  const known = asHttpError(error);
  if (known) return problem(known, requestId);
  if (isTransient(error)) {
    logger.warn('transient storage fault', { error: error as Error });
    return problem(
      new ServiceUnavailableError('storage is busy; retry shortly', { headers: { 'retry-after': '1' } }),
      requestId,
    );
  }
  logger.error('unhandled error', { error: error as Error });
  return {
    statusCode: 500,
    headers: { ...BASE_HEADERS, 'content-type': 'application/problem+json' },
    body: JSON.stringify({
      type: 'https://steward.dev/problems/internal-error',
      title: 'Internal error',
      status: 500,
      detail: 'the request failed; it has been logged',
      instance: requestId,
    }),
  };
};

export { escapeHtml, PAGE_HEADERS, page };

/**
 * MLflow's error body, `{error_code, message}`, with the status MLflow gives each code. A typed
 * error may name its MLflow code (`mlflowCode`); the others map by their HTTP status.
 */
const MLFLOW_BY_STATUS: Record<number, string> = {
  400: 'INVALID_PARAMETER_VALUE',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'RESOURCE_DOES_NOT_EXIST',
  405: 'ENDPOINT_NOT_FOUND',
  409: 'INVALID_STATE',
  410: 'RESOURCE_DOES_NOT_EXIST',
  412: 'ABORTED',
  413: 'INVALID_PARAMETER_VALUE',
  415: 'BAD_REQUEST',
  422: 'INVALID_PARAMETER_VALUE',
  429: 'REQUEST_LIMIT_EXCEEDED',
  503: 'TEMPORARILY_UNAVAILABLE',
};
/** The statuses MLflow's server answers for these codes. */
const MLFLOW_STATUS: Record<string, number> = {
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_STATE: 400,
  BAD_REQUEST: 400,
  ABORTED: 409,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  REQUEST_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  TEMPORARILY_UNAVAILABLE: 503,
};

export const toMlflowError = (error: unknown, requestId: string): APIGatewayProxyResult => {
  const asProblem = toProblem(error, requestId);
  const parsed = JSON.parse(asProblem.body) as { detail: string; errors?: FieldProblem[] };
  const named = (error as { mlflowCode?: unknown } | undefined)?.mlflowCode;
  const code =
    (typeof named === 'string' ? named : undefined) ??
    MLFLOW_BY_STATUS[asProblem.statusCode] ??
    'INTERNAL_ERROR';
  const fields = parsed.errors?.length
    ? `: ${parsed.errors.map((e) => `${e.path.replace(/^(body|query)\./, '')}: ${e.message}`).join('; ')}`
    : '';
  const headers = { ...asProblem.headers, 'content-type': 'application/json' };
  return {
    statusCode: MLFLOW_STATUS[code] ?? asProblem.statusCode,
    headers,
    body: JSON.stringify({ error_code: code, message: `${parsed.detail}${fields}` }),
  };
};

/** An error as a page, for the routes people open in a browser. */
const errorPage = (result: APIGatewayProxyResult): APIGatewayProxyResult => {
  const problem = JSON.parse(result.body) as { title: string; detail: string };
  return {
    statusCode: result.statusCode,
    headers: {
      ...PAGE_HEADERS,
      ...(result.headers?.['retry-after'] ? { 'retry-after': String(result.headers['retry-after']) } : {}),
    },
    body: page(problem.title, `<h1>${escapeHtml(problem.title)}</h1><p>${escapeHtml(problem.detail)}</p>`),
  };
};

/**
 * The paths of the keys of `sent` that `parsed` (its schema's parse of it) lacks: the fields no
 * object schema on their path names. Values are never compared, only which keys are there.
 */
const undeclaredKeys = (sent: unknown, parsed: unknown, path = ''): string[] => {
  if (Array.isArray(sent))
    return Array.isArray(parsed)
      ? sent.flatMap((item, i) => undeclaredKeys(item, parsed[i], `${path}${path ? '.' : ''}${i}`))
      : [];
  if (!isPlainObject(sent) || !isPlainObject(parsed)) return [];
  return Object.keys(sent).flatMap((key) => {
    const at = `${path}${path ? '.' : ''}${key}`;
    if (!Object.hasOwn(parsed, key)) return sent[key] === undefined ? [] : [at];
    return undeclaredKeys(sent[key], parsed[key], at);
  });
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

/**
 * An answer against its route entry. A success must be one of the entry's declared statuses, and
 * its JSON body must match that status's schema (its `application/json` one, where it has
 * several), with no field the schema does not name: the reference is generated from the entry, so
 * a mismatch is a defect of the entry or of the operation. Local mode (and so every test) refuses
 * either as a fault. On AWS the answer is sent as it is and the mismatch is logged at error level
 * with the route and the paths of the fields that differ, never their values.
 */
export const checkAnswer = (route: RouteEntry, response: HttpResponse): void => {
  if (response.statusCode >= 400) return;
  const where = `${route.operationId} (${route.method} ${route.path})`;
  const spec = route.responses[response.statusCode];
  if (!spec) {
    const problem = `${where} answered ${response.statusCode}, which its route entry does not declare`;
    if (config().mode === 'local') throw new Error(problem);
    logger.error('an answer differs from its route entry', { detail: problem });
    return;
  }
  // A JSON body: the status's schema, or its JSON one where the answer comes in several types.
  const schema = spec.schema ?? spec.content?.['application/json'];
  if (!schema || response.body === undefined || typeof response.body === 'string') return;
  const parsed = schema.safeParse(response.body);
  // zod drops a key its object schema does not name, and the parse succeeds: a field the
  // reference does not document shows as a key of the answer that the parsed copy lacks.
  const undeclared = parsed.success ? undeclaredKeys(response.body, parsed.data) : [];
  if (parsed.success && undeclared.length === 0) return;
  // The path and the kind of each issue only: a message may quote the value, which is data.
  const issues = parsed.success
    ? undeclared.slice(0, 10).map((path) => `${path}: unrecognized_keys`)
    : parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(body)'}: ${i.code}`);
  if (config().mode === 'local')
    throw new Error(
      `${where} answered a ${response.statusCode} body its route entry does not describe: ${
        parsed.success
          ? `${undeclared.slice(0, 10).join(', ')} not in its schema`
          : parsed.error.issues
              .slice(0, 10)
              .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
              .join('; ')
      }`,
    );
  logger.error('an answer differs from its route entry', {
    operation: route.operationId,
    route: `${route.method} ${route.path}`,
    status: response.statusCode,
    issues,
  });
};

const serialize = (response: HttpResponse): APIGatewayProxyResult => {
  const headers: Record<string, string> = { ...BASE_HEADERS, ...response.headers };
  if (response.body === undefined) return { statusCode: response.statusCode, headers, body: '' };
  if (typeof response.body === 'string')
    return { statusCode: response.statusCode, headers, body: response.body };
  headers['content-type'] ??= 'application/json';
  return { statusCode: response.statusCode, headers, body: JSON.stringify(response.body) };
};

/** Requests, client errors and faults per operation, as CloudWatch metrics (EMF). */
const metricsOn = process.env.POWERTOOLS_METRICS_DISABLED !== 'true';

const count = (result: APIGatewayProxyResult, operationId: string | undefined): APIGatewayProxyResult => {
  if (!metricsOn) return result;
  // A metric set of its own per request: nothing shared if one process serves requests side by side.
  const single = metrics.singleMetric();
  single.addDimension('operation', operationId ?? 'unrouted');
  single.addMetric(METRICS.names.requests, MetricUnit.Count, 1);
  if (result.statusCode >= 500) single.addMetric(METRICS.names.faults, MetricUnit.Count, 1);
  else if (result.statusCode >= 400) single.addMetric(METRICS.names.clientErrors, MetricUnit.Count, 1);
  return result;
};

/**
 * A refused attempt goes on record (the attempt log) before the 403 is answered. If the log
 * cannot be written for a transient fault the answer is that fault's 503, so the caller retries
 * and the attempt is recorded then; any other failure is logged and the 403 stands.
 */
const onRecord = async (request: HttpRequest, error: ForbiddenError): Promise<unknown> => {
  const pathModel = ModelName.safeParse(request.pathParameters.model);
  const model = error.subject?.model ?? (pathModel.success ? pathModel.data : undefined);
  const route = request.resourcePath;
  try {
    await recordAttempt({
      model,
      actor: error.subject?.actor ?? request.principal.id,
      operation: request.operationId,
      route,
      target: error.subject?.target ?? `${request.operationId}${model ? `:${model}` : ''}`,
      reason: error.message,
      at: new Date().toISOString(),
    });
    return error;
  } catch (failure) {
    if (isTransient(failure)) return failure;
    logger.error('a refused attempt could not be recorded', { error: failure as Error });
    return error;
  }
};

/**
 * X-Ray: functions run with active tracing (the invocation segment); the Powertools tracer is left
 * out because importing it (aws-xray-sdk-core) costs a third of the cold-import budget.
 *
 * The one middleware stack of every HTTP function: logger with the Lambda context, then request
 * parsing, identity, idempotency, problem+json errors and per-request metrics (each
 * request flushes its own metric set, so no flush middleware is needed).
 */
export const httpHandler = <const T extends readonly Route[]>(
  table: T,
  operations: Readonly<Record<T[number]['operationId'], Operation>>,
) => {
  const routeIndex = new Map(table.map((r) => [`${r.method} ${r.path}`, r]));
  const served = operations as Readonly<Record<string, Operation>>;
  const dispatch = async (event: APIGatewayProxyEvent, _context: Context): Promise<APIGatewayProxyResult> => {
    const requestId = event.requestContext?.requestId ?? 'local';
    const route = routeIndex.get(`${event.httpMethod} ${event.resource}`);
    const isPage = route?.page === true;
    let request: HttpRequest | undefined;
    try {
      request = toRequest(event, route, table);
      const operation = served[request.operationId];
      if (!operation || !route)
        throw new NotFoundError(`${request.operationId} is not served by this function`);
      logger.appendKeys({ operation: request.operationId, principal: request.principal.id });
      const response =
        request.method === 'POST' ? await withIdempotency(request, operation) : await operation(request);
      checkAnswer(route, response);
      return count(serialize(response), request.operationId);
    } catch (error) {
      const known = asHttpError(error) ?? error;
      const answer = known instanceof ForbiddenError && request ? await onRecord(request, known) : known;
      if (route?.protocol === 'mlflow') return count(toMlflowError(answer, requestId), undefined);
      const problem = toProblem(answer, requestId);
      return count(isPage ? errorPage(problem) : problem, undefined);
    }
  };
  const originOf = (event: APIGatewayProxyEvent) =>
    Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === 'origin')?.[1];
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event, context) => withCors(await dispatch(event, context), originOf(event)));
};

export { serialize as toResult };

/** What a browser on the console's origin may read of an answer besides the simple headers. */
const CORS_EXPOSED = 'etag, location, retry-after, content-disposition';

/**
 * The console (on its CloudFront origin) calls the API from the browser: answers to that one
 * origin say it may read them. API Gateway answers the preflight itself (OPTIONS, no
 * authorization); every other origin gets no CORS header at all.
 */
export const withCors = (
  result: APIGatewayProxyResult,
  origin: string | undefined,
): APIGatewayProxyResult => {
  const allowed = config().consoleOrigin;
  if (!allowed) return result;
  const headers: Record<string, string | number | boolean> = { ...result.headers, vary: 'Origin' };
  if (origin === allowed) {
    headers['access-control-allow-origin'] = allowed;
    headers['access-control-expose-headers'] = CORS_EXPOSED;
  }
  return { ...result, headers };
};
