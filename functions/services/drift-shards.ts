import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  type DatasetFormat,
  DatasetFormatError,
  type ListedObject,
  listedBytes,
  type ReadStats,
  readRecords,
  splitIntoParts,
} from '#adapters/dataset-reader';
import { type ClientSettings, clientSettings, setClientSettings } from '#commons/clients';
import { config } from '#commons/config';
import { mergePredictionLogs, PredictionLog, type PredictionLogSummary } from '#domain/drift/ground-truth';
import type { BaselineProfile, FeatureProfile } from '#domain/drift/profile';
import { type FeatureFigures, featureFigures, type ReportFigures } from '#domain/drift/report';
import { KS_EXACT_MAX } from '#domain/drift/values-summary';
import {
  type FeatureWindowSummary,
  mergeFeature,
  mergeWindowSummaries,
  WindowAccumulator,
  type WindowSummary,
} from '#domain/drift/window';

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

/** What a shard read: the reader's figures but its listings (the main thread lists, once). */
export type ShardStats = Omit<ReadStats, 'listings'>;

export interface ShardSummary {
  window: WindowSummary;
  predictions?: PredictionLogSummary;
  stats: ShardStats;
}

/**
 * Summarises a shard's objects: `task.objects`, or `read`, an iterable taken one object at a
 * time as the read reaches it (a run of `SharedRanges`, whose end may move while it reads).
 */
