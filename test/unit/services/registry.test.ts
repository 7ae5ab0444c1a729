import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '#adapters/keys';
import { asHttpError, ConflictError, ForbiddenError, NotFoundError } from '#commons/errors';
import type { Principal } from '#commons/identity';
import { VersionDeployingError, VersionServingError, VersionStatusChangedError } from '#domain/errors';
import type { VersionStatus } from '#domain/lifecycle';
import { transitionVersion } from '#services/registry';
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

/**
 * Every refusal of a version's transition (deprecate, archive), against a mocked DynamoDB: the
 * ones decided from what was read (no write is sent), and the ones the write's conditions meet,
 * named from the version as it was (the cancellation reason's item), never from a position.
 */
const as = (id: string, ...roles: string[]): Principal =>
  ({ id, sessionName: undefined, roles: new Set(roles) }) as Principal;
const bob = as('bob', 'publisher');
const admin = as('root', 'admin');
const stranger = as('mallory', 'publisher');
const reader = as('bob', 'reader');

const model = modelItem({ owners: ['bob'], latestVersion: 5, auditSeq: 7 });
const version = (n: number, status: VersionStatus) =>
  store(keys.version('churn', n), versionItem({ version: n, status, revision: 3 }));

const deprecate = (p: Principal, n: number, name = 'churn') =>
  transitionVersion(p, name, n, { to: 'DEPRECATED', reason: 'superseded' });
const archive = (p: Principal, n: number) =>
  transitionVersion(p, 'churn', n, { to: 'ARCHIVED', reason: 'retired' });

/** The version write of the one transaction sent (after the model and the audit event). */
const versionWrite = () => {
  const [sent] = transactions();
  expect(sent).toHaveLength(3);
  return sent![2]!.Update!;
};

beforeEach(() => {
  resetAws();
  store(keys.model('churn'), model);
  version(1, 'READY');
  version(2, 'PENDING_UPLOAD');
  version(3, 'DEPRECATED');
  version(4, 'ARCHIVED');
  version(5, 'FAILED');
});

describe('transitions: refused from what was read, before any write', () => {
  it('answers 404 for a model or a version that does not exist', async () => {
    const noModel = await refusal(deprecate(bob, 1, 'nope'));
    expect(noModel).toBeInstanceOf(NotFoundError);
    expect(noModel.message).toBe('model nope does not exist');
    const noVersion = await refusal(deprecate(bob, 9));
    expect(noVersion).toBeInstanceOf(NotFoundError);
    expect(noVersion.message).toBe('version 9 of churn does not exist');
    expect(transactions()).toHaveLength(0);
  });

  it('refuses anyone but a publisher of the owning team (or an admin)', async () => {
    const notPublisher = await refusal(deprecate(reader, 1));
    expect(notPublisher).toBeInstanceOf(ForbiddenError);
    expect(notPublisher.message).toMatch(/needs the publisher role/);
    const notOwner = await refusal(archive(stranger, 1));
    expect(notOwner).toBeInstanceOf(ForbiddenError);
    expect(notOwner.message).toMatch(/not in the model's owning team/);
    expect(transactions()).toHaveLength(0);

    await deprecate(admin, 1);
    expect(transactions()).toHaveLength(1);
  });

  it.each([
    [2, 'DEPRECATED', 'a PENDING_UPLOAD version cannot move to DEPRECATED'],
    [2, 'ARCHIVED', 'a PENDING_UPLOAD version cannot move to ARCHIVED'],
    [3, 'DEPRECATED', 'a DEPRECATED version cannot move to DEPRECATED'],
    [4, 'DEPRECATED', 'a ARCHIVED version cannot move to DEPRECATED'],
    [4, 'ARCHIVED', 'a ARCHIVED version cannot move to ARCHIVED'],
    [5, 'DEPRECATED', 'a FAILED version cannot move to DEPRECATED'],
    [5, 'ARCHIVED', 'a FAILED version cannot move to ARCHIVED'],
  ] as const)(
    'refuses version %i (not ready, archived, failed...) moving to %s with 409',
    async (n, to, message) => {
      const error = await refusal(transitionVersion(bob, 'churn', n, { to, reason: 'x' }));
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.message).toBe(message);
      expect(asHttpError(error)?.statusCode).toBe(409);
      expect(transactions()).toHaveLength(0);
    },
  );
});

