import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CompleteMultipartUploadCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './local-api.ts';
import {
  commit,
  createModel,
  download,
  eventsOf,
  expectProblem,
  putArtifact,
  registerVersion,
  sha256,
  type UploadPlan,
  uniqueName,
} from './registry-fixtures.ts';

/**
 * Artifacts travel between the caller and S3 on presigned URLs, as curl or a browser would send
 * them; the commit step checks what arrived against what was registered.
 */
const MiB = 1024 * 1024;

let api: Api;
let scratch: string;

beforeAll(async () => {
  api = await startApi({
    env: { MULTIPART_THRESHOLD_BYTES: String(6 * MiB), MULTIPART_PART_BYTES: String(5 * MiB) },
  });
  scratch = await mkdtemp(join(tmpdir(), 'steward-artifacts-'));
});

afterAll(async () => {
  await api?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const getVersion = (model: string, version: number) =>
  api.call('GET', `/v1/models/${model}/versions/${version}`);

/** The object's key in the artifacts bucket, from the version's `s3://bucket/key` URI. */
const objectKeyOf = async (model: string, version: number) => {
  const uri: string = (await getVersion(model, version)).body.artifact.uri;
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)!;
  return { bucket: bucket!, key: key! };
};

/** A client straight on the local bucket: what the registry's callers never have. */
const localS3 = () => new S3Client({ region: 'us-east-1', ...api.system.s3.clientConfig });

describe('single-request upload', () => {
  it('uploads with a plain PUT, commits READY and downloads byte for byte', async () => {
    // Prepare
    const name = uniqueName('plain');
    await createModel(api, name);
    const bytes = randomBytes(300 * 1024);
    const registered = await registerVersion(api, name, bytes);

    // Act
    const put = await putArtifact(registered.upload, bytes);
    const committed = await commit(api, name, registered.version);
    const downloaded = await download(api, name, registered.version);

    // Assess
    expect(put.status).toBe(200);
    expect(committed.status, committed.text).toBe(200);
    expect(committed.body).toMatchObject({
      status: 'READY',
      artifact: { sha256: sha256(bytes), sizeBytes: bytes.length },
    });
    expect(downloaded.length).toBe(bytes.length);
    expect(downloaded.equals(bytes)).toBe(true);
    expect((await getVersion(name, registered.version)).body.status).toBe('READY');
  });

  it('accepts an upload made by curl --data-binary', async () => {
    // Prepare
    const name = uniqueName('curl');
    await createModel(api, name);
    const bytes = randomBytes(64 * 1024);
    const file = join(scratch, 'curl-model.bin');
    await writeFile(file, bytes);
    const { upload, version } = await registerVersion(api, name, bytes);
    const headerArgs = Object.entries(upload.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);

    // Act
    const curl = await promisify(execFile)('curl', [
      '-sS',
      '-X',
      upload.method,
      '--data-binary',
      `@${file}`,
      ...headerArgs,
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      upload.url!,
    ]);
    const committed = await commit(api, name, version);

    // Assess
    expect(curl.stdout).toBe('200');
    expect(committed.status, committed.text).toBe(200);
    expect((await download(api, name, version)).equals(bytes)).toBe(true);
  });

  it('keeps the file name for the download', async () => {
    // Prepare
    const name = uniqueName('fname');
    await createModel(api, name);
    const bytes = randomBytes(100);
    const registered = await registerVersion(api, name, bytes);
    await putArtifact(registered.upload, bytes);
    await commit(api, name, registered.version);

    // Act
    const url = (await api.call('GET', `/v1/models/${name}/versions/1/artifact`)).body.url as string;
    const got = await fetch(url);

    // Assess
    expect(got.headers.get('content-disposition')).toBe('attachment; filename="model.bin"');
  });

  it('refuses an upload whose hash differs: 422, then FAILED with a reason', async () => {
    // Prepare
    const name = uniqueName('hash');
    await createModel(api, name);
    const registeredBytes = randomBytes(2048);
    const { upload, version } = await registerVersion(api, name, registeredBytes);
    const otherBytes = randomBytes(2048);
    expect((await putArtifact(upload, otherBytes)).status).toBe(200);

    // Act
    const res = await commit(api, name, version);

    // Assess
    const problem = expectProblem(res, 422);
    expect(problem.detail).toContain('sha256');
    const after = await getVersion(name, version);
    expect(after.body.status).toBe('FAILED');
    expect(after.body.statusReason).toContain(sha256(otherBytes));
    expectProblem(await api.call('GET', `/v1/models/${name}/versions/${version}/artifact`), 409);
    expectProblem(await commit(api, name, version), 409);
    const events = (await eventsOf(api, name)).map((e) => e['detail-type']);
    expect(events).toEqual(['model.created', 'version.registered', 'version.failed']);
  });

  it('refuses an object whose size differs: 422, then FAILED', async () => {
    // Prepare: the presigned URL pins Content-Length, so a wrong-size object can only come in
    // another way, e.g. a write straight to the bucket.
    const name = uniqueName('size');
    await createModel(api, name);
    const registeredBytes = randomBytes(4096);
    const { version } = await registerVersion(api, name, registeredBytes);
    const { bucket, key } = await objectKeyOf(name, version);
    const s3 = localS3();
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: registeredBytes.subarray(0, 4000) }),
    );
    s3.destroy();

    // Act
    const res = await commit(api, name, version);

    // Assess
    const problem = expectProblem(res, 422);
    expect(problem.detail).toContain('4000');
    const after = await getVersion(name, version);
    expect(after.body.status).toBe('FAILED');
    expect(after.body.statusReason).toMatch(/size is 4000 bytes, registered 4096/);
  });

  it('never makes READY a body of another size sent to the presigned URL', async () => {
    // Prepare
    const name = uniqueName('pinned');
    await createModel(api, name);
    const bytes = randomBytes(1000);
    const { upload, version } = await registerVersion(api, name, bytes);

    // Act
    const put = await putArtifact(upload, bytes.subarray(0, 999));
    const res = await commit(api, name, version);

    // Assess: S3 refuses the signed Content-Length outright; s3rver stores the body, and the commit
    // step refuses it instead.
    const after = await getVersion(name, version);
    if (put.status >= 400) {
      expectProblem(res, 409);
      expect(after.body.status).toBe('PENDING_UPLOAD');
    } else {
      expectProblem(res, 422);
      expect(after.body.status).toBe('FAILED');
      expect(after.body.statusReason).toMatch(/size is 999 bytes, registered 1000/);
    }
  });

  it('answers a commit before any upload with 409 and leaves the version PENDING_UPLOAD', async () => {
    // Prepare
    const name = uniqueName('early');
    await createModel(api, name);
    const bytes = randomBytes(128);
    const { upload, version } = await registerVersion(api, name, bytes);

    // Act
    const early = await commit(api, name, version);
    const state = await getVersion(name, version);
    await putArtifact(upload, bytes);
    const late = await commit(api, name, version);

    // Assess
    expectProblem(early, 409);
    expect(state.body.status).toBe('PENDING_UPLOAD');
    expect(late.status, late.text).toBe(200);
    expect(late.body.status).toBe('READY');
  });

  it('answers a second commit with 409 and keeps the committed artifact', async () => {
    // Prepare
    const name = uniqueName('twice');
    await createModel(api, name);
    const bytes = randomBytes(128);
    const { upload, version } = await registerVersion(api, name, bytes);
    await putArtifact(upload, bytes);
    const first = await commit(api, name, version);

    // Act
    const second = await commit(api, name, version);

    // Assess
    expect(first.status).toBe(200);
    expectProblem(second, 409);
    const after = await getVersion(name, version);
    expect(after.body.status).toBe('READY');
    expect(after.body.artifact).toEqual(first.body.artifact);
    const committed = (await eventsOf(api, name)).filter((e) => e['detail-type'] === 'version.committed');
    expect(committed).toHaveLength(1);
  });

  it('lets only the owner or an admin commit', async () => {
    // Prepare
    const name = uniqueName('commitowner');
    await createModel(api, name, {}, 'alice');
    const bytes = randomBytes(64);
    const { upload, version } = await registerVersion(api, name, bytes, {}, 'alice');
    await putArtifact(upload, bytes);

    // Act
    const stranger = await commit(api, name, version, undefined, 'mallory');
    const auditor = await commit(api, name, version, undefined, 'auditor');
    const admin = await commit(api, name, version, undefined, 'admin');

    // Assess
    expectProblem(stranger, 403);
    expectProblem(auditor, 403);
    expect(admin.status, admin.text).toBe(200);
  });

  it('commits a zero-byte artifact', async () => {
    // Prepare
    const name = uniqueName('empty');
    await createModel(api, name);
    const bytes = Buffer.alloc(0);
    const { upload, version } = await registerVersion(api, name, bytes);

    // Act
    const put = await putArtifact(upload, bytes);
    const res = await commit(api, name, version);

    // Assess
    expect(put.status).toBe(200);
    expect(res.status, res.text).toBe(200);
    expect((await download(api, name, version)).length).toBe(0);
  });
});

