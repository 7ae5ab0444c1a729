import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Api, apiAt, artifactBytes, expectStatus, readyModel, registerBody } from './api.ts';
import { heading, marker, ms, note, percentile, print, type TargetResult, table } from './report.ts';

/**
 * Local-mode throughput and latency: `npm start`'s entry in its own process (so the server does
 * not share an event loop with the load), 16 clients each sending one request after another over
 * keep-alive connections, a warm-up, then a fixed number of requests under a time cap.
 */
export const CLIENTS = 16;
export const GET_P99_LIMIT_MS = 25;
const HOST = '127.0.0.1';
const WARMUP_CAP_MS = 10_000;

export interface Phase {
  name: string;
  clients: number;
  warmup: number;
  planned: number;
  completed: number;
  errors: number;
  errorSample: string | undefined;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  cappedByTime: boolean;
  /** CPU of this process (the 16 clients) over the phase, as a share of one core. */
  clientCpu: number;
  /** Answers with the expected status, warm-up included. */
  okIncludingWarmup: number;
  check?: string;
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });

interface Server {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const startServer = async (root: string, base: NodeJS.ProcessEnv): Promise<Server> => {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'steward-bench-'));
  const child = spawn(join(root, 'node_modules/.bin/tsx'), ['infra/local/main.ts'], {
    cwd: root,
    env: { ...base, PORT: String(port), STEWARD_DATA_DIR: dataDir, HOST },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  // Local mode logs a line per request: keep reading, or a full pipe would stall the server.
  child.stdout!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timeout = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), 10_000).unref(),
      );
      if ((await Promise.race([exited, timeout])) === 'timeout') {
        note('the server did not stop within 10 s of SIGTERM; sending SIGKILL');
        child.kill('SIGKILL');
        await exited;
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(
        () => reject(new Error('the server did not report serving within 60 s')),
        60_000,
      );
      const onData = (chunk: string) => {
        seen = (seen + chunk).slice(-4000);
        if (seen.includes('Steward local mode is serving')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the server exited with ${code} before serving: ${stderr.trim()}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `http://${HOST}:${port}`, child, stop };
};

/** One request; resolves with the HTTP status after the body was read (so the connection is free). */
type Request = (client: number, i: number) => Promise<number>;

const send = async (url: string, init: RequestInit): Promise<number> => {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response.status;
};

interface Measured {
  latencies: number[];
  errors: number;
  errorSample: string | undefined;
  seconds: number;
  statuses: Map<number, number>;
}

/** `clients` loops of sequential requests until `total` were sent or the time cap passes. */
const drive = async (
  clients: number,
  total: number,
  capMs: number,
  request: Request,
  expected: number,
): Promise<Measured> => {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let issued = 0;
  let errors = 0;
  let errorSample: string | undefined;
  const started = performance.now();
  const deadline = started + capMs;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (issued < total && performance.now() < deadline) {
        const i = issued++;
        const t0 = performance.now();
        try {
          const status = await request(client, i);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status === expected) latencies.push(performance.now() - t0);
          else {
            errors++;
            errorSample ??= `HTTP ${status}`;
          }
        } catch (error) {
          errors++;
          errorSample ??= (error as Error).message;
        }
      }
    }),
  );
  return {
    latencies: latencies.sort((a, b) => a - b),
    errors,
    errorSample,
    seconds: (performance.now() - started) / 1000,
    statuses,
  };
};

const phase = async (
  name: string,
  plan: { warmup: number; total: number; capMs: number; expected: number },
  request: Request,
): Promise<Phase> => {
  note(`${name}: ${plan.warmup} warm-up, then ${plan.total} requests at ${CLIENTS} clients`);
  const warm = await drive(CLIENTS, plan.warmup, Math.min(plan.capMs, WARMUP_CAP_MS), request, plan.expected);
  const cpu = process.cpuUsage();
  const m = await drive(CLIENTS, plan.total, plan.capMs, request, plan.expected);
  const used = process.cpuUsage(cpu);
  const completed = m.latencies.length + m.errors;
  return {
    name,
    clients: CLIENTS,
    warmup: plan.warmup,
    planned: plan.total,
    completed,
    errors: m.errors,
    errorSample: m.errorSample,
    seconds: m.seconds,
    requestsPerSecond: completed / m.seconds,
    p50Ms: percentile(m.latencies, 50),
    p99Ms: percentile(m.latencies, 99),
    maxMs: m.latencies.at(-1) ?? Number.NaN,
    cappedByTime: completed < plan.total,
    clientCpu: (used.user + used.system) / 1e6 / m.seconds,
    okIncludingWarmup: warm.latencies.length + m.latencies.length,
  };
};

/** A model's `latestVersion` must equal the number of versions registered: numbers 1..n, no gaps. */
const latestVersion = async (api: Api, name: string): Promise<number> =>
  expectStatus(`get model ${name}`, await api.call('GET', `/v1/models/${name}`), 200).body.latestVersion;

const numbering = (latest: number, created: number, what: string): string =>
  `${what} ${latest}, 201 answers ${created} (warm-up included): ${latest === created ? 'no gaps' : 'MISMATCH'}`;

