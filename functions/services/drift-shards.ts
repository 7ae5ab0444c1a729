import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  type DatasetFormat,
  DatasetFormatError,
  type ListedObject,
  readRecords,
} from '#adapters/dataset-reader';
import { type ClientSettings, clientSettings, setClientSettings } from '#commons/clients';
import { mergePredictionLogs, PredictionLog, type PredictionLogSummary } from '#domain/drift/ground-truth';
import type { BaselineProfile } from '#domain/drift/profile';
import { KS_EXACT_MAX } from '#domain/drift/values-summary';
import { mergeWindowSummaries, WindowAccumulator, type WindowSummary } from '#domain/drift/window';

/**
 * A drift window summarised in shards: a shard is a run of consecutive capture objects (in read
 * order), summarised into a mergeable `ShardSummary`; shards merged in order give exactly what
 * one pass over the window gives (functions/domain/drift/window.ts). The same shard task runs in
 * a worker thread (`summariseWithWorkers`: a run spreads its objects over the function's vCPUs)
 * and in a Distributed Map child (functions/scheduled/drift.ts `summariseBatch`).
 */
export interface ShardTask {
  /** the monitor's capture URI (checked like it; the objects are read, not it) */
  uri: string;
  baseline: BaselineProfile;
  format: DatasetFormat;
  /** the window, ISO 8601 */
  from: string;
  to: string;
  objects: ListedObject[];
  /** keep the predictions for a ground-truth join */
  predictions: boolean;
}

export interface ShardStats {
  objects: number;
  bytes: number;
  lines: number;
  records: number;
  outsideWindow: number;
  untimed: number;
}

export interface ShardSummary {
  window: WindowSummary;
  predictions?: PredictionLogSummary;
  stats: ShardStats;
}

export const summariseShard = async (task: ShardTask): Promise<ShardSummary> => {
  const { baseline } = task;
  const features = baseline.features.map((f) => f.name);
  const predictionName = baseline.prediction?.name;
  const accumulator = new WindowAccumulator(baseline);
  const log = task.predictions ? new PredictionLog() : undefined;
  const reader = readRecords(task.uri, {
    format: task.format,
    features,
    ...(predictionName ? { prediction: predictionName } : {}),
    from: new Date(task.from),
    to: new Date(task.to),
    objects: task.objects,
    uriPath: 'capture.uri',
  });
  for await (const batch of reader.batches())
    for (const record of batch) {
      const row: Record<string, unknown> = record.features;
      if (predictionName !== undefined && record.prediction !== undefined)
        row[predictionName] = record.prediction;
      accumulator.addRecord(row);
      log?.addRecord(record);
    }
  const { objects, bytes, lines, records, outsideWindow, untimed } = reader.stats;
  return {
    window: accumulator.finish(),
    ...(log ? { predictions: log.finish() } : {}),
    stats: { objects, bytes, lines, records, outsideWindow, untimed },
  };
};

const addStats = (a: ShardStats, b: ShardStats): ShardStats => ({
  objects: a.objects + b.objects,
  bytes: a.bytes + b.bytes,
  lines: a.lines + b.lines,
  records: a.records + b.records,
  outsideWindow: a.outsideWindow + b.outsideWindow,
  untimed: a.untimed + b.untimed,
});

/** Two consecutive shards (`a` read first) as one. */
export const mergeShards = (a: ShardSummary, b: ShardSummary, baseline: BaselineProfile): ShardSummary => {
  const merged: ShardSummary = {
    window: mergeWindowSummaries(a.window, b.window, { exactMax: baseline.ksExactMax ?? KS_EXACT_MAX }),
    stats: addStats(a.stats, b.stats),
  };
  if (a.predictions && b.predictions) merged.predictions = mergePredictionLogs(a.predictions, b.predictions);
  return merged;
};

/**
 * Consecutive runs of objects, at most `parts`, of about equal bytes (each run closes once it
 * holds its share of what is left), none empty.
 */
export const splitObjects = (objects: readonly ListedObject[], parts: number): ListedObject[][] => {
  const runs: ListedObject[][] = [];
  let left = objects.reduce((total, o) => total + o.size, 0);
  let current: ListedObject[] = [];
  let bytes = 0;
  for (let i = 0; i < objects.length; i++) {
    const object = objects[i]!;
    current.push(object);
    bytes += object.size;
    const runsLeft = parts - runs.length;
    const objectsLeft = objects.length - i - 1;
    if (runsLeft > 1 && (bytes >= left / runsLeft || objectsLeft < runsLeft)) {
      runs.push(current);
      left -= bytes;
      current = [];
      bytes = 0;
    }
  }
  if (current.length > 0) runs.push(current);
  return runs;
};

