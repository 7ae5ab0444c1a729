import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { listObjects, readRecords } from '#adapters/dataset-reader';
import { BaselineBuilder, type BaselineProfile } from '#domain/drift/profile';
import { driftReport } from '#domain/drift/report';
import { startShardWorkers, summariseWithWorkers, threadCpuSeconds } from '#services/drift-shards';

/**
 * The TypeScript drift job of the bench, run in its own process (bundled by run.ts) so that its
 * wall time and peak RSS (worker threads included) are its own. Two steps, as in the service:
 *
 * - `baseline <reference.csv> <features> <out.json>`: the baseline profile of the reference CSV
 *   (BaselineBuilder), stored as JSON: what `PUT .../baseline` does once per version;
 * - `run <baseline.json> <capture folder> <from> <to> <out.json> <workers>`: a drift run as
 *   functions/services/drift-runs.ts makes it: the stored profile read, the window's capture
 *   objects listed (listObjects, file://, local mode) and summarised on `workers` threads
 *   (summariseWithWorkers: consecutive runs of objects, a thread done with its own taking over
 *   the back half of the largest run left, summaries merged in order and the report's figures
 *   computed, both shared by the threads; the worker threads started first,
 *   startShardWorkers), then driftReport. The answer holds the times of its phases and the CPU
 *   time of its threads, which the bench prints.
 *
 * The bundle is also the workers' script: only the main thread runs the job.
 */
const PREDICTION = 'prediction';

const clock = () => performance.timeOrigin + performance.now();

const baselineStep = async (referencePath: string, features: string[], outPath: string) => {
  const builder = new BaselineBuilder({ features, prediction: PREDICTION });
  const reference = readRecords(pathToFileURL(referencePath).href, { format: 'csv', prediction: PREDICTION });
  for await (const batch of reference.batches())
    for (const record of batch) {
      record.features[PREDICTION] = record.prediction;
      builder.addRecord(record.features);
    }
  await writeFile(outPath, JSON.stringify(builder.finish()));
};

const runStep = async (
  baselinePath: string,
  captureDir: string,
  from: string,
  to: string,
  outPath: string,
  workers: number,
) => {
  const started = performance.now();
  const loaded = clock();
  // The worker threads load their module while this thread reads the baseline and lists.
  const pool = startShardWorkers(workers);
  const baseline = JSON.parse(await readFile(baselinePath, 'utf8')) as BaselineProfile;
  const baselined = clock();

  const uri = pathToFileURL(captureDir).href;
  const window = { from: new Date(from), to: new Date(to) };
  const { objects } = await listObjects(uri, { format: 'sagemaker-capture', ...window });
  const listed = clock();
  const summary = await summariseWithWorkers(
    { uri, baseline, format: 'sagemaker-capture', from, to, objects, predictions: false },
    workers,
    { pool, figures: true },
  ).finally(() => pool.close());
  const report = driftReport(baseline, summary.window, {}, summary.figures);
  const reported = clock();
  const totalMs = performance.now() - started;
  // Every thread's CPU time, the ended workers' included, and this thread's alone.
  const usage = process.cpuUsage();
  const cpu = { process: (usage.user + usage.system) / 1e6, main: threadCpuSeconds() };
  await writeFile(
    outPath,
    JSON.stringify({
      totalMs,
      workers: summary.workers,
      bytes: summary.stats.bytes,
      objects: summary.stats.objects,
      records: summary.stats.records,
      outsideWindow: summary.stats.outsideWindow,
      phases: {
        processStarted: performance.timeOrigin,
        loaded,
        baselined,
        listed,
        shards: summary.timing.shards,
        merged: summary.timing.merged,
        reported,
        cpu,
      },
      report,
    }),
  );
};

const main = async () => {
  const [step, ...args] = process.argv.slice(2);
  if (step === 'baseline' && args.length === 3) {
    const [referencePath, features, outPath] = args as [string, string, string];
    return baselineStep(referencePath, features.split(','), outPath);
  }
  if (step === 'run' && args.length === 6) {
    const [baselinePath, captureDir, from, to, outPath, workers] = args as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    return runStep(baselinePath, captureDir, from, to, outPath, Number(workers));
  }
  throw new Error(
    'usage: job baseline <reference.csv> <features> <out.json> | job run <baseline.json> <capture dir> <from> <to> <out.json> <workers>',
  );
};

if (isMainThread) await main();
