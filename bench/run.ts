import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundles, bundleTargets, printBundles } from './bundles.ts';
import { coldImportTargets, measureColdImports, printColdImports } from './cold-import.ts';
import { describeCommands, measureDynamoRequests, printDynamoRequests } from './dynamo-requests.ts';
import { faultMatrixTargets, measureFaultMatrix, printFaultMatrix } from './fault-matrix.ts';
import { governanceFigures, governanceTargets, measureGovernance, printGovernance } from './governance.ts';
import { type LoadPlan, loadTargets, measureLoad, printLoad } from './load.ts';
import { describeOtherLoad, otherLoadMeter } from './machine.ts';
import { measureReaderMemory, printReaderMemory, readerMemoryTargets } from './reader-memory.ts';
import { heading, type Marker, note, print, type TargetResult, table } from './report.ts';

/**
 * `npm run bench`: DynamoDB requests per operation, lineage walks (requests in sequence) and audit
 * verification speed, the dataset reader's memory over a 200 MiB object, the fault matrix (cells held of the workflows' Task states x faults),
 * bundle sizes, cold import and local-mode latency, each figure printed with
 * its target and PASS/OVER, then the summary and `.bench/results.json`. The drift bench
 * (`bench/drift/run.ts`, in a child process; DRIFT_BENCH_MB sets its size) is the last section.
 * The figures never fail the process; only a crash does (the drift bench's included).
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

/** Run the drift bench to its end with this terminal; its exit status, or the signal that ended it. */
const runDriftBench = (): Promise<{
  status: number | null;
  signal: NodeJS.Signals | null;
  seconds: number;
}> =>
  new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'bench', 'drift', 'run.ts')], {
      cwd: root,
      env: baseEnv,
      stdio: 'inherit',
    });
    child.on('error', fail);
    child.on('close', (status, signal) =>
      done({ status, signal, seconds: (performance.now() - started) / 1000 }),
    );
  });

const main = async (): Promise<number> => {
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

  note('walking lineage and verifying an audit chain (local mode in this process)');
  const governance = await measureGovernance();
  printGovernance(governance);

  note('streaming a 200 MiB capture object through the dataset reader (local mode in this process)');
  const readerMemory = await measureReaderMemory();
  printReaderMemory(readerMemory);

  note('running the fault matrix: every Task state of the workflow paths x throttle / permanent fault');
  const faults = await measureFaultMatrix();
  printFaultMatrix(faults);

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
    ...governanceTargets(governance),
    ...readerMemoryTargets(readerMemory),
    ...bundleTargets(bundles),
    ...coldImportTargets(cold.results),
    ...loadTargets(load),
    ...faultMatrixTargets(faults),
  ];
  // Figures with no target stand in the summary without a marker and count as neither.
  const summary: (Omit<TargetResult, 'marker'> & { marker?: Marker })[] = [
    ...targets,
    ...governanceFigures(governance),
  ];
  const pass = summary.filter((t) => t.marker === 'PASS').length;
  const over = summary.filter((t) => t.marker === 'OVER').length;
  const untargeted = summary.length - pass - over;
  print(heading('Summary'));
  print(
    table(
      [
        { title: 'figure' },
        { title: 'value', align: 'right' },
        { title: 'target', align: 'right' },
        { title: '' },
      ],
      summary.map((t) => [t.figure, t.value, t.target, t.marker ?? '']),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  print(
    `\n  ${pass} PASS, ${over} OVER${untargeted ? `, ${untargeted} without a target` : ''}; bench took ${seconds.toFixed(0)} s (the drift bench follows).`,
  );
  const noisy = [coldOther, loadOther].some((o) => o !== undefined && o.share > 0.1);
  if (noisy)
    print(
      '  ! other work on the machine took more than 10% of it during a timed section: run again when idle.',
    );

  await mkdir(outDir, { recursive: true });
  const results = join(outDir, 'results.json');
  const figures = {
    at: new Date().toISOString(),
    node: process.version,
    cores: availableParallelism(),
    cpu,
    seconds,
    loadAverageAtStart: loadAtStart,
    otherProcessesCpu: { coldImport: coldOther, load: loadOther },
    dynamoRequests: dynamo.rows.map((r) => ({ ...r, described: describeCommands(r.commands) })),
    governance,
    readerMemory,
    faultMatrix: { cells: faults.cells, held: faults.held, states: faults.states, paths: faults.paths },
    bundles: bundles.map(({ packages, ...b }) => ({
      ...b,
      largest: Object.fromEntries(packages.slice(0, 10)),
    })),
    coldImport: { ...COLD, results: cold.results, stderr: cold.stderr },
    load: { plan: LOAD, phases: load },
    targets,
    untargeted: governanceFigures(governance),
  };
  await writeFile(results, `${JSON.stringify(figures, null, 2)}\n`);
  print(`  figures written to ${results}`);

  // Last: the drift bench, in its own process (it writes .bench/drift/results.json itself).
  note(`drift bench: tsx bench/drift/run.ts, DRIFT_BENCH_MB=${baseEnv.DRIFT_BENCH_MB ?? '1024 (default)'}`);
  print(heading('Drift bench (bench/drift/run.ts)'));
  const drift = await runDriftBench();
  const driftEnd = drift.signal ? `signal ${drift.signal}` : `status ${drift.status}`;
  print(`\n  drift bench exited with ${driftEnd} after ${drift.seconds.toFixed(0)} s.`);
  await writeFile(results, `${JSON.stringify({ ...figures, drift }, null, 2)}\n`);
  // The drift bench fails only when it crashes; the figures never fail it.
  if (drift.status !== 0) {
    process.stderr.write(`bench: the drift bench did not finish (${driftEnd})\n`);
    return 1;
  }
  return 0;
};

main().then(
  // The in-process emulators may leave handles behind; the report is complete, so leave now.
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench crashed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