export const summariseShard = async (
  task: ShardTask,
  read: Iterable<ListedObject> = task.objects,
): Promise<ShardSummary> => {
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
    objects: read,
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
  let left = objects.reduce((total, o) => total + listedBytes(o), 0);
  let current: ListedObject[] = [];
  let bytes = 0;
  for (let i = 0; i < objects.length; i++) {
    const object = objects[i]!;
    current.push(object);
    bytes += listedBytes(object);
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

/**
 * The window's objects shared by the threads of a run, as one range of object indices per thread
 * in a SharedArrayBuffer every thread sees. A thread reads its range from the front (`claim`, one
 * object at a time, as the reader reaches it); a thread whose range is done takes the back part of
 * the range with the most bytes left (`steal`), about half of it, and reads that as a new run. So
 * no thread waits for the others at the end, whether a worker started late, reads slower (a
 * slower core, a slower S3 object) or got smaller objects, and every run stays consecutive, so
 * the runs' summaries still merge in read order. Each range is one 64-bit word (its next index in
 * the low 32 bits, its end in the high 32), changed only by compare-and-swap, so an object is
 * claimed by exactly one thread.
 */
export class SharedRanges {
  private readonly words: BigInt64Array;
  /** starts[i]: the bytes of the objects before object i (starts[n]: all of them) */
  private readonly starts: Float64Array;

  /** `buffer`: `SharedRanges.share`'s, in any thread; `sizes`: the objects' sizes, in order */
  constructor(
    readonly buffer: SharedArrayBuffer,
    sizes: readonly number[],
  ) {
    this.words = new BigInt64Array(buffer);
    this.starts = new Float64Array(sizes.length + 1);
    for (let i = 0; i < sizes.length; i++) this.starts[i + 1] = this.starts[i]! + sizes[i]!;
  }

  /** The ranges of `runs` threads, the i-th thread's first range the i-th of `runs` (consecutive runs of the objects, in order). */
  static share(
    objects: readonly ListedObject[],
    runs: readonly (readonly ListedObject[])[],
    threads: number,
  ): SharedRanges {
    const ranges = new SharedRanges(
      new SharedArrayBuffer(8 * Math.max(1, threads)),
      objects.map(listedBytes),
    );
    let first = 0;
    runs.forEach((run, thread) => {
      if (thread < threads) Atomics.store(ranges.words, thread, pack(first, first + run.length));
      first += run.length;
    });
    return ranges;
  }

  /** The next object of `thread`'s range, now this thread's alone; undefined when the range is done. */
  claim(thread: number): number | undefined {
    for (;;) {
      const word = Atomics.load(this.words, thread);
      const [next, end] = unpack(word);
      if (next >= end) return undefined;
      if (Atomics.compareExchange(this.words, thread, word, pack(next + 1, end)) === word) return next;
    }
  }

  /**
   * Makes `thread`'s (done) range the back part of the range with the most bytes left: the
   * objects after the one its reader is on, split so that the thief takes about half of their
   * bytes (one object at least). False when no range has an object left.
   */
  steal(thread: number): boolean {
    for (;;) {
      let victim = -1;
      let most = 0;
      for (let t = 0; t < this.words.length; t++) {
        if (t === thread) continue;
        const [next, end] = unpack(Atomics.load(this.words, t));
        const bytes = next < end ? this.starts[end]! - this.starts[next]! + 1 : 0;
        if (bytes > most) {
          most = bytes;
          victim = t;
        }
      }
      if (victim < 0) return false;
      const word = Atomics.load(this.words, victim);
      const [next, end] = unpack(word);
      if (next >= end) continue;
      // The back part whose bytes come closest to half of what is left (the thief taking more on
      // a tie: the victim is still on an object), one object at least.
      const last = this.starts[end]!;
      const half = (last - this.starts[next]!) / 2;
      let from = end - 1;
      while (
        from > next &&
        Math.abs(last - this.starts[from - 1]! - half) <= Math.abs(last - this.starts[from]! - half)
      )
        from--;
      if (Atomics.compareExchange(this.words, victim, word, pack(next, from)) !== word) continue;
      Atomics.store(this.words, thread, pack(from, end));
      return true;
    }
  }
}

const pack = (next: number, end: number): bigint => (BigInt(end) << 32n) | BigInt(next);
const unpack = (word: bigint): [next: number, end: number] => [
  Number(word & 0xffffffffn),
  Number(word >> 32n),
];

/** A consecutive run of the window's objects and its summary: `first` the index of its first object. */
export interface Piece {
  first: number;
  objects: number;
  bytes: number;
  summary: ShardSummary;
}

/**
 * What one thread of a run reads: its range of `ranges`, then what it steals, run by run, each
 * run summarised on its own (a new run is not consecutive with the last).
 */
export const summariseRanges = async (
  task: ShardTask,
  ranges: SharedRanges,
  thread: number,
): Promise<Piece[]> => {
  const pieces: Piece[] = [];
  do {
    let first: number | undefined;
    let objects = 0;
    let bytes = 0;
    const run = {
      *[Symbol.iterator](): Iterator<ListedObject> {
        for (let i = ranges.claim(thread); i !== undefined; i = ranges.claim(thread)) {
          first ??= i;
          objects++;
          const object = task.objects[i]!;
          bytes += listedBytes(object);
          yield object;
        }
      },
    };
    const summary = await summariseShard(task, run);
    if (first !== undefined) pieces.push({ first, objects, bytes, summary });
  } while (ranges.steal(thread));
  return pieces;
};

/** Worker threads a drift run uses: `DRIFT_WORKERS`, else one per vCPU the function has. */
export const driftWorkers = (): number => config().driftWorkers ?? availableParallelism();

const WORKER_ROLE = 'steward-drift-shard';

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

/** Now, in milliseconds since the epoch, comparable across threads (each has its own `performance.now()` origin). */
const clock = (): number => performance.timeOrigin + performance.now();

/**
 * The CPU seconds (user + system) the calling thread has used, where Linux tells
 * (`/proc/thread-self/stat`, in clock ticks of 1/100 s); undefined elsewhere. Unlike wall time,
 * a thread's CPU time per MiB barely moves when other work shares the machine, so the bench can
 * say what a thread costs even on a busy machine.
 */
export const threadCpuSeconds = (): number | undefined => {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / 100 : undefined;
  } catch {
    return undefined;
  }
};

const cpuSince = (start: number | undefined): number | undefined => {
  const now = threadCpuSeconds();
  return start === undefined || now === undefined ? undefined : now - start;
};

const cpuField = (cpu: number | undefined): { cpu?: number } => (cpu === undefined ? {} : { cpu });

/**
 * When a shard's phases ended (`clock()` times): a run's performance, for the bench's phase
 * breakdown. `spawned`: the worker asked for (main thread: the shard's start); `loaded`: its
 * module loaded; `ready`: its task in hand, reading begins; `summarised`: its summary made;
 * `received`: the summary in the main thread.
 */
export interface ShardTiming {
  thread: 'main' | 'worker';
  /** objects, or parts of objects, the thread read */
  objects: number;
  bytes: number;
  spawned: number;
  loaded: number;
  ready: number;
  summarised: number;
  received: number;
  /** CPU seconds the thread used from `ready` to `summarised` (Linux only) */
  cpu?: number;
}

export interface ShardsTiming {
  shards: ShardTiming[];
  /** the shards' summaries merged */
  merged: number;
}

interface WorkerAnswer {
  /** the worker's first message: its module is loaded, it waits for a task */
  started?: true;
  /** the runs it read, each summarised (none when the others read everything first) */
  pieces?: Piece[];
  finished?: FinishedPart[];
  error?: WorkerError;
  loaded?: number;
  ready?: number;
  summarised?: number;
  cpu?: number;
}

/**
 * This module, run as a worker. Bundled (Lambda, the bench), `import.meta.url` is the bundle,
 * which holds this module; from TypeScript sources (local mode, tests) the worker registers tsx
 * first.
 */
const spawnWorker = (): Worker => {
  const self = import.meta.url;
  // The young generation V8 gives the calling thread, unless DRIFT_WORKER_YOUNG_MB says otherwise
  // (functions/commons/facts.ts): a shard makes short-lived strings at every line, and a smaller
  // young generation collects them more often, at a cost in CPU.
  const young = config().driftWorkerYoungMb;
  const options = {
    workerData: { role: WORKER_ROLE },
    ...(young > 0 ? { resourceLimits: { maxYoungGenerationSizeMb: young } } : {}),
  };
  if (!self.endsWith('.ts')) return new Worker(new URL(self), options);
  // From the sources, the repository's own tsx (a devDependency) compiles them in the worker.
  const tsx = new URL('../../node_modules/tsx/dist/esm/api/index.mjs', self).href;
  const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(self)}); })`;
  return new Worker(code, { ...options, eval: true });
};

/** A started worker thread: it takes one shard task, then may help merge (`FinishRequest`). */
interface ShardWorker {
  worker: Worker;
  spawned: number;
  /** settled when the worker has loaded its module and waits for a task (rejected if it failed first) */
  started: Promise<void>;
  /** its next message (rejected when it fails or exits) */
  next(): Promise<WorkerAnswer>;
}

const startShardWorker = (): ShardWorker => {
  const spawned = clock();
  const worker = spawnWorker();
  const inbox: WorkerAnswer[] = [];
  const waiting: { resolve: (message: WorkerAnswer) => void; reject: (error: Error) => void }[] = [];
  // Kept, not thrown: a worker that fails before anyone waits on it is no unhandled rejection.
  let failure: Error | undefined;
  let markStarted: () => void = () => undefined;
  let failStart: (error: Error) => void = () => undefined;
  const started = new Promise<void>((resolve, reject) => {
    markStarted = resolve;
    failStart = reject;
  });
  // Observed here too: a worker that fails before anyone waits for its start is no unhandled rejection.
  started.catch(() => undefined);
  const fail = (error: Error) => {
    failure ??= error;
    failStart(failure);
    for (const waiter of waiting.splice(0)) waiter.reject(failure);
  };
  worker.on('message', (message: WorkerAnswer) => {
    if (message.started) {
      markStarted();
      return;
    }
    const waiter = waiting.shift();
    if (waiter) waiter.resolve(message);
    else inbox.push(message);
  });
  worker.once('error', fail);
  worker.once('exit', (code) =>
    fail(new Error(`the drift worker exited with code ${code} before answering`)),
  );
  const next = (): Promise<WorkerAnswer> => {
    const message = inbox.shift();
    if (message) return Promise.resolve(message);
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
  return { worker, spawned, started, next };
};

/**
 * Worker threads started ahead of their tasks: a run starts them first, so that they load their
 * module (the whole function bundle: tenths of a second) while the run reads its baseline and
 * lists its objects, and every thread starts reading the capture at the same time. Each worker
 * takes one task; `close()` ends the ones never used (always call it).
 */
export class ShardWorkers {
  private readonly idle: ShardWorker[];

  constructor(count: number) {
    this.idle = Array.from({ length: Math.max(0, count) }, startShardWorker);
  }

  /** A started worker (a new one when none is left). */
  take(): ShardWorker {
    return this.idle.shift() ?? startShardWorker();
  }

  async close(): Promise<void> {
    const unused = this.idle.splice(0);
    await Promise.all(unused.map(({ worker }) => worker.terminate()));
  }
}

/** Worker threads for a run with `workers` threads in all (this one included): start them first. */
export const startShardWorkers = (workers: number): ShardWorkers => new ShardWorkers(workers - 1);

/**
 * What a shard reads of a baseline profile: bin edges, bounds and categories. The numeric
 * features' reference values (`distribution`, megabytes of base64 for a large reference) are
 * for the report only, and are not copied to the worker threads.
 */
const shardBaseline = (baseline: BaselineProfile): BaselineProfile => {
  const slim = (feature: FeatureProfile): FeatureProfile => {
    if (feature.kind !== 'numeric') return feature;
    const { distribution: _values, sample: _sample, ...rest } = feature;
    return { ...rest, distribution: { kind: 'exact', count: 0, values: '' } };
  };
  return {
    ...baseline,
    features: baseline.features.map(slim),
    ...(baseline.prediction ? { prediction: slim(baseline.prediction) } : {}),
  };
};

/** What a worker is sent: the whole window (it reads the ranges `thread` claims or steals). */
interface WorkerTask {
  task: ShardTask;
  ranges: SharedArrayBuffer;
  thread: number;
  clients: ClientSettings;
}

const inWorker = async (
  shardWorker: ShardWorker,
  task: ShardTask,
  ranges: SharedRanges,
  thread: number,
  timing: ShardTiming,
): Promise<Piece[]> => {
  timing.spawned = shardWorker.spawned;
  // The worker makes its own S3 client, with the settings this thread's was made with.
  shardWorker.worker.postMessage({
    task: { ...task, baseline: shardBaseline(task.baseline) },
    ranges: ranges.buffer,
    thread,
    clients: clientSettings(),
  } satisfies WorkerTask);
  const message = await shardWorker.next();
  timing.received = clock();
  timing.loaded = message.loaded ?? timing.loaded;
  timing.ready = message.ready ?? timing.ready;
  timing.summarised = message.summarised ?? timing.summarised;
  if (message.cpu !== undefined) timing.cpu = message.cpu;
  if (message.pieces) return message.pieces;
  throw revive(message.error ?? { name: 'Error', message: 'the drift worker failed' });
};

/** One feature to merge: its shards' summaries, in read order. */
interface FinishPart {
  index: number;
  parts: FeatureWindowSummary[];
}

interface FinishedPart {
  index: number;
  merged: FeatureWindowSummary;
}

/** What a worker is asked once the shards are in: merge these features, answering each as it is merged. */
interface FinishRequest {
  parts: FinishPart[];
  exactMax: number;
}

const mergePart = ({ index, parts }: FinishPart, exactMax: number): FinishedPart => ({
  index,
  merged: parts.reduce((a, b) => mergeFeature(a, b, { exactMax })),
});

export interface ShardsOptions {
  /** worker threads started ahead (`startShardWorkers`); else started here */
  pool?: ShardWorkers;
  /** also compute the report's figures of every feature (`driftReport`'s `computed`) */
  figures?: boolean;
  /** with more than one thread, objects larger than this are read in parts of at most this many bytes (`DRIFT_PART_BYTES`) */
  partBytes?: number;
}

export type WorkersSummary = ShardSummary & {
  workers: number;
  timing: ShardsTiming;
  figures?: ReportFigures;
};

/**
 * Summarises a window's objects on `workers` threads and merges what they read in order. This
 * thread is one of them: one isolate less in memory, and nothing idle. Each thread starts on a
 * consecutive run of about equal bytes (`splitObjects`); this thread starts at once, each worker
 * once it has loaded. A thread whose run is done takes over the back half of the largest run
 * left (`SharedRanges`), so the threads end together whatever their start-up and speed. Where
 * the runs split then depends on timing; the merged summary does not (exactly, up to `exactMax`
 * values; within the sketch's bound past it, as for any split). The merge is shared too: each
 * feature's summaries merge on their own, exactly as `mergeWindowSummaries` merges them, so the
 * worker threads merge the features between them while this thread computes the report's
 * figures of each as it comes (with `figures`; else it merges some too); the summaries' buffers
 * move between threads, not copied.
 */
export const summariseWithWorkers = async (
  whole: ShardTask,
  workers: number,
  options: ShardsOptions = {},
): Promise<WorkersSummary> => {
  // Threads share large objects by parts (line formats): a thread left without work can then
  // take half of what another has left down to a part, not only down to an object.
  const task =
    workers > 1 && whole.format !== 'csv'
      ? { ...whole, objects: splitIntoParts(whole.objects, options.partBytes ?? config().driftPartBytes) }
      : whole;
  const runs = splitObjects(task.objects, Math.max(1, workers));
  const { baseline } = task;
  const timingOf = (thread: ShardTiming['thread']): ShardTiming => {
    const now = clock();
    return {
      thread,
      objects: 0,
      bytes: 0,
      spawned: now,
      loaded: now,
      ready: now,
      summarised: now,
      received: now,
    };
  };
  const figuresOf = (window: WindowSummary): ReportFigures | undefined => {
    if (!options.figures) return undefined;
    const features = baseline.features.map((profile, i) => featureFigures(profile, window.features[i]!));
    return baseline.prediction && window.prediction
      ? { features, prediction: featureFigures(baseline.prediction, window.prediction) }
      : { features };
  };
  if (runs.length <= 1) {
    const timing = timingOf('main');
    const cpu = threadCpuSeconds();
    const summary = await summariseShard(task);
    timing.summarised = timing.received = clock();
    const used = cpuSince(cpu);
    if (used !== undefined) timing.cpu = used;
    timing.objects = task.objects.length;
    timing.bytes = task.objects.reduce((total, o) => total + listedBytes(o), 0);
    const figures = figuresOf(summary.window);
    return {
      ...summary,
      workers: 1,
      timing: { shards: [timing], merged: clock() },
      ...(figures ? { figures } : {}),
    };
  }
  const pool = options.pool ?? new ShardWorkers(0);
  const helpers = runs.slice(1).map(() => pool.take());
  const ranges = SharedRanges.share(task.objects, runs, runs.length);
  const mainTiming = timingOf('main');
  const workerTimings = helpers.map(() => timingOf('worker'));
  try {
    const mine = (async () => {
      const cpu = threadCpuSeconds();
      const pieces = await summariseRanges(task, ranges, 0);
      mainTiming.summarised = mainTiming.received = clock();
      const used = cpuSince(cpu);
      if (used !== undefined) mainTiming.cpu = used;
      return pieces;
    })();
    const theirs = helpers.map((helper, i) => inWorker(helper, task, ranges, i + 1, workerTimings[i]!));
    // Every promise observed at once: a failing worker is not an unhandled rejection meanwhile.
    const read = await Promise.all([mine, ...theirs]);
    const timings = [mainTiming, ...workerTimings];
    read.forEach((pieces, thread) => {
      const timing = timings[thread]!;
      timing.objects = pieces.reduce((total, p) => total + p.objects, 0);
      timing.bytes = pieces.reduce((total, p) => total + p.bytes, 0);
    });
    const summaries = read
      .flat()
      .sort((a, b) => a.first - b.first)
      .map((p) => p.summary);

    // Each feature's summaries merge on their own. The helpers merge them, features dealt
    // round-robin (the prediction last), and answer each as it is merged; with `figures`, this
    // thread computes the figures of each as it comes (the figures' code then warms up in one
    // isolate, and the reference profiles stay here), else it merges a share too.
    const hasPrediction = summaries.every((s) => s.window.prediction !== undefined);
    const count = baseline.features.length + (baseline.prediction && hasPrediction ? 1 : 0);
    const figures = options.figures === true;
    const mergers = figures ? helpers.length : helpers.length + 1;
    const shares: FinishPart[][] = Array.from({ length: mergers }, () => []);
    for (let index = 0; index < count; index++) {
      const parts = summaries.map((s) =>
        index < baseline.features.length ? s.window.features[index]! : s.window.prediction!,
      );
      shares[index % mergers]!.push({ index, parts });
    }
    const exactMax = baseline.ksExactMax ?? KS_EXACT_MAX;
    const profileOf = (index: number) =>
      index < baseline.features.length ? baseline.features[index]! : baseline.prediction!;
    const finished: (FinishedPart & { figures?: FeatureFigures })[] = [];
    const take = (part: FinishedPart) =>
      finished.push(
        figures ? { ...part, figures: featureFigures(profileOf(part.index), part.merged) } : part,
      );
    const helped = helpers.map(async (helper, h) => {
      const parts = shares[figures ? h : h + 1] ?? [];
      if (parts.length === 0) return;
      const request: FinishRequest = { parts, exactMax };
      helper.worker.postMessage({ finish: request }, buffersOf(parts.map((p) => p.parts)));
      for (let answered = 0; answered < parts.length; ) {
        const message = await helper.next();
        if (!message.finished)
          throw revive(message.error ?? { name: 'Error', message: 'the drift worker failed' });
        for (const part of message.finished) take(part);
        answered += message.finished.length;
      }
    });
    if (!figures) for (const part of shares[0]!) take(mergePart(part, exactMax));
    await Promise.all(helped);
    finished.sort((a, b) => a.index - b.index);

    const features = finished.slice(0, baseline.features.length);
    const prediction = finished[baseline.features.length];
    const window: WindowSummary = {
      rows: summaries.reduce((total, s) => total + s.window.rows, 0),
      features: features.map((f) => f.merged),
      ...(prediction ? { prediction: prediction.merged } : {}),
    };
    const merged: ShardSummary = {
      window,
      stats: summaries.map((s) => s.stats).reduce(addStats),
    };
    if (summaries.every((s) => s.predictions))
      merged.predictions = summaries.map((s) => s.predictions!).reduce(mergePredictionLogs);
    const reportFigures: ReportFigures | undefined = figures
      ? {
          features: features.map((f) => f.figures!),
          ...(prediction?.figures ? { prediction: prediction.figures } : {}),
        }
      : undefined;
    return {
      ...merged,
      // the threads that read at least one object
      workers: read.filter((pieces) => pieces.length > 0).length,
      timing: { shards: timings, merged: clock() },
      ...(reportFigures ? { figures: reportFigures } : {}),
    };
  } finally {
    for (const helper of helpers) void helper.worker.terminate();
  }
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
  const loaded = clock();
  parentPort!.postMessage({ started: true } satisfies WorkerAnswer);
  const failed = (error: Error & { object?: string; line?: number }) =>
    parentPort!.postMessage({
      error: {
        name: error.name,
        message: error.message,
        ...(error instanceof DatasetFormatError ? { object: error.object, line: error.line } : {}),
      },
    } satisfies WorkerAnswer);
  parentPort!.on('message', (message: Partial<WorkerTask> & { finish?: FinishRequest }) => {
    if (message.task && message.ranges && message.thread !== undefined) {
      const ready = clock();
      const cpu = threadCpuSeconds();
      if (message.clients) setClientSettings(message.clients);
      const ranges = new SharedRanges(message.ranges, message.task.objects.map(listedBytes));
      summariseRanges(message.task, ranges, message.thread).then(
        (pieces) =>
          parentPort!.postMessage(
            {
              pieces,
              loaded,
              ready,
              summarised: clock(),
              ...cpuField(cpuSince(cpu)),
            } satisfies WorkerAnswer,
            buffersOf(pieces),
          ),
        failed,
      );
    } else if (message.finish) {
      try {
        // Each feature answered as soon as it is merged: the parent computes its figures meanwhile.
        for (const part of message.finish.parts) {
          const finished = [mergePart(part, message.finish.exactMax)];
          parentPort!.postMessage({ finished } satisfies WorkerAnswer, buffersOf(finished));
        }
      } catch (error) {
        failed(error as Error);
      }
    }
  });
}
