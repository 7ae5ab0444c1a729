import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import { crc32 } from 'node:zlib';

/**
 * The DynamoDB JSON protocol (awsJson1_0) as the local front speaks it: raw calls to dynalite,
 * error bodies shaped as DynamoDB sends them, and answers to the caller.
 */

/** One AttributeValue as it travels on the wire (`{ S: 'x' }`, `{ B: '<base64>' }`). */
export type WireValue = Record<string, unknown>;
/** An item, key or image in DynamoDB JSON. */
export type WireItem = Record<string, WireValue>;
/** A request or response body. */
export type WireBody = Record<string, unknown>;

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const DYNAMODB = 'com.amazonaws.dynamodb.v20120810#';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
const TARGET_PREFIX = 'DynamoDB_20120810.';
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

/** An error answer: `body.__type` is what the SDK maps to an exception class. */
export class DynamoError extends Error {
  constructor(
    readonly status: number,
    readonly body: WireBody,
  ) {
    super(String(body.message ?? body.Message ?? body.__type ?? 'DynamoDB error'));
  }

  /** The exception name without its namespace, e.g. `ConditionalCheckFailedException`. */
  get type(): string {
    const type = String(this.body.__type ?? '');
    return type.slice(type.indexOf('#') + 1);
  }
}

export const validationError = (message: string): DynamoError =>
  new DynamoError(400, { __type: 'com.amazon.coral.validate#ValidationException', message });

export const serviceError = (name: string, message: string, extra: WireBody = {}): DynamoError =>
  new DynamoError(400, { __type: DYNAMODB + name, message, ...extra });

export const internalError = (message: string): DynamoError =>
  new DynamoError(500, { __type: DYNAMODB + 'InternalServerError', message });

/** The operation named by `X-Amz-Target` (`DynamoDB_20120810.PutItem` -> `PutItem`), or ''. */
export const operationOf = (headers: http.IncomingHttpHeaders): string => {
  const target = headers['x-amz-target'];
  return typeof target === 'string' && target.startsWith(TARGET_PREFIX)
    ? target.slice(TARGET_PREFIX.length)
    : '';
};

/** Parses a request body; undefined when it is not a JSON object (dynalite then answers the error). */
export const parseBody = (body: Buffer): WireBody | undefined => {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as WireBody)
      : undefined;
  } catch {
    return undefined;
  }
};

export const isConditionalFailure = (response: RawResponse): boolean =>
  response.status === 400 && response.body.includes('#ConditionalCheckFailedException');

// dynalite wants a SigV4-shaped Authorization header but checks no signature.
const INTERNAL_HEADERS = {
  'content-type': CONTENT_TYPE,
  'x-amz-date': '20200101T000000Z',
  authorization:
    'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=local',
};

/** An http.Server request listener, as dynalite's factory installs one. */
export type RequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * dynalite, called in-process: requests go straight to its request listener with a minimal
 * request (an emitter of the body) and response (collects headers, status and body), skipping a
 * loopback HTTP hop and its socket work, which cost five to ten times what dynalite itself does.
 * dynalite's listener reads only headers, method, url and the data/end events, and answers with
 * setHeader, statusCode and end.
 */
export class Backend {
  constructor(private readonly listener: RequestListener) {}

  /** Hands a request over as it came and collects the answer (used to proxy callers' requests). */
  forward(
    method: string,
    path: string,
    headers: http.IncomingHttpHeaders,
    body: Buffer,
  ): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const request = Object.assign(new EventEmitter(), { method, url: path, headers });
      const collected: http.IncomingHttpHeaders = {};
      const response = {
        statusCode: 200,
        setHeader(name: string, value: number | string | string[]) {
          collected[name.toLowerCase()] = typeof value === 'number' ? String(value) : value;
          return response;
        },
        end(chunk?: string | Buffer) {
          const bytes =
            chunk === undefined ? Buffer.alloc(0) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
          resolve({ status: response.statusCode, headers: collected, body: bytes });
          return response;
        },
      };
      try {
        this.listener(request as unknown as http.IncomingMessage, response as unknown as http.ServerResponse);
        if (body.length > 0) request.emit('data', body);
        request.emit('end');
      } catch (error) {
        reject(error);
      }
    });
  }

  /** Calls one operation; resolves with the answer, rejects with a DynamoError on an error answer. */
  async call<T extends WireBody = WireBody>(operation: string, payload: WireBody): Promise<T> {
    const response = await this.forward(
      'POST',
      '/',
      { ...INTERNAL_HEADERS, 'x-amz-target': TARGET_PREFIX + operation },
      Buffer.from(JSON.stringify(payload)),
    );
    const parsed = parseBody(response.body) ?? {};
    if (response.status !== 200) throw new DynamoError(response.status, parsed);
    return parsed as T;
  }
}

/** Answers the caller with a response collected from dynalite, or rewritten from one. */
export const sendRaw = (res: http.ServerResponse, response: RawResponse): void => {
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'content-length') res.setHeader(name, value);
  }
  res.setHeader('content-length', response.body.length);
  res.writeHead(response.status);
  res.end(response.body);
};

/** A JSON answer made by the front itself, with the headers DynamoDB sends. */
export const jsonResponse = (status: number, body: WireBody): RawResponse => {
  const bytes = Buffer.from(JSON.stringify(body));
  return {
    status,
    headers: {
      'content-type': CONTENT_TYPE,
      'x-amzn-requestid': randomUUID().replaceAll('-', '').toUpperCase(),
      'x-amz-crc32': String(crc32(bytes)),
    },
    body: bytes,
  };
};

export const errorResponse = (error: unknown): RawResponse => {
  const known =
    error instanceof DynamoError ? error : internalError(String((error as Error)?.message ?? error));
  return jsonResponse(known.status, known.body);
};

/** The same answer with more fields in its JSON body (e.g. `Item` on a failed condition). */
export const withFields = (response: RawResponse, fields: WireBody): RawResponse => {
  const body = { ...parseBody(response.body), ...fields };
  const rewritten = jsonResponse(response.status, body);
  return { ...rewritten, headers: { ...response.headers, 'x-amz-crc32': rewritten.headers['x-amz-crc32'] } };
};
