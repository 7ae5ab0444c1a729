import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3 as stewardS3 } from '#commons/s3';
import { treeDigest } from '#domain/artifact';
import { eventually } from '../eventually.ts';
import { type Api, type ApiResponse, startApi } from './local-api.ts';
import { sha256, uniqueName } from './registry-fixtures.ts';

/**
 * The MLflow Model Registry protocol, with requests shaped exactly as the MLflow 2.12.2 Python
 * client sends them (observed on the wire against local mode): JSON bodies as Python's json.dumps
 * writes them (`", "` and `": "` separators, versions as strings), GET parameters form-encoded by
 * requests (`+` for spaces, `order_by` repeated), DELETE with a JSON body, and errors read as
 * `{error_code, message}`.
 */
let api: Api;
let s3: S3Client;
let scratch: string;
const SOURCE_BUCKET = 'mlflow-runs';
const MiB = 1024 * 1024;
const UA = { 'user-agent': 'mlflow-python-client/2.12.2', accept: '*/*' };

beforeAll(async () => {
  // Objects of 6 MiB and more are copied part by part (UploadPartCopy), in parts of 5 MiB.
  api = await startApi({
    env: { COPY_MULTIPART_THRESHOLD_BYTES: String(6 * MiB), MULTIPART_PART_BYTES: String(5 * MiB) },
  });
  const info = (await api.call('GET', '/local/info')).body;
  s3 = new S3Client({
    endpoint: info.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: info.s3Credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await s3.send(new CreateBucketCommand({ Bucket: SOURCE_BUCKET })).catch(() => undefined);
  scratch = await mkdtemp(join(tmpdir(), 'steward-mlflow-'));
});

afterAll(async () => {
  await api?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** What MLflow's `call_endpoint` sends: json.dumps of the body with the default separators. */
const pyJson = (body: Record<string, unknown>) =>
  `{${Object.entries(body)
    .map(
      ([k, v]) =>
        `${JSON.stringify(k)}: ${JSON.stringify(v).replaceAll('","', '", "').replaceAll('":"', '": "')}`,
    )
    .join(', ')}}`;

const send = (method: string, path: string, body?: Record<string, unknown>, principal?: string) =>
  api.call(method, `/api/2.0/mlflow/${path}`, {
    ...(body ? { raw: pyJson(body) } : {}),
    headers: { ...UA, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(principal ? { principal } : {}),
  });

/** A GET as requests encodes `params`: application/x-www-form-urlencoded, `+` for spaces. */
const form = (params: [string, string | number][]) =>
  params
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v)).replaceAll('%20', '+').replaceAll("'", '%27')}`)
    .join('&');
const get = (path: string, params: [string, string | number][]) =>
  api.call('GET', `/api/2.0/mlflow/${path}?${form(params)}`, { headers: UA });

const expectMlflowError = (res: ApiResponse, status: number, code: string) => {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(res.body).sort()).toEqual(['error_code', 'message']);
  expect(res.body.error_code).toBe(code);
  expect(res.text).not.toMatch(/\.ts:\d+|node_modules/);
  return res.body as { error_code: string; message: string };
};

const MODEL_FILES = () => ({
  MLmodel: Buffer.from('flavors:\n  python_function: {loader_module: m}\n'),
  'conda.yaml': Buffer.from('name: m\n'),
  'data/model.pkl': randomBytes(4096),
});

const putFolder = async (prefix: string, files: Record<string, Buffer>) => {
  for (const [path, body] of Object.entries(files))
    await s3.send(new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: `${prefix}/${path}`, Body: body }));
};

/** As MLflow's `await_registration_for`: poll the version until it leaves PENDING_REGISTRATION. */
const awaitRegistration = (name: string, version: string) =>
  eventually(
    `version ${version} of ${name} leaving PENDING_REGISTRATION`,
    async () => {
      const res = await get('model-versions/get', [
        ['name', name],
        ['version', version],
      ]);
      expect(res.status, res.text).toBe(200);
      return res.body.model_version.status === 'PENDING_REGISTRATION' ? undefined : res.body.model_version;
    },
    { tries: 300, intervalMs: 100 },
  );

const registerFromS3 = async (
  name: string,
  files: ReturnType<typeof MODEL_FILES> & Record<string, Buffer> = MODEL_FILES(),
) => {
  const prefix = `runs/${uniqueName('run')}/artifacts/model`;
  await putFolder(prefix, files);
  const source = `s3://${SOURCE_BUCKET}/${prefix}`;
  const created = await send('POST', 'model-versions/create', { name, source });
  expect(created.status, created.text).toBe(200);
  return {
    source,
    prefix,
    files,
    created: created.body.model_version,
    ready: await awaitRegistration(name, created.body.model_version.version),
  };
};

describe('registered models', () => {
  it('creates, then answers RESOURCE_ALREADY_EXISTS (400) so register_model carries on', async () => {
    // Prepare
    const name = uniqueName('reg');

    // Act
    const first = await send('POST', 'registered-models/create', { name });
    const again = await send('POST', 'registered-models/create', { name });

    // Assess
    expect(first.status, first.text).toBe(200);
    expect(first.body.registered_model).toMatchObject({ name, tags: [], aliases: [] });
    expect(typeof first.body.registered_model.creation_timestamp).toBe('number');
    expectMlflowError(again, 400, 'RESOURCE_ALREADY_EXISTS');
  });

  it('answers RESOURCE_DOES_NOT_EXIST (404), ENDPOINT_NOT_FOUND for unknown paths and refuses rename', async () => {
    // Act
    const missing = await get('registered-models/get', [['name', uniqueName('none')]]);
    const unknown = await api.call('GET', '/api/2.0/mlflow/experiments/search?max_results=1', {
      headers: UA,
    });
    const wrongMethod = await api.call('GET', '/api/2.0/mlflow/registered-models/create', { headers: UA });
    const name = uniqueName('ren');
    await send('POST', 'registered-models/create', { name });
    const rename = await send('POST', 'registered-models/rename', { name, new_name: `${name}-x` });

    // Assess
    expectMlflowError(missing, 404, 'RESOURCE_DOES_NOT_EXIST');
    expectMlflowError(unknown, 404, 'ENDPOINT_NOT_FOUND');
    expectMlflowError(wrongMethod, 404, 'ENDPOINT_NOT_FOUND');
    expect(expectMlflowError(rename, 400, 'INVALID_PARAMETER_VALUE').message).toContain('audit chain');
  });

  it('sets and deletes tags (DELETE with a JSON body), updates the description, audited as through /v1', async () => {
    // Prepare
    const name = uniqueName('tags');
    await send('POST', 'registered-models/create', { name });

    // Act
    const set = await send('POST', 'registered-models/set-tag', { name, key: 'team', value: 'risk' });
    await send('POST', 'registered-models/set-tag', { name, key: 'keep', value: 'a b' });
    const removed = await send('DELETE', 'registered-models/delete-tag', { name, key: 'team' });
    const updated = await send('PATCH', 'registered-models/update', { name, description: 'churn model' });
    const audit = await api.call('GET', `/v1/audit?model=${name}&limit=50`);
    const verify = await api.call('GET', `/v1/audit/verify?model=${name}`);

    // Assess
    expect(set.status).toBe(200);
    expect(set.body).toEqual({});
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({});
    expect(updated.body.registered_model).toMatchObject({
      description: 'churn model',
      tags: [{ key: 'keep', value: 'a b' }],
    });
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual([
      'model.created',
      'model.updated',
      'model.updated',
      'model.updated',
      'model.updated',
    ]);
    expect(verify.body.valid).toBe(true);
  });

  it('refuses a writer without the publisher role with PERMISSION_DENIED (403)', async () => {
    // Act
    const res = await send('POST', 'registered-models/create', { name: uniqueName('aud') }, 'auditor');

    // Assess
    expectMlflowError(res, 403, 'PERMISSION_DENIED');
  });
});

describe('model versions registered by reference', () => {
  it('answers PENDING_REGISTRATION at once, copies and hashes every file, and ends READY; /v1 shows the manifest', async () => {
    // Prepare
    const name = uniqueName('ref');
    await send('POST', 'registered-models/create', { name });

    // Act
    const { source, files, created, ready } = await registerFromS3(name);
    const v1 = await api.call('GET', `/v1/models/${name}/versions/1`);
    const verify = await api.call('GET', `/v1/audit/verify?model=${name}`);

    // Assess
    expect(created).toMatchObject({
      name,
      version: '1',
      status: 'PENDING_REGISTRATION',
      source,
      current_stage: 'None',
    });
    expect(ready).toMatchObject({ version: '1', status: 'READY', source });
    const manifest = Object.entries(files).map(([path, b]) => ({
      path,
      sha256: sha256(b),
      sizeBytes: b.length,
    }));
    expect(v1.body.artifact.files).toEqual(manifest.sort((a, b) => (a.path < b.path ? -1 : 1)));
    expect(v1.body.artifact.sha256).toBe(treeDigest(manifest));
    expect(v1.body.artifact.source).toBe(source);
    expect(verify.body).toMatchObject({ valid: true });
  });

  it('copies an object above the threshold part by part (UploadPartCopy), and the copy hashes as the source', async () => {
    // Prepare: 13 MiB is three parts of at most 5 MiB; the emulator serves UploadPartCopy.
    const name = uniqueName('big');
    await send('POST', 'registered-models/create', { name });
    const weights = randomBytes(13 * MiB);
    const copies: { range: string | undefined; part: number | undefined }[] = [];
    const spy = (await stewardS3()).middlewareStack;
    spy.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadPartCopyCommand') {
          const input = args.input as { CopySourceRange?: string; PartNumber?: number };
          copies.push({ range: input.CopySourceRange, part: input.PartNumber });
        }
        return next(args);
      },
      { step: 'initialize', name: 'test-upload-part-copy-spy' },
    );

    // Act
    let ready: Record<string, unknown>;
    try {
      ({ ready } = await registerFromS3(name, { ...MODEL_FILES(), 'data/weights.bin': weights }));
    } finally {
      spy.remove('test-upload-part-copy-spy');
    }
    const v1 = await api.call('GET', `/v1/models/${name}/versions/1`);
    const uri = await get('model-versions/get-download-uri', [
      ['name', name],
      ['version', '1'],
    ]);
    const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri.body.artifact_uri)!;
    const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}/data/weights.bin` }));
    const bytes = Buffer.from(await stored.Body!.transformToByteArray());

    // Assess
    expect(ready).toMatchObject({ status: 'READY' });
    expect(copies).toEqual([
      { part: 1, range: `bytes=0-${5 * MiB - 1}` },
      { part: 2, range: `bytes=${5 * MiB}-${10 * MiB - 1}` },
      { part: 3, range: `bytes=${10 * MiB}-${13 * MiB - 1}` },
    ]);
    expect(v1.body.artifact.files).toContainEqual({
      path: 'data/weights.bin',
      sha256: sha256(weights),
      sizeBytes: 13 * MiB,
    });
    expect(sha256(bytes)).toBe(sha256(weights));
  });

  it('the local S3 answers UploadPartCopy as S3 does: NoSuchKey, a range outside the source, NoSuchUpload', async () => {
    // Prepare
    const key = `runs/${uniqueName('upc')}/small.bin`;
    await s3.send(new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: key, Body: randomBytes(100) }));
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: SOURCE_BUCKET, Key: `${key}.copy` }),
    );
    const partCopy = (source: string, range?: string, uploadId = UploadId) =>
      s3
        .send(
          new UploadPartCopyCommand({
            Bucket: SOURCE_BUCKET,
            Key: `${key}.copy`,
            UploadId: uploadId,
            PartNumber: 1,
            CopySource: `${SOURCE_BUCKET}/${source}`,
            ...(range ? { CopySourceRange: range } : {}),
          }),
        )
        .then(
          (out) => ({ etag: out.CopyPartResult?.ETag, error: undefined }),
          (error: Error) => ({ etag: undefined, error: error.name }),
        );

    // Act
    const whole = await partCopy(key);
    const missing = await partCopy(`${key}.nothing`);
    const outside = await partCopy(key, 'bytes=50-100');
    const noUpload = await partCopy(key, undefined, 'f00d');

    // Assess
    expect(whole.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(missing.error).toBe('NoSuchKey');
    expect(outside.error).toBe('InvalidArgument');
    expect(noUpload.error).toBe('NoSuchUpload');
  });

  it("serves Steward's copy: get-download-uri is s3:// of the copy, which a later overwrite of the source leaves alone", async () => {
    // Prepare
    const name = uniqueName('dl');
    await send('POST', 'registered-models/create', { name });
    const { prefix, files } = await registerFromS3(name);

    // Act
    await s3.send(
      new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: `${prefix}/data/model.pkl`, Body: 'tampered' }),
    );
    const uri = await get('model-versions/get-download-uri', [
      ['name', name],
      ['version', '1'],
    ]);
    const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri.body.artifact_uri)!;
    const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}/data/model.pkl` }));
    const bytes = Buffer.from(await stored.Body!.transformToByteArray());

    // Assess
    expect(uri.status).toBe(200);
    expect(bucket).toBe('steward-artifacts');
    expect(bytes.equals(files['data/model.pkl'])).toBe(true);
  });

  it('serves the artifact proxy: ?path= lists one level, a file GET redirects to a presigned URL', async () => {
    // Prepare
    const name = uniqueName('proxy');
    await send('POST', 'registered-models/create', { name });
    const { files } = await registerFromS3(name);

    // Act
    const top = await api.call(
      'GET',
      `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(`${name}/1`)}`,
      { headers: UA },
    );
    const sub = await api.call(
      'GET',
      `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(`${name}/1/data`)}`,
      { headers: UA },
    );
    const file = await fetch(`${api.url}/api/2.0/mlflow-artifacts/artifacts/${name}/1/data/model.pkl`, {
      headers: UA,
    });
    const missing = await api.call('GET', `/api/2.0/mlflow-artifacts/artifacts/${name}/1/nope`, {
      headers: UA,
    });

    // Assess
    expect(top.body.files).toEqual(
      expect.arrayContaining([
        { path: 'MLmodel', is_dir: false, file_size: files.MLmodel.length },
        { path: 'data', is_dir: true },
      ]),
    );
    expect(sub.body.files).toEqual([{ path: 'model.pkl', is_dir: false, file_size: 4096 }]);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).equals(files['data/model.pkl'])).toBe(true);
    expectMlflowError(missing, 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('ends FAILED_REGISTRATION with the reason when the source holds nothing', async () => {
    // Prepare
    const name = uniqueName('empty');
    await send('POST', 'registered-models/create', { name });

    // Act
    const created = await send('POST', 'model-versions/create', {
      name,
      source: `s3://${SOURCE_BUCKET}/runs/none/artifacts/model`,
    });
    const done = await awaitRegistration(name, created.body.model_version.version);

    // Assess
    expect(done.status).toBe('FAILED_REGISTRATION');
    expect(done.status_message).toContain('nothing found at');
  });

  it("ends a high-risk model's version without reproducibility fields FAILED_REGISTRATION, naming what is missing", async () => {
    // Prepare
    const name = uniqueName('risky');
    await api.call('POST', '/v1/models', { body: { name, riskTier: 'high' } });

    // Act
    const created = await send('POST', 'model-versions/create', {
      name,
      source: `s3://${SOURCE_BUCKET}/runs/x/artifacts/model`,
      run_id: 'abc123',
    });

    // Assess
    expect(created.body.model_version).toMatchObject({ status: 'FAILED_REGISTRATION', run_id: 'abc123' });
    expect(created.body.model_version.status_message).toMatch(
      /lineage\.code.*lineage\.image.*lineage\.datasets.*params/,
    );
  });

  it('copies a file:// folder in local mode, and refuses sources it cannot copy from', async () => {
    // Prepare
    const name = uniqueName('file');
    await send('POST', 'registered-models/create', { name });
    const folder = join(scratch, 'model');
    await mkdir(join(folder, 'data'), { recursive: true });
    await writeFile(join(folder, 'MLmodel'), 'flavors: {}\n');
    await writeFile(join(folder, 'data', 'w.bin'), randomBytes(100));

    // Act
    const created = await send('POST', 'model-versions/create', { name, source: `file://${folder}` });
    const done = await awaitRegistration(name, created.body.model_version.version);
    const runs = await send('POST', 'model-versions/create', { name, source: 'runs:/abc/model' });

    // Assess
    expect(done.status).toBe('READY');
    expect(expectMlflowError(runs, 400, 'INVALID_PARAMETER_VALUE').message).toContain('s3://');
  });
});

