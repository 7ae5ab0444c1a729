import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundles, bundleTargets, printBundles } from './bundles.ts';
import { coldImportTargets, measureColdImports, printColdImports } from './cold-import.ts';
import { describeCommands, measureDynamoRequests, printDynamoRequests } from './dynamo-requests.ts';
import { type LoadPlan, loadTargets, measureLoad, printLoad } from './load.ts';
import { describeOtherLoad, otherLoadMeter } from './machine.ts';
import { heading, note, print, type TargetResult, table } from './report.ts';

/**
 * `npm run bench`: DynamoDB requests per operation, bundle sizes, cold import and local-mode
 * latency, each figure printed with its target and PASS/OVER. The figures never fail the
 * process; only a crash does. Results also go to `.bench/results.json`.
 */
const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const outDir = join(root, '.bench');
const bundleDir = join(outDir, 'bundles');

// Node 20 is supported by this project; the SDK's notice about its end of support is not a finding.
// (@aws-sdk/core reads this name; AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING does nothing.)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Taken before the in-process local system rewrites process.env for its handlers.
const baseEnv: NodeJS.ProcessEnv = { ...process.env };

const COLD = { warmups: 2, runs: 15 };
// The GET warm-up is long because the server's first ~2,000 requests run at half its later rate (JIT).
const LOAD: LoadPlan = {
  getCount: 3000,
  ownPostCount: 800,
  sharedPostCount: 400,
  warmup: 1000,
  capMs: 30_000,
};

const main = async () => {
  const started = performance.now();
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  print(`Steward bench - ${new Date().toISOString()}`);
  const loadAtStart = loadavg()[0]!;
  print(
    `node ${process.version}, ${availableParallelism()} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load average ${loadAtStart.toFixed(2)} (1 min)`,
  );

  note('counting DynamoDB requests per operation (local mode in this process)');
  const dynamo = await measureDynamoRequests();
  printDynamoRequests(dynamo.rows);

  note('bundling the Lambda functions with esbuild');
  const bundles = await buildBundles(root, bundleDir);
  printBundles(bundles, bundleDir);

  note(`cold imports: ${COLD.warmups + COLD.runs} rounds of ${bundles.length} fresh node processes`);
  const coldMeter = otherLoadMeter();
  const cold = await measureColdImports(bundles, { base: baseEnv, ...COLD });
  const coldOther = coldMeter();
  printColdImports(cold.results, cold.stderr, COLD, describeOtherLoad(coldOther));

  const loadMeter = otherLoadMeter();
  const load = await measureLoad(root, baseEnv, LOAD);
  const loadOther = loadMeter();
  printLoad(load, LOAD, describeOtherLoad(loadOther));

  const targets: TargetResult[] = [
    ...dynamo.targets,
    ...bundleTargets(bundles),
    ...coldImportTargets(cold.results),
    ...loadTargets(load),
  ];
  const over = targets.filter((t) => t.marker === 'OVER').length;
  print(heading('Summary'));
  print(
    table(
      [
        { title: 'figure' },
        { title: 'value', align: 'right' },
        { title: 'target', align: 'right' },
        { title: '' },
      ],
      targets.map((t) => [t.figure, t.value, t.target, t.marker]),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  print(`\n  ${targets.length - over} PASS, ${over} OVER; bench took ${seconds.toFixed(0)} s.`);
  const noisy = [coldOther, loadOther].some((o) => o !== undefined && o.share > 0.1);
  if (noisy)
    print(
      '  ! other work on the machine took more than 10% of it during a timed section: run again when idle.',
    );

  await mkdir(outDir, { recursive: true });
  const results = join(outDir, 'results.json');
  await writeFile(
    results,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        node: process.version,
        cores: availableParallelism(),
        cpu,
        seconds,
        loadAverageAtStart: loadAtStart,
        otherProcessesCpu: { coldImport: coldOther, load: loadOther },
        dynamoRequests: dynamo.rows.map((r) => ({ ...r, described: describeCommands(r.commands) })),
        bundles: bundles.map(({ packages, ...b }) => ({
          ...b,
          largest: Object.fromEntries(packages.slice(0, 10)),
        })),
        coldImport: { ...COLD, results: cold.results, stderr: cold.stderr },
        load: { plan: LOAD, phases: load },
        targets,
      },
      null,
      2,
    )}\n`,
  );
  print(`  figures written to ${results}`);
};

main().then(
  // The in-process emulators may leave handles behind; the report is complete, so leave now.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench crashed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
