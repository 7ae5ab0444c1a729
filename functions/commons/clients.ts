import { CloudWatchClient, type CloudWatchClientConfig } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client, type SESv2ClientConfig } from '@aws-sdk/client-sesv2';
import { SFNClient, type SFNClientConfig } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from './config.ts';

/**
 * SDK clients, made once per process from the configuration and handed to adapters. Tests and
 * local mode swap them with `setClients`, or give the settings they are made with
 * (`setClientSettings`); on AWS there are none.
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

/**
 * What each client is made with beyond its region: where it sends requests, the credentials, and
 * whatever else the service at the other end needs. Empty on AWS. Plain data (no functions), so
 * that a worker thread can be handed the same settings (functions/services/drift-shards.ts).
 */
export interface ClientSettings {
  dynamo?: DynamoDBClientConfig;
  s3?: S3ClientConfig;
  sfn?: SFNClientConfig;
  ses?: SESv2ClientConfig;
  cloudwatch?: CloudWatchClientConfig;
}

const cache: Partial<Clients> = {};
let settings: ClientSettings = {};

/** Replace the settings clients are made with; the clients made so far are dropped. */
export const setClientSettings = (next: ClientSettings): void => {
  settings = next;
  resetClients();
};

export const clientSettings = (): ClientSettings => settings;

export const dynamo = (): DynamoDBClient => {
  cache.dynamo ??= new DynamoDBClient({ region: config().region, maxAttempts: 4, ...settings.dynamo });
  return cache.dynamo;
};

export const doc = (): DynamoDBDocumentClient => {
  cache.doc ??= DynamoDBDocumentClient.from(dynamo(), {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
  return cache.doc;
};

/**
 * A client made once, or the one `setClients` put in its place: for the clients made outside this
 * module (S3, `#commons/s3`, whose SDK only the functions that use it import).
 */
export const cachedClient = <K extends keyof Clients>(key: K, make: () => Clients[K]): Clients[K] => {
  const client = cache[key] ?? make();
  cache[key] = client;
  return client;
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
  cache.sfn ??= new SFNClient({ region: config().region, ...settings.sfn });
  return cache.sfn;
};

export const ses = (): SESv2Client => {
  cache.ses ??= new SESv2Client({ region: config().region, ...settings.ses });
  return cache.ses;
};

export const kms = (): KMSClient => {
  cache.kms ??= new KMSClient({ region: config().region });
  return cache.kms;
};

export const cloudwatch = (): CloudWatchClient => {
  cache.cloudwatch ??= new CloudWatchClient({ region: config().region, ...settings.cloudwatch });
  return cache.cloudwatch;
};

/** Local mode's fault injection: called before a task token is sealed; may throw. */
let sealProbe: (() => void) | undefined;
export const setSealProbe = (probe: (() => void) | undefined): void => {
  sealProbe = probe;
};
export const probeSeal = (): void => sealProbe?.();

/** Replace some clients (tests: a throttling DynamoDB client; local mode: DynamoDB in-process). */
export const setClients = (clients: Partial<Clients>): void => {
  Object.assign(cache, clients);
  if (clients.dynamo && !clients.doc) cache.doc = undefined;
};

export const resetClients = (): void => {
  for (const key of Object.keys(cache) as (keyof Clients)[]) delete cache[key];
};
