import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionDescription, ExecutionStatus, LocalStepFunctions } from './stepfunctions.ts';
import { StepFunctionsError } from './stepfunctions-tasks.ts';

/**
 * The SFN API (AWS JSON 1.0, `X-Amz-Target: AWSStepFunctions.<Operation>`) in front of the local
 * runner, so that code using the real `SFNClient` (handlers calling StartExecution or
 * SendTaskSuccess) runs unchanged with `endpoint` pointed here. Errors go out as
 * `{"__type": "TaskTimedOut", "message": ...}` with status 400, which the SDK turns into its
 * exception classes of the same names. Signatures are not checked.
 */

const CONTENT_TYPE = 'application/x-amz-json-1.0';
const TARGET_PREFIX = 'AWSStepFunctions.';

type Body = Record<string, unknown>;
type Operation = (service: LocalStepFunctions, body: Body) => Body;

const epochSeconds = (date: Date) => date.getTime() / 1000;

function text(body: Body, field: string, required: true): string;
function text(body: Body, field: string, required?: false): string | undefined;
function text(body: Body, field: string, required = false): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (required) throw new StepFunctionsError('ValidationException', `${field} is required`);
    return undefined;
  }
  if (typeof value !== 'string')
    throw new StepFunctionsError('ValidationException', `${field} must be a string`);
  return value;
}

function listItem(e: ExecutionDescription): Body {
  const item: Body = {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: epochSeconds(e.startDate),
  };
  if (e.stopDate) item.stopDate = epochSeconds(e.stopDate);
  return item;
}

const operations: Record<string, Operation> = {
  StartExecution(service, body) {
    const input = text(body, 'input') ?? '{}';
    let value: unknown;
    try {
      value = JSON.parse(input);
    } catch {
      throw new StepFunctionsError('InvalidExecutionInput', 'Invalid execution input: not JSON');
    }
    const name = text(body, 'name');
    const started = service.startExecution(
      text(body, 'stateMachineArn', true),
      value,
      name === undefined ? {} : { executionName: name },
    );
    return { executionArn: started.executionArn, startDate: epochSeconds(started.startDate) };
  },

  DescribeExecution(service, body) {
    const e = service.describeExecution(text(body, 'executionArn', true));
    const out: Body = { ...listItem(e), input: JSON.stringify(e.input) };
    if (e.output !== undefined) out.output = JSON.stringify(e.output);
    if (e.error !== undefined) out.error = e.error;
    if (e.cause !== undefined) out.cause = e.cause;
    return out;
  },

  ListExecutions(service, body) {
    const statusFilter = text(body, 'statusFilter') as ExecutionStatus | undefined;
    const all = service.listExecutions(
      text(body, 'stateMachineArn', true),
      statusFilter === undefined ? {} : { statusFilter },
    );
    const max = typeof body.maxResults === 'number' && body.maxResults > 0 ? body.maxResults : 100;
    const start = Number(text(body, 'nextToken') ?? 0) || 0;
    const page = all.slice(start, start + max);
    const out: Body = { executions: page.map(listItem) };
    if (start + max < all.length) out.nextToken = String(start + max);
    return out;
  },

  StopExecution(service, body) {
    const options: { error?: string; cause?: string } = {};
    const error = text(body, 'error');
    const cause = text(body, 'cause');
    if (error !== undefined) options.error = error;
    if (cause !== undefined) options.cause = cause;
    const { stopDate } = service.stopExecution(text(body, 'executionArn', true), options);
    return { stopDate: epochSeconds(stopDate) };
  },

  SendTaskSuccess(service, body) {
    service.sendTaskSuccess(text(body, 'taskToken', true), text(body, 'output', true));
    return {};
  },

  SendTaskFailure(service, body) {
    service.sendTaskFailure(text(body, 'taskToken', true), text(body, 'error'), text(body, 'cause'));
    return {};
  },

  SendTaskHeartbeat(service, body) {
    service.sendTaskHeartbeat(text(body, 'taskToken', true));
    return {};
  },
};

export interface LocalStepFunctionsEndpoint {
  /** e.g. `http://127.0.0.1:43121`, for `new SFNClient({ endpoint })`. */
  endpoint: string;
  close(): Promise<void>;
}

export async function startLocalStepFunctionsEndpoint(
  service: LocalStepFunctions,
  { host = '127.0.0.1', port = 0 }: { host?: string; port?: number } = {},
): Promise<LocalStepFunctionsEndpoint> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = (status: number, body: Body) => {
        const payload = JSON.stringify(body);
        res.writeHead(status, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(payload) });
        res.end(payload);
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(TARGET_PREFIX)
        ? operations[target.slice(TARGET_PREFIX.length)]
        : undefined;
      if (req.method !== 'POST' || !operation) {
        reply(400, { __type: 'UnknownOperationException', message: `Unknown operation: ${target}` });
        return;
      }
      try {
        const raw = Buffer.concat(chunks).toString('utf8');
        const body: unknown = raw ? JSON.parse(raw) : {};
        if (typeof body !== 'object' || body === null)
          throw new StepFunctionsError('ValidationException', 'Bad body');
        reply(200, operation(service, body as Body));
      } catch (error) {
        if (
          error instanceof StepFunctionsError ||
          (error instanceof Error && error.name === 'InvalidDefinition')
        ) {
          reply(400, { __type: error.name, message: error.message });
        } else if (error instanceof SyntaxError) {
          reply(400, { __type: 'SerializationException', message: error.message });
        } else {
          reply(500, { __type: 'InternalFailure', message: (error as Error).message });
        }
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    endpoint: `http://${hostname}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
