import type { IncomingHttpHeaders } from 'node:http';
import * as z from 'zod';

/**
 * Fault injection for local mode: the failures AWS produces under load, at a chosen rate, so
 * that what the handlers and workflows do with them can be tried. Faults are injected below the
 * SDK (DynamoDB at the in-process transport, S3 as a failed response inside the SDK's retry
 * loop), so the SDK's own retries run as they would on AWS; the seal fault fails the local
 * AES-GCM sealing of task tokens as a failed KMS Encrypt would.
 *
 * `POST /local/faults {rules}` replaces the rules, `GET /local/faults` shows them with what was
 * injected, `DELETE /local/faults` clears them; `STEWARD_LOCAL_FAULTS` (the same JSON) sets
 * rules at start.
 */
export const FaultRule = z
  .strictObject({
    service: z.enum(['dynamodb', 's3', 'seal']),
    fault: z.enum(['throttle', 'transaction-conflict', 'server-error', 'seal-failure']),
    /** Share of matching requests that fail, 0-1. */
    rate: z.number().min(0).max(1).default(1),
    /** Only these operations (DynamoDB `UpdateItem`, S3 `HeadObjectCommand`, ...). */
    operations: z.array(z.string().min(1).max(64)).max(20).optional(),
    /** DynamoDB only: requests that touch a partition key starting with this. */
    keyPrefix: z.string().min(1).max(256).optional(),
    /** At most this many injections; then the rule stays but injects nothing more. */
    count: z.number().int().min(1).optional(),
  })
  .refine(
    (r) =>
      (r.service === 'dynamodb' && r.fault !== 'seal-failure') ||
      (r.service === 's3' && r.fault === 'server-error') ||
      (r.service === 'seal' && r.fault === 'seal-failure'),
    {
      message:
        'dynamodb: throttle | transaction-conflict | server-error; s3: server-error; seal: seal-failure',
    },
  );
export type FaultRule = z.infer<typeof FaultRule>;
export const FaultRules = z.strictObject({ rules: z.array(FaultRule).max(20) });

interface LiveRule {
  rule: FaultRule;
  injected: number;
}

type RawResponse = { status: number; headers: IncomingHttpHeaders; body: Buffer };
type Invoke = (request: {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}) => Promise<RawResponse>;

const dynamoError = (type: string, message: string, extra: Record<string, unknown> = {}, status = 400) => ({
  status,
  headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type },
  body: Buffer.from(
    JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message, ...extra }),
  ),
});

/** The partition keys a DynamoDB request names (Key, Item, and every transaction item). */
const partitionKeys = (body: Record<string, unknown>): string[] => {
  const out: string[] = [];
  const add = (k: unknown) => {
    const pk = (k as { pk?: { S?: string } } | undefined)?.pk?.S;
    if (pk) out.push(pk);
  };
  add(body.Key);
  add(body.Item);
  for (const t of (body.TransactItems as Record<string, { Key?: unknown; Item?: unknown }>[]) ?? [])
    for (const op of Object.values(t)) {
      add(op.Key);
      add(op.Item);
    }
  for (const request of Object.values((body.RequestItems as Record<string, unknown[]>) ?? {}))
    for (const r of request as { PutRequest?: { Item?: unknown }; DeleteRequest?: { Key?: unknown } }[]) {
      add(r.PutRequest?.Item);
      add(r.DeleteRequest?.Key);
    }
  return out;
};

export class LocalFaults {
  private live: LiveRule[] = [];

  constructor(rules: FaultRule[] = []) {
    this.set(rules);
  }

  set(rules: FaultRule[]) {
    this.live = rules.map((rule) => ({ rule, injected: 0 }));
  }

  clear() {
    this.live = [];
  }

  view() {
    return {
      rules: this.live.map((l) => ({ ...l.rule, injected: l.injected })),
      injected: this.live.reduce((n, l) => n + l.injected, 0),
    };
  }

  /** The first rule of `service` that fires for this request, counted; undefined when none does. */
  private fire(service: FaultRule['service'], operation: string, keys: string[] = []): FaultRule | undefined {
    for (const l of this.live) {
      const { rule } = l;
      if (rule.service !== service) continue;
      if (rule.operations && !rule.operations.includes(operation)) continue;
      const prefix = rule.keyPrefix;
      if (prefix && !keys.some((k) => k.startsWith(prefix))) continue;
      if (rule.count !== undefined && l.injected >= rule.count) continue;
      if (Math.random() >= rule.rate) continue;
      l.injected++;
      return rule;
    }
    return undefined;
  }

  /** The local DynamoDB's in-process transport with the DynamoDB rules in front of it. */
  wrapDynamo(invoke: Invoke): Invoke {
    return async (request) => {
      if (this.live.length === 0) return invoke(request);
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.slice(target.indexOf('.') + 1);
      let keys: string[] = [];
      if (this.live.some((l) => l.rule.keyPrefix)) {
        try {
          keys = partitionKeys(JSON.parse(request.body.toString('utf8')) as Record<string, unknown>);
        } catch {
          keys = [];
        }
      }
      const rule = this.fire('dynamodb', operation, keys);
      if (!rule) return invoke(request);
      if (rule.fault === 'throttle')
        return dynamoError(
          'ProvisionedThroughputExceededException',
          'The level of configured provisioned throughput for the table was exceeded (injected)',
        );
      if (rule.fault === 'server-error')
        return dynamoError('InternalServerError', 'Internal server error (injected)', {}, 500);
      if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
        const count =
          (JSON.parse(request.body.toString('utf8')) as { TransactItems?: unknown[] }).TransactItems
            ?.length ?? 1;
        return dynamoError(
          'TransactionCanceledException',
          'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict] (injected)',
          {
            CancellationReasons: Array.from({ length: count }, (_, i) =>
              i === 0
                ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }
                : { Code: 'None' },
            ),
          },
        );
      }
      return dynamoError('TransactionConflictException', 'Transaction is ongoing for the item (injected)');
    };
  }

  /** An SDK middleware for the handlers' S3 client: an S3 500 inside the SDK's retry loop. */
  s3Middleware() {
    return (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: unknown) => {
        if (this.fire('s3', context.commandName ?? ''))
          throw Object.assign(new Error('We encountered an internal error. Please try again. (injected)'), {
            name: 'InternalError',
            $fault: 'server',
            $metadata: { httpStatusCode: 500, attempts: 1 },
          });
        return next(args);
      };
  }

  /** Called before a task token is sealed: a failed KMS Encrypt, as AWS would answer it. */
  probeSeal() {
    if (this.fire('seal', 'seal'))
      throw Object.assign(new Error('KMS Encrypt failed (injected)'), {
        name: 'KMSInternalException',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      });
  }
}
