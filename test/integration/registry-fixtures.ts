import { createHash, randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import type { AuditEvent } from '#domain/audit';
import type { LocalSystem } from '#local/system';
import type { Api, ApiResponse } from './local-api.ts';

/**
 * Shared steps of the registry's integration tests: models, versions and artifacts through the
 * real HTTP adapter and presigned URLs, and the audit trail read straight from the table.
 */
export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

let counter = 0;
/** A model name no other test of the file uses. */
export const uniqueName = (prefix = 'm'): string => `${prefix}-${process.pid}-${++counter}`;

export const createModel = async (
  api: Api,
  name: string,
  extra: Record<string, unknown> = {},
  principal?: string,
) => {
  const res = await api.call('POST', '/v1/models', {
    body: { name, ...extra },
    ...(principal ? { principal } : {}),
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
};

export interface UploadPlan {
  url?: string;
  method: string;
  headers: Record<string, string>;
  expiresAt: string;
  parts?: { partNumber: number; url: string; offset: number; sizeBytes: number }[];
}

export const registerVersion = async (
  api: Api,
  model: string,
  bytes: Uint8Array,
  extra: Record<string, unknown> = {},
  principal?: string,
) => {
  const res = await api.call('POST', `/v1/models/${model}/versions`, {
    body: { artifact: { sha256: sha256(bytes), sizeBytes: bytes.length, fileName: 'model.bin' }, ...extra },
    ...(principal ? { principal } : {}),
  });
  expect(res.status, res.text).toBe(201);
  return res.body as { name: string; version: number; status: string; upload: UploadPlan };
};

/** A single PUT to the presigned URL, with the method and headers the registry said to use. */
export const putArtifact = async (upload: UploadPlan, bytes: Uint8Array): Promise<Response> => {
  if (!upload.url) throw new Error('the upload plan has no single-request URL');
  return fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes });
};

export const commit = (api: Api, model: string, version: number, body?: unknown, principal?: string) =>
  api.call('POST', `/v1/models/${model}/versions/${version}/commit`, {
    ...(body === undefined ? {} : { body }),
    ...(principal ? { principal } : {}),
  });

/** Register, upload and commit: a READY version. */
export const publishVersion = async (
  api: Api,
  model: string,
  bytes: Uint8Array = randomBytes(256),
  extra: Record<string, unknown> = {},
  principal?: string,
) => {
  const registered = await registerVersion(api, model, bytes, extra, principal);
  const put = await putArtifact(registered.upload, bytes);
  expect(put.status).toBe(200);
  const committed = await commit(api, model, registered.version, undefined, principal);
  expect(committed.status, committed.text).toBe(200);
  expect(committed.body.status).toBe('READY');
  return committed.body as { name: string; version: number; status: string };
};

/** The bytes behind a version's presigned download URL. */
export const download = async (api: Api, model: string, version: number): Promise<Buffer> => {
  const res = await api.call('GET', `/v1/models/${model}/versions/${version}/artifact`);
  expect(res.status, res.text).toBe(200);
  const got = await fetch(res.body.url);
  expect(got.status).toBe(200);
  return Buffer.from(await got.arrayBuffer());
};

/** An RFC 9457 problem with the given status, and nothing of the server's insides. */
export const expectProblem = (res: ApiResponse, status: number) => {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  });
  expect(res.text).not.toMatch(/\bat .+\(.*:\d+:\d+\)|\.ts:\d+|node_modules|stack/i);
  return res.body as {
    type: string;
    title: string;
    status: number;
    detail: string;
    errors?: { path: string; message: string }[];
  };
};

/** The domain events emitted (GET /local/events) about one model, in order. */
export const eventsOf = async (api: Api, model: string) => {
  const res = await api.call('GET', '/local/events');
  expect(res.status).toBe(200);
  return (res.body as { 'detail-type': string; detail: { model: string; target: string; seq: string } }[])
    .filter((e) => e.detail.model === model)
    .sort((a, b) => Number(a.detail.seq) - Number(b.detail.seq));
};

/** A document client on the local table, as an operator with dummy credentials would make it. */
export const tableClient = (system: LocalSystem) =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: system.dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );

const EVENT_FIELDS = [
  'model',
  'seq',
  'at',
  'actor',
  'action',
  'target',
  'before',
  'after',
  'prevHash',
  'hash',
];

/** A model's audit events as stored (partition `AUDIT#<model>`), in sequence order. */
export const auditOf = async (doc: DynamoDBDocumentClient, model: string): Promise<AuditEvent[]> => {
  const events: AuditEvent[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: 'steward',
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `AUDIT#${model}` },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      // The event's own fields only: the item also carries keys and index attributes.
      const event = Object.fromEntries(EVENT_FIELDS.filter((f) => f in item).map((f) => [f, item[f]]));
      events.push(event as unknown as AuditEvent);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return events;
};
