import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { doc } from '#commons/clients';
import { config } from '#commons/config';
import type { EnvironmentPolicy } from '#domain/environment';
import { ChangedWhileWrittenError } from '#domain/errors';
import { EnvironmentItem } from '#domain/items';
import { commitMutation, readChainHead, refusedWith } from './audit-chain.ts';
import { keys, readItem, SYSTEM_CHAIN } from './keys.ts';
import { queryAll, table } from './table.ts';

/**
 * Environment policies. Stored policies override the seeded defaults; every change is audited
 * on the system chain (environments belong to no model).
 */

export type { EnvironmentItem } from '#domain/items';

const strip = (item: Record<string, unknown>): EnvironmentItem => {
  const { entity: _e, ...rest } = item;
  return readItem(EnvironmentItem, rest);
};

export const listStoredEnvironments = (): Promise<EnvironmentItem[]> =>
  queryAll(
    {
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.environmentsPartition },
    },
    strip,
  );

export const getStoredEnvironment = async (name: string): Promise<EnvironmentItem | undefined> => {
  const { Item } = await doc().send(
    new GetCommand({ TableName: table(), Key: keys.environment(name), ConsistentRead: true }),
  );
  return Item ? strip(Item) : undefined;
};

/** Write a policy, guarded by the revision the caller saw (0: none stored yet). */
export const putEnvironment = async (
  name: string,
  policy: EnvironmentPolicy,
  previous: EnvironmentItem | EnvironmentPolicy | undefined,
  expectedRevision: number,
  actor: string,
  at: string,
): Promise<EnvironmentItem> => {
  const head = await readChainHead(SYSTEM_CHAIN);
  const item: EnvironmentItem = {
    ...policy,
    name,
    revision: expectedRevision + 1,
    updatedAt: at,
    updatedBy: actor,
  };
  await commitMutation({
    head,
    name: SYSTEM_CHAIN,
    actor,
    action: 'environment.updated',
    target: `environment:${name}`,
    ...(previous ? { before: previous } : {}),
    after: policy,
    at,
    ...(head ? {} : { createModel: { entity: 'chain', name: SYSTEM_CHAIN } }),
    writes: [
      refusedWith(
        {
          Put: {
            TableName: table(),
            Item: {
              ...keys.environment(name),
              ...keys.environmentIndex(name),
              entity: 'environment',
              ...item,
            },
            ConditionExpression: expectedRevision === 0 ? 'attribute_not_exists(pk)' : 'revision = :rev',
            ...(expectedRevision === 0 ? {} : { ExpressionAttributeValues: { ':rev': expectedRevision } }),
          },
        },
        () => new ChangedWhileWrittenError('environment'),
      ),
    ],
  });
  return item;
};

/** The policy in force: the stored one, else the seeded default; undefined for an unknown name. */
export const resolveEnvironment = async (
  name: string,
): Promise<{ policy: EnvironmentPolicy; stored: EnvironmentItem | undefined } | undefined> => {
  const stored = await getStoredEnvironment(name);
  if (stored) return { policy: stored, stored };
  // An own property only: a name such as `constructor` must not find Object.prototype's member.
  const seeded = Object.hasOwn(config().environments, name) ? config().environments[name] : undefined;
  return seeded ? { policy: seeded, stored: undefined } : undefined;
};
