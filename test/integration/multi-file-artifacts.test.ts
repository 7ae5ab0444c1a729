import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treeDigest } from '#domain/artifact';
import { type Api, startApi } from './local-api.ts';
import { commit, createModel, expectProblem, sha256, uniqueName } from './registry-fixtures.ts';

/**
 * Multi-file artifacts through /v1: one presigned upload per file (multipart for the large one),
 * a commit that checks every file, per-file downloads and the manifest.
 */
const MiB = 1024 * 1024;
let api: Api;

beforeAll(async () => {
  api = await startApi({
    env: { MULTIPART_THRESHOLD_BYTES: String(6 * MiB), MULTIPART_PART_BYTES: String(5 * MiB) },
  });
});
afterAll(async () => {
  await api?.close();
});

interface FileUpload {
  path: string;
  url?: string;
  headers: Record<string, string>;
  parts?: { partNumber: number; url: string; offset: number; sizeBytes: number }[];
}

const upload = async (plan: FileUpload, bytes: Buffer) => {
  if (plan.url) {
    const res = await fetch(plan.url, { method: 'PUT', headers: plan.headers, body: bytes });
    expect(res.status).toBe(200);
    return;
  }
  for (const part of plan.parts ?? []) {
    const res = await fetch(part.url, {
      method: 'PUT',
      body: bytes.subarray(part.offset, part.offset + part.sizeBytes),
    });
    expect(res.status).toBe(200);
  }
};

const model = () => ({
  MLmodel: Buffer.from('flavors:\n  python_function: {}\n'),
  'data/weights.bin': randomBytes(7 * MiB),
  'conda.yaml': Buffer.from('name: test\n'),
});

const manifestOf = (files: Record<string, Buffer>) =>
  Object.entries(files).map(([path, bytes]) => ({ path, sha256: sha256(bytes), sizeBytes: bytes.length }));

describe('multi-file artifacts', () => {
  it('registers, uploads per file, commits READY with the tree digest and downloads every file', async () => {
    // Prepare
    const name = uniqueName('tree');
    await createModel(api, name);
    const files = model();
    const manifest = manifestOf(files);

    // Act
    const registered = await api.call('POST', `/v1/models/${name}/versions`, {
      body: { artifact: { files: manifest } },
    });
    for (const plan of registered.body.upload.files as FileUpload[])
      await upload(plan, files[plan.path as keyof typeof files]);
    const committed = await commit(api, name, 1);
    const links = await api.call('GET', `/v1/models/${name}/versions/1/artifact`);
    const manifestDoc = await api.call('GET', `/v1/models/${name}/versions/1/manifest`);

    // Assess
    expect(registered.status, registered.text).toBe(201);
    const plans = registered.body.upload.files as FileUpload[];
    expect(plans.map((p) => p.path)).toEqual(['MLmodel', 'conda.yaml', 'data/weights.bin']);
    expect(plans.find((p) => p.path === 'data/weights.bin')?.parts?.length).toBe(2);
    expect(committed.status, committed.text).toBe(200);
    expect(committed.body.status).toBe('READY');
    expect(committed.body.artifact.sha256).toBe(treeDigest(manifest));
    expect(committed.body.artifact.sizeBytes).toBe(manifest.reduce((s, f) => s + f.sizeBytes, 0));
    expect(committed.body.artifact.uri).toMatch(/^s3:\/\/[^/]+\/models\/.+\/$/);
    expect(links.status).toBe(200);
    for (const f of links.body.files as { path: string; url: string; sha256: string }[]) {
      const got = Buffer.from(await (await fetch(f.url)).arrayBuffer());
      expect(got.equals(files[f.path as keyof typeof files])).toBe(true);
      expect(f.sha256).toBe(sha256(got));
    }
    expect(manifestDoc.body.artifact.files).toHaveLength(3);
    expect(manifestDoc.body.artifact.sha256).toBe(treeDigest(manifest));
  });

  it('fails the commit naming the file whose bytes differ', async () => {
    // Prepare
    const name = uniqueName('treebad');
    await createModel(api, name);
    const files = { MLmodel: Buffer.from('a'), 'model.pkl': randomBytes(1000) };
    const registered = await api.call('POST', `/v1/models/${name}/versions`, {
      body: { artifact: { files: manifestOf(files) } },
    });
    const plans = registered.body.upload.files as FileUpload[];
    await upload(plans[0]!, files.MLmodel);
    // Before the second file arrives, commit says nothing is there yet and changes nothing.
    const early = await commit(api, name, 1);
    // Presigned PUTs are signed for the registered size: a same-size file with other bytes.
    await upload(plans[1]!, randomBytes(1000));

    // Act
    const late = await commit(api, name, 1);

    // Assess
    expectProblem(early, 409);
    expect(early.body.detail).toContain('model.pkl');
    expectProblem(late, 422);
    expect(late.body.detail).toContain('model.pkl: sha256 is');
    expect((await api.call('GET', `/v1/models/${name}/versions/1`)).body.status).toBe('FAILED');
  });

  it('refuses unsafe paths, duplicates and a mix of single-file and multi-file fields, naming each', async () => {
    // Prepare
    const name = uniqueName('treeinv');
    await createModel(api, name);
    const digest = createHash('sha256').digest('hex');

    // Act
    const res = await api.call('POST', `/v1/models/${name}/versions`, {
      body: {
        artifact: {
          sha256: digest,
          files: [
            { path: '../etc/passwd', sha256: digest, sizeBytes: 0 },
            { path: 'a', sha256: digest, sizeBytes: 0 },
            { path: 'a', sha256: digest, sizeBytes: 0 },
            { path: 'a/b', sha256: digest, sizeBytes: 0 },
          ],
        },
      },
    });

    // Assess
    const problem = expectProblem(res, 400);
    const paths = problem.errors?.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'body.artifact.sha256',
        'body.artifact.files.0.path',
        'body.artifact.files.2.path',
        'body.artifact.files.3.path',
      ]),
    );
    expect((await api.call('GET', `/v1/models/${name}`)).body.latestVersion).toBe(0);
  });
});
