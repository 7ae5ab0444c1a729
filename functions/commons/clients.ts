import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from './config.ts';

/**
 * SDK clients, made once per process from the configuration and handed to adapters. Tests and
 * local mode swap them with `setClients`. Endpoint overrides exist only in local mode.
 */
export interface Clients {
  dynamo: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  secrets: SecretsManagerClient;
  sfn: SFNClient;
  ses: SESv2Client;
  kms: KMSClient;
  cloudwatch: CloudWatchClient;
}

const cache: Partial<Clients> = {};

const localCredentials = () =>
  config().mode === 'local' ? { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } } : {};

export const dynamo = (): DynamoDBClient => {
  cache.dynamo ??= new DynamoDBClient({
    region: config().region,
    maxAttempts: 4,
    ...(config().dynamodbEndpoint ? { endpoint: config().dynamodbEndpoint } : {}),
    ...localCredentials(),
  });
  return cache.dynamo;
};

export const doc = (): DynamoDBDocumentClient => {
  cache.doc ??= DynamoDBDocumentClient.from(dynamo(), {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
  return cache.doc;
};

export const s3 = (): S3Client => {
  const local = config().s3Endpoint !== undefined;
  cache.s3 ??= new S3Client({
    region: config().region,
    ...(local
      ? {
          endpoint: config().s3Endpoint,
          forcePathStyle: true,
          // s3rver stores aws-chunked bodies with their framing unless checksums are off.
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {}),
    ...localCredentials(),
  });
  return cache.s3;
};

/** Imported on first use: only the cursor key on AWS needs it, once per process. */
export const secrets = async (): Promise<SecretsManagerClient> => {
  if (!cache.secrets) {
    const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    cache.secrets ??= new SecretsManagerClient({ region: config().region });
  }
  return cache.secrets;
};

export const sfn = (): SFNClient => {
  cache.sfn ??= new SFNClient({
    region: config().region,
    ...(config().sfnEndpoint ? { endpoint: config().sfnEndpoint } : {}),
    ...localCredentials(),
  });
  return cache.sfn;
};

export const ses = (): SESv2Client => {
  cache.ses ??= new SESv2Client({
    region: config().region,
    ...(config().sesEndpoint ? { endpoint: config().sesEndpoint } : {}),
    ...localCredentials(),
  });
  return cache.ses;
};

export const kms = (): KMSClient => {
  cache.kms ??= new KMSClient({ region: config().region });
  return cache.kms;
};

export const cloudwatch = (): CloudWatchClient => {
  cache.cloudwatch ??= new CloudWatchClient({
    region: config().region,
    ...(config().cloudwatchEndpoint ? { endpoint: config().cloudwatchEndpoint } : {}),
    ...localCredentials(),
  });
  return cache.cloudwatch;
};

/** Local mode's fault injection: called before a task token is sealed; may throw. */
let sealProbe: (() => void) | undefined;
export const setSealProbe = (probe: (() => void) | undefined): void => {
  sealProbe = probe;
};
export const probeSeal = (): void => sealProbe?.();

/** Replace some clients (tests: a throttling DynamoDB client; local mode: emulator endpoints). */
export const setClients = (clients: Partial<Clients>): void => {
  Object.assign(cache, clients);
  if (clients.dynamo && !clients.doc) cache.doc = undefined;
};

export const resetClients = (): void => {
  for (const key of Object.keys(cache) as (keyof Clients)[]) delete cache[key];
};