/** Worker threads a drift run uses: `DRIFT_WORKERS`, else one per vCPU the function has. */
export const driftWorkers = (): number => {
  const configured = Number(process.env.DRIFT_WORKERS);
  return Number.isInteger(configured) && configured > 0 ? configured : availableParallelism();
};

const WORKER_ROLE = 'steward-drift-shard';
const WORKER_YOUNG_MB = 12;

interface WorkerError {
  name: string;
  message: string;
  object?: string;
  line?: number;
}

const revive = (error: WorkerError): Error => {
  if (error.object !== undefined && error.line !== undefined) {
    const prefix = `${error.object} line ${error.line}: `;
    const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    return new DatasetFormatError(error.object, error.line, message);
  }
  const revived = new Error(error.message);
  revived.name = error.name;
  return revived;
};

/**
 * This module, run as a worker. Bundled (Lambda, the bench), `import.meta.url` is the bundle,
 * which holds this module; from TypeScript sources (local mode, tests) the worker registers tsx
 * first.
 */
const startWorker = (task: ShardTask): Worker => {
  const self = import.meta.url;
  // A smaller young generation than the main thread's default (16 MB semi-spaces): a shard's
  // garbage is short-lived strings, and every worker's committed heap counts in the function's memory.
  const young = Number(process.env.DRIFT_WORKER_YOUNG_MB ?? WORKER_YOUNG_MB);
  const options = {
    // The worker makes its own S3 client, with the settings this thread's was made with.
    workerData: { role: WORKER_ROLE, task, clients: clientSettings() },
    ...(young > 0 ? { resourceLimits: { maxYoungGenerationSizeMb: young } } : {}),
  };
  if (!self.endsWith('.ts')) return new Worker(new URL(self), options);
  // From the sources, the repository's own tsx (a devDependency) compiles them in the worker.
  const tsx = new URL('../../node_modules/tsx/dist/esm/api/index.mjs', self).href;
  const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(self)}); })`;
  return new Worker(code, { ...options, eval: true });
};

const inWorker = (task: ShardTask): Promise<ShardSummary> =>
  new Promise((resolve, reject) => {
    const worker = startWorker(task);
    let settled = false;
    worker.once('message', (message: { summary?: ShardSummary; error?: WorkerError }) => {
      settled = true;
      if (message.summary) resolve(message.summary);
      else reject(revive(message.error ?? { name: 'Error', message: 'the drift worker failed' }));
      void worker.terminate();
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the drift worker exited with code ${code} before answering`));
    });
  });

/**
 * Summarises a window's objects on `workers` threads, each a run of consecutive objects, and
 * merges the runs in order. This thread is one of them (it summarises the first run while the
 * worker threads do the others): one isolate less in memory, and nothing idle.
 */
export const summariseWithWorkers = async (
  task: ShardTask,
  workers: number,
): Promise<ShardSummary & { workers: number }> => {
  const runs = splitObjects(task.objects, Math.max(1, workers));
  if (runs.length <= 1) return { ...(await summariseShard(task)), workers: 1 };
  const [first, ...rest] = runs;
  const others = rest.map((objects) => inWorker({ ...task, objects }));
  // Every promise observed at once: a failing worker is not an unhandled rejection meanwhile.
  const summaries = await Promise.all([summariseShard({ ...task, objects: first! }), ...others]);
  return { ...summaries.reduce((a, b) => mergeShards(a, b, task.baseline)), workers: runs.length };
};

/** The array buffers a summary holds: handed over to the parent thread rather than copied. */
const buffersOf = (value: unknown, out: Set<ArrayBuffer> = new Set()): ArrayBuffer[] => {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && value.byteLength === value.buffer.byteLength)
      out.add(value.buffer);
  } else if (Array.isArray(value)) for (const item of value) buffersOf(item, out);
  else if (value !== null && typeof value === 'object')
    for (const item of Object.values(value)) buffersOf(item, out);
  return [...out];
};

if (!isMainThread && (workerData as { role?: string } | null)?.role === WORKER_ROLE) {
  const { task, clients } = workerData as { task: ShardTask; clients: ClientSettings };
  setClientSettings(clients);
  summariseShard(task).then(
    (summary) => parentPort!.postMessage({ summary }, buffersOf(summary)),
    (error: Error & { object?: string; line?: number }) =>
      parentPort!.postMessage({
        error: {
          name: error.name,
          message: error.message,
          ...(error instanceof DatasetFormatError ? { object: error.object, line: error.line } : {}),
        },
      }),
  );
}
