import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { type HttpRequest, HttpResponse } from '@smithy/protocol-http';

/**
 * An SDK request handler that answers in-process: local mode's DynamoDB client hands each request
 * straight to the local DynamoDB front, skipping the loopback socket and HTTP parsing on both
 * sides. Same wire format, same front, same locks; only the transport is gone.
 */
type Invoke = (request: {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}) => Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>;

const bodyOf = (body: unknown): Buffer => {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new Error('the in-process handler takes string or byte bodies only');
};

export const inProcessHandler = (invoke: Invoke) => ({
  handle: async (request: HttpRequest) => {
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    const out = await invoke({
      method: request.method,
      path: request.path,
      headers,
      body: bodyOf(request.body),
    });
    const responseHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(out.headers))
      if (value !== undefined)
        responseHeaders[name] = Array.isArray(value) ? value.join(', ') : String(value);
    return {
      response: new HttpResponse({
        statusCode: out.status,
        headers: responseHeaders,
        body: Readable.from([out.body]),
      }),
    };
  },
  updateHttpClientConfig: () => undefined,
  httpHandlerConfigs: () => ({}),
  destroy: () => undefined,
});