describe('multipart upload', () => {
  const size = 12 * MiB + 12345;
  const bytes = randomBytes(size);

  /** Every part PUT to its own URL, as a client would; the ETags as S3 answered them. */
  const uploadParts = async (upload: UploadPlan, body: Buffer) =>
    Promise.all(
      upload.parts!.map(async (part) => {
        const res = await fetch(part.url, {
          method: upload.method,
          headers: upload.headers,
          body: body.subarray(part.offset, part.offset + part.sizeBytes),
        });
        expect(res.status, await res.clone().text()).toBe(200);
        return { partNumber: part.partNumber, etag: res.headers.get('etag')! };
      }),
    );

  it('plans parts that cover the file exactly', async () => {
    // Prepare
    const name = uniqueName('plan');
    await createModel(api, name);

    // Act
    const { upload } = await registerVersion(api, name, bytes);

    // Assess
    expect(upload.url).toBeUndefined();
    expect(upload.method).toBe('PUT');
    expect(upload.parts?.map((p) => [p.partNumber, p.offset, p.sizeBytes])).toEqual([
      [1, 0, 5 * MiB],
      [2, 5 * MiB, 5 * MiB],
      [3, 10 * MiB, size - 10 * MiB],
    ]);
  });

  it('commits with the parts the client reports, and downloads byte for byte', async () => {
    // Prepare
    const name = uniqueName('mpu');
    await createModel(api, name);
    const { upload, version } = await registerVersion(api, name, bytes);
    const parts = await uploadParts(upload, bytes);

    // Act
    const res = await commit(api, name, version, { parts });

    // Assess
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe('READY');
    const downloaded = await download(api, name, version);
    expect(downloaded.length).toBe(size);
    expect(sha256(downloaded)).toBe(sha256(bytes));
  });

  it('commits without a parts body, from the parts the store lists', async () => {
    // Prepare
    const name = uniqueName('mpulist');
    await createModel(api, name);
    const { upload, version } = await registerVersion(api, name, bytes);
    await uploadParts(upload, bytes);

    // Act
    const res = await commit(api, name, version);

    // Assess
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe('READY');
    const downloaded = await download(api, name, version);
    expect(sha256(downloaded)).toBe(sha256(bytes));
  });

  it('commits an upload an earlier, interrupted commit already completed', async () => {
    // Prepare: the parts are in and the upload was completed (as a commit step does before it hashes
    // and records), but nothing was recorded: the version is still PENDING_UPLOAD.
    const name = uniqueName('mpuretry');
    await createModel(api, name);
    const { upload, version } = await registerVersion(api, name, bytes);
    const parts = await uploadParts(upload, bytes);
    const { bucket, key } = await objectKeyOf(name, version);
    const uploadId = new URL(upload.parts![0]!.url).searchParams.get('uploadId')!;
    const s3 = localS3();
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
      }),
    );
    s3.destroy();

    // Act
    const listed = await commit(api, name, version);

    // Assess
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.status).toBe('READY');
    expect(sha256(await download(api, name, version))).toBe(sha256(bytes));
  });

  it('answers a multipart commit before any part arrived with 409, and stays PENDING_UPLOAD', async () => {
    // Prepare
    const name = uniqueName('mpuearly');
    await createModel(api, name);
    const { version } = await registerVersion(api, name, bytes);

    // Act
    const res = await commit(api, name, version);

    // Assess
    expectProblem(res, 409);
    expect((await getVersion(name, version)).body.status).toBe('PENDING_UPLOAD');
  });

  it('fails a multipart upload whose content differs from the registered hash', async () => {
    // Prepare
    const name = uniqueName('mpubad');
    await createModel(api, name);
    const { upload, version } = await registerVersion(api, name, bytes);
    const tampered = Buffer.from(bytes);
    tampered[7 * MiB] = tampered[7 * MiB]! ^ 0xff;
    const parts = await uploadParts(upload, tampered);

    // Act
    const res = await commit(api, name, version, { parts });

    // Assess
    expectProblem(res, 422);
    const after = await getVersion(name, version);
    expect(after.body.status).toBe('FAILED');
    expect(after.body.statusReason).toContain(sha256(tampered));
  });
});
