import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '#adapters/keys';
import {
  asHttpError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
} from '#commons/errors';
import type { Principal } from '#commons/identity';
import { ModelExistsError, VersionNotReadyError } from '#domain/errors';
import type { VersionStatus } from '#domain/lifecycle';
import {
  createModel,
  readCard,
  readModel,
  removeAlias,
  replaceCard,
  resolveAlias,
  setAlias,
  updateModel,
} from '#services/models';
import {
  aliasItem,
  cancelledAt,
  ddb,
  modelItem,
  refusal,
  resetAws,
  store,
  transactions,
  versionItem,
} from './mocked-aws.ts';

/** Every refusal of the models' use cases (models, aliases, cards), against a mocked DynamoDB. */
const as = (id: string, ...roles: string[]): Principal =>
  ({ id, sessionName: undefined, roles: new Set(roles) }) as Principal;
const bob = as('bob', 'publisher');
const stranger = as('mallory', 'publisher');
const reader = as('bob', 'reader');

const model = modelItem({ owners: ['bob'], latestVersion: 2, auditSeq: 7 });
const version = (n: number, status: VersionStatus) =>
  store(keys.version('churn', n), versionItem({ version: n, status }));

beforeEach(() => {
  resetAws();
  store(keys.model('churn'), model);
  version(1, 'READY');
  version(2, 'PENDING_UPLOAD');
});

/** The owner refusals every change shares: no such model, not a publisher, not in the team. */
const refusesStrangers = async (
  change: (p: Principal) => Promise<unknown>,
  missing: () => Promise<unknown>,
) => {
  expect(await refusal(missing())).toBeInstanceOf(NotFoundError);
  const notPublisher = await refusal(change(reader));
  expect(notPublisher).toBeInstanceOf(ForbiddenError);
  expect(notPublisher.message).toMatch(/needs the publisher role/);
  const notInTeam = await refusal(change(stranger));
  expect(notInTeam).toBeInstanceOf(ForbiddenError);
  expect(notInTeam.message).toMatch(/not in the model's owning team/);
  expect(transactions()).toHaveLength(0);
};

describe('models', () => {
  it('names a model that exists already from the refused creation', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelledAt(0));
    const error = await refusal(createModel(bob, { name: 'churn' }));
    expect(error).toBeInstanceOf(ModelExistsError);
    expect(asHttpError(error)?.statusCode).toBe(409);
  });

  it('refuses a change by anyone outside the owning team, and a missing model', async () => {
    await refusesStrangers(
      (p) => updateModel(p, 'churn', { description: 'x' }, undefined),
      () => updateModel(bob, 'nope', { description: 'x' }, undefined),
    );
    expect(await refusal(readModel('nope'))).toBeInstanceOf(NotFoundError);
  });

  it('refuses a change whose If-Match is not the model as it is now', async () => {
    const error = await refusal(updateModel(bob, 'churn', { description: 'x' }, 6));
    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect(transactions()).toHaveLength(0);
    const { model: updated } = await updateModel(bob, 'churn', { description: 'x' }, 7);
    expect(updated).toMatchObject({ description: 'x', auditSeq: 8 });
  });
});

describe('aliases', () => {
  it('refuses strangers, a missing model, a missing version and a version that is not READY', async () => {
    await refusesStrangers(
      (p) => setAlias(p, 'churn', 'champion', 1),
      () => setAlias(bob, 'nope', 'champion', 1),
    );
    expect(await refusal(setAlias(bob, 'churn', 'champion', 9))).toBeInstanceOf(NotFoundError);
    const notReady = await refusal(setAlias(bob, 'churn', 'champion', 2));
    expect(notReady).toBeInstanceOf(ConflictError);
    expect(notReady.message).toBe('version 2 is PENDING_UPLOAD; an alias points at a READY version');
    expect(transactions()).toHaveLength(0);
  });

  it('names a version that left READY during the write from the version it met', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelledAt(2, { status: 'ARCHIVED' }));
    const error = await refusal(setAlias(bob, 'churn', 'champion', 1));
    expect(error).toBeInstanceOf(VersionNotReadyError);
    expect(asHttpError(error)?.statusCode).toBe(409);
  });

  it('refuses to resolve or remove an alias that does not exist, and strangers removing one', async () => {
    expect(await refusal(resolveAlias('churn', 'champion'))).toBeInstanceOf(NotFoundError);
    expect(await refusal(removeAlias(bob, 'churn', 'champion'))).toBeInstanceOf(NotFoundError);
    store(keys.alias('churn', 'champion'), aliasItem({ version: 9 }));
    // An alias whose version is gone says so.
    const gone = await refusal(resolveAlias('churn', 'champion'));
    expect(gone.message).toBe('version 9 of churn does not exist');
    await refusesStrangers(
      (p) => removeAlias(p, 'churn', 'champion'),
      () => removeAlias(bob, 'nope', 'champion'),
    );
  });

  it('reads an alias that moved during its removal again', async () => {
    store(keys.alias('churn', 'champion'), aliasItem({ version: 1 }));
    ddb.on(TransactWriteCommand).rejectsOnce(cancelledAt(2)).resolves({});
    await removeAlias(bob, 'churn', 'champion');
    expect(transactions()).toHaveLength(2);
  });
});

describe('cards', () => {
  it('refuses a missing model, strangers, and a replacement whose If-Match is stale', async () => {
    expect(await refusal(readCard('nope'))).toBeInstanceOf(NotFoundError);
    await refusesStrangers(
      (p) => replaceCard(p, 'churn', { purpose: 'x' }, undefined),
      () => replaceCard(bob, 'nope', { purpose: 'x' }, undefined),
    );
    const stale = await refusal(replaceCard(bob, 'churn', { purpose: 'x' }, 3));
    expect(stale).toBeInstanceOf(PreconditionFailedError);
    expect(await replaceCard(bob, 'churn', { purpose: 'x' }, 0)).toMatchObject({ revision: 1 });
  });

  it('answers an empty card carrying the model team before one is written', async () => {
    expect(await readCard('churn')).toEqual({ card: { owners: ['bob'] }, revision: 0 });
  });
});
