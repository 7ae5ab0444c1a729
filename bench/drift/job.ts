import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { listObjects, readRecords } from '#adapters/dataset-reader';
import { BaselineBuilder } from '#domain/drift/profile';
import { driftReport } from '#domain/drift/report';
import { startShardWorkers, summariseWithWorkers } from '#services/drift-shards';

/**
 * The TypeScript drift job of the bench, run in its own process (bundled by run.ts) so that its
 * wall time and peak RSS (worker threads included) are its own: the baseline profile of the
 * reference CSV (BaselineBuilder), the window's capture objects listed (listObjects, file://,
 * local mode) and summarised on `workers` threads (summariseWithWorkers: consecutive runs of
 * objects, summaries merged in order and the report's figures computed, both shared by the
 * threads; the worker threads started first, startShardWorkers), then driftReport. The answer holds the times of its phases, which the bench prints.
 *
 * argv: reference.csv, capture folder, from, to, output JSON path, features (comma-separated),
 * workers. The bundle is also the workers' script: only the main thread runs the job.
 */
const PREDICTION = 'prediction';

const main = async () => {
  const [referencePath, captureDir, from, to, outPath, featureList, workerCount] = process.argv.slice(2);
  if (!referencePath || !captureDir || !from || !to || !outPath || !featureList)
    throw new Error('usage: job <reference.csv> <capture dir> <from> <to> <out.json> <features> [workers]');
  const features = featureList.split(',');
  const workers = Number(workerCount ?? 1);
  const clock = () => performance.timeOrigin + performance.now();
  const started = performance.now();
  const loaded = clock();
  // The worker threads load their module while this thread reads the baseline and lists.
  const pool = startShardWorkers(workers);
  const baselineBuilder = new BaselineBuilder({ features, prediction: PREDICTION });
  const reference = readRecords(pathToFileURL(referencePath).href, { format: 'csv', prediction: PREDICTION });
  for await (const batch of reference.batches())
    for (const record of batch) {
      record.features[PREDICTION] = record.prediction;
      baselineBuilder.addRecord(record.features);
    }
  const baseline = baselineBuilder.finish();
  const baselineMs = performance.now() - started;
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
  await writeFile(
    outPath,
    JSON.stringify({
      baselineMs,
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
      },
      report,
    }),
  );
};

if (isMainThread) await main();
