import { randomUUID } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  isObject,
  type Json,
  type JsonObject,
  MAP_ITEMS_RESOURCE,
  MAP_RESULTS_RESOURCE,
} from './stepfunctions-definition.ts';
import { TaskFailedError, type TaskHandler } from './stepfunctions-tasks.ts';

/**
 * What aws-local-stepfunctions lacks of a Distributed Map, done here for the stand-ins that
 * stepfunctions-definition.ts puts in its place:
 * - ItemReader: `s3:listObjectsV2` (every object under `Prefix`, page by page, as
 *   `{Key, Size, Etag, LastModified, StorageClass}` items) and `s3:getObject` with
 *   `ReaderConfig.InputType` `JSON` (the object's JSON array); `ReaderConfig.MaxItems`;
 * - ItemBatcher: consecutive items into `{"Items": [...], "BatchInput": ...}` batches of at most
 *   `MaxItemsPerBatch` items and `MaxInputBytesPerBatch` bytes of JSON (256 KiB by default, as
 *   the service caps it);
 * - ResultWriter: the child results to `<Prefix>/<map run id>/SUCCEEDED_0.json` and a
 *   `manifest.json`, and the state's result `{MapRunArn, ResultWriterDetails: {Bucket, Key}}`.
 * Not emulated: CSV and manifest readers, `ToleratedFailure*` (any failed child fails the Map),
 * child executions of their own (children run as inline iterations of the parent, so they have
 * no ARNs, history or EXPRESS/STANDARD limits), and the Map Run API.
 */
const MAX_BATCH_BYTES = 256 * 1024;

const text = async (client: S3Client, bucket: string, key: string): Promise<string> => {
  const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return answer.Body!.transformToString('utf8');
};

const readItems = async (client: S3Client, reader: JsonObject): Promise<Json[]> => {
  const resource = String(reader.Resource);
  const parameters = isObject(reader.Parameters) ? reader.Parameters : {};
  const config = isObject(reader.ReaderConfig) ? reader.ReaderConfig : {};
  const bucket = String(parameters.Bucket);
  let items: Json[];
  if (resource === 'arn:aws:states:::s3:listObjectsV2') {
    items = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          ...(typeof parameters.Prefix === 'string' ? { Prefix: parameters.Prefix } : {}),
          ...(token !== undefined ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of page.Contents ?? [])
        items.push({
          Key: o.Key ?? '',
          Size: o.Size ?? 0,
          Etag: o.ETag ?? '',
          LastModified: o.LastModified?.toISOString() ?? '',
          StorageClass: o.StorageClass ?? 'STANDARD',
        });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  } else if (resource === 'arn:aws:states:::s3:getObject') {
    if (config.InputType !== 'JSON')
      throw new TaskFailedError(
        'States.ItemReaderFailed',
        `the local runner reads JSON items only, not ${String(config.InputType)}`,
      );
    const parsed = JSON.parse(await text(client, bucket, String(parameters.Key))) as Json;
    if (!Array.isArray(parsed))
      throw new TaskFailedError('States.ItemReaderFailed', 'the item reader needs a JSON array');
    items = parsed;
  } else
    throw new TaskFailedError('States.ItemReaderFailed', `the local runner has no item reader ${resource}`);
  return typeof config.MaxItems === 'number' ? items.slice(0, config.MaxItems) : items;
};

export const batchItems = (items: Json[], batcher: JsonObject): JsonObject[] => {
  const maxItems =
    typeof batcher.MaxItemsPerBatch === 'number' ? batcher.MaxItemsPerBatch : Number.POSITIVE_INFINITY;
  const maxBytes =
    typeof batcher.MaxInputBytesPerBatch === 'number' ? batcher.MaxInputBytesPerBatch : MAX_BATCH_BYTES;
  const batchInput: JsonObject = 'BatchInput' in batcher ? { BatchInput: batcher.BatchInput ?? null } : {};
  const overhead = Buffer.byteLength(JSON.stringify({ Items: [], ...batchInput }));
  const batches: JsonObject[] = [];
  let current: Json[] = [];
  let bytes = overhead;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
      batches.push({ Items: current, ...batchInput });
      current = [];
      bytes = overhead;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push({ Items: current, ...batchInput });
  return batches;
};

/** Puts `value` at a JSONPath of plain field names (`$`, `$.a.b`), as ResultPath does. */
const place = (state: JsonObject, path: string | null, value: Json): Json => {
  if (path === null) return state;
  if (path === '$') return value;
  const fields = path.replace(/^\$\.?/, '').split('.');
  const out: JsonObject = { ...state };
  let node = out;
  for (const [i, field] of fields.entries()) {
    if (i === fields.length - 1) node[field] = value;
    else {
      const next = isObject(node[field]) ? { ...(node[field] as JsonObject) } : {};
      node[field] = next;
      node = next;
    }
  }
  return out;
};

export const distributedMapResources = (client: () => Promise<S3Client>): Record<string, TaskHandler> => ({
  [MAP_ITEMS_RESOURCE]: async (input) => {
    const params = input as JsonObject;
    let items = isObject(params.reader) ? await readItems(await client(), params.reader) : params.items;
    if (!Array.isArray(items)) throw new TaskFailedError('States.Runtime', 'the Map items are not an array');
    if (isObject(params.batcher)) items = batchItems(items, params.batcher);
    return { items };
  },
  [MAP_RESULTS_RESOURCE]: async (input, ctx) => {
    const params = input as JsonObject;
    const state = { ...(params.state as JsonObject) };
    const scratch = String(params.scratch);
    const results = (isObject(state[scratch]) ? (state[scratch] as JsonObject).results : []) as Json[];
    delete state[scratch];
    let value: Json = results;
    if (isObject(params.writer)) {
      const parameters = isObject(params.writer.Parameters) ? params.writer.Parameters : {};
      const bucket = String(parameters.Bucket);
      const prefix = typeof parameters.Prefix === 'string' ? parameters.Prefix.replace(/\/$/, '') : '';
      const runId = randomUUID();
      const base = `${prefix ? `${prefix}/` : ''}${runId}`;
      const now = new Date().toISOString();
      const succeeded = results.map((output, i) => ({
        ExecutionArn: `${ctx.executionArn}:map-${i}`,
        Input: '',
        Name: `${runId}-${i}`,
        Output: JSON.stringify(output),
        StartDate: now,
        StopDate: now,
        Status: 'SUCCEEDED',
      }));
      const s3 = await client();
      const put = (key: string, body: unknown) =>
        s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: JSON.stringify(body),
            ContentType: 'application/json',
          }),
        );
      await put(`${base}/SUCCEEDED_0.json`, succeeded);
      const manifest = {
        DestinationBucket: bucket,
        MapRunArn: `${ctx.executionArn}:map-run/${runId}`,
        ResultFiles: { FAILED: [], PENDING: [], SUCCEEDED: [{ Key: `${base}/SUCCEEDED_0.json`, Size: 0 }] },
      };
      await put(`${base}/manifest.json`, manifest);
      value = {
        MapRunArn: manifest.MapRunArn,
        ResultWriterDetails: { Bucket: bucket, Key: `${base}/manifest.json` },
      };
    }
    return place(state, (params.resultPath ?? null) as string | null, value);
  },
});
