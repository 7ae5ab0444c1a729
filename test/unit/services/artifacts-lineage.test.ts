import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '#adapters/keys';
import type { VersionItem } from '#adapters/registry-table';
import { asHttpError, ConflictError, ForbiddenError, NotFoundError } from '#commons/errors';
import type { Principal } from '#commons/identity';
import { EdgeExistsError } from '#domain/errors';
import { artifactDownload, fileDownload, listArtifactLevel } from '#services/artifacts';
import { lineageOf, recordEdge } from '#services/lineage';
import {
  cancelledAt,
  ddb,
  modelItem,
  refusal,
  resetAws,
  store,
  transactions,
  versionItem,
} from './mocked-aws.ts';

/** Every refusal of the artifacts and lineage use cases, against a mocked DynamoDB (S3 presigns offline). */
const as = (id: string, ...roles: string[]): Principal =>
  ({ id, sessionName: undefined, roles: new Set(roles) }) as Principal;
const bob = as('bob', 'publisher');

const single: VersionItem['artifact'] = {
  bucket: 'artifacts',
  key: 'models/churn/1/model.tar.gz',
  sha256: 'a'.repeat(64),
  sizeBytes: 10,
  fileName: 'model.tar.gz',
};
const tree: VersionItem['artifact'] = {
  bucket: 'artifacts',
  key: 'models/churn/2/',
  sha256: 'b'.repeat(64),
  sizeBytes: 30,
  files: [
    { path: 'MLmodel', sha256: 'c'.repeat(64), sizeBytes: 5 },
    { path: 'data/model.pkl', sha256: 'd'.repeat(64), sizeBytes: 20 },
    { path: 'data/extra/notes.txt', sha256: 'e'.repeat(64), sizeBytes: 5 },
  ],
};

beforeEach(() => {
  // Presigning signs offline; it needs credentials, not a network.
  resetAws({
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    ARTIFACTS_BUCKET: 'artifacts',
  });
  store(keys.model('churn'), modelItem({ auditSeq: 2, auditHead: 'h' }));
  store(keys.version('churn', 1), versionItem({ version: 1, artifact: single }));
  store(keys.version('churn', 2), versionItem({ version: 2, artifact: tree }));
});

describe('artifact downloads', () => {
  it('are refused for a version that does not exist, or has no committed artifact', async () => {
    expect(await refusal(artifactDownload('churn', 9))).toBeInstanceOf(NotFoundError);
    for (const status of ['PENDING_UPLOAD', 'FAILED'] as const) {
      store(keys.version('churn', 3), versionItem({ version: 3, status, artifact: single }));
      const error = await refusal(artifactDownload('churn', 3));
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.message).toBe(`version 3 is ${status}; it has no committed artifact`);
    }
  });

  it('presign one URL for a single object and one per file for a tree', async () => {
    const one = await artifactDownload('churn', 1);
    expect(one).toMatchObject({ url: expect.stringContaining('model.tar.gz') });
    const files = await artifactDownload('churn', 2);
    expect('files' in files && files.files.map((f) => f.path)).toEqual([
      'MLmodel',
      'data/model.pkl',
      'data/extra/notes.txt',
    ]);
  });

  it('list a folder level at a time, and find no file outside the artifact', async () => {
    expect(listArtifactLevel(tree, '')).toEqual([
      { path: 'MLmodel', isDir: false, sizeBytes: 5 },
      { path: 'data', isDir: true },
    ]);
    expect(listArtifactLevel(tree, 'data')).toEqual([
      { path: 'model.pkl', isDir: false, sizeBytes: 20 },
      { path: 'extra', isDir: true },
    ]);
    expect(listArtifactLevel(single, '')).toEqual([{ path: 'model.tar.gz', isDir: false, sizeBytes: 10 }]);
    expect(await fileDownload(tree, 'data/missing.pkl')).toBeUndefined();
    expect(await fileDownload(single, 'other.tar.gz')).toBeUndefined();
    expect((await fileDownload(tree, 'data/model.pkl'))?.url).toContain('models/churn/2/data/model.pkl');
  });
});

describe('lineage edges', () => {
  const dataset = { kind: 'dataset' as const, id: 's3://data/train.csv' };
  const edge = (to: { kind: 'model-version'; id: string }) => ({
    from: dataset,
    to,
    relation: 'trained-on' as const,
  });

  it('are refused for a malformed model-version id, naming the side', async () => {
    const error = await refusal(recordEdge(bob, edge({ kind: 'model-version', id: 'churn' })));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe('body.to: a model-version id is <model>:<version>');
  });

  it('are refused for a missing model or version, and for anyone outside the owning team', async () => {
    expect((await refusal(recordEdge(bob, edge({ kind: 'model-version', id: 'nope:1' })))).message).toBe(
      'model nope does not exist',
    );
    expect((await refusal(recordEdge(bob, edge({ kind: 'model-version', id: 'churn:9' })))).message).toBe(
      'version 9 of churn does not exist',
    );
    const stranger = await refusal(
      recordEdge(as('mallory', 'publisher'), edge({ kind: 'model-version', id: 'churn:1' })),
    );
    expect(stranger).toBeInstanceOf(ForbiddenError);
    expect(transactions()).toHaveLength(0);
  });

  it('are refused when the same edge exists, named from the refused write', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelledAt(2));
    const error = await refusal(recordEdge(bob, edge({ kind: 'model-version', id: 'churn:1' })));
    expect(error).toBeInstanceOf(EdgeExistsError);
    expect(asHttpError(error)?.statusCode).toBe(409);
  });

  it('cannot be walked from a malformed or missing model version', async () => {
    expect(await refusal(lineageOf({ kind: 'model-version', id: 'churn:x' }, 'upstream', 2))).toBeInstanceOf(
      NotFoundError,
    );
    expect((await refusal(lineageOf({ kind: 'model-version', id: 'churn:9' }, 'upstream', 2))).message).toBe(
      'version 9 of churn does not exist',
    );
  });
});