export interface LoadPlan {
  getCount: number;
  ownPostCount: number;
  sharedPostCount: number;
  warmup: number;
  capMs: number;
}

export const measureLoad = async (
  root: string,
  base: NodeJS.ProcessEnv,
  plan: LoadPlan,
): Promise<Phase[]> => {
  note('starting local mode in its own process (tsx infra/local/main.ts)');
  const server = await startServer(root, base);
  try {
    const api = apiAt(server.url);
    const read = 'bench-read';
    await readyModel(api, read);
    const own = Array.from({ length: CLIENTS }, (_, i) => `bench-ci-${String(i).padStart(2, '0')}`);
    const shared = 'bench-shared';
    for (const name of [...own, shared])
      expectStatus(`create ${name}`, await api.call('POST', '/v1/models', { body: { name } }), 201);

    const body = JSON.stringify(registerBody(artifactBytes('load')));
    const post = (name: string) =>
      send(`${server.url}/v1/models/${name}/versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const getUrl = `${server.url}/v1/models/${read}/versions/1`;
    const phases: Phase[] = [];

    phases.push(
      await phase(
        'GET version',
        { warmup: plan.warmup, total: plan.getCount, capMs: plan.capMs, expected: 200 },
        () => send(getUrl, { method: 'GET' }),
      ),
    );

    const ownPhase = await phase(
      'POST version (16 models, one per client)',
      { warmup: CLIENTS * 4, total: plan.ownPostCount, capMs: plan.capMs, expected: 201 },
      (client) => post(own[client]!),
    );
    phases.push(ownPhase);

    const sharedPhase = await phase(
      'POST version (1 model shared by all 16)',
      { warmup: CLIENTS * 2, total: plan.sharedPostCount, capMs: plan.capMs, expected: 201 },
      () => post(shared),
    );
    phases.push(sharedPhase);

    // Version numbers must stay 1..n under parallel writers: latestVersion = successful registrations.
    const ownLatest = (await Promise.all(own.map((name) => latestVersion(api, name)))).reduce(
      (a, b) => a + b,
      0,
    );
    ownPhase.check = numbering(ownLatest, ownPhase.okIncludingWarmup, 'sum of latestVersion');
    const sharedLatest = await latestVersion(api, shared);
    sharedPhase.check = numbering(sharedLatest, sharedPhase.okIncludingWarmup, 'latestVersion');
    return phases;
  } finally {
    note('stopping the local-mode server (SIGTERM)');
    await server.stop();
  }
};

export const loadTargets = (phases: readonly Phase[]): TargetResult[] => {
  const get = phases.find((p) => p.name === 'GET version');
  if (!get) return [];
  return [
    {
      figure: `local GET version p99 at ${CLIENTS} clients`,
      value: ms(get.p99Ms),
      target: `< ${GET_P99_LIMIT_MS} ms`,
      marker: marker(get.p99Ms < GET_P99_LIMIT_MS),
    },
  ];
};

export const printLoad = (phases: readonly Phase[], plan: LoadPlan, otherLoad: string): void => {
  print(heading(`Local mode: throughput and latency at ${CLIENTS} concurrent clients`));
  print('  Server: `tsx infra/local/main.ts` in its own process (state in a fresh temp dir, per-request log');
  print(
    '  lines on its stdout, read and dropped). Clients: this process, fetch with keep-alive, each client',
  );
  print(`  sends its next request when the last one answered; warm-up first, then a fixed count, at most`);
  print(
    `  ${plan.capMs / 1000} s per phase. Latency percentiles over successful requests, nearest rank. "client CPU" is`,
  );
  print("  the load generator's CPU (share of one core): far below 100% means the server set the pace.");
  print(`  During this section ${otherLoad}.`);
  print();
  print(
    table(
      [
        { title: 'phase' },
        { title: 'warm-up', align: 'right' },
        { title: 'requests', align: 'right' },
        { title: 'errors', align: 'right' },
        { title: 'seconds', align: 'right' },
        { title: 'req/s', align: 'right' },
        { title: 'p50', align: 'right' },
        { title: 'p99', align: 'right' },
        { title: 'max', align: 'right' },
        { title: 'target', align: 'right' },
        { title: '' },
        { title: 'client CPU', align: 'right' },
      ],
      phases.map((p) => {
        const isGet = p.name === 'GET version';
        return [
          p.name,
          String(p.warmup),
          `${p.completed}${p.cappedByTime ? ` of ${p.planned} (time cap)` : ''}`,
          String(p.errors),
          p.seconds.toFixed(1),
          p.requestsPerSecond.toFixed(0),
          ms(p.p50Ms),
          ms(p.p99Ms),
          ms(p.maxMs),
          isGet ? `p99 < ${GET_P99_LIMIT_MS} ms` : '-',
          isGet ? marker(p.p99Ms < GET_P99_LIMIT_MS) : '',
          `${(p.clientCpu * 100).toFixed(0)}%`,
        ];
      }),
    ),
  );
  for (const p of phases) {
    if (p.errorSample) print(`\n  ! ${p.name}: ${p.errors} error(s), first: ${p.errorSample}`);
    if (p.check) print(`  ${p.name}: ${p.check}`);
  }
};
