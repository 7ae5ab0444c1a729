import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { keys } from '#adapters/keys';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '#commons/errors';
import type { Principal } from '#commons/identity';
import {
  driftReportLink,
  putBaseline,
  putMonitoring,
  readMonitoring,
  removeMonitoring,
} from '#services/monitoring';
import {
  deploymentItem,
  driftRunItem,
  modelItem,
  refusal,
  resetAws,
  store,
  transactions,
  versionItem,
} from './mocked-aws.ts';

/** Every refusal of the monitoring use cases, against mocked DynamoDB and S3. */
const s3 = mockClient(S3Client);
afterAll(() => s3.restore());

const as = (id: string, ...roles: string[]): Principal =>
  ({ id, sessionName: undefined, roles: new Set(roles) }) as Principal;
const bob = as('bob', 'publisher');
const DEPLOYMENT = 'dep-1';

const baselineBody = (uri = 's3://data/reference.csv') => ({ dataset: { uri, format: 'csv' as const } });
const monitoringBody = (uri = 's3://capture/churn/') => ({
  capture: { uri, format: 'jsonl' as const },
  schedule: 'hourly' as const,
  alarmThreshold: 0.3,
});

beforeEach(() => {
  resetAws({ ARTIFACTS_BUCKET: 'artifacts' });
  s3.reset();
  s3.on(PutObjectCommand).resolves({});
  store(keys.model('churn'), modelItem({ auditSeq: 2, auditHead: 'h' }));
  store(keys.version('churn', 1), versionItem());
  store(keys.deployment(DEPLOYMENT), deploymentItem({ id: DEPLOYMENT }));
});

describe('a baseline', () => {
  it('is refused for a missing model or version, and for anyone outside the owning team', async () => {
    expect(await refusal(putBaseline(bob, 'nope', 1, baselineBody()))).toBeInstanceOf(NotFoundError);
    expect(await refusal(putBaseline(bob, 'churn', 9, baselineBody()))).toBeInstanceOf(NotFoundError);
    expect(await refusal(putBaseline(as('mallory', 'publisher'), 'churn', 1, baselineBody()))).toBeInstanceOf(
      ForbiddenError,
    );
    expect(transactions()).toHaveLength(0);
  });

  it('is refused for a dataset URI that is not S3 on AWS, naming the field', async () => {
    const error = await refusal(putBaseline(bob, 'churn', 1, baselineBody('file:///tmp/x.csv')));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors?.[0]?.path).toBe('body.dataset.uri');
  });

  it('is refused for a dataset with no rows, and nothing is stored', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 8 });
    s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from('age,tenure\n')]) }));
    const error = await refusal(putBaseline(bob, 'churn', 1, baselineBody()));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe('the reference dataset has no rows');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(transactions()).toHaveLength(0);
  });
});

describe('a monitor', () => {
  it('is refused for a capture or ground truth URI that is not S3 on AWS, naming the field', async () => {
    const capture = await refusal(putMonitoring(bob, DEPLOYMENT, monitoringBody('file:///tmp/c')));
    expect((capture as ValidationError).errors?.[0]?.path).toBe('body.capture.uri');
    const truth = await refusal(
      putMonitoring(bob, DEPLOYMENT, {
        ...monitoringBody(),
        groundTruth: { uri: 'http://x', format: 'jsonl' },
      } as never),
    );
    expect((truth as ValidationError).errors?.[0]?.path).toBe('body.groundTruth.uri');
  });

  it('is refused for a missing deployment and for a version without a baseline', async () => {
    expect(await refusal(putMonitoring(bob, 'dep-none', monitoringBody()))).toBeInstanceOf(NotFoundError);
    const error = await refusal(putMonitoring(bob, DEPLOYMENT, monitoringBody()));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe('version 1 has no baseline: PUT .../versions/1/baseline first');
    expect(transactions()).toHaveLength(0);
  });

  it('cannot be read or removed where there is none', async () => {
    const read = await refusal(readMonitoring(DEPLOYMENT));
    expect(read).toBeInstanceOf(NotFoundError);
    expect(read.message).toBe(`deployment ${DEPLOYMENT} is not monitored`);
    expect(await refusal(removeMonitoring(bob, DEPLOYMENT))).toBeInstanceOf(NotFoundError);
  });
});

describe('a drift report link', () => {
  it('is refused with no run, an unknown run, and a run made before reports had pages', async () => {
    expect((await refusal(driftReportLink(DEPLOYMENT, 'latest'))).message).toBe(
      `deployment ${DEPLOYMENT} has no drift run`,
    );
    expect((await refusal(driftReportLink(DEPLOYMENT, 'dr-1'))).message).toBe(
      `drift run dr-1 of deployment ${DEPLOYMENT} does not exist`,
    );
    store(
      { pk: keys.monitor(DEPLOYMENT).pk, sk: `${keys.driftRunPrefix}2026-01-01` },
      driftRunItem({ id: 'dr-0', deploymentId: DEPLOYMENT }),
    );
    const old = await refusal(driftReportLink(DEPLOYMENT, 'latest'));
    expect(old).toBeInstanceOf(NotFoundError);
    expect(old.message).toBe('drift run dr-0 was made before reports had pages; run drift again');
  });
});
