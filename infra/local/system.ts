import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { setClientSettings, setClients, setSealProbe } from '#commons/clients';
import { resetConfig } from '#commons/config';
import { resetCursorKey } from '#commons/cursor';
import { type FunctionEnvironment, RoleRule } from '#commons/facts';
import { s3 as s3Client } from '#commons/s3';
import { LOCAL_DEFAULT_ENVIRONMENTS } from '#domain/environment';
import { LocalCloudWatch } from './cloudwatch.ts';
import { CONSOLE_PREFIX, consoleSite } from './console.ts';
import { docsPage, landingPage } from './docs.ts';
import { ensureTable, type LocalDynamo, startLocalDynamo } from './dynamo.ts';
import { LocalEventBus } from './events.ts';
import { FaultRules, LocalFaults } from './faults.ts';
import { API_FUNCTION_TIMEOUT_MS, createRequestListener } from './http-adapter.ts';
import { InFlight } from './in-flight.ts';
import { inProcessHandler } from './in-process-http.ts';
import { LocalOutbox } from './outbox.ts';
import { outboxView } from './outbox-filter.ts';
import { type LocalS3, S3RVER_CREDENTIALS, startLocalS3 } from './s3.ts';
import { distributedMapResources } from './stepfunctions-distributed.ts';
import { createLocalTargets, type LocalTargets } from './targets.ts';
import { type LocalWorkflows, startLocalWorkflows } from './workflows.ts';

/**
 * Local mode: the whole system in one process. DynamoDB (dynalite behind the transaction layer),
 * S3 (s3rver) and the HTTP adapter, with the handlers configured exactly as the CDK app configures
 * them on AWS, but for endpoint overrides and `STEWARD_MODE=local`.
 */
export const TABLE_NAME = 'steward';
export const ARTIFACTS_BUCKET = 'steward-artifacts';

export interface LocalSystemOptions {
  /** Undefined: everything in memory and temporary files (tests). */
  dataDir?: string;
  port?: number;
  /** The local S3's port; 0 or undefined: any free port. `npm start` uses PORT+1, so URLs survive a restart. */
  s3Port?: number;
  host?: string;
  /** How long simulated SageMaker endpoints and Lambda updates take to settle (default 3000 ms). */
  targetTransitionMs?: number;
  /** Scale of Wait states in the local workflows (default 0.02: a 5-minute bake takes 6 s). */
  waitScale?: number;
  /** How often the local scheduler dispatches due drift monitors (default 60 s; 0: never). */
  driftIntervalMs?: number;
  /** How often the pending-upload expiry sweep runs (default 60 s; 0: never, only on demand). */
  uploadSweepIntervalMs?: number;
  /** Extra environment for the handlers (e.g. a small multipart threshold in tests). */
  env?: Record<string, string>;
  log?: (line: string) => void;
  /**
   * The API functions' simulated timeout (default 25 s, as on AWS). A test of invariants under
   * contention, not of latency, raises it so a loaded machine does not turn slowness into 502s.
   */
  functionTimeoutMs?: number;
}

export interface LocalSystem {
  url: string;
  dataDir: string | undefined;
  dynamo: LocalDynamo;
  s3: LocalS3;
  events: LocalEventBus;
  outbox: LocalOutbox;
  workflows: LocalWorkflows;
  targets: LocalTargets;
  cloudwatch: LocalCloudWatch;
  /** Injected faults (`/local/faults`): DynamoDB throttling and conflicts, S3 5xx, failed seals. */
  faults: LocalFaults;
  /** Run the drift dispatcher now (what the schedule does), and wait for it. */
  dispatchDrift(): Promise<unknown>;
  /** Build the console now rather than on its first request (`npm start` does). */
  prebuildConsole(): Promise<void>;
  /** Run the pending-upload expiry sweep now (what the schedule does), and wait for it. */
  expireUploads(): Promise<unknown>;
  close(): Promise<void>;
}

const RolesFile = z.array(RoleRule);
const LocalFunction = z.strictObject({
  name: z.string().min(1).max(140),
  packageType: z.enum(['Zip', 'Image']).default('Zip'),
});
const LocalFault = z.strictObject({
  target: z.string().min(1),
  failAt: z
    .enum([
      'createModel',
      'createEndpointConfig',
      'createEndpoint',
      'updateEndpoint',
      'createTransformJob',
      'updateFunctionCode',
      'publishVersion',
      'updateAlias',
    ])
    .optional(),
  alarmDuringBake: z.string().min(1).optional(),
  once: z.boolean().optional(),
});
const LocalAlarm = z.strictObject({
  name: z.string().min(1),
  state: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
});