describe('search', () => {
  it('pages versions with max_results and next_page_token, with the + encoded filter and repeated order_by', async () => {
    // Prepare
    const name = uniqueName('srch');
    await send('POST', 'registered-models/create', { name });
    await registerFromS3(name);
    await registerFromS3(name);
    await registerFromS3(name);
    await send('POST', 'model-versions/set-tag', { name, version: '2', key: 'k', value: 'v v' });

    // Act
    const first = await get('model-versions/search', [
      ['filter', `name = '${name}'`],
      ['max_results', 2],
      ['order_by', 'version_number ASC'],
    ]);
    const second = await get('model-versions/search', [
      ['filter', `name = '${name}'`],
      ['max_results', 2],
      ['order_by', 'version_number ASC'],
      ['page_token', first.body.next_page_token],
    ]);
    const tagged = await get('model-versions/search', [
      ['filter', `name='${name}' and tags.k = 'v v'`],
      ['max_results', 10000],
    ]);
    const models = await get('registered-models/search', [
      ['filter', `name LIKE '${name.slice(0, -1)}%'`],
      ['max_results', 100],
      ['order_by', 'name DESC'],
      ['order_by', 'last_updated_timestamp ASC'],
    ]);

    // Assess
    expect(first.body.model_versions.map((v: { version: string }) => v.version)).toEqual(['1', '2']);
    expect(typeof first.body.next_page_token).toBe('string');
    expect(second.body.model_versions.map((v: { version: string }) => v.version)).toEqual(['3']);
    expect(second.body.next_page_token).toBeUndefined();
    expect(tagged.body.model_versions.map((v: { version: string }) => v.version)).toEqual(['2']);
    expect(models.body.registered_models.map((m: { name: string }) => m.name)).toContain(name);
  });

  it('answers a smaller page than a max_results of 10,000 asks for, and refuses a bad filter, order_by or token', async () => {
    // Act
    const big = await get('registered-models/search', [['max_results', 10000]]);
    const over = await get('registered-models/search', [['max_results', 10001]]);
    const badFilter = await get('model-versions/search', [['filter', "name ~ 'x'"]]);
    const badOrder = await get('registered-models/search', [['order_by', 'version_number DESC']]);
    const badToken = await get('registered-models/search', [['page_token', 'abc.def']]);

    // Assess
    expect(big.status, big.text).toBe(200);
    expectMlflowError(over, 400, 'INVALID_PARAMETER_VALUE');
    expectMlflowError(badFilter, 400, 'INVALID_PARAMETER_VALUE');
    expectMlflowError(badOrder, 400, 'INVALID_PARAMETER_VALUE');
    expectMlflowError(badToken, 400, 'INVALID_PARAMETER_VALUE');
  });

  it('reads the query as API Gateway hands it to the Lambda: + already decoded to a space (and a literal + read as one)', async () => {
    // Prepare: API Gateway (REST, Lambda proxy) decodes the query string, `+` included; a client that
    // sent %2B gets a literal +, which the filter grammar also reads as a space between tokens.
    const name = uniqueName('apigw');
    await send('POST', 'registered-models/create', { name });
    await registerFromS3(name);
    const { handler } = await import('#http/mlflow');
    const event = (query: Record<string, string[]>): APIGatewayProxyEvent =>
      ({
        resource: '/api/2.0/mlflow/model-versions/search',
        path: '/api/2.0/mlflow/model-versions/search',
        httpMethod: 'GET',
        headers: { 'User-Agent': 'mlflow-python-client/2.12.2' },
        multiValueHeaders: {},
        queryStringParameters: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v.at(-1)!])),
        multiValueQueryStringParameters: query,
        pathParameters: null,
        stageVariables: null,
        body: null,
        isBase64Encoded: false,
        requestContext: { requestId: 'r', identity: { userArn: null, caller: null } },
      }) as unknown as APIGatewayProxyEvent;

    // Act
    const decoded = await handler(
      event({
        filter: [`name = '${name}'`],
        order_by: ['version_number DESC', 'name ASC'],
        max_results: ['5'],
      }),
      {} as Context,
    );
    const literal = await handler(
      event({ filter: [`name+=+'${name}'`], order_by: ['version_number+DESC'] }),
      {} as Context,
    );

    // Assess
    expect(decoded.statusCode, decoded.body).toBe(200);
    expect(JSON.parse(decoded.body).model_versions).toHaveLength(1);
    expect(literal.statusCode, literal.body).toBe(200);
    expect(JSON.parse(literal.body).model_versions).toHaveLength(1);
  });
});

