import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { readRecords } from '#adapters/dataset-reader';
import { BaselineBuilder } from '#domain/drift/profile';
import { driftReport } from '#domain/drift/report';
import { WindowAccumulator } from '#domain/drift/window';

/**
 * The TypeScript drift job of the bench, run in its own process (bundled by run.ts) so that its
 * wall time and peak RSS are its own: the baseline profile of the reference CSV (BaselineBuilder),
 * the window of SageMaker capture under the capture folder read with readRecords (file://, local
 * mode) and accumulated with WindowAccumulator, then driftReport.
 *
 * argv: reference.csv, capture folder, from, to, output JSON path, features (comma-separated).
 */
const [referencePath, captureDir, from, to, outPath, featureList] = process.argv.slice(2);
if (!referencePath || !captureDir || !from || !to || !outPath || !featureList)
  throw new Error('usage: job <reference.csv> <capture dir> <from> <to> <out.json> <features>');
const features = featureList.split(',');
const PREDICTION = 'prediction';

const main = async () => {
  const started = performance.now();
  const baselineBuilder = new BaselineBuilder({ features, prediction: PREDICTION });
  const reference = readRecords(pathToFileURL(referencePath).href, { format: 'csv', prediction: PREDICTION });
  for await (const batch of reference.batches())
    for (const record of batch) {
      record.features[PREDICTION] = record.prediction;
      baselineBuilder.addRecord(record.features);
    }
  const baseline = baselineBuilder.finish();
  const baselineMs = performance.now() - started;

  const window = new WindowAccumulator(baseline);
  const capture = readRecords(pathToFileURL(captureDir).href, {
    format: 'sagemaker-capture',
    features,
    from: new Date(from),
    to: new Date(to),
  });
  for await (const batch of capture.batches())
    for (const record of batch) {
      record.features[PREDICTION] = record.prediction;
      window.addRecord(record.features);
    }
  const summary = window.finish();
  const report = driftReport(baseline, summary);
  const totalMs = performance.now() - started;
  await writeFile(
    outPath,
    JSON.stringify({
      baselineMs,
      totalMs,
      bytes: capture.stats.bytes,
      objects: capture.stats.objects,
      records: capture.stats.records,
      outsideWindow: capture.stats.outsideWindow,
      report,
    }),
  );
};

await main();