describe('transitions: the conditions of the write', () => {
  it('deprecates only from the status read and while no deployment of the version runs', async () => {
    const moved = await deprecate(bob, 1);
    expect(moved).toMatchObject({
      status: 'DEPRECATED',
      statusReason: 'superseded',
      revision: 4,
      updatedBy: 'bob',
    });
    const write = versionWrite();
    expect(write.Key).toEqual(keys.version('churn', 1));
    expect(write.ConditionExpression).toContain('#status IN (:from0)');
    expect(write.ExpressionAttributeValues).toMatchObject({ ':from0': 'READY' });
    expect(write.ConditionExpression).toContain('size(deployingIds) = :zero');
    // Deprecated, a version may keep serving.
    expect(write.ConditionExpression).not.toContain('servingOn');
  });

  it('archives only a version that neither deploys nor serves anywhere', async () => {
    await archive(bob, 3);
    const write = versionWrite();
    expect(write.ExpressionAttributeValues).toMatchObject({ ':from0': 'DEPRECATED' });
    expect(write.ConditionExpression).toContain('size(deployingIds) = :zero');
    expect(write.ConditionExpression).toContain('size(servingOn) = :zero');
  });

  it('names a deployment under way from the version the write met (409)', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejects(cancelledAt(2, { status: 'READY', deployingIds: new Set(['dep-1']) }));
    const error = await refusal(deprecate(bob, 1));
    expect(error).toBeInstanceOf(VersionDeployingError);
    expect(error.message).toContain('a deployment of it is under way (dep-1)');
    expect(asHttpError(error)?.statusCode).toBe(409);
    expect(transactions()).toHaveLength(1);
  });

  it('names a version that still serves somewhere when it is archived (409)', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelledAt(2, { status: 'READY', servingOn: { prod: 'dep-9' } }));
    const error = await refusal(archive(bob, 1));
    expect(error).toBeInstanceOf(VersionServingError);
    expect(asHttpError(error)?.statusCode).toBe(409);
  });

  it('names a version another request moved between the read and the write (409)', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelledAt(2, { status: 'ARCHIVED' }));
    const error = await refusal(deprecate(bob, 1));
    expect(error).toBeInstanceOf(VersionStatusChangedError);
    expect(error.message).toBe('version 1 of churn is ARCHIVED now: another request changed it');
    expect(asHttpError(error)?.statusCode).toBe(409);
    // Not retried: the version, not the audit chain, refused it.
    expect(transactions()).toHaveLength(1);
  });

  it('reads model and version again when the audit chain moved, and writes after the new head', async () => {
    ddb
      .on(TransactWriteCommand)
      .callsFakeOnce(() => {
        // Another change of the model landed first: its audit chain is one event longer.
        store(keys.model('churn'), { ...model, auditSeq: 8, auditHead: 'e'.repeat(64) });
        throw cancelledAt(0);
      })
      .resolves({});
    await deprecate(bob, 1);
    const sent = transactions();
    expect(sent).toHaveLength(2);
    const auditKey = (items: (typeof sent)[number]) => items[1]!.Put!.Item!.sk;
    expect(auditKey(sent[1]!)).not.toBe(auditKey(sent[0]!));
    expect(sent[1]![0]!.Update!.ExpressionAttributeValues).toMatchObject({ ':seq': 9, ':expected': 8 });
  });

  it('refuses, on the retry, a version that the conflicting change moved (409, nothing more sent)', async () => {
    ddb.on(TransactWriteCommand).callsFakeOnce(() => {
      store(keys.model('churn'), { ...model, auditSeq: 8, auditHead: 'e'.repeat(64) });
      version(1, 'ARCHIVED');
      throw cancelledAt(0);
    });
    const error = await refusal(deprecate(bob, 1));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe('a ARCHIVED version cannot move to DEPRECATED');
    expect(transactions()).toHaveLength(1);
  });
});