describe('aliases, stages and deletion', () => {
  it('sets, reads and deletes an alias; get-latest-versions answers per stage', async () => {
    // Prepare
    const name = uniqueName('alias');
    await send('POST', 'registered-models/create', { name });
    await registerFromS3(name);
    await registerFromS3(name);

    // Act
    const set = await send('POST', 'registered-models/alias', { name, alias: 'champion', version: '1' });
    const byAlias = await get('registered-models/alias', [
      ['name', name],
      ['alias', 'champion'],
    ]);
    const latest = await send('POST', 'registered-models/get-latest-versions', { name, stages: ['None'] });
    const model = await get('registered-models/get', [['name', name]]);
    const removed = await send('DELETE', 'registered-models/alias', { name, alias: 'champion' });
    const gone = await get('registered-models/alias', [
      ['name', name],
      ['alias', 'champion'],
    ]);

    // Assess
    expect(set.body).toEqual({});
    expect(byAlias.body.model_version).toMatchObject({ version: '1', aliases: ['champion'] });
    expect(latest.body.model_versions.map((v: { version: string }) => v.version)).toEqual(['2']);
    expect(model.body.registered_model.aliases).toEqual([{ alias: 'champion', version: '1' }]);
    expect(removed.body).toEqual({});
    expectMlflowError(gone, 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('carries latest_versions (the newest version per stage) and aliases in search and get, as MLflow stores do', async () => {
    // Prepare
    const name = uniqueName('latest');
    await send('POST', 'registered-models/create', { name });
    await registerFromS3(name);
    await registerFromS3(name);
    await registerFromS3(name);
    await send('POST', 'model-versions/transition-stage', {
      name,
      version: '2',
      stage: 'Archived',
      archive_existing_versions: false,
    });
    await send('POST', 'model-versions/transition-stage', {
      name,
      version: '1',
      stage: 'Archived',
      archive_existing_versions: false,
    });
    await send('POST', 'registered-models/alias', { name, alias: 'champion', version: '3' });

    // Act
    const searched = await get('registered-models/search', [
      ['filter', `name = '${name}'`],
      ['max_results', 100],
    ]);
    const got = await get('registered-models/get', [['name', name]]);

    // Assess
    expect(searched.status, searched.text).toBe(200);
    const [model] = searched.body.registered_models;
    const stages = (m: { latest_versions: { version: string; current_stage: string }[] }) =>
      m.latest_versions.map((v) => [v.current_stage, v.version]);
    expect(stages(model)).toEqual([
      ['Archived', '2'],
      ['None', '3'],
    ]);
    expect(model.latest_versions[1]).toMatchObject({ name, status: 'READY', aliases: ['champion'] });
    expect(model.aliases).toEqual([{ alias: 'champion', version: '3' }]);
    expect(stages(got.body.registered_model)).toEqual(stages(model));
  });

  it('maps Archived to ARCHIVED and refuses Staging and Production, pointing at aliases and approvals', async () => {
    // Prepare
    const name = uniqueName('stage');
    await send('POST', 'registered-models/create', { name });
    await registerFromS3(name);

    // Act
    const production = await send('POST', 'model-versions/transition-stage', {
      name,
      version: '1',
      stage: 'Production',
      archive_existing_versions: false,
    });
    const archived = await send('POST', 'model-versions/transition-stage', {
      name,
      version: '1',
      stage: 'Archived',
      archive_existing_versions: false,
    });
    const v1 = await api.call('GET', `/v1/models/${name}/versions/1`);

    // Assess
    expect(expectMlflowError(production, 400, 'INVALID_PARAMETER_VALUE').message).toMatch(/alias.*approval/);
    expect(archived.body.model_version.current_stage).toBe('Archived');
    expect(v1.body.status).toBe('ARCHIVED');
  });

  it('deletes a version (archived, hidden from MLflow, kept in /v1 and the audit trail), then the model', async () => {
    // Prepare
    const name = uniqueName('del');
    await send('POST', 'registered-models/create', { name });
    await registerFromS3(name);
    await registerFromS3(name);

    // Act
    const deleted = await send('DELETE', 'model-versions/delete', { name, version: '1' });
    const read = await get('model-versions/get', [
      ['name', name],
      ['version', '1'],
    ]);
    const search = await get('model-versions/search', [['filter', `name = '${name}'`]]);
    const v1 = await api.call('GET', `/v1/models/${name}/versions/1`);
    const modelDeleted = await send('DELETE', 'registered-models/delete', { name });
    const readModel = await get('registered-models/get', [['name', name]]);
    const audit = await api.call('GET', `/v1/audit?model=${name}&limit=50`);
    const verify = await api.call('GET', `/v1/audit/verify?model=${name}`);

    // Assess
    expect(deleted.body).toEqual({});
    expectMlflowError(read, 404, 'RESOURCE_DOES_NOT_EXIST');
    expect(search.body.model_versions.map((v: { version: string }) => v.version)).toEqual(['2']);
    expect(v1.body).toMatchObject({ status: 'ARCHIVED', statusReason: 'deleted through the MLflow API' });
    expect(modelDeleted.body).toEqual({});
    expectMlflowError(readModel, 404, 'RESOURCE_DOES_NOT_EXIST');
    const actions = audit.body.items.map((e: { action: string }) => e.action);
    expect(actions.filter((a: string) => a === 'version.deleted')).toHaveLength(2);
    expect(actions.at(-1)).toBe('model.deleted');
    expect(verify.body.valid).toBe(true);
  });

  it('refuses to delete a registered model with approval history', async () => {
    // Prepare
    const name = uniqueName('hist');
    await send('POST', 'registered-models/create', { name });
    await registerFromS3(name);
    const approval = await api.call('POST', `/v1/models/${name}/versions/1/approvals`, {
      body: { environment: 'staging' },
    });
    expect(approval.status, approval.text).toBe(202);

    // Act
    const res = await send('DELETE', 'registered-models/delete', { name });

    // Assess
    expect(expectMlflowError(res, 400, 'INVALID_STATE').message).toContain('approval');
    expect((await get('registered-models/get', [['name', name]])).status).toBe(200);
  });
});
