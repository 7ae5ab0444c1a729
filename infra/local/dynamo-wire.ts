import { randomUUID } from 'node:crypto';
import http from 'node:http';
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
const INTERNAL_AUTH =
  'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=local';

/** A keep-alive HTTP client for the dynalite server behind the front. */
export class Backend {
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(private readonly port: number) {}

  /** Sends a request as it came and collects the answer (used to proxy callers' requests). */
  forward(
    method: string,
    path: string,
    headers: http.IncomingHttpHeaders,
    body: Buffer,
  ): Promise<RawResponse> {
    const outgoing: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) outgoing[name] = value;
    }
    outgoing['content-length'] = body.length;
    return new Promise((resolve, reject) => {
      const request = http.request(
        { host: '127.0.0.1', port: this.port, method, path, headers: outgoing, agent: this.agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 500,
              headers: response.headers,
              body: Buffer.concat(chunks),
            }),
          );
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  /** Calls one operation; resolves with the answer, rejects with a DynamoError on an error answer. */
  async call<T extends WireBody = WireBody>(operation: string, payload: WireBody): Promise<T> {
    const response = await this.forward(
      'POST',
      '/',
      {
        'content-type': CONTENT_TYPE,
        'x-amz-target': TARGET_PREFIX + operation,
        'x-amz-date': '20200101T000000Z',
        authorization: INTERNAL_AUTH,
      },
      Buffer.from(JSON.stringify(payload)),
    );
    const parsed = parseBody(response.body) ?? {};
    if (response.status !== 200) throw new DynamoError(response.status, parsed);
    return parsed as T;
  }

  close(): void {
    this.agent.destroy();
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