/** A 32-byte key kept under the data dir (mode 600), made on first start; in memory without one. */
const keyFor = async (dataDir: string | undefined, name: string): Promise<string> => {
  if (!dataDir) return randomBytes(32).toString('hex');
  const file = join(dataDir, name);
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing && /^[0-9a-f]{64}$/.test(existing.trim())) return existing.trim();
  const key = randomBytes(32).toString('hex');
  await writeFile(file, key, { mode: 0o600 });
  return key;
};

/** `roles.json` under the data dir replaces the default role map (API.md, local mode). */
const rolesFor = async (dataDir: string | undefined): Promise<string | undefined> => {
  if (!dataDir) return undefined;
  const text = await readFile(join(dataDir, 'roles.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  return JSON.stringify(RolesFile.parse(JSON.parse(text)));
};

export const startLocalSystem = async (options: LocalSystemOptions = {}): Promise<LocalSystem> => {
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => undefined);

  const dynamo = await startLocalDynamo({ ...(dataDir ? { dataDir } : {}), host });
  const s3 = await startLocalS3({
    ...(dataDir ? { dataDir } : {}),
    host,
    port: options.s3Port ?? 0,
    buckets: [ARTIFACTS_BUCKET],
  });
  const events = await LocalEventBus.open(dataDir);
  const unsubscribe = dynamo.onWrite(events.onWrite);
  const outbox = await LocalOutbox.open(dataDir);
  const mail = await outbox.listen(host);
  const targets = createLocalTargets({
    transitionMs: options.targetTransitionMs ?? Number(process.env.STEWARD_LOCAL_TRANSITION_MS ?? 3000),
    ...(dataDir ? { dataDir } : {}),
  });
  const cloudwatch = new LocalCloudWatch();
  const metricsEndpoint = await cloudwatch.listen(host);
  const workflows = await startLocalWorkflows(host, {
    services: { ...targets.resources, ...distributedMapResources(() => s3Client()) },
    waitScale: options.waitScale ?? Number(process.env.STEWARD_LOCAL_WAIT_SCALE ?? 0.02),
    ...(dataDir ? { dataDir } : {}),
    log,
  });

  const roles = await rolesFor(dataDir);
  // The names are the functions' own (FunctionEnvironment): a stray or misspelt one fails the build.
  const stewardEnvironment = {
    STEWARD_MODE: 'local',
    TABLE_NAME,
    ARTIFACTS_BUCKET,
    S3_CHECKSUMS: 'false',
    STEWARD_CURSOR_KEY: await keyFor(dataDir, 'cursor.key'),
    STEWARD_TOKEN_KEY: await keyFor(dataDir, 'token.key'),
    APPROVAL_STATE_MACHINE_ARN: workflows.arns.approval,
    REGISTRATION_STATE_MACHINE_ARN: workflows.arns.registration,
    DEPLOYMENT_STATE_MACHINE_ARN: workflows.arns.deployment,
    DRIFT_STATE_MACHINE_ARN: workflows.arns.drift,
    DRIFT_ALARM_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:steward-local-drift',
    SAGEMAKER_EXECUTION_ROLE_ARN: 'arn:aws:iam::000000000000:role/steward-local-sagemaker-execution',
    DEPLOY_ROLE_ARN: 'arn:aws:iam::000000000000:role/steward-local-deploy',
    LAMBDA_TARGETS: JSON.stringify(['*']),
    DEPLOY_POLL_SECONDS: '2',
    MAIL_FROM: 'steward@localhost',
    STEWARD_ENVIRONMENTS: JSON.stringify(LOCAL_DEFAULT_ENVIRONMENTS),
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  } satisfies FunctionEnvironment;
  Object.assign(process.env, {
    ...stewardEnvironment,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    ...(roles ? { STEWARD_ROLES: roles } : {}),
    ...options.env,
  });
  if (!roles) delete process.env.STEWARD_ROLES;
  resetConfig();
  resetCursorKey();
  // The handlers' clients talk to the emulators: made with these settings, here as on AWS.
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  setClientSettings({
    dynamo: { endpoint: dynamo.endpoint, credentials },
    s3: s3.clientConfig,
    sfn: { endpoint: workflows.endpoint, credentials },
    ses: { endpoint: mail.endpoint, credentials },
    cloudwatch: { endpoint: metricsEndpoint.endpoint, credentials },
  });
  const faults = new LocalFaults(
    process.env.STEWARD_LOCAL_FAULTS
      ? FaultRules.parse(JSON.parse(process.env.STEWARD_LOCAL_FAULTS)).rules
      : [],
  );
  // The handlers' DynamoDB client answers in-process (the same front, without the loopback socket).
  setClients({
    dynamo: new DynamoDBClient({
      region: process.env.AWS_REGION,
      endpoint: dynamo.endpoint,
      maxAttempts: 4,
      credentials,
      requestHandler: inProcessHandler(faults.wrapDynamo(dynamo.invoke)),
    }),
  });
  (await s3Client()).middlewareStack.add(faults.s3Middleware() as never, {
    step: 'deserialize',
    priority: 'low',
    name: 'stewardLocalFaults',
  });
  setSealProbe(() => faults.probeSeal());

  const admin = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials,
  });
  await ensureTable(admin, TABLE_NAME);
  // As the stream would after a crash: the events a kill -9 kept out of events.jsonl.
  const delivered = await events.reconcile(admin, TABLE_NAME);
  // They are in events.jsonl before anything is served, so a reader of the file sees what
  // GET /local/events lists (a failed append is counted and left to the next start, as ever).
  await events.flush();
  if (delivered) log(`delivered ${delivered} domain event(s) of audit items committed before the restart`);
  admin.destroy();

  const site = consoleSite({ s3Endpoint: s3.endpoint });
  const server = createServer(
    createRequestListener({
      log,
      functionTimeoutMs: options.functionTimeoutMs,
      sites: { [CONSOLE_PREFIX]: site.serve },
      localRoutes: {
        'GET /local/info': async () => ({
          status: 200,
          body: {
            s3Endpoint: s3.endpoint,
            artifactsBucket: ARTIFACTS_BUCKET,
            dataDir: dataDir ?? null,
            // s3rver's fixed pair: what MLflow's boto3 (or any S3 client) needs to read the local store.
            s3Credentials: S3RVER_CREDENTIALS,
          },
        }),
        'GET /local/events': async () => ({ status: 200, body: events.events }),
        'GET /local/outbox': async (url) => outboxView(outbox.view(), url.searchParams),
        // A landing page and the rendered API reference, for people.
        'GET /': async () => ({ status: 200, html: landingPage({ s3Endpoint: s3.endpoint, dataDir }) }),
        'GET /docs': async () => ({ status: 200, html: await docsPage() }),
        // The simulated SageMaker, Lambda and CloudWatch the deployment workflow talks to.
        'GET /local/targets': async () => ({ status: 200, body: targets.state() }),
        'GET /local/targets/calls': async () => ({ status: 200, body: targets.calls() }),
        'POST /local/targets/functions': async (_url, body) => {
          const parsed = LocalFunction.safeParse(body);
          if (!parsed.success) return { status: 400, body: { detail: parsed.error.message } };
          return {
            status: 201,
            body: targets.createFunction(parsed.data.name, { packageType: parsed.data.packageType }),
          };
        },
        'POST /local/targets/faults': async (_url, body) => {
          const parsed = LocalFault.safeParse(body);
          if (!parsed.success) return { status: 400, body: { detail: parsed.error.message } };
          return { status: 201, body: targets.injectFault(parsed.data) };
        },
        'DELETE /local/targets/faults': async () => {
          targets.clearFaults();
          return { status: 200, body: { faults: [] } };
        },
        'GET /local/faults': async () => ({ status: 200, body: faults.view() }),
        'POST /local/faults': async (_url, body) => {
          const parsed = FaultRules.safeParse(body);
          if (!parsed.success) return { status: 400, body: { detail: parsed.error.message } };
          faults.set(parsed.data.rules);
          return { status: 200, body: faults.view() };
        },
        'DELETE /local/faults': async () => {
          faults.clear();
          return { status: 200, body: faults.view() };
        },
        'GET /local/alarms': async () => ({ status: 200, body: [...cloudwatch.alarms.values()] }),
        'POST /local/drift/dispatch': async () => ({ status: 200, body: await dispatchDrift() }),
        'POST /local/uploads/expire': async () => ({ status: 200, body: await expireUploads() }),
        'POST /local/targets/alarms': async (_url, body) => {
          const parsed = LocalAlarm.safeParse(body);
          if (!parsed.success) return { status: 400, body: { detail: parsed.error.message } };
          targets.setAlarm(parsed.data.name, parsed.data.state);
          // Local mode is one account: the alarm exists for the API's checks too (GET /local/alarms).
          cloudwatch.alarms.set(parsed.data.name, {
            ...cloudwatch.alarms.get(parsed.data.name),
            AlarmName: parsed.data.name,
            StateValue: parsed.data.state,
            updatedAt: new Date().toISOString(),
          });
          return { status: 200, body: parsed.data };
        },
      },
    }),
  );
  server.keepAliveTimeout = 5_000;
  // Work in flight, which close waits for before it stops what that work talks to.
  let closing = false;
  const requests = new InFlight();
  const background = new InFlight();
  server.on('request', (_req, res: ServerResponse) => {
    void requests.track(new Promise((done) => res.once('close', done)));
  });
  await new Promise<void>((done) => server.listen(options.port ?? 0, host, done));
  const { port } = server.address() as AddressInfo;
  const url = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;
  // Links in approval emails point here: configuration, never the Host header of a request.
  process.env.PUBLIC_BASE_URL = options.env?.PUBLIC_BASE_URL ?? process.env.STEWARD_PUBLIC_URL ?? url;
  resetConfig();

  // Executions the previous process left running end FAILED, as the status-change rule would see.
  const lost = await workflows.reconcileLost();
  if (lost.length) log(`reconciled ${lost.length} workflow execution(s) lost to the restart`);

  // The schedule: EventBridge Scheduler on AWS, a timer here; both start the same state machine.
  const dispatchDrift = () =>
    background.track(
      (async () => {
        const { executionArn } = await workflows.service.startExecution('drift', {});
        return workflows.service.waitForExecution(executionArn);
      })(),
    );
  const driftEvery = options.driftIntervalMs ?? Number(process.env.STEWARD_LOCAL_DRIFT_INTERVAL_MS ?? 60_000);
  const scheduler =
    driftEvery > 0
      ? setInterval(
          () => void dispatchDrift().catch((error: Error) => log(`drift dispatch failed: ${error.message}`)),
          driftEvery,
        )
      : undefined;
  scheduler?.unref();

  // The pending-upload expiry: an EventBridge schedule invokes the same sweep on AWS.
  const expireUploads = () => {
    if (closing) return Promise.reject(new Error('local mode is closed'));
    return background.track(
      (async () =>
        (await import('../../functions/scheduled/upload-expiry.ts')).sweep({
          'detail-type': 'Scheduled Event',
        }))(),
    );
  };
  const sweepEvery =
    options.uploadSweepIntervalMs ?? Number(process.env.STEWARD_LOCAL_UPLOAD_SWEEP_MS ?? 60_000);
  const sweeper =
    sweepEvery > 0
      ? setInterval(
          () => void expireUploads().catch((error: Error) => log(`upload expiry failed: ${error.message}`)),
          sweepEvery,
        )
      : undefined;
  sweeper?.unref();

  return {
    url,
    dataDir,
    dynamo,
    s3,
    events,
    outbox,
    workflows,
    targets,
    cloudwatch,
    faults,
    dispatchDrift,
    prebuildConsole: site.prebuild,
    expireUploads,
    close: async () => {
      if (closing) return;
      // First no new work, then what is in flight finishes while everything it talks to is up:
      // the requests being answered, the workflows' functions and reconciles, the schedules' runs.
      closing = true;
      if (scheduler) clearInterval(scheduler);
      if (sweeper) clearInterval(sweeper);
      const stopped = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      // A request still unanswered past the functions' timeout is cut off.
      await requests.settled(options.functionTimeoutMs ?? API_FUNCTION_TIMEOUT_MS);
      server.closeAllConnections();
      await stopped;
      await workflows.close();
      await background.settled();
      await targets.close();
      await metricsEndpoint.close();
      await mail.close();
      unsubscribe();
      faults.clear();
      setSealProbe(undefined);
      await Promise.all([events.flush(), outbox.flush()]);
      await Promise.all([dynamo.close(), s3.close(), site.close()]);
      setClientSettings({});
    },
  };
};
