import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { doc } from '#commons/clients';
import { type BaselineSummary, DriftRunItem, MonitorItem } from '#domain/items';
import { commitMutation } from './audit-chain.ts';
import { itemsOf, keys, readItem } from './keys.ts';
import type { ModelItem } from './registry-table.ts';
import { getItem, queryAll, table } from './table.ts';

export type { BaselineSummary, DriftRunFeature, DriftRunItem, MonitorItem } from '#domain/items';

/**
 * Baselines, monitors and drift runs. A version's baseline summary and a deployment's monitor
 * are audited changes; drift runs are results, kept as summaries here (the full report is in S3).
 */

export const setBaseline = (head: ModelItem, version: number, baseline: BaselineSummary, actor: string) =>
  commitMutation({
    head,
    name: head.name,
    actor,
    action: 'version.baseline-set',
    target: `version:${head.name}:${version}`,
    after: baseline,
    at: baseline.createdAt,
    writes: [
      {
        Update: {
          TableName: table(),
          Key: keys.version(head.name, version),
          UpdateExpression: 'SET baseline = :baseline',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':baseline': baseline },
        },
      },
    ],
  });

export const getMonitor = (deploymentId: string): Promise<MonitorItem | undefined> =>
  getItem(MonitorItem, keys.monitor(deploymentId));

export const putMonitor = (head: ModelItem, monitor: MonitorItem, previous: MonitorItem | undefined) =>
  commitMutation({
    head,
    name: head.name,
    actor: monitor.updatedBy,
    action: 'monitoring.configured',
    target: `deployment:${monitor.deploymentId}`,
    ...(previous
      ? {
          before: { capture: previous.capture, schedule: previous.schedule, thresholds: previous.thresholds },
        }
      : {}),
    after: {
      capture: monitor.capture,
      schedule: monitor.schedule,
      thresholds: monitor.thresholds,
      alarmName: monitor.alarmName,
    },
    at: monitor.updatedAt,
    writes: [
      {
        Put: {
          TableName: table(),
          Item: {
            ...keys.monitor(monitor.deploymentId),
            ...keys.monitorIndex(monitor.nextRunAt, monitor.deploymentId),
            ...monitor,
          },
        },
      },
    ],
  });

export const deleteMonitor = (head: ModelItem, monitor: MonitorItem, actor: string, at: string) =>
  commitMutation({
    head,
    name: head.name,
    actor,
    action: 'monitoring.removed',
    target: `deployment:${monitor.deploymentId}`,
    before: { capture: monitor.capture, schedule: monitor.schedule, alarmName: monitor.alarmName },
    at,
    writes: [
      {
        Delete: {
          TableName: table(),
          Key: keys.monitor(monitor.deploymentId),
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
    ],
  });

/** Monitors due by `now`, oldest first. */
export const dueMonitors = async (now: string, limit = 1000): Promise<MonitorItem[]> => {
  const items = await queryAll(
    {
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk <= :now',
      ExpressionAttributeValues: { ':pk': keys.monitorsPartition, ':now': `${now}~` },
    },
    itemsOf(MonitorItem),
    limit,
  );
  return items.slice(0, limit);
};

/** Move a monitor's next run, only from the time it was seen due (two dispatchers never both run it). */
export const claimMonitorRun = async (monitor: MonitorItem, nextRunAt: string): Promise<boolean> => {
  try {
    await doc().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.monitor(monitor.deploymentId),
        UpdateExpression: 'SET nextRunAt = :next, gsi1sk = :sk',
        ConditionExpression: 'nextRunAt = :seen',
        ExpressionAttributeValues: {
          ':next': nextRunAt,
          ':sk': keys.monitorIndex(nextRunAt, monitor.deploymentId).gsi1sk,
          ':seen': monitor.nextRunAt,
        },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
};

/** A run's summary, and the model's last drift and health status for the inventory. */
export const putDriftRun = async (run: DriftRunItem) => {
  await doc().send(
    new PutCommand({
      TableName: table(),
      Item: { ...keys.driftRun(run.deploymentId, run.at, run.id), ...run },
    }),
  );
  await doc()
    .send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.model(run.model),
        UpdateExpression: `SET lastDrift = :drift${run.health ? ', health = :health' : ''}`,
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(lastDrift) OR lastDrift.#at <= :at)',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: {
          ':drift': {
            status: run.status,
            at: run.at,
            driftedShare: run.driftedShare,
            deploymentId: run.deploymentId,
            environment: run.environment,
          },
          ':at': run.at,
          ...(run.health
            ? { ':health': { status: run.health, at: run.at, deploymentId: run.deploymentId } }
            : {}),
        },
      }),
    )
    .catch((error: Error) => {
      // An older run finishing after a newer one leaves the newer status in place.
      if (error.name !== 'ConditionalCheckFailedException') throw error;
    });
};

export const listDriftRuns = async (
  deploymentId: string,
  limit: number,
  startKey?: Record<string, unknown>,
) => {
  const out = await doc().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
      ExpressionAttributeValues: { ':pk': keys.monitor(deploymentId).pk, ':run': keys.driftRunPrefix },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return { items: (out.Items ?? []).map(itemsOf(DriftRunItem)), lastKey: out.LastEvaluatedKey };
};

/**
 * One run of a deployment by its id (the newest for `latest`). Runs are kept by time, so finding
 * one by id reads the deployment's runs newest first, a page at a time, until it turns up.
 */
export const findDriftRun = async (
  deploymentId: string,
  runId: string,
): Promise<DriftRunItem | undefined> => {
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await doc().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
        ...(runId === 'latest' ? { Limit: 1 } : { FilterExpression: 'id = :id' }),
        ExpressionAttributeValues: {
          ':pk': keys.monitor(deploymentId).pk,
          ':run': keys.driftRunPrefix,
          ...(runId === 'latest' ? {} : { ':id': runId }),
        },
        ScanIndexForward: false,
        ExclusiveStartKey: startKey,
      }),
    );
    const found = out.Items?.[0];
    if (found) return readItem(DriftRunItem, found);
    startKey = runId === 'latest' ? undefined : out.LastEvaluatedKey;
  } while (startKey);
  return undefined;
};
